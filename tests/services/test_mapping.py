"""Graph event JSON <-> EventValues, every synced field both ways."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from event_strategies import event_values
from hypothesis import given

from services import mapping
from services.errors import MalformedEvent
from services.mapping import (
    ODOO_REF_PROPERTY_ID,
    RemovedEvent,
    SeriesPart,
    create_payload,
    from_graph,
    odoo_ref,
    read_delta_item,
    read_event,
    timestamp,
    to_graph,
    transaction_id,
)
from services.timezones import windows_to_iana
from services.values import PULL_ONLY_FIELDS, Attendee, EventValues

OWNER = "me@example.org"


def graph_event(**fields):
    """A timed event as Graph returns it with Prefer: outlook.timezone="UTC"."""
    event = {
        "id": "AAMk1",
        "iCalUId": "040000008200",
        "changeKey": "ck1",
        "lastModifiedDateTime": "2024-03-01T10:00:00.1234567Z",
        "type": "singleInstance",
        "isOrganizer": True,
        "subject": "Review",
        "body": {"contentType": "html", "content": "<p>Agenda</p>"},
        "isAllDay": False,
        "start": {"dateTime": "2024-03-31T00:30:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2024-03-31T01:30:00.0000000", "timeZone": "UTC"},
        "originalStartTimeZone": "Romance Standard Time",
        "location": {"displayName": "Room 1"},
        "showAs": "busy",
        "sensitivity": "normal",
        "isReminderOn": True,
        "reminderMinutesBeforeStart": 15,
        "organizer": {"emailAddress": {"address": OWNER, "name": "Me"}},
        "attendees": [],
        "isCancelled": False,
    }
    event.update(fields)
    return event


def graph_echo(body):
    """What Graph would return for a written body: start/end in UTC, the zone kept aside."""
    event = graph_event(**{k: v for k, v in body.items() if k not in ("start", "end")})
    zone = windows_to_iana(body["start"]["timeZone"]).name
    if body["isAllDay"]:
        event["start"] = {"dateTime": body["start"]["dateTime"] + ".0000000", "timeZone": "UTC"}
        event["end"] = {"dateTime": body["end"]["dateTime"] + ".0000000", "timeZone": "UTC"}
    else:
        for side in ("start", "end"):
            local = datetime.fromisoformat(body[side]["dateTime"]).replace(tzinfo=ZoneInfo(zone))
            event[side] = {
                "dateTime": local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                "timeZone": "UTC",
            }
    event["originalStartTimeZone"] = body["start"]["timeZone"]
    return event


def test_timed_event_is_read_in_utc_with_its_planning_zone():
    values = from_graph(graph_event())
    assert (values.start, values.stop, values.timezone) == (
        datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
        datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
        "Europe/Paris",
    )


def test_timed_event_is_written_in_local_wall_time_across_dst():
    """Paris switches to summer time at 02:00 on 2024-03-31: 01:30 UTC is 03:30 local."""
    body = to_graph(from_graph(graph_event()))
    assert body["start"] == {"dateTime": "2024-03-31T01:30:00", "timeZone": "Romance Standard Time"}
    assert body["end"] == {"dateTime": "2024-03-31T03:30:00", "timeZone": "Romance Standard Time"}


def test_event_in_another_zone_than_asked_is_converted():
    values = from_graph(
        graph_event(
            start={"dateTime": "2024-07-01T09:00:00.0000000", "timeZone": "Pacific Standard Time"},
            end={"dateTime": "2024-07-01T10:00:00.0000000", "timeZone": "Pacific Standard Time"},
        )
    )
    assert values.start == datetime(2024, 7, 1, 16, 0, tzinfo=UTC)


def test_all_day_exclusive_end_becomes_inclusive_stop_date():
    values = from_graph(
        graph_event(
            isAllDay=True,
            start={"dateTime": "2019-10-19T00:00:00.0000000", "timeZone": "UTC"},
            end={"dateTime": "2019-10-21T00:00:00.0000000", "timeZone": "UTC"},
        )
    )
    assert (values.allday, values.start_date, values.stop_date, values.start) == (
        True,
        date(2019, 10, 19),
        date(2019, 10, 20),
        None,
    )


def test_all_day_inclusive_stop_date_becomes_exclusive_end_at_midnight():
    values = EventValues(
        allday=True,
        start_date=date(2019, 11, 11),
        stop_date=date(2019, 11, 11),
        timezone="America/New_York",
    )
    body = to_graph(values)
    assert body["isAllDay"] is True
    assert body["start"] == {"dateTime": "2019-11-11T00:00:00", "timeZone": "Eastern Standard Time"}
    assert body["end"] == {"dateTime": "2019-11-12T00:00:00", "timeZone": "Eastern Standard Time"}


@pytest.mark.parametrize("show_as", ["free", "tentative", "busy", "oof", "workingElsewhere"])
def test_show_as_is_kept_exactly_both_ways(show_as):
    values = from_graph(graph_event(showAs=show_as))
    assert values.show_as == show_as
    assert to_graph(values, ["show_as"]) == {"showAs": show_as}


def test_show_as_graph_does_not_document_reads_as_busy():
    assert from_graph(graph_event(showAs="away")).show_as == "busy"


@pytest.mark.parametrize(
    ("sensitivity", "privacy"),
    [
        ("normal", "public"),
        ("personal", "personal"),
        ("private", "private"),
        ("confidential", "confidential"),
    ],
)
def test_sensitivity_maps_to_privacy_and_back_exactly(sensitivity, privacy):
    values = from_graph(graph_event(sensitivity=sensitivity))
    assert values.privacy == privacy
    assert to_graph(values, ["privacy"]) == {"sensitivity": sensitivity}


@pytest.mark.parametrize("importance", ["low", "normal", "high"])
def test_importance_is_kept_exactly_both_ways(importance):
    values = from_graph(graph_event(importance=importance))
    assert values.importance == importance
    assert to_graph(values, ["importance"]) == {"importance": importance}


def test_categories_are_names_both_ways():
    values = from_graph(graph_event(categories=["Travel", "budget", "Travel"]))
    assert values.categories == ("budget", "Travel")
    assert to_graph(values, ["categories"]) == {"categories": ["budget", "Travel"]}


def test_online_meeting_is_asked_for_only_when_wanted():
    values = from_graph(graph_event(isOnlineMeeting=True))
    assert values.online_meeting
    assert to_graph(values, ["online_meeting"]) == {
        "isOnlineMeeting": True,
        "onlineMeetingProvider": "teamsForBusiness",
    }
    plain = values.replace(online_meeting=False)
    assert to_graph(plain, ["online_meeting"]) == {}, "Graph cannot turn one off"
    assert "isOnlineMeeting" not in to_graph(plain)


def test_reminder_off_is_no_reminder_both_ways():
    values = from_graph(graph_event(isReminderOn=False, reminderMinutesBeforeStart=15))
    assert values.reminder_minutes is None
    assert to_graph(values, ["reminder_minutes"]) == {"isReminderOn": False}


def test_online_meeting_join_url_is_the_videocall_url():
    event = graph_event(onlineMeeting={"joinUrl": "https://teams/join"}, onlineMeetingUrl=None)
    assert from_graph(event).videocall_url == "https://teams/join"
    assert (
        from_graph(graph_event(onlineMeetingUrl="https://legacy")).videocall_url == "https://legacy"
    )


def test_text_body_becomes_escaped_html():
    values = from_graph(graph_event(body={"contentType": "text", "content": "a <b>\nc & d"}))
    assert values.description_html == "<p>a &lt;b&gt;</p><p>c &amp; d</p>"


def test_attendees_responses_and_missing_emails():
    values = from_graph(
        graph_event(
            attendees=[
                {
                    "emailAddress": {"address": "Ann@Example.org", "name": "Ann"},
                    "status": {"response": "tentativelyAccepted"},
                },
                {
                    "emailAddress": {"address": "bob@example.org"},
                    "status": {"response": "notResponded"},
                },
                {"emailAddress": {"name": "No address"}, "status": {"response": "accepted"}},
                {
                    "emailAddress": {"address": "cat@example.org"},
                    "status": {"response": "declined"},
                },
            ]
        )
    )
    assert values.attendees == (
        Attendee(email="ann@example.org", name="Ann", response="tentative"),
        Attendee(email="bob@example.org", response="needsAction"),
        Attendee(email="cat@example.org", response="declined"),
    )


def test_owners_own_reply_comes_from_the_event_response_status():
    event = graph_event(
        isOrganizer=False,
        organizer={"emailAddress": {"address": "boss@example.org"}},
        responseStatus={"response": "accepted"},
        attendees=[{"emailAddress": {"address": OWNER}, "status": {"response": "none"}}],
    )
    values = from_graph(event, owner_email=OWNER)
    assert values.attendees == (Attendee(email=OWNER, response="accepted"),)
    assert values.organizer_email == "boss@example.org"
    assert read_event(event, owner_email=OWNER).is_organizer is False


def test_organizer_is_not_written_as_attendee_and_replies_are_not_written():
    values = EventValues(
        start=datetime(2024, 1, 1, tzinfo=UTC),
        stop=datetime(2024, 1, 1, tzinfo=UTC),
        organizer_email=OWNER,
        attendees=(
            Attendee(email=OWNER, response="accepted"),
            Attendee(email="ann@example.org", name="Ann", response="declined"),
        ),
    )
    assert to_graph(values, ["attendees"]) == {
        "attendees": [
            {"emailAddress": {"address": "ann@example.org", "name": "Ann"}, "type": "required"}
        ]
    }


def test_patch_body_holds_only_the_given_fields_and_time_fields_together():
    values = from_graph(graph_event())
    assert to_graph(values, ["name"]) == {"subject": "Review"}
    assert set(to_graph(values, ["stop"])) == {"isAllDay", "start", "end"}


def test_read_only_fields_are_never_written():
    assert to_graph(from_graph(graph_event()), PULL_ONLY_FIELDS) == {}


def test_unknown_field_is_refused():
    with pytest.raises(ValueError):
        to_graph(from_graph(graph_event()), ["colour"])


def test_cancelled_flag_and_identities_are_read():
    event = graph_event(
        isCancelled=True,
        singleValueExtendedProperties=[{"id": ODOO_REF_PROPERTY_ID, "value": "db:7"}],
    )
    read = read_event(event)
    assert (
        read.graph_id,
        read.ical_uid,
        read.change_key,
        read.odoo_ref,
        read.values.is_cancelled,
    ) == ("AAMk1", "040000008200", "ck1", "db:7", True)
    assert read.last_modified == datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "event",
    [
        {"subject": "no id"},
        graph_event(start={"dateTime": "garbage", "timeZone": "UTC"}),
        graph_event(end={"dateTime": "2024-03-30T00:00:00", "timeZone": "UTC"}),
        graph_event(start=None),
        graph_event(
            start={"dateTime": "2024-03-31T00:30:00", "timeZone": "tzone://Microsoft/Custom"}
        ),
        graph_event(attendees="not a list of dicts"),
        "not even a dict",
        graph_event(subject=42),
        graph_event(iCalUId=["uid-1", "uid-2"]),
        graph_event(changeKey={"key": 1}),
        graph_event(isCancelled="no"),
        graph_event(isAllDay="yes"),
        graph_event(showAs=7),
        graph_event(location={"displayName": ["Room 1"]}),
        graph_event(body={"contentType": "html", "content": 5}),
        graph_event(isReminderOn=True, reminderMinutesBeforeStart=10**12),
        graph_event(isReminderOn=True, reminderMinutesBeforeStart="soon"),
        graph_event(attendees=[{"emailAddress": {"address": "a@example.com", "name": 7}}]),
        graph_event(singleValueExtendedProperties=[{"id": ODOO_REF_PROPERTY_ID, "value": 7}]),
    ],
)
def test_malformed_event_raises_typed_error(event):
    with pytest.raises(MalformedEvent) as raised:
        from_graph(event)
    assert raised.value.graph_id == (event.get("id") if isinstance(event, dict) else None)


def test_custom_original_zone_keeps_the_instant_and_falls_back_to_utc():
    values = from_graph(graph_event(originalStartTimeZone="tzone://Microsoft/Custom"))
    assert values.timezone == "UTC" and values.start == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)


def test_removed_delta_entry_is_recognised():
    item = {
        "@odata.type": "#microsoft.graph.event",
        "id": "AAMk9",
        "@removed": {"reason": "deleted"},
    }
    assert read_delta_item(item) == RemovedEvent(graph_id="AAMk9", reason="deleted")


@pytest.mark.parametrize(
    ("item", "master_id"),
    [
        ({"id": "M1", "type": "seriesMaster"}, "M1"),
        ({"id": "O1", "type": "occurrence", "seriesMasterId": "M1"}, "M1"),
        ({"id": "X1", "type": "exception", "seriesMasterId": "M1"}, "M1"),
    ],
)
def test_a_delta_entry_of_a_series_is_a_part_of_its_master(item, master_id):
    assert read_delta_item(item) == SeriesPart(kind=item["type"], master_id=master_id, item=item)


def test_a_delta_entry_of_a_series_without_its_master_is_left_out():
    assert read_delta_item({"id": "O1", "type": "occurrence"}) is None


def test_a_removed_series_entry_is_a_removal():
    item = {"id": "O1", "type": "occurrence", "@removed": {"reason": "deleted"}}
    assert read_delta_item(item) == RemovedEvent(graph_id="O1", reason="deleted")


def test_a_delta_entry_that_is_no_event_is_malformed():
    with pytest.raises(MalformedEvent) as raised:
        read_delta_item(["not", "an", "event"])
    assert raised.value.graph_id is None and raised.value.reason.startswith("not an event: [")


@pytest.mark.parametrize(
    ("created", "modified", "unmodified"),
    [
        ("2024-03-01T10:00:00.9Z", "2024-03-01T10:00:02.1Z", True),
        ("2024-03-01T10:00:00.0Z", "2024-03-01T10:00:02.9999999Z", True),
        ("2024-03-01T10:00:00Z", "2024-03-01T10:00:03Z", False),
        (None, "2024-03-01T10:00:00Z", False),
        ("yesterday", "2024-03-01T10:00:00Z", False),
    ],
)
def test_an_event_tells_whether_it_was_modified_since_created(created, modified, unmodified):
    event = read_event(graph_event(createdDateTime=created, lastModifiedDateTime=modified))
    assert event.unmodified_since_created is unmodified


def test_an_event_carries_its_transaction_id():
    assert read_event(graph_event(transactionId="tx-1")).transaction_id == "tx-1"
    assert read_event(graph_event()).transaction_id is None
    assert read_event(graph_event(transactionId=5)).transaction_id is None


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2024-03-01T10:00:00.1234567Z", datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-03-01T10:00:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T11:00:00+01:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_graph_timestamps_read_as_aware_utc(value, moment):
    assert timestamp(value) == moment


def test_a_graph_timestamp_that_is_not_one_raises_value_error():
    with pytest.raises(ValueError):
        timestamp("next week")


def test_create_payload_carries_transaction_id_and_odoo_ref():
    values = from_graph(graph_event())
    body = create_payload(
        values, ref=odoo_ref("db-uuid", 42), transaction=transaction_id("db-uuid", 42)
    )
    assert body["transactionId"] == transaction_id("db-uuid", 42)
    assert body["singleValueExtendedProperties"] == [
        {"id": ODOO_REF_PROPERTY_ID, "value": "db-uuid:42"}
    ]


def test_transaction_id_is_deterministic_and_distinct():
    assert transaction_id("db", 1) == transaction_id("db", 1)
    assert (
        len(
            {
                transaction_id("db", 1),
                transaction_id("db", 2),
                transaction_id("other", 1),
                transaction_id("db", 1, generation=1),
            }
        )
        == 4
    )


@given(event_values())
def test_values_survive_a_round_trip_through_graph(values):
    """to_graph, Graph's echo, from_graph: the same values, except what Graph owns (replies,
    online meeting, cancellation) and the zone, which comes back canonical."""
    echoed = from_graph(graph_echo(to_graph(values)), owner_email=values.organizer_email)
    expected = values.replace(
        videocall_url="",
        is_cancelled=False,
        timezone=windows_to_iana(to_graph(values)["start"]["timeZone"]).name,
        attendees=tuple(Attendee(email=a.email, name=a.name) for a in values.attendees),
    )
    assert echoed == expected


def test_occurrence_stub_takes_its_masters_properties():
    master = {
        "id": "M",
        "type": "seriesMaster",
        "iCalUId": "UID",
        "changeKey": "master-key",
        "@odata.etag": 'W/"master-key"',
        "subject": "Stand-up",
        "recurrence": {"pattern": {"type": "daily", "interval": 1}},
        "start": {"dateTime": "2026-03-02T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-03-02T09:15:00.0000000", "timeZone": "UTC"},
    }
    stub = {
        "id": "M_20260304",
        "type": "occurrence",
        "seriesMasterId": "M",
        "@odata.etag": 'W/"occ-key"',
        "start": {"dateTime": "2026-03-04T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-03-04T09:15:00.0000000", "timeZone": "UTC"},
    }

    event = mapping.read_event(mapping.hydrate_occurrence(master, stub))

    assert (event.graph_id, event.event_type, event.series_master_id) == (
        "M_20260304",
        "occurrence",
        "M",
    )
    assert event.values.name == "Stand-up"
    assert event.values.start == datetime(2026, 3, 4, 9, tzinfo=UTC)
    assert event.change_key == "occ-key"
    assert event.original_start == datetime(2026, 3, 4, 9, tzinfo=UTC)
    assert "recurrence" not in mapping.hydrate_occurrence(master, stub)


def test_series_instance_uid_is_the_same_in_every_zone():
    moment = datetime(2026, 3, 4, 9, tzinfo=UTC)
    brussels = moment.astimezone(ZoneInfo("Europe/Brussels"))
    assert mapping.series_instance_uid("UID", moment) == mapping.series_instance_uid(
        "UID", brussels
    )
    assert mapping.series_instance_uid("UID", moment) != mapping.series_instance_uid("UID2", moment)


def test_a_hydrated_all_day_occurrence_has_the_original_start_instances_sends():
    """A delta stub has no originalStart; for an all-day occurrence it is midnight of its date in
    the series' zone, in UTC, as /instances sends it (microsoft-graph-docs #2804)."""
    master = {
        "id": "M",
        "type": "seriesMaster",
        "subject": "Offsite",
        "isAllDay": True,
        "recurrence": {"range": {"recurrenceTimeZone": "Tokyo Standard Time"}},
    }
    stub = {
        "id": "M_20180605",
        "type": "occurrence",
        "start": {"dateTime": "2018-06-05T00:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2018-06-06T00:00:00.0000000", "timeZone": "UTC"},
    }
    row = mapping.hydrate_occurrence(master, stub, series_zone="Asia/Tokyo")
    assert row["originalStart"] == "2018-06-04T15:00:00Z"
    assert mapping.read_event(row).original_start == datetime(2018, 6, 4, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (odoo_ref("db-uuid", 42), 42),
        (odoo_ref("other-db", 42), None),
        ("db-uuid:", None),
        ("db-uuid:abc", None),
        ("db-uuid:\u00b2", None),
        ("db-uuid:-3", None),
        ("db-uuid:4 2", None),
        (None, None),
        ("", None),
    ],
)
def test_own_event_id_reads_only_this_databases_well_formed_property(ref, expected):
    assert mapping.own_event_id(ref, "db-uuid") == expected
