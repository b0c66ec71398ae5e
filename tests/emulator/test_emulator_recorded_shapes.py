"""The emulator's answers have the shape of what the real Graph was recorded sending: for an
event equivalent to a recorded one (``tests/services/recorded/``, each file names its source),
every key of the recorded body is in the emulator's, at every level."""

import json
from pathlib import Path

from emulator_support import REPO_ROOT, event_body

RECORDED = REPO_ROOT / "tests" / "services" / "recorded"
PACIFIC = {"Prefer": 'outlook.timezone="Pacific Standard Time", IdType="ImmutableId"'}


def recorded(name: str) -> dict:
    return json.loads(Path(RECORDED / name).read_text())["body"]


def missing_keys(expected, actual, path="") -> list[str]:
    """Keys of ``expected`` absent from ``actual``, recursively (lists: their first items).
    Compared ignoring case: Microsoft's pages spell a few keys in Pascal case
    (``OnlineMeeting``), which Graph's JSON does not."""
    if isinstance(expected, list) and isinstance(actual, list):
        if expected and actual:
            return missing_keys(expected[0], actual[0], path + "[0]")
        return []
    if not isinstance(expected, dict) or not isinstance(actual, dict):
        return []
    by_lower = {key.lower(): value for key, value in actual.items()}
    missing = []
    for key, value in expected.items():
        if key.lower() not in by_lower:
            missing.append(f"{path}/{key}")
        else:
            missing += missing_keys(value, by_lower[key.lower()], f"{path}/{key}")
    return missing


def test_a_created_series_answers_as_the_docs_recorded_one(g, alice):
    """learn.microsoft.com "Create event", Request/Response 3: the request names no
    ``recurrenceTimeZone``; Graph's answer gives it as the start's zone."""
    master = recorded("series_master_weekly_pacific.json")
    body = {key: master[key] for key in ("subject", "start", "end", "location", "attendees")}
    body["body"] = {"contentType": "HTML", "content": "Does noon time work for you?"}
    body["recurrence"] = {
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["Monday"]},
        "range": {"type": "endDate", "startDate": "2017-09-04", "endDate": "2017-12-31"},
    }
    reply = alice.post(f"{g.graph}/me/events", json=body, headers=PACIFIC)
    assert reply.status_code == 201
    created = reply.json()
    assert missing_keys(master, created) == []
    assert created["recurrence"] == master["recurrence"]
    assert (created["start"], created["end"]) == (master["start"], master["end"])
    assert created["type"] == "seriesMaster" and created["seriesMasterId"] is None


def test_delta_pages_answer_as_the_docs_recorded_ones(g, alice):
    """learn.microsoft.com "Get incremental changes to events in a calendar view": the first
    page of two with its ``nextLink``, and a next round with an ``@removed`` entry, a changed
    event and the ``deltaLink``."""
    first_page, next_round = recorded("delta_first_page.json"), recorded("delta_next_round.json")
    ids = [
        alice.post(
            f"{g.graph}/me/events",
            json=event_body(
                item["subject"], item["start"]["dateTime"][:19], item["end"]["dateTime"][:19]
            ),
        ).json()["id"]
        for item in first_page["value"]
    ] + [
        alice.post(
            f"{g.graph}/me/events",
            json=event_body("Rest!", "2026-03-12T02:00:00", "2026-03-12T07:30:00"),
        ).json()["id"]
    ]
    window = {"startDateTime": "2016-12-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"}
    page = alice.get(
        f"{g.graph}/me/calendarView/delta", params=window, headers={"Prefer": "odata.maxpagesize=2"}
    ).json()
    assert missing_keys({k: v for k, v in first_page.items() if k != "value"}, page) == []
    for item in page["value"]:
        assert missing_keys(first_page["value"][0], item) == []
    while "@odata.nextLink" in page:
        page = alice.get(page["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=2"}).json()
    delta_link = page["@odata.deltaLink"]

    assert alice.delete(f"{g.graph}/me/events/{ids[0]}").status_code == 204
    changed = next_round["value"][1]
    assert (
        alice.patch(
            f"{g.graph}/me/events/{ids[1]}", json={"location": changed["location"]}
        ).status_code
        == 200
    )
    page = alice.get(delta_link, headers={"Prefer": "odata.maxpagesize=2"}).json()
    assert missing_keys({k: v for k, v in next_round.items() if k != "value"}, page) == []
    removed = [item for item in page["value"] if "@removed" in item]
    kept = [item for item in page["value"] if "@removed" not in item]
    assert [item["id"] for item in removed] == [ids[0]]
    assert missing_keys(next_round["value"][0], removed[0]) == []
    assert missing_keys(changed, kept[0]) == []
    assert kept[0]["location"]["displayName"] == "Chapel of Saint Ignatius"


