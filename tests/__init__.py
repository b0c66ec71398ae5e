from . import (
    test_connect,
    test_connect_tour,
    test_database_copy,
    test_meeting_details,
    test_pairing,
    test_reconnect,
    test_series,
    test_settings,
    test_sync,
    test_sync_properties,
)
