"""Browser tour: Alice picks which Outlook calendar to sync from the Calendar's Outlook menu."""

from odoo.tests import tagged

from .common import ALICE, OutlookHttpCase


@tagged("post_install", "-at_install")
class TestCalendarsTour(OutlookHttpCase):
    def test_choose_a_calendar_from_the_calendar_menu(self):
        """Outlook menu → Calendars… → tick Projects in import only → Save: a sync account for
        it, signed in through Alice's."""
        projects_id = self.emulator.add_calendar(ALICE, "Projects")
        self.connect("alice", ALICE)
        account = self.account_of(self.user_alice)

        self.start_tour("/odoo/calendar", "outlook_calendar_sync_calendars_tour", login="alice")

        projects = account.calendar_account_ids
        self.assertEqual(projects.calendar_id, projects_id)
        self.assertEqual(projects.calendar_name, "Projects")
        self.assertEqual(projects.sync_mode, "import_only")
        self.assertEqual(projects.state, "active")
        self.assertEqual(projects.event_tag_id.name, "Projects")
        self.assertTrue(account.receives_new_events)
