"""Bad input from Graph: broken JSON, missing, null and mistyped properties, unknown
time zones, broken series, huge bodies, a thousand attendees, junk items in a delta page.

The emulator serves the events as Graph would, then a ``rewrite`` fault corrupts one of them on
the wire (the store keeps the good version). Whatever the corruption, the sync must record a
clear error for that event in its log, sync the other events, and delete nothing on either
side; once Graph sends sane data again, the next syncs converge.
"""

from datetime import timedelta, timezone

from odoo.tests import tagged

from .common import ALICE, TOMORROW, SyncCase, attendee, daily, graph_time, outlook_event

TEN_MB = 10 * 1024 * 1024


@tagged("post_install", "-at_install")
class BadInputCase(SyncCase):
    def setUp(self):
        super().setUp()
        self.odoo_event("Kept from Odoo")
        self.emulator.create_event(ALICE, outlook_event("Kept from Outlook"))
        self.assertEqual(self.account._sync().state, "done")
        self.assertEqual(len(self.account.link_ids), 2)
        self.synced_before = self.env["calendar.event"].search([])

    def odoo_names(self):
        events = self.env["calendar.event"].with_context(active_test=False).search([])
        return {event.name for event in events if event.active}

    def outlook_subjects(self):
        return {event["subject"] for event in self.emulator.events(ALICE)}

    def rewrite_delta(self, **fault):
        """The next delta reply, as the sync reads it, is changed by ``fault`` (``edits`` of its
        events, raw items to ``append``, or a raw ``body``)."""
        self.emulator.inject_fault("rewrite", path_contains="/delta", **fault)

    def sync_with_corruption(self, fault, *, bad_name):
        """Sync once with ``fault`` on the delta reply: the other events go through, nothing is
        deleted, the log names ``bad_name``. Returns the log."""
        deletes = self.emulator.counters()["by_method"].get("DELETE", 0)
        self.rewrite_delta(**fault)

        log = self.account._sync()

        self.env.invalidate_all()
        self.assertEqual(log.state, "partial", log.errors)
        self.assertTrue(
            any(bad_name in error["event"] and error["reason"] for error in log.errors),
            log.errors,
        )
        self.assertIn("Good news", self.odoo_names(), "the other events are synced")
        self.assert_nothing_deleted(deletes)
        return log

    def assert_nothing_deleted(self, deletes_before):
        self.assertLessEqual({"Kept from Odoo", "Kept from Outlook"}, self.odoo_names())
        self.assertLessEqual({"Kept from Odoo", "Kept from Outlook"}, self.outlook_subjects())
        self.assertEqual(self.emulator.counters()["by_method"].get("DELETE", 0), deletes_before)
        self.synced_before.invalidate_recordset()
        self.assertTrue(all(self.synced_before.mapped("active")), "nothing archived in Odoo")
        linked = self.account.link_ids.event_id
        self.assertEqual(linked & self.synced_before, self.synced_before, "links kept")

    def assert_converges(self, bad_name):
        """Graph sends the event sanely again (edited in Outlook): it arrives, once."""
        copy = next(ev for ev in self.emulator.events(ALICE) if ev["subject"] == bad_name)
        self.emulator.update_event(ALICE, copy["id"], {"location": {"displayName": "Room 1"}})
        self.assertEqual(self.account._sync().state, "done")
        event = self.env["calendar.event"].search([("name", "=", bad_name)])
        self.assertEqual(len(event), 1)
        self.assertEqual(event.location, "Room 1")
        quiet = self.account._sync()
        self.assertEqual((quiet.pushed_updated, quiet.pulled_updated), (0, 0))


class TestCorruptEvents(BadInputCase):
    """One new Outlook event arrives corrupted beside a good one; one test per corruption
    (``CORRUPTIONS``), added below the class."""

    def check_corruption(self, label, edit):
        bad = self.emulator.create_event(ALICE, outlook_event(f"Bad: {label}"))
        self.emulator.create_event(ALICE, outlook_event("Good news"))
        self.rewrite_delta(edits={bad["id"]: edit})

        log = self.account._sync()

        self.env.invalidate_all()
        self.assertNotEqual(log.state, "failed", log.errors)
        self.assertIn("Good news", self.odoo_names())
        self.assert_nothing_deleted(0)
        imported = self.env["calendar.event"].search([("name", "like", "Bad: ")])
        logged = [error for error in log.errors or () if bad["id"] in error["event"]]
        # Refused with a logged reason, or read as a sane event Odoo can hold: never both,
        # never neither (silently dropped).
        self.assertTrue(
            bool(logged and logged[0]["reason"]) != bool(imported),
            (log.errors, imported.mapped("name")),
        )
        if logged:
            self.assert_converges(f"Bad: {label}")


