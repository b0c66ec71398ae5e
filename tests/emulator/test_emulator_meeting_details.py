"""Master categories, online meetings on work and personal mailboxes, declined responses."""

import requests
from emulator_support import event_body, graph_session


def test_master_categories_are_listed_created_and_recoloured(g, alice):
    url = f"{g.graph}/me/outlook/masterCategories"
    created = alice.post(url, json={"displayName": "Travel", "color": "preset4"})
    assert created.status_code == 201
    category = created.json()
    assert category["displayName"] == "Travel" and category["color"] == "preset4"

    listed = alice.get(url).json()["value"]
    assert [(c["displayName"], c["color"]) for c in listed] == [("Travel", "preset4")]
    assert g.master_categories("alice@example.com") == listed

    patched = alice.patch(f"{url}/{category['id']}", json={"color": "preset7"})
    assert patched.json()["color"] == "preset7"
    assert alice.get(f"{url}/{category['id']}").json()["color"] == "preset7"


def test_master_category_names_are_unique_ignoring_case(g, alice):
    url = f"{g.graph}/me/outlook/masterCategories"
    alice.post(url, json={"displayName": "Travel"})
    duplicate = alice.post(url, json={"displayName": "travel", "color": "preset1"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "ErrorDuplicateCategory"


def test_master_category_refuses_unknown_colours_and_renames(g, alice):
    url = f"{g.graph}/me/outlook/masterCategories"
    assert alice.post(url, json={"displayName": "X", "color": "preset25"}).status_code == 400
    category = alice.post(url, json={"displayName": "X"}).json()
    assert category["color"] == "none"
    assert alice.patch(f"{url}/{category['id']}", json={"displayName": "Y"}).status_code == 400
    assert alice.delete(f"{url}/{category['id']}").status_code == 204
    assert alice.get(url).json()["value"] == []


def test_master_categories_belong_to_their_mailbox(g, alice, bob):
    g.add_master_category("alice@example.com", "Travel", "preset0")
    assert bob.get(f"{g.graph}/me/outlook/masterCategories").json()["value"] == []


def test_work_mailbox_creates_a_teams_meeting_on_request(g, alice):
    asked = alice.post(
        f"{g.graph}/me/events",
        json=event_body(isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness"),
    ).json()
    assert asked["isOnlineMeeting"] is True
    assert asked["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/")
    plain = alice.post(f"{g.graph}/me/events", json=event_body()).json()
    assert plain["isOnlineMeeting"] is False and plain["onlineMeeting"] is None


def test_personal_mailbox_saves_the_event_without_the_teams_meeting(g):
    g.add_mailbox("carol@outlook.com", personal=True)
    carol = graph_session(g, "carol@outlook.com")
    calendar = carol.get(f"{g.graph}/me/calendar").json()
    assert calendar["allowedOnlineMeetingProviders"] == []

    created = carol.post(
        f"{g.graph}/me/events",
        json=event_body(isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness"),
    )
    assert created.status_code == 201
    event = created.json()
    assert event["isOnlineMeeting"] is False and event["onlineMeeting"] is None
    patched = carol.patch(f"{g.graph}/me/events/{event['id']}", json={"isOnlineMeeting": True})
    assert patched.json()["isOnlineMeeting"] is False


def test_a_tenant_refusing_teams_answers_400_and_saves_nothing(g, alice):
    g.refuse_teams_meetings("alice@example.com")
    teams = event_body(isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness")

    refused = alice.post(f"{g.graph}/me/events", json=teams)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ErrorInvalidRequest"
    assert g.events("alice@example.com") == []

    plain = alice.post(f"{g.graph}/me/events", json=event_body()).json()
    patched = alice.patch(f"{g.graph}/me/events/{plain['id']}", json={"isOnlineMeeting": True})
    assert patched.status_code == 400
    assert alice.get(f"{g.graph}/me/events/{plain['id']}").json()["changeKey"] == plain["changeKey"]

    requests.post(
        f"{g.url}/_emulator/teams/refuse", json={"mailbox": "alice@example.com", "refused": False}
    )
    assert alice.post(f"{g.graph}/me/events", json=teams).json()["isOnlineMeeting"] is True


def test_declining_a_copy_marks_the_organizer_attendee_declined(g, alice, bob):
    meeting = alice.post(
        f"{g.graph}/me/events",
        json=event_body(
            attendees=[{"emailAddress": {"address": "bob@example.com"}, "type": "required"}]
        ),
    ).json()
    copy_id = g.events("bob@example.com")[0]["id"]
    assert bob.post(f"{g.graph}/me/events/{copy_id}/decline", json={}).status_code == 202
    organizer = alice.get(f"{g.graph}/me/events/{meeting['id']}").json()
    assert organizer["attendees"][0]["status"]["response"] == "declined"
    own = bob.get(f"{g.graph}/me/events/{copy_id}").json()
    assert own["responseStatus"]["response"] == "declined"


def test_answer_to_one_occurrence_outlives_an_organizer_update(g, alice, bob):
    series = event_body(
        subject="Stand-up",
        start="2025-01-06T10:00:00",
        end="2025-01-06T11:00:00",
        attendees=[{"emailAddress": {"address": "bob@example.com"}, "type": "required"}],
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2025-01-06", "numberOfOccurrences": 3},
        },
    )
    master = alice.post(f"{g.graph}/me/events", json=series).json()
    copy_id = g.events("bob@example.com")[0]["id"]
    window = "startDateTime=2025-01-01T00:00:00Z&endDateTime=2025-01-31T00:00:00Z"
    rows = bob.get(f"{g.graph}/me/events/{copy_id}/instances?{window}").json()["value"]
    bob.post(f"{g.graph}/me/events/{rows[1]['id']}/decline", json={})

    alice.patch(f"{g.graph}/me/events/{master['id']}", json={"subject": "Daily stand-up"})

    rows = bob.get(f"{g.graph}/me/events/{copy_id}/instances?{window}").json()["value"]
    assert [row["subject"] for row in rows] == ["Daily stand-up"] * 3
    assert [row["responseStatus"]["response"] for row in rows] == [
        "notResponded",
        "declined",
        "notResponded",
    ]
