"""All-day series and time zones as Graph sends them, against the Graph emulator over HTTPS.

Graph's ``originalStart`` of an all-day occurrence is midnight of its date in the series'
recurrence time zone, in UTC (microsoft-graph-docs issues #2804, #5828): east of UTC its UTC
date is the day before. A legacy custom zone comes as ``tzone://Microsoft/Custom``.
"""

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from odoo.tests import tagged

from .common import ALICE, TOMORROW, SeriesCase, outlook_all_day_event, weekly

ZONES = (
    ("America/Los_Angeles", "Pacific Standard Time"),
    ("Europe/Brussels", "Romance Standard Time"),
    ("Asia/Tokyo", "Tokyo Standard Time"),
    ("Pacific/Auckland", "New Zealand Standard Time"),
)
DAY = TOMORROW.date()


def next_dst_change(zone_name):
    """The first day after tomorrow whose noon has another UTC offset than the day before."""
    zone, day = ZoneInfo(zone_name), DAY
    while (
        datetime.combine(day, time(12), zone).utcoffset()
        == datetime.combine(day + timedelta(days=1), time(12), zone).utcoffset()
    ):
        day += timedelta(days=1)
    return day + timedelta(days=1)


@tagged("post_install", "-at_install")
class TestAllDaySeriesInTimeZones(SeriesCase):
    def in_zone(self, iana, windows):
        """The user's Odoo zone and the mailbox's preferred zone."""
        self.user_alice.tz = iana
        self.emulator.set_mailbox_time_zone(ALICE, windows)

    def odoo_all_day_series(self, name, zone):
        return self.odoo_series(
            name,
            4,
            allday=True,
            start=datetime.combine(DAY, time(8)),
            stop=datetime.combine(DAY, time(18)),
            event_tz=zone,
        )

    def outlook_all_day_series(self, name, windows):
        recurrence = weekly(4)
        recurrence["range"]["recurrenceTimeZone"] = windows
        return self.emulator.create_event(
            ALICE,
            outlook_all_day_event(name, DAY, zone=windows, recurrence=recurrence),
        )

    def test_odoo_all_day_series_pairs_every_occurrence_in_every_zone(self):
        """Pushed from each zone, the series is one master whose every occurrence is linked to
        its Odoo event, nothing comes back as a single event, and edits go both ways."""
        self.sync()
        for iana, windows in ZONES:
            with self.subTest(zone=iana):
                self.in_zone(iana, windows)
                name = f"Offsite {iana}"
                recurrence = self.odoo_all_day_series(name, iana).recurrence_id

                log = self.sync()

                self.assertEqual(log.pushed_created, 1, "one series master")
                rows = self.outlook_occurrences(name)
                self.assertEqual([row["type"] for row in rows], ["occurrence"] * 4)
                self.assertEqual(
                    [row["start"]["dateTime"][:10] for row in rows],
                    [str(DAY + timedelta(weeks=n)) for n in range(4)],
                )
                events = recurrence.calendar_event_ids.sorted("start_date")
                self.assertEqual(len(self.odoo_events(name)), 4, "no occurrence came back")
                self.assertEqual(
                    [len(event.outlook_link_ids) for event in events], [1, 1, 1, 1], "paired"
                )
                self.assertEqual(
                    set(events.outlook_link_ids.mapped("graph_id")), {row["id"] for row in rows}
                )
                self.assert_quiet()

                events[1].write({"name": f"{name} (Odoo)"})
                self.emulator.update_event(ALICE, rows[2]["id"], {"subject": f"{name} (Outlook)"})
                self.sync()

                self.assertEqual(
                    [
                        row["subject"]
                        for row in self.outlook_occurrences()
                        if iana in row["subject"]
                    ],
                    [name, f"{name} (Odoo)", f"{name} (Outlook)", name],
                )
                self.assertEqual(events[2].name, f"{name} (Outlook)")
                self.assertEqual(len(recurrence.calendar_event_ids), 4)
                self.assert_quiet()
                self.assert_no_duplicates()

    def test_outlook_all_day_series_with_exception_and_cancellation_imports_in_every_zone(self):
        """Made in Outlook in each zone with one occurrence renamed and one deleted, the series
        is one Odoo recurrence with its exception and the cancelled event archived; no
        "other dates" notice, and edits go both ways."""
        for iana, windows in ZONES:
            with self.subTest(zone=iana):
                self.in_zone(iana, windows)
                name = f"Retreat {iana}"
                master = self.outlook_all_day_series(name, windows)
                rows = self.outlook_occurrences(name)
                self.emulator.update_event(ALICE, rows[1]["id"], {"subject": f"{name} (board)"})
                self.emulator.delete_event(ALICE, rows[2]["id"])

                log = self.sync()

                notices = log.notices or []
                self.assertFalse([n for n in notices if "other dates" in n["reason"]], notices)
                events = (self.odoo_events(name) | self.odoo_events(f"{name} (board)")).sorted(
                    "start_date"
                )
                self.assertEqual(len(events.recurrence_id), 1, "one recurrence")
                self.assertEqual(
                    [(event.name, event.active, event.start_date) for event in events],
                    [
                        (name, True, DAY),
                        (f"{name} (board)", True, DAY + timedelta(weeks=1)),
                        (name, False, DAY + timedelta(weeks=2)),
                        (name, True, DAY + timedelta(weeks=3)),
                    ],
                )
                active = events.filtered("active")
                self.assertEqual([len(event.outlook_link_ids) for event in active], [1, 1, 1])
                self.assertEqual(
                    set(active.outlook_link_ids.mapped("series_master_id")), {master["id"]}
                )
                self.assert_quiet()

                active[2].write({"name": f"{name} (Odoo)"})
                rows = self.outlook_occurrences()
                first = next(row for row in rows if row["subject"] == name)
                self.emulator.update_event(ALICE, first["id"], {"subject": f"{name} (Outlook)"})
                self.sync()

                self.assertEqual(
                    [
                        row["subject"]
                        for row in self.outlook_occurrences()
                        if iana in row["subject"]
                    ],
                    [f"{name} (Outlook)", f"{name} (board)", f"{name} (Odoo)"],
                )
                self.assertEqual(active[0].name, f"{name} (Outlook)")
                self.assertEqual(len(self.odoo_events(f"{name} (Odoo)")), 1)
                self.assert_quiet()
                self.assert_no_duplicates()


