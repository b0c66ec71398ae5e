"""Recurrence rules: Graph ``patternedRecurrence`` <-> ``Recurrence`` <-> Odoo's RRULE.

``Recurrence`` is the pattern of a series in a neutral form both sides map to. It uses Graph's
vocabulary (pattern kinds, day names, ``first``..``last``) because Graph's model is the richer
one: every Odoo rule has a Graph form, not the other way round. ``occurrences`` expands a
series with ``dateutil.rrule`` in the series' own zone, so a 09:00 Europe/Brussels meeting
stays at 09:00 local across DST changes; the sync matches Outlook occurrences with Odoo's
events by their original start.

Semantics (Exchange's, which Graph exposes):

- The first occurrence is the first date on or after ``range.startDate`` that fits the
  pattern; ``interval`` counts periods (days, weeks, months, years) from that start.
- ``dayOfMonth`` larger than the month falls back to the month's *last* day (EWS
  ``DayOfMonth``: "the last day of the month is assumed"); RFC 5545 skips such months, so the
  rule is written ``BYMONTHDAY=28,...,n;BYSETPOS=-1`` for ``n`` > 28.
- Several ``daysOfWeek`` with an ``index`` pick *one* day per period: ``first`` of
  monday..friday is the first weekday of the month (``BYDAY=MO,...,FR;BYSETPOS=1``).
- ``firstDayOfWeek`` decides which days form one week of a weekly series with
  ``interval`` > 1 (RFC ``WKST``).
- ``endDate`` is an inclusive local date; ``numbered`` counts occurrences from the first.

Odoo's side is ``calendar.recurrence``: ``rrule`` is computed from its fields
(``_rrule_serialize``) and, when written, parsed back into them (``_rrule_parse``), so
``to_rrule`` writes only what that parser reads and ``from_rrule`` reads what Odoo writes:
``DTSTART:<when it was computed>`` (ignored: the caller passes the real start) and
``RRULE:FREQ=...``. Odoo writes an end date as ``UNTIL=<date>T235959`` in local time, and its
``forever`` as ``COUNT=720`` (``MAX_RECURRENT_EVENT``, also the most occurrences Odoo
creates for any series): ``from_rrule`` takes ``forever=`` to tell the two apart.

What one side cannot express (``UnsupportedRecurrence.reason`` says which):

- Outlook -> Odoo (``to_rrule``): ``relativeYearly`` (Odoo's yearly repeats the first
  event's date); ``relativeMonthly`` with several days (Odoo holds one weekday);
  ``absoluteMonthly`` on day 29-31 and ``absoluteYearly`` on a day some years' month lacks
  (Feb 29, Apr 31: Odoo would skip those months or years instead of using the last day);
  a weekly series every 2+ weeks on several days whose ``firstDayOfWeek`` differs from the
  week start Odoo expands with (the user's language), which groups the days differently.
- Odoo -> Outlook (``from_rrule``): monthly on day 29-31 (Odoo skips the short months, Graph
  would add their last day), yearly on Feb 29, and any rule Odoo itself never writes
  (``BYSETPOS``, several month days, ``RDATE``/``EXDATE``...).

Such a series must not lose an occurrence. Recommended handling: the series stays a series
on the side it came from, and the other side gets its occurrences as *single events*, one per
occurrence in the sync window (``occurrences``), each linked by series and original start
(``ItemKey(event=<series>, occurrence=<original start>)``). An edit or deletion of one of
them is pushed as an edit or deletion of that occurrence; the pattern itself can only change
on its own side. The sync log names the series and the reason once ("Outlook series 'X'
repeats on the last Monday of May, which Odoo cannot repeat: its occurrences are kept as
separate events"). New occurrences appear as the window moves on.

Odoo also creates at most 720 events of a series (``numbered`` above 720 or ``noEnd``): the
occurrences Outlook has after Odoo's last are not deleted in Odoo, only never created there.
Odoo's own ``microsoft_calendar`` gets several of these wrong (it passes ``dayOfMonth``
straight through, keeps the first of several days, maps ``relativeYearly`` to a date-based
yearly, and always sends ``firstDayOfWeek: sunday``): that is what these checks prevent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule

from .errors import SyncError
from .timezones import UTC_NAME, graph_zone, iana_to_windows

Kind = Literal[
    "daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly"
]
RangeType = Literal["endDate", "numbered", "noEnd"]
DayOfWeek = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WeekIndex = Literal["first", "second", "third", "fourth", "last"]

KINDS: tuple[Kind, ...] = get_args(Kind)
RANGE_TYPES: tuple[RangeType, ...] = get_args(RangeType)
DAYS: tuple[DayOfWeek, ...] = get_args(DayOfWeek)
"""In Python's weekday order (``date.weekday()``: Monday is 0), which is also rrule's."""
INDEXES: tuple[WeekIndex, ...] = get_args(WeekIndex)

ODOO_FOREVER_COUNT = 720
"""Odoo's ``MAX_RECURRENT_EVENT``: the ``COUNT`` it writes for a series without end."""

