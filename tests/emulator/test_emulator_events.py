"""Graph v1.0 users, calendars and event CRUD with the resource's fidelity details."""

import re

import requests
from emulator_support import event_body, graph_session

EXT_ID = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name odooEventId"


def test_me_and_users_by_upn_and_id(g, alice):
    me = alice.get(f"{g.graph}/me").json()
    assert me["userPrincipalName"] == "alice@example.com" and me["displayName"] == "Alice Martin"
    assert alice.get(f"{g.graph}/users/alice@example.com").json()["id"] == me["id"]
    assert alice.get(f"{g.graph}/users/{me['id']}").json()["mail"] == "alice@example.com"
    other = alice.get(f"{g.graph}/users/bob@example.com")
    assert other.status_code == 403 and other.json()["error"]["code"] == "ErrorAccessDenied"


def test_missing_bearer_is_401_in_graph_error_shape(g):
    reply = requests.get(f"{g.graph}/me")
    error = reply.json()["error"]
    assert reply.status_code == 401 and error["code"] == "InvalidAuthenticationToken"
    assert set(error) == {"code", "message", "innerError"} and "request-id" in error["innerError"]


def test_calendars_list_default_and_secondary(g, alice):
    created = alice.post(f"{g.graph}/me/calendars", json={"name": "Projects"})
    assert created.status_code == 201
    calendars = alice.get(f"{g.graph}/me/calendars").json()["value"]
    assert [c["isDefaultCalendar"] for c in calendars] == [True, False]
    assert all(c["canEdit"] for c in calendars)
    assert alice.get(f"{g.graph}/me/calendar").json()["id"] == calendars[0]["id"]
    event = alice.post(
        f"{g.graph}/me/calendars/{calendars[1]['id']}/events", json=event_body()
    ).json()
    assert [
        e["id"]
        for e in alice.get(f"{g.graph}/me/calendars/{calendars[1]['id']}/events").json()["value"]
    ] == [event["id"]]
    assert alice.get(f"{g.graph}/me/calendar/events").json()["value"] == []


def test_a_failing_calendar_list_leaves_the_default_calendar_and_its_events(g, alice):
    """``GET /me/calendars`` answers Graph's recorded 500 (or 403); ``/me/calendar`` and the
    routes under a calendar id still work."""
    projects = alice.post(f"{g.graph}/me/calendars", json={"name": "Projects"}).json()["id"]
    g.fail_calendar_list("alice@example.com")
    reply = alice.get(f"{g.graph}/me/calendars")
    assert reply.status_code == 500
    assert reply.json()["error"]["code"] == "ErrorInternalServerError"
    default = alice.get(f"{g.graph}/me/calendar").json()
    assert default["isDefaultCalendar"] is True
    assert alice.get(f"{g.graph}/me/calendars/{projects}/events").status_code == 200
    g.fail_calendar_list("alice@example.com", 403)
    assert alice.get(f"{g.graph}/me/calendars").json()["error"]["code"] == "ErrorAccessDenied"
    g.fail_calendar_list("alice@example.com", None)
    assert len(alice.get(f"{g.graph}/me/calendars").json()["value"]) == 2


def test_a_personal_account_has_no_mail_and_an_outlook_alias_as_its_own_address(g):
    """A personal Microsoft account: ``/me`` has ``mail: null``; its calendars' owner and its
    events' organizer are an ``outlook_<16 hex>@outlook.com`` alias."""
    g.add_mailbox("carol@outlook.com", display_name="Carol", personal=True)
    carol = graph_session(g, "carol@outlook.com")
    me = carol.get(f"{g.graph}/me").json()
    assert me["mail"] is None and me["userPrincipalName"] == "carol@outlook.com"
    owner = carol.get(f"{g.graph}/me/calendar").json()["owner"]["address"]
    assert re.fullmatch(r"outlook_[0-9A-F]{16}@outlook\.com", owner)
    event = carol.post(f"{g.graph}/me/events", json=event_body()).json()
    assert event["organizer"]["emailAddress"] == {"name": owner, "address": owner}
    assert carol.get(f"{g.graph}/me/calendars").json()["value"][0]["owner"]["address"] == owner


