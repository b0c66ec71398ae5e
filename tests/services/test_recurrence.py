"""Recurrence rules: Graph <-> Recurrence <-> Odoo's RRULE, and expansion."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from graph_emulator.recurrence import normalize, occurrence_starts
from services.errors import SyncError
from services.recurrence import (
    DAYS,
    INDEXES,
    Recurrence,
    UnsupportedRecurrence,
    from_graph,
    from_rrule,
    occurrences,
    to_graph,
    to_rrule,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
PARIS = ZoneInfo("Europe/Paris")
HOUR = timedelta(hours=1)
YEARS_2024_2027 = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
WORKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def expand(rec, first_start, window=YEARS_2024_2027, duration=HOUR):
    return occurrences(rec, first_start, duration, *window)


def local_dates(starts, zone=PARIS):
    return [start.astimezone(zone).date().isoformat() for start in starts]


# One row per pattern kind and range type: Recurrence, Graph's JSON as we send it, Odoo's rule.
# The series start on their first occurrence, as Odoo's first event does.
TABLE = [
    pytest.param(
        Recurrence(kind="daily", interval=3, start_date=date(2024, 5, 6), time_zone="UTC"),
        {
            "pattern": {"type": "daily", "interval": 3},
            "range": {"type": "noEnd", "startDate": "2024-05-06", "recurrenceTimeZone": "UTC"},
        },
        "RRULE:FREQ=DAILY;INTERVAL=3",
        id="daily-noEnd",
    ),
    pytest.param(
        Recurrence(
            kind="weekly",
            interval=2,
            days_of_week=("monday", "wednesday"),
            first_day_of_week="monday",
            start_date=date(2024, 5, 6),
            range_type="numbered",
            count=10,
            time_zone="Europe/Paris",
        ),
        {
            "pattern": {
                "type": "weekly",
                "interval": 2,
                "daysOfWeek": ["monday", "wednesday"],
                "firstDayOfWeek": "monday",
            },
            "range": {
                "type": "numbered",
                "startDate": "2024-05-06",
                "numberOfOccurrences": 10,
                "recurrenceTimeZone": "Romance Standard Time",
            },
        },
        "RRULE:FREQ=WEEKLY;INTERVAL=2;WKST=MO;COUNT=10;BYDAY=MO,WE",
        id="weekly-numbered",
    ),
    pytest.param(
        Recurrence(
            kind="absoluteMonthly",
            day_of_month=15,
            start_date=date(2024, 5, 15),
            range_type="endDate",
            end_date=date(2024, 12, 31),
            time_zone="America/New_York",
        ),
        {
            "pattern": {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 15},
            "range": {
                "type": "endDate",
                "startDate": "2024-05-15",
                "endDate": "2024-12-31",
                "recurrenceTimeZone": "Eastern Standard Time",
            },
        },
        "RRULE:FREQ=MONTHLY;UNTIL=20241231T235959;BYMONTHDAY=15",
        id="absoluteMonthly-endDate",
    ),
    pytest.param(
        Recurrence(
            kind="relativeMonthly",
            days_of_week=("friday",),
            index="last",
            start_date=date(2024, 5, 31),
            range_type="numbered",
            count=6,
            time_zone="Europe/Paris",
        ),
        {
            "pattern": {
                "type": "relativeMonthly",
                "interval": 1,
                "daysOfWeek": ["friday"],
                "index": "last",
            },
            "range": {
                "type": "numbered",
                "startDate": "2024-05-31",
                "numberOfOccurrences": 6,
                "recurrenceTimeZone": "Romance Standard Time",
            },
        },
        "RRULE:FREQ=MONTHLY;COUNT=6;BYDAY=-1FR",
        id="relativeMonthly-last-numbered",
    ),
    pytest.param(
        Recurrence(
            kind="relativeMonthly",
            interval=2,
            days_of_week=("tuesday",),
            index="second",
            start_date=date(2024, 5, 14),
            time_zone="UTC",
        ),
        {
            "pattern": {
                "type": "relativeMonthly",
                "interval": 2,
                "daysOfWeek": ["tuesday"],
                "index": "second",
            },
            "range": {"type": "noEnd", "startDate": "2024-05-14", "recurrenceTimeZone": "UTC"},
        },
        "RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=+2TU",
        id="relativeMonthly-second-noEnd",
    ),
    pytest.param(
        Recurrence(
            kind="absoluteYearly",
            month=5,
            day_of_month=17,
            start_date=date(2024, 5, 17),
            range_type="endDate",
            end_date=date(2030, 5, 17),
            time_zone="Asia/Kolkata",
        ),
        {
            "pattern": {"type": "absoluteYearly", "interval": 1, "dayOfMonth": 17, "month": 5},
            "range": {
                "type": "endDate",
                "startDate": "2024-05-17",
                "endDate": "2030-05-17",
                "recurrenceTimeZone": "India Standard Time",
            },
        },
        "RRULE:FREQ=YEARLY;UNTIL=20300517T235959;BYMONTH=5;BYMONTHDAY=17",
        id="absoluteYearly-endDate",
    ),
]


@pytest.mark.parametrize(("rec", "graph", "rule"), TABLE)
def test_graph_json_round_trips(rec, graph, rule):
    """Each pattern and range type is written exactly as Graph documents it, and read back."""
    assert to_graph(rec) == graph
    assert from_graph(graph, start_zone="UTC") == rec


@pytest.mark.parametrize(("rec", "graph", "rule"), TABLE)
def test_odoo_rule_round_trips(rec, graph, rule):
    """What we write is what Odoo's ``_rrule_parse`` reads; what Odoo writes reads back."""
    first = datetime.combine(rec.start_date, datetime.min.time().replace(hour=9))
    dtstart = first.replace(tzinfo=ZoneInfo(rec.time_zone))
    assert to_rrule(rec, week_start="monday") == rule
    assert from_rrule(rule, dtstart) == rec
    assert from_rrule(f"DTSTART:20200101T101010\n{rule}", dtstart) == rec


