"""What the real Graph sends, replayed through ``services``: the bodies under ``recorded/`` are
shaped as Microsoft's pages, Microsoft-answered issues and Odoo's own tests recorded them (each
file names its source); values come out as the sync needs them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import requests
from test_graph import Script

from services import mapping, series
from services import recurrence as rec
from services.errors import GraphError, NotFound, SyncStateGone, Throttled
from services.graph import BatchRequest, GraphClient
from services.mapping import GraphEvent, RemovedEvent
from services.values import Attendee

RECORDED = Path(__file__).resolve().parent / "recorded"
GRAPH = "https://graph.microsoft.com/v1.0"
SAMANTHA = "samanthab@contoso.onmicrosoft.com"


def recorded(name: str) -> dict:
    """One recorded response: ``status``, ``headers`` and ``body`` (and its ``source``)."""
    return json.loads((RECORDED / name).read_text())


def answer(name: str) -> tuple:
    """The recorded response as ``Script`` replays it."""
    response = recorded(name)
    return response["status"], response["body"], response.get("headers", {})


def client_for(adapter: Script, sleep=lambda _: None) -> GraphClient:
    def session():
        s = requests.Session()
        s.mount("https://", adapter)
        return s

    return GraphClient(
        session, GRAPH, lambda force_refresh=False: "token", sleep=sleep, jitter=lambda: 0.0
    )


def test_every_recorded_response_names_its_source():
    files = sorted(RECORDED.glob("*.json"))
    assert 6 <= len(files) <= 12
    for path in files:
        response = json.loads(path.read_text())
        assert {"source", "status", "body"} <= set(response), path.name
        assert "learn.microsoft.com" in response["source"] or "github.com" in response["source"]


def test_a_delta_round_from_the_docs_pages_to_its_delta_link():
    """learn.microsoft.com "Get incremental changes to events in a calendar view": a first page
    with a ``nextLink``, then (the page the next round starts with) an ``@removed`` entry and a
    changed event with the ``deltaLink``."""

    def handler(request):
        return answer(
            "delta_next_round.json" if "skiptoken" in request.url else "delta_first_page.json"
        )

    adapter = Script(handler)
    with client_for(adapter) as client:
        pages = list(
            client.delta(
                None, datetime(2016, 12, 1, tzinfo=UTC), datetime(2016, 12, 30, tzinfo=UTC)
            )
        )
    assert [page.next_link for page in pages] == [
        f"{GRAPH}/me/calendarView/delta?$skiptoken=R0usmcCM996atia_s",
        None,
    ]
    assert pages[-1].delta_link == f"{GRAPH}/me/calendarView/delta?$deltatoken=R0usmcFuQtZdtpk4"
    assert adapter.sent[0].url.split("?")[0] == f"{GRAPH}/me/calendar/calendarView/delta"
    assert adapter.sent[1].url == pages[0].next_link

    first = [mapping.read_delta_item(item, owner_email=SAMANTHA) for item in pages[0].items]
    assert [(e.graph_id, e.values.name) for e in first] == [
        ("AAMkADNVxRAAA=", "Plan shopping list"),
        ("AAMkADVxSAAA=", "Pick up car"),
    ]
    car = first[1]
    assert (car.values.start, car.values.stop) == (
        datetime(2016, 12, 10, 1, 0, tzinfo=UTC),
        datetime(2016, 12, 10, 2, 0, tzinfo=UTC),
    )
    # No changeKey in the sample: the version is the etag's.
    assert car.change_key == "EZ9r3czxY0m2jz8c45czkwAAFXcvIg=="
    assert car.is_organizer and car.values.organizer_email == SAMANTHA
    assert car.values.attendees == () and not car.values.allday

    removed, changed = (
        mapping.read_delta_item(item, owner_email=SAMANTHA) for item in pages[1].items
    )
    assert removed == RemovedEvent(
        graph_id="AAMkADk0MGFkODE3LWE4MmYtNDRhOS04OGQLkRkXbBznTvAADb6ytyAAA=", reason="deleted"
    )
    assert isinstance(changed, GraphEvent) and changed.values.name == "Attend service"
    assert changed.values.location == "Chapel of Saint Ignatius"
    assert changed.values.start == datetime(2016, 12, 25, 6, 0, tzinfo=UTC)


def test_a_recorded_410_on_delta_is_sync_state_gone():
    """microsoft-graph-docs #2350: ``410 SyncStateNotFound`` for an expired delta token."""
    adapter = Script().reply(
        "GET", "/users/room/calendarView/delta", answer("error_410_sync_state_not_found.json")
    )
    with client_for(adapter) as client, pytest.raises(SyncStateGone) as gone:
        list(
            client.delta(
                None,
                datetime(2018, 3, 1, tzinfo=UTC),
                datetime(2018, 4, 1, tzinfo=UTC),
                delta_link=f"{GRAPH}/users/room/calendarView/delta?$deltatoken=b96",
            )
        )
    assert (gone.value.status, gone.value.code) == (410, "SyncStateNotFound")
    assert len(adapter.sent) == 1


