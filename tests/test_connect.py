"""Connecting an Outlook mailbox: the sign-in (PKCE, state, return path), where the tokens are
kept and who can reach them, and their life (refresh, revoked consent, disconnect, pause)."""

import json
import logging
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import ALICE, OutlookHttpCase, query_of


@tagged("post_install", "-at_install")
class TestSignIn(OutlookHttpCase):
    def test_sign_in_connects_the_account(self):
        """Outlook sync → Microsoft → back to Odoo: the account waits for the first-sync
        choice, the flow is gone."""
        response = self.connect("alice", ALICE, choose_default=False)

        self.assertEqual(
            response.headers["Location"].split("://", 1)[-1].split("/", 1)[1], "odoo/calendar"
        )
        account = self.account_of(self.user_alice)
        self.assertEqual(account.state, "preview")
        self.assertEqual(account.mailbox_address, ALICE)
        self.assertTrue(account.graph_user_id)
        self.assertTrue(account.calendar_id)
        token_cache, flow = self.token_columns(account)
        self.assertIn("RefreshToken", json.loads(token_cache))
        self.assertIsNone(flow)

    def test_sign_in_does_not_need_the_calendar_list(self):
        """Outlook.com answered 500 to ``GET /me/calendars`` for weeks: the sign-in finds the
        default calendar with ``GET /me/calendar`` and never asks for the list."""
        self.emulator.fail_calendar_list(ALICE)
        self.connect("alice", ALICE, choose_default=False)

        account = self.account_of(self.user_alice)
        self.assertEqual(account.state, "preview")
        default = next(cal for cal in self.emulator.calendars(ALICE) if cal["isDefaultCalendar"])
        self.assertEqual((account.calendar_id, account.calendar_name), (default["id"], "Calendar"))
        by_path = self.emulator.counters()["by_path"]
        self.assertNotIn("GET /me/calendars", by_path)
        self.assertEqual(by_path["GET /me/calendar"], 1)

    def test_authorize_request_uses_pkce_and_our_redirect_uri(self):
        params = query_of(self.start_sign_in("alice"))
        self.assertEqual(params["code_challenge_method"], "S256")
        self.assertTrue(params["redirect_uri"].endswith("/microsoft_account/authentication"))
        self.assertIn("Calendars.ReadWrite", params["scope"])
        self.assertIn("offline_access", params["scope"])

    def test_replayed_redirect_is_refused(self):
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        self.assertEqual(self.url_open(callback, allow_redirects=False).status_code, 303)
        self.account_of(self.user_alice).action_disconnect()

        replay = self.url_open(callback, allow_redirects=False)

        self.assertEqual(replay.status_code, 400)
        self.assertIn("already used", replay.text)
        self.assertEqual(self.account_of(self.user_alice).state, "not_connected")
        self.assertIsNone(self.token_columns(self.account_of(self.user_alice))[0])

    def test_tampered_state_is_refused(self):
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        signature = query_of(callback)["state"].split(".")[1]
        forged = callback.replace(signature, signature[::-1])

        response = self.url_open(forged, allow_redirects=False)

        self.assertEqual(response.status_code, 400)
        self.assertIn("not valid", response.text)
        account = self.account_of(self.user_alice)
        self.assertNotEqual(account.state, "active")
        self.assertIsNone(self.token_columns(account)[0])
        # A forged state (a link anyone can make the browser open) does not cancel the
        # sign-in in progress.
        self.assertEqual(self.url_open(callback, allow_redirects=False).status_code, 303)

    def test_expired_state_is_refused(self):
        eleven_minutes_ago = fields.Datetime.now() - timedelta(minutes=11)
        with freeze_time(eleven_minutes_ago):
            authorize_url = self.start_sign_in("alice")
        callback = self.consent(ALICE, authorize_url)

        response = self.url_open(callback, allow_redirects=False)

        self.assertEqual(response.status_code, 400)
        self.assertIn("expired", response.text)
        self.assert_nothing_stored(self.user_alice)

    def test_state_of_another_user_is_refused(self):
        """Bob's browser cannot finish Alice's sign-in, and Alice's stays usable."""
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        self.authenticate("bob", "bob")

        response = self.url_open(callback, allow_redirects=False)

        self.assertEqual(response.status_code, 400)
        self.assertIn("another user", response.text)
        self.assertFalse(self.account_of(self.user_bob).filtered(lambda a: a.state == "preview"))
        self.authenticate("alice", "alice")
        self.assertEqual(self.url_open(callback, allow_redirects=False).status_code, 303)
        self.assertEqual(self.account_of(self.user_alice).state, "preview")

    def test_cancelled_consent_stores_nothing(self):
        authorize_url = self.start_sign_in("alice")
        state = query_of(authorize_url)["state"]

        response = self.url_open(
            f"/microsoft_account/authentication?error=access_denied&state={state}",
            allow_redirects=False,
        )

        self.assertEqual(response.status_code, 400)
        self.assertIn("cancelled", response.text)
        self.assert_nothing_stored(self.user_alice)

    def test_wrong_code_stores_nothing(self):
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        code = query_of(callback)["code"]

        response = self.url_open(callback.replace(code, "not-a-code"), allow_redirects=False)

        self.assertEqual(response.status_code, 400)
        self.assertIn("Microsoft refused the sign-in", response.text)
        self.assert_nothing_stored(self.user_alice)

    def test_return_path_never_leaves_odoo(self):
        for hostile in ("https://evil.example.com/x", "//evil.example.com", "/\\evil.example.com"):
            with self.subTest(return_path=hostile):
                callback = self.consent(ALICE, self.start_sign_in("alice", return_path=hostile))
                response = self.url_open(callback, allow_redirects=False)
                self.assertEqual(response.status_code, 303)
                location = response.headers["Location"]
                self.assertNotIn("evil.example.com", location)
                self.assertTrue(location.endswith("/odoo/calendar"), location)

    def test_sign_in_needs_the_admin_configuration(self):
        self.env["ir.config_parameter"].sudo().set_param("outlook_calendar_sync.enabled", False)
        accounts = self.env["outlook.account"].with_user(self.user_alice)
        with self.assertRaisesRegex(UserError, "not configured"):
            accounts.action_start_sign_in()

    def test_tokens_never_reach_the_server_log(self):
        records = []
        handler = logging.Handler(logging.DEBUG)
        handler.emit = records.append
        root = logging.getLogger()
        previous_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            self.connect("alice", ALICE)
            self.emulator.expire_access_tokens()
            self.account_of(self.user_alice).action_sync_now()
        finally:
            root.removeHandler(handler)
            root.setLevel(previous_level)
        cache = json.loads(self.token_columns(self.account_of(self.user_alice))[0])
        secrets = [
            item["secret"]
            for section in ("AccessToken", "RefreshToken")
            for item in cache[section].values()
        ]
        secrets.append(self.emulator.client_secret)
        logged = "\n".join(record.getMessage() for record in records)
        self.assertTrue(records)
        for secret in secrets:
            self.assertNotIn(secret, logged)

    def assert_nothing_stored(self, user):
        account = self.account_of(user)
        self.assertNotEqual(account.state, "active")
        self.assertFalse(account.mailbox_address)
        token_cache, flow = self.token_columns(account) if account else (None, None)
        self.assertIsNone(token_cache)
        self.assertIsNone(flow)


