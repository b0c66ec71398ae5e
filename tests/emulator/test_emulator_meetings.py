"""Meetings across emulator mailboxes and the mail Exchange would send."""

from emulator_support import event_body


def _attendee(address):
    return {"emailAddress": {"address": address, "name": address.split("@")[0]}, "type": "required"}


def _meeting(g, alice, *addresses):
    return alice.post(
        f"{g.graph}/me/events",
        json=event_body(subject="Planning", attendees=[_attendee(a) for a in addresses]),
    ).json()


def test_invitation_puts_a_copy_with_same_ical_uid_in_attendee_mailbox(g, alice):
    meeting = _meeting(g, alice, "bob@example.com", "dave@contoso.com")
    copies = g.events("bob@example.com")
    assert (
        len(copies) == 1
        and copies[0]["iCalUId"] == meeting["iCalUId"]
        and copies[0]["id"] != meeting["id"]
    )
    assert (
        copies[0]["isOrganizer"] is False
        and copies[0]["responseStatus"]["response"] == "notResponded"
    )
    mail = g.sent_mail("alice@example.com")
    assert [(m["kind"], m["toRecipients"]) for m in mail] == [
        ("invitation", ["bob@example.com", "dave@contoso.com"])
    ]


def test_acceptance_flows_back_to_the_organizer_and_sends_a_reply(g, alice, bob):
    meeting = _meeting(g, alice, "bob@example.com")
    copy_id = g.events("bob@example.com")[0]["id"]
    assert (
        bob.post(
            f"{g.graph}/me/events/{copy_id}/accept", json={"sendResponse": True, "comment": "ok"}
        ).status_code
        == 202
    )
    organizer_view = alice.get(f"{g.graph}/me/events/{meeting['id']}").json()
    assert organizer_view["attendees"][0]["status"]["response"] == "accepted"
    assert organizer_view["changeKey"] != meeting["changeKey"]
    assert (
        bob.get(f"{g.graph}/me/events/{copy_id}").json()["responseStatus"]["response"] == "accepted"
    )
    assert [m["subject"] for m in g.sent_mail("bob@example.com")] == ["Accepted: Planning"]
    bob.post(f"{g.graph}/me/events/{copy_id}/decline", json={"sendResponse": False})
    assert (
        alice.get(f"{g.graph}/me/events/{meeting['id']}").json()["attendees"][0]["status"][
            "response"
        ]
        == "declined"
    )
    assert len(g.sent_mail("bob@example.com")) == 1


def test_an_answer_to_a_meeting_asking_none_is_refused_unless_it_sends_no_reply(g, alice, bob):
    """An organizer who set ``responseRequested`` false asked for no answers: Graph refuses a
    reply that would mail one (400, "The meeting organizer hasn't requested a response"), and
    keeps the answer sent with ``sendResponse`` false, mailing nobody."""
    alice.post(
        f"{g.graph}/me/events",
        json=event_body(
            subject="All hands", attendees=[_attendee("bob@example.com")], responseRequested=False
        ),
    )
    copy = g.events("bob@example.com")[0]
    assert copy["responseRequested"] is False

    refused = bob.post(f"{g.graph}/me/events/{copy['id']}/accept", json={"sendResponse": True})
    assert refused.status_code == 400
    assert "hasn't requested a response" in refused.json()["error"]["message"]
    after = bob.get(f"{g.graph}/me/events/{copy['id']}").json()
    assert after["responseStatus"]["response"] == "notResponded"
    assert after["changeKey"] == copy["changeKey"], "a refused answer changes nothing"
    assert bob.post(f"{g.graph}/me/events/{copy['id']}/accept", json={}).status_code == 400

    quiet = bob.post(f"{g.graph}/me/events/{copy['id']}/accept", json={"sendResponse": False})
    assert quiet.status_code == 202
    assert bob.get(f"{g.graph}/me/events/{copy['id']}").json()["responseStatus"]["response"] == (
        "accepted"
    )
    assert g.sent_mail("bob@example.com") == []


def test_only_the_primary_calendar_tallies_the_answers(g, alice, bob):
    """The calendar resource: "Only meeting invites sent from users' primary calendars support
    tracking of meeting responses" (``isTallyingResponses``). An answer to a meeting sent from
    a secondary calendar still mails the organizer, and leaves the organizer's copy as it was."""
    projects = g.add_calendar("alice@example.com", "Projects")
    listed = {cal["name"]: cal["isTallyingResponses"] for cal in g.calendars("alice@example.com")}
    assert listed == {"Calendar": True, "Projects": False}
    meeting = alice.post(
        f"{g.graph}/me/calendars/{projects}/events",
        json=event_body(subject="Review", attendees=[_attendee("bob@example.com")]),
    ).json()
    copy_id = g.events("bob@example.com")[0]["id"]

    bob.post(f"{g.graph}/me/events/{copy_id}/accept", json={"sendResponse": True})

    organizer_view = alice.get(f"{g.graph}/me/events/{meeting['id']}").json()
    assert organizer_view["attendees"][0]["status"]["response"] == "none"
    assert organizer_view["changeKey"] == meeting["changeKey"]
    assert [m["subject"] for m in g.sent_mail("bob@example.com")] == ["Accepted: Review"]
    mine = bob.get(f"{g.graph}/me/events/{copy_id}").json()
    assert mine["responseStatus"]["response"] == "accepted"


def test_organizer_cannot_respond_and_attendee_cannot_cancel(g, alice, bob):
    meeting = _meeting(g, alice, "bob@example.com")
    assert alice.post(f"{g.graph}/me/events/{meeting['id']}/accept", json={}).status_code == 400
    copy_id = g.events("bob@example.com")[0]["id"]
    assert (
        bob.post(f"{g.graph}/me/events/{copy_id}/cancel", json={"comment": "no"}).status_code == 400
    )


