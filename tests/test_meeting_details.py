"""Meeting details: show as, sensitivity, importance, categories, reminders and
online meetings, both ways, against the Graph emulator over HTTPS."""

from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import ALICE, BOB, TOMORROW, SeriesCase, SyncCase, attendee, outlook_event, weekly

SHOW_AS = ("free", "tentative", "busy", "oof", "workingElsewhere")
SENSITIVITIES = ("normal", "personal", "private", "confidential")
IMPORTANCES = ("low", "normal", "high")
DETAILS = (
    "showAs",
    "sensitivity",
    "importance",
    "categories",
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "isOnlineMeeting",
    "onlineMeeting",
)


def details(event):
    return {name: event[name] for name in DETAILS}


def assert_sent_once_without_teams(case, event, copies, log, account=None):
    """Outlook refused the Teams meeting of ``event``: it was sent once without it (``copies``
    are its Outlook events), the sync ``log`` says so, and the next sync neither says it again
    nor sends anything."""
    case.assertEqual(len(copies), 1, "created once, without the Teams meeting")
    case.assertFalse(copies[0]["isOnlineMeeting"])
    case.assertEqual(event.outlook_link_ids.graph_id, copies[0]["id"])
    case.assertEqual(len(log.errors), 1)
    case.assertIn("cannot create Teams meetings", log.errors[0]["reason"])
    quiet = case.assert_next_sync_sends_nothing("no retry loop", account)
    case.assertFalse(quiet.errors, "said once, not at every sync")