def test_graph_response_defaults_are_ignored():
    """Graph returns every property, unused ones with defaults: only the type's are read."""
    graph = {
        "pattern": {
            "type": "absoluteMonthly",
            "interval": 1,
            "month": 0,
            "dayOfMonth": 31,
            "daysOfWeek": [],
            "firstDayOfWeek": "sunday",
            "index": "first",
        },
        "range": {
            "type": "noEnd",
            "startDate": "2024-01-31",
            "endDate": "0001-01-01",
            "recurrenceTimeZone": "",
            "numberOfOccurrences": 0,
        },
    }
    assert from_graph(graph, start_zone="Romance Standard Time") == Recurrence(
        kind="absoluteMonthly",
        day_of_month=31,
        start_date=date(2024, 1, 31),
        time_zone="Europe/Paris",
    )


def test_relative_index_defaults_to_first():
    """Graph's ``index`` is optional and means ``first`` when left out."""
    graph = {
        "pattern": {"type": "relativeYearly", "interval": 1, "month": 11, "daysOfWeek": ["monday"]},
        "range": {"type": "noEnd", "startDate": "2024-01-01"},
    }
    rec = from_graph(graph, start_zone="UTC")
    assert (rec.index, rec.month, rec.time_zone) == ("first", 11, "UTC")
    assert local_dates(expand(rec, datetime(2024, 1, 1, 9, tzinfo=UTC)), UTC) == [
        "2024-11-04",
        "2025-11-03",
        "2026-11-02",
        "2027-11-01",
    ]


def test_weekly_series_keeps_local_time_across_dst():
    """A weekly 09:00 Europe/Brussels series stays at 09:00 local across the March change."""
    rec = Recurrence(
        kind="weekly",
        days_of_week=("monday",),
        start_date=date(2024, 3, 18),
        time_zone="Europe/Brussels",
    )
    window = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 9, tzinfo=UTC))
    starts = expand(rec, datetime(2024, 3, 18, 9, tzinfo=BRUSSELS), window)
    assert [start.astimezone(BRUSSELS).strftime("%m-%d %H:%M") for start in starts] == [
        "03-18 09:00",
        "03-25 09:00",
        "04-01 09:00",
        "04-08 09:00",
    ]
    assert [start.hour for start in starts] == [8, 8, 7, 7]
    assert all(start.tzinfo is UTC for start in starts)


