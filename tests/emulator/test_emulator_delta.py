"""calendarView and calendarView/delta: windows, paging, rounds, @removed and 410."""

import requests
from emulator_support import event_body

WINDOW = {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}


def _round(session, url, params=None, pagesize=None):
    headers = (
        {"Prefer": f'outlook.timezone="UTC", odata.maxpagesize={pagesize}'} if pagesize else {}
    )
    items, pages = [], 0
    while True:
        page = session.get(url, params=params, headers=headers).json()
        params, pages = None, pages + 1
        items.extend(page["value"])
        if "@odata.deltaLink" in page:
            return items, page["@odata.deltaLink"], pages
        url = page["@odata.nextLink"]


def test_calendar_view_needs_window_and_returns_overlapping_events(g, alice):
    inside = alice.post(
        f"{g.graph}/me/events",
        json=event_body(start="2026-03-10T10:00:00", end="2026-03-10T11:00:00"),
    ).json()
    alice.post(
        f"{g.graph}/me/events",
        json=event_body(start="2026-05-10T10:00:00", end="2026-05-10T11:00:00"),
    )
    missing = alice.get(f"{g.graph}/me/calendarView")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "ErrorInvalidParameter"
    rows = alice.get(f"{g.graph}/me/calendarView", params=WINDOW).json()["value"]
    assert [r["id"] for r in rows] == [inside["id"]]
    offset = alice.get(
        f"{g.graph}/me/calendarView",
        params={
            "startDateTime": "2026-03-10T11:30:00+01:00",
            "endDateTime": "2026-03-10T12:00:00+01:00",
        },
    ).json()["value"]
    assert [r["id"] for r in offset] == [inside["id"]]


def test_calendar_view_pages_with_top_and_next_link(g, alice):
    for day in range(1, 26):
        alice.post(
            f"{g.graph}/me/events",
            json=event_body(start=f"2026-03-{day:02d}T09:00:00", end=f"2026-03-{day:02d}T10:00:00"),
        )
    first = alice.get(f"{g.graph}/me/calendarView", params={**WINDOW, "$top": "20"}).json()
    second = alice.get(first["@odata.nextLink"]).json()
    assert (
        len(first["value"]) == 20 and len(second["value"]) == 5 and "@odata.nextLink" not in second
    )


def test_delta_first_round_pages_by_maxpagesize_then_only_changes(g, alice):
    created = [
        alice.post(
            f"{g.graph}/me/events",
            json=event_body(
                subject=f"E{i}",
                start=f"2026-03-{i + 2:02d}T09:00:00",
                end=f"2026-03-{i + 2:02d}T10:00:00",
            ),
        ).json()
        for i in range(7)
    ]
    items, delta_link, pages = _round(alice, f"{g.graph}/me/calendarView/delta", WINDOW, pagesize=3)
    assert pages == 3 and sorted(i["id"] for i in items) == sorted(e["id"] for e in created)
    assert "$deltatoken=" in delta_link
    nothing, delta_link, _ = _round(alice, delta_link)
    assert nothing == []
    alice.patch(f"{g.graph}/me/events/{created[0]['id']}", json={"subject": "Moved"})
    alice.delete(f"{g.graph}/me/events/{created[1]['id']}")
    g.create_event(
        "alice@example.com",
        event_body(subject="Outlook side", start="2026-03-20T09:00:00", end="2026-03-20T10:00:00"),
    )
    changes, delta_link, _ = _round(alice, delta_link)
    by_id = {c["id"]: c for c in changes}
    assert by_id[created[0]["id"]]["subject"] == "Moved"
    assert by_id[created[1]["id"]] == {
        "@odata.type": "#microsoft.graph.event",
        "id": created[1]["id"],
        "@removed": {"reason": "deleted"},
    }
    assert any(c.get("subject") == "Outlook side" for c in changes) and len(changes) == 3


def test_delta_reports_move_out_of_window_as_removed(g, alice):
    event = alice.post(
        f"{g.graph}/me/events",
        json=event_body(start="2026-03-10T09:00:00", end="2026-03-10T10:00:00"),
    ).json()
    _, delta_link, _ = _round(alice, f"{g.graph}/me/calendarView/delta", WINDOW)
    alice.patch(
        f"{g.graph}/me/events/{event['id']}",
        json={
            "start": {"dateTime": "2026-06-01T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-06-01T10:00:00", "timeZone": "UTC"},
        },
    )
    changes, _, _ = _round(alice, delta_link)
    assert changes == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": event["id"],
            "@removed": {"reason": "deleted"},
        }
    ]