def test_the_recorded_500_of_the_calendar_list_is_an_error_not_a_retry_loop():
    """graph-explorer #3879: ``GET /me/calendars`` of outlook.com accounts answered 500
    ``ErrorInternalServerError`` (June 2025)."""
    adapter = Script().reply("GET", "/me/calendars", answer("error_500_list_calendars.json"))
    with client_for(adapter) as client, pytest.raises(GraphError) as failed:
        client.list_calendars()
    assert (failed.value.status, failed.value.code) == (500, "ErrorInternalServerError")
    assert failed.value.message == "An internal server error occurred. The operation failed."
    assert len(adapter.sent) == 1


def test_the_docs_throttled_answer_is_waited_out_as_it_asks():
    """learn.microsoft.com "Throttling", sample response: 429 ``TooManyRequests`` with a
    fractional ``Retry-After: 2.128``; the GET is sent again after that long, and when Graph
    keeps answering so the caller learns how long to wait."""
    waits: list[float] = []
    calendars = {"value": [{"id": "c1", "name": "After the wait"}]}
    adapter = Script().reply(
        "GET", "/me/calendars", answer("error_429_too_many_requests.json"), (200, calendars)
    )
    with client_for(adapter, sleep=waits.append) as client:
        assert client.list_calendars()[0].id == "c1"
    assert waits == [2.128] and len(adapter.sent) == 2

    adapter = Script().reply(
        "GET", "/me/calendars", *[answer("error_429_too_many_requests.json")] * 5
    )
    with client_for(adapter) as client, pytest.raises(Throttled) as throttled:
        client.list_calendars()
    assert (throttled.value.status, throttled.value.code) == (429, "TooManyRequests")
    assert throttled.value.retry_after == 2.128
    assert throttled.value.message == "Please retry again later."


def test_the_docs_batch_answer_is_read_by_id_with_each_items_error():
    """learn.microsoft.com "JSON batching": five answers, two 403s (one with an empty code), a
    405; answers are matched by ``id`` whatever their order."""
    body = recorded("batch_mixed_statuses.json")["body"]
    shuffled = {"responses": list(reversed(body["responses"]))}
    adapter = Script().reply("POST", "/$batch", (200, shuffled))
    requests_ = [BatchRequest(id=str(n), method="GET", url=f"/me/events/e{n}") for n in range(1, 6)]
    with client_for(adapter) as client:
        results = client.batch(requests_)
    assert [(r.id, r.status) for r in results] == [
        ("1", 200),
        ("2", 403),
        ("3", 403),
        ("4", 405),
        ("5", 200),
    ]
    assert results[0].ok and results[0].body["value"][0]["displayName"] == "User Administrator"
    assert results[0].headers["OData-Version"] == "4.0"
    denied = results[1].error()
    assert type(denied) is GraphError and (denied.status, denied.code) == (403, "")
    assert denied.message == "You do not have the required permissions to access this item."
    assert results[2].error().code == "Authorization_RequestDenied"
    assert results[3].error().status == 405 and not isinstance(results[3].error(), NotFound)
    assert len(adapter.sent) == 1


