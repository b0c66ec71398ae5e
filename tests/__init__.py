from . import (
    test_connect,
    test_connect_tour,
    test_pairing,
    test_settings,
    test_sync,
    test_sync_properties,
)