def test_time_in_the_spring_gap_moves_forward_with_the_clock():
    """02:30 does not exist on 31 March 2024 in Brussels: that occurrence is at 03:30."""
    rec = Recurrence(
        kind="daily",
        start_date=date(2024, 3, 30),
        range_type="numbered",
        count=3,
        time_zone="Europe/Brussels",
    )
    starts = expand(rec, datetime(2024, 3, 30, 2, 30, tzinfo=BRUSSELS))
    assert [start.astimezone(BRUSSELS).strftime("%d %H:%M") for start in starts] == [
        "30 02:30",
        "31 03:30",
        "01 02:30",
    ]


LAST_FRIDAYS = Recurrence(
    kind="relativeMonthly",
    days_of_week=("friday",),
    index="last",
    start_date=date(2024, 3, 29),
    range_type="numbered",
    count=3,
    time_zone="Europe/Paris",
)

# One row per day-picking rule: the series, its first event's start, its local dates.
EXPANSIONS = [
    pytest.param(
        Recurrence(
            kind="absoluteMonthly",
            day_of_month=31,
            start_date=date(2024, 1, 1),
            range_type="numbered",
            count=6,
            time_zone="Europe/Paris",
        ),
        datetime(2024, 1, 1, 9, tzinfo=PARIS),
        ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"],
        id="day 31 falls on the last day of short months, as in Exchange",
    ),
    pytest.param(
        Recurrence(
            kind="absoluteYearly",
            month=2,
            day_of_month=30,
            start_date=date(2024, 1, 1),
            range_type="numbered",
            count=3,
            time_zone="UTC",
        ),
        datetime(2024, 1, 1, 9, tzinfo=UTC),
        ["2024-02-29", "2025-02-28", "2026-02-28"],
        id="day 30 of February is its last day",
    ),
    pytest.param(
        Recurrence(
            kind="relativeMonthly",
            days_of_week=WORKDAYS,
            index="last",
            start_date=date(2024, 1, 1),
            range_type="endDate",
            end_date=date(2024, 6, 30),
            time_zone="Europe/Paris",
        ),
        datetime(2024, 1, 1, 9, tzinfo=PARIS),
        ["2024-01-31", "2024-02-29", "2024-03-29", "2024-04-30", "2024-05-31", "2024-06-28"],
        id="index last with Monday..Friday is the month's last working day",
    ),
    pytest.param(
        LAST_FRIDAYS,
        datetime(2024, 3, 29, 9, tzinfo=PARIS),
        ["2024-03-29", "2024-04-26", "2024-05-31"],
        id="last Friday of the month",
    ),
    pytest.param(
        Recurrence(
            kind="weekly",
            days_of_week=("tuesday", "thursday"),
            start_date=date(2024, 5, 1),
            range_type="numbered",
            count=3,
            time_zone="UTC",
        ),
        datetime(2024, 5, 1, 9, tzinfo=UTC),
        ["2024-05-02", "2024-05-07", "2024-05-09"],
        id="a start outside the pattern is skipped and a numbered range counts from the first match",
    ),
]


@pytest.mark.parametrize(("rec", "first_start", "dates"), EXPANSIONS)
def test_expansion_picks_the_days_of_its_rule(rec, first_start, dates):
    assert local_dates(expand(rec, first_start), first_start.tzinfo) == dates


def test_last_friday_of_the_month_maps_to_odoo():
    assert to_rrule(LAST_FRIDAYS, week_start="monday") == "RRULE:FREQ=MONTHLY;COUNT=3;BYDAY=-1FR"