_WITH_DAYS = frozenset({"weekly", "relativeMonthly", "relativeYearly"})
_WITH_INDEX = frozenset({"relativeMonthly", "relativeYearly"})
_WITH_DAY_OF_MONTH = frozenset({"absoluteMonthly", "absoluteYearly"})
_WITH_MONTH = frozenset({"absoluteYearly", "relativeYearly"})
_FREQ = {
    "daily": rrule.DAILY,
    "weekly": rrule.WEEKLY,
    "absoluteMonthly": rrule.MONTHLY,
    "relativeMonthly": rrule.MONTHLY,
    "absoluteYearly": rrule.YEARLY,
    "relativeYearly": rrule.YEARLY,
}
_FREQ_NAME = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "yearly": "YEARLY"}
_SETPOS: dict[WeekIndex, int] = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_INDEX_OF_SETPOS = {position: index for index, position in _SETPOS.items()}
_RRULE_DAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(\d{8})(?:T(\d{6})(Z?))?")
_MONTH_NAMES = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""English, whatever the server's locale: reasons are logged, not shown translated."""
_SHORTEST_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""Days of each month in its shortest year: a yearly day beyond it is missing some years."""


class UnsupportedRecurrence(SyncError):
    """A valid rule the target side cannot repeat without losing or adding occurrences.

    ``reason`` is a sentence for the sync log. Mirror the series as single events instead
    (see the module docstring).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Recurrence:
    """The pattern and range of one series, in Graph's terms.

    Only the fields of ``kind`` are set: ``days_of_week`` for weekly and relative kinds,
    ``index`` for relative kinds, ``day_of_month`` for absolute kinds, ``month`` for yearly
    kinds; ``end_date`` for an ``endDate`` range and ``count`` for a ``numbered`` one.
    ``days_of_week`` is sorted Monday first; ``first_day_of_week`` only matters to weekly
    series and is ``sunday`` (Graph's default) for the others, so that two values describing
    the same series compare equal. ``start_date`` is the range start, a local date in
    ``time_zone`` (an IANA name). Construction raises ``ValueError`` on inconsistent values.
    """

    kind: Kind
    interval: int = 1
    days_of_week: tuple[DayOfWeek, ...] = ()
    first_day_of_week: DayOfWeek = "sunday"
    index: WeekIndex | None = None
    day_of_month: int | None = None
    month: int | None = None
    range_type: RangeType = "noEnd"
    start_date: date
    end_date: date | None = None
    count: int | None = None
    time_zone: str = UTC_NAME

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown recurrence kind {self.kind!r}")
        if not isinstance(self.interval, int) or self.interval < 1:
            raise ValueError("interval must be a positive integer")
        self._check_pattern()
        self._check_range()
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from error

    def _check_pattern(self) -> None:
        unknown = set(self.days_of_week) - set(DAYS)
        if unknown:
            raise ValueError(f"unknown days of week {sorted(unknown)}")
        object.__setattr__(
            self, "days_of_week", tuple(day for day in DAYS if day in self.days_of_week)
        )
        if self.first_day_of_week not in DAYS:
            raise ValueError(f"unknown first day of week {self.first_day_of_week!r}")
        if self.kind != "weekly":
            object.__setattr__(self, "first_day_of_week", "sunday")
        _require("days_of_week", self.kind, self.kind in _WITH_DAYS, bool(self.days_of_week))
        _require("index", self.kind, self.kind in _WITH_INDEX, self.index is not None)
        if self.index is not None and self.index not in INDEXES:
            raise ValueError(f"unknown index {self.index!r}")
        has_day = self.day_of_month is not None
        _require("day_of_month", self.kind, self.kind in _WITH_DAY_OF_MONTH, has_day)
        if has_day and not 1 <= self.day_of_month <= 31:
            raise ValueError("day_of_month must be between 1 and 31")
        _require("month", self.kind, self.kind in _WITH_MONTH, self.month is not None)
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError("month must be between 1 and 12")

    def _check_range(self) -> None:
        if self.range_type not in RANGE_TYPES:
            raise ValueError(f"unknown range type {self.range_type!r}")
        has_end = self.end_date is not None
        _require("end_date", self.range_type, self.range_type == "endDate", has_end)
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        has_count = self.count is not None
        _require("count", self.range_type, self.range_type == "numbered", has_count)
        if self.count is not None and self.count < 1:
            raise ValueError("count must be positive")