def test_instances_answer_as_the_docs_recorded_ones(g, alice):
    """learn.microsoft.com "List instances": occurrences and an exception of a weekly series,
    each with ``seriesMasterId``, ``type`` and ``recurrence: null``."""
    listed = recorded("instances_timed_series.json")
    master = alice.post(
        f"{g.graph}/me/events",
        json=event_body(
            "Review strategy for Q3",
            "2026-03-09T20:30:00",
            "2026-03-09T21:00:00",
            recurrence={
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
                "range": {"type": "endDate", "startDate": "2026-03-09", "endDate": "2026-03-30"},
            },
        ),
    ).json()
    window = {"startDateTime": "2026-03-08T00:00:00Z", "endDateTime": "2026-03-31T00:00:00Z"}
    url = f"{g.graph}/me/events/{master['id']}/instances"
    second = alice.get(url, params=window).json()["value"][1]
    moved = {
        "start": {"dateTime": "2026-03-17T20:30:00", "timeZone": "UTC"},
        "end": {"dateTime": "2026-03-17T21:00:00", "timeZone": "UTC"},
    }
    assert alice.patch(f"{g.graph}/me/events/{second['id']}", json=moved).status_code == 200
    page = alice.get(url, params=window).json()
    assert missing_keys({k: v for k, v in listed.items() if k != "value"}, page) == []
    by_type = {item["type"]: item for item in page["value"]}
    assert set(by_type) == {"occurrence", "exception"}
    for kind, item in by_type.items():
        assert missing_keys(next(i for i in listed["value"] if i["type"] == kind), item) == []
        assert item["seriesMasterId"] == master["id"] and item["recurrence"] is None


def test_all_day_instances_answer_as_the_recorded_ones(g, alice):
    """microsoft-graph-docs #2804: a Pacific user's all-day occurrence has ``originalStart``
    midnight in Los Angeles, in UTC, and ``start``/``end`` midnight to midnight."""
    occurrence = recorded("allday_series_occurrences_pacific.json")["value"][0]
    master = alice.post(
        f"{g.graph}/me/events",
        json=event_body(
            "Test",
            "2018-06-05T00:00:00",
            "2018-06-06T00:00:00",
            tz="Pacific Standard Time",
            isAllDay=True,
            recurrence={
                "pattern": {"type": "daily", "interval": 1},
                "range": {"type": "numbered", "startDate": "2018-06-05", "numberOfOccurrences": 3},
            },
        ),
    ).json()
    window = {"startDateTime": "2018-06-04T00:00:00Z", "endDateTime": "2018-06-09T00:00:00Z"}
    first = alice.get(f"{g.graph}/me/events/{master['id']}/instances", params=window).json()[
        "value"
    ][0]
    assert missing_keys(occurrence, first) == []
    assert first["originalStart"] == occurrence["originalStart"]
    assert (first["start"], first["end"]) == (occurrence["start"], occurrence["end"])


def test_error_bodies_answer_as_the_recorded_ones(g, alice):
    """The recorded 410 of an expired delta token (microsoft-graph-docs #2350) and 500 of the
    calendar list (graph-explorer #3879): the same status, code and keys."""
    window = {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}
    page = alice.get(f"{g.graph}/me/calendarView/delta", params=window).json()
    g.expire_delta_tokens("alice@example.com")
    gone = alice.get(page["@odata.deltaLink"])
    recorded_gone = json.loads((RECORDED / "error_410_sync_state_not_found.json").read_text())
    assert gone.status_code == recorded_gone["status"]
    assert gone.json()["error"]["code"] == recorded_gone["body"]["error"]["code"]
    assert missing_keys(recorded_gone["body"], gone.json()) == []

    g.fail_calendar_list("alice@example.com")
    failed = alice.get(f"{g.graph}/me/calendars")
    recorded_failed = json.loads((RECORDED / "error_500_list_calendars.json").read_text())
    assert failed.status_code == recorded_failed["status"]
    assert failed.json()["error"] | {"innerError": None} == recorded_failed["body"]["error"] | {
        "innerError": None
    }
