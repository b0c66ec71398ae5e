"""The Odoo tests of the addon, one module per feature (Odoo's own test runner loads them from
here; ``dev/test.sh`` runs them with pytest-odoo). Pure tests live in ``services/`` and
``emulator/``."""

from . import (
    test_ambiguous_answers,
    test_apps_page,
    test_bad_input,
    test_calendars,
    test_calendars_tour,
    test_categories_permission,
    test_concurrency,
    test_connect,
    test_connect_tour,
    test_cron_workers,
    test_database_copy,
    test_first_sync,
    test_first_sync_tour,
    test_meeting_details,
    test_migrations,
    test_overview,
    test_pairing,
    test_reconnect,
    test_scheduling,
    test_security,
    test_series,
    test_series_time_zones,
    test_settings,
    test_sync,
    test_sync_properties,
    test_translations,
    test_webhooks,
)
