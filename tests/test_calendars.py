"""Calendar choice: one sync account per Outlook calendar the user picks (their own, and those
another user shared with them and let them edit), signed in once per mailbox, each with its
direction and the Odoo tag of its events."""

from odoo import fields, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.calendar.models.calendar_recurrence import weekday_to_field

from .common import (
    ALICE,
    BOB,
    TOMORROW,
    SyncCase,
    assert_lock_waits_for,
    delete_account_row,
    insert_account_row,
    outlook_event,
    query_of,
)


@tagged("post_install", "-at_install")
class TestCalendarChoice(SyncCase):
    def setUp(self):
        # Allowed before Alice signs in: she grants the shared-calendar permission then.
        self.env["ir.config_parameter"].set_param("outlook_calendar_sync.shared_calendars", True)
        super().setUp()
        self.sync()
        self.projects_id = self.emulator.add_calendar(ALICE, "Projects")

    def picker(self):
        """The picker as Alice opens it (a plain user: no tag of her own making)."""
        action = self.account.with_user(self.user_alice).action_choose_calendars()
        return self.env[action["res_model"]].with_user(self.user_alice).browse(action["res_id"])

    def line(self, picker, name):
        line = picker.line_ids.filtered(lambda line: line.name == name)
        self.assertEqual(len(line), 1, picker.line_ids.mapped("name"))
        return line

    def choose(self, name, mode="two_way", tag=None):
        """Tick calendar ``name`` in the picker; returns its new sync account."""
        picker = self.picker()
        line = self.line(picker, name)
        line.write({"selected": True, "sync_mode": mode, **({"tag_id": tag.id} if tag else {})})
        picker.action_apply()
        return self.calendar_account(name)

    def calendar_account(self, name):
        return self.env["outlook.account"].search(
            [("user_id", "=", self.user_alice.id), ("calendar_name", "=", name)]
        )

    def in_default(self, subject):
        """Alice's events called ``subject`` in her default calendar."""
        return self.in_calendar(ALICE, self.account.calendar_id, subject)

    def in_calendar(self, mailbox, calendar_id, subject):
        events = self.emulator.events(mailbox, calendar_id=calendar_id)
        return [event for event in events if event["subject"] == subject]

    def sync_all(self):
        for account in self.account | self.account.calendar_account_ids:
            self.sync(account)

    def test_picker_lists_own_and_editable_shared_calendars(self):
        shared_id = self.emulator.share_calendar(BOB, None, ALICE, can_edit=True)
        read_only = self.emulator.add_calendar(BOB, "Bob's holidays")
        self.emulator.share_calendar(BOB, read_only, ALICE, can_edit=False)

        picker = self.picker()

        default = picker.line_ids[0]
        self.assertTrue(default.is_default)
        self.assertTrue(default.selected, "the calendar synced since the sign-in")
        self.assertEqual(default.account_id, self.account)
        self.assertEqual(picker.new_events_line_id, default)
        projects = self.line(picker, "Projects")
        self.assertFalse(projects.selected or projects.shared or projects.account_id)
        shared = picker.line_ids.filtered("shared")
        self.assertEqual(shared.calendar_id, shared_id)
        self.assertEqual(shared.owner, BOB)
        self.assertNotIn("Bob's holidays", picker.line_ids.mapped("name"), "read only")

    def test_a_failing_calendar_list_leaves_the_default_calendar_and_says_why(self):
        """``GET /me/calendars`` answers 500 (as it did for outlook.com accounts): the picker
        opens with the default calendar only and tells the user the others are hidden; the
        default calendar still syncs."""
        self.emulator.fail_calendar_list(ALICE)

        picker = self.picker()

        self.assertEqual(picker.line_ids.mapped("name"), ["Calendar"])
        self.assertTrue(picker.line_ids.selected)
        self.assertIn("only its default calendar is shown", picker.list_notice)
        self.assertEqual(self.sync().state, "done")
        self.emulator.fail_calendar_list(ALICE, None)
        self.assertFalse(self.picker().list_notice)
        self.assertIn("Projects", self.picker().line_ids.mapped("name"))

    def test_a_personal_account_knows_its_own_address_and_calendars(self):
        """A personal Microsoft account: ``/me`` has no mail and Exchange writes an
        ``outlook_…`` alias as the owner of its calendars and the organizer of its events. The
        account takes that alias as its address, so its own second calendar is its own, not
        one shared by someone."""
        self.emulator.add_mailbox("carol@outlook.com", display_name="Carol", personal=True)
        carol = new_test_user(
            self.env, login="carol", groups="base.group_user", email="carol@outlook.com"
        )
        self.emulator.add_calendar("carol@outlook.com", "Family")
        self.connect("carol", "carol@outlook.com")
        account = self.account_of(carol)
        alias = self.emulator.calendars("carol@outlook.com")[0]["owner"]["address"]
        self.assertEqual(account.mailbox_address, alias)

        action = account.with_user(carol).action_choose_calendars()
        picker = self.env[action["res_model"]].with_user(carol).browse(action["res_id"])
        family = self.line(picker, "Family")
        self.assertFalse(family.shared)

    def test_an_account_is_found_by_its_mailbox_user_or_calendar_name(self):
        """The account field of a log or a link searches what its name shows."""
        projects = self.choose("Projects")
        Account = self.env["outlook.account"]

        self.assertEqual([found for found, _name in Account.name_search("Projects")], [projects.id])
        self.assertEqual(
            set(Account.search([("display_name", "ilike", ALICE)]).ids),
            {self.account.id, projects.id},
        )
        self.assertIn(self.account.id, Account.search([("display_name", "ilike", "alice")]).ids)

    def test_only_the_owner_chooses_the_calendars(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.user_bob).action_choose_calendars()
        picker = self.picker()
        with self.assertRaises(AccessError):
            picker.with_user(self.user_bob).action_apply()

    def test_a_chosen_calendar_syncs_its_events_under_its_tag(self):
        projects = self.choose("Projects")
        self.assertEqual(projects.connection_id, self.account)
        self.assertEqual(projects.event_tag_id.name, "Projects", "a tag named after it")
        self.assertFalse(projects.receives_new_events)
        self.emulator.create_event(
            ALICE, outlook_event("Kick-off", categories=["Red"]), calendar_id=self.projects_id
        )
        self.odoo_event("Plain lunch")
        tagged_event = self.odoo_event(
            "Milestone review", categ_ids=[fields.Command.link(projects.event_tag_id.id)]
        )

        self.sync_all()
        self.sync_all()

        kickoff = self.odoo_events("Kick-off")
        self.assertEqual(len(kickoff), 1)
        self.assertIn(projects.event_tag_id, kickoff.categ_ids)
        self.assertEqual(len(self.in_calendar(ALICE, self.projects_id, "Milestone review")), 1)
        self.assertEqual(self.in_default("Milestone review"), [], "not in the default one")
        self.assertEqual(len(self.in_default("Plain lunch")), 1)
        self.assertEqual(self.in_calendar(ALICE, self.projects_id, "Plain lunch"), [])
        self.assertEqual(self.in_default("Kick-off"), [])
        self.assertEqual(
            self.in_calendar(ALICE, self.projects_id, "Milestone review")[0]["categories"],
            [],
            "the calendar's tag is not an Outlook category",
        )
        self.assertEqual(
            self.in_calendar(ALICE, self.projects_id, "Kick-off")[0]["categories"], ["Red"]
        )
        self.assertEqual(len(projects.link_ids), 2)
        self.assertEqual(tagged_event.outlook_link_ids.account_id, projects)
        self.assertEqual(self.token_columns(projects), (None, None), "one sign-in per mailbox")

        writes = self.writes()
        self.sync_all()
        self.assertEqual(self.writes(), writes, "nothing left to send")

    def test_answers_to_a_secondary_calendars_meetings_are_not_tracked_and_odoo_keeps_its_own(
        self,
    ):
        """Outlook tracks answers only for meetings sent from the primary calendar (the
        calendar resource's ``isTallyingResponses``). The picker and Projects' first sync say
        so once; Bob's answer in Odoo is never replaced by Outlook's untracked "none", not even
        when the links are forgotten and the events matched again."""
        picker = self.picker()
        self.assertTrue(self.line(picker, "Calendar").tallies_responses)
        self.assertFalse(self.line(picker, "Projects").tallies_responses)
        projects = self.choose("Projects")
        self.assertTrue(projects.responses_untracked)
        self.assertFalse(self.account.responses_untracked)
        told = "Outlook does not track attendees' answers"
        self.assertEqual(
            [n for n in self.sync(projects).notices or [] if told in n["reason"]],
            [
                {
                    "event": "",
                    "reason": "Outlook does not track attendees' answers to meetings sent from "
                    "this calendar (only the default calendar does): the answers Odoo knows are "
                    "kept, and Outlook's are not taken over them.",
                }
            ],
        )
        review = self.odoo_event(
            "Design review",
            categ_ids=[fields.Command.link(projects.event_tag_id.id)],
            guests=(self.user_bob.partner_id,),
        )
        self.sync(projects)
        (bob_copy,) = self.in_calendar(BOB, None, "Design review")
        self.emulator.respond(BOB, bob_copy["id"], "accept")
        bob = self.attendee_of(review, self.user_bob)
        bob.state = "declined"

        again = self.sync(projects)

        (organizer_copy,) = self.in_calendar(ALICE, self.projects_id, "Design review")
        self.assertEqual([a["status"]["response"] for a in organizer_copy["attendees"]], ["none"])
        self.assertEqual(bob.state, "declined")
        self.assertFalse([n for n in again.notices or [] if told in n["reason"]], "said once")

        projects.with_user(self.user_alice).action_forget_links()
        wizard = self.env["outlook.first.sync.wizard"].browse(
            projects.action_open_first_sync_preview()["res_id"]
        )
        self.assertEqual((wizard.to_odoo_count, wizard.to_outlook_count), (0, 0))
        wizard.action_start()
        writes = self.writes()
        self.sync(projects)

        self.assertEqual(len(self.odoo_events("Design review")), 1)
        self.assertEqual(bob.state, "declined", "Outlook's untracked none is not taken")
        self.assertEqual(self.writes(), writes)

    def test_sync_now_and_the_button_cover_every_calendar(self):
        self.choose("Projects")
        self.emulator.create_event(ALICE, outlook_event("Kick-off"), calendar_id=self.projects_id)

        self.account.with_user(self.user_alice).action_sync_now()

        self.assertEqual(len(self.odoo_events("Kick-off")), 1)
        status = self.env["outlook.account"].with_user(self.user_alice).get_sync_status()
        self.assertEqual(status["account_id"], self.account.id)
        self.assertEqual(
            status["calendars"], [{"name": "Projects", "state": "active", "error": False}]
        )

    def test_an_outlook_edit_of_categories_keeps_the_calendar_tag(self):
        projects = self.choose("Projects")
        created = self.emulator.create_event(
            ALICE, outlook_event("Kick-off"), calendar_id=self.projects_id
        )
        self.sync(projects)
        self.emulator.update_event(ALICE, created["id"], {"categories": ["Red"]})

        self.sync(projects)

        self.assertEqual(
            set(self.odoo_events("Kick-off").categ_ids.mapped("name")), {"Projects", "Red"}
        )

    def test_a_tagged_odoo_series_goes_to_its_calendar_as_a_series(self):
        projects = self.choose("Projects")
        self.odoo_event(
            "Weekly sync",
            categ_ids=[fields.Command.link(projects.event_tag_id.id)],
            recurrency=True,
            rrule_type="weekly",
            interval=1,
            end_type="count",
            count=3,
            event_tz="UTC",
            **{weekday_to_field(TOMORROW.weekday()): True},
        )

        self.sync_all()
        self.sync_all()

        masters = self.in_calendar(ALICE, self.projects_id, "Weekly sync")
        self.assertEqual([master["type"] for master in masters], ["seriesMaster"])
        self.assertEqual(self.in_default("Weekly sync"), [])
        self.assertEqual(len(self.odoo_events("Weekly sync")), 3, "no copies back")

    def test_each_calendar_has_its_direction(self):
        projects = self.choose("Projects", mode="import_only")
        self.emulator.create_event(ALICE, outlook_event("Kick-off"), calendar_id=self.projects_id)
        self.odoo_event(
            "Milestone review", categ_ids=[fields.Command.link(projects.event_tag_id.id)]
        )

        self.sync_all()

        self.assertEqual(len(self.odoo_events("Kick-off")), 1)
        self.assertEqual(self.in_calendar(ALICE, self.projects_id, "Milestone review"), [])
        self.assertEqual(self.in_default("Milestone review"), [], "it is Projects' event")

    def test_new_events_go_to_the_calendar_chosen_for_them(self):
        picker = self.picker()
        projects = self.line(picker, "Projects")
        projects.selected = True
        picker.new_events_line_id = projects
        picker.action_apply()
        self.odoo_event("Plain lunch")

        self.sync_all()

        self.assertEqual(len(self.in_calendar(ALICE, self.projects_id, "Plain lunch")), 1)
        self.assertEqual(self.in_default("Plain lunch"), [])
        self.assertFalse(self.account.receives_new_events)
        self.assertTrue(self.calendar_account("Projects").receives_new_events)

    def test_new_events_need_a_calendar_they_can_go_to(self):
        picker = self.picker()
        projects = self.line(picker, "Projects")
        projects.write({"selected": True, "sync_mode": "import_only"})
        picker.new_events_line_id = projects
        with self.assertRaisesRegex(UserError, "import only"):
            picker.action_apply()
        projects.write({"selected": False, "sync_mode": "two_way"})
        with self.assertRaisesRegex(UserError, "not synced"):
            picker.action_apply()

    def test_a_shared_calendar_syncs_with_its_owner(self):
        shared_id = self.emulator.share_calendar(BOB, None, ALICE, can_edit=True)
        bobs = self.emulator.create_event(BOB, outlook_event("Bob's planning"))
        picker = self.picker()
        line = picker.line_ids.filtered("shared")
        line.selected = True
        picker.action_apply()
        shared = self.account.calendar_account_ids
        self.assertEqual(shared.calendar_owner, BOB)
        self.assertEqual(shared.calendar_id, shared_id)
        self.assertRegex(shared.calendar_name, r"^Bob.* · Calendar$", "told from Alice's own")
        self.assertEqual(shared.event_tag_id.name, shared.calendar_name)

        self.sync(shared)
        planning = self.odoo_events("Bob's planning")
        self.assertEqual(len(planning), 1)
        planning.name = "Bob's planning (moved)"
        self.odoo_event("For Bob", categ_ids=[fields.Command.link(shared.event_tag_id.id)])
        self.sync(shared)

        subjects = {event["subject"] for event in self.emulator.events(BOB)}
        self.assertIn("Bob's planning (moved)", subjects)
        self.assertIn("For Bob", subjects)
        self.assertEqual(self.in_default("For Bob"), [])
        self.assertEqual(self.emulator.events(ALICE), [], "nothing in Alice's own calendars")
        self.assertEqual(len(self.emulator.events(BOB)), 2, "no copies")
        self.assertEqual(bobs["id"], planning.outlook_link_ids.graph_id)
        self.assertFalse(
            self.env["outlook.subscription"].search([("account_id", "=", shared.id)]),
            "Graph sends no notifications of a shared calendar: the cron polls it",
        )

    def test_unticking_a_calendar_pauses_it_and_deletes_nothing(self):
        projects = self.choose("Projects")
        self.emulator.create_event(ALICE, outlook_event("Kick-off"), calendar_id=self.projects_id)
        self.sync(projects)
        picker = self.picker()
        self.line(picker, "Projects").selected = False
        picker.action_apply()

        self.assertEqual(projects.state, "paused")
        self.assertEqual(len(self.odoo_events("Kick-off")), 1)
        self.assertEqual(len(self.in_calendar(ALICE, self.projects_id, "Kick-off")), 1)
        self.assertEqual(
            self.picker().line_ids.filtered("account_id").mapped("name")[1:], ["Projects"]
        )
        picker = self.picker()
        self.line(picker, "Projects").selected = True
        picker.action_apply()
        self.assertEqual(projects.state, "active")

    def test_the_calendars_of_a_mailbox_share_its_sign_in(self):
        projects = self.choose("Projects")
        self.emulator.revoke_refresh_tokens(ALICE)
        self.emulator.expire_access_tokens(ALICE)

        projects._sync()

        self.assertEqual(projects.state, "needs_reauth")
        self.assertEqual(self.account.state, "needs_reauth", "the same sign-in")
        self.connect("alice", ALICE, choose_default=False)
        self.assertEqual(self.account.state, "active")
        self.assertEqual(projects.state, "active")
        self.sync(projects)

        self.account.action_disconnect()
        self.assertEqual(projects.state, "not_connected")
        self.connect("alice", ALICE, choose_default=False)
        self.assertEqual(projects.state, "not_connected", "disconnected: back only if chosen")
        picker = self.picker()
        self.assertFalse(self.line(picker, "Projects").selected)
        self.line(picker, "Projects").selected = True
        picker.action_apply()
        self.assertEqual(projects.state, "active")

    def test_another_mailbox_takes_the_former_ones_calendars_away(self):
        projects = self.choose("Projects")
        self.emulator.create_event(ALICE, outlook_event("Kick-off"), calendar_id=self.projects_id)
        self.sync(projects)

        self.connect("alice", BOB, choose_default=False)

        self.assertFalse(projects.exists(), "Projects belongs to alice@example.com")
        self.assertEqual(self.account.mailbox_address, BOB)
        self.assertEqual(len(self.odoo_events("Kick-off")), 1, "nothing deleted in Odoo")
        self.assertEqual(len(self.in_calendar(ALICE, self.projects_id, "Kick-off")), 1)

    def test_a_calendar_waits_while_its_mailbox_syncs(self):
        """A cron worker syncing the mailbox's default calendar holds its sign-in: another
        worker leaves the mailbox's other calendars for later."""
        database = sql_db.db_connect(self.env.cr.dbname)
        admin = self.env.ref("base.user_admin").id
        with database.cursor() as setup_cr:
            signed_in = insert_account_row(setup_cr, admin)
            other_id = insert_account_row(
                setup_cr, admin, connection_id=signed_in, calendar_id="other"
            )
            setup_cr.commit()
        self.addCleanup(delete_account_row, database, signed_in)
        assert_lock_waits_for(self, database, held=signed_in, account_id=other_id)