def _require(field: str, owner: str, wanted: bool, present: bool) -> None:
    """A field is set exactly when its kind or range type (``owner``) uses it."""
    if wanted and not present:
        raise ValueError(f"{owner} needs {field}")
    if present and not wanted:
        raise ValueError(f"{owner} does not use {field}")


# --- Graph ------------------------------------------------------------------------------------


def series_zone(
    patterned_recurrence: Mapping[str, Any],
    *,
    start_zone: str,
    mailbox_zone: Callable[[], str] | None = None,
    allday: bool = False,
) -> str:
    """The IANA zone a Graph series recurs in: ``recurrenceTimeZone`` (Windows or IANA name)
    wins; when empty the event's start zone. A custom zone is the mailbox's (``graph_zone``).

    An all-day series without ``recurrenceTimeZone`` (an attendee's copy can have it empty,
    microsoft-graph-docs-contrib #5828) recurs in the mailbox's zone when it is known: Graph
    reports an all-day event's ``originalStartTimeZone`` as the zone the request asked for, not
    the user's (Microsoft's answer in microsoft-graph-docs #2804), so it says nothing of where
    the occurrences' ``originalStart`` midnights are. The mailbox's zone is our assumption."""
    range_ = patterned_recurrence.get("range") or {}
    named = range_.get("recurrenceTimeZone")
    if not named and allday and mailbox_zone is not None:
        return mailbox_zone()
    return graph_zone(named or start_zone, mailbox_zone)