def test_numbered_range_ends_after_its_count_whatever_the_window():
    rec = Recurrence(
        kind="daily", start_date=date(2024, 1, 1), range_type="numbered", count=5, time_zone="UTC"
    )
    first = datetime(2024, 1, 1, 9, tzinfo=UTC)
    assert len(expand(rec, first)) == 5
    later = (datetime(2024, 1, 4, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    assert local_dates(expand(rec, first, later), UTC) == ["2024-01-04", "2024-01-05"]


def test_end_date_is_inclusive_in_local_time():
    """A 00:30 Paris occurrence on the end date counts, though in UTC it is the day before."""
    rec = Recurrence(
        kind="daily",
        start_date=date(2024, 6, 1),
        range_type="endDate",
        end_date=date(2024, 6, 3),
        time_zone="Europe/Paris",
    )
    starts = expand(rec, datetime(2024, 6, 1, 0, 30, tzinfo=PARIS))
    assert local_dates(starts) == ["2024-06-01", "2024-06-02", "2024-06-03"]
    assert starts[-1] == datetime(2024, 6, 2, 22, 30, tzinfo=UTC)


def test_no_end_series_is_cut_by_the_window_only():
    rec = Recurrence(kind="weekly", days_of_week=("sunday",), start_date=date(2024, 1, 7))
    starts = expand(rec, datetime(2024, 1, 7, 9, tzinfo=UTC))
    assert len(starts) == 4 * 52
    assert local_dates(starts[-1:], UTC) == ["2027-12-26"]


def test_occurrence_overlapping_the_window_start_is_included():
    """calendarView returns events overlapping the window; so does the expansion."""
    rec = Recurrence(kind="daily", start_date=date(2024, 1, 1))
    window = (datetime(2024, 1, 2, 9, 30, tzinfo=UTC), datetime(2024, 1, 3, 9, tzinfo=UTC))
    starts = expand(rec, datetime(2024, 1, 1, 9, tzinfo=UTC), window)
    assert starts == [datetime(2024, 1, 2, 9, tzinfo=UTC)]


def test_expansion_needs_aware_datetimes():
    rec = Recurrence(kind="daily", start_date=date(2024, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        expand(rec, datetime(2024, 1, 1, 9))


@pytest.mark.parametrize(
    ("rec", "week_start", "reason"),
    [
        pytest.param(
            Recurrence(
                kind="relativeYearly",
                month=5,
                days_of_week=("monday",),
                index="last",
                start_date=date(2024, 5, 27),
            ),
            "monday",
            "last monday of May",
            id="relativeYearly",
        ),
        pytest.param(
            Recurrence(
                kind="relativeMonthly",
                days_of_week=WORKDAYS,
                index="first",
                start_date=date(2024, 5, 1),
            ),
            "monday",
            "several days of the week",
            id="relativeMonthly-several-days",
        ),
        pytest.param(
            Recurrence(kind="absoluteMonthly", day_of_month=31, start_date=date(2024, 1, 31)),
            "monday",
            "day 31",
            id="absoluteMonthly-31",
        ),
        pytest.param(
            Recurrence(kind="absoluteMonthly", day_of_month=29, start_date=date(2024, 1, 29)),
            "monday",
            "day 29",
            id="absoluteMonthly-29",
        ),
        pytest.param(
            Recurrence(
                kind="absoluteYearly", month=2, day_of_month=29, start_date=date(2024, 2, 29)
            ),
            "monday",
            "February 29",
            id="absoluteYearly-feb-29",
        ),
        pytest.param(
            Recurrence(
                kind="weekly",
                interval=2,
                days_of_week=("sunday", "monday"),
                first_day_of_week="sunday",
                start_date=date(2024, 5, 5),
            ),
            "monday",
            "starting on sunday",
            id="weekly-week-start",
        ),
    ],
)
def test_patterns_odoo_cannot_repeat_are_reported(rec, week_start, reason):
    """Odoo would lose or invent occurrences: the reason is given, nothing is written."""
    with pytest.raises(UnsupportedRecurrence, match=reason) as caught:
        to_rrule(rec, week_start=week_start)
    assert reason in caught.value.reason
    assert isinstance(caught.value, SyncError)


def test_week_start_only_matters_for_several_days_every_other_week():
    """With one day a week, or every week, weeks group the same whatever their first day."""
    one_day = Recurrence(
        kind="weekly", interval=2, days_of_week=("sunday",), start_date=date(2024, 5, 5)
    )
    every_week = Recurrence(
        kind="weekly", days_of_week=("sunday", "monday"), start_date=date(2024, 5, 5)
    )
    assert to_rrule(one_day, week_start="monday").endswith("BYDAY=SU")
    assert to_rrule(every_week, week_start="monday").endswith("BYDAY=MO,SU")


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=31", "day 31"),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=30;COUNT=4", "day 30"),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1", "BYMONTHDAY=-1"),
        ("RRULE:FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1", "monthly rule"),
        ("RRULE:FREQ=MONTHLY;BYDAY=+5MO", "weekday number 5"),
        ("RRULE:FREQ=HOURLY", "FREQ=HOURLY"),
        ("RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", "BYHOUR"),
        ("RRULE:FREQ=DAILY;BYDAY=MO", "daily rule"),
        ("RRULE:FREQ=DAILY\nEXDATE:20240102T090000", "EXDATE"),
    ],
)
def test_rules_outlook_cannot_repeat_are_reported(rule, reason):
    with pytest.raises(UnsupportedRecurrence, match=reason):
        from_rrule(rule, datetime(2024, 1, 1, 9, tzinfo=PARIS))


def test_odoo_yearly_rule_repeats_the_first_event_date():
    """Odoo writes a bare FREQ=YEARLY; February 29 then skips three years in four."""
    rule = "DTSTART:20260101T000000\nRRULE:FREQ=YEARLY;INTERVAL=2;COUNT=3"
    rec = from_rrule(rule, datetime(2024, 7, 14, 20, tzinfo=PARIS))
    assert (rec.kind, rec.month, rec.day_of_month, rec.interval) == ("absoluteYearly", 7, 14, 2)
    with pytest.raises(UnsupportedRecurrence, match="February 29"):
        from_rrule("RRULE:FREQ=YEARLY", datetime(2024, 2, 29, 9, tzinfo=PARIS))


def test_odoo_forever_is_stored_as_count_720():
    """Odoo serialises end_type 'forever' as COUNT=720; ``forever=`` keeps it endless."""
    stored = "DTSTART:20260101T101010\nRRULE:FREQ=WEEKLY;COUNT=720;BYDAY=MO"
    monday = datetime(2024, 5, 6, 9, tzinfo=PARIS)
    assert from_rrule(stored, monday, forever=True).range_type == "noEnd"
    assert from_rrule(stored, monday).count == 720
    with pytest.raises(ValueError, match="without end"):
        from_rrule("RRULE:FREQ=WEEKLY;UNTIL=20240601T235959;BYDAY=MO", monday, forever=True)


def test_odoo_rule_without_wkst_starts_weeks_on_monday():
    """dateutil leaves WKST out for Monday, as RFC 5545's default."""
    rec = from_rrule("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR", datetime(2024, 5, 6, tzinfo=UTC))
    assert rec.first_day_of_week == "monday"
    assert rec.days_of_week == ("monday", "friday")


def test_until_before_the_time_of_day_ends_the_day_before():
    """UNTIL is an instant: a 09:00 series with UNTIL at 08:00 has no occurrence that day."""
    nine = datetime(2024, 5, 6, 9, tzinfo=PARIS)
    assert from_rrule("FREQ=DAILY;UNTIL=20240510T080000", nine).end_date == date(2024, 5, 9)
    assert from_rrule("FREQ=DAILY;UNTIL=20240510T060000Z", nine).end_date == date(2024, 5, 9)
    assert from_rrule("FREQ=DAILY;UNTIL=20240510T070000Z", nine).end_date == date(2024, 5, 10)
    assert from_rrule("FREQ=DAILY;UNTIL=20240510", nine).end_date == date(2024, 5, 10)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;COUNT=3;UNTIL=20240510",
        "FREQ=DAILY;INTERVAL=two",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=DAILY;UNTIL=2024-05-10",
        "FREQ=DAILY;FREQ=DAILY",
        "",
    ],
)
def test_malformed_rules_raise_value_error(rule):
    with pytest.raises(ValueError):
        from_rrule(rule, datetime(2024, 5, 6, 9, tzinfo=PARIS))


