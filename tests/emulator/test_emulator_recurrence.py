"""Series masters, occurrences and exceptions: expansion, instances, calendarView and delta."""

from datetime import datetime

import pytest
from emulator_support import event_body

from graph_emulator import events as ev

WINDOW = {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}


def _series(
    pattern, rng, start="2026-03-02T09:00:00", end="2026-03-02T09:30:00", tz="UTC", **extra
):
    return event_body(
        subject="Series",
        start=start,
        end=end,
        tz=tz,
        recurrence={"pattern": pattern, "range": {"startDate": start[:10], **rng}},
        **extra,
    )


def _daily_series(g, session, count):
    """A daily series of ``count`` created in the session's mailbox: its master."""
    body = _series(
        {"type": "daily", "interval": 1}, {"type": "numbered", "numberOfOccurrences": count}
    )
    return session.post(f"{g.graph}/me/events", json=body).json()


def _starts(g, mailbox, master_id, start="2026-03-01T00:00:00Z", end="2027-04-01T00:00:00Z"):
    box = g.store.mailbox(mailbox)
    master = g.store.event(box, master_id)
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return [
        v.start.strftime("%Y-%m-%d %H:%M") for v in ev.instances(master, parse(start), parse(end))
    ]


@pytest.mark.parametrize(
    "pattern,rng,expected",
    [
        (
            {"type": "daily", "interval": 2},
            {"type": "numbered", "numberOfOccurrences": 3},
            ["2026-03-02 09:00", "2026-03-04 09:00", "2026-03-06 09:00"],
        ),
        (
            {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "thursday"]},
            {"type": "endDate", "endDate": "2026-03-12"},
            ["2026-03-02 09:00", "2026-03-05 09:00", "2026-03-09 09:00", "2026-03-12 09:00"],
        ),
        (
            {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31},
            {"type": "numbered", "numberOfOccurrences": 3},
            ["2026-03-31 09:00", "2026-04-30 09:00", "2026-05-31 09:00"],
        ),
        (
            {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["friday"], "index": "last"},
            {"type": "numbered", "numberOfOccurrences": 2},
            ["2026-03-27 09:00", "2026-04-24 09:00"],
        ),
        (
            {"type": "absoluteYearly", "interval": 1, "dayOfMonth": 15, "month": 3},
            {"type": "numbered", "numberOfOccurrences": 2},
            ["2026-03-15 09:00", "2027-03-15 09:00"],
        ),
        (
            {
                "type": "relativeYearly",
                "interval": 1,
                "daysOfWeek": ["monday"],
                "index": "first",
                "month": 3,
            },
            {"type": "noEnd"},
            ["2026-03-02 09:00", "2027-03-01 09:00"],
        ),
    ],
)
def test_every_pattern_and_range_type_expands_like_exchange(g, alice, pattern, rng, expected):
    master = alice.post(f"{g.graph}/me/events", json=_series(pattern, rng)).json()
    assert (
        master["type"] == "seriesMaster"
        and master["recurrence"]["pattern"]["type"] == pattern["type"]
    )
    assert _starts(g, "alice@example.com", master["id"]) == expected


