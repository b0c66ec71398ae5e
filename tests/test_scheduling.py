"""The sync cron with many accounts: who goes first, what waits, what a call does.

These tests run ``_cron_sync`` in the test transaction; tests/test_cron_workers.py runs Odoo's
own cron runner on real connections.
"""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import new_test_user, tagged

from odoo.addons.outlook_calendar_sync.models import outlook_account
from odoo.addons.outlook_calendar_sync.sync import run as sync_run

from .common import ALICE, BOB, TOMORROW, OutlookHttpCase, outlook_event

CAROL = "carol@example.com"


@tagged("post_install", "-at_install")
class TestScheduling(OutlookHttpCase):
    def setUp(self):
        super().setUp()
        self.emulator.add_mailbox(CAROL, display_name="Carol")
        self.user_carol = new_test_user(
            self.env, login="carol", groups="base.group_user", email=CAROL, name="Carol"
        )
        for login, mailbox in (("alice", ALICE), ("bob", BOB), ("carol", CAROL)):
            self.connect(login, mailbox)
        self.alice, self.bob, self.carol = (
            self.account_of(user) for user in (self.user_alice, self.user_bob, self.user_carol)
        )
        self.accounts = self.alice | self.bob | self.carol
        # Other tests' accounts stay out of the way: only these three are due.
        others = self.env["outlook.account"].search([("id", "not in", self.accounts.ids)])
        others.write({"state": "paused"})
        now = fields.Datetime.now()
        for minutes, account in ((30, self.alice), (20, self.bob), (10, self.carol)):
            account.next_sync_at = now - timedelta(minutes=minutes)

    def logs(self, account):
        return self.env["outlook.sync.log"].search([("account_id", "=", account.id)])

    def synced(self):
        return self.accounts.filtered(self.logs)

    def test_each_call_takes_the_longest_waiting_account_first(self):
        """With no time left after one account, a call syncs only the one that waited
        longest, and says how many are left."""
        self.env["outlook.account"]._cron_sync(time_budget=0)
        self.assertEqual(self.synced(), self.alice)

        self.env["outlook.account"]._cron_sync(time_budget=0)
        self.assertEqual(self.synced(), self.alice | self.bob)

    def test_a_call_syncs_every_due_account_while_time_is_left_and_each_once(self):
        self.env["outlook.account"]._cron_sync(time_budget=3600)

        self.assertEqual([len(self.logs(account)) for account in self.accounts], [1, 1, 1])
        self.assertFalse(self.env["outlook.account"]._due_accounts())
        self.assertTrue(all(self.accounts.mapped(lambda a: a.next_sync_at > a.last_sync_at)))

    def test_a_call_that_leaves_accounts_due_wakes_every_lane(self):
        """Odoo runs one cron job on one worker at a time: each lane (a cron job running
        ``_cron_sync``) is one more worker. Accounts left due wake all of them."""
        lanes = self.env["outlook.account"]._sync_crons()
        self.assertEqual(
            lanes,
            self.env.ref("outlook_calendar_sync.ir_cron_outlook_sync")
            | self.env.ref("outlook_calendar_sync.ir_cron_outlook_sync_lane_2"),
        )
        Trigger = self.env["ir.cron.trigger"]
        before = {lane: Trigger.search_count([("cron_id", "=", lane.id)]) for lane in lanes}

        self.env["outlook.account"]._cron_sync(time_budget=0)

        for lane in lanes:
            self.assertEqual(Trigger.search_count([("cron_id", "=", lane.id)]), before[lane] + 1)

    def test_sync_asked_for_goes_before_the_accounts_merely_due(self):
        """The overview's Sync now (and a change Microsoft notified) jumps the queue: Carol's
        account, due last, is served first; then the queue goes on, oldest first."""
        self.carol.action_schedule_sync()
        self.assertTrue(self.carol.sync_requested_at)

        self.env["outlook.account"]._cron_sync(time_budget=0)

        self.assertEqual(self.synced(), self.carol)
        self.assertFalse(self.carol.sync_requested_at)
        self.assertGreater(self.carol.next_sync_at, fields.Datetime.now())
        self.env["outlook.account"]._cron_sync(time_budget=0)
        self.assertEqual(self.synced(), self.carol | self.alice)

    def test_sync_now_is_served_in_the_request_whatever_the_queue(self):
        """A user's Sync now does not wait for the cron: it syncs in the request, even when
        the account is not due and others are."""
        self.carol.next_sync_at = fields.Datetime.now() + timedelta(minutes=4)
        self.emulator.create_event(CAROL, outlook_event("Now please"))

        self.carol.with_user(self.user_carol).action_sync_now()

        self.assertEqual(self.synced(), self.carol)
        self.assertTrue(self.env["calendar.event"].search([("name", "=", "Now please")]))

    def test_what_the_users_sync_now_brings_in_does_not_make_the_account_due(self):
        """The events a sync asked for by the user creates are the user's, newer than the sync's
        start, but linked already: only an event the user creates in Odoo makes it due."""
        scheduler = self.env["outlook.account"]._scheduler()
        self.carol.with_user(self.user_carol).action_sync_now()
        self.emulator.create_event(CAROL, outlook_event("Brought in"))

        self.carol.with_user(self.user_carol).action_sync_now()

        brought = self.env["calendar.event"].search([("name", "=", "Brought in")])
        self.assertEqual(brought.create_uid, self.user_carol)
        self.assertNotIn(self.carol, scheduler.accounts_with_local_changes())
        self.env["calendar.event"].with_user(self.user_carol).create(
            {"name": "Made in Odoo", "start": TOMORROW, "stop": TOMORROW + timedelta(hours=1)}
        )
        self.assertIn(self.carol, scheduler.accounts_with_local_changes())

    def test_throttled_account_waits_and_does_not_delay_the_others(self):
        """Microsoft throttles Alice's mailbox for ten minutes: her account waits at least that
        long, counted as in backoff, and Bob and Carol are synced in the same call."""
        self.emulator.inject_fault(
            "status",
            count=50,
            status=429,
            retry_after=600,
            path_contains=self.alice.calendar_id,
        )

        self.env["outlook.account"]._cron_sync(time_budget=3600)

        self.assertEqual(self.logs(self.alice).state, "failed")
        self.assertEqual(self.logs(self.bob).state, "done")
        self.assertEqual(self.logs(self.carol).state, "done")
        self.assertGreaterEqual(
            self.alice.next_sync_at, fields.Datetime.now() + timedelta(seconds=590)
        )
        self.assertEqual(self.alice.sync_failures, 1)
        Accounts = self.env["outlook.account"]
        self.assertEqual(Accounts.search([("in_backoff", "=", True)]), self.alice)
        self.assertFalse(Accounts._due_accounts())

    def test_failing_account_backs_off_longer_at_each_failure_and_recovers(self):
        self.emulator.inject_fault(
            "status", count=200, status=500, path_contains=self.bob.calendar_id
        )
        waits = []
        for _attempt in range(3):
            self.bob.next_sync_at = fields.Datetime.now() - timedelta(seconds=1)
            started = fields.Datetime.now()
            self.env["outlook.account"]._cron_sync(time_budget=3600)
            waits.append(round((self.bob.next_sync_at - started).total_seconds() / 60))

        self.assertEqual(waits, [5, 10, 20])
        self.assertEqual((self.bob.state, self.bob.sync_failures), ("error", 3))
        self.assertEqual(len(self.logs(self.alice)), 1, "the others were synced once, on time")

        self.emulator.clear_faults()
        self.bob.next_sync_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env["outlook.account"]._cron_sync(time_budget=3600)
        self.assertEqual((self.bob.state, self.bob.sync_failures), ("active", 0))
        self.assertFalse(self.bob.in_backoff)

    def test_an_unexpected_error_postpones_that_account_only(self):
        """A defect or a database conflict while syncing Alice is rolled back and logged;
        Bob and Carol are synced all the same."""
        self.emulator.create_event(ALICE, outlook_event("Never half-imported"))

        apply_locally = sync_run.SyncRun._apply_locally

        def broken_run(run, *plan):
            if run.account == self.alice:
                raise ValueError("boom")
            return apply_locally(run, *plan)

        with (
            patch.object(sync_run.SyncRun, "_apply_locally", broken_run),
            self.assertLogs(outlook_account.__name__, "ERROR") as logged,
        ):
            self.env["outlook.account"]._cron_sync(time_budget=3600)

        self.assertIn(f"Outlook account {self.alice.id}: the sync failed", logged.output[0])

        self.assertEqual(self.logs(self.alice).state, "failed")
        self.assertIn("boom", self.alice.last_error)
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Never half-imported")]))
        self.assertEqual(self.alice.sync_failures, 1)
        self.assertEqual(self.logs(self.bob).state, "done")
        self.assertEqual(self.logs(self.carol).state, "done")

    def test_quiet_run_costs_one_graph_request_and_figures_are_kept(self):
        self.emulator.create_event(ALICE, outlook_event("Once"))
        self.alice._sync()
        before = self.emulator.counters()["total"]

        log = self.alice._sync()

        self.assertEqual(self.emulator.counters()["total"] - before, 1)
        self.assertEqual(log.graph_requests, 1)
        self.assertEqual(self.alice.last_sync_requests, 1)
        self.assertGreater(log.duration, 0)
        self.assertEqual(self.alice.last_sync_duration, log.duration)

    def test_overview_counts_due_late_and_in_backoff_accounts(self):
        Accounts = self.env["outlook.account"]
        now = fields.Datetime.now()
        self.alice.next_sync_at = now - timedelta(minutes=11)
        self.bob.next_sync_at = now - timedelta(minutes=9)
        self.carol.write({"next_sync_at": now + timedelta(minutes=20), "sync_failures": 2})

        self.assertEqual(Accounts.search([("is_due", "=", True)]), self.alice | self.bob)
        self.assertEqual(Accounts.search([("is_late", "=", True)]), self.alice)
        self.assertEqual(
            Accounts.search([("is_late", "=", False), ("id", "in", self.accounts.ids)]),
            self.bob | self.carol,
        )
        self.assertEqual(Accounts.search([("in_backoff", "=", True)]), self.carol)
        self.assertEqual(self.accounts.mapped("is_late"), [True, False, False])
        self.assertEqual(self.accounts.mapped("in_backoff"), [False, False, True])


