"""Writes Graph applied and answered 503, 504 or not at all: the sync sends none of them twice
(no second event, no second mail), checks them on the next run and is quiet after it."""

from datetime import timedelta

from odoo.tests import tagged

from .common import ALICE, BOB, TOMORROW, SeriesCase, SyncCase

CAROL = "carol@example.org"
ENVELOPE_503 = {"kind": "status_after", "method": "POST", "path_contains": "$batch"}
ENVELOPE_504 = {**ENVELOPE_503, "status": 504}
ENVELOPE_LOST = {"kind": "drop_after", "method": "POST", "path_contains": "$batch"}


@tagged("post_install", "-at_install")
class AmbiguousCase(SyncCase):
    def mail(self, mailbox, kind):
        return [m for m in self.emulator.sent_mail(mailbox) if m["kind"] == kind]

    def sync_through(self, fault, account=None):
        """One run of ``account`` (Alice's by default) meets ``fault``, the next finishes the
        job; returns that run's log, after checking that the run after it writes nothing."""
        account = account or self.account
        self.emulator.inject_fault(**fault)
        met = account._sync()
        self.assertFalse(self.emulator.traffic.pending_faults(), "the fault was met")
        self.assertIn(
            "may have been applied all the same",
            " ".join(error["reason"] for error in met.errors or ()),
            "the log says what happened",
        )
        log = self.sync(account)
        quiet = self.assert_next_sync_sends_nothing("the next sync sends nothing", account)
        self.assertFalse(quiet.errors)
        return log


class TestAmbiguousReply(AmbiguousCase):
    """Alice accepts Bob's meeting in Odoo; Graph records her answer and mails Bob, then
    answers the request (or the whole ``$batch``) 503, 504 or nothing."""

    def setUp(self):
        super().setUp()
        self.meeting = self.invitation_from_bob("Roadmap")

    def accept_through(self, fault):
        alice = self.attendee_of(self.event, self.user_alice)
        alice.do_accept()
        self.sync_through(fault)
        self.assertEqual(self.response_at(BOB, self.meeting["id"], ALICE), "accepted")
        self.assertEqual(len(self.mail(ALICE, "reply")), 1, "Bob gets one answer")
        self.assertEqual(len(self.odoo_events("Roadmap")), 1)
        self.assertEqual(alice.state, "accepted")

    def test_envelope_answered_503_after_applying(self):
        self.accept_through(ENVELOPE_503)

    def test_envelope_answered_504_after_applying(self):
        self.accept_through(ENVELOPE_504)

    def test_envelope_lost_after_applying(self):
        self.accept_through(ENVELOPE_LOST)

    def test_reply_item_answered_503_after_applying(self):
        self.accept_through({"kind": "status_after", "path_contains": "/accept"})

    def test_reply_item_answered_504_after_applying(self):
        self.accept_through({"kind": "status_after", "status": 504, "path_contains": "/accept"})


class TestAmbiguousCreate(AmbiguousCase):
    """Alice's new Odoo meeting with Carol: Graph creates it and invites Carol, then answers
    503, 504 or nothing."""

    def create_through(self, fault):
        self.sync()  # the first sync mails nobody; this meeting comes after it
        carol = self.env["res.partner"].create({"name": "Carol", "email": CAROL})
        self.odoo_event(
            "Kick-off",
            guests=(carol,),
        )
        self.sync_through(fault)
        self.assertEqual(len(self.outlook_events("Kick-off")), 1)
        self.assertEqual(len(self.odoo_events("Kick-off")), 1)
        self.assertEqual(len(self.account.link_ids), 1)
        self.assertEqual(len(self.mail(ALICE, "invitation")), 1, "Carol is invited once")

    def test_envelope_answered_503_after_applying(self):
        self.create_through(ENVELOPE_503)

    def test_envelope_answered_504_after_applying(self):
        self.create_through(ENVELOPE_504)

    def test_create_item_answered_503_after_applying(self):
        self.create_through({"kind": "status_after", "method": "POST", "path_contains": "/events"})


class TestAmbiguousUpdate(AmbiguousCase):
    """Alice moves her meeting with Carol in Odoo: Graph moves it and mails Carol the update,
    then answers 503, 504 or nothing."""

    def move_through(self, fault):
        self.sync()
        carol = self.env["res.partner"].create({"name": "Carol", "email": CAROL})
        event = self.odoo_event(
            "Review",
            guests=(carol,),
        )
        self.sync()
        later = TOMORROW + timedelta(hours=3)
        event.write({"start": later, "stop": later + timedelta(hours=1)})
        self.sync_through(fault)
        copy = self.outlook_events("Review")
        self.assertEqual(len(copy), 1)
        self.assertEqual(copy[0]["start"]["dateTime"][:16], later.strftime("%Y-%m-%dT%H:%M"))
        self.assertEqual(event.start, later)
        self.assertEqual(len(self.mail(ALICE, "update")), 1, "Carol hears of the move once")

    def test_envelope_answered_503_after_applying(self):
        self.move_through(ENVELOPE_503)

    def test_envelope_answered_504_after_applying(self):
        self.move_through(ENVELOPE_504)

    def test_update_item_answered_503_after_applying(self):
        self.move_through({"kind": "status_after", "method": "PATCH"})


class TestAmbiguousSeriesReply(AmbiguousCase, SeriesCase):
    """Bob accepts every occurrence of Alice's series in Odoo: one answer to the series, sent
    in ``$batch`` as the single events' writes are, applied and answered 503, 504 or
    nothing."""

    def setUp(self):
        super().setUp()
        self.series_with_bob("Board")

    def accept_series_through(self, fault):
        mine = self.attendee_of(self.odoo_events("Board"), self.user_bob)
        mine.with_user(self.user_bob).write({"state": "accepted"})
        self.sync_through(fault, self.bob)
        answers = {self.response_of(row, BOB) for row in self.outlook_occurrences("Board")}
        self.assertEqual(answers, {"accepted"})
        self.assertEqual(len(self.mail(BOB, "reply")), 1, "Alice gets one answer")
        self.assertEqual(set(mine.mapped("state")), {"accepted"})

    def test_series_reply_answered_503_after_applying(self):
        self.accept_series_through({"kind": "status_after", "path_contains": "/accept"})

    def test_series_reply_answered_504_after_applying(self):
        self.accept_series_through(
            {"kind": "status_after", "status": 504, "path_contains": "/accept"}
        )

    def test_series_reply_lost_after_applying(self):
        self.accept_series_through(ENVELOPE_LOST)