CORRUPTIONS = {
    "missing_start": {"unset": ["start"]},
    "missing_end": {"unset": ["end"]},
    "null_start": {"set": {"start": None}},
    "null_date_time": {"set": {"start": {"dateTime": None, "timeZone": "UTC"}}},
    "null_body_location_organizer_attendees": {
        "set": {
            "body": None,
            "location": None,
            "organizer": None,
            "attendees": None,
            "showAs": None,
            "sensitivity": None,
        }
    },
    "unknown_time_zone": {
        "set": {"start": {"dateTime": TOMORROW.isoformat(), "timeZone": "Mars/Olympus"}}
    },
    "start_not_an_object": {"set": {"start": "tomorrow at ten"}},
    "garbage_date": {"set": {"start": {"dateTime": "31/02/2026 25:61", "timeZone": "UTC"}}},
    "end_before_start": {"set": {"end": graph_time(TOMORROW - timedelta(days=3))}},
    "all_day_flag_a_string": {"set": {"isAllDay": "yes"}},
    "subject_a_number": {"set": {"subject": 42}},
    "body_a_string": {"set": {"body": "<p>plain</p>"}},
    "location_a_list": {"set": {"location": ["Room 1"]}},
    "attendees_a_string": {"set": {"attendees": "everyone"}},
    "attendee_without_address": {"set": {"attendees": [{"emailAddress": None}, 7]}},
    "show_as_a_number": {"set": {"showAs": 7}},
    "sensitivity_a_list": {"set": {"sensitivity": ["private"]}},
    "reminder_out_of_range": {"set": {"isReminderOn": True, "reminderMinutesBeforeStart": 10**12}},
    "reminder_not_a_number": {"set": {"isReminderOn": True, "reminderMinutesBeforeStart": "soon"}},
    "ical_uid_a_list": {"set": {"iCalUId": ["uid-1", "uid-2"]}},
    "change_key_an_object": {"set": {"changeKey": {"key": 1}}},
    "last_modified_a_number": {"set": {"lastModifiedDateTime": 5}},
    "type_unknown": {"set": {"type": "hologram"}},
    "cancelled_flag_a_string": {"set": {"isCancelled": "no"}},
}


def _corruption_test(label, edit):
    def test(self):
        self.check_corruption(label, edit)

    test.__doc__ = f"An Outlook event with {label.replace('_', ' ')}: logged, others synced."
    return test


for _label, _edit in CORRUPTIONS.items():
    setattr(TestCorruptEvents, f"test_{_label}", _corruption_test(_label, _edit))


class TestBrokenReplies(BadInputCase):
    def test_malformed_json_fails_the_run_cleanly(self):
        """A delta page that is not JSON: the run stops with a clear error, nothing is written
        on either side and the delta link stays; the next run, with sane data, catches up."""
        self.emulator.create_event(ALICE, outlook_event("Good news"))
        delta_link = self.account.sudo().delta_link
        writes = self.emulator.counters()["writes"]
        self.rewrite_delta(body='{"value": [{"id": ')

        log = self.account._sync()

        self.assertEqual(log.state, "failed")
        self.assertIn("not valid JSON", self.account.last_error)
        self.assertEqual(self.account.sudo().delta_link, delta_link)
        self.assertEqual(self.emulator.counters()["writes"], writes)
        self.assert_nothing_deleted(0)
        self.assertEqual(self.account._sync().state, "done")
        self.assertIn("Good news", self.odoo_names())

    def test_page_that_is_not_an_object_fails_the_run_cleanly(self):
        for body in ("[]", '"text"', "null", '{"value": 5}'):
            with self.subTest(body=body):
                self.rewrite_delta(body=body)
                log = self.account._sync()
                self.assertEqual(log.state, "failed")
                self.assertTrue(self.account.last_error)
                self.assert_nothing_deleted(0)

    def test_junk_items_in_a_page_are_logged_and_skipped(self):
        self.emulator.create_event(ALICE, outlook_event("Good news"))
        junk = ["not an event", 42, None, [], {"subject": "no id"}, {"id": 123}]

        self.sync_with_corruption({"append": junk}, bad_name="?")

    def test_removed_marker_of_a_linked_event_with_junk_does_not_delete(self):
        """``@removed`` with a junk reason for a linked event that still exists: a GET confirms
        it is there, nothing is archived."""
        kept = next(
            ev for ev in self.emulator.events(ALICE) if ev["subject"] == "Kept from Outlook"
        )
        self.emulator.create_event(ALICE, outlook_event("Good news"))
        self.rewrite_delta(
            append=[{"id": kept["id"], "@removed": "gone?"}],
        )

        log = self.account._sync()

        self.assertNotEqual(log.state, "failed", log.errors)
        self.assert_nothing_deleted(0)