def from_graph(
    patterned_recurrence: dict[str, Any],
    *,
    start_zone: str,
    mailbox_zone: Callable[[], str] | None = None,
    allday: bool = False,
) -> Recurrence:
    """Read Graph's ``recurrence`` object.

    Graph returns every property with a default (``dayOfMonth: 0``, ``index: "first"``,
    ``endDate: "0001-01-01"``...): only those of the pattern's type and range type are read.
    The zone is ``series_zone``'s. Raises ``ValueError`` when unreadable (the caller reports
    it as ``MalformedEvent``).
    """
    pattern = patterned_recurrence.get("pattern") or {}
    range_ = patterned_recurrence.get("range") or {}
    kind = pattern.get("type")
    range_type = range_.get("type")
    try:
        return Recurrence(
            kind=kind,
            interval=pattern.get("interval"),
            days_of_week=tuple(pattern.get("daysOfWeek") or ()) if kind in _WITH_DAYS else (),
            first_day_of_week=pattern.get("firstDayOfWeek") or "sunday",
            index=(pattern.get("index") or "first") if kind in _WITH_INDEX else None,
            day_of_month=pattern.get("dayOfMonth") if kind in _WITH_DAY_OF_MONTH else None,
            month=pattern.get("month") if kind in _WITH_MONTH else None,
            range_type=range_type,
            start_date=date.fromisoformat(range_["startDate"]),
            end_date=(date.fromisoformat(range_["endDate"]) if range_type == "endDate" else None),
            count=range_.get("numberOfOccurrences") if range_type == "numbered" else None,
            time_zone=series_zone(
                patterned_recurrence,
                start_zone=start_zone,
                mailbox_zone=mailbox_zone,
                allday=allday,
            ),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"unreadable recurrence: {error!r}") from error


def to_graph(rec: Recurrence) -> dict[str, Any]:
    """Graph's ``recurrence`` object for ``rec``, with only the properties its types use
    (Graph validates even the properties a type ignores); the zone as a Windows name."""
    pattern: dict[str, Any] = {"type": rec.kind, "interval": rec.interval}
    if rec.days_of_week:
        pattern["daysOfWeek"] = list(rec.days_of_week)
    if rec.kind == "weekly":
        pattern["firstDayOfWeek"] = rec.first_day_of_week
    if rec.index is not None:
        pattern["index"] = rec.index
    if rec.day_of_month is not None:
        pattern["dayOfMonth"] = rec.day_of_month
    if rec.month is not None:
        pattern["month"] = rec.month
    range_: dict[str, Any] = {"type": rec.range_type, "startDate": rec.start_date.isoformat()}
    if rec.end_date is not None:
        range_["endDate"] = rec.end_date.isoformat()
    if rec.count is not None:
        range_["numberOfOccurrences"] = rec.count
    range_["recurrenceTimeZone"] = iana_to_windows(rec.time_zone).name
    return {"pattern": pattern, "range": range_}


# --- Odoo's RRULE -----------------------------------------------------------------------------


def to_rrule(rec: Recurrence, *, week_start: DayOfWeek) -> str:
    """The ``calendar.recurrence.rrule`` for ``rec``, as Odoo's ``_rrule_parse`` reads it.

    ``week_start`` is the first day of the week Odoo expands weekly series with (the language
    of the user the recurrence is applied as); Odoo ignores ``WKST`` when parsing. Odoo
    anchors a series on its first event: create it at the first of ``occurrences``. Raises
    ``UnsupportedRecurrence`` for the patterns listed in the module docstring.
    """
    parts = [f"FREQ={_FREQ_NAME[_odoo_type(rec.kind)]}"]
    if rec.interval != 1:
        parts.append(f"INTERVAL={rec.interval}")
    if rec.kind == "weekly":
        _check_week_start(rec, week_start)
        parts.append(f"WKST={_rrule_day(rec.first_day_of_week)}")
    if rec.range_type == "numbered":
        parts.append(f"COUNT={rec.count}")
    elif rec.range_type == "endDate":
        parts.append(f"UNTIL={rec.end_date:%Y%m%d}T235959")
    parts += _odoo_by_parts(rec)
    return "RRULE:" + ";".join(parts)


def _odoo_type(kind: Kind) -> str:
    """Odoo's ``rrule_type`` for a Graph kind."""
    return kind.removeprefix("absolute").removeprefix("relative").lower()


def _check_week_start(rec: Recurrence, week_start: DayOfWeek) -> None:
    if rec.interval > 1 and len(rec.days_of_week) > 1 and rec.first_day_of_week != week_start:
        raise UnsupportedRecurrence(
            f"the series repeats every {rec.interval} weeks on several days, with weeks "
            f"starting on {rec.first_day_of_week}; Odoo starts weeks on {week_start}"
        )