def test_the_docs_weekly_master_in_pacific_time():
    """learn.microsoft.com "Create event", Response 3: a weekly Monday series 12:00-14:00
    Pacific from 2017-09-04 to 2017-12-31, start and end in the event's own zone, Graph's
    default pattern properties (``month: 0``, ``dayOfMonth: 0``, ``index: first``) set."""
    master = recorded("series_master_weekly_pacific.json")["body"]
    event = mapping.read_event(master, owner_email="alexw@contoso.onmicrosoft.com")
    values = event.values
    assert (
        event.event_type == "seriesMaster" and event.is_organizer and event.series_master_id is None
    )
    assert event.change_key == "+T8RDneHMkKe2BGYEaQZ4wAA5a9Acw=="
    assert event.last_modified == datetime(2017, 10, 7, 4, 59, 13, 813642, tzinfo=UTC)
    assert values.name == "Let's go for lunch" and values.location == "Harry's Bar"
    assert values.timezone == "America/Los_Angeles"
    assert (values.start, values.stop) == (
        datetime(2017, 9, 4, 19, 0, tzinfo=UTC),
        datetime(2017, 9, 4, 21, 0, tzinfo=UTC),
    )
    assert values.reminder_minutes == 15 and values.show_as == "busy" and values.privacy == "public"
    assert values.attendees == (
        Attendee(
            email="adelev@contoso.onmicrosoft.com",
            name="Adele Vance",
            response="needsAction",
            kind="required",
        ),
    )
    assert values.organizer_email == "alexw@contoso.onmicrosoft.com"
    assert "Does late morning work for you?" in values.description_html

    pattern = series.pattern_of(master)
    assert pattern == rec.Recurrence(
        kind="weekly",
        days_of_week=("monday",),
        first_day_of_week="sunday",
        range_type="endDate",
        start_date=date(2017, 9, 4),
        end_date=date(2017, 12, 31),
        time_zone="America/Los_Angeles",
    )
    assert (
        rec.to_rrule(pattern, week_start="sunday")
        == "RRULE:FREQ=WEEKLY;WKST=SU;UNTIL=20171231T235959;BYDAY=MO"
    )
    starts = rec.occurrences(
        pattern,
        values.start,
        values.stop - values.start,
        datetime(2017, 9, 1, tzinfo=UTC),
        datetime(2018, 1, 31, tzinfo=UTC),
    )
    assert len(starts) == 17
    # 12:00 Pacific all along: 19:00 UTC in summer time, 20:00 UTC from November 6.
    assert starts[8] == datetime(2017, 10, 30, 19, 0, tzinfo=UTC)
    assert starts[9] == datetime(2017, 11, 6, 20, 0, tzinfo=UTC)
    assert series.read_master(master).shape.start == "2017-09-04T19:00:00+00:00"


def test_the_docs_instances_of_a_series_with_an_exception():
    """learn.microsoft.com "List instances": an exception moved to 4/16 and three occurrences,
    ``recurrence: null`` on each."""
    items = recorded("instances_timed_series.json")["body"]["value"]
    events = [mapping.read_event(item) for item in items]
    assert [(e.event_type, e.series_master_id) for e in events] == [
        ("exception", "AAMkAGUzYRgWAAA="),
        ("occurrence", "AAMkAGUzYRgWAAA="),
        ("occurrence", "AAMkAGUzYRgWAAA="),
        ("occurrence", "AAMkAGUzYRgWAAA="),
    ]
    assert {e.values.name for e in events} == {"Review strategy for Q3"}
    assert [series.occurrence_key(e.values.start, allday=False) for e in events] == [
        "2019-04-16T20:30:00+00:00",
        "2019-04-08T20:30:00+00:00",
        "2019-04-22T20:30:00+00:00",
        "2019-04-29T20:30:00+00:00",
    ]
    assert all(
        e.values.stop - e.values.start == events[0].values.stop - events[0].values.start
        for e in events
    )


def test_recorded_all_day_occurrences_key_by_their_date_in_the_series_zone():
    """microsoft-graph-docs #2804: a Pacific user's all-day occurrence of June 5 has
    ``originalStart`` 2018-06-05T07:00:00Z (midnight in Los Angeles), its exception's is June 6
    07:00Z; ``start``/``end`` are midnight to midnight."""
    occurrence, exception = (
        mapping.read_event(item)
        for item in recorded("allday_series_occurrences_pacific.json")["body"]["value"]
    )
    assert (
        occurrence.values.allday
        and (occurrence.values.start_date, occurrence.values.stop_date) == (date(2018, 6, 5),) * 2
    )
    assert exception.values.name == "Test changed" and exception.values.start_date == date(
        2018, 6, 6
    )
    assert occurrence.original_start == datetime(2018, 6, 5, 7, 0, tzinfo=UTC)
    keys = [
        series.occurrence_key(e.original_start, allday=True, zone="America/Los_Angeles")
        for e in (occurrence, exception)
    ]
    assert keys == ["2018-06-05", "2018-06-06"]
    # The stub delta sends, filled from its master, gets the same originalStart Graph recorded.
    item = recorded("allday_series_occurrences_pacific.json")["body"]["value"][0]
    stub = {key: item[key] for key in ("id", "type", "start", "end", "@odata.etag")}
    master = {"id": "master", "isAllDay": True, "subject": "Test"}
    hydrated = mapping.hydrate_occurrence(master, stub, series_zone="America/Los_Angeles")
    assert hydrated["originalStart"] == "2018-06-05T07:00:00Z"


