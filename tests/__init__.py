from . import (
    test_connect,
    test_connect_tour,
    test_first_sync,
    test_first_sync_tour,
    test_meeting_details,
    test_overview,
    test_settings,
    test_sync,
    test_sync_properties,
)