def _odoo_by_parts(rec: Recurrence) -> list[str]:
    """The ``BY*`` parts of an Odoo rule, or ``UnsupportedRecurrence``."""
    if rec.kind == "weekly":
        return ["BYDAY=" + ",".join(_rrule_day(day) for day in rec.days_of_week)]
    if rec.kind == "absoluteMonthly":
        if rec.day_of_month > 28:
            raise UnsupportedRecurrence(
                f"the series repeats on day {rec.day_of_month} of the month, or the last day "
                "of shorter months; Odoo would skip the shorter months"
            )
        return [f"BYMONTHDAY={rec.day_of_month}"]
    if rec.kind == "relativeMonthly":
        if len(rec.days_of_week) > 1:
            raise UnsupportedRecurrence(
                f"the series repeats on the {rec.index} of several days of the week "
                f"({', '.join(rec.days_of_week)}); Odoo repeats on one day of the week"
            )
        return [f"BYDAY={_SETPOS[rec.index]:+d}{_rrule_day(rec.days_of_week[0])}"]
    if rec.kind == "absoluteYearly":
        if rec.day_of_month > _SHORTEST_MONTH[rec.month - 1]:
            raise UnsupportedRecurrence(
                f"the series repeats on {_MONTH_NAMES[rec.month]} {rec.day_of_month}, "
                "or the last day of that month in years without it; Odoo would skip them"
            )
        return [f"BYMONTH={rec.month}", f"BYMONTHDAY={rec.day_of_month}"]
    if rec.kind == "relativeYearly":
        raise UnsupportedRecurrence(
            f"the series repeats on the {rec.index} {' or '.join(rec.days_of_week)} of "
            f"{_MONTH_NAMES[rec.month]}; Odoo repeats a yearly series on a date"
        )
    return []


def from_rrule(rrule_text: str, dtstart: datetime, *, forever: bool = False) -> Recurrence:
    """Read ``calendar.recurrence.rrule``, for a series whose first event starts at
    ``dtstart`` (aware, in the recurrence's ``event_tz``, e.g. ``ZoneInfo`` or UTC).

    Odoo's ``DTSTART`` line is ignored (it is the time the rule was computed). ``forever`` is
    ``end_type == "forever"``: Odoo stores it as ``COUNT=720``. A yearly rule without
    ``BYMONTH``/``BYMONTHDAY`` (Odoo's) repeats on ``dtstart``'s date. Raises
    ``UnsupportedRecurrence`` for rules Graph cannot repeat or Odoo never writes, and
    ``ValueError`` for malformed ones.
    """
    zone = _zone_name(dtstart.tzinfo)
    local = dtstart.astimezone(ZoneInfo(zone))
    parts = _rule_parts(rrule_text)
    freq = parts.pop("FREQ", None)
    kind_of_freq = {name: kind for kind, name in _FREQ_NAME.items()}
    if freq not in kind_of_freq:
        raise UnsupportedRecurrence(f"the rule repeats with FREQ={freq}")
    interval = _int(parts.pop("INTERVAL", "1"), "INTERVAL")
    week_start = _day(parts.pop("WKST", "MO"))
    count, until = parts.pop("COUNT", None), parts.pop("UNTIL", None)
    if forever:
        if until is not None or count not in (None, str(ODOO_FOREVER_COUNT)):
            raise ValueError(f"a series without end has an end: {rrule_text!r}")
        count = None
    range_fields = _range_fields(count, until, local)
    pattern = _pattern_fields(kind_of_freq[freq], parts, local)
    if parts:
        raise UnsupportedRecurrence(f"the rule uses {', '.join(sorted(parts))}")
    if pattern["kind"] == "weekly":
        pattern["first_day_of_week"] = week_start
    try:
        return Recurrence(
            interval=interval,
            start_date=local.date(),
            time_zone=zone,
            **pattern,
            **range_fields,
        )
    except ValueError as error:
        raise ValueError(f"unreadable rule {rrule_text!r}: {error}") from error


