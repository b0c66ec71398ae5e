"""Calendars shared by another user: listed in the recipient's mailbox under its own id, read
and written through it (acting on the owner's events), read role, scope, unsharing."""

import json
from datetime import timedelta

import pytest
import requests
from emulator_support import SCOPE, START, event_body, graph_session

from graph_emulator import GraphEmulator
from graph_emulator.errors import GraphError

ALICE, BOB = "alice@example.com", "bob@example.com"
WINDOW = {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}


def _round(session, url, params=None):
    items = []
    while True:
        page = session.get(url, params=params).json()
        params = None
        items.extend(page["value"])
        if "@odata.deltaLink" in page:
            return items, page["@odata.deltaLink"]
        url = page["@odata.nextLink"]


SHARED_SCOPE = f"{SCOPE} Calendars.ReadWrite.Shared"


@pytest.fixture
def alice(g):
    """Alice signed in granting the shared-calendar permission."""
    return graph_session(g, ALICE, SHARED_SCOPE)


@pytest.fixture
def bob(g):
    """Bob signed in granting the shared-calendar permission."""
    return graph_session(g, BOB, SHARED_SCOPE)


@pytest.fixture
def team(g):
    """Alice's "Team" calendar, shared with Bob as a writer: (owner's id, Bob's id)."""
    calendar = g.add_calendar(ALICE, "Team", color="lightBlue")
    return calendar, g.share_calendar(ALICE, calendar, BOB)


def test_the_recipient_lists_the_shared_calendar_under_its_own_id(g, bob, team):
    owner_id, bob_id = team
    listed = bob.get(f"{g.graph}/me/calendars").json()["value"]
    assert [c["name"] for c in listed] == ["Calendar", "Team"]
    shared = listed[1]
    assert shared["id"] == bob_id != owner_id
    assert shared["owner"] == {"name": "Alice Martin", "address": ALICE}
    assert (shared["isDefaultCalendar"], shared["canEdit"], shared["canShare"]) == (
        False,
        True,
        False,
    )
    assert shared["isRemovable"] is True
    assert bob.get(f"{g.graph}/me/calendars/{bob_id}").json() == shared
    assert g.calendars(BOB) == listed
    alice_own = g.calendars(ALICE)
    assert [(c["name"], c["canShare"]) for c in alice_own] == [("Calendar", True), ("Team", True)]
    assert g.add_calendar(ALICE, "team") == owner_id


def test_the_default_calendar_can_be_shared_as_read_only(g, bob):
    bob_id = g.share_calendar(ALICE, None, BOB, can_edit=False)
    shared = bob.get(f"{g.graph}/me/calendars/{bob_id}").json()
    assert (shared["name"], shared["canEdit"], shared["isDefaultCalendar"]) == (
        "Calendar",
        False,
        False,
    )
    assert g.share_calendar(ALICE, None, BOB) == bob_id
    assert bob.get(f"{g.graph}/me/calendars/{bob_id}").json()["canEdit"] is True


def test_the_recipient_writes_land_in_the_owner_calendar_and_delta(g, alice, bob, team):
    owner_id, bob_id = team
    _, alice_link = _round(alice, f"{g.graph}/me/calendars/{owner_id}/calendarView/delta", WINDOW)
    created = bob.post(f"{g.graph}/me/calendars/{bob_id}/events", json=event_body("By Bob"))
    assert created.status_code == 201
    event = created.json()
    assert event["organizer"]["emailAddress"]["address"] == ALICE
    assert [e["id"] for e in g.events(ALICE, owner_id)] == [event["id"]]
    assert g.events(BOB) == []
    changes, _ = _round(alice, alice_link)
    assert [(c["id"], c["subject"]) for c in changes] == [(event["id"], "By Bob")]
    assert (
        bob.get(f"{g.graph}/me/calendars/{bob_id}/events").json()["value"][0]["id"] == (event["id"])
    )
    rows = bob.get(f"{g.graph}/me/calendars/{bob_id}/calendarView", params=WINDOW).json()
    assert [r["id"] for r in rows["value"]] == [event["id"]]
    deleted = bob.delete(f"{g.graph}/me/calendars/{bob_id}/events/{event['id']}")
    assert deleted.status_code == 204 and g.events(ALICE, owner_id) == []


def test_the_owner_edits_reach_the_recipient_delta_on_the_shared_id(g, bob, team):
    owner_id, bob_id = team
    event = g.create_event(ALICE, event_body("Planning"), calendar_id=owner_id)
    g.create_event(ALICE, event_body("Default calendar"))
    url = f"{g.graph}/me/calendars/{bob_id}/calendarView/delta"
    first, link = _round(bob, url, WINDOW)
    assert [i["id"] for i in first] == [event["id"]]
    assert link.startswith(url)
    g.update_event(ALICE, event["id"], {"subject": "Planning, moved"})
    g.create_event(ALICE, event_body("Also default"))
    changes, link = _round(bob, link)
    assert [(c["id"], c["subject"]) for c in changes] == [(event["id"], "Planning, moved")]
    g.delete_event(ALICE, event["id"])
    removed, _ = _round(bob, link)
    assert removed == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": event["id"],
            "@removed": {"reason": "deleted"},
        }
    ]


