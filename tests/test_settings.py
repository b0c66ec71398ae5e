"""The Outlook block of Settings: its system parameters and their checks, who may read the
client secret, and the browser tour that saves the credentials."""

from lxml import etree

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..services.auth import PERMISSIONS, SCOPES, SHARED_CALENDAR_PERMISSION
from .common import JsonRpcMixin

SECRET_KEY = "outlook_calendar_sync.client_secret"


class TestOutlookSettings(TransactionCase):
    def _save_settings(self, **values):
        self.env["res.config.settings"].create(values).execute()

    def test_settings_round_trip_through_system_parameters(self):
        """Values saved in Settings land under outlook_calendar_sync.* and come back."""
        self._save_settings(
            outlook_calendar_enabled=True,
            outlook_client_id="my-client-id",
            outlook_client_secret="my-secret",
            outlook_tenant="contoso.onmicrosoft.com",
            outlook_authority_host="https://login.microsoftonline.us",
            outlook_graph_endpoint="https://graph.microsoft.us/v1.0",
        )
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("outlook_calendar_sync.client_id"), "my-client-id")
        self.assertEqual(params.get_param(SECRET_KEY), "my-secret")
        self.assertEqual(
            params.get_param("outlook_calendar_sync.tenant"), "contoso.onmicrosoft.com"
        )

        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.outlook_calendar_enabled)
        self.assertEqual(settings.outlook_client_id, "my-client-id")
        self.assertEqual(settings.outlook_client_secret, "my-secret")
        self.assertEqual(settings.outlook_authority_host, "https://login.microsoftonline.us")
        self.assertEqual(settings.outlook_graph_endpoint, "https://graph.microsoft.us/v1.0")

    def test_defaults_point_at_microsofts_global_cloud(self):
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.outlook_calendar_enabled)
        self.assertEqual(settings.outlook_tenant, "common")
        self.assertEqual(settings.outlook_authority_host, "https://login.microsoftonline.com")
        self.assertEqual(settings.outlook_graph_endpoint, "https://graph.microsoft.com/v1.0")

    def test_pasted_credentials_are_stripped(self):
        """A Client ID copied from the Azure portal with spaces around it still works."""
        self._save_settings(outlook_client_id="  my-client-id \n", outlook_client_secret=" s3cret ")
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("outlook_calendar_sync.client_id"), "my-client-id")
        self.assertEqual(params.get_param(SECRET_KEY), "s3cret")

    def test_endpoints_must_be_https(self):
        """msal refuses plain-http authorities: say so on save instead of failing at sign-in."""
        with self.assertRaisesRegex(ValidationError, "Graph Endpoint must be an https:// URL"):
            self._save_settings(outlook_graph_endpoint="http://graph.example.com/v1.0")
        with self.assertRaisesRegex(ValidationError, "Identity Platform must be an https:// URL"):
            self._save_settings(outlook_authority_host="login.microsoftonline.com")

    def test_redirect_uri_follows_the_database_url(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", "https://odoo.example.com/"
        )
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            settings.outlook_redirect_uri,
            "https://odoo.example.com/microsoft_account/authentication",
        )

    def test_calendars_own_outlook_checkbox_is_hidden(self):
        """Calendar's checkbox would install Odoo's microsoft_calendar, which we exclude."""
        arch = self.env["res.config.settings"].get_view(view_type="form")["arch"]
        self.assertIn('id="outlook_calendar_sync_setting"', arch)
        self.assertRegex(arch, r'<setting[^>]*id="sync_outlook_calendar_setting"[^>]*invisible="1"')

    def test_outlook_block_lists_every_permission_the_sync_uses(self):
        """The Outlook Calendar block names each delegated permission of
        ``services.auth.PERMISSIONS`` (the shared calendars' one too) with what it is for, and
        says what an account connected without MailboxSettings.ReadWrite still does."""
        settings = self.env["res.config.settings"].create({})
        listed = etree.fromstring(f"<div>{settings.outlook_permissions}</div>")
        rows = ["".join(item.itertext()) for item in listed.iter("li")]
        self.assertEqual(
            rows,
            [f"{name}: {purpose}" for name, purpose in (*PERMISSIONS, SHARED_CALENDAR_PERMISSION)],
        )
        self.assertTrue(set(SCOPES) <= {name for name, _purpose in PERMISSIONS})
        self.assertIn(
            "keeps syncing its events, without the Outlook category list",
            "".join(listed.itertext()),
        )
        arch = etree.fromstring(self.env["res.config.settings"].get_view(view_type="form")["arch"])
        block = arch.xpath("//setting[@id='outlook_calendar_sync_setting']")[0]
        self.assertTrue(block.xpath(".//field[@name='outlook_permissions']"))


@tagged("post_install", "-at_install")
class TestOutlookSettingsAccess(JsonRpcMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(SECRET_KEY, "top-secret")
        cls.user = new_test_user(cls.env, login="plain_user", groups="base.group_user")

    def test_internal_user_cannot_read_the_secret_through_rpc(self):
        self.authenticate("plain_user", "plain_user")
        for model, method, args in (
            ("ir.config_parameter", "get_param", [SECRET_KEY]),
            ("ir.config_parameter", "search_read", [[("key", "=", SECRET_KEY)], ["value"]]),
            ("res.config.settings", "default_get", [["outlook_client_secret"]]),
        ):
            with self.subTest(model=model, method=method):
                with self.assertRaises(Exception) as caught:
                    self.call(model, method, args)
                self.assertIn(AccessError.__name__, str(caught.exception))
                self.assertNotIn("top-secret", str(caught.exception))

    def test_settings_admin_reads_the_secret(self):
        self.authenticate("admin", "admin")
        values = self.call("res.config.settings", "default_get", [["outlook_client_secret"]])
        self.assertEqual(values["outlook_client_secret"], "top-secret")


@tagged("post_install", "-at_install")
class TestOutlookSettingsTour(HttpCase):
    def test_admin_saves_outlook_credentials_in_settings(self):
        self.start_tour("/odoo/settings", "outlook_calendar_sync_settings_tour", login="admin")
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("outlook_calendar_sync.enabled"), "True")
        self.assertEqual(params.get_param("outlook_calendar_sync.client_id"), "tour-client-id")
        self.assertEqual(params.get_param(SECRET_KEY), "tour-client-secret")