@tagged("post_install", "-at_install")
class TestShowAsSensitivityImportance(SyncCase):
    def test_every_outlook_value_survives_an_unrelated_odoo_edit(self):
        """Every showAs, sensitivity and importance value (with categories, a reminder and a
        Teams meeting) is written in Outlook; Odoo renames each event; the sync sends the names
        and nothing else, and Outlook keeps every value."""
        self.emulator.add_master_category(ALICE, "Travel", "preset4")
        for index in range(max(len(SHOW_AS), len(SENSITIVITIES), len(IMPORTANCES))):
            self.emulator.create_event(
                ALICE,
                outlook_event(
                    f"Detail {index}",
                    start=TOMORROW + timedelta(hours=index),
                    showAs=SHOW_AS[index % len(SHOW_AS)],
                    sensitivity=SENSITIVITIES[index % len(SENSITIVITIES)],
                    importance=IMPORTANCES[index % len(IMPORTANCES)],
                    categories=["Travel", f"Project {index}"],
                    isReminderOn=bool(index % 2),
                    reminderMinutesBeforeStart=5 * index,
                    isOnlineMeeting=index == 0,
                ),
            )
        self.sync()
        before = {ev["subject"]: details(ev) for ev in self.emulator.events(ALICE)}
        events = self.env["calendar.event"].search([("name", "=like", "Detail %")])
        self.assertEqual(len(events), 5)
        oof = self.odoo_events("Detail 3")
        self.assertEqual((oof.show_as, oof.privacy), ("busy", "confidential"))
        personal = self.odoo_events("Detail 1")
        self.assertEqual((personal.show_as, personal.privacy), ("busy", "private"))

        for event in events:
            event.name = f"{event.name} (renamed)"
        writes = self.writes()
        self.sync()

        self.assertEqual(self.writes() - writes, 5, "one PATCH per renamed event")
        after = {ev["subject"]: details(ev) for ev in self.emulator.events(ALICE)}
        self.assertEqual(
            after, {f"{subject} (renamed)": values for subject, values in before.items()}
        )
        self.assert_next_sync_sends_nothing("the next sync is quiet")

    def test_copy_created_again_keeps_what_odoo_cannot_hold(self):
        """Deleted in Outlook while edited in Odoo: the edit wins and the event is created again
        in Outlook, with Outlook's last showAs, sensitivity and importance, not Odoo's
        approximations (busy, private, normal)."""
        created = self.emulator.create_event(
            ALICE,
            outlook_event("Retreat", showAs="oof", sensitivity="personal", importance="high"),
        )
        self.sync()
        self.emulator.delete_event(ALICE, created["id"])
        self.odoo_events("Retreat").description = "<p>Bring boots</p>"

        self.sync()

        copy = self.outlook_events("Retreat")[0]
        self.assertNotEqual(copy["id"], created["id"])
        self.assertEqual(
            (copy["showAs"], copy["sensitivity"], copy["importance"]), ("oof", "personal", "high")
        )

    def test_odoo_change_of_show_as_and_privacy_reaches_outlook(self):
        """What Odoo holds of oof (busy) and personal (private) changes to free and
        confidential in Odoo: Outlook gets exactly those."""
        created = self.emulator.create_event(
            ALICE, outlook_event("Away", showAs="oof", sensitivity="personal", importance="high")
        )
        self.sync()
        event = self.odoo_events("Away")

        event.write({"show_as": "free", "privacy": "confidential"})
        self.sync()

        copy = self.outlook_events("Away")[0]
        self.assertEqual(copy["id"], created["id"])
        self.assertEqual(
            (copy["showAs"], copy["sensitivity"], copy["importance"]),
            ("free", "confidential", "high"),
        )

    def test_outlook_change_odoo_can_hold_reaches_odoo(self):
        """Outlook goes from tentative to free and from personal to normal: Odoo follows."""
        created = self.emulator.create_event(
            ALICE, outlook_event("Hold", showAs="tentative", sensitivity="personal")
        )
        self.sync()
        event = self.odoo_events("Hold")
        self.assertEqual((event.show_as, event.privacy), ("busy", "private"))

        self.emulator.update_event(
            ALICE, created["id"], {"showAs": "free", "sensitivity": "normal"}
        )
        self.sync()

        self.assertEqual((event.show_as, event.privacy), ("free", "public"))

    def test_odoo_values_reach_outlook_exactly(self):
        self.odoo_event("Closed door", show_as="free", privacy="confidential")

        self.sync()

        copy = self.outlook_events("Closed door")[0]
        self.assertEqual(
            (copy["showAs"], copy["sensitivity"], copy["importance"]),
            ("free", "confidential", "normal"),
        )

    def test_link_stored_before_these_fields_neither_pushes_nor_breaks(self):
        """A link whose base was stored without importance, categories and online meeting:
        a quiet sync writes nothing, an Odoo rename sends only the name."""
        self.emulator.create_event(
            ALICE, outlook_event("Legacy", importance="high", categories=["Travel"])
        )
        self.sync()
        link = self.odoo_events("Legacy").outlook_link_ids
        old = dict(link.base)
        for side in ("local", "remote"):
            if side in old:
                old[side] = {
                    name: value
                    for name, value in old[side].items()
                    if name not in ("importance", "categories", "online_meeting")
                }
        link.write({"base": old})
        writes = self.writes()

        self.sync()
        self.assertEqual(self.writes(), writes, "no push of a field the old base lacked")

        link.event_id.name = "Legacy renamed"
        self.sync()
        copy = self.outlook_events("Legacy renamed")[0]
        self.assertEqual((copy["importance"], copy["categories"]), ("high", ["Travel"]))
        self.assertEqual(self.writes(), writes + 1)


@tagged("post_install", "-at_install")
class TestAttendeeTypes(SyncCase):
    def test_odoo_edit_of_the_attendee_list_keeps_outlook_types(self):
        """Alice's Outlook meeting has an optional attendee and a room; Odoo adds Bob: Outlook
        gets Bob as required, the optional attendee and the room keep their type, and only
        Bob is mailed (an invitation), no update to the others."""
        optional = attendee("olga@contoso.com", "Olga", "optional")
        room = attendee("room1@contoso.com", "Room 1", "resource")
        self.emulator.create_event(ALICE, outlook_event("Review", attendees=[optional, room]))
        self.sync()
        event = self.odoo_events("Review")
        mail = len(self.emulator.sent_mail(ALICE))

        event.partner_ids = [fields.Command.link(self.user_bob.partner_id.id)]
        self.sync()

        types = {
            a["emailAddress"]["address"]: a["type"]
            for a in self.outlook_events("Review")[0]["attendees"]
        }
        self.assertEqual(
            types,
            {"olga@contoso.com": "optional", "room1@contoso.com": "resource", BOB: "required"},
        )
        self.assertEqual(
            [(m["kind"], m["toRecipients"]) for m in self.emulator.sent_mail(ALICE)[mail:]],
            [("invitation", [BOB])],
        )
        self.assert_next_sync_sends_nothing("the next sync is quiet")


