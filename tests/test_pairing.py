"""First-sync pairing: events already on both sides are linked, never copied, never mailed."""

from datetime import timedelta

from odoo.tests import tagged

from .common import (
    ALICE,
    GUEST,
    TOMORROW,
    PairingCase,
    attendee,
    daily,
    outlook_all_day_event,
    outlook_event,
)


@tagged("post_install", "-at_install")
class TestFirstSyncPairing(PairingCase):
    def test_events_on_both_sides_are_paired_not_copied(self):
        """The same meetings in Odoo and Outlook (subjects in another case and spacing, one
        all-day, one with an attendee on both sides): linked one to one, nothing created
        anywhere, nobody mailed; what is only in Outlook is imported."""
        day = TOMORROW.date() + timedelta(days=2)
        odoo_events = (
            self.odoo_event("Budget review")
            | self.odoo_event("Weekly sync", start=TOMORROW + timedelta(hours=3))
            | self.odoo_all_day_event("Offsite", day)
            | self.odoo_event(
                "Partner call",
                start=TOMORROW + timedelta(days=1),
                guests=(self.env["res.partner"].create({"name": "Guest", "email": GUEST}),),
            )
        )
        copies = [
            self.emulator.create_event(ALICE, outlook_event("budget review")),
            self.emulator.create_event(
                ALICE, outlook_event("  Weekly   Sync", TOMORROW + timedelta(hours=3))
            ),
            self.emulator.create_event(ALICE, outlook_all_day_event("Offsite", day)),
            self.emulator.create_event(
                ALICE,
                outlook_event(
                    "Partner call",
                    TOMORROW + timedelta(days=1),
                    attendees=[attendee(GUEST, "Guest")],
                ),
            ),
        ]
        self.emulator.create_event(
            ALICE, outlook_event("Only in Outlook", TOMORROW + timedelta(days=3))
        )
        mails = self.mails()

        log = self.sync()

        self.assertEqual(self.outlook_creates(), 0)
        self.assertEqual(self.mails(), mails, "pairing mails nobody")
        self.assertEqual(log.paired, 4)
        self.assertEqual((log.pulled_created, log.pushed_created), (1, 0))
        self.assertEqual(
            [self.linked_graph_id(event) for event in odoo_events], [c["id"] for c in copies]
        )
        self.assertEqual(len(self.account.link_ids), 5)
        self.assertEqual(len(self.odoo_events("Only in Outlook")), 1)
        self.assertEqual(odoo_events[0].name, "budget review", "the newer spelling wins")
        self.assert_no_duplicates()
        self.assert_next_sync_sends_nothing("a pair is settled by its first sync")

    def test_same_subject_at_two_times_pairs_each_with_its_own(self):
        morning = self.odoo_event("Standup")
        evening = self.odoo_event("Standup", start=TOMORROW + timedelta(hours=8))
        late = self.emulator.create_event(
            ALICE, outlook_event("Standup", TOMORROW + timedelta(hours=8))
        )
        early = self.emulator.create_event(ALICE, outlook_event("Standup"))

        log = self.sync()

        self.assertEqual(log.paired, 2)
        self.assertEqual(self.linked_graph_id(morning), early["id"])
        self.assertEqual(self.linked_graph_id(evening), late["id"])
        self.assertEqual(self.outlook_creates(), 0)
        self.assert_no_duplicates()

    def test_two_identical_odoo_events_are_not_guessed(self):
        """Two Odoo events match one Outlook event: none is linked, none is copied either way;
        the log names them for the user."""
        twins = self.odoo_event("Standup") | self.odoo_event("Standup")
        self.emulator.create_event(ALICE, outlook_event("Standup"))

        log = self.sync()

        self.assertFalse(twins.outlook_link_ids)
        self.assertEqual(self.outlook_creates(), 0)
        self.assertEqual(len(self.odoo_events("Standup")), 2, "the Outlook event was not imported")
        self.assertEqual(len(self.outlook_events("Standup")), 1)
        self.assertEqual(log.paired, 0)
        self.assertEqual(log.ambiguous, [{"event": "Standup", "odoo": 2, "outlook": 1}])

    def test_two_identical_outlook_events_are_not_guessed(self):
        event = self.odoo_event("Standup")
        self.emulator.create_event(ALICE, outlook_event("Standup"))
        self.emulator.create_event(ALICE, outlook_event("Standup"))

        log = self.sync()

        self.assertFalse(event.outlook_link_ids)
        self.assertEqual(len(self.odoo_events("Standup")), 1)
        self.assertEqual(self.outlook_creates(), 0)
        self.assertEqual(log.ambiguous, [{"event": "Standup", "odoo": 1, "outlook": 2}])

    def test_all_day_event_is_not_a_timed_one(self):
        day = TOMORROW.date() + timedelta(days=2)
        offsite = self.odoo_all_day_event("Offsite", day)
        timed = self.emulator.create_event(
            ALICE,
            {
                "subject": "Offsite",
                "start": {"dateTime": f"{day}T00:00:00", "timeZone": "UTC"},
                "end": {"dateTime": f"{day + timedelta(days=1)}T00:00:00", "timeZone": "UTC"},
            },
        )

        log = self.sync()

        self.assertEqual(log.paired, 0)
        self.assertNotEqual(self.linked_graph_id(offsite), timed["id"])
        imported = self.odoo_events("Offsite") - offsite
        self.assertFalse(imported.allday)
        self.assertEqual(imported.outlook_link_ids.graph_id, timed["id"])

    def test_outlook_edit_made_before_the_first_sync_wins_and_is_logged(self):
        event = self.odoo_event("Review", location="Room 1")
        copy = self.emulator.create_event(
            ALICE, outlook_event("Review", location={"displayName": "Room 2"})
        )

        log = self.sync()

        self.assertEqual(self.linked_graph_id(event), copy["id"])
        self.assertEqual(event.location, "Room 2")
        self.assertEqual(
            [
                (c["odoo"], c["outlook"], c["winner"])
                for c in log.conflicts
                if c["field"] == "location"
            ],
            [("Room 1", "Room 2", "outlook")],
        )
        self.assertEqual(self.writes(), 0)

    def test_odoo_edit_made_before_the_first_sync_wins_and_is_logged(self):
        event = self.odoo_event("Review", location="Room 1")
        copy = self.emulator.create_event(
            ALICE, outlook_event("Review", location={"displayName": "Room 2"})
        )
        self.edit_later_in_odoo(event)
        mails = self.mails()

        log = self.sync()

        self.assertEqual(self.linked_graph_id(event), copy["id"])
        self.assertEqual(self.outlook_events("Review")[0]["location"]["displayName"], "Room 1")
        self.assertEqual(log.pushed_updated, 1)
        self.assertEqual([c["winner"] for c in log.conflicts if c["field"] == "location"], ["odoo"])
        self.assertEqual(self.outlook_creates(), 0)
        self.assertEqual(self.mails(), mails)

    def test_pairing_keeps_each_sides_attendees(self):
        """An Odoo meeting whose Outlook copy has no attendees (copied by hand, or pushed without
        them): paired; Odoo keeps its attendees and Outlook invites nobody."""
        guest = self.env["res.partner"].create({"name": "Guest", "email": GUEST})
        event = self.odoo_event(
            "Partner call",
            guests=(guest,),
        )
        copy = self.emulator.create_event(ALICE, outlook_event("Partner call"))

        self.sync()

        self.assertEqual(self.linked_graph_id(event), copy["id"])
        self.assertEqual(self.outlook_creates(), 0)
        self.assertIn(guest, event.partner_ids)
        self.assertEqual(self.outlook_events("Partner call")[0]["attendees"], [])
        self.assertEqual(self.mails(), 0)

    def test_occurrences_of_a_series_never_pair_with_single_events(self):
        """Series pair with series: an Outlook occurrence is never taken for an
        Odoo single event of the same subject and time."""
        single = self.odoo_event("Stand-up")
        self.emulator.create_event(
            ALICE,
            outlook_event(
                "Stand-up",
                recurrence=daily(3),
            ),
        )

        log = self.sync()

        self.assertEqual(log.paired, 0)
        occurrences = self.account.link_ids.filtered("series_master_id")
        self.assertEqual(len(occurrences), 3)
        self.assertNotIn(single, occurrences.event_id)


@tagged("post_install", "-at_install")
class TestPairingAfterTheFirstSync(PairingCase):
    def test_the_who_wins_setting_decides_a_pair_found_later(self):
        """A copy made by hand on each side after the first sync: paired, and the field they
        hold differently goes to the side the account's setting names, not to the newer one."""
        self.sync()
        self.account.conflict_winner = "outlook"
        event = self.odoo_event("Review", location="Room 1")
        copy = self.emulator.create_event(
            ALICE, outlook_event("Review", location={"displayName": "Room 2"})
        )
        self.edit_later_in_odoo(event)

        log = self.sync()

        self.assertEqual(self.linked_graph_id(event), copy["id"])
        self.assertEqual(event.location, "Room 2")
        self.assertEqual(self.outlook_events("Review")[0]["location"]["displayName"], "Room 2")
        self.assertEqual(
            [(c["event"], c["winner"]) for c in log.conflicts if c["field"] == "location"],
            [("Review", "outlook")],
        )
        self.assertEqual(self.outlook_creates(), 0)
        self.assert_next_sync_sends_nothing("the pair is settled")