def test_create_returns_full_event_with_ids_and_etag(g, alice):
    reply = alice.post(
        f"{g.graph}/me/events", json=event_body(body={"contentType": "text", "content": "Hi"})
    )
    assert reply.status_code == 201
    event = reply.json()
    assert event["type"] == "singleInstance" and event["isOrganizer"] is True
    assert event["@odata.etag"] == f'W/"{event["changeKey"]}"'
    assert event["iCalUId"].startswith("040000008200E00074C5B7101A82E008")
    assert event["start"] == {"dateTime": "2026-03-03T10:00:00.0000000", "timeZone": "UTC"}
    assert event["body"]["contentType"] == "html" and "Hi" in event["body"]["content"]
    assert event["organizer"]["emailAddress"]["address"] == "alice@example.com"
    assert event["responseStatus"]["response"] == "organizer"
    fetched = alice.get(f"{g.graph}/me/events/{event['id']}").json()
    assert fetched["changeKey"] == event["changeKey"]


def test_update_changes_change_key_but_never_the_id(g, alice):
    event = alice.post(f"{g.graph}/me/events", json=event_body()).json()
    g.clock.advance(60)
    updated = alice.patch(f"{g.graph}/me/events/{event['id']}", json={"subject": "Renamed"}).json()
    assert updated["id"] == event["id"] and updated["subject"] == "Renamed"
    assert updated["changeKey"] != event["changeKey"]
    assert updated["lastModifiedDateTime"] > event["lastModifiedDateTime"]


def test_stale_if_match_gives_412_and_current_one_succeeds(g, alice):
    event = alice.post(f"{g.graph}/me/events", json=event_body()).json()
    g.update_event("alice@example.com", event["id"], {"subject": "Edited in Outlook"})
    stale = alice.patch(
        f"{g.graph}/me/events/{event['id']}",
        json={"subject": "Odoo"},
        headers={"If-Match": event["@odata.etag"]},
    )
    assert stale.status_code == 412 and stale.json()["error"]["code"] == "ErrorIrresolvableConflict"
    current = alice.get(f"{g.graph}/me/events/{event['id']}").json()["@odata.etag"]
    assert (
        alice.patch(
            f"{g.graph}/me/events/{event['id']}",
            json={"subject": "Odoo"},
            headers={"If-Match": current},
        ).status_code
        == 200
    )
    assert (
        alice.delete(
            f"{g.graph}/me/events/{event['id']}", headers={"If-Match": event["@odata.etag"]}
        ).status_code
        == 412
    )