@tagged("post_install", "-at_install")
class TestCategories(SyncCase):
    def test_outlook_categories_become_tags_with_their_colour(self):
        self.emulator.add_master_category(ALICE, "Travel", "preset4")
        self.emulator.add_master_category(ALICE, "Dark", "preset22")
        self.emulator.create_event(
            ALICE, outlook_event("Trip", categories=["Travel", "Dark", "Loose"])
        )

        self.sync()
        self.sync()

        event = self.odoo_events("Trip")
        colours = {tag.name: tag.color for tag in event.categ_ids}
        self.assertEqual(colours, {"Travel": 10, "Dark": 8, "Loose": 0})
        Tag = self.env["calendar.event.type"]
        self.assertEqual(Tag.search_count([("name", "in", ["Travel", "Dark", "Loose"])]), 3)

    def test_existing_tag_is_matched_by_name_ignoring_case(self):
        tag = self.env["calendar.event.type"].create({"name": "Budget", "color": 3})
        self.emulator.create_event(ALICE, outlook_event("Numbers", categories=["budget"]))

        self.sync()

        self.assertEqual(self.odoo_events("Numbers").categ_ids, tag)
        self.assertEqual(tag.color, 3, "an existing tag keeps its colour")

    def test_odoo_tags_become_categories_in_the_master_list(self):
        red = self.env["calendar.event.type"].create({"name": "Urgent", "color": 1})
        known = self.env["calendar.event.type"].create({"name": "Travel", "color": 1})
        self.emulator.add_master_category(ALICE, "Travel", "preset7")
        self.odoo_event("Fire drill", categ_ids=[fields.Command.set((red | known).ids)])

        self.sync()

        self.assertEqual(self.outlook_events("Fire drill")[0]["categories"], ["Travel", "Urgent"])
        master = {c["displayName"]: c["color"] for c in self.emulator.master_categories(ALICE)}
        self.assertEqual(master, {"Travel": "preset7", "Urgent": "preset0"})

    def test_tag_added_in_odoo_and_category_added_in_outlook_both_arrive(self):
        created = self.emulator.create_event(ALICE, outlook_event("Review", categories=["A"]))
        self.sync()
        event = self.odoo_events("Review")

        self.emulator.update_event(ALICE, created["id"], {"categories": ["A", "B"]})
        self.sync()
        self.assertEqual(sorted(event.categ_ids.mapped("name")), ["A", "B"])

        c_tag = self.env["calendar.event.type"].create({"name": "C"})
        event.categ_ids = [fields.Command.link(c_tag.id)]
        self.sync()
        self.assertEqual(self.outlook_events("Review")[0]["categories"], ["A", "B", "C"])


