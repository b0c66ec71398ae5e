"""services.series: series shapes and occurrence pairing, without Odoo."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services import recurrence as rec
from services import series
from services.errors import MalformedEvent
from services.values import EventValues

UTC = timezone.utc
NINE = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
WEEKLY = rec.Recurrence(
    kind="weekly",
    days_of_week=("monday",),
    first_day_of_week="monday",
    range_type="numbered",
    count=4,
    start_date=date(2030, 1, 7),
    time_zone="Europe/Brussels",
)


def timed(start=NINE, minutes=30):
    return EventValues(name="Stand-up", start=start, stop=start + timedelta(minutes=minutes))


def test_shape_of_a_timed_series_holds_its_utc_start_and_duration():
    shape = series.shape_of(timed(), WEEKLY)
    assert (shape.start, shape.duration_minutes, shape.allday) == (
        "2030-01-07T09:00:00+00:00",
        30,
        False,
    )
    assert shape.recurrence == rec.to_graph(WEEKLY)


def test_shape_of_an_all_day_series_counts_whole_days():
    values = EventValues(allday=True, start_date=date(2030, 1, 7), stop_date=date(2030, 1, 8))
    shape = series.shape_of(values, WEEKLY)
    assert (shape.start, shape.duration_minutes) == ("2030-01-07", 2 * 24 * 60)


@pytest.mark.parametrize(
    "change",
    [
        {"start": NINE + timedelta(hours=1), "stop": NINE + timedelta(hours=1, minutes=30)},
        {"stop": NINE + timedelta(hours=2)},
    ],
)
def test_moving_or_stretching_the_first_occurrence_changes_the_shape(change):
    moved = EventValues(**{**{"start": NINE, "stop": NINE + timedelta(minutes=30)}, **change})
    assert series.shape_of(moved, WEEKLY) != series.shape_of(timed(), WEEKLY)


def test_a_new_pattern_changes_the_shape_a_new_subject_does_not():
    longer = rec.Recurrence(**{**_fields(WEEKLY), "count": 6})
    assert series.shape_of(timed(), longer) != series.shape_of(timed(), WEEKLY)
    renamed = EventValues(name="Daily", start=NINE, stop=NINE + timedelta(minutes=30))
    assert series.shape_of(renamed, WEEKLY) == series.shape_of(timed(), WEEKLY)


def test_snapshot_round_trips_and_bad_snapshots_read_as_none():
    shape = series.shape_of(timed(), WEEKLY)
    assert series.SeriesShape.from_snapshot(shape.snapshot()) == shape
    for broken in (None, {}, {"recurrence": {}, "allday": False, "start": "x"}, "text"):
        assert series.SeriesShape.from_snapshot(broken) is None


def test_occurrence_key_is_the_utc_instant_or_the_date():
    brussels = datetime(2030, 1, 7, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert series.occurrence_key(brussels, allday=False) == "2030-01-07T09:00:00+00:00"
    assert series.occurrence_key(date(2030, 1, 7), allday=True) == "2030-01-07"
    assert series.occurrence_key(NINE, allday=True) == "2030-01-07"


def test_pairing_matches_equal_starts_one_to_one():
    pairing = series.pair_occurrences(
        {"o1": "a", "o2": "b", "o3": "c"}, {10: "b", 11: "a", 12: "d"}
    )
    assert pairing.pairs == {"o1": 11, "o2": 10}
    assert (pairing.lone_occurrences, pairing.lone_events) == (("o3",), (12,))


def test_pairing_never_gives_one_event_to_two_occurrences():
    pairing = series.pair_occurrences({"o1": "a", "o2": "a"}, {10: "a"})
    assert pairing.pairs == {"o1": 10}
    assert pairing.lone_occurrences == ("o2",)


@given(
    st.dictionaries(st.text(min_size=1, max_size=3), st.sampled_from("abcde"), max_size=8),
    st.dictionaries(st.integers(1, 50), st.sampled_from("abcde"), max_size=8),
)
def test_pairing_is_one_to_one_and_accounts_for_everyone(occurrences, events):
    pairing = series.pair_occurrences(occurrences, events)
    assert len(set(pairing.pairs.values())) == len(pairing.pairs)
    assert all(occurrences[o] == events[e] for o, e in pairing.pairs.items())
    assert set(pairing.pairs) | set(pairing.lone_occurrences) == set(occurrences)
    assert set(pairing.pairs.values()) | set(pairing.lone_events) == set(events)
    lone_keys = {occurrences[o] for o in pairing.lone_occurrences}
    assert not lone_keys & {events[e] for e in pairing.lone_events}, "a possible pair was missed"


def test_in_window_for_instants_and_days():
    start, end = NINE, NINE + timedelta(days=7)
    assert series.in_window("2030-01-07T09:00:00+00:00", start, end)
    assert not series.in_window("2030-01-14T09:00:00+00:00", start, end)
    assert series.in_window("2030-01-07", start, end)
    assert series.in_window("2030-01-14", start, end)
    assert not series.in_window("2030-01-06", start, end)


def test_master_payload_writes_the_first_occurrence_in_the_series_zone():
    body = series.master_payload(timed(), WEEKLY, ref="db:7", transaction="tx")
    assert body["start"] == {"dateTime": "2030-01-07T10:00:00", "timeZone": "Romance Standard Time"}
    assert body["recurrence"] == rec.to_graph(WEEKLY)
    assert body["transactionId"] == "tx"


def test_shape_patch_sends_times_and_pattern_only():
    body = series.shape_patch(timed(), WEEKLY)
    assert set(body) == {"isAllDay", "start", "end", "recurrence"}


def mapping_master():
    """A Graph series master's own properties (its pattern added by the test)."""
    return {
        "id": "master-1",
        "iCalUId": "uid-1",
        "changeKey": "ck",
        "type": "seriesMaster",
        "subject": "Weekly",
        "start": {"dateTime": "2030-01-07T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-07T09:30:00.0000000", "timeZone": "UTC"},
    }