def test_odoo_recorded_outlook_com_events():
    """Odoo's microsoft_calendar tests: an outlook.com mailbox's single event and daily series
    master (organizer ``outlook_0@outlook.com``, zone ``Romance Standard Time``, start in UTC,
    PascalCase extras, ``seriesMasterId: null``, ``onlineMeetingUrl: null``)."""
    items = recorded("odoo_outlook_com_events.json")["body"]["value"]
    single, part = (mapping.read_delta_item(i, owner_email="outlook_0@outlook.com") for i in items)
    # A master in delta is a part of its series, read whole with it.
    assert part == mapping.SeriesPart(kind="seriesMaster", master_id=items[1]["id"], item=items[1])
    master = mapping.read_event(items[1], owner_email="outlook_0@outlook.com")
    assert single.event_type == "singleInstance" and single.is_organizer
    assert single.values.start == single.values.stop == datetime(2023, 9, 25, 17, 25, tzinfo=UTC)
    assert single.values.timezone == "Europe/Paris" and single.values.reminder_minutes is None
    assert single.last_modified == datetime(2023, 9, 28, 17, 25, tzinfo=UTC)
    assert master.event_type == "seriesMaster" and master.ical_uid == "XX0"
    assert master.values.organizer_email == "outlook_0@outlook.com"
    assert (master.values.start, master.values.stop) == (
        datetime(2020, 5, 3, 14, 30, tzinfo=UTC),
        datetime(2020, 5, 3, 16, 0, tzinfo=UTC),
    )
    assert master.values.reminder_minutes == 15 and master.values.videocall_url == ""
    raw = recorded("odoo_outlook_com_events.json")["body"]["value"][1]
    pattern = series.pattern_of(raw)
    assert pattern == rec.Recurrence(
        kind="daily",
        range_type="endDate",
        start_date=date(2020, 5, 3),
        end_date=date(2020, 5, 5),
        time_zone="Europe/Paris",
    )
    starts = rec.occurrences(
        pattern,
        master.values.start,
        master.values.stop - master.values.start,
        datetime(2020, 5, 1, tzinfo=UTC),
        datetime(2020, 5, 31, tzinfo=UTC),
    )
    assert starts == [datetime(2020, 5, day, 14, 30, tzinfo=UTC) for day in (3, 4, 5)]
    assert rec.to_rrule(pattern, week_start="monday") == "RRULE:FREQ=DAILY;UNTIL=20200505T235959"


def test_an_all_day_series_without_its_zone_keys_in_the_mailboxs_zone():
    """An attendee's copy of an all-day series can have an empty ``recurrenceTimeZone``
    (microsoft-graph-docs-contrib #5828) and, all-day, ``originalStartTimeZone`` is the zone
    the request asked for, not the user's (Microsoft's answer in microsoft-graph-docs #2804):
    the mailbox's own zone is the series' zone then, not UTC, or every occurrence of a Tokyo
    series keys on the day before."""
    master = {
        "id": "AAMkSeries",
        "type": "seriesMaster",
        "isAllDay": True,
        "originalStartTimeZone": "UTC",
        "start": {"dateTime": "2018-06-05T00:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2018-06-06T00:00:00.0000000", "timeZone": "UTC"},
        "recurrence": {
            "pattern": {
                "type": "daily",
                "interval": 1,
                "month": 0,
                "dayOfMonth": 0,
                "firstDayOfWeek": "sunday",
                "index": "first",
            },
            "range": {
                "type": "numbered",
                "startDate": "2018-06-05",
                "endDate": "0001-01-01",
                "recurrenceTimeZone": "",
                "numberOfOccurrences": 3,
            },
        },
    }

    def tokyo():
        return "Asia/Tokyo"

    assert series.zone_of(master, mailbox_zone=tokyo) == "Asia/Tokyo"
    assert series.pattern_of(master, mailbox_zone=tokyo).time_zone == "Asia/Tokyo"
    # Midnight of June 6 in Tokyo, as Graph gives it in originalStart.
    original = datetime(2018, 6, 5, 15, 0, tzinfo=UTC)
    assert (
        series.occurrence_key(
            original, allday=True, zone=series.zone_of(master, mailbox_zone=tokyo)
        )
        == "2018-06-06"
    )
    # A timed series keeps its start's zone; a named recurrence zone always wins.
    timed = {**master, "isAllDay": False, "originalStartTimeZone": "Tokyo Standard Time"}
    assert series.zone_of(timed, mailbox_zone=lambda: "Europe/Brussels") == "Asia/Tokyo"
    named = {
        **master,
        "recurrence": {
            **master["recurrence"],
            "range": {
                **master["recurrence"]["range"],
                "recurrenceTimeZone": "Pacific Standard Time",
            },
        },
    }
    assert series.zone_of(named, mailbox_zone=tokyo) == "America/Los_Angeles"