@tagged("post_install", "-at_install")
class TestReminders(SyncCase):
    def reminder_alarms(self, event):
        return event.alarm_ids.filtered("outlook_reminder")

    def test_outlook_reminds_by_default_and_odoo_adds_no_alarm(self):
        created = self.emulator.create_event(
            ALICE, outlook_event("Call", isReminderOn=True, reminderMinutesBeforeStart=30)
        )
        alarm = self.env["calendar.alarm"].create(
            {"name": "1 h", "alarm_type": "notification", "duration": 1, "interval": "hours"}
        )
        self.odoo_event("Odoo only alarm", alarm_ids=[fields.Command.set(alarm.ids)])

        self.sync()

        self.assertFalse(self.odoo_events("Call").alarm_ids, "Outlook reminds, not Odoo")
        copy = self.outlook_events("Odoo only alarm")[0]
        self.assertFalse(copy["isReminderOn"], "Odoo reminds for its own alarm, not Outlook")
        self.assertEqual(self.odoo_events("Odoo only alarm").alarm_ids, alarm)

        self.odoo_events("Call").name = "Call renamed"
        self.sync()
        outlook = self.emulator.events(ALICE)
        call = next(ev for ev in outlook if ev["id"] == created["id"])
        self.assertEqual((call["isReminderOn"], call["reminderMinutesBeforeStart"]), (True, 30))

    def test_both_keeps_one_alarm_of_the_user_and_leaves_others_alone(self):
        """Reminders synced both ways: Outlook's reminder is one alarm the sync manages;
        changes replace it, re-syncs never add a second, an alarm someone else added stays."""
        self.account.reminder_mode = "both"
        created = self.emulator.create_event(
            ALICE, outlook_event("Standup", isReminderOn=True, reminderMinutesBeforeStart=30)
        )
        self.sync()
        event = self.odoo_events("Standup")
        self.assertEqual(self.reminder_alarms(event).mapped("duration_minutes"), [30])
        email = self.env["calendar.alarm"].create(
            {"name": "Mail 1 day", "alarm_type": "email", "duration": 1, "interval": "days"}
        )
        event.alarm_ids = [fields.Command.link(email.id)]
        self.sync()

        self.emulator.update_event(ALICE, created["id"], {"reminderMinutesBeforeStart": 10})
        self.sync()
        self.sync()

        self.assertEqual(self.reminder_alarms(event).mapped("duration_minutes"), [10])
        self.assertIn(email, event.alarm_ids, "another alarm is never touched")
        self.assertEqual(len(event.alarm_ids), 2)

        event.alarm_ids = [fields.Command.unlink(self.reminder_alarms(event).id)]
        self.sync()
        copy = self.outlook_events("Standup")[0]
        self.assertFalse(copy["isReminderOn"], "removing the reminder in Odoo reaches Outlook")

    def test_both_sends_an_odoo_alarm_to_outlook(self):
        self.account.reminder_mode = "both"
        alarm = self.env["calendar.alarm"].create(
            {"name": "20 min", "alarm_type": "notification", "duration": 20, "interval": "minutes"}
        )
        self.odoo_event("Alarmed", alarm_ids=[fields.Command.set(alarm.ids)])

        self.sync()

        copy = self.outlook_events("Alarmed")[0]
        self.assertEqual((copy["isReminderOn"], copy["reminderMinutesBeforeStart"]), (True, 20))

    def test_odoo_reminds_outlook_reminder_becomes_the_alarm_and_none_is_sent(self):
        self.account.reminder_mode = "odoo"
        self.emulator.create_event(
            ALICE, outlook_event("Dentist", isReminderOn=True, reminderMinutesBeforeStart=60)
        )
        alarm = self.env["calendar.alarm"].create(
            {"name": "20 min", "alarm_type": "notification", "duration": 20, "interval": "minutes"}
        )
        self.odoo_event("Odoo reminds", alarm_ids=[fields.Command.set(alarm.ids)])

        self.sync()

        dentist = self.odoo_events("Dentist")
        self.assertEqual(self.reminder_alarms(dentist).mapped("duration_minutes"), [60])
        self.assertFalse(self.outlook_events("Odoo reminds")[0]["isReminderOn"])


