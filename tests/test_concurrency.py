"""Concurrency: real threads, each with its own database connection and transaction,
as Odoo's cron workers and HTTP workers have them.

The test transaction sees nothing another connection commits, so this class builds its users,
accounts and settings in committed transactions of its own (and removes them afterwards), signs
the mailboxes in with the pure ``services.auth`` against the emulator, and reads every outcome
through a fresh connection. A slow Graph reply (the emulator's ``delay`` fault) holds each
sync open long enough for the others to collide with it.
"""

import threading
import uuid
from datetime import datetime, timedelta

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, fields
from odoo.tests import TransactionCase, tagged

from .common import TOMORROW, CommittedDataMixin, EmulatorMixin, graph_time

SLOW_DELTA = 1.5
"""Seconds the emulator holds each delta reply: every sync of a test overlaps the others."""


@tagged("post_install", "-at_install")
class TestConcurrentSyncs(CommittedDataMixin, EmulatorMixin, TransactionCase):
    @classmethod
    def configure_outlook(cls, _test_env, tenant="common"):
        """Committed, not in the test transaction (whose row locks would block the workers)."""
        suffix = uuid.uuid4().hex[:8]
        cls.mailboxes = {name: f"{name}-{suffix}@example.com" for name in ("carol", "dave")}
        with cls.committed() as env:
            cls.save_settings(env)
            configured = super().configure_outlook(env, tenant)
            cls.user_ids = {}
            for name, mailbox in cls.mailboxes.items():
                user = env["res.users"].create(
                    {
                        "name": name.title(),
                        "login": mailbox,
                        "email": mailbox,
                        "groups_id": [fields.Command.set(env.ref("base.group_user").ids)],
                    }
                )
                cls.user_ids[name] = user.id
        cls.addClassCleanup(cls.remove_users)
        return configured

    @classmethod
    def remove_users(cls):
        with cls.committed() as env:
            users = env["res.users"].browse(list(cls.user_ids.values()))
            cls.remove_committed_users(env, users)

    def setUp(self):
        super().setUp()
        for mailbox in self.mailboxes.values():
            self.emulator.add_mailbox(mailbox)
        with self.committed() as env:
            env["calendar.event"].with_context(active_test=False).search(
                [("user_id", "in", list(self.user_ids.values()))]
            ).unlink()
            env["outlook.account"].search([]).filtered(
                lambda account: account.user_id.id in self.user_ids.values()
            ).unlink()
            self.account_ids = {
                name: self.connect_committed(env, self.user_ids[name], self.mailboxes[name])
                for name in self.mailboxes
            }

    def run_at_once(self, jobs):
        """Run each job (a function of a fresh environment) in its own thread and transaction,
        all released at the same moment; returns what each raised (None when it committed)."""
        barrier = threading.Barrier(len(jobs))
        outcomes = [None] * len(jobs)

        def worker(index, job, uid):
            try:
                with self.committed(uid) as env:
                    barrier.wait(timeout=30)
                    job(env)
            except Exception as error:  # the outcome under test. pylint: disable=broad-except
                outcomes[index] = error

        threads = [
            threading.Thread(target=worker, args=(index, job, uid), name=f"sync-{index}")
            for index, (job, uid) in enumerate(jobs)
        ]
        self.run_threads(threads, timeout=120)
        return outcomes

    def logs_per_account(self):
        with self.committed() as env:
            logs = env["outlook.sync.log"].search(
                [("account_id", "in", list(self.account_ids.values()))]
            )
            return {
                name: len(logs.filtered(lambda log, a=account_id: log.account_id.id == a))
                for name, account_id in self.account_ids.items()
            }

    def odoo_names(self, name):
        with self.committed() as env:
            events = env["calendar.event"].search([("user_id", "=", self.user_ids[name])])
            return sorted(events.mapped("name"))

    def test_two_cron_workers_and_sync_now_sync_each_account_once(self):
        """Carol and Dave each have three Outlook events; two cron workers and Carol's "Sync
        now" start at the same moment: each account is synced by exactly one of them (the
        others skip its locked row), every event lands in Odoo once."""
        for name, mailbox in self.mailboxes.items():
            for number in range(3):
                start = TOMORROW + timedelta(hours=number)
                self.emulator.create_event(
                    mailbox,
                    {
                        "subject": f"{name} {number}",
                        "start": graph_time(start),
                        "end": graph_time(start + timedelta(hours=1)),
                    },
                )
        self.emulator.inject_fault("delay", count=10, delay=SLOW_DELTA, path_contains="delta")
        carol = self.user_ids["carol"]

        def sync_now(env):
            env["outlook.account"].browse(self.account_ids["carol"]).action_sync_now()

        def cron(env):
            env["outlook.account"]._cron_sync()

        outcomes = self.run_at_once([(cron, SUPERUSER_ID), (cron, SUPERUSER_ID), (sync_now, carol)])

        self.assertEqual(outcomes, [None, None, None])
        self.assertEqual(self.logs_per_account(), {"carol": 1, "dave": 1})
        self.assertEqual(self.odoo_names("carol"), ["carol 0", "carol 1", "carol 2"])
        self.assertEqual(self.odoo_names("dave"), ["dave 0", "dave 1", "dave 2"])
        self.assertEqual(self.emulator.counters()["writes"], 0, "nothing echoed to Outlook")

    def test_edit_during_a_sync_is_not_lost(self):
        """Carol renames a synced event in Odoo while a sync that also updates it (Outlook
        moved its room) is running: whichever transaction loses the race is retried, as Odoo
        retries a request or the cron's next run does, and both edits end on both sides."""
        mailbox = self.mailboxes["carol"]
        copy = self.emulator.create_event(
            mailbox,
            {
                "subject": "Planning",
                "start": graph_time(TOMORROW),
                "end": graph_time(TOMORROW + timedelta(hours=1)),
            },
        )
        account_id = self.account_ids["carol"]
        with self.committed() as env:
            self.assertEqual(env["outlook.account"].browse(account_id)._sync().state, "done")
        self.emulator.update_event(mailbox, copy["id"], {"location": {"displayName": "Room 7"}})
        self.emulator.inject_fault("delay", delay=SLOW_DELTA, path_contains="delta")
        carol = self.user_ids["carol"]

        def sync(env):
            env["outlook.account"].browse(account_id)._sync()

        def rename(env):
            self.wait_for_the_slow_reply()
            event = env["calendar.event"].search([("name", "=", "Planning")])
            event.write({"name": "Planning (moved)"})

        outcomes = self.run_at_once([(sync, SUPERUSER_ID), (rename, carol)])

        for outcome in outcomes:
            if outcome is not None:
                self.assertIsInstance(outcome, pg_errors.SerializationFailure)
        if outcomes[1] is not None:
            with self.committed(carol) as env:
                env["calendar.event"].search([("name", "=", "Planning")]).write(
                    {"name": "Planning (moved)"}
                )
        for _attempt in range(2):
            with self.committed() as env:
                env["outlook.account"].browse(account_id)._sync()
        with self.committed() as env:
            event = env["calendar.event"].search([("user_id", "=", carol)])
            self.assertEqual((event.name, event.location), ("Planning (moved)", "Room 7"))
        outlook = [ev for ev in self.emulator.events(mailbox) if not ev.get("isCancelled")]
        self.assertEqual(
            [(ev["subject"], ev["location"]["displayName"]) for ev in outlook],
            [("Planning (moved)", "Room 7")],
        )

    def wait_for_the_slow_reply(self):
        """Until the emulator holds the sync's delta request (its delay fault was taken)."""
        deadline = datetime.now() + timedelta(seconds=30)
        while self.emulator.counters()["faults_applied"] == 0:
            self.assertLess(datetime.now(), deadline, "the sync never asked for its delta")
            threading.Event().wait(0.02)