@tagged("post_install", "-at_install")
class TestCustomTimeZones(SeriesCase):
    """``tzone://Microsoft/Custom`` is read as the mailbox's own zone, never as UTC."""

    def setUp(self):
        super().setUp()
        self.user_alice.tz = "UTC"
        self.emulator.set_mailbox_time_zone(ALICE, "Romance Standard Time")

    def test_timed_series_in_a_custom_zone_does_not_drift_at_dst(self):
        change = next_dst_change("Europe/Brussels")
        start = datetime.combine(change - timedelta(days=7), time(10))
        self.emulator.create_event(
            ALICE,
            {
                "subject": "Team call",
                "start": {"dateTime": f"{start:%Y-%m-%dT%H:%M:%S}", "timeZone": "Europe/Brussels"},
                "end": {
                    "dateTime": f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}",
                    "timeZone": "Europe/Brussels",
                },
                "recurrence": weekly(3, day=start.strftime("%A").lower(), start=start),
            },
            custom_zone=True,
        )

        log = self.sync()

        events = self.odoo_events("Team call").sorted("start")
        self.assertEqual(len(events.recurrence_id), 1, log.notices)
        self.assertEqual(events.recurrence_id.event_tz, "Europe/Paris", "the mailbox's zone")
        brussels = ZoneInfo("Europe/Brussels")
        self.assertEqual(
            [ev.start.replace(tzinfo=timezone.utc).astimezone(brussels).hour for ev in events],
            [10, 10, 10],
            "10:00 in Brussels on both sides of the change",
        )
        self.assertEqual([len(ev.outlook_link_ids) for ev in events], [1, 1, 1])
        by_path = self.emulator.counters()["by_path"]
        self.assertEqual(by_path.get("GET /me/mailboxSettings/timeZone"), 1, "read once")
        self.assert_quiet()
        self.assert_no_duplicates()

    def test_moving_an_event_in_a_custom_zone_keeps_the_users_zone(self):
        created = self.emulator.create_event(
            ALICE,
            {
                "subject": "Dentist",
                "start": {
                    "dateTime": f"{TOMORROW:%Y-%m-%dT}10:00:00",
                    "timeZone": "Europe/Brussels",
                },
                "end": {"dateTime": f"{TOMORROW:%Y-%m-%dT}11:00:00", "timeZone": "Europe/Brussels"},
            },
            custom_zone=True,
        )
        self.sync()
        event = self.odoo_events("Dentist")

        event.write(
            {"start": event.start + timedelta(hours=1), "stop": event.stop + timedelta(hours=1)}
        )
        self.sync()

        [outlook] = self.outlook_events("Dentist")
        self.assertEqual(outlook["id"], created["id"])
        self.assertEqual(outlook["originalStartTimeZone"], "Romance Standard Time", "not UTC")
        self.assertEqual(outlook["start"]["dateTime"][11:16], (event.start).strftime("%H:%M"))
        self.assert_quiet()