@tagged("post_install", "-at_install")
class TestBigFirstRead(OutlookHttpCase):
    """A huge calendar's first read is time-boxed: each run reads a few pages, syncs them, and
    the next run reads on from Graph's nextLink; no page is read twice."""

    def setUp(self):
        super().setUp()
        self.connect("alice", ALICE)
        self.account = self.account_of(self.user_alice)
        for number in range(25):
            self.emulator.create_event(
                ALICE, outlook_event(f"Big {number:02}", start=TOMORROW + timedelta(hours=number))
            )
        self.only_in_odoo = self.env["calendar.event"].create(
            {
                "name": "Only in Odoo",
                "start": TOMORROW + timedelta(days=3),
                "stop": TOMORROW + timedelta(days=3, hours=1),
                "user_id": self.user_alice.id,
            }
        )
        patcher = patch.multiple(sync_run, DELTA_PAGE_SIZE=10, FIRST_READ_PAGE_BUDGET=1)
        patcher.start()
        self.addCleanup(patcher.stop)

    def imported(self):
        return self.env["calendar.event"].search_count([("name", "=like", "Big %")])

    def delta_requests(self):
        by_path = self.emulator.counters()["by_path"]
        return sum(count for path, count in by_path.items() if "delta" in path)

    def test_first_read_goes_on_where_it_stopped_and_reads_each_page_once(self):
        runs = []
        while not self.account.first_synced_at:
            self.assertLess(len(runs), 5, "the read never ends")
            log = self.account._sync()
            runs.append(
                (
                    self.imported(),
                    self.delta_requests(),
                    log.read_unfinished,
                    len(self.emulator.events(ALICE)),
                )
            )
            if log.read_unfinished:
                self.assertLessEqual(self.account.next_sync_at, fields.Datetime.now())
                self.assertTrue(self.account.is_due, "due again, behind the others")

        # 10 + 10 + 5 events, one delta page a run; Odoo's own event waits for the whole read
        # (its copy might have been on a later page), then goes to Outlook once.
        self.assertEqual(runs, [(10, 1, True, 25), (20, 2, True, 25), (25, 3, False, 26)])
        self.assertFalse(self.account.delta_link_unfinished)
        self.assertEqual(len(self.account.link_ids), 26)
        self.assertEqual(
            len([e for e in self.emulator.events(ALICE) if e["subject"] == "Only in Odoo"]), 1
        )

        log = self.account._sync()
        self.assertEqual((log.graph_requests, log.read_unfinished), (1, False))
        self.assertEqual(self.imported(), 25)

    def test_a_synced_calendar_is_always_read_whole(self):
        """Once events are linked, a full read (a lost delta state) must see every event to
        confirm removals: it has no page budget."""
        while not self.account.first_synced_at:
            self.account._sync()
        self.emulator.expire_delta_tokens(ALICE)
        before = self.delta_requests()

        log = self.account._sync()

        self.assertTrue(log.full_resync)
        self.assertFalse(log.read_unfinished)
        self.assertEqual(self.delta_requests() - before, 1 + 3, "the 410, then all 3 pages")
        self.assertEqual(self.imported(), 25)
