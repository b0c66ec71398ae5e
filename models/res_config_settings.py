"""Settings: the Azure application and the sync's company-wide options."""

from urllib.parse import urlsplit

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..services.auth import PERMISSIONS, SHARED_CALENDAR_PERMISSION

# Microsoft's global cloud; national clouds and the Graph emulator are other values of the same
# settings (https://learn.microsoft.com/graph/deployments).
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_TENANT = "common"
DEFAULT_GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"
REDIRECT_PATH = "/microsoft_account/authentication"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    outlook_calendar_enabled = fields.Boolean(
        "Outlook Calendar",
        config_parameter="outlook_calendar_sync.enabled",
        help="Let users sync their Odoo Calendar with their Outlook calendar.",
    )
    outlook_client_id = fields.Char(
        "Client ID",
        config_parameter="outlook_calendar_sync.client_id",
        help="Application (client) ID of the app registered in Microsoft Entra ID (Azure).",
    )
    outlook_client_secret = fields.Char(
        "Client Secret",
        config_parameter="outlook_calendar_sync.client_secret",
        groups="base.group_system",
        help="Value of a client secret of that app. Microsoft lets it expire after at most "
        "24 months: renew it before then, or every user's sync stops.",
    )
    outlook_authority_host = fields.Char(
        "Identity Platform",
        config_parameter="outlook_calendar_sync.authority_host",
        default=DEFAULT_AUTHORITY_HOST,
        help="Microsoft identity platform host (national clouds use another one).",
    )
    outlook_tenant = fields.Char(
        "Tenant",
        config_parameter="outlook_calendar_sync.tenant",
        default=DEFAULT_TENANT,
        help="'common' accepts work, school and personal accounts; 'organizations', "
        "'consumers' or your tenant ID restrict who can sign in.",
    )
    outlook_graph_endpoint = fields.Char(
        "Graph Endpoint",
        config_parameter="outlook_calendar_sync.graph_endpoint",
        default=DEFAULT_GRAPH_ENDPOINT,
        help="Microsoft Graph v1.0 base URL.",
    )
    outlook_shared_calendars = fields.Boolean(
        "Calendars Shared by Others",
        config_parameter="outlook_calendar_sync.shared_calendars",
        help="Users may also sync the Outlook calendars other people shared with them and let "
        "them edit. Add the delegated permission Calendars.ReadWrite.Shared to the Azure app "
        "first; each user then reconnects Outlook once to grant it.",
    )
    outlook_redirect_uri = fields.Char(
        "Redirect URI",
        compute="_compute_outlook_redirect_uri",
        help="Register this URI as a Web redirect URI of the Azure app.",
    )
    outlook_permissions = fields.Html(
        "Azure App Permissions",
        compute="_compute_outlook_permissions",
        sanitize=False,
        help="The delegated Microsoft Graph permissions to add to the Azure app.",
    )

    outlook_webhook_status = fields.Char(
        "Near-real-time updates",
        compute="_compute_outlook_webhook_status",
        help="Microsoft notifies Odoo of Outlook changes only at a public https URL.",
    )

    @api.depends("company_id")
    def _compute_outlook_webhook_status(self):
        status = self.env["outlook.subscription"].sudo()._status_message()
        for settings in self:
            settings.outlook_webhook_status = status

    @api.depends("company_id")
    def _compute_outlook_permissions(self):
        """The list of ``services.auth.PERMISSIONS`` (and the shared calendars' one), each with
        what the sync needs it for, translated."""
        items = Markup("").join(
            Markup("<li><code>%s</code>: %s</li>") % (name, self.env._(purpose))
            for name, purpose in (*PERMISSIONS, SHARED_CALENDAR_PERMISSION)
        )
        note = self.env._(
            "An account connected before MailboxSettings.ReadWrite was asked for keeps syncing "
            "its events, without the Outlook category list, until its user reconnects Outlook."
        )
        text = Markup("<ul class='mb-1'>%s</ul><div>%s</div>") % (items, note)
        for settings in self:
            settings.outlook_permissions = text

    @api.depends("company_id")
    def _compute_outlook_redirect_uri(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for settings in self:
            settings.outlook_redirect_uri = base_url.rstrip("/") + REDIRECT_PATH

    @api.constrains("outlook_authority_host", "outlook_graph_endpoint")
    def _check_outlook_endpoints(self):
        for settings in self:
            for label, url in (
                (self.env._("Identity Platform"), settings.outlook_authority_host),
                (self.env._("Graph Endpoint"), settings.outlook_graph_endpoint),
            ):
                parts = urlsplit(url or "")
                if parts.scheme != "https" or not parts.netloc:
                    raise ValidationError(
                        self.env._(
                            "%(label)s must be an https:// URL, got %(url)r.",
                            label=label,
                            url=url or "",
                        )
                    )

    @api.model
    def default_get(self, fields_list):
        # Settings read system parameters with sudo(): without this guard any internal user
        # could fetch the client secret through RPC (default_get, onchange).
        if "outlook_client_secret" in fields_list and not self.env.is_system():
            raise AccessError(
                self.env._("Only Settings administrators can read the Outlook client secret.")
            )
        return super().default_get(fields_list)

    def set_values(self):
        for settings in self:
            for name in (
                "outlook_client_id",
                "outlook_client_secret",
                "outlook_tenant",
                "outlook_authority_host",
                "outlook_graph_endpoint",
            ):
                value = settings[name]
                if value and value != value.strip():
                    settings[name] = value.strip()
        return super().set_values()
