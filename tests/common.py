"""Shared set-up of the Odoo tests: one Graph emulator per test class, over real HTTPS.

The emulator mints its own CA; ``REQUESTS_CA_BUNDLE`` (which overrides ``verify=`` in requests
and msal) points at a bundle of the system CAs plus that CA for the duration of the class, so
TLS is verified as it would be against Microsoft.
"""

import os
import uuid
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import requests

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import HttpCase, new_test_user

from odoo.addons.outlook_calendar_sync.graph_emulator import GraphEmulator
from odoo.addons.outlook_calendar_sync.services.auth import OutlookAuth
from odoo.addons.outlook_calendar_sync.services.graph import GraphClient

ALICE = "alice@example.com"
BOB = "bob@example.com"


class EmulatorMixin:
    """Starts the emulator for the class and points Odoo's Outlook settings at it."""

    emulator_seed = "empty"
    emulator_clock = None
    """A ``FakeClock`` for classes that need Outlook's time to move (``advance_clock``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = GraphEmulator(seed=cls.emulator_seed, clock=cls.emulator_clock)
        cls.emulator.__enter__()
        cls.addClassCleanup(cls.emulator.__exit__, None, None, None)
        previous_bundle = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(cls.emulator.bundle_path)
        cls.addClassCleanup(restore_env, "REQUESTS_CA_BUNDLE", previous_bundle)
        cls.configure_outlook(cls.env)

    @classmethod
    def configure_outlook(cls, env, tenant="common"):
        params = env["ir.config_parameter"].sudo()
        params.set_param("outlook_calendar_sync.enabled", "True")
        params.set_param("outlook_calendar_sync.client_id", cls.emulator.client_id)
        params.set_param("outlook_calendar_sync.client_secret", cls.emulator.client_secret)
        params.set_param("outlook_calendar_sync.authority_host", cls.emulator.url)
        params.set_param("outlook_calendar_sync.tenant", tenant)
        params.set_param("outlook_calendar_sync.graph_endpoint", cls.emulator.graph)

    def setUp(self):
        super().setUp()
        self.emulator.reset()

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's test harness compares the timeout with a number; the Graph client sends
        # (connect, read) timeouts. The emulator is on loopback, which the harness allows.
        if isinstance(kw.get("timeout"), tuple):
            kw["timeout"] = max(kw["timeout"])
        return super()._request_handler(s, r, **kw)


SETTINGS = (
    "outlook_calendar_sync.enabled",
    "outlook_calendar_sync.client_id",
    "outlook_calendar_sync.client_secret",
    "outlook_calendar_sync.authority_host",
    "outlook_calendar_sync.tenant",
    "outlook_calendar_sync.graph_endpoint",
)


class CommittedDataMixin:
    """For tests whose workers run on connections of their own: they see only committed data,
    so the class commits its settings and users itself and removes them afterwards."""

    @classmethod
    @contextmanager
    def committed(cls, uid=SUPERUSER_ID):
        """An environment on its own connection, committed when the block ends."""
        with sql_db.db_connect(cls.env.cr.dbname).cursor() as cr:
            yield api.Environment(cr, uid, {})

    @classmethod
    def save_settings(cls, env):
        """Remember the Outlook settings, put back when the class is done."""
        params = env["ir.config_parameter"]
        cls.saved_params = {key: params.get_param(key) for key in SETTINGS}
        cls.addClassCleanup(cls.restore_params)

    @classmethod
    def restore_params(cls):
        with cls.committed() as env:
            for key, value in cls.saved_params.items():
                env["ir.config_parameter"].set_param(key, value or False)

    def connect_committed(self, env, user_id, mailbox, **account_vals):
        """What the sign-in stores (and the first-sync choice: an active account), done with
        ``services.auth`` against the emulator; returns the new account's id."""
        auth = OutlookAuth(
            client_id=self.emulator.client_id,
            client_credential=self.emulator.client_secret,
            authority=self.emulator.authority,
            cache_blob=None,
            http_client=requests.Session(),
        )
        authorize_url, flow = auth.start_sign_in(
            redirect_uri="http://localhost/microsoft_account/authentication", state=mailbox
        )
        identity = auth.finish_sign_in(
            flow, query_of(self.emulator.sign_in(mailbox, authorize_url))
        )
        with GraphClient(requests.Session, self.emulator.graph, auth.access_token) as graph:
            calendar = next(cal for cal in graph.list_calendars() if cal.get("isDefaultCalendar"))
        account = env["outlook.account"].create(
            {
                "user_id": user_id,
                "state": "active",
                "mailbox_address": mailbox,
                "home_account_id": identity.home_account_id,
                "calendar_id": calendar["id"],
                **account_vals,
            }
        )
        account._token_store().write_cache(auth.cache_blob_if_changed())
        return account.id

    @staticmethod
    def remove_committed_users(env, users):
        """Their events and accounts go; the users are archived under a login nobody uses."""
        env["calendar.event"].with_context(active_test=False).search(
            [("user_id", "in", users.ids)]
        ).unlink()
        env["outlook.account"].search([("user_id", "in", users.ids)]).unlink()
        for user in users:
            user.write({"active": False, "login": f"gone-{uuid.uuid4().hex}"})


class OutlookHttpCase(EmulatorMixin, HttpCase):
    """HTTP tests of the sign-in: users, and helpers that walk the OAuth dance like a browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_alice = new_test_user(
            cls.env, login="alice", groups="base.group_user", email=ALICE, name="Alice"
        )
        cls.user_bob = new_test_user(
            cls.env, login="bob", groups="base.group_user", email=BOB, name="Bob"
        )

    def start_sign_in(self, login, return_path="/odoo/calendar"):
        """As ``login``, press Outlook sync: returns the authorize URL Microsoft would get."""
        self.authenticate(login, login)
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "outlook.account",
                "method": "action_start_sign_in",
                "args": [],
                "kwargs": {"return_path": return_path},
            },
        )

    def consent(self, mailbox, authorize_url):
        """Sign in and accept at the emulator: the redirect back to Odoo, as a path + query."""
        redirect = urlsplit(self.emulator.sign_in(mailbox, authorize_url))
        return f"{redirect.path}?{redirect.query}"

    def connect(self, login, mailbox, choose_default=True):
        """Sign ``login`` in to ``mailbox``; then, unless told otherwise, take the first-sync
        preview's default choice (both ways, existing events without their attendees)."""
        callback = self.consent(mailbox, self.start_sign_in(login))
        response = self.url_open(callback, allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:500])
        if choose_default:
            user = self.env["res.users"].search([("login", "=", login)])
            self.account_of(user)._choose_first_sync("two_way", push_attendees=False)
        return response

    def account_of(self, user):
        return self.env["outlook.account"].search([("user_id", "=", user.id)])

    def token_columns(self, account):
        self.env.cr.execute(
            "SELECT token_cache, sign_in_flow FROM outlook_account WHERE id = %s", [account.id]
        )
        return self.env.cr.fetchone()


def query_of(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def restore_env(name, value):
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
