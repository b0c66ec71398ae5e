"""Single events both ways against the Graph emulator over HTTPS: import and export, edits,
no duplicates after lost answers and replaced copies, failures, the first sync, every synced
field, meetings and replies, the window and the mass-deletion guard."""

from datetime import date, timedelta
from unittest.mock import patch

from odoo import fields, sql_db

from odoo.addons.outlook_calendar_sync.graph_emulator import FakeClock
from odoo.addons.outlook_calendar_sync.models import outlook_account

from .common import (
    ALICE,
    BOB,
    TOMORROW,
    SyncCase,
    assert_lock_waits_for,
    attendee,
    delete_account_row,
    graph_time,
    insert_account_row,
    outlook_all_day_event,
    outlook_event,
)


class TestImportExport(SyncCase):
    def test_outlook_events_are_imported(self):
        self.emulator.create_event(
            ALICE, outlook_event("Planning", location={"displayName": "Room 4"})
        )
        self.emulator.create_event(ALICE, outlook_all_day_event("Offsite", TOMORROW.date(), days=2))

        log = self.sync()

        planning = self.odoo_events("Planning")
        self.assertEqual(len(planning), 1)
        self.assertEqual(planning.start, TOMORROW)
        self.assertEqual(planning.stop, TOMORROW + timedelta(hours=1))
        self.assertEqual(planning.location, "Room 4")
        self.assertEqual(planning.user_id, self.user_alice)
        self.assertEqual(planning.attendee_ids.state, "accepted", "the organizer's own answer")
        offsite = self.odoo_events("Offsite")
        self.assertTrue(offsite.allday)
        self.assertEqual(offsite.start_date, TOMORROW.date())
        self.assertEqual(
            offsite.stop_date, TOMORROW.date() + timedelta(days=1), "inclusive end in Odoo"
        )
        self.assertEqual(log.pulled_created, 2)
        self.assertEqual(len(self.account.link_ids), 2)

    def test_odoo_events_are_exported_once(self):
        event = self.odoo_event("Budget review", description="<p>Bring numbers</p>")

        log = self.sync()

        copies = self.outlook_events("Budget review")
        self.assertEqual(len(copies), 1)
        self.assertEqual(
            copies[0]["start"]["dateTime"][:19], TOMORROW.strftime("%Y-%m-%dT%H:%M:%S")
        )
        self.assertIn("Bring numbers", copies[0]["body"]["content"])
        self.assertEqual(log.pushed_created, 1)
        self.assertEqual(event.outlook_link_ids.graph_id, copies[0]["id"])

    def test_all_day_event_is_exported_midnight_to_midnight(self):
        day = date.today() + timedelta(days=3)
        self.odoo_all_day_event("Holiday", day)

        self.sync()

        copy = self.outlook_events("Holiday")[0]
        self.assertTrue(copy["isAllDay"])
        self.assertEqual(copy["start"]["dateTime"][:10], str(day))
        self.assertEqual(copy["end"]["dateTime"][:10], str(day + timedelta(days=1)))

    def test_quiet_sync_sends_no_write(self):
        """After a sync with no new edits, the next one changes nothing on either side."""
        self.emulator.create_event(ALICE, outlook_event("From Outlook"))
        self.odoo_event("From Odoo")
        self.sync()
        writes_before = self.writes()

        log = self.sync()

        self.assertEqual(self.writes(), writes_before)
        self.assertEqual(
            (log.pulled_created, log.pulled_updated, log.pushed_created, log.pushed_updated),
            (0, 0, 0, 0),
        )
        self.assertFalse(self.account.link_ids.filtered("dirty"))


