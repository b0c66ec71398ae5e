"""The accounts overview (who sees what, mass actions), resets and notifications."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import ALICE, BOB, FirstSyncCase, outlook_event


@tagged("post_install", "-at_install")
class TestOverview(FirstSyncCase):
    def setUp(self):
        super().setUp()
        self.account._choose_first_sync("two_way", push_attendees=False)
        self.connect("bob", BOB)
        self.bob_account = self.account_of(self.user_bob)
        self.admin = new_test_user(
            self.env, login="settings_admin", groups="base.group_user,base.group_system"
        )
        self.accounts = self.account | self.bob_account

    def test_a_user_sees_and_acts_on_their_own_account_only(self):
        Accounts = self.env["outlook.account"].with_user(self.user_alice)

        self.assertEqual(Accounts.search([]), self.account)
        with self.assertRaises(AccessError):
            self.bob_account.with_user(self.user_alice).read(["state"])
        with self.assertRaises(AccessError):
            self.accounts.with_user(self.user_alice).action_pause()
        with self.assertRaises(AccessError):
            self.bob_account.with_user(self.user_alice).action_forget_links()
        self.assertEqual(self.bob_account.state, "active")

        self.account.with_user(self.user_alice).action_pause()
        self.assertEqual(self.account.state, "paused")

    def test_settings_admin_sees_every_account_and_acts_on_many(self):
        Accounts = self.env["outlook.account"].with_user(self.admin)
        listed = Accounts.search([])
        self.assertEqual(listed & self.accounts, self.accounts)
        self.assertEqual(
            Accounts.search([("id", "in", self.accounts.ids), ("state", "=", "active")]),
            self.accounts,
        )

        listed.filtered(lambda a: a in self.accounts).action_pause()
        self.assertEqual(set(self.accounts.mapped("state")), {"paused"})

        self.accounts.with_user(self.admin).action_resume()
        self.accounts.with_user(self.admin).action_schedule_sync()
        self.assertEqual(set(self.accounts.mapped("state")), {"active"})
        self.assertTrue(all(self.accounts.mapped("sync_requested_at")))

        self.env["outlook.account"]._cron_sync()
        self.env["outlook.account"]._cron_sync()
        self.assertTrue(self.account.last_sync_at and self.bob_account.last_sync_at)

    def test_counts_show_synced_and_failing_events(self):
        self.emulator.create_event(ALICE, outlook_event("One"))
        self.emulator.create_event(ALICE, outlook_event("Two"))
        self.account._sync()
        self.account.link_ids[:1].sudo().error_count = 1

        self.assertEqual(self.account.synced_event_count, 2)
        self.assertEqual(self.account.failing_event_count, 1)
        self.assertEqual(self.bob_account.synced_event_count, 0)


class TestResets(FirstSyncCase):
    def setUp(self):
        super().setUp()
        self.emulator.create_event(ALICE, outlook_event("From Outlook"))
        self.odoo_event("From Odoo")
        self.start(self.open_preview())
        self.assertEqual(len(self.emulator.events(ALICE)), 2)

    def assert_each_once(self):
        for name in ("From Outlook", "From Odoo"):
            self.assertEqual(len(self.events_named(name)), 1, name)
            self.assertEqual(len(self.outlook_events(name)), 1, name)
        self.assertEqual(len(self.account.link_ids), 2)

    def test_rematch_and_resync_creates_nothing_twice(self):
        writes = self.emulator.counters()["writes"]

        self.account.with_user(self.user_alice).action_resync()

        self.assertTrue(self.account.log_ids[0].full_resync)
        self.assertEqual(self.emulator.counters()["writes"], writes)
        self.assert_each_once()

    def test_forget_links_and_reimport_creates_nothing_twice(self):
        self.events_named("From Outlook").name = "Renamed in Odoo"
        self.account.with_user(self.user_alice).action_forget_links()
        self.assertEqual(self.account.state, "preview")
        self.assertFalse(self.account.link_ids.filtered("base"))

        wizard = self.open_preview()
        self.assertEqual((wizard.to_odoo_count, wizard.to_outlook_count), (0, 0))
        self.start(wizard)

        self.assertEqual(self.events_named("Renamed in Odoo"), self.env["calendar.event"])
        self.assert_each_once()
        self.assertTrue(self.account.link_ids.filtered("base"))


class TestNotifications(FirstSyncCase):
    def failure_notices(self):
        self.env.cr.precommit.run()
        return self.env["bus.bus"].sudo().search_count([("message", "like", "Outlook sync failed")])

    def test_a_failing_sync_tells_the_user_once(self):
        self.account._choose_first_sync("two_way", push_attendees=False)
        self.emulator.inject_fault("status", count=10, status=500, path_contains="/delta")
        before = self.failure_notices()

        self.account._sync()
        self.account._sync()

        self.assertEqual(self.account.state, "error")
        self.assertIn("could not be reached", self.account.last_error)
        self.assertEqual(self.failure_notices() - before, 1)

    def test_the_button_says_a_choice_is_waiting(self):
        status = self.env["outlook.account"].with_user(self.user_alice).get_sync_status()
        self.assertEqual(status["state"], "preview")
