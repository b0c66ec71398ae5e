"""The first-sync preview, the sync modes, the window and private events, against the emulator."""

from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import ValidationError

from odoo.addons.calendar.models.calendar_recurrence import weekday_to_field

from .common import ALICE, BOB, TOMORROW, FirstSyncCase, attendee, graph_time, outlook_event, weekly

LAST_WEEK = TOMORROW - timedelta(days=8)


def recipients(mail):
    return sum(len(message["toRecipients"]) for message in mail)


class TestFirstSyncPreview(FirstSyncCase):
    def setUp(self):
        super().setUp()
        self.emulator.create_event(ALICE, outlook_event("From Outlook"))
        self.emulator.create_event(ALICE, outlook_event("Also from Outlook", start=LAST_WEEK))
        self.odoo_event("Past meeting", start=LAST_WEEK, guests=(self.carol, self.dave))
        self.odoo_event("Old review", start=LAST_WEEK - timedelta(days=3), guests=(self.carol,))
        self.odoo_event("Planning", guests=(self.carol, self.dave))
        self.odoo_event("Focus time", start=TOMORROW + timedelta(days=1))

    def test_nothing_is_written_before_the_user_chooses(self):
        """Signed in, no choice yet: the cron and Sync now leave both sides alone, and the
        preview's dry run reads Outlook without writing anywhere."""
        self.account.next_sync_at = False
        self.env["outlook.account"]._cron_sync()
        self.account.action_sync_now()
        writes = self.emulator.counters()["writes"]

        wizard = self.open_preview()

        self.assertEqual(self.emulator.counters()["writes"], writes)
        self.assertEqual(writes, 0)
        self.assertFalse(self.account.log_ids)
        self.assertFalse(self.account.link_ids)
        self.assertFalse(self.account.sudo().delta_link)
        self.assertFalse(self.events_named("From Outlook"))
        self.assertEqual(self.account.state, "preview")
        self.assertEqual((wizard.to_odoo_count, wizard.to_outlook_count), (2, 2))

    def test_default_choice_emails_nobody_and_does_what_the_preview_said(self):
        """Both ways, existing events without attendees: the counts of the dry run are what the
        sync does, on the wire; past meetings with attendees stay in Odoo and nobody is
        emailed."""
        wizard = self.open_preview()
        self.assertEqual(
            (wizard.to_odoo_count, wizard.to_outlook_count, wizard.invited_count),
            (2, 2, 0),
        )
        self.assertEqual(wizard.attendees_held_back, 2)

        log = self.start(wizard)

        self.assertEqual(self.creates_in_outlook(), wizard.to_outlook_count)
        self.assertEqual(log.pushed_created, wizard.to_outlook_count)
        self.assertEqual(log.pulled_created, wizard.to_odoo_count)
        self.assertEqual(len(self.events_named("From Outlook")), 1)
        self.assertEqual(self.emulator.sent_mail(), [])
        self.assertEqual(self.outlook_events("Planning")[0]["attendees"], [])
        self.assertEqual(self.outlook_events("Past meeting"), [])
        self.assertEqual(self.outlook_events("Old review"), [])

    def test_ticking_attendees_invites_exactly_whom_the_preview_announced(self):
        wizard = self.open_preview()
        wizard.push_attendees = True
        self.assertEqual(wizard.invited_count, 2)
        self.assertEqual(wizard.attendees_held_back, 0)

        self.start(wizard, push_attendees=True)

        self.assertEqual(recipients(self.emulator.sent_mail(ALICE)), wizard.invited_count)
        self.assertEqual(self.creates_in_outlook(), wizard.to_outlook_count)
        self.assertEqual(self.outlook_events("Past meeting"), [])

    def test_import_only_never_writes_to_outlook(self):
        self.start_in_mode("import_only", to_odoo=2, to_outlook=0)
        self.odoo_event("Created later")
        self.events_named("From Outlook").name = "Renamed in Odoo"
        self.account._sync()

        self.assertEqual(self.account.sync_mode, "import_only")
        self.assertEqual(self.emulator.counters()["writes"], 0)
        self.assertEqual(len(self.events_named("Also from Outlook")), 1)

    def test_export_only_never_writes_to_odoo_and_outlook_follows_odoo(self):
        self.start_in_mode("export_only", to_odoo=0, to_outlook=2)
        self.assertFalse(self.events_named("From Outlook"))
        planning = self.outlook_events("Planning")[0]
        self.emulator.update_event(ALICE, planning["id"], {"subject": "Edited in Outlook"})
        self.emulator.create_event(ALICE, outlook_event("New in Outlook"))
        events_before = self.env["calendar.event"].search_count([])

        log = self.account._sync()

        self.assertEqual(log.pulled_created + log.pulled_updated + log.pulled_archived, 0)
        self.assertEqual(self.env["calendar.event"].search_count([]), events_before)
        self.assertEqual(self.outlook_events("Planning")[0]["id"], planning["id"])
        self.assertEqual(self.outlook_events("Edited in Outlook"), [])
        self.assertEqual(len(self.outlook_events("New in Outlook")), 1, "left alone")

    def test_choice_holds_for_the_following_syncs(self):
        """After the first sync, new meetings go with their attendees; the past stays put."""
        self.start(self.open_preview())
        self.odoo_event("New meeting", start=TOMORROW + timedelta(days=2), guests=(self.carol,))

        self.account._sync()

        self.assertEqual(recipients(self.emulator.sent_mail(ALICE)), 1)
        self.assertEqual(self.outlook_events("Past meeting"), [])