class TestEdits(SyncCase):
    def setUp(self):
        super().setUp()
        self.outlook = self.emulator.create_event(ALICE, outlook_event("Weekly sync"))
        self.sync()
        self.event = self.odoo_events("Weekly sync")

    def test_outlook_edit_reaches_odoo(self):
        later = TOMORROW + timedelta(hours=3)
        self.emulator.update_event(
            ALICE,
            self.outlook["id"],
            {
                "subject": "Weekly sync (moved)",
                "start": graph_time(later),
                "end": graph_time(later + timedelta(hours=1)),
            },
        )

        log = self.sync()

        self.assertEqual(self.event.name, "Weekly sync (moved)")
        self.assertEqual(self.event.start, later)
        self.assertEqual(log.pulled_updated, 1)
        self.assertEqual(log.pushed_updated, 0, "no echo back to Outlook")

    def test_odoo_edit_reaches_outlook_with_one_patch(self):
        self.event.write({"name": "Weekly sync (renamed)"})
        patches_before = self.emulator.counters()["by_method"].get("PATCH", 0)

        log = self.sync()

        self.assertEqual(self.outlook_events("Weekly sync (renamed)")[0]["id"], self.outlook["id"])
        self.assertEqual(self.emulator.counters()["by_method"].get("PATCH", 0) - patches_before, 1)
        self.assertEqual(log.pushed_updated, 1)
        self.assertEqual(log.pulled_updated, 0, "our own write does not come back as a change")
        writes = self.writes()
        self.sync()
        self.assertEqual(self.writes(), writes)

    def test_a_time_moved_in_odoo_keeps_its_outlook_zone_and_is_not_counted_as_pulled(self):
        """An event Outlook holds in another zone than its organizer's Odoo zone, moved in Odoo,
        while Outlook renames another: the move goes out in the Outlook zone and writes nothing
        back in Odoo, so the log counts one event updated from Outlook, one sent to it."""
        self.user_alice.tz = "Europe/Paris"
        tokyo = TOMORROW + timedelta(hours=9)
        review = self.emulator.create_event(
            ALICE,
            {
                "subject": "Tokyo review",
                "start": graph_time(tokyo, "Asia/Tokyo"),
                "end": graph_time(tokyo + timedelta(hours=1), "Asia/Tokyo"),
            },
        )
        self.sync()
        event = self.odoo_events("Tokyo review")
        event.write(
            {"start": event.start + timedelta(hours=1), "stop": event.stop + timedelta(hours=1)}
        )
        self.emulator.update_event(ALICE, self.outlook["id"], {"subject": "Weekly sync (renamed)"})

        log = self.sync()

        [moved] = [row for row in self.emulator.events(ALICE) if row["id"] == review["id"]]
        self.assertEqual(
            moved["start"]["dateTime"][:19], f"{TOMORROW + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}"
        )
        self.assertEqual(moved["originalStartTimeZone"], "Tokyo Standard Time")
        self.assertEqual(self.event.name, "Weekly sync (renamed)")
        self.assertEqual((log.pulled_updated, log.pushed_updated), (1, 1))
        self.assert_next_sync_sends_nothing("the move does not come back")

    def test_edits_of_different_fields_are_both_kept(self):
        self.event.write({"name": "Renamed in Odoo"})
        self.emulator.update_event(
            ALICE, self.outlook["id"], {"location": {"displayName": "Room 9"}}
        )

        self.sync()

        self.assertEqual((self.event.name, self.event.location), ("Renamed in Odoo", "Room 9"))
        copy = self.emulator.events(ALICE)[0]
        self.assertEqual(
            (copy["subject"], copy["location"]["displayName"]), ("Renamed in Odoo", "Room 9")
        )

    def test_same_field_edited_on_both_sides_newest_wins_and_is_logged(self):
        self.emulator.update_event(ALICE, self.outlook["id"], {"subject": "Outlook title"})
        self.event.write({"name": "Odoo title"})
        self.event.outlook_link_ids.local_modified_at = fields.Datetime.now() + timedelta(minutes=5)

        log = self.sync()

        self.assertEqual(self.event.name, "Odoo title")
        self.assertEqual(self.emulator.events(ALICE)[0]["subject"], "Odoo title")
        self.assertEqual(log.conflict_count, 1)
        self.assertEqual(log.conflicts[0]["outlook"], "Outlook title")
        self.assertEqual(log.conflicts[0]["winner"], "odoo")

    def test_the_user_may_let_outlook_win_conflicts(self):
        self.account.conflict_winner = "outlook"
        self.emulator.update_event(ALICE, self.outlook["id"], {"subject": "Outlook title"})
        self.event.write({"name": "Odoo title"})
        self.event.outlook_link_ids.local_modified_at = fields.Datetime.now() + timedelta(minutes=5)

        log = self.sync()

        self.assertEqual(self.event.name, "Outlook title", "Outlook's, though Odoo's is newer")
        self.assertEqual(self.emulator.events(ALICE)[0]["subject"], "Outlook title")
        self.assertEqual(log.conflicts[0]["winner"], "outlook")
        self.assertEqual(log.conflicts[0]["odoo"], "Odoo title")

    def test_outlook_deletion_archives_the_odoo_event(self):
        self.emulator.delete_event(ALICE, self.outlook["id"])

        log = self.sync()

        self.assertFalse(self.event.active)
        self.assertEqual(log.pulled_archived, 1)
        self.assertFalse(self.account.link_ids)

    def test_odoo_deletion_deletes_the_outlook_event(self):
        self.event.unlink()

        log = self.sync()

        self.assertEqual(self.emulator.events(ALICE), [])
        self.assertEqual(log.pushed_deleted, 1)
        self.assertFalse(self.account.link_ids)


