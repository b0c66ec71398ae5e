"""Attacks on the sign-in, the secrets, other users' accounts and Outlook's content.

Each test plays the attacker through the same doors a browser or an RPC client has (the
OAuth redirect, ``/web/dataset/call_kw``), against a real database and the Graph emulator,
and asserts that the attempt is refused or harmless: nothing stored, nothing disclosed,
nothing changed.
"""

import base64
import json
import logging
import time
from datetime import timedelta
from urllib.parse import quote, urlsplit

import lxml.html

from odoo import http
from odoo.tests import new_test_user, tagged
from odoo.tools.misc import hmac as odoo_hmac

from odoo.addons.outlook_calendar_sync.models.outlook_account import STATE_SCOPE

from .common import ALICE, BOB, TOMORROW, OutlookHttpCase, SyncCase, query_of

SECRET_KEY = "outlook_calendar_sync.client_secret"


class SecurityCase(OutlookHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(cls.env, login="portal", groups="base.group_portal")

    def assert_refused(self, model, method, args, kwargs=None, *, leaks=()):
        """The RPC call fails, and its error tells nothing of ``leaks``."""
        with self.assertRaises(Exception) as caught:
            self.call(model, method, args, kwargs)
        for secret in leaks:
            self.assertNotIn(secret, str(caught.exception))
        return caught.exception

    def signed_state(self, **payload):
        """A state signed with this database's key (as a copy of the database would sign it)."""
        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        return f"{body}.{odoo_hmac(self.env(su=True), STATE_SCOPE, body)}"

    def token_secrets(self, account):
        cache = json.loads(self.token_columns(account)[0])
        return [
            item["secret"]
            for section in ("AccessToken", "RefreshToken", "IdToken")
            for item in cache.get(section, {}).values()
        ]


@tagged("post_install", "-at_install")
class TestOAuthState(SecurityCase):
    def assert_rejected(self, callback, reason, user=None):
        response = self.url_open(callback, allow_redirects=False)
        self.assertEqual(response.status_code, 400, response.text[:300])
        self.assertIn(reason, response.text)
        account = self.account_of(user or self.user_alice)
        self.assertNotEqual(account.state, "active")
        self.assertFalse(account.mailbox_address)
        self.assertIsNone(self.token_columns(account)[0] if account else None)

    def test_state_with_a_tampered_payload_is_refused(self):
        """The return path (or the user) rewritten inside a genuine signature: refused."""
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        state = query_of(callback)["state"]
        body, signature = state.split(".")
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        for change in ({"r": "https://evil.example.com/"}, {"u": self.user_bob.id}, {"e": 2**40}):
            forged_body = (
                base64.urlsafe_b64encode(json.dumps({**payload, **change}).encode())
                .decode()
                .rstrip("=")
            )
            with self.subTest(change=change):
                forged = callback.replace(quote(state, safe=""), f"{forged_body}.{signature}")
                forged = forged.replace(state, f"{forged_body}.{signature}")
                self.assert_rejected(forged, "not valid")

    def test_missing_empty_or_unsigned_state_is_refused(self):
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        state = query_of(callback)["state"]
        for forged in ("", ".", state.split(".")[0], f"{state.split('.')[0]}."):
            with self.subTest(state=forged):
                self.assert_rejected(callback.replace(state, forged), "not valid")
        code = query_of(callback)["code"]
        self.assert_rejected(f"/microsoft_account/authentication?code={code}", "not valid")

    def test_replayed_state_after_a_failure_is_refused(self):
        """A sign-in that failed once (a wrong code) is over: its genuine code cannot finish it."""
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        code = query_of(callback)["code"]
        self.assert_rejected(callback.replace(code, "stolen-code"), "Microsoft refused")

        self.assert_rejected(callback, "already used")

    def test_state_replaced_by_a_newer_sign_in_is_refused(self):
        first = self.consent(ALICE, self.start_sign_in("alice"))
        second = self.consent(ALICE, self.start_sign_in("alice"))

        self.assert_rejected(first, "already used")
        self.assertEqual(self.url_open(second, allow_redirects=False).status_code, 303)

    def test_expired_state_is_refused(self):
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        state = query_of(callback)["state"]
        body = state.split(".")[0]
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        expired = self.signed_state(**{**payload, "e": int(time.time()) - 1})

        self.assert_rejected(callback.replace(state, expired), "expired")

    def test_state_of_another_database_is_refused(self):
        """A copy of this database shares its secret: the state names its database."""
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        state = query_of(callback)["state"]
        body = state.split(".")[0]
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        foreign = self.signed_state(**{**payload, "d": f"{self.env.cr.dbname}_copy"})

        self.assert_rejected(callback.replace(state, foreign), "another database")

    def test_state_of_another_user_is_refused(self):
        """Bob gets Alice's callback URL (login CSRF the other way round): refused, and Bob's
        account is not linked to Alice's mailbox."""
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        self.authenticate("bob", "bob")

        self.assert_rejected(callback, "another user", user=self.user_bob)

    def test_attacker_callback_in_the_victims_browser_links_nothing(self):
        """Bob signs in to his own mailbox, stops before the redirect and lures Alice's browser
        to his callback (to plant his mailbox in her Odoo): refused, Alice stays unconnected."""
        attacker_callback = self.consent(BOB, self.start_sign_in("bob"))
        self.authenticate("alice", "alice")

        self.assert_rejected(attacker_callback, "another user")

    def test_microsoft_error_text_is_escaped(self):
        """Microsoft's error description comes back in the URL: shown as text, never as HTML."""
        state = query_of(self.start_sign_in("alice"))["state"]
        script = "<script>alert('x')</script>"

        response = self.url_open(
            f"/microsoft_account/authentication?error=invalid_request"
            f"&error_description={quote(script)}&state={quote(state)}",
            allow_redirects=False,
        )

        self.assertEqual(response.status_code, 400)
        self.assertNotIn(script, response.text)
        self.assertIn("&lt;script&gt;", response.text)


@tagged("post_install", "-at_install")
class TestRedirectAndCsrf(SecurityCase):
    HOSTILE_PATHS = (
        "https://evil.example.com/x",
        "//evil.example.com",
        "/\\evil.example.com",
        "\\\\evil.example.com",
        "http:evil.example.com",
        "javascript:alert(1)",
        " //evil.example.com",
        "/%2F%2Fevil.example.com",
        "/\t/evil.example.com",
        "https:/\\evil.example.com",
    )

    def test_return_path_never_leaves_odoo(self):
        for hostile in self.HOSTILE_PATHS:
            with self.subTest(return_path=hostile):
                callback = self.consent(ALICE, self.start_sign_in("alice", return_path=hostile))
                response = self.url_open(callback, allow_redirects=False)
                self.assertEqual(response.status_code, 303)
                location = urlsplit(response.headers["Location"])
                self.assertIn(location.netloc, ("", urlsplit(self.base_url()).netloc), hostile)
                self.assertIn(location.scheme, ("", "http", "https"), hostile)
                self.assertTrue(location.path.startswith("/"), hostile)
                self.assertFalse(location.path.startswith("//"), hostile)
                self.assertNotIn("\\", response.headers["Location"], hostile)

    def test_the_addon_routes_are_the_reviewed_ones(self):
        """Every HTTP route of this addon, with how it resists CSRF: a new route fails this test
        until it is reviewed here."""
        routes = {
            url: endpoint.routing
            for url, endpoint in http._generate_routing_rules(
                ["outlook_calendar_sync"], nodb_only=False
            )
            if endpoint.__module__.startswith("odoo.addons.outlook_calendar_sync")
        }
        self.assertEqual(
            set(routes),
            {"/microsoft_account/authentication", "/outlook_calendar_sync/notifications"},
        )
        sign_in = routes["/microsoft_account/authentication"]
        # A GET, but it acts only for the signed-in user whose own pending flow carries the
        # state (single use, bound to user and database): see TestOAuthState.
        self.assertEqual(sign_in["methods"], ["GET"])
        self.assertEqual(sign_in["auth"], "user")
        webhook = routes["/outlook_calendar_sync/notifications"]
        # Graph's calls carry no session and no CSRF token: public, POST only, trusting nothing
        # but a matching clientState and syncing nothing in the request (test_webhooks.py:
        # forged clientState and lifecycle notifications change nothing).
        self.assertEqual(webhook["methods"], ["POST"])
        self.assertEqual(webhook["auth"], "public")
        self.assertFalse(webhook["save_session"])

    def test_sign_in_route_refuses_post(self):
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        path, _query = callback.split("?", 1)

        response = self.url_open(path, data=query_of(callback), allow_redirects=False)

        self.assertEqual(response.status_code, 405)
        self.assertNotEqual(self.account_of(self.user_alice).state, "active")

    def test_sign_in_route_needs_a_session(self):
        callback = self.consent(ALICE, self.start_sign_in("alice"))
        self.authenticate(None, None)

        response = self.url_open(callback, allow_redirects=False)

        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        self.assertNotEqual(self.account_of(self.user_alice).state, "active")

    def test_cross_site_form_post_cannot_call_the_account_actions(self):
        """A page elsewhere can POST a form with Alice's cookie; the RPC endpoints of the
        account's actions (pause, resume, disconnect, sync now, delete-confirm, start sign-in)
        take JSON only, which a cross-site form cannot send."""
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        self.authenticate("alice", "alice")
        for method in (
            "action_pause",
            "action_disconnect",
            "action_sync_now",
            "action_confirm_deletions",
            "action_start_sign_in",
        ):
            with self.subTest(method=method):
                response = self.url_open(
                    f"/web/dataset/call_kw/outlook.account/{method}",
                    data={"args": json.dumps([[account.id]])},
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    allow_redirects=False,
                )
                self.assertNotEqual(response.status_code, 200, response.text[:200])
        self.assertEqual(account.state, "active")
        self.assertTrue(self.token_columns(account)[0])


@tagged("post_install", "-at_install")
class TestSecretsOverRpc(SecurityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(SECRET_KEY, cls.emulator.client_secret)

    def token_rpc_paths(self, account_id):
        return (
            ("read", [[account_id], ["token_cache"]], {}),
            ("read", [[account_id], ["sign_in_flow"]], {}),
            ("search_read", [[], ["token_cache"]], {}),
            ("search_read", [[("token_cache", "!=", False)], ["id"]], {}),
            ("search_count", [[("token_cache", "ilike", "Refresh")]], {}),
            ("web_read", [[account_id]], {"specification": {"token_cache": {}}}),
            (
                "web_search_read",
                [],
                {"domain": [], "specification": {"sign_in_flow": {}}},
            ),
            ("export_data", [[account_id], ["token_cache"]], {}),
            ("read_group", [[], ["token_cache"], ["token_cache"]], {}),
            ("web_read_group", [[], ["token_cache"], ["token_cache"]], {}),
            ("_token_store", [[account_id]], {}),
            ("_outlook_session", [[account_id], {}], {}),
            ("_sync", [[account_id]], {}),
        )

    def test_nobody_reads_a_token_cache_through_rpc(self):
        """Not the owner, not another internal user, not a portal user, not an admin: the
        token columns are no field, and private methods are not callable."""
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        secrets = self.token_secrets(account)
        self.assertTrue(secrets)
        for login in ("alice", "bob", "portal", "admin"):
            self.authenticate(login, login)
            for method, args, kwargs in self.token_rpc_paths(account.id):
                with self.subTest(login=login, method=method):
                    self.assert_refused("outlook.account", method, args, kwargs, leaks=secrets)
            for method, args, kwargs in (
                ("read", [[account.id]], {}),
                ("search_read", [[]], {}),
                ("web_read", [[account.id]], {"specification": {"link_ids": {}, "log_ids": {}}}),
                ("get_sync_status", [], {}),
                ("fields_get", [], {"attributes": ["string", "groups", "type"]}),
                ("onchange", [{}, [], {"user_id": {}, "state": {}}], {}),
            ):
                with self.subTest(login=login, method=method):
                    try:
                        answer = json.dumps(self.call("outlook.account", method, args, kwargs))
                    except Exception as refused:  # refused is fine, if it tells nothing
                        answer = str(refused)
                    self.assertFalse([secret for secret in secrets if secret in answer])
                    self.assertNotIn("token_cache", answer)
                    self.assertNotIn("RefreshToken", answer)

    def test_only_settings_admins_read_the_client_secret(self):
        secret = self.emulator.client_secret
        for login in ("alice", "portal"):
            self.authenticate(login, login)
            for model, method, args, kwargs in (
                ("ir.config_parameter", "get_param", [SECRET_KEY], {}),
                ("ir.config_parameter", "search_read", [[("key", "=", SECRET_KEY)]], {}),
                ("ir.config_parameter", "search_count", [[("value", "=", secret)]], {}),
                ("ir.config_parameter", "export_data", [[], ["value"]], {}),
                ("ir.config_parameter", "read_group", [[], ["value"], ["value"]], {}),
                ("res.config.settings", "default_get", [["outlook_client_secret"]], {}),
                ("res.config.settings", "get_values", [], {}),
                ("res.config.settings", "create", [{}], {}),
                (
                    "res.config.settings",
                    "onchange",
                    [{}, [], {"outlook_client_secret": {}}],
                    {},
                ),
                (
                    "res.config.settings",
                    "web_search_read",
                    [],
                    {"domain": [], "specification": {"outlook_client_secret": {}}},
                ),
                ("outlook.account", "_app_config", [], {}),
            ):
                with self.subTest(login=login, model=model, method=method):
                    self.assert_refused(model, method, args, kwargs, leaks=(secret,))

    def test_secret_is_never_in_a_web_page(self):
        """The settings page is served to Settings admins only, and even then the secret is a
        password field filled by RPC, not part of the served HTML."""
        self.authenticate("alice", "alice")
        for path in ("/odoo/settings", "/odoo/calendar", "/web/webclient/translations"):
            with self.subTest(path=path):
                self.assertNotIn(self.emulator.client_secret, self.url_open(path).text)

    def test_public_visitor_reaches_no_account_data(self):
        self.connect("alice", ALICE)
        self.authenticate(None, None)
        for model, method, args in (
            ("outlook.account", "search_read", [[], ["mailbox_address"]]),
            ("outlook.sync.log", "search_read", [[], ["errors"]]),
            ("outlook.event.link", "search_read", [[], ["base"]]),
            ("ir.config_parameter", "get_param", [SECRET_KEY]),
        ):
            with self.subTest(model=model, method=method):
                error = self.assert_refused(model, method, args, leaks=(ALICE,))
                self.assertRegex(str(error), "Session|session|AccessDenied|Access")


@tagged("post_install", "-at_install")
class TestSecretsInLogs(SecurityCase):
    def test_no_token_code_or_secret_in_any_log_record(self):
        """Every log record (all loggers, DEBUG: requests, urllib3, msal, werkzeug, ours) of a
        sign-in, a sync with an expired access token (refresh), a revoked consent and a
        failed sign-in: none carries a token, the client secret or the PKCE verifier."""
        records = []
        handler = logging.Handler(logging.DEBUG)
        handler.emit = records.append
        root = logging.getLogger()
        previous = root.level, {name: logging.getLogger(name).level for name in ("msal", "urllib3")}
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        for name in previous[1]:
            logging.getLogger(name).setLevel(logging.DEBUG)
        try:
            self.env["calendar.event"].create(
                {
                    "name": "Logged",
                    "start": TOMORROW,
                    "stop": TOMORROW + timedelta(hours=1),
                    "user_id": self.user_alice.id,
                }
            )
            self.connect("alice", ALICE)
            account = self.account_of(self.user_alice)
            flow_secrets = []
            self.emulator.expire_access_tokens()
            account.action_sync_now()
            secrets = self.token_secrets(account)
            self.emulator.revoke_refresh_tokens(ALICE)
            self.emulator.expire_access_tokens()
            account.action_sync_now()
            self.authenticate("alice", "alice")
            authorize_url = self.start_sign_in("alice")
            flow_secrets.append(json.loads(self.token_columns(account)[1])["code_verifier"])
            callback = self.consent(ALICE, authorize_url)
            self.url_open(callback.replace(query_of(callback)["code"], "wrong"))
        finally:
            root.removeHandler(handler)
            root.setLevel(previous[0])
            for name, level in previous[1].items():
                logging.getLogger(name).setLevel(level)
        self.assertEqual(account.state, "needs_reauth")
        logged = "\n".join(f"{record.getMessage()} {record.exc_text or ''}" for record in records)
        self.assertIn("oauth2/v2.0/token", logged, "the token requests were logged, not hidden")
        for secret in [*secrets, *flow_secrets, self.emulator.client_secret]:
            self.assertNotIn(secret, logged)


@tagged("post_install", "-at_install")
class TestOtherUsersAccounts(SecurityCase, SyncCase):
    def setUp(self):
        super().setUp()
        self.env["calendar.event"].create(
            {
                "name": "Private interview",
                "start": TOMORROW,
                "stop": TOMORROW + timedelta(hours=1),
                "user_id": self.user_alice.id,
                "privacy": "private",
            }
        )
        self.log = self.account._sync()
        self.assertEqual(self.log.state, "done")
        self.link = self.account.link_ids
        self.assertTrue(self.link)

    def test_bob_cannot_pause_resume_sync_disconnect_or_edit_alices_account(self):
        self.authenticate("bob", "bob")
        for method, args in (
            ("action_pause", [[self.account.id]]),
            ("action_resume", [[self.account.id]]),
            ("action_sync_now", [[self.account.id]]),
            ("action_disconnect", [[self.account.id]]),
            ("action_confirm_deletions", [[self.account.id]]),
            ("write", [[self.account.id], {"state": "paused"}]),
            ("write", [[self.account.id], {"sync_future_days": 1}]),
            ("unlink", [[self.account.id]]),
            ("copy", [[self.account.id]]),
            ("create", [{"user_id": self.user_alice.id}]),
        ):
            with self.subTest(method=method, args=args):
                self.assert_refused("outlook.account", method, args, leaks=(ALICE,))
        self.assertEqual(self.account.state, "active")
        self.assertEqual(self.account.sync_future_days, 365)
        self.assertTrue(self.token_columns(self.account)[0])
        self.assertEqual(len(self.env["outlook.account"].search([])), 1)

    def test_bob_cannot_read_alices_account_logs_or_links(self):
        self.authenticate("bob", "bob")
        for model, record, field, vals in (
            ("outlook.account", self.account, "mailbox_address", {"sync_past_days": 1}),
            ("outlook.sync.log", self.log, "errors", {"state": "failed"}),
            ("outlook.event.link", self.link, "base", {"dirty": True}),
        ):
            with self.subTest(model=model):
                self.assertEqual(self.call(model, "search_read", [[], [field]]), [])
                self.assertEqual(self.call(model, "search_count", [[]]), 0)
                groups = self.call(model, "read_group", [[], ["id:count"], []])
                self.assertEqual(groups[0]["__count"], 0)
                leaks = (ALICE, "Private interview")
                self.assert_refused(model, "read", [record.ids, [field]], leaks=leaks)
                spec = {"specification": {field: {}}}
                self.assert_refused(model, "web_read", [record.ids], spec, leaks=leaks)
                self.assert_refused(model, "export_data", [record.ids, [field]], leaks=leaks)
                self.assert_refused(model, "write", [record.ids, vals])
                self.assert_refused(model, "unlink", [record.ids])
        event = self.env["calendar.event"].search([("name", "=", "Private interview")])
        answer = self.call(
            "calendar.event", "web_read", [event.ids], {"specification": {"outlook_link_ids": {}}}
        )
        self.assertEqual(answer[0]["outlook_link_ids"], [])

    def test_owner_cannot_forge_logs_or_links(self):
        """Logs and links are the sync's record: their owner reads them, never writes them."""
        self.authenticate("alice", "alice")
        self.assertEqual(self.call("outlook.sync.log", "search_count", [[]]), 1)
        for model, record, vals in (
            ("outlook.sync.log", self.log, {"state": "done", "errors": []}),
            ("outlook.event.link", self.link, {"dirty": False, "base": {}}),
        ):
            with self.subTest(model=model):
                self.assert_refused(model, "write", [record.ids, vals])
                self.assert_refused(model, "unlink", [record.ids])
                self.assert_refused(model, "create", [{"account_id": self.account.id}])

    def test_portal_user_reaches_nothing(self):
        self.authenticate("portal", "portal")
        for model in ("outlook.account", "outlook.sync.log", "outlook.event.link"):
            with self.subTest(model=model):
                self.assert_refused(model, "search_read", [[], ["id"]], leaks=(ALICE,))
        self.assert_refused("outlook.account", "action_start_sign_in", [])
        self.assert_refused("outlook.account", "action_pause", [self.account.ids])


@tagged("post_install", "-at_install")
class TestOutlookContentIsSanitized(SecurityCase):
    HOSTILE_BODY = (
        "<p>Agenda</p><script>alert('body')</script>"
        '<img src="x" onerror="alert(\'img\')">'
        "<a href=\"javascript:alert('link')\">click</a>"
        '<iframe src="https://evil.example.com"></iframe>'
        "<svg onload=\"alert('svg')\"></svg>"
        "<style>body{display:none}</style>"
    )
    HOSTILE_SUBJECT = "<script>alert('subject')</script><img src=x onerror=alert(1)>"

    def test_script_in_an_outlook_event_is_sanitized_in_odoo(self):
        """A hostile meeting from outside lands in Alice's calendar: its body is sanitized
        before Odoo stores it, its subject stays text, Odoo's own renderings escape it, and the
        sanitizing does not bounce back to Outlook as an edit."""
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)
        self.emulator.create_event(
            ALICE,
            {
                "subject": self.HOSTILE_SUBJECT,
                "body": {"contentType": "html", "content": self.HOSTILE_BODY},
                "location": {"displayName": "<b onmouseover=alert(2)>Room</b>"},
                "start": {"dateTime": TOMORROW.isoformat(), "timeZone": "UTC"},
                "end": {
                    "dateTime": (TOMORROW + timedelta(hours=1)).isoformat(),
                    "timeZone": "UTC",
                },
                "attendees": [
                    {
                        "emailAddress": {
                            "address": "mallory@example.com",
                            "name": "<script>alert('name')</script>",
                        },
                        "type": "required",
                    }
                ],
            },
        )

        self.assertNotEqual(account._sync().state, "failed")

        event = self.env["calendar.event"].search([("name", "=", self.HOSTILE_SUBJECT)])
        self.assertEqual(len(event), 1, "the subject is kept as the text it is")
        description = str(event.description)
        self.assertIn("Agenda", description)
        self.assertFalse(active_content(description), description)
        self.assertNotIn("<style", description)
        rendered = self.render_invitation(event)
        self.assertFalse(active_content(rendered), rendered)
        self.assertIn("&lt;script&gt;", rendered, "the subject is shown, escaped")
        writes = self.emulator.counters()["writes"]
        log = account._sync()
        self.assertEqual((log.pushed_updated, log.pulled_updated), (0, 0))
        self.assertEqual(self.emulator.counters()["writes"], writes, "no ping-pong of the body")

    def render_invitation(self, event):
        """The invitation mail Odoo would send an attendee of ``event``, rendered."""
        template = self.env.ref("calendar.calendar_template_meeting_invitation")
        attendee = event.attendee_ids[:1]
        return str(template._render_field("body_html", attendee.ids)[attendee.id])


def active_content(markup):
    """What in ``markup`` a browser would run: script-like elements, ``on*`` handlers and
    ``javascript:`` links (escaped text is not)."""
    tree = lxml.html.fromstring(f"<div>{markup}</div>")
    found = [el.tag for el in tree.iter() if el.tag in ("script", "iframe", "object", "embed")]
    for element in tree.iter():
        for name, value in element.attrib.items():
            if name.lower().startswith("on") or value.strip().lower().startswith("javascript:"):
                found.append(f"{element.tag}@{name}")
    return found