def test_time_or_location_change_sends_update_but_subject_only_does_not(g, alice):
    meeting = _meeting(g, alice, "bob@example.com")
    alice.patch(f"{g.graph}/me/events/{meeting['id']}", json={"subject": "Planning v2"})
    alice.patch(
        f"{g.graph}/me/events/{meeting['id']}", json={"location": {"displayName": "Room 2"}}
    )
    assert [m["kind"] for m in g.sent_mail("alice@example.com")] == ["invitation", "update"]
    assert g.events("bob@example.com")[0]["location"]["displayName"] == "Room 2"


def test_attendee_added_and_removed_get_invitation_and_cancellation(g, alice):
    meeting = _meeting(g, alice, "bob@example.com")
    g.add_mailbox("carol@example.com", display_name="Carol")
    alice.patch(
        f"{g.graph}/me/events/{meeting['id']}", json={"attendees": [_attendee("carol@example.com")]}
    )
    kinds = [(m["kind"], m["toRecipients"]) for m in g.sent_mail("alice@example.com")][1:]
    assert kinds == [("invitation", ["carol@example.com"]), ("cancellation", ["bob@example.com"])]
    assert g.events("carol@example.com")[0]["iCalUId"] == meeting["iCalUId"]
    assert g.events("bob@example.com")[0]["isCancelled"] is True


def test_attendee_types_are_kept_and_a_type_change_sends_an_update(g, alice):
    """Optional attendees and rooms keep their type; a PATCH that keeps every type sends no
    update to them, one that turns a room into a required attendee does."""
    room = {"emailAddress": {"address": "room1@example.com", "name": "Room 1"}, "type": "resource"}
    optional = {**_attendee("bob@example.com"), "type": "optional"}
    meeting = alice.post(
        f"{g.graph}/me/events",
        json=event_body(subject="Planning", attendees=[optional, room]),
    ).json()
    assert [a["type"] for a in meeting["attendees"]] == ["optional", "resource"]
    alice.patch(
        f"{g.graph}/me/events/{meeting['id']}",
        json={"attendees": [optional, room, _attendee("carol@example.com")]},
    )
    kinds = [(m["kind"], m["toRecipients"]) for m in g.sent_mail("alice@example.com")][1:]
    assert kinds == [("invitation", ["carol@example.com"])]
    alice.patch(
        f"{g.graph}/me/events/{meeting['id']}",
        json={
            "attendees": [optional, {**room, "type": "required"}, _attendee("carol@example.com")]
        },
    )
    assert [m["kind"] for m in g.sent_mail("alice@example.com")][2:] == ["update"]
    assert [a["type"] for a in g.events("alice@example.com")[0]["attendees"]] == [
        "optional",
        "required",
        "required",
    ]


def test_cancel_and_delete_send_cancellations_and_mark_copies_cancelled(g, alice):
    first = _meeting(g, alice, "bob@example.com")
    second = _meeting(g, alice, "bob@example.com")
    assert (
        alice.post(
            f"{g.graph}/me/events/{first['id']}/cancel", json={"comment": "Sorry"}
        ).status_code
        == 202
    )
    alice.delete(f"{g.graph}/me/events/{second['id']}")
    cancellations = [m for m in g.sent_mail("alice@example.com") if m["kind"] == "cancellation"]
    assert len(cancellations) == 2 and cancellations[0]["comment"] == "Sorry"
    assert g.events("alice@example.com") == []
    assert [e["isCancelled"] for e in g.events("bob@example.com")] == [True, True]


def test_events_without_attendees_send_no_mail(g, alice):
    event = alice.post(f"{g.graph}/me/events", json=event_body()).json()
    alice.patch(
        f"{g.graph}/me/events/{event['id']}",
        json={
            "start": {"dateTime": "2026-03-04T10:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-04T11:00:00", "timeZone": "UTC"},
        },
    )
    alice.delete(f"{g.graph}/me/events/{event['id']}")
    assert g.sent_mail() == []


def test_answer_to_one_occurrence_makes_an_exception_on_both_sides(g, alice, bob):
    series = g.create_event(
        "alice@example.com",
        {
            "subject": "Weekly",
            "start": {"dateTime": "2030-01-07T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2030-01-07T10:00:00", "timeZone": "UTC"},
            "attendees": [{"emailAddress": {"address": "bob@example.com"}, "type": "required"}],
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
                "range": {"type": "numbered", "startDate": "2030-01-07", "numberOfOccurrences": 3},
            },
        },
    )
    bob_series = g.events("bob@example.com")[0]["id"]
    window = {"startDateTime": "2030-01-01T00:00:00Z", "endDateTime": "2030-02-01T00:00:00Z"}
    second = bob.get(f"{g.graph}/me/events/{bob_series}/instances", params=window).json()["value"][
        1
    ]

    bob.post(f"{g.graph}/me/events/{second['id']}/decline", json={"sendResponse": True})

    bob_rows = bob.get(f"{g.graph}/me/events/{bob_series}/instances", params=window).json()["value"]
    assert [row["responseStatus"]["response"] for row in bob_rows] == [
        "notResponded",
        "declined",
        "notResponded",
    ]
    assert bob_rows[1]["type"] == "exception"
    alice_rows = alice.get(f"{g.graph}/me/events/{series['id']}/instances", params=window).json()
    answers = [row["attendees"][0]["status"]["response"] for row in alice_rows["value"]]
    assert answers == ["none", "declined", "none"]