def test_from_rrule_needs_a_named_zone():
    with pytest.raises(ValueError, match="ZoneInfo"):
        from_rrule("FREQ=DAILY", datetime(2024, 5, 6, 9))


@pytest.mark.parametrize(
    "graph",
    [
        {"pattern": {"type": "hourly", "interval": 1}, "range": {"type": "noEnd"}},
        {"pattern": {"type": "daily"}, "range": {"type": "noEnd", "startDate": "2024-01-01"}},
        {"pattern": {"type": "daily", "interval": 1}, "range": {"type": "noEnd"}},
        {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": []},
            "range": {"type": "noEnd", "startDate": "2024-01-01"},
        },
        {
            "pattern": {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 0},
            "range": {"type": "noEnd", "startDate": "2024-01-01"},
        },
        {
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2024-01-01", "numberOfOccurrences": 0},
        },
        {
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "endDate", "startDate": "2024-01-02", "endDate": "2024-01-01"},
        },
        {},
    ],
)
def test_unreadable_graph_recurrence_raises_value_error(graph):
    with pytest.raises(ValueError):
        from_graph(graph, start_zone="UTC")


def test_recurrence_is_normalised_so_equal_series_compare_equal():
    rec = Recurrence(
        kind="relativeMonthly",
        days_of_week=("sunday", "monday", "monday"),
        first_day_of_week="monday",
        index="first",
        start_date=date(2024, 1, 1),
    )
    assert rec.days_of_week == ("monday", "sunday")
    assert rec.first_day_of_week == "sunday"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "daily", "index": "first"}, "daily does not use index"),
        ({"kind": "absoluteYearly", "day_of_month": 3}, "absoluteYearly needs month"),
        ({"kind": "daily", "range_type": "numbered"}, "numbered needs count"),
        ({"kind": "daily", "end_date": date(2025, 1, 1)}, "noEnd does not use end_date"),
        ({"kind": "daily", "time_zone": "Mars/Olympus"}, "unknown time zone"),
        ({"kind": "weekly", "days_of_week": ("funday",)}, "unknown days"),
    ],
)
def test_inconsistent_recurrence_is_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        Recurrence(start_date=date(2024, 1, 1), **fields)


