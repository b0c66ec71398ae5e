"""Browser tour: after the sign-in the first-sync preview opens, and starts the sync chosen."""

from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from .common import ALICE, TOMORROW, OutlookHttpCase, outlook_event


@tagged("post_install", "-at_install")
class TestFirstSyncTour(OutlookHttpCase):
    def test_preview_opens_after_sign_in_and_starts_the_chosen_sync(self):
        """Just signed in: the Calendar opens the preview; Alice tries the choices and starts
        with the default one (both ways, no attendees emailed)."""
        self.connect("alice", ALICE, choose_default=False)
        today = datetime.utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
        self.emulator.create_event(ALICE, outlook_event("From Outlook", start=today))
        guests = self.env["res.partner"].create(
            [
                {"name": "Carol", "email": "carol@example.org"},
                {"name": "Dave", "email": "dave@example.org"},
            ]
        )
        for name, start, attendees in (
            ("Planning", TOMORROW, guests),
            ("Focus time", TOMORROW + timedelta(days=1), guests.browse()),
            ("Last week", TOMORROW - timedelta(days=8), guests),
        ):
            self.env["calendar.event"].create(
                {
                    "name": name,
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "user_id": self.user_alice.id,
                    "partner_ids": [
                        fields.Command.set((self.user_alice.partner_id | attendees).ids)
                    ],
                }
            )

        self.start_tour("/odoo/calendar", "outlook_calendar_sync_first_sync_tour", login="alice")

        account = self.account_of(self.user_alice)
        self.assertEqual(account.state, "active")
        self.assertEqual(account.sync_mode, "two_way")
        self.assertFalse(account.first_sync_push_attendees)
        self.assertEqual(self.emulator.sent_mail(), [])
        subjects = sorted(ev["subject"] for ev in self.emulator.events(ALICE))
        self.assertEqual(subjects, ["Focus time", "From Outlook", "Planning"])
