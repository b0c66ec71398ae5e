"""Odoo's own cron runner, two workers at once, on real connections.

Each worker is a thread that does what an Odoo cron worker does for one job: acquire it
(``FOR NO KEY UPDATE SKIP LOCKED`` on its ``ir_cron`` row) and process it
(``ir.cron._process_job``: calls in new transactions while work is reported left). The test
transaction sees nothing other connections commit, so the users, accounts and settings are
committed by the class and removed afterwards; every outcome is read through a fresh
connection. The emulator's ``delay`` fault holds each delta reply, so syncs overlap.
"""

import threading
import uuid
from datetime import timedelta

from odoo import fields, sql_db
from odoo.tests import TransactionCase, tagged

from .common import CommittedDataMixin, EmulatorMixin

SLOW_DELTA = 0.5
"""Seconds the emulator holds each delta reply."""
MAILBOXES = 6
LANES = (
    "outlook_calendar_sync.ir_cron_outlook_sync",
    "outlook_calendar_sync.ir_cron_outlook_sync_lane_2",
)


@tagged("post_install", "-at_install")
class TestCronWorkers(CommittedDataMixin, EmulatorMixin, TransactionCase):
    @classmethod
    def configure_outlook(cls, _test_env, tenant="common"):
        """Committed, not in the test transaction (whose row locks would block the workers)."""
        suffix = uuid.uuid4().hex[:8]
        cls.mailboxes = [f"fleet{number}-{suffix}@example.com" for number in range(MAILBOXES)]
        with cls.committed() as env:
            cls.save_settings(env)
            configured = super().configure_outlook(env, tenant)
            cls.saved_lanes = {
                xmlid: (env.ref(xmlid).nextcall, env.ref(xmlid).active) for xmlid in LANES
            }
            cls.addClassCleanup(cls.restore_lanes)
            # Accounts of other tests must not be synced by these workers.
            cls.paused_ids = (
                env["outlook.account"].search([("state", "in", ("active", "error"))]).ids
            )
            env["outlook.account"].browse(cls.paused_ids).write({"state": "paused"})
            cls.user_ids = [
                env["res.users"]
                .create(
                    {
                        "name": mailbox.split("@")[0],
                        "login": mailbox,
                        "email": mailbox,
                        "groups_id": [fields.Command.set(env.ref("base.group_user").ids)],
                    }
                )
                .id
                for mailbox in cls.mailboxes
            ]
        cls.addClassCleanup(cls.remove_users)
        return configured

    @classmethod
    def restore_lanes(cls):
        with cls.committed() as env:
            for xmlid, (nextcall, active) in cls.saved_lanes.items():
                env.ref(xmlid).write({"nextcall": nextcall, "active": active})

    @classmethod
    def remove_users(cls):
        with cls.committed() as env:
            env["outlook.account"].browse(cls.paused_ids).exists().write({"state": "active"})
            users = env["res.users"].browse(cls.user_ids)
            cls.remove_committed_users(env, users)

    def setUp(self):
        super().setUp()
        for mailbox in self.mailboxes:
            self.emulator.add_mailbox(mailbox)
        with self.committed() as env:
            env["outlook.account"].search([("user_id", "in", self.user_ids)]).unlink()
            due = fields.Datetime.now() - timedelta(minutes=10)
            self.account_ids = [
                self.connect_committed(
                    env, user_id, mailbox, next_sync_at=due - timedelta(seconds=number)
                )
                for number, (user_id, mailbox) in enumerate(
                    zip(self.user_ids, self.mailboxes, strict=True)
                )
            ]
            for xmlid in LANES:
                env.ref(xmlid).write({"nextcall": due, "active": True})

    def run_cron_workers(self, lanes):
        """One thread per lane, released together, each running Odoo's cron runner on it;
        returns what each raised (None when the job ran)."""
        IrCron = self.registry["ir.cron"]
        database = sql_db.db_connect(self.env.cr.dbname)
        lane_ids = [self.env.ref(xmlid).id for xmlid in lanes]
        barrier = threading.Barrier(len(lane_ids))
        outcomes = [None] * len(lane_ids)

        def worker(index, lane_id):
            try:
                with database.cursor() as cron_cr:
                    barrier.wait(timeout=30)
                    job = IrCron._acquire_one_job(cron_cr, lane_id)
                    self.assertTrue(job, "the lane is ready and free")
                    IrCron._process_job(database, cron_cr, job)
            except Exception as error:  # the outcome under test. pylint: disable=broad-except
                outcomes[index] = error

        threads = [
            threading.Thread(target=worker, args=(index, lane_id), name=f"cron-{index}")
            for index, lane_id in enumerate(lane_ids)
        ]
        self.run_threads(threads, timeout=180)
        return outcomes

    def logs(self):
        with self.committed() as env:
            logs = env["outlook.sync.log"].search(
                [("account_id", "in", self.account_ids)], order="id"
            )
            return [(log.account_id.id, log.state) for log in logs]

    def done_by_lane(self):
        with self.committed() as env:
            return [
                sum(
                    env["ir.cron.progress"]
                    .search([("cron_id", "=", env.ref(xmlid).id)])
                    .mapped("done")
                )
                for xmlid in LANES
            ]

    def test_two_cron_workers_share_the_accounts_and_never_sync_one_twice(self):
        """Six due accounts, two lanes run by two workers at once: both workers sync (each
        call a few accounts within its time budget), each account exactly once, committed one
        by one; the runner calls the lanes again while accounts are left."""
        self.emulator.inject_fault(
            "delay", count=MAILBOXES, delay=SLOW_DELTA, path_contains="delta"
        )
        done_before = self.done_by_lane()

        outcomes = self.run_cron_workers(LANES)

        self.assertEqual(outcomes, [None, None])
        logs = self.logs()
        self.assertEqual(sorted(account for account, _state in logs), sorted(self.account_ids))
        self.assertEqual({state for _account, state in logs}, {"done"})
        done = [
            after - before for after, before in zip(self.done_by_lane(), done_before, strict=True)
        ]
        self.assertEqual(sum(done), MAILBOXES)
        self.assertTrue(all(done), f"both workers synced accounts: {done}")
        with self.committed() as env:
            accounts = env["outlook.account"].browse(self.account_ids)
            self.assertFalse(accounts.filtered("is_due"))

    def test_a_throttled_account_does_not_hold_the_workers(self):
        """Microsoft throttles the first account for ten minutes: it is postponed at once,
        never retried in the same cycle, and the other five are synced by the same run."""
        with self.committed() as env:
            throttled = env["outlook.account"].browse(self.account_ids[-1])
            self.assertEqual(env["outlook.account"]._due_accounts()[:1], throttled)
            calendar_id = throttled.calendar_id
        self.emulator.inject_fault(
            "status", count=20, status=429, retry_after=600, path_contains=calendar_id
        )

        outcomes = self.run_cron_workers(LANES[:1])

        self.assertEqual(outcomes, [None])
        logs = dict(self.logs())
        self.assertEqual(logs.pop(self.account_ids[-1]), "failed")
        self.assertEqual(sorted(logs), sorted(self.account_ids[:-1]))
        self.assertEqual(set(logs.values()), {"done"})
        with self.committed() as env:
            throttled = env["outlook.account"].browse(self.account_ids[-1])
            self.assertTrue(throttled.in_backoff)
            self.assertGreaterEqual(
                throttled.next_sync_at, fields.Datetime.now() + timedelta(seconds=590)
            )
        self.assertEqual(
            self.emulator.counters()["faults_applied"], 1, "asked once, then left alone"
        )