def test_the_recipient_own_delta_tokens_expire_with_its_mailbox(g, bob, team):
    _, bob_id = team
    _, link = _round(bob, f"{g.graph}/me/calendars/{bob_id}/calendarView/delta", WINDOW)
    g.expire_delta_tokens(ALICE)
    assert bob.get(link).status_code == 200
    g.expire_delta_tokens(BOB)
    assert bob.get(link).status_code == 410


def test_the_recipient_patches_with_if_match_and_gets_412_when_stale(g, bob, team):
    owner_id, bob_id = team
    event = g.create_event(ALICE, event_body("Review"), calendar_id=owner_id)
    url = f"{g.graph}/me/calendars/{bob_id}/events/{event['id']}"
    updated = bob.patch(
        url, json={"subject": "Review 1"}, headers={"If-Match": event["@odata.etag"]}
    )
    assert updated.status_code == 200 and updated.json()["subject"] == "Review 1"
    stale = bob.patch(url, json={"subject": "Review 2"}, headers={"If-Match": event["@odata.etag"]})
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "ErrorIrresolvableConflict"
    assert [e["subject"] for e in g.events(ALICE, owner_id)] == ["Review 1"]
    assert bob.get(url).json()["@odata.etag"] == updated.json()["@odata.etag"]


def test_meetings_written_by_the_recipient_mail_as_the_owner(g, bob, team):
    _, bob_id = team
    g.add_mailbox("carol@example.com")
    meeting = bob.post(
        f"{g.graph}/me/calendars/{bob_id}/events",
        json=event_body("Kick-off", attendees=[{"emailAddress": {"address": "carol@example.com"}}]),
    ).json()
    bob.post(
        f"{g.graph}/me/calendars/{bob_id}/events/{meeting['id']}/cancel",
        json={"comment": "Postponed"},
    )
    assert [(m["kind"], m["toRecipients"]) for m in g.sent_mail(ALICE)] == [
        ("invitation", ["carol@example.com"]),
        ("cancellation", ["carol@example.com"]),
    ]
    assert g.sent_mail(BOB) == []
    assert g.events("carol@example.com")[0]["isCancelled"] is True


def test_the_read_role_refuses_every_write_and_changes_nothing(g, bob):
    event = g.create_event(ALICE, event_body("Read me"))
    bob_id = g.share_calendar(ALICE, None, BOB, can_edit=False)
    base = f"{g.graph}/me/calendars/{bob_id}"
    assert bob.get(f"{base}/events/{event['id']}").json()["subject"] == "Read me"
    writes = [
        bob.post(f"{base}/events", json=event_body("Sneaky")),
        bob.patch(f"{base}/events/{event['id']}", json={"subject": "Changed"}),
        bob.delete(f"{base}/events/{event['id']}"),
        bob.post(f"{base}/events/{event['id']}/cancel", json={}),
        bob.post(f"{base}/events/{event['id']}/accept", json={}),
    ]
    assert [(w.status_code, w.json()["error"]["code"]) for w in writes] == [
        (403, "ErrorAccessDenied")
    ] * 5
    assert g.events(ALICE) == [event]
    assert g.sent_mail() == []


def test_events_of_the_owner_other_calendars_are_not_reached(g, bob, team):
    _, bob_id = team
    private = g.create_event(ALICE, event_body("Elsewhere"))
    base = f"{g.graph}/me/calendars/{bob_id}/events/{private['id']}"
    answers = [
        bob.get(base),
        bob.patch(base, json={"subject": "Hijacked"}),
        bob.delete(base),
        bob.get(f"{base}/instances", params=WINDOW),
        bob.post(f"{base}/cancel", json={}),
    ]
    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [
        (404, "ErrorItemNotFound")
    ] * 5
    assert g.events(ALICE) == [private]
    assert bob.get(f"{g.graph}/me/events/{private['id']}").status_code == 404
    assert bob.get(f"{g.graph}/users/{ALICE}/events").status_code == 403


def test_occurrences_of_a_shared_series_are_reached_through_the_shared_id(g, bob, team):
    owner_id, bob_id = team
    series = g.create_event(
        ALICE,
        event_body(
            "Weekly",
            recurrence={
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"]},
                "range": {"type": "numbered", "startDate": "2026-03-03", "numberOfOccurrences": 3},
            },
        ),
        calendar_id=owner_id,
    )
    base = f"{g.graph}/me/calendars/{bob_id}/events/{series['id']}"
    rows = bob.get(f"{base}/instances", params=WINDOW).json()["value"]
    assert len(rows) == 3
    moved = bob.patch(
        f"{g.graph}/me/calendars/{bob_id}/events/{rows[1]['id']}", json={"subject": "Special"}
    )
    assert moved.status_code == 200 and moved.json()["type"] == "exception"
    view = g.calendar_view(ALICE, START, START + timedelta(days=30))
    assert [r["subject"] for r in view] == ["Weekly", "Special", "Weekly"]