@tagged("post_install", "-at_install")
class TestOnlineMeetings(SyncCase):
    def test_outlook_join_url_becomes_the_videocall_link(self):
        created = self.emulator.create_event(
            ALICE,
            outlook_event(
                "Teams call", isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness"
            ),
        )

        self.sync()

        event = self.odoo_events("Teams call")
        self.assertEqual(event.videocall_location, created["onlineMeeting"]["joinUrl"])
        self.assertTrue(event.outlook_online_meeting)

    def test_odoo_event_without_the_ask_makes_no_online_meeting(self):
        """No location, no ask: Outlook gets a plain event (the built-in made a Teams
        meeting of every event without a location)."""
        self.odoo_event("Plain", location=False)

        self.sync()

        copy = self.outlook_events("Plain")[0]
        self.assertFalse(copy["isOnlineMeeting"])
        self.assertIsNone(copy["onlineMeeting"])
        self.assertEqual(self.emulator.sent_mail(ALICE), [])
        self.assertFalse(self.odoo_events("Plain").videocall_location)

    def test_asked_teams_meeting_is_created_and_its_link_comes_back(self):
        event = self.odoo_event("Sync meeting", outlook_online_meeting=True)

        log = self.sync()

        copy = self.outlook_events("Sync meeting")[0]
        self.assertTrue(copy["isOnlineMeeting"])
        self.assertEqual(copy["onlineMeetingProvider"], "teamsForBusiness")
        self.assertEqual(event.videocall_location, copy["onlineMeeting"]["joinUrl"])
        self.assertFalse(log.errors)
        self.assert_next_sync_sends_nothing("the join URL is no change to send back")

    def test_asking_later_turns_the_event_into_a_teams_meeting(self):
        event = self.odoo_event("Later")
        self.sync()

        event.outlook_online_meeting = True
        self.sync()

        copy = self.outlook_events("Later")[0]
        self.assertTrue(copy["isOnlineMeeting"])
        self.assertEqual(event.videocall_location, copy["onlineMeeting"]["joinUrl"])

    def test_account_default_asks_for_new_events(self):
        self.assertFalse(
            self.env["calendar.event"].with_user(self.user_alice).new({}).outlook_online_meeting
        )
        self.account.online_meeting_default = True
        event = self.env["calendar.event"].with_user(self.user_alice).new({})
        self.assertTrue(event.outlook_online_meeting)


@tagged("post_install", "-at_install")
class TestTeamsRefusedByTheOrganization(SeriesCase):
    """Alice's organization answers 400 to any write asking for a Teams meeting."""

    def setUp(self):
        super().setUp()
        self.emulator.refuse_teams_meetings(ALICE)

    def test_the_event_is_sent_once_without_teams_and_the_user_is_told(self):
        event = self.odoo_event("Board call", outlook_online_meeting=True)

        log = self.sync()

        copies = self.outlook_events("Board call")
        assert_sent_once_without_teams(self, event, copies, log)

    def test_asking_later_keeps_the_other_changes(self):
        event = self.odoo_event("Later")
        self.sync()

        event.write({"outlook_online_meeting": True, "name": "Later, renamed"})
        log = self.sync()

        copy = self.outlook_events("Later, renamed")
        self.assertEqual(len(copy), 1, "the rename went through")
        self.assertFalse(copy[0]["isOnlineMeeting"])
        self.assertIn("cannot create Teams meetings", log.errors[0]["reason"])
        self.assert_next_sync_sends_nothing("no retry loop")

    def test_a_series_asking_for_teams_is_created_once_without_it(self):
        self.odoo_series("Weekly sync", 3, outlook_online_meeting=True)

        log = self.sync()

        masters = [ev for ev in self.masters() if ev["subject"] == "Weekly sync"]
        self.assertEqual(len(masters), 1)
        self.assertFalse(masters[0]["isOnlineMeeting"])
        self.assertEqual(len(self.odoo_events("Weekly sync")), 3)
        self.assertEqual(
            [error["event"] for error in log.errors if "Teams" in error["reason"]], ["Weekly sync"]
        )
        self.assert_next_sync_sends_nothing("no retry loop")