class TestNoDuplicates(SyncCase):
    def test_create_whose_answer_was_lost_is_not_duplicated(self):
        """The connection drops after Graph created the event: the retry creates nothing new."""
        self.odoo_event("Fragile")
        self.emulator.inject_fault("drop_after", method="POST", path_contains="$batch")

        failed = self.account._sync()
        self.assertEqual(failed.state, "failed")
        self.assertEqual(len(self.outlook_events("Fragile")), 1, "Graph did create it")

        self.sync()
        self.sync()

        self.assertEqual(len(self.outlook_events("Fragile")), 1)
        self.assertEqual(len(self.odoo_events("Fragile")), 1)
        self.assertEqual(len(self.account.link_ids), 1)

    def test_odoo_deletion_after_a_lost_create_answer_deletes_the_copy(self):
        """Graph created the event but the answer was lost (no link in Odoo); the user then
        deletes it in Odoo. The untouched Outlook copy is ours
        (its extended property names this database): it is deleted, not imported back."""
        self.odoo_event("Deleted meanwhile")
        self.odoo_event("Archived meanwhile")
        self.emulator.inject_fault("drop_after", method="POST", path_contains="$batch")
        self.assertEqual(self.account._sync().state, "failed")
        self.assertEqual(len(self.outlook_events("Deleted meanwhile")), 1, "Graph did create it")
        self.odoo_events("Deleted meanwhile").unlink()
        self.odoo_events("Archived meanwhile").action_archive()

        log = self.sync()

        self.assertEqual(self.outlook_events("Deleted meanwhile"), [])
        self.assertEqual(self.outlook_events("Archived meanwhile"), [])
        self.assertFalse(self.odoo_events("Deleted meanwhile"))
        self.assertFalse(self.odoo_events("Archived meanwhile").active)
        self.assertEqual((log.pushed_deleted, log.pulled_created), (2, 0))
        self.assertFalse(self.account.link_ids)
        self.assert_next_sync_sends_nothing("the next sync is quiet")

    def test_lost_delta_state_resyncs_without_duplicates(self):
        self.emulator.create_event(ALICE, outlook_event("From Outlook"))
        self.odoo_event("From Odoo")
        self.sync()
        self.emulator.expire_delta_tokens(ALICE)

        log = self.sync()

        self.assertTrue(log.full_resync)
        self.assertEqual(len(self.outlook_events("From Outlook")), 1)
        self.assertEqual(len(self.outlook_events("From Odoo")), 1)
        self.assertEqual(len(self.odoo_events("From Outlook")), 1)
        self.assertEqual(len(self.odoo_events("From Odoo")), 1)
        self.assertEqual(log.pushed_created + log.pulled_created, 0)

    def test_shared_meeting_appears_once_in_odoo(self):
        """Bob organizes in Outlook and invites Alice: whoever syncs first, one Odoo event."""
        self.connect("bob", BOB)
        bob_account = self.account_of(self.user_bob)
        self.emulator.create_event(
            BOB,
            outlook_event(
                "Design review",
                attendees=[attendee(ALICE, "Alice")],
            ),
        )

        self.sync()
        self.sync(bob_account)

        event = self.odoo_events("Design review")
        self.assertEqual(len(event), 1)
        self.assertEqual(event.user_id, self.user_bob)
        self.assertEqual(
            set(event.outlook_link_ids.account_id.ids), {self.account.id, bob_account.id}
        )
        self.assertIn(self.user_alice.partner_id, event.partner_ids)