def _zone_name(zone: tzinfo | None) -> str:
    """The IANA name of an aware datetime's zone."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    if zone is timezone.utc:
        return UTC_NAME
    raise ValueError("dtstart must be aware, in a ZoneInfo zone or UTC")


def _rule_parts(text: str) -> dict[str, str]:
    """``NAME=value`` parts of the ``RRULE`` line, ``X-`` parameters left out (as Odoo does);
    ``DTSTART`` is skipped and any other line (``EXDATE``...) makes the rule unsupported."""
    rules = []
    for raw in text.strip().splitlines():
        line = raw.strip()
        if line.startswith("DTSTART"):
            continue
        name, colon, value = line.partition(":")
        if not colon:
            rules.append(line)
        elif name == "RRULE":
            rules.append(value)
        else:
            raise UnsupportedRecurrence(f"the rule uses {name}")
    if len(rules) != 1:
        raise ValueError(f"expected one RRULE in {text!r}")
    parts: dict[str, str] = {}
    for part in rules[0].split(";"):
        name, equals, value = part.partition("=")
        if not equals or name in parts:
            raise ValueError(f"malformed rule part {part!r}")
        if not name.startswith("X-"):
            parts[name.upper()] = value.upper()
    return parts


def _range_fields(count: str | None, until: str | None, local: datetime) -> dict[str, Any]:
    if count is not None and until is not None:
        raise ValueError("a rule has COUNT or UNTIL, not both")
    if count is not None:
        return {"range_type": "numbered", "count": _int(count, "COUNT")}
    if until is None:
        return {"range_type": "noEnd"}
    match = _UNTIL.fullmatch(until)
    if not match:
        raise ValueError(f"malformed UNTIL {until!r}")
    day, clock, utc = match.groups()
    end = datetime.strptime(day + (clock or "235959"), "%Y%m%d%H%M%S")
    if utc:
        end = end.replace(tzinfo=timezone.utc).astimezone(local.tzinfo).replace(tzinfo=None)
    # The last occurrence is the last one starting at or before UNTIL, in local time.
    last_day = end.date() if local.time() <= end.time() else end.date() - timedelta(days=1)
    return {"range_type": "endDate", "end_date": last_day}


def _pattern_fields(odoo_type: str, parts: dict[str, str], local: datetime) -> dict[str, Any]:
    """Pattern fields of an Odoo rule; consumes the parts it reads."""
    byday = [_BYDAY.fullmatch(item) for item in parts.pop("BYDAY", "").split(",") if item]
    if not all(byday):
        raise ValueError("malformed BYDAY")
    month_days = [_int(day, "BYMONTHDAY") for day in parts.pop("BYMONTHDAY", "").split(",") if day]
    if odoo_type == "daily" and not byday and not month_days:
        return {"kind": "daily"}
    if odoo_type == "weekly" and byday and not any(match[1] for match in byday):
        return {"kind": "weekly", "days_of_week": tuple(_day(match[2]) for match in byday)}
    if odoo_type == "monthly" and len(month_days) == 1 and not byday:
        if month_days[0] < 1:
            raise UnsupportedRecurrence(f"Odoo never writes BYMONTHDAY={month_days[0]}")
        if month_days[0] > 28:
            raise UnsupportedRecurrence(
                f"the series repeats on day {month_days[0]} of the month and skips shorter "
                "months; Outlook would use their last day"
            )
        return {"kind": "absoluteMonthly", "day_of_month": month_days[0]}
    if odoo_type == "monthly" and len(byday) == 1 and byday[0][1] and not month_days:
        position = int(byday[0][1])
        if position not in _INDEX_OF_SETPOS:
            raise UnsupportedRecurrence(f"the series repeats on weekday number {position}")
        return {
            "kind": "relativeMonthly",
            "days_of_week": (_day(byday[0][2]),),
            "index": _INDEX_OF_SETPOS[position],
        }
    if odoo_type == "yearly" and not byday and len(month_days) <= 1:
        month = _int(parts.pop("BYMONTH", str(local.month)), "BYMONTH")
        day = month_days[0] if month_days else local.day
        if 1 <= month <= 12 and day > _SHORTEST_MONTH[month - 1]:
            raise UnsupportedRecurrence(
                f"the series repeats on {_MONTH_NAMES[month]} {day} only in years that "
                "have it; Outlook would use the last day of the month in the others"
            )
        return {"kind": "absoluteYearly", "month": month, "day_of_month": day}
    raise UnsupportedRecurrence(f"Odoo never writes this {odoo_type} rule")


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError as error:
        raise ValueError(f"malformed {name} {value!r}") from error


def _day(code: str) -> DayOfWeek:
    if code not in _RRULE_DAY:
        raise ValueError(f"unknown day {code!r}")
    return DAYS[_RRULE_DAY.index(code)]


def _rrule_day(day: DayOfWeek) -> str:
    return _RRULE_DAY[DAYS.index(day)]


# --- Expansion --------------------------------------------------------------------------------


def occurrences(
    rec: Recurrence,
    first_start: datetime,
    duration: timedelta,
    window_start: datetime,
    window_end: datetime,
) -> list[datetime]:
    """Starts (aware, UTC, in order) of the occurrences overlapping ``[window_start,
    window_end)``, as Outlook places them.

    The time of day is ``first_start``'s (aware) in the series' zone, kept as wall-clock time
    across DST changes; a time that does not exist on some day (spring-forward gap) moves
    forward by the gap, as the clock does. ``count`` and ``end_date`` are honoured; Odoo's
    720-event cap is not (see the module docstring). Match these with Graph's
    ``originalStart`` and Odoo's ``start``: equal aware datetimes are equal whatever their zone.
    """
    for value in (first_start, window_start, window_end):
        if value.tzinfo is None:
            raise ValueError("first_start and the window must be timezone-aware")
    zone = ZoneInfo(rec.time_zone)
    time_of_day = first_start.astimezone(zone).time()
    rule = _expansion_rule(rec, datetime.combine(rec.start_date, time_of_day, tzinfo=zone))
    starts = []
    low = (window_start - duration).astimezone(zone)
    for local in rule.between(low, window_end.astimezone(zone), inc=True):
        start = local.astimezone(timezone.utc)
        if start < window_end and start + duration > window_start:
            starts.append(start)
    return starts


def _expansion_rule(rec: Recurrence, dtstart: datetime) -> rrule.rrule:
    """The RFC rule with Exchange's semantics (see the module docstring)."""
    days = [getattr(rrule, _rrule_day(day)) for day in rec.days_of_week]
    options: dict[str, Any] = {"dtstart": dtstart, "interval": rec.interval}
    if rec.kind == "weekly":
        options.update(byweekday=days, wkst=getattr(rrule, _rrule_day(rec.first_day_of_week)))
    elif rec.index is not None:
        options.update(byweekday=days, bysetpos=_SETPOS[rec.index])
    elif rec.day_of_month is not None and rec.day_of_month > 28:
        options.update(bymonthday=range(28, rec.day_of_month + 1), bysetpos=-1)
    elif rec.day_of_month is not None:
        options["bymonthday"] = rec.day_of_month
    if rec.month is not None:
        options["bymonth"] = rec.month
    if rec.count is not None:
        options["count"] = rec.count
    if rec.end_date is not None:
        options["until"] = datetime.combine(rec.end_date, time.max, tzinfo=dtstart.tzinfo)
    return rrule.rrule(_FREQ[rec.kind], **options)