def test_a_subscription_on_a_shared_calendar_is_refused(g, bob, team):
    _, bob_id = team
    reply = bob.post(
        f"{g.graph}/subscriptions",
        json={
            "changeType": "created,updated,deleted",
            "notificationUrl": "http://127.0.0.1:9/hook",
            "resource": f"/me/calendars/{bob_id}/events",
            "expirationDateTime": (START + timedelta(days=2)).isoformat(),
        },
    )
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "ExtensionError"
    assert g.subscriptions() == [] and g.notifications() == []


def test_unsharing_removes_the_calendar_and_its_routes(g, bob, team):
    owner_id, bob_id = team
    event = g.create_event(ALICE, event_body("Gone for Bob"), calendar_id=owner_id)
    _, link = _round(bob, f"{g.graph}/me/calendars/{bob_id}/calendarView/delta", WINDOW)
    g.unshare_calendar(ALICE, owner_id, BOB)
    assert [c["name"] for c in bob.get(f"{g.graph}/me/calendars").json()["value"]] == ["Calendar"]
    answers = [
        bob.get(f"{g.graph}/me/calendars/{bob_id}"),
        bob.get(f"{g.graph}/me/calendars/{bob_id}/events/{event['id']}"),
        bob.post(f"{g.graph}/me/calendars/{bob_id}/events", json=event_body()),
        bob.get(link),
    ]
    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [
        (404, "ErrorItemNotFound")
    ] * 4
    assert [e["subject"] for e in g.events(ALICE, owner_id)] == ["Gone for Bob"]
    with pytest.raises(GraphError, match="ErrorItemNotFound"):
        g.unshare_calendar(ALICE, owner_id, BOB)


def test_the_recipient_master_categories_stay_its_own(g, bob, team):
    g.add_master_category(ALICE, "Owner only")
    g.add_master_category(BOB, "Bob's")
    names = [
        c["displayName"] for c in bob.get(f"{g.graph}/me/outlook/masterCategories").json()["value"]
    ]
    assert names == ["Bob's"]


def test_control_api_adds_shares_and_unshares_calendars(g):
    base = f"{g.url}/_emulator/mailboxes"
    made = requests.post(f"{base}/{ALICE}/calendars", json={"name": "Ops"})
    assert made.status_code == 201
    calendar = made.json()["id"]
    shared = requests.post(
        f"{base}/{ALICE}/shares",
        json={"calendar_id": calendar, "recipient": BOB, "can_edit": False},
    )
    assert shared.status_code == 201
    listed = requests.get(f"{base}/{BOB}/calendars").json()["value"]
    assert [(c["id"], c["name"], c["canEdit"]) for c in listed[1:]] == [
        (shared.json()["id"], "Ops", False)
    ]
    created = requests.post(
        f"{base}/{ALICE}/events", params={"calendar_id": calendar}, json=event_body("Ops event")
    ).json()
    in_ops = requests.get(f"{base}/{ALICE}/events", params={"calendar_id": calendar}).json()
    assert [e["id"] for e in in_ops["value"]] == [created["id"]]
    gone = requests.delete(
        f"{base}/{ALICE}/shares", json={"calendar_id": calendar, "recipient": BOB}
    )
    assert gone.status_code == 204
    assert len(requests.get(f"{base}/{BOB}/calendars").json()["value"]) == 1


def test_shares_survive_the_state_file(tmp_path):
    state = tmp_path / "state.json"
    with GraphEmulator(state_file=state) as first:
        calendar = first.add_calendar(ALICE, "Team")
        bob_id = first.share_calendar(ALICE, calendar, BOB, can_edit=False)
        listed = first.calendars(BOB)
    assert json.loads(state.read_text())["mailboxes"][1]["shared_calendars"]
    with GraphEmulator(state_file=state) as second:
        assert second.calendars(BOB) == listed
        assert second.calendars(BOB)[1]["id"] == bob_id


def test_a_shared_calendar_needs_the_shared_permission(g, team):
    """Without Calendars.ReadWrite.Shared granted, the shared calendar is listed but its
    routes are refused; the token redeemed after granting it (even for other scopes) works."""
    _owner_id, bob_id = team
    plain = graph_session(g, BOB)
    assert bob_id in [c["id"] for c in plain.get(f"{g.graph}/me/calendars").json()["value"]]
    refused = plain.get(f"{g.graph}/me/calendars/{bob_id}/events")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "ErrorAccessDenied"
    granted = graph_session(g, BOB, SHARED_SCOPE)
    assert granted.get(f"{g.graph}/me/calendars/{bob_id}/events").status_code == 200