def test_delete_then_get_is_404_item_not_found(g, alice):
    event = alice.post(f"{g.graph}/me/events", json=event_body()).json()
    assert alice.delete(f"{g.graph}/me/events/{event['id']}").status_code == 204
    gone = alice.get(f"{g.graph}/me/events/{event['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ErrorItemNotFound"


def test_prefer_outlook_timezone_converts_start_and_end(g, alice):
    event = alice.post(
        f"{g.graph}/me/events",
        json=event_body(
            start="2026-07-01T09:00:00", end="2026-07-01T10:00:00", tz="Romance Standard Time"
        ),
    ).json()
    assert event["start"]["dateTime"] == "2026-07-01T07:00:00.0000000"
    assert event["originalStartTimeZone"] == "Romance Standard Time"
    local = alice.get(
        f"{g.graph}/me/events/{event['id']}",
        headers={"Prefer": 'outlook.timezone="Pacific Standard Time"'},
    )
    assert local.json()["start"] == {
        "dateTime": "2026-07-01T00:00:00.0000000",
        "timeZone": "Pacific Standard Time",
    }
    assert 'outlook.timezone="Pacific Standard Time"' in local.headers["Preference-Applied"]


def test_all_day_is_midnight_to_midnight_whatever_the_zone(g, alice):
    body = event_body(
        start="2026-03-05", end="2026-03-06", tz="Eastern Standard Time", isAllDay=True
    )
    event = alice.post(f"{g.graph}/me/events", json=body).json()
    local = alice.get(
        f"{g.graph}/me/events/{event['id']}",
        headers={"Prefer": 'outlook.timezone="Tokyo Standard Time"'},
    ).json()
    assert (
        local["start"]["dateTime"] == "2026-03-05T00:00:00.0000000"
        and local["end"]["dateTime"] == "2026-03-06T00:00:00.0000000"
    )
    bad = alice.post(
        f"{g.graph}/me/events",
        json=event_body(start="2026-03-05T10:00:00", end="2026-03-06T10:00:00", isAllDay=True),
    )
    assert bad.status_code == 400
    short = alice.post(
        f"{g.graph}/me/events", json=event_body(start="2026-03-05", end="2026-03-05", isAllDay=True)
    )
    assert short.status_code == 400


def test_repeat_create_with_same_transaction_id_returns_the_first_event(g, alice):
    body = event_body(transactionId="odoo-db-42-1")
    first = alice.post(f"{g.graph}/me/events", json=body).json()
    second = alice.post(f"{g.graph}/me/events", json=body).json()
    assert second["id"] == first["id"] and first["transactionId"] == "odoo-db-42-1"
    assert len(g.events("alice@example.com")) == 1


def test_extended_property_created_and_expanded_by_id_filter(g, alice):
    event = alice.post(
        f"{g.graph}/me/events",
        json=event_body(singleValueExtendedProperties=[{"id": EXT_ID, "value": "42"}]),
    ).json()
    assert "singleValueExtendedProperties" not in event
    expanded = alice.get(
        f"{g.graph}/me/events/{event['id']}",
        params={"$expand": f"singleValueExtendedProperties($filter=id eq '{EXT_ID}')"},
    ).json()
    assert expanded["singleValueExtendedProperties"] == [{"id": EXT_ID, "value": "42"}]
    found = alice.get(
        f"{g.graph}/me/events",
        params={
            "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq '{EXT_ID}' and ep/value eq '42')"
        },
    ).json()["value"]
    assert [e["id"] for e in found] == [event["id"]]


def test_select_top_filter_and_paging_on_events(g, alice):
    for i in range(12):
        alice.post(f"{g.graph}/me/events", json=event_body(subject=f"E{i:02d}"))
    page = alice.get(f"{g.graph}/me/events", params={"$select": "subject", "$top": "5"}).json()
    assert len(page["value"]) == 5 and set(page["value"][0]) == {"@odata.etag", "id", "subject"}
    rest = alice.get(page["@odata.nextLink"]).json()
    assert len(rest["value"]) == 5 and rest["value"][0]["subject"] == "E05"
    default = alice.get(f"{g.graph}/me/events").json()
    assert len(default["value"]) == 10 and "@odata.nextLink" in default
    filtered = alice.get(
        f"{g.graph}/me/events", params={"$filter": "subject eq 'E03' or startswith(subject, 'E1')"}
    ).json()
    assert sorted(e["subject"] for e in filtered["value"]) == ["E03", "E10", "E11"]


def test_unknown_property_and_bad_enum_are_rejected(g, alice):
    unknown = alice.post(f"{g.graph}/me/events", json=event_body(sendInvitations=False))
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "RequestBodyRead"
    assert alice.post(f"{g.graph}/me/events", json=event_body(showAs="away")).status_code == 400
    assert alice.post(f"{g.graph}/me/events", json={"subject": "no times"}).status_code == 400


def test_server_side_edit_is_visible_through_graph(g, alice):
    created = g.create_event("alice@example.com", event_body(subject="From Outlook"))
    listed = alice.get(f"{g.graph}/me/events").json()["value"]
    assert [e["id"] for e in listed] == [created["id"]]
    g.delete_event("alice@example.com", created["id"])
    assert alice.get(f"{g.graph}/me/events").json()["value"] == []