def test_expired_or_unknown_delta_token_is_410_sync_state_not_found(g, alice):
    _, delta_link, _ = _round(alice, f"{g.graph}/me/calendarView/delta", WINDOW)
    g.expire_delta_tokens("alice@example.com")
    gone = alice.get(delta_link)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "SyncStateNotFound"
    unknown = alice.get(f"{g.graph}/me/calendarView/delta", params={"$deltatoken": "garbage"})
    assert unknown.status_code == 410
    assert alice.get(f"{g.graph}/me/calendarView/delta", params=WINDOW).status_code == 200


def test_delta_on_a_calendar_only_sees_that_calendar(g, alice):
    cal = alice.post(f"{g.graph}/me/calendars", json={"name": "Side"}).json()
    alice.post(f"{g.graph}/me/calendars/{cal['id']}/events", json=event_body(subject="side"))
    alice.post(f"{g.graph}/me/events", json=event_body(subject="main"))
    items, _, _ = _round(alice, f"{g.graph}/me/calendars/{cal['id']}/calendarView/delta", WINDOW)
    assert [i["subject"] for i in items] == ["side"]


def test_delta_pages_thousands_of_events_a_hundred_at_a_time_without_repeats(g, alice):
    # How fast the pages come is measured by make bench, not asserted here.
    for i in range(3000):
        day, hour = 1 + i % 28, i % 24
        g.store.create_event(
            g.store.mailbox("alice@example.com"),
            None,
            event_body(
                subject=f"Bulk {i}",
                start=f"2026-03-{day:02d}T{hour:02d}:00:00",
                end=f"2026-03-{day:02d}T{hour:02d}:30:00",
            ),
        )
    headers = {"Prefer": 'outlook.timezone="UTC", odata.maxpagesize=100'}
    page = alice.get(f"{g.graph}/me/calendarView/delta", params=WINDOW, headers=headers).json()
    seen = [item["id"] for item in page["value"]]
    while "@odata.nextLink" in page:
        page = alice.get(page["@odata.nextLink"], headers=headers).json()
        assert len(page["value"]) <= 100
        seen += [item["id"] for item in page["value"]]
    assert len(seen) == len(set(seen)) == 3000
    assert "@odata.deltaLink" in page


def test_delta_answers_in_the_function_call_forms_sdks_send(g, alice):
    created = alice.post(f"{g.graph}/me/events", json=event_body()).json()
    for path in ("delta", "delta()", "microsoft.graph.delta()"):
        items, link, _ = _round(alice, f"{g.graph}/me/calendarView/{path}", WINDOW)
        assert [i["id"] for i in items] == [created["id"]], path
        assert f"/me/calendarView/{path}?$deltatoken=" in link
        assert _round(alice, link)[0] == []
    assert g.counters()["by_path"]["GET /me/calendarView/delta"] == 6


def _daily(subject, start_day, count):
    return event_body(
        subject=subject,
        start=f"2026-{start_day}T09:00:00",
        end=f"2026-{start_day}T09:30:00",
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {
                "type": "numbered",
                "startDate": f"2026-{start_day}",
                "numberOfOccurrences": count,
            },
        },
    )


def test_delta_can_leave_out_the_masters_of_series_that_began_before_the_window(g, alice):
    """As other Graph integrations report: a series that began before the window comes without
    its master, its occurrences naming it by ``seriesMasterId``; the master still answers a GET
    and ``/instances``. A series beginning inside the window keeps its master; ``reset`` and the
    control route switch the option."""
    early = alice.post(f"{g.graph}/me/events", json=_daily("Early", "02-25", 10)).json()
    inside = alice.post(f"{g.graph}/me/events", json=_daily("Inside", "03-10", 2)).json()
    url = f"{g.graph}/me/calendarView/delta"
    requests.post(f"{g.url}/_emulator/delta/omit_early_masters", json={"enabled": True})

    items, _link, _pages = _round(alice, url, WINDOW)

    masters = [i["id"] for i in items if i.get("type") == "seriesMaster"]
    assert masters == [inside["id"]]
    early_rows = [i for i in items if i.get("seriesMasterId") == early["id"]]
    assert [r["start"]["dateTime"][:10] for r in early_rows] == [
        "2026-03-01",
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
        "2026-03-05",
        "2026-03-06",
    ]
    assert alice.get(f"{g.graph}/me/events/{early['id']}").json()["type"] == "seriesMaster"
    instances = alice.get(f"{g.graph}/me/events/{early['id']}/instances", params=WINDOW).json()[
        "value"
    ]
    assert len(instances) == 6

    g.reset()
    assert not g.delta.omit_early_masters