class TestWindow(FirstSyncCase):
    def test_window_is_validated(self):
        for values in (
            {"sync_past_days": -1},
            {"sync_future_days": 0},
            {"sync_future_days": 5000},
        ):
            with (
                self.subTest(values=values),
                self.assertRaises(ValidationError),
                self.env.cr.savepoint(),
            ):
                self.account.write(values)

    def test_window_decides_what_is_synced_and_can_be_widened(self):
        self.emulator.create_event(
            ALICE, outlook_event("Ten days ago", start=TOMORROW - timedelta(days=11))
        )
        self.emulator.create_event(
            ALICE, outlook_event("Next month", start=TOMORROW + timedelta(days=40))
        )
        self.account.with_user(self.user_alice).write({"sync_past_days": 5, "sync_future_days": 30})
        self.start(self.open_preview())
        self.assertFalse(self.events_named("Ten days ago") | self.events_named("Next month"))

        self.account.with_user(self.user_alice).write(
            {"sync_past_days": 15, "sync_future_days": 60}
        )
        self.assertFalse(self.account.sudo().delta_link, "a new window reads Outlook afresh")
        self.account._sync()

        self.assertEqual(len(self.events_named("Ten days ago")), 1)
        self.assertEqual(len(self.events_named("Next month")), 1)


class TestPrivateEvents(FirstSyncCase):
    def private_event(self, name):
        event = self.odoo_event(name, guests=(self.carol,))
        event.write({"privacy": "private", "location": "Clinic", "description": "<p>x-ray</p>"})
        return event

    def test_private_events_go_as_busy_blocks_without_details(self):
        self.account.private_events = "busy"
        event = self.private_event("Doctor")
        self.start(self.open_preview(), push_attendees=True)

        (block,) = self.outlook_events("Busy")
        self.assertEqual(block["start"]["dateTime"][:19], graph_time(TOMORROW)["dateTime"])
        self.assertEqual(block["attendees"], [])
        self.assertEqual(block["location"]["displayName"], "")
        self.assertNotIn("x-ray", block["body"]["content"])
        self.assertEqual(self.emulator.sent_mail(), [])

        later = TOMORROW + timedelta(hours=3)
        event.write({"name": "Dentist", "start": later, "stop": later + timedelta(hours=1)})
        self.emulator.update_event(ALICE, block["id"], {"subject": "Busy (edited)"})
        self.account._sync()

        (block,) = [ev for ev in self.emulator.events(ALICE) if ev["id"] == block["id"]]
        self.assertEqual(block["start"]["dateTime"][:19], graph_time(later)["dateTime"])
        self.assertNotIn("Dentist", str(block))
        self.assertEqual(event.name, "Dentist", "the placeholder never comes back to Odoo")

    def test_private_events_can_be_skipped(self):
        self.account.private_events = "skip"
        self.private_event("Doctor")
        self.odoo_event("Public meeting")
        self.start(self.open_preview())

        self.assertEqual(self.outlook_events("Doctor") + self.outlook_events("Busy"), [])
        self.assertEqual(len(self.outlook_events("Public meeting")), 1)


class TestFirstSyncOfAnOrganizer(FirstSyncCase):
    def test_meeting_imported_through_an_attendee_is_not_pushed_back(self):
        """Bob organizes a New York meeting with Alice; Alice synced first, so the Odoo event
        was made from her copy. Bob's first sync finds it without a base: Outlook's version
        wins, nothing is written to Outlook, nobody is emailed."""
        self.start(self.open_preview())
        self.connect("bob", BOB, choose_default=False)
        bob_account = self.account_of(self.user_bob)
        start = TOMORROW.replace(hour=15)
        self.emulator.create_event(
            BOB,
            {
                "subject": "Roadmap review",
                "start": graph_time(start - timedelta(hours=5), "Eastern Standard Time"),
                "end": graph_time(start - timedelta(hours=4), "Eastern Standard Time"),
                "body": {"contentType": "text", "content": "Agenda"},
                "attendees": [attendee(ALICE, "Alice")],
            },
        )
        self.emulator.create_event(BOB, outlook_event("Bob alone"))
        self.account._sync()
        # Alice's import is newer than Bob's last edit in Outlook, as it is outside a test (whose
        # single transaction dates every Odoo write at its start).
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE calendar_event SET write_date = %s WHERE name = 'Roadmap review'",
            [datetime.utcnow() + timedelta(minutes=5)],
        )
        self.env.invalidate_all()
        mail_before = len(self.emulator.sent_mail())
        writes = self.emulator.counters()["writes"]

        wizard = self.env["outlook.first.sync.wizard"].browse(
            bob_account.action_open_first_sync_preview()["res_id"]
        )
        self.assertEqual(wizard.to_odoo_count, 1)
        self.assertEqual(wizard.invited_count, 0)
        self.assertEqual(wizard.outlook_updated_count, 0)
        wizard.action_start()

        self.assertEqual(self.emulator.counters()["writes"], writes)
        self.assertEqual(len(self.emulator.sent_mail()), mail_before)
        meeting = self.events_named("Roadmap review")
        self.assertEqual(len(meeting), 1)
        self.assertEqual(meeting.start, start)