@tagged("post_install", "-at_install")
class TestTokenSecrecy(OutlookHttpCase):
    """No RPC path reaches the token cache: not the owner's, not another user's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(cls.env, login="portal", groups="base.group_portal")

    def test_no_field_exposes_the_token_columns(self):
        names = self.env["outlook.account"].fields_get()
        self.assertFalse({"token_cache", "sign_in_flow"} & set(names))

    def test_owner_cannot_read_the_token_cache(self):
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        self.authenticate("alice", "alice")
        for method, args, kwargs in (
            ("read", [[account.id], ["token_cache"]], {}),
            ("search_read", [[], ["token_cache"]], {}),
            ("web_read", [[account.id]], {"specification": {"token_cache": {}}}),
            ("export_data", [[account.id], ["token_cache"]], {}),
        ):
            with self.subTest(method=method), self.assertRaises(Exception) as caught:
                self.call("outlook.account", method, args, kwargs)
            self.assertNotIn("RefreshToken", str(caught.exception))
        everything = self.call("outlook.account", "read", [[account.id]])
        self.assertNotIn("RefreshToken", json.dumps(everything, default=str))

    def test_other_users_cannot_see_the_account(self):
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        self.authenticate("bob", "bob")
        self.assertEqual(self.call("outlook.account", "search_read", [[], ["mailbox_address"]]), [])
        with self.assertRaisesRegex(Exception, "AccessError"):
            self.call("outlook.account", "read", [[account.id], ["mailbox_address"]])
        with self.assertRaisesRegex(Exception, "AccessError"):
            self.call("outlook.account", "action_disconnect", [[account.id]])
        self.authenticate("portal", "portal")
        with self.assertRaisesRegex(Exception, "AccessError"):
            self.call("outlook.account", "search_read", [[], ["mailbox_address"]])

    def test_account_cannot_be_handed_to_another_user(self):
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        self.authenticate("alice", "alice")
        with self.assertRaisesRegex(Exception, "AccessError"):
            self.call("outlook.account", "write", [[account.id], {"user_id": self.user_bob.id}])
        self.assertEqual(account.user_id, self.user_alice)


@tagged("post_install", "-at_install")
class TestTokenLifecycle(OutlookHttpCase):
    def refresh_tokens_of(self, account):
        cache = json.loads(self.token_columns(account)[0])
        return {item["secret"] for item in cache["RefreshToken"].values()}

    def test_refresh_keeps_the_rotated_refresh_token(self):
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        before = self.refresh_tokens_of(account)
        self.emulator.expire_access_tokens()

        account.action_sync_now()

        self.assertEqual(account.state, "active")
        after = self.refresh_tokens_of(account)
        self.assertTrue(after)
        self.assertNotEqual(after, before)

    def test_revoked_consent_asks_to_reconnect_once(self):
        """invalid_grant → needs_reauth with a reason; a second sync does not ask Microsoft again."""
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        self.emulator.revoke_refresh_tokens(ALICE)
        self.emulator.expire_access_tokens()
        token_calls_before = self.token_endpoint_calls()

        account.action_sync_now()
        account.action_sync_now()

        self.assertEqual(account.state, "needs_reauth")
        self.assertIn("reconnect Outlook", account.last_error)
        self.assertEqual(self.token_endpoint_calls() - token_calls_before, 1)

    def test_refresh_uses_the_configured_tenant(self):
        self.configure_outlook(self.env, tenant="contoso.example.com")
        self.connect("alice", ALICE)
        self.emulator.expire_access_tokens()

        self.account_of(self.user_alice).action_sync_now()

        paths = self.emulator.counters()["identity_by_path"]
        self.assertGreaterEqual(paths.get("POST /contoso.example.com/oauth2/v2.0/token", 0), 2)
        self.assertNotIn("POST /common/oauth2/v2.0/token", paths)

    def test_disconnect_forgets_tokens_and_keeps_events(self):
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        event = self.env["calendar.event"].create(
            {
                "name": "Stays",
                "start": "2026-12-01 10:00:00",
                "stop": "2026-12-01 11:00:00",
                "user_id": self.user_alice.id,
            }
        )

        account.action_disconnect()

        self.assertEqual(account.state, "not_connected")
        self.assertEqual(self.token_columns(account), (None, None))
        self.assertTrue(event.exists())

    def test_pause_and_resume(self):
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        account.action_pause()
        self.assertEqual(account.state, "paused")
        account.action_resume()
        self.assertEqual(account.state, "active")

    def token_endpoint_calls(self):
        return sum(
            count
            for path, count in self.emulator.counters()["identity_by_path"].items()
            if path.endswith("/oauth2/v2.0/token")
        )
