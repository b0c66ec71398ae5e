"""Outlook categories need MailboxSettings (the master category list): the sign-in asks for it;
an account whose token lacks it (connected before, or not granted) syncs everything else,
says so once, and gets the list back when a reconnect grants it."""

from urllib.parse import urlsplit

from odoo import fields
from odoo.tests import tagged

from .common import ALICE, SyncCase, outlook_event

WITHOUT_MAILBOX_SETTINGS = ["Calendars.ReadWrite", "User.Read"]
MASTER_LIST = "/me/outlook/masterCategories"


@tagged("post_install", "-at_install")
class TestCategoriesPermission(SyncCase):
    def setUp(self):
        super().setUp()
        self.travel = self.env["calendar.event.type"].create({"name": "Travel", "color": 4})

    def reconnect(self, granted=None):
        """Alice signs in again, consenting to ``granted`` only (None: all that is asked)."""
        redirect = urlsplit(self.emulator.sign_in(ALICE, self.start_sign_in("alice"), granted))
        response = self.url_open(f"{redirect.path}?{redirect.query}", allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.account.invalidate_recordset()
        if self.account.state == "preview":
            self.account._choose_first_sync("two_way", push_attendees=False)

    def master_list(self):
        return {
            category["displayName"]: category["color"]
            for category in self.emulator.store.mailbox(ALICE).categories.values()
        }

    def calls(self, method, path=MASTER_LIST):
        return self.emulator.counters()["by_path"].get(f"{method} {path}", 0)

    def permission_notices(self, log):
        return [n for n in log.notices or [] if "MailboxSettings" in n["reason"]]

    def test_tagged_events_sync_with_their_colours(self):
        """Against an emulator that enforces Microsoft's permission tables, the sign-in's
        token reads and adds to the master list."""
        self.emulator.add_master_category(ALICE, "Red", "preset0")
        self.emulator.create_event(ALICE, outlook_event("Review", categories=["Red"]))
        self.odoo_event("Flight", categ_ids=[fields.Command.link(self.travel.id)])

        log = self.sync()

        self.assertEqual(self.outlook_events("Flight")[0]["categories"], ["Travel"])
        self.assertEqual(self.master_list(), {"Red": "preset0", "Travel": "preset10"})
        self.assertEqual(self.odoo_events("Review").categ_ids.mapped("name"), ["Red"])
        self.assertEqual(self.odoo_events("Review").categ_ids.color, 1)
        self.assertFalse(self.permission_notices(log))
        self.assertFalse(self.account.categories_refused)

    def test_without_mailbox_settings_the_rest_syncs_and_says_so_once(self):
        # Alice's consent as the sign-in of an earlier version (or a tenant that did not grant
        # MailboxSettings) left it: no consent but Calendars.ReadWrite and User.Read.
        self.emulator.identity.reset()
        self.reconnect(WITHOUT_MAILBOX_SETTINGS)
        self.emulator.expire_access_tokens(ALICE)  # the refresh asks nothing never granted
        self.emulator.add_master_category(ALICE, "Red", "preset0")
        self.emulator.create_event(ALICE, outlook_event("Review", categories=["Red"]))
        self.odoo_event("Flight", categ_ids=[fields.Command.link(self.travel.id)])

        log = self.sync()

        self.assertEqual(self.account.state, "active")
        self.assertFalse(log.errors)
        self.assertEqual(self.outlook_events("Flight")[0]["categories"], ["Travel"])
        self.assertEqual(self.master_list(), {"Red": "preset0"}, "nothing added to the list")
        self.assertEqual(self.calls("POST"), 0, "no write Microsoft would refuse")
        self.assertEqual(self.odoo_events("Review").categ_ids.mapped("name"), ["Red"])
        self.assertEqual(len(self.permission_notices(log)), 1)
        self.assertTrue(self.account.categories_refused)

        self.odoo_event("Hotel", categ_ids=[fields.Command.link(self.travel.id)])
        again = self.sync()
        self.assertEqual(self.outlook_events("Hotel")[0]["categories"], ["Travel"])
        self.assertFalse(self.permission_notices(again), "said once")
        self.assertTrue(self.account.categories_refused)

        self.reconnect()
        self.assertFalse(self.account.categories_refused)
        clients = self.env["calendar.event.type"].create({"name": "Clients", "color": 10})
        self.odoo_event("Visit", categ_ids=[fields.Command.link(clients.id)])
        after = self.sync()

        self.assertEqual(self.master_list()["Clients"], "preset4")
        self.assertEqual(self.calls("POST"), 1)
        self.assertFalse(self.permission_notices(after))
        self.assertFalse(self.account.categories_refused)
