"""Reinstall, reconnect, another mailbox: every event is found again, none is copied twice."""

from datetime import timedelta

from odoo.tests import tagged

from .common import ALICE, GUEST, TOMORROW, PairingCase, daily, outlook_event

NEW_MAILBOX = "alice@contoso.example"


@tagged("post_install", "-at_install")
class TestReconnect(PairingCase):
    def setUp(self):
        super().setUp()
        guest = self.env["res.partner"].create({"name": "Guest", "email": GUEST})
        self.from_odoo = self.odoo_event("Budget review") | self.odoo_event(
            "Partner call",
            start=TOMORROW + timedelta(days=1),
            guests=(guest,),
        )
        self.emulator.create_event(ALICE, outlook_event("Planning", TOMORROW + timedelta(days=2)))
        self.sync()
        self.from_outlook = self.odoo_events("Planning")
        self.events = self.from_odoo | self.from_outlook
        self.graph_ids = {event: self.linked_graph_id(event) for event in self.events}
        self.creates, self.sent = self.outlook_creates(), self.mails()

    def assert_found_again(self, log):
        """Every event linked to the Outlook copy it had, nothing created or mailed."""
        self.assertEqual(self.outlook_creates(), self.creates, "nothing created in Outlook")
        self.assertEqual(self.mails(), self.sent, "nobody mailed")
        self.assertEqual(log.pulled_created, 0, "nothing imported again")
        self.assertEqual(len(self.account.link_ids), 3)
        self.assertEqual(
            {event: self.linked_graph_id(event) for event in self.events}, self.graph_ids
        )
        self.assert_no_duplicates()

    def test_reinstall_relinks_every_event(self):
        """Uninstalling drops the accounts and links (the events stay on both sides); after the
        reinstall, the user connects again: the events this database sent are found by our
        extended property, the ones from Outlook as the same meetings. (dev/switch_check.py
        uninstalls and reinstalls the addon for real.)"""
        self.account.unlink()
        self.connect("alice", ALICE)
        self.account = self.account_of(self.user_alice)

        log = self.sync()

        self.assert_found_again(log)
        self.assertEqual(log.paired, 3)
        partner_call = self.from_odoo[1]
        self.assertEqual(len(partner_call.partner_ids), 2, "Odoo keeps the attendees")
        self.assertEqual(self.outlook_events("Partner call")[0]["attendees"], [])

    def test_disconnect_and_reconnect_the_same_mailbox(self):
        self.account.action_disconnect()
        self.connect("alice", ALICE)

        log = self.sync()

        self.assert_found_again(log)
        self.assertEqual(log.pushed_created + log.pushed_updated + log.pulled_updated, 0)

    def test_reconnect_after_the_links_were_lost(self):
        """The worst case of a reconnection: links gone, delta state gone."""
        self.account.link_ids.unlink()
        self.account.write({"delta_link": False, "first_synced_at": False})

        log = self.sync()

        self.assert_found_again(log)

    def test_another_mailbox_starts_afresh_and_the_former_one_keeps_its_events(self):
        """Disconnect A, connect B: A's events stay in Odoo, unlinked, and in A, untouched;
        B's first sync pairs what B already holds and imports the rest."""
        self.emulator.create_event(
            ALICE,
            outlook_event(
                "Stand-up",
                TOMORROW + timedelta(hours=2),
                recurrence=daily(3),
            ),
        )
        self.sync()
        standups = self.odoo_events("Stand-up")
        self.assertEqual(len(standups), 3)
        self.emulator.add_mailbox(NEW_MAILBOX, "Alice")
        in_b = self.emulator.create_event(NEW_MAILBOX, outlook_event("Budget review"))
        self.emulator.create_event(
            NEW_MAILBOX, outlook_event("Only in B", TOMORROW + timedelta(days=3))
        )
        a_before = sorted(ev["id"] for ev in self.emulator.events(ALICE))
        writes_to_a = self.emulator.counters()["by_mailbox"].get(ALICE, 0)

        self.account.action_disconnect()
        self.connect("alice", NEW_MAILBOX)
        log = self.sync()

        self.assertEqual(self.account.mailbox_address, NEW_MAILBOX)
        self.assertEqual(sorted(ev["id"] for ev in self.emulator.events(ALICE)), a_before)
        self.assertEqual(self.emulator.counters()["by_mailbox"].get(ALICE, 0), writes_to_a)
        self.assertTrue(all((self.events | standups).mapped("active")), "nothing archived")
        self.assertEqual(self.linked_graph_id(self.from_odoo[0]), in_b["id"], "paired in B")
        self.assertEqual(len(self.odoo_events("Only in B")), 1)
        self.assertEqual(log.paired, 1)
        self.assertNotIn(
            self.graph_ids[self.from_outlook],
            self.account.link_ids.mapped("graph_id"),
            "A's links are gone",
        )
        series_links = self.env["outlook.series.link"].search(
            [("account_id", "=", self.account.id)]
        )
        self.assertFalse(set(series_links.mapped("graph_id")) & set(a_before), "and A's series")
        self.assertEqual(len(self.outlook_events("Budget review", NEW_MAILBOX)), 1)
        self.assertEqual(self.mails(), self.sent, "nobody mailed")
