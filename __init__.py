from . import controllers, models, wizard


def uninstall_hook(env):
    """Remove the Outlook settings (the client secret among them) with the addon."""
    env["ir.config_parameter"].sudo().search([("key", "=like", "outlook_calendar_sync.%")]).unlink()