@tagged("post_install", "-at_install")
class TestMeetingAskingNoResponse(SyncCase):
    """Bob invites Alice in Outlook with "Request responses" off (``responseRequested``
    false): Graph refuses an answer that would mail him."""

    def setUp(self):
        super().setUp()
        alice = {"emailAddress": {"address": ALICE, "name": "Alice"}, "type": "required"}
        self.meeting = self.emulator.create_event(
            BOB, outlook_event("All hands", attendees=[alice], responseRequested=False)
        )
        self.sync()
        self.event = self.odoo_events("All hands")
        self.mail = len(self.emulator.sent_mail(ALICE))

    def alice_copy(self):
        return next(ev for ev in self.emulator.events(ALICE) if ev["subject"] == "All hands")

    def test_an_answer_in_odoo_reaches_outlook_without_mailing_the_organizer(self):
        attendee = self.event.attendee_ids.filtered(
            lambda a: a.partner_id == self.user_alice.partner_id
        )
        attendee.do_accept()

        log = self.sync()

        self.assertFalse(log.errors)
        self.assertEqual(self.alice_copy()["responseStatus"]["response"], "accepted")
        self.assertEqual(len(self.emulator.sent_mail(ALICE)), self.mail, "no reply mail")
        self.assert_next_sync_sends_nothing("the answer is not sent again")

    def test_deleting_it_in_odoo_declines_it_in_outlook(self):
        self.event.unlink()

        log = self.sync()

        self.assertFalse(log.errors)
        self.assertEqual(self.alice_copy()["responseStatus"]["response"], "declined")
        self.assertEqual(len(self.emulator.sent_mail(ALICE)), self.mail)
        self.assert_next_sync_sends_nothing("no retry loop")


@tagged("post_install", "-at_install")
class TestPersonalAccount(SyncCase):
    def test_personal_account_gets_a_message_and_the_event_still_syncs(self):
        self.emulator.add_mailbox("carol@outlook.com", display_name="Carol", personal=True)
        carol = new_test_user(
            self.env, login="carol", groups="base.group_user", email="carol@outlook.com"
        )
        self.connect("carol", "carol@outlook.com")
        account = self.account_of(carol)
        event = self.env["calendar.event"].create(
            {
                "name": "Family call",
                "start": TOMORROW,
                "stop": TOMORROW + timedelta(hours=1),
                "user_id": carol.id,
                "partner_ids": [fields.Command.set(carol.partner_id.ids)],
                "outlook_online_meeting": True,
            }
        )

        log = self.sync(account)

        copies = [
            ev for ev in self.emulator.events("carol@outlook.com") if ev["subject"] == "Family call"
        ]
        assert_sent_once_without_teams(self, event, copies, log, account)