# --- Properties -------------------------------------------------------------------------------

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata")
"""Zones whose Windows name maps back to them (Europe/Brussels comes back as Europe/Paris)."""

days_sets = st.sets(st.sampled_from(DAYS), min_size=1).map(tuple)


@st.composite
def recurrences(draw: st.DrawFn, *, expressible: bool = False) -> Recurrence:
    """Any series (or one Odoo can repeat) starting in 2024, of any range type."""
    kinds = ["daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly"]
    kind = draw(st.sampled_from(kinds if expressible else [*kinds, "relativeYearly"]))
    fields: dict = {"kind": kind, "interval": draw(st.integers(1, 4))}
    if kind == "weekly":
        fields["days_of_week"] = draw(days_sets)
        fields["first_day_of_week"] = draw(st.sampled_from(DAYS))
    if kind in ("relativeMonthly", "relativeYearly"):
        single = st.sampled_from(DAYS).map(lambda day: (day,))
        fields["days_of_week"] = draw(single if expressible else days_sets)
        fields["index"] = draw(st.sampled_from(INDEXES))
    if kind in ("absoluteYearly", "relativeYearly"):
        fields["month"] = draw(st.integers(1, 12))
    if kind == "absoluteMonthly":
        fields["day_of_month"] = draw(st.integers(1, 28 if expressible else 31))
    if kind == "absoluteYearly":
        longest = (31, 28 if expressible else 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
        fields["day_of_month"] = draw(st.integers(1, longest[fields["month"] - 1]))
    start = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 365)))
    range_type = draw(st.sampled_from(["endDate", "numbered", "noEnd"]))
    if range_type == "endDate":
        fields["end_date"] = start + timedelta(days=draw(st.integers(0, 3 * 365)))
    if range_type == "numbered":
        fields["count"] = draw(st.integers(1, 60))
    return Recurrence(
        start_date=start,
        range_type=range_type,
        time_zone=draw(st.sampled_from(ZONES)),
        **fields,
    )


