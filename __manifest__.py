{
    "name": "Outlook Calendar Sync",
    "summary": "Two-way sync of each user's Odoo Calendar with their Outlook calendar: "
    "no duplicates, no lost edits, no surprise invitations.",
    "version": "18.0.1.1.0",
    "category": "Productivity/Calendar",
    "website": "https://github.com/outlook-calendar-sync/outlook_calendar_sync",
    "author": "Outlook Calendar Sync contributors",
    "license": "LGPL-3",
    "depends": ["calendar", "base_setup"],
    "excludes": ["microsoft_calendar", "microsoft_account"],
    "external_dependencies": {
        "python": ["msal", "requests", "python-dateutil", "tzlocal"],
    },
    "data": [
        "security/ir.model.access.csv",
        "security/outlook_calendar_sync_security.xml",
        "data/ir_cron_data.xml",
        "views/res_config_settings_views.xml",
        "views/outlook_account_views.xml",
        "views/calendar_event_views.xml",
        "views/outlook_sync_log_views.xml",
        "views/outlook_calendar_sync_templates.xml",
        "wizard/outlook_first_sync_wizard_views.xml",
        "wizard/outlook_calendar_picker_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "outlook_calendar_sync/static/src/components/**/*",
            "outlook_calendar_sync/static/src/views/**/*",
        ],
        "web.assets_tests": [
            "outlook_calendar_sync/static/tests/tours/**/*",
        ],
    },
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
}