@tagged("post_install", "-at_install")
class TestDeclinedInvitations(SyncCase):
    """Bob organizes "Roadmap" in Outlook and invites Alice; Alice syncs (Bob only where said)."""

    def setUp(self):
        super().setUp()
        self.meeting = self.invitation_from_bob("Roadmap")
        self.alice_copy = self.copy_of("Roadmap")

    def invitation(self, subject):
        alice = attendee(ALICE, "Alice")
        return outlook_event(subject, attendees=[alice])

    def copy_of(self, subject):
        return next(ev for ev in self.emulator.events(ALICE) if ev["subject"] == subject)

    def alice_attendee(self, event=None):
        return self.attendee_of(event or self.event, self.user_alice)

    def alice_response_at_bob(self):
        return self.response_at(BOB, self.meeting["id"], ALICE)

    def test_declined_in_outlook_is_shown_declined_by_default(self):
        self.emulator.respond(ALICE, self.alice_copy["id"], "decline")

        self.sync()

        self.assertEqual(self.alice_attendee().state, "declined")
        self.assertTrue(self.event.active)
        self.assert_next_sync_sends_nothing("the answer is not sent back")

    def test_declined_in_odoo_reaches_outlook(self):
        self.alice_attendee().do_decline()

        self.sync()

        self.assertEqual(self.alice_response_at_bob(), "declined")
        self.assertEqual(self.copy_of("Roadmap")["responseStatus"]["response"], "declined")
        self.assertEqual(self.alice_attendee().state, "declined")

    def test_declined_in_outlook_leaves_odoo_when_asked(self):
        self.account.declined_invitations = "hide"
        self.emulator.respond(ALICE, self.alice_copy["id"], "decline")

        self.sync()

        self.assertFalse(self.event.active)
        self.assertFalse(self.event.outlook_link_ids)
        writes = self.writes()
        self.sync()
        self.assertEqual(self.writes(), writes)
        self.assertEqual(self.alice_response_at_bob(), "declined", "Outlook keeps the answer")

    def test_accepting_again_in_outlook_brings_it_back(self):
        self.account.declined_invitations = "hide"
        self.emulator.respond(ALICE, self.alice_copy["id"], "decline")
        self.sync()

        self.emulator.respond(ALICE, self.alice_copy["id"], "accept")
        self.sync()

        back = self.odoo_events("Roadmap").filtered("active")
        self.assertEqual(len(back), 1)
        self.assertEqual(self.alice_attendee(back).state, "accepted")

    def test_declined_in_odoo_is_sent_then_left_out_when_asked(self):
        self.account.declined_invitations = "hide"
        self.alice_attendee().do_decline()

        self.sync()
        self.sync()

        self.assertEqual(self.alice_response_at_bob(), "declined")
        self.assertFalse(self.event.active)

    def test_invitation_declined_before_the_sync_is_never_imported_when_asked(self):
        self.account.declined_invitations = "hide"
        self.emulator.create_event(BOB, self.invitation("Offsite dinner"))
        self.emulator.respond(ALICE, self.copy_of("Offsite dinner")["id"], "decline")

        self.sync()

        self.assertFalse(self.odoo_events("Offsite dinner"))

    def test_meeting_other_users_sync_stays_declined_and_bob_keeps_alice(self):
        """Bob syncs too: the Odoo event is his meeting as well, so Alice stays on it,
        declined; neither sync uninvites her in Outlook nor flips her answer back."""
        self.connect("bob", BOB)
        bob_account = self.account_of(self.user_bob)
        self.sync(bob_account)
        self.account.declined_invitations = "hide"
        self.emulator.respond(ALICE, self.alice_copy["id"], "decline")

        self.sync()
        self.assertIn(self.user_alice.partner_id, self.event.partner_ids)
        writes = self.writes()
        log = self.sync(bob_account)
        self.sync()

        self.assertEqual(self.odoo_events("Roadmap"), self.event, "one Odoo event")
        self.assertEqual(self.alice_attendee().state, "declined")
        self.assertEqual(self.alice_response_at_bob(), "declined")
        self.assertFalse(log.conflicts)
        self.assertEqual(self.writes(), writes)


@tagged("post_install", "-at_install")
class TestDeclinedOccurrence(SeriesCase):
    def test_occurrence_declined_in_outlook_stays_declined_after_a_series_change(self):
        """Alice's weekly series invites Bob; Bob declines the second occurrence in Outlook;
        Alice then renames the series: that occurrence stays declined on both sides."""
        self.connect("bob", BOB)
        bob = self.account_of(self.user_bob)
        bob_entry = attendee(BOB, "Bob")
        master = self.emulator.create_event(
            ALICE, outlook_event("Stand-up", recurrence=weekly(4), attendees=[bob_entry])
        )
        self.sync()
        self.sync(bob)
        second = self.outlook_occurrences("Stand-up", mailbox=BOB)[1]

        self.emulator.respond(BOB, second["id"], "decline")
        self.sync(bob)
        self.sync()
        self.emulator.update_event(ALICE, master["id"], {"subject": "Daily stand-up"})
        self.sync()
        self.sync(bob)

        occurrences = self.odoo_events("Daily stand-up").filtered("active").sorted("start")
        self.assertEqual(len(occurrences), 4)
        states = [self.attendee_of(occurrence, self.user_bob).state for occurrence in occurrences]
        self.assertEqual(states[1], "declined", states)
        self.assertNotIn("declined", states[:1] + states[2:], states)
        replies = [
            next(a for a in row["attendees"] if a["emailAddress"]["address"] == BOB)["status"][
                "response"
            ]
            for row in self.outlook_occurrences("Daily stand-up")
        ]
        self.assertEqual(replies.count("declined"), 1, replies)