hours = st.sampled_from([0, 9, 12, 23])


def first_start_of(rec: Recurrence, hour: int) -> datetime:
    return datetime.combine(rec.start_date, datetime.min.time().replace(hour=hour)).replace(
        tzinfo=ZoneInfo(rec.time_zone)
    )


def from_series_start(rec: Recurrence, hour: int) -> tuple[tuple[datetime, datetime], list]:
    """A window from the day before the series starts, so that Odoo's first event is the
    series' true first occurrence (a window cutting it off would make Odoo count from the
    second one), and the occurrences in it."""
    series_start = first_start_of(rec, hour)
    window = (series_start - timedelta(days=1), YEARS_2024_2027[1])
    starts = expand(rec, series_start, window=window)
    assume(starts)  # an end date before the first match leaves Odoo no event to anchor on
    return window, starts


# Its first occurrence, midnight in Paris, is just before the window's UTC start.
FIRST_JUST_BEFORE_THE_WINDOW = Recurrence(
    kind="daily",
    range_type="numbered",
    start_date=date(2024, 1, 1),
    count=2,
    time_zone="Europe/Paris",
)


@given(recurrences(), st.sampled_from(ZONES))
def test_graph_round_trip_keeps_every_series(rec, start_zone):
    """Recurrence -> Graph JSON -> Recurrence is the identity, for every kind."""
    assert from_graph(to_graph(rec), start_zone=start_zone) == rec


@settings(max_examples=150)
@given(recurrences(expressible=True), hours)
@example(FIRST_JUST_BEFORE_THE_WINDOW, 0)
def test_rrule_graph_rrule_keeps_the_same_occurrences(rec, hour):
    """RRULE -> Recurrence -> Graph -> Recurrence -> RRULE gives the same rule and the same
    occurrences over four years, across DST changes and month ends."""
    window, starts = from_series_start(rec, hour)
    first = starts[0].astimezone(ZoneInfo(rec.time_zone))
    week_start = rec.first_day_of_week
    rule = to_rrule(rec, week_start=week_start)
    from_odoo = from_rrule(rule, first)
    through_graph = from_graph(to_graph(from_odoo), start_zone="UTC")
    assert through_graph == from_odoo
    assert to_rrule(through_graph, week_start=week_start) == rule
    assert expand(through_graph, first, window=window) == starts
    if rec.start_date == first.date():
        assert from_odoo == rec


@settings(max_examples=150)
@given(recurrences(expressible=True), hours)
@example(FIRST_JUST_BEFORE_THE_WINDOW, 0)
def test_odoo_expanding_our_rule_finds_outlooks_occurrences(rec, hour):
    """Odoo expands the rule with naive local times from its first event, then localises
    them: that gives Outlook's occurrences."""
    zone = ZoneInfo(rec.time_zone)
    window, starts = from_series_start(rec, hour)
    first = starts[0].astimezone(zone).replace(tzinfo=None)
    odoo_rule = rrule.rrulestr(to_rrule(rec, week_start=rec.first_day_of_week), dtstart=first)
    odoo_starts = [
        local.replace(tzinfo=zone).astimezone(UTC)
        for local in odoo_rule.between(first, datetime(2028, 1, 2), inc=True)
    ]
    assert [start for start in odoo_starts if start < window[1]] == starts


@settings(max_examples=150)
@given(recurrences(), hours)
def test_expansion_agrees_with_the_graph_emulator(rec, hour):
    """The emulator the end-to-end tests run against places occurrences the same way."""
    first = first_start_of(rec, hour)
    emulated = occurrence_starts(normalize(to_graph(rec)), first, *YEARS_2024_2027, HOUR)
    assert expand(rec, first) == emulated