class TestFirstSyncOfSeries(FirstSyncCase):
    """A series counts as one event in the preview, as in the sync log, each way."""

    def setUp(self):
        super().setUp()
        self.emulator.create_event(ALICE, outlook_event("Stand-up", recurrence=weekly(5)))
        self.odoo_series = self.env["calendar.event"].create(
            {
                "name": "Team lunch",
                "start": TOMORROW,
                "stop": TOMORROW + timedelta(hours=1),
                "user_id": self.user_alice.id,
                "partner_ids": [fields.Command.set((self.user_alice.partner_id | self.carol).ids)],
                "recurrency": True,
                "rrule_type": "weekly",
                weekday_to_field(TOMORROW.weekday()): True,
                "interval": 1,
                "end_type": "count",
                "count": 4,
                "event_tz": "UTC",
            }
        )

    def test_series_counts_equal_what_the_sync_does(self):
        wizard = self.open_preview()
        wizard.push_attendees = True
        self.assertEqual(
            (wizard.to_odoo_count, wizard.to_outlook_count, wizard.invited_count), (1, 1, 1)
        )

        log = self.start(wizard, push_attendees=True)

        self.assertEqual((log.pulled_created, log.pushed_created), (1, 1))
        self.assertEqual(self.creates_in_outlook(), wizard.to_outlook_count)
        self.assertEqual(recipients(self.emulator.sent_mail(ALICE)), wizard.invited_count)
        self.assertEqual(len(self.events_named("Stand-up")), 5)
        self.assertEqual(len(self.events_named("Stand-up").recurrence_id), 1)

    def test_export_only_leaves_outlook_series_out_of_odoo(self):
        self.start_in_mode("export_only", to_odoo=0, to_outlook=1)

        self.assertFalse(self.events_named("Stand-up"))
        self.assertEqual(self.creates_in_outlook(), 1)
        self.assertEqual(self.emulator.sent_mail(), [])

    def test_private_series_is_not_sent_as_busy_blocks(self):
        self.odoo_series.recurrence_id.calendar_event_ids.write({"privacy": "private"})
        self.account.private_events = "busy"
        wizard = self.open_preview()
        self.assertEqual(wizard.to_outlook_count, 0)

        self.start(wizard)

        self.assertEqual(self.creates_in_outlook(), 0)

    def test_forget_links_and_reimport_duplicates_no_series(self):
        self.start(self.open_preview(), push_attendees=True)
        creates = self.creates_in_outlook()

        self.account.with_user(self.user_alice).action_forget_links()
        wizard = self.open_preview()
        self.assertEqual((wizard.to_odoo_count, wizard.to_outlook_count), (0, 0))
        self.start(wizard)

        self.assertEqual(self.creates_in_outlook(), creates)
        self.assertEqual(len(self.events_named("Stand-up")), 5)
        self.assertEqual(len(self.events_named("Team lunch")), 4)
        masters = [ev for ev in self.emulator.events(ALICE) if ev.get("type") == "seriesMaster"]
        self.assertEqual(sorted(ev["subject"] for ev in masters), ["Stand-up", "Team lunch"])


class TestFirstSyncOfAnOrganizersSeries(FirstSyncCase):
    def test_series_imported_through_an_attendee_is_neither_imported_nor_sent(self):
        """Alice organizes a series with Bob; Bob synced first, so Odoo holds it as Alice's
        recurrence. Alice's preview counts it neither way, and her first sync agrees."""
        bob_copy = attendee(BOB, "Bob")
        self.emulator.create_event(
            ALICE, outlook_event("Stand-up", recurrence=weekly(3), attendees=[bob_copy])
        )
        self.connect("bob", BOB)
        self.account_of(self.user_bob)._sync()
        self.assertEqual(self.events_named("Stand-up").user_id, self.user_alice)
        writes = self.emulator.counters()["writes"]

        wizard = self.open_preview()
        self.assertEqual((wizard.to_odoo_count, wizard.to_outlook_count), (0, 0))
        log = self.start(wizard)

        self.assertEqual((log.pulled_created, log.pushed_created), (0, 0))
        self.assertEqual(self.emulator.counters()["writes"], writes)
        self.assertEqual(len(self.events_named("Stand-up")), 3)
