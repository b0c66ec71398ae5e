"""The shared set-up and helpers of the Odoo tests: every test module takes them from here.

One Graph emulator per test class, over real HTTPS. The emulator mints its own CA;
``REQUESTS_CA_BUNDLE`` (which overrides ``verify=`` in requests and msal) points at a bundle of
the system CAs plus that CA for the duration of the class, so TLS is verified as it would be
against Microsoft. The case classes build on each other: ``OutlookHttpCase`` (users, the OAuth
dance, events on both sides, JSON-RPC), ``SyncCase`` (Alice connected), ``SeriesCase`` and
``PairingCase`` on it, ``FirstSyncCase`` (Alice signed in, no first-sync choice yet).
"""

import os
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import requests

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.calendar.models.calendar_recurrence import weekday_to_field
from odoo.addons.outlook_calendar_sync.graph_emulator import GraphEmulator
from odoo.addons.outlook_calendar_sync.models.outlook_sync_log import PULLED_COUNTS, PUSHED_COUNTS
from odoo.addons.outlook_calendar_sync.services.auth import OutlookAuth
from odoo.addons.outlook_calendar_sync.services.graph import GraphClient

ALICE = "alice@example.com"
BOB = "bob@example.com"
GUEST = "guest@partner.example"
TOMORROW = (datetime.utcnow() + timedelta(days=1)).replace(
    hour=10, minute=0, second=0, microsecond=0
)
"""Tomorrow 10:00 UTC (naive, as Odoo stores times): inside every sync window."""
WEEKDAY = TOMORROW.strftime("%A").lower()


def graph_time(moment, zone="UTC"):
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": zone}


def outlook_event(subject, start=TOMORROW, hours=1, **extra):
    """The body of an Outlook event to create in the emulator."""
    return {
        "subject": subject,
        "start": graph_time(start),
        "end": graph_time(start + timedelta(hours=hours)),
        **extra,
    }


def outlook_all_day_event(subject, day, days=1, zone="UTC", **extra):
    """The body of an all-day Outlook event of ``days`` from ``day``: midnight to midnight."""
    return {
        "subject": subject,
        "isAllDay": True,
        "start": {"dateTime": f"{day}T00:00:00", "timeZone": zone},
        "end": {"dateTime": f"{day + timedelta(days=days)}T00:00:00", "timeZone": zone},
        **extra,
    }


def attendee(address, name, kind="required"):
    """An attendee of an Outlook event's body."""
    return {"emailAddress": {"address": address, "name": name}, "type": kind}


def weekly(count, day=WEEKDAY, start=TOMORROW):
    """An Outlook recurrence: ``count`` weekly occurrences on ``day`` from ``start``."""
    return {
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": [day]},
        "range": {"type": "numbered", "startDate": str(start.date()), "numberOfOccurrences": count},
    }


def daily(count, start=TOMORROW):
    """An Outlook recurrence: ``count`` daily occurrences from ``start``."""
    return {
        "pattern": {"type": "daily", "interval": 1},
        "range": {"type": "numbered", "startDate": str(start.date()), "numberOfOccurrences": count},
    }


def sync_counts(log):
    """What one sync log says the run changed, by count field of the model."""
    return {name: log[name] for name in (*PULLED_COUNTS, *PUSHED_COUNTS)}


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
            calendar = next(cal for cal in graph.list_calendars() if cal.is_default)
        account = env["outlook.account"].create(
            {
                "user_id": user_id,
                "state": "active",
                "mailbox_address": mailbox,
                "home_account_id": identity.home_account_id,
                "calendar_id": calendar.id,
                **account_vals,
            }
        )
        account._token_store().write_cache(auth.cache_blob_if_changed())
        return account.id

    def run_threads(self, threads, timeout):
        """Start ``threads`` at once and wait for them; fails if one is still running after
        ``timeout`` seconds."""
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
        self.assertFalse([thread for thread in threads if thread.is_alive()], "a worker hung")

    @staticmethod
    def remove_committed_users(env, users):
        """Their events and accounts go; the users are archived under a login nobody uses."""
        env["calendar.event"].with_context(active_test=False).search(
            [("user_id", "in", users.ids)]
        ).unlink()
        env["outlook.account"].search([("user_id", "in", users.ids)]).unlink()
        for user in users:
            user.write({"active": False, "login": f"gone-{uuid.uuid4().hex}"})


class JsonRpcMixin:
    """Calls to ``/web/dataset/call_kw`` as the authenticated user, like the web client."""

    def call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )


class OutlookHttpCase(JsonRpcMixin, EmulatorMixin, HttpCase):
    """HTTP tests of the sign-in: users, and helpers that walk the OAuth dance like a browser;
    events made on either side, and what both sides hold."""

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
        return self.call(
            "outlook.account", "action_start_sign_in", [], {"return_path": return_path}
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

    def odoo_event(self, name, start=TOMORROW, guests=(), **extra):
        """An hour-long Odoo event organized by Alice, her and ``guests`` (partners) invited."""
        partners = self.user_alice.partner_id.union(*guests)
        return self.env["calendar.event"].create(
            {
                "name": name,
                "start": start,
                "stop": start + timedelta(hours=1),
                "user_id": self.user_alice.id,
                "partner_ids": [fields.Command.set(partners.ids)],
                **extra,
            }
        )

    def odoo_all_day_event(self, name, day, **extra):
        """A one-day Odoo event of Alice's, nobody invited."""
        return self.env["calendar.event"].create(
            {
                "name": name,
                "allday": True,
                "start_date": day,
                "stop_date": day,
                "start": day,
                "stop": day,
                "user_id": self.user_alice.id,
                **extra,
            }
        )

    def outlook_events(self, subject, mailbox=ALICE):
        return [ev for ev in self.emulator.events(mailbox) if ev["subject"] == subject]

    def response_at(self, organizer, event_id, address):
        """The answer the organizer's copy of meeting ``event_id`` records for ``address``."""
        copy = next(ev for ev in self.emulator.events(organizer) if ev["id"] == event_id)
        return self.response_of(copy, address)

    def writes(self):
        return self.emulator.counters()["writes"]

    @staticmethod
    def attendee_of(events, user):
        """The attendee records of ``user`` on Odoo ``events``."""
        return events.attendee_ids.filtered(lambda a: a.partner_id == user.partner_id)

    @staticmethod
    def response_of(row, address):
        """The answer an Outlook event (or occurrence) records for attendee ``address``."""
        answers = [a for a in row["attendees"] if a["emailAddress"]["address"] == address]
        return answers[0]["status"]["response"]

    def outlook_rows(self):
        """What Alice's Outlook holds, for ``assert_no_duplicates``: her events."""
        return self.emulator.events(ALICE)

    def assert_no_duplicates(self):
        """Neither side holds the same subject at the same start twice: Alice's Odoo events,
        and ``outlook_rows()`` in Outlook."""
        odoo = Counter(
            (event.name, event.start)
            for event in self.env["calendar.event"].search([("user_id", "=", self.user_alice.id)])
        )
        self.assertEqual([key for key, n in odoo.items() if n > 1], [], "duplicates in Odoo")
        outlook = Counter((row["subject"], row["start"]["dateTime"]) for row in self.outlook_rows())
        self.assertEqual([key for key, n in outlook.items() if n > 1], [], "duplicates in Outlook")


@tagged("post_install", "-at_install")
class SyncCase(OutlookHttpCase):
    """Alice connected (the first-sync default taken), her account at hand."""

    def setUp(self):
        super().setUp()
        self.connect("alice", ALICE)
        self.account = self.account_of(self.user_alice)

    def sync(self, account=None):
        log = (account or self.account)._sync()
        self.assertTrue(log, "the sync did not run")
        self.assertNotEqual(log.state, "failed", log.errors)
        return log

    def assert_next_sync_sends_nothing(self, message, account=None):
        """Sync ``account`` (Alice's) and check Outlook got no write; returns the sync log."""
        writes = self.writes()
        log = self.sync(account)
        self.assertEqual(self.writes(), writes, message)
        return log

    def odoo_events(self, name):
        return (
            self.env["calendar.event"].with_context(active_test=False).search([("name", "=", name)])
        )

    def invitation_from_bob(self, subject):
        """Bob's Outlook meeting ``subject`` with Alice invited, synced into Alice's Odoo:
        returns the organizer's Outlook event, and sets ``self.event`` to the Odoo one."""
        meeting = self.emulator.create_event(
            BOB, outlook_event(subject, attendees=[attendee(ALICE, "Alice")])
        )
        self.sync()
        self.event = self.odoo_events(subject)
        return meeting


@tagged("post_install", "-at_install")
class SeriesCase(SyncCase):
    """Recurring events: Outlook's occurrences and masters, Odoo's recurrences."""

    def outlook_occurrences(self, subject=None, mailbox=ALICE):
        """The occurrences and exceptions (and single events) Outlook shows, by start."""
        rows = self.emulator.calendar_view(
            mailbox,
            (TOMORROW - timedelta(days=2)).replace(tzinfo=timezone.utc),
            (TOMORROW + timedelta(weeks=12)).replace(tzinfo=timezone.utc),
        )
        rows = [row for row in rows if subject is None or row["subject"] == subject]
        return sorted(rows, key=lambda row: row["start"]["dateTime"])

    def series_with_bob(self, subject):
        """Alice's weekly Outlook series of three with Bob invited, synced for both: sets
        ``self.bob`` to Bob's account."""
        self.connect("bob", BOB)
        self.bob = self.account_of(self.user_bob)
        self.emulator.create_event(
            ALICE, outlook_event(subject, recurrence=weekly(3), attendees=[attendee(BOB, "Bob")])
        )
        self.sync()
        self.sync(self.bob)

    def masters(self, mailbox=ALICE):
        return [ev for ev in self.emulator.events(mailbox) if ev.get("type") == "seriesMaster"]

    def outlook_rows(self):
        """Outlook's occurrences and single events, for ``assert_no_duplicates``."""
        return self.outlook_occurrences()

    def assert_quiet(self):
        log = self.assert_next_sync_sends_nothing("a quiet sync sends nothing")
        self.assertEqual(
            (log.pulled_created, log.pulled_updated, log.pulled_archived), (0, 0, 0), log.errors
        )

    def odoo_series(self, name, count, **extra):
        """A weekly Odoo recurrence of ``count`` events, organized by Alice, from tomorrow."""
        return self.env["calendar.event"].create(
            {
                "name": name,
                "start": TOMORROW,
                "stop": TOMORROW + timedelta(hours=1),
                "user_id": self.user_alice.id,
                "partner_ids": [fields.Command.set(self.user_alice.partner_id.ids)],
                "recurrency": True,
                "rrule_type": "weekly",
                weekday_to_field(TOMORROW.weekday()): True,
                "interval": 1,
                "end_type": "count",
                "count": count,
                "event_tz": "UTC",
                **extra,
            }
        )


class PairingCase(SyncCase):
    """Events already on both sides before the first sync: what was created and mailed."""

    def outlook_creates(self):
        """Events created in Outlook by Odoo (POSTs on an events collection, batch items too)."""
        return sum(
            count
            for path, count in self.emulator.counters()["by_path"].items()
            if path.startswith("POST ") and path.endswith("/events")
        )

    def mails(self):
        return len(self.emulator.sent_mail())

    def linked_graph_id(self, event):
        return event.outlook_link_ids.filtered(
            lambda link: link.account_id == self.account
        ).graph_id

    def edit_later_in_odoo(self, event):
        """Date ``event``'s last Odoo write an hour from now, after any Outlook edit (a test's
        single transaction dates every Odoo write at its start)."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE calendar_event SET write_date = now() at time zone 'UTC' + interval '1 hour'"
            " WHERE id = %s",
            [event.id],
        )
        event.invalidate_recordset(["write_date"])


@tagged("post_install", "-at_install")
class FirstSyncCase(OutlookHttpCase):
    """Alice signed in, her first-sync choice not made yet; Carol and Dave to invite."""

    def setUp(self):
        super().setUp()
        self.connect("alice", ALICE, choose_default=False)
        self.account = self.account_of(self.user_alice)
        self.carol = self.env["res.partner"].create({"name": "Carol", "email": "carol@example.org"})
        self.dave = self.env["res.partner"].create({"name": "Dave", "email": "dave@example.org"})

    def events_named(self, name):
        return self.env["calendar.event"].search([("name", "=", name)])

    def open_preview(self):
        return self.env["outlook.first.sync.wizard"].browse(
            self.account.action_open_first_sync_preview()["res_id"]
        )

    def start(self, wizard, **choice):
        wizard.write(choice)
        wizard.action_start()
        self.assertEqual(self.account.state, "active")
        return self.account.log_ids[:1]

    def start_in_mode(self, mode, *, to_odoo, to_outlook):
        """Choose ``mode`` in the preview, check the counts it then shows, start the first sync:
        returns its log."""
        wizard = self.open_preview()
        wizard.mode = mode
        self.assertEqual((wizard.to_odoo_count, wizard.to_outlook_count), (to_odoo, to_outlook))
        return self.start(wizard)

    def creates_in_outlook(self):
        return self.emulator.counters()["by_method"].get("POST", 0)


def insert_account_row(cr, user_id, **columns):
    """An active account row of ``user_id`` written with plain SQL on another connection (the
    ORM of the test's transaction would not show it to that connection)."""
    values = {
        "user_id": user_id,
        "state": "active",
        "sync_mode": "two_way",
        "private_events": "sync",
        "conflict_winner": "newest",
        **columns,
    }
    cr.execute(
        f"INSERT INTO outlook_account ({', '.join(values)})"
        f" VALUES ({', '.join(['%s'] * len(values))}) RETURNING id",
        list(values.values()),
    )
    return cr.fetchone()[0]


def assert_lock_waits_for(test, database, *, held, account_id):
    """While a first worker holds account row ``held``, a second cannot lock ``account_id``; it
    can once the first is done. Both work on connections of their own: the test's transaction
    predates the committed rows."""
    with database.cursor() as worker_cr, database.cursor() as second_cr:
        worker_cr.execute("SELECT id FROM outlook_account WHERE id = %s FOR UPDATE", [held])
        account = api.Environment(second_cr, SUPERUSER_ID, {})["outlook.account"].browse(account_id)
        test.assertFalse(account._lock())
        worker_cr.rollback()
        test.assertTrue(account._lock(), "free once the first worker is done")


def delete_account_row(database, account_id):
    with database.cursor() as cr:
        cr.execute("DELETE FROM outlook_account WHERE id = %s", [account_id])
        cr.commit()  # another connection. pylint: disable=invalid-commit


def query_of(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def restore_env(name, value):
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