@tagged("post_install", "-at_install")
class TestSharedCalendarsSetting(SyncCase):
    def picker(self):
        action = self.account.with_user(self.user_alice).action_choose_calendars()
        return self.env[action["res_model"]].browse(action["res_id"])

    def test_shared_calendars_wait_for_the_administrator_and_a_reconnect(self):
        """Off: no shared calendar offered, the sign-in asks for no access to them. On: they
        are offered; one chosen before the user reconnected fails with a clear reason, and
        syncs once the user reconnected (and so granted the permission)."""
        params = self.env["ir.config_parameter"]
        self.emulator.share_calendar(BOB, None, ALICE, can_edit=True)
        self.emulator.create_event(BOB, outlook_event("Bob's planning"))
        self.assertNotIn(
            "Calendars.ReadWrite.Shared", query_of(self.start_sign_in("alice"))["scope"]
        )
        self.assertFalse(self.picker().line_ids.filtered("shared"))

        params.set_param("outlook_calendar_sync.shared_calendars", True)
        self.assertIn("Calendars.ReadWrite.Shared", query_of(self.start_sign_in("alice"))["scope"])
        picker = self.picker()
        picker.line_ids.filtered("shared").selected = True
        picker.action_apply()
        shared = self.account.calendar_account_ids

        log = shared._sync()
        self.assertEqual(log.state, "failed")
        self.assertIn("reconnect", shared.last_error.lower())
        self.assertFalse(self.odoo_events("Bob's planning"))

        self.connect("alice", ALICE, choose_default=False)
        self.sync(shared)
        self.assertEqual(len(self.odoo_events("Bob's planning")), 1)