def test_series_keeps_wall_clock_time_across_dst(g, alice):
    body = _series(
        {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
        {"type": "numbered", "numberOfOccurrences": 5},
        tz="Romance Standard Time",
    )
    master = alice.post(f"{g.graph}/me/events", json=body).json()
    rows = alice.get(
        f"{g.graph}/me/events/{master['id']}/instances",
        params={**WINDOW, "endDateTime": "2026-04-10T00:00:00Z"},
        headers={"Prefer": 'outlook.timezone="Romance Standard Time"'},
    ).json()["value"]
    assert {r["start"]["dateTime"][11:16] for r in rows} == {"09:00"}
    assert len(rows) == 5 and all(
        r["type"] == "occurrence" and r["seriesMasterId"] == master["id"] for r in rows
    )


def test_invalid_recurrence_is_rejected(g, alice):
    bad = _series({"type": "weekly", "interval": 1}, {"type": "noEnd"})
    assert alice.post(f"{g.graph}/me/events", json=bad).status_code == 400


def test_calendar_view_expands_occurrences_and_omits_master(g, alice):
    master = _daily_series(g, alice, 3)
    rows = alice.get(f"{g.graph}/me/calendarView", params=WINDOW).json()["value"]
    assert [r["type"] for r in rows] == ["occurrence"] * 3
    assert len({r["iCalUId"] for r in rows}) == 3 and master["id"] not in [r["id"] for r in rows]


def test_patching_an_occurrence_makes_an_exception_and_deleting_one_cancels_it(g, alice):
    master = _daily_series(g, alice, 3)
    rows = alice.get(f"{g.graph}/me/events/{master['id']}/instances", params=WINDOW).json()["value"]
    moved = alice.patch(
        f"{g.graph}/me/events/{rows[1]['id']}",
        json={
            "start": {"dateTime": "2026-03-03T15:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-03T16:00:00", "timeZone": "UTC"},
            "subject": "Moved one",
        },
    ).json()
    assert (
        moved["type"] == "exception"
        and moved["id"] == rows[1]["id"]
        and moved["subject"] == "Moved one"
    )
    assert moved["originalStart"].startswith("2026-03-03T09:00:00")
    assert alice.delete(f"{g.graph}/me/events/{rows[2]['id']}").status_code == 204
    after = alice.get(f"{g.graph}/me/events/{master['id']}/instances", params=WINDOW).json()[
        "value"
    ]
    assert [(r["type"], r["start"]["dateTime"][:16]) for r in after] == [
        ("occurrence", "2026-03-02T09:00"),
        ("exception", "2026-03-03T15:00"),
    ]
    selected = alice.get(
        f"{g.graph}/me/events/{master['id']}", params={"$select": "subject,cancelledOccurrences"}
    ).json()
    assert len(selected["cancelledOccurrences"]) == 1
    assert alice.get(f"{g.graph}/me/events/{rows[2]['id']}").status_code == 404


def test_an_exception_written_back_to_the_series_value_takes_it(g, alice):
    master = _daily_series(g, alice, 2)
    rows = alice.get(f"{g.graph}/me/events/{master['id']}/instances", params=WINDOW).json()["value"]
    alice.patch(f"{g.graph}/me/events/{rows[1]['id']}", json={"subject": "Own title"})
    alice.patch(f"{g.graph}/me/events/{master['id']}", json={"subject": "New title"})

    back = alice.patch(f"{g.graph}/me/events/{rows[1]['id']}", json={"subject": "New title"})

    assert back.json()["subject"] == "New title"
    alice.patch(f"{g.graph}/me/events/{master['id']}", json={"subject": "Newer title"})
    after = alice.get(f"{g.graph}/me/events/{master['id']}/instances", params=WINDOW).json()
    assert [row["subject"] for row in after["value"]] == ["Newer title", "Newer title"]


def test_delta_sends_master_with_sparse_occurrences_and_full_exceptions(g, alice):
    master = _daily_series(g, alice, 3)
    first = alice.get(
        f"{g.graph}/me/calendarView/delta", params=WINDOW, headers={"Prefer": "odata.maxpagesize=2"}
    ).json()
    assert "@odata.deltaLink" in first, "a series is never split across pages"
    kinds = [i["type"] for i in first["value"]]
    assert kinds == ["seriesMaster", "occurrence", "occurrence", "occurrence"]
    occurrence = first["value"][1]
    assert set(occurrence) == {
        "@odata.type",
        "@odata.etag",
        "id",
        "seriesMasterId",
        "type",
        "start",
        "end",
    }
    alice.patch(f"{g.graph}/me/events/{occurrence['id']}", json={"subject": "Special"})
    changes = alice.get(first["@odata.deltaLink"]).json()["value"]
    exception = next(i for i in changes if i["type"] == "exception")
    assert exception["subject"] == "Special" and changes[0]["id"] == master["id"]


@pytest.mark.parametrize(
    "zone,original",
    [
        ("Pacific Standard Time", "2018-06-05T07:00:00"),
        ("Romance Standard Time", "2018-06-04T22:00:00"),
        ("Tokyo Standard Time", "2018-06-04T15:00:00"),
        ("New Zealand Standard Time", "2018-06-04T12:00:00"),
    ],
)
def test_all_day_series_expands_in_its_zone_and_original_start_is_its_midnight(
    g, alice, zone, original
):
    """An all-day occurrence is listed midnight to midnight (UTC dates), but its originalStart
    is midnight of that date in the recurrence time zone, in UTC (the recorded payload of
    microsoft-graph-docs #2804: ``originalStart 2018-06-05T07:00:00Z`` for a Pacific user's
    occurrence starting ``2018-06-05T00:00``)."""
    master = alice.post(
        f"{g.graph}/me/events",
        json={
            **event_body(start="2018-06-05T00:00:00", end="2018-06-06T00:00:00", tz=zone),
            "isAllDay": True,
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"]},
                "range": {
                    "type": "numbered",
                    "startDate": "2018-06-05",
                    "numberOfOccurrences": 3,
                    "recurrenceTimeZone": zone,
                },
            },
        },
    ).json()
    window = {"startDateTime": "2018-06-01T00:00:00Z", "endDateTime": "2018-07-01T00:00:00Z"}
    rows = alice.get(f"{g.graph}/me/events/{master['id']}/instances", params=window).json()["value"]
    assert [(r["start"]["dateTime"][:16], r["end"]["dateTime"][:16]) for r in rows] == [
        ("2018-06-05T00:00", "2018-06-06T00:00"),
        ("2018-06-12T00:00", "2018-06-13T00:00"),
        ("2018-06-19T00:00", "2018-06-20T00:00"),
    ]
    assert rows[0]["originalStart"].startswith(original)
    moved = alice.patch(f"{g.graph}/me/events/{rows[1]['id']}", json={"subject": "Changed"}).json()
    assert moved["type"] == "exception" and moved["start"]["dateTime"].startswith("2018-06-12T00")
    assert moved["originalStart"][:10] == (
        "2018-06-12" if original.startswith("2018-06-05") else "2018-06-11"
    )
    assert alice.delete(f"{g.graph}/me/events/{rows[2]['id']}").status_code == 204
    view = alice.get(f"{g.graph}/me/calendarView", params=window).json()["value"]
    assert [(r["type"], r["start"]["dateTime"][:10]) for r in view] == [
        ("occurrence", "2018-06-05"),
        ("exception", "2018-06-12"),
    ]
    selected = alice.get(
        f"{g.graph}/me/events/{master['id']}", params={"$select": "cancelledOccurrences"}
    ).json()
    assert selected["cancelledOccurrences"] == [f"OID.{master['id']}.2018-06-19"]