class TestBrokenSeries(BadInputCase):
    def create_series(self, subject):
        """A daily series of three in Alice's mailbox: (master, its occurrence rows)."""
        master = self.emulator.create_event(
            ALICE,
            outlook_event(
                subject,
                recurrence=daily(3),
            ),
        )
        start = TOMORROW.replace(tzinfo=timezone.utc)
        rows = self.emulator.calendar_view(
            ALICE, start - timedelta(days=1), start + timedelta(days=5)
        )
        return master, [row for row in rows if row.get("seriesMasterId") == master["id"]]

    def test_invalid_recurrence_harms_nothing_else(self):
        """The master's recurrence is nonsense: the occurrences Graph lists are read (they are
        what Outlook shows) or the series is logged; the rest syncs, nothing is deleted."""
        master, rows = self.create_series("Bad series")
        self.assertEqual(len(rows), 3)
        self.emulator.create_event(ALICE, outlook_event("Good news"))
        nonsense = {"pattern": {"type": "fortnightly", "interval": -1}, "range": None}
        self.rewrite_delta(
            edits={master["id"]: {"set": {"recurrence": nonsense}}},
        )

        log = self.account._sync()

        self.assertNotEqual(log.state, "failed", log.errors)
        self.assertIn("Good news", self.odoo_names())
        self.assert_nothing_deleted(0)
        imported = self.env["calendar.event"].search([("name", "=", "Bad series")])
        logged = [error for error in log.errors or () if master["id"] in error["event"]]
        self.assertTrue(bool(logged) != bool(imported), (log.errors, len(imported)))

    def test_occurrence_without_start_skips_its_series_only(self):
        master, rows = self.create_series("Broken series")
        self.emulator.create_event(ALICE, outlook_event("Good news"))
        self.rewrite_delta(edits={rows[1]["id"]: {"unset": ["start"]}})

        log = self.account._sync()

        self.assertEqual(log.state, "partial", log.errors)
        self.assertTrue(any(master["id"] in error["event"] for error in log.errors), log.errors)
        self.assertIn("Good news", self.odoo_names())
        self.assert_nothing_deleted(0)
        self.assertFalse(
            self.env["calendar.event"]
            .with_context(active_test=False)
            .search([("name", "=", "Broken series")]),
            "a series read in part is not imported (nor archived) in part",
        )
        self.emulator.clear_faults()
        self.account._sync()
        self.account.delta_link = False
        self.account._sync()
        self.assertEqual(
            len(self.env["calendar.event"].search([("name", "=", "Broken series")])), 3
        )


class TestHugeEvents(BadInputCase):
    def test_a_ten_megabyte_body_is_imported_once_and_not_echoed(self):
        body = "<p>" + "x" * (TEN_MB // 2) + "</p><p>" + "y" * (TEN_MB // 2) + "</p>"
        self.emulator.create_event(
            ALICE, outlook_event("Huge", body={"contentType": "html", "content": body})
        )
        self.emulator.create_event(ALICE, outlook_event("Good news"))
        writes = self.emulator.counters()["writes"]

        log = self.account._sync()

        self.assertNotEqual(log.state, "failed", log.errors)
        huge = self.env["calendar.event"].search([("name", "=", "Huge")])
        self.assertEqual(len(huge), 1)
        self.assertGreater(len(huge.description or ""), TEN_MB // 2)
        self.assertIn("Good news", self.odoo_names())
        quiet = self.account._sync()
        self.assertEqual((quiet.pushed_updated, quiet.pulled_updated), (0, 0))
        self.assertEqual(self.emulator.counters()["writes"], writes, "no 10 MB echo")

    def test_a_thousand_attendees_are_imported_once(self):
        """Outlook caps meetings at 500 attendees; Graph sends 1,000 anyway (rewritten on the
        wire): they are imported once, nobody is emailed, the next sync is quiet."""
        attendees = [attendee(f"guest{n}@example.org", f"Guest {n}") for n in range(1000)]
        crowd = self.emulator.create_event(ALICE, outlook_event("All hands"))
        self.emulator.create_event(ALICE, outlook_event("Good news"))
        self.rewrite_delta(
            edits={crowd["id"]: {"set": {"attendees": attendees}}},
        )

        log = self.account._sync()

        self.assertNotEqual(log.state, "failed", log.errors)
        event = self.env["calendar.event"].search([("name", "=", "All hands")])
        self.assertEqual(len(event.attendee_ids), 1001, "the guests and Alice")
        self.assertIn("Good news", self.odoo_names())
        writes = self.emulator.counters()["writes"]
        quiet = self.account._sync()
        self.assertEqual((quiet.pushed_updated, quiet.pulled_updated), (0, 0))
        self.assertEqual(self.emulator.counters()["writes"], writes)
        self.assertEqual(self.emulator.sent_mail(), [], "nobody was emailed")