class TestLostCreateEditedInOutlook(SyncCase):
    emulator_clock = FakeClock()

    def test_outlook_edit_of_a_lost_create_deleted_in_odoo_wins(self):
        """As above, but the user also edited the Outlook copy meanwhile: the edit wins over
        the deletion (DESIGN §3.6) and the event comes back to Odoo, once."""
        self.odoo_event("Edited in Outlook")
        self.emulator.inject_fault("drop_after", method="POST", path_contains="$batch")
        self.assertEqual(self.account._sync().state, "failed")
        self.odoo_events("Edited in Outlook").unlink()
        copy = self.outlook_events("Edited in Outlook")[0]
        self.emulator.advance_clock(60)
        self.emulator.update_event(ALICE, copy["id"], {"location": {"displayName": "Room 9"}})

        self.sync()

        self.assertEqual(len(self.outlook_events("Edited in Outlook")), 1)
        restored = self.odoo_events("Edited in Outlook")
        self.assertEqual(len(restored), 1)
        self.assertEqual(restored.location, "Room 9")


class TestReplacedCopies(SyncCase):
    def test_a_new_outlook_copy_of_a_linked_event_moves_the_link(self):
        """Alice's copy of Bob's meeting comes back under an id her link does not know (a copy
        replaced while its link kept the old id): the link moves; the sync must not fail on
        the one-link-per-mailbox rule."""
        self.connect("bob", BOB)
        alice = attendee(ALICE, "Alice")
        meeting = self.emulator.create_event(BOB, outlook_event("Review", attendees=[alice]))
        self.sync(self.account_of(self.user_bob))
        self.sync()
        link = self.account.link_ids
        copy_id = link.graph_id
        link.graph_id = "an-outlook-copy-that-is-gone"
        self.emulator.update_event(BOB, meeting["id"], {"location": {"displayName": "Room 2"}})

        log = self.sync()

        self.assertNotEqual(log.state, "failed", log.errors)
        self.assertEqual(self.account.link_ids, link)
        self.assertEqual(link.graph_id, copy_id)
        # Found again without a base, Alice's copy leaves Bob's fields to Bob's own link.
        self.sync(self.account_of(self.user_bob))
        self.assertEqual(self.odoo_events("Review").location, "Room 2")


