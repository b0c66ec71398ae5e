"""What a sync costs follows what changed, not what the calendar holds.

A quiet sync (Outlook's delta empty, nothing edited in Odoo) is the run every account makes
every few minutes: on a calendar five times bigger it must read no more Odoo events and make no
more queries. The planner is kept from sequential scans, as it is on a big table (on these small
test tables it would scan them whole, whatever the query), and its statistics are brought up to
date: a query that reads every event of the user then shows as many rows read as the calendar
holds.
"""

from datetime import timedelta

from odoo.tests import new_test_user, tagged

from .common import ALICE, TOMORROW, SeriesCase, SyncCase, attendee, outlook_event, weekly

SERIES_EVERY = 10
"""One item in ten is a weekly series of three."""
ROWS_SLACK = 10
"""Rows an index scan may fetch at the edge of its range (the calendar grows by 200 events)."""
QUERIES_SLACK = 2
"""Queries an ORM cache Odoo emptied meanwhile may cost (the calendar grows by 16 series)."""
QUIET_SYNC_QUERIES = 22
"""Queries a quiet sync makes at most: the account's lock, its sign-in and token, the delta link,
the dirty links and series, the changed events and recurrences, the log (21 when measured, one
for a cache Odoo emptied)."""


@tagged("post_install", "-at_install")
class TestQuietSyncCost(SeriesCase):
    def add_outlook_calendar(self, first, count):
        """``count`` Outlook items numbered from ``first``: single events spread over the
        window's next months, and weekly series."""
        for index in range(first, first + count):
            start = TOMORROW + timedelta(days=index % 200, hours=index % 6)
            extra = {}
            if index % SERIES_EVERY == 0:
                extra["recurrence"] = weekly(3, day=start.strftime("%A").lower(), start=start)
            self.emulator.create_event(ALICE, outlook_event(f"Item {index}", start=start, **extra))

    def event_rows_read(self):
        """calendar_event rows this transaction read so far (sequential and index scans)."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)
                 FROM pg_stat_xact_user_tables
                WHERE relname = 'calendar_event'"""
        )
        return self.env.cr.fetchone()[0]

    def quiet_sync_cost(self):
        """(calendar_event rows read, queries made) by one quiet sync, the planner's statistics
        up to date (as autovacuum keeps them on a real database)."""
        self.env.flush_all()
        self.env.cr.execute(
            "ANALYZE calendar_event, calendar_recurrence, outlook_event_link, outlook_series_link"
        )
        self.env.invalidate_all()
        rows, queries = self.event_rows_read(), self.env.cr.sql_log_count
        writes = self.writes()
        log = self.sync()
        cost = (self.event_rows_read() - rows, self.env.cr.sql_log_count - queries)
        self.assertEqual(self.writes(), writes, "a quiet sync sends nothing")
        self.assertEqual(log.graph_requests, 1, "a quiet sync reads one delta page")
        return cost

    def test_a_quiet_sync_costs_no_more_on_a_calendar_five_times_bigger(self):
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.add_outlook_calendar(0, 40)
        self.sync()
        self.sync()
        small_rows, small_queries = self.quiet_sync_cost()

        self.add_outlook_calendar(40, 160)
        self.sync()
        self.sync()
        big_rows, big_queries = self.quiet_sync_cost()

        series_links = self.env["outlook.series.link"].search_count(
            [("account_id", "=", self.account.id)]
        )
        self.assertEqual(series_links, 20)
        self.assertLessEqual(big_rows, small_rows + ROWS_SLACK, "rows of calendar_event read")
        self.assertLessEqual(big_queries, small_queries + QUERIES_SLACK, "queries")

    def test_a_quiet_sync_makes_only_the_queries_it_needs(self):
        self.add_outlook_calendar(0, 40)
        self.sync()
        self.sync()

        _rows, queries = self.quiet_sync_cost()

        self.assertLessEqual(queries, QUIET_SYNC_QUERIES, "queries")

    def test_the_sync_after_an_import_costs_what_a_quiet_sync_does(self):
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.sync()
        self.add_outlook_calendar(0, 40)
        self.sync()
        imported = self.env["outlook.event.link"].search_count(
            [("account_id", "=", self.account.id)]
        )
        after_import_rows, after_import_queries = self.quiet_sync_cost()
        _quiet_rows, quiet_queries = self.quiet_sync_cost()

        # The events the import created are newer than its start, yet not new to the next
        # sync: an index scan may meet each once to find it linked, nothing reads them.
        self.assertLessEqual(after_import_rows, imported + ROWS_SLACK, "rows of calendar_event")
        self.assertLessEqual(after_import_queries, quiet_queries + QUERIES_SLACK, "queries")


@tagged("post_install", "-at_install")
class TestImportCost(SyncCase):
    def invitations_from_colleagues(self, first, count):
        """``count`` meetings inviting Alice, each organized by another colleague who is an
        Odoo user."""
        for index in range(first, first + count):
            address = f"colleague{index}@example.com"
            self.emulator.add_mailbox(address)
            new_test_user(self.env, login=f"colleague{index}", email=address)
            self.emulator.create_event(
                address,
                outlook_event(
                    f"Meeting {index}",
                    start=TOMORROW + timedelta(days=index),
                    attendees=[attendee(ALICE, "Alice")],
                ),
            )

    def import_user_searches(self, first, count):
        """Import ``count`` invitations from new colleagues: the searches of users by address
        the sync made (Odoo's SQL log, at debug level)."""
        self.invitations_from_colleagues(first, count)
        self.env.invalidate_all()
        with self.assertLogs("odoo.sql_db", "DEBUG") as logged:
            log = self.sync()
        self.assertEqual(log.pulled_created, count)
        return sum(
            'FROM "res_users"' in line and '"email_normalized"' in line for line in logged.output
        )

    def test_the_organizers_of_an_import_are_found_in_one_search(self):
        self.sync()
        few = self.import_user_searches(0, 2)
        many = self.import_user_searches(2, 8)

        self.assertEqual(many, few, "searches of users by address")
        organizers = self.env["calendar.event"].search([("name", "=like", "Meeting %")]).user_id
        self.assertEqual(len(organizers), 10, "each meeting has its colleague as organizer")