def test_read_master_reads_the_master_once():
    master = {
        **mapping_master(),
        "originalStartTimeZone": "Romance Standard Time",
        "recurrence": rec.to_graph(WEEKLY),
        "transactionId": "tx",
    }
    read = series.read_master(master)
    assert read.unreadable is None and read.transaction_id == "tx"
    assert read.pattern.kind == "weekly" and read.pattern.count == 4
    assert read.zone == read.pattern.time_zone == "Europe/Paris"  # Windows' name for Brussels
    assert read.shape == series.shape_of(read.event.values, read.pattern)
    assert read.change_key == "ck" and read.ical_uid == "uid-1"
    broken = series.read_master({**master, "recurrence": {"pattern": {"type": "weekly"}}})
    assert broken.unreadable and broken.shape is None and broken.pattern is None
    assert broken.name == "Weekly" and broken.graph_id == "master-1"
    nameless = series.read_master({"recurrence": rec.to_graph(WEEKLY)})
    assert nameless.event is None and nameless.unreadable == "event None: no id"


def _fields(recurrence):
    return {name: getattr(recurrence, name) for name in recurrence.__dataclass_fields__}


@pytest.mark.parametrize(
    "original,zone,day",
    [
        ("2018-06-05T07:00:00+00:00", "America/Los_Angeles", "2018-06-05"),
        ("2018-06-04T22:00:00+00:00", "Europe/Brussels", "2018-06-05"),
        ("2018-06-04T15:00:00+00:00", "Asia/Tokyo", "2018-06-05"),
        ("2018-06-04T12:00:00+00:00", "Pacific/Auckland", "2018-06-05"),
    ],
)
def test_an_all_day_occurrence_is_keyed_by_its_date_in_the_series_zone(original, zone, day):
    """Graph's all-day ``originalStart`` is midnight in the recurrence zone, in UTC
    (microsoft-graph-docs #2804, #5828): east of UTC its UTC date is the day before."""
    when = datetime.fromisoformat(original)
    assert series.occurrence_key(when, allday=True, zone=zone) == day
    assert series.occurrence_key(date.fromisoformat(day), allday=True, zone=zone) == day


def test_the_zone_of_a_series_is_its_recurrence_zone_and_a_custom_one_the_mailboxs():
    master = {
        "originalStartTimeZone": "UTC",
        "recurrence": {"range": {"recurrenceTimeZone": "Tokyo Standard Time"}},
    }
    assert series.zone_of(master) == "Asia/Tokyo"
    assert series.zone_of({"originalStartTimeZone": "Romance Standard Time"}) == "Europe/Paris"
    custom = {
        "originalStartTimeZone": "tzone://Microsoft/Custom",
        "recurrence": {"range": {"recurrenceTimeZone": "tzone://Microsoft/Custom"}},
    }
    assert series.zone_of(custom, mailbox_zone=lambda: "Europe/Brussels") == "Europe/Brussels"


def test_a_series_is_read_whole_from_delta_only_when_delta_holds_it_whole():
    master = {**mapping_master(), "recurrence": rec.to_graph(WEEKLY)}
    stub = {
        "id": "occ-1",
        "type": "occurrence",
        "seriesMasterId": "master-1",
        "start": {"dateTime": "2030-01-14T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-14T09:30:00.0000000", "timeZone": "UTC"},
    }
    read = series.from_delta([master, stub])
    assert read.master.graph_id == "master-1" and read.instance_ids == {"occ-1"}
    [occurrence] = read.occurrences
    assert occurrence.ical_uid == "uid-1@2030-01-14T09:00:00+00:00"
    assert occurrence.values.name == "Weekly" and not read.malformed
    exception = {"id": "exc-1", "type": "exception", "seriesMasterId": "master-1"}
    assert series.from_delta([stub]) is None  # no master: Graph is asked
    assert series.from_delta([master, exception]) is None  # a stub exception: likewise
    with pytest.raises(MalformedEvent):
        series.from_delta([master, {"id": "occ-2", "type": "occurrence"}])
    unreadable = series.read_series(master, [{**stub, "start": "tomorrow"}])
    assert not unreadable.occurrences and unreadable.instance_ids == {"occ-1"}
    assert [row["id"] for row, _error in unreadable.malformed] == ["occ-1"]