class TestFailures(SyncCase):
    def test_throttled_changes_wait_for_the_next_sync_without_errors(self):
        """Outlook's quota runs out mid-export: the rest is sent by the next sync, no error, no
        duplicate."""
        for n in range(30):
            self.odoo_event(f"Export {n}", start=TOMORROW + timedelta(hours=n))
        self.emulator.set_throttling(True, requests=25, window_seconds=600)

        with patch.object(outlook_account, "GRAPH_MAX_WAIT", 0.0):
            log = self.sync()

        sent = len(self.emulator.events(ALICE))
        self.assertGreater(log.deferred, 0)
        self.assertEqual(sent + log.deferred, 30)
        self.assertEqual(log.error_count, 0)
        self.assertGreater(self.account.next_sync_at, fields.Datetime.now())

        self.emulator.set_throttling(False)
        self.sync()

        self.assertEqual(len(self.emulator.events(ALICE)), 30)
        self.assertEqual(len(self.account.link_ids), 30)

    def test_a_throttled_export_paces_itself_and_the_next_run_meets_no_429(self):
        """Outlook's quota, known to the sync (set here at six times Microsoft's rate, to keep
        the test short): the first 429s tell the sync the quota is spent, the rest of the export
        goes at its rate, whole, in the same run; a second export at once paces from its start
        and meets none."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("outlook_calendar_sync.quota_requests", "6000")
        params.set_param("outlook_calendar_sync.quota_period", "60")
        self.emulator.set_throttling(True, requests=6000, window_seconds=60)
        for n in range(100):
            self.odoo_event(f"Export {n}", start=TOMORROW + timedelta(hours=n))

        first = self.sync()
        met_by_the_first = self.emulator.counters()["throttled"]
        for n in range(40):
            self.odoo_event(f"Second export {n}", start=TOMORROW + timedelta(hours=n))
        second = self.sync()

        self.assertEqual((first.pushed_created, second.pushed_created), (100, 40))
        self.assertEqual((first.deferred, second.deferred, first.error_count), (0, 0, 0))
        # One for each group of 20 in flight, or leaving, when the quota ran out.
        self.assertLessEqual(met_by_the_first, 5)
        self.assertEqual(self.emulator.counters()["throttled"], met_by_the_first)
        self.assertEqual(len(self.emulator.events(ALICE)), 140)

    def test_failing_event_is_retried_later_and_others_go_on(self):
        first = self.emulator.create_event(ALICE, outlook_event("First"))
        self.emulator.create_event(
            ALICE, outlook_event("Second", start=TOMORROW + timedelta(hours=2))
        )
        self.sync()
        self.odoo_events("First").write({"name": "First (edited)"})
        self.odoo_events("Second").write({"name": "Second (edited)"})
        self.emulator.inject_fault("status", status=500, method="PATCH", path_contains=first["id"])

        log = self.sync()

        self.assertEqual(log.state, "partial")
        self.assertEqual(log.error_count, 1)
        self.assertEqual(len(self.outlook_events("Second (edited)")), 1)
        link = self.odoo_events("First (edited)").outlook_link_ids
        self.assertTrue(link.dirty)
        self.assertGreater(link.retry_at, fields.Datetime.now())
        patches = self.emulator.counters()["by_method"].get("PATCH", 0)
        self.sync()
        self.assertEqual(
            self.emulator.counters()["by_method"].get("PATCH", 0), patches, "backing off"
        )

        link.retry_at = fields.Datetime.now() - timedelta(seconds=1)
        self.sync()

        self.assertEqual(len(self.outlook_events("First (edited)")), 1)
        self.assertFalse(link.dirty or link.retry_at or link.last_error)

    def test_revoked_consent_stops_the_sync_and_asks_to_reconnect(self):
        self.emulator.revoke_refresh_tokens(ALICE)
        self.emulator.expire_access_tokens()

        log = self.account._sync()

        self.assertEqual(log.state, "failed")
        self.assertEqual(self.account.state, "needs_reauth")

    def test_throttled_account_waits_for_retry_after(self):
        self.emulator.inject_fault(
            "status", count=20, status=429, retry_after=90, path_contains="/v1.0/"
        )

        log = self.account._sync()

        self.assertEqual(log.state, "failed")
        self.assertEqual(self.account.state, "active")
        self.assertGreater(self.account.next_sync_at, fields.Datetime.now() + timedelta(seconds=60))

    def test_busy_account_is_skipped_by_a_second_worker(self):
        """Two cron workers never sync the same account: the second finds the row locked."""
        database = sql_db.db_connect(self.env.cr.dbname)
        with database.cursor() as setup_cr:
            account_id = insert_account_row(setup_cr, self.env.ref("base.user_admin").id)
            setup_cr.commit()
        self.addCleanup(delete_account_row, database, account_id)
        assert_lock_waits_for(self, database, held=account_id, account_id=account_id)


class TestFirstSync(SyncCase):
    def test_first_sync_emails_nobody_and_leaves_the_past_alone(self):
        """Existing meetings reach Outlook without attendees; past events stay in Odoo only."""
        carol = self.env["res.partner"].create({"name": "Carol", "email": "carol@example.org"})
        self.odoo_event("Existing meeting", guests=(carol,))
        self.odoo_event("Last month", start=TOMORROW - timedelta(days=30))

        self.sync()
        self.sync()

        self.assertEqual(self.emulator.sent_mail(ALICE), [])
        self.assertEqual(self.outlook_events("Existing meeting")[0]["attendees"], [])
        self.assertEqual(self.outlook_events("Last month"), [])
        self.assertEqual(
            self.odoo_events("Existing meeting").partner_ids, self.user_alice.partner_id | carol
        )

    def test_meeting_created_after_the_first_sync_invites_its_attendees(self):
        self.sync()
        carol = self.env["res.partner"].create({"name": "Carol", "email": "carol@example.org"})
        self.odoo_event(
            "New meeting",
            guests=(carol,),
        )

        self.sync()

        attendees = self.outlook_events("New meeting")[0]["attendees"]
        self.assertEqual([a["emailAddress"]["address"] for a in attendees], ["carol@example.org"])
        self.assertEqual(len(self.emulator.sent_mail(ALICE)), 1)

    def test_event_that_failed_after_an_empty_first_sync_is_sent_later(self):
        self.sync()  # nothing in Odoo yet
        self.odoo_event("Retried meeting")
        self.emulator.inject_fault("status", status=500, method="POST", path_contains="/events")
        self.assertTrue(self.sync().errors)

        self.sync()

        self.assertEqual(len(self.outlook_events("Retried meeting")), 1)


class TestFields(SyncCase):
    def test_every_field_reaches_odoo(self):
        self.account.reminder_mode = "both"
        berlin_start = TOMORROW.replace(hour=9)
        self.emulator.create_event(
            ALICE,
            {
                "subject": "Quarterly",
                "body": {"contentType": "html", "content": "<p>Agenda <b>inside</b></p>"},
                "start": graph_time(berlin_start, "W. Europe Standard Time"),
                "end": graph_time(berlin_start + timedelta(hours=2), "W. Europe Standard Time"),
                "location": {"displayName": "Board room"},
                "showAs": "free",
                "sensitivity": "private",
                "isReminderOn": True,
                "reminderMinutesBeforeStart": 30,
                "attendees": [
                    attendee(BOB, "Bob"),
                    attendee("carol@example.org", "Carol", "optional"),
                ],
            },
        )

        self.sync()

        event = self.odoo_events("Quarterly")
        self.assertIn("Agenda", str(event.description))
        self.assertEqual(event.location, "Board room")
        self.assertEqual(event.show_as, "free")
        self.assertEqual(event.privacy, "private")
        self.assertEqual(event.alarm_ids.mapped("duration_minutes"), [30])
        self.assertEqual(
            event.start, berlin_start - timedelta(hours=1), "09:00 Berlin in winter is 08:00 UTC"
        )
        emails = set(event.partner_ids.mapped("email"))
        self.assertEqual(
            emails, {ALICE, BOB, "carol@example.org"}, "the attendee without an email is skipped"
        )
        self.assertIn(self.user_bob.partner_id, event.partner_ids, "a user's own partner is reused")

    def test_every_field_reaches_outlook(self):
        self.account.reminder_mode = "both"
        self.sync()
        self.user_alice.tz = "America/New_York"
        carol = self.env["res.partner"].create({"name": "Carol", "email": "carol@example.org"})
        alarm = self.env["calendar.alarm"].create(
            {"name": "15 min", "alarm_type": "notification", "duration": 15, "interval": "minutes"}
        )
        self.odoo_event(
            "Launch",
            description="<p>Go <i>live</i></p>",
            location="Main hall",
            show_as="free",
            privacy="private",
            alarm_ids=[fields.Command.set(alarm.ids)],
            guests=(carol,),
        )

        self.sync()

        copy = self.outlook_events("Launch")[0]
        self.assertIn("live", copy["body"]["content"])
        self.assertEqual(copy["location"]["displayName"], "Main hall")
        self.assertEqual(copy["showAs"], "free")
        self.assertEqual(copy["sensitivity"], "private")
        self.assertTrue(copy["isReminderOn"])
        self.assertEqual(copy["reminderMinutesBeforeStart"], 15)
        self.assertEqual(copy["originalStartTimeZone"], "Eastern Standard Time")
        self.assertEqual(
            [a["emailAddress"]["address"] for a in copy["attendees"]],
            ["carol@example.org"],
            "the organizer is not sent as an attendee",
        )
        self.assertEqual(len(self.emulator.sent_mail(ALICE)), 1, "one invitation, sent by Outlook")


class TestMeetings(SyncCase):
    def setUp(self):
        super().setUp()
        self.connect("bob", BOB)
        self.bob_account = self.account_of(self.user_bob)
        self.meeting = self.invitation_from_bob("Roadmap")

    def alice_response_at_bob(self):
        return self.response_at(BOB, self.meeting["id"], ALICE)

    def test_attendee_reply_in_odoo_reaches_the_organizer(self):
        self.attendee_of(self.event, self.user_alice).do_accept()

        log = self.sync()

        self.assertEqual(self.alice_response_at_bob(), "accepted")
        self.assertEqual(log.pushed_updated, 1)
        self.assertEqual(
            self.emulator.events(BOB)[0]["subject"], "Roadmap", "details are not pushed"
        )

    def test_attendee_deleting_the_meeting_declines_it(self):
        self.event.unlink()

        self.sync()

        self.assertEqual(self.alice_response_at_bob(), "declined")
        self.assertEqual(len(self.emulator.events(BOB)), 1, "the organizer's meeting stays")


class TestTheSyncsOwnOdooWrites(SyncCase):
    """What the sync writes into Odoo mails nobody (Exchange mails the attendees) and does not
    send its own account back to sync."""

    def setUp(self):
        super().setUp()
        self.sync()
        carol = self.env["res.partner"].create({"name": "Carol", "email": "carol@example.org"})
        self.meeting = self.odoo_event("Planning", guests=(carol,))
        self.sync()
        self.copy = self.outlook_events("Planning")[0]

    def odoo_mails(self, meeting=None):
        """Mails queued, and messages posted on the meeting (flushed first, so the tracking of
        the edits made so far is counted before the sync runs)."""
        self.env.cr.flush()
        messages = self.env["mail.message"].search_count(
            [("model", "=", "calendar.event"), ("res_id", "=", (meeting or self.meeting).id)]
        )
        return self.env["mail.mail"].search_count([]), messages

    def sync_crons_due(self):
        return self.env["ir.cron.trigger"].search_count(
            [("cron_id", "in", self.env["outlook.account"]._sync_crons().ids)]
        )

    def test_a_meeting_moved_in_odoo_is_sent_without_odoo_mail(self):
        later = self.meeting.start + timedelta(hours=2)
        self.meeting.write({"start": later, "stop": later + timedelta(hours=1)})
        mails = self.odoo_mails()

        self.sync()

        start = self.outlook_events("Planning")[0]["start"]["dateTime"]
        self.assertEqual(start[:19], later.isoformat())
        self.assertEqual(self.odoo_mails(), mails)

    def test_a_meeting_made_in_tokyo_time_and_moved_in_odoo_is_sent_without_odoo_mail(self):
        start = TOMORROW + timedelta(hours=1)
        self.emulator.create_event(
            ALICE,
            outlook_event(
                "Tokyo review",
                attendees=[attendee("carol@example.org", "Carol")],
            )
            | {
                "start": graph_time(start + timedelta(hours=9), "Asia/Tokyo"),
                "end": graph_time(start + timedelta(hours=10), "Asia/Tokyo"),
            },
        )
        self.sync()
        review = self.odoo_events("Tokyo review")
        self.assertEqual(review.start, start)
        review.write({"start": start + timedelta(hours=2), "stop": start + timedelta(hours=3)})
        mails = self.odoo_mails(review)

        log = self.sync()

        self.assertEqual(log.pushed_updated, 1)
        self.assertEqual(self.odoo_mails(review), mails)

    def test_a_meeting_moved_in_outlook_reaches_odoo_without_odoo_mail(self):
        later = self.meeting.start + timedelta(hours=3)
        self.emulator.update_event(
            ALICE,
            self.copy["id"],
            {"start": graph_time(later), "end": graph_time(later + timedelta(hours=1))},
        )
        mails = self.odoo_mails()

        self.sync()

        self.assertEqual(self.meeting.start, later)
        self.assertEqual(self.odoo_mails(), mails)

    def test_a_pulled_change_leaves_the_link_clean_and_wakes_no_cron(self):
        self.emulator.update_event(ALICE, self.copy["id"], {"subject": "Planning (renamed)"})
        self.emulator.update_event(ALICE, self.copy["id"], {"location": {"displayName": "Room 4"}})
        self.env["ir.cron.trigger"].search([]).unlink()

        log = self.sync()

        self.assertEqual(log.pulled_updated, 1)
        self.assertEqual(self.meeting.name, "Planning (renamed)")
        self.assertFalse(self.meeting.outlook_link_ids.dirty)
        self.assertEqual(self.sync_crons_due(), 0)


class TestWindowAndScheduling(SyncCase):
    def test_event_moved_out_of_the_window_is_moved_not_archived(self):
        outlook = self.emulator.create_event(ALICE, outlook_event("Far away"))
        self.sync()
        far = TOMORROW + timedelta(days=400)
        self.emulator.update_event(
            ALICE,
            outlook["id"],
            {"start": graph_time(far), "end": graph_time(far + timedelta(hours=1))},
        )

        self.sync()

        event = self.odoo_events("Far away")
        self.assertTrue(event.active)
        self.assertEqual(event.start, far)

    def test_a_users_changes_go_to_outlook_at_the_next_cron_call(self):
        """Not at the account's next interval: an event Alice makes, then one she edits, reach
        Outlook at the cron call her change brings forward; a failing account keeps its
        backoff."""
        self.emulator.create_event(ALICE, outlook_event("Soon"))
        self.sync()
        self.account.next_sync_at = fields.Datetime.now() + timedelta(minutes=5)
        accounts = self.env["outlook.account"]
        lanes = accounts._sync_crons()
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "in", lanes.ids)])
        self.assertNotIn(self.account, accounts._due_accounts())

        self.env["calendar.event"].with_user(self.user_alice).create(
            {"name": "Made in Odoo", "start": TOMORROW, "stop": TOMORROW + timedelta(hours=1)}
        )

        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "in", lanes.ids)]),
            triggers + len(lanes),
            "every lane woken",
        )
        self.assertIn(self.account, accounts._due_accounts())
        accounts._cron_sync()
        self.assertEqual(len(self.outlook_events("Made in Odoo")), 1)
        self.assertNotIn(self.account, accounts._due_accounts(), "sent: due at its interval")

        self.odoo_events("Soon").with_user(self.user_alice).write({"name": "Sooner"})
        self.assertIn(self.account, accounts._due_accounts())
        accounts._cron_sync()
        self.assertEqual(len(self.outlook_events("Sooner")), 1)

        self.account.sync_failures = 1
        self.odoo_events("Sooner").with_user(self.user_alice).write({"name": "Soonest"})
        self.assertNotIn(self.account, accounts._due_accounts(), "its backoff holds")

    def test_local_edit_brings_the_next_sync_forward(self):
        self.emulator.create_event(ALICE, outlook_event("Soon"))
        self.sync()
        cron = self.env.ref("outlook_calendar_sync.ir_cron_outlook_sync")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

        self.odoo_events("Soon").write({"name": "Sooner"})

        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertEqual(len(triggers), triggers_before + 1)
        self.assertLessEqual(
            max(triggers.mapped("call_at")), fields.Datetime.now() + timedelta(minutes=1)
        )

    def test_cron_syncs_the_account_that_waited_longest(self):
        self.emulator.create_event(ALICE, outlook_event("Via cron"))
        self.account.next_sync_at = fields.Datetime.now() - timedelta(minutes=1)

        self.env["outlook.account"]._cron_sync()

        self.assertEqual(len(self.odoo_events("Via cron")), 1)
        self.assertGreater(self.account.next_sync_at, fields.Datetime.now())


class TestMassDeletionGuard(SyncCase):
    def setUp(self):
        super().setUp()
        self.outlook = [
            self.emulator.create_event(
                ALICE, outlook_event(f"Meeting {n}", start=TOMORROW + timedelta(hours=n))
            )
            for n in range(30)
        ]
        self.sync()

    def test_emptied_outlook_calendar_waits_for_confirmation(self):
        for event in self.outlook:
            self.emulator.delete_event(ALICE, event["id"])

        log = self.account._sync()

        self.assertEqual(log.state, "failed")
        self.assertEqual(self.account.state, "paused")
        self.assertEqual(self.account.pending_deletions, 30)
        self.assertIn("nothing was deleted", self.account.last_error)
        self.assertEqual(len(self.odoo_events("Meeting 0").filtered("active")), 1)

        self.account.action_confirm_deletions()

        self.assertEqual(self.account.state, "active")
        self.assertFalse(self.account.pending_deletions or self.account.confirm_mass_deletion)
        self.assertFalse(self.env["calendar.event"].search([("name", "=like", "Meeting %")]))

    def test_mass_deletion_in_odoo_does_not_reach_outlook_unconfirmed(self):
        self.env["calendar.event"].search([("name", "=like", "Meeting %")]).unlink()

        self.account._sync()

        self.assertEqual(len(self.emulator.events(ALICE)), 30)
        self.assertEqual(self.account.state, "paused")

    def test_a_few_deletions_go_through(self):
        for event in self.outlook[:5]:
            self.emulator.delete_event(ALICE, event["id"])

        log = self.sync()

        self.assertEqual(log.pulled_archived, 5)
        self.assertEqual(self.account.state, "active")
