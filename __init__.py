from . import controllers, models, wizard


def uninstall_hook(env):
    """Remove the Outlook settings (the client secret among them) with the addon, and the
    indexes it added to the calendar's tables."""
    env["ir.config_parameter"].sudo().search([("key", "=like", "outlook_calendar_sync.%")]).unlink()
    env.cr.execute(
        "DROP INDEX IF EXISTS calendar_event_write_date_index, calendar_recurrence_write_date_index"
    )
