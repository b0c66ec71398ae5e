"""Graph ``patternedRecurrence`` -> occurrence start times, through ``dateutil.rrule``.

Rules follow docs-contrib ``concepts/outlook-schedule-recurring-events.md``: every pattern type
(daily, weekly, absoluteMonthly, relativeMonthly, absoluteYearly, relativeYearly) and range type
(endDate, noEnd, numbered). Expansion runs in the recurrence time zone with an aware ``dtstart``,
so wall-clock times survive DST changes. Exchange's ``dayOfMonth`` 29-31 falls back to the last
day of shorter months, which RFC 5545 would skip: ``BYMONTHDAY=28..n;BYSETPOS=-1`` models it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from dateutil import rrule

from . import timezones

PATTERN_TYPES = (
    "daily",
    "weekly",
    "absoluteMonthly",
    "relativeMonthly",
    "absoluteYearly",
    "relativeYearly",
)
RANGE_TYPES = ("endDate", "noEnd", "numbered")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INDEXES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
_REQUIRED = {
    "daily": ("interval",),
    "weekly": ("interval", "daysOfWeek"),
    "absoluteMonthly": ("interval", "dayOfMonth"),
    "relativeMonthly": ("interval", "daysOfWeek"),
    "absoluteYearly": ("interval", "dayOfMonth", "month"),
    "relativeYearly": ("interval", "daysOfWeek", "month"),
}


class InvalidRecurrence(ValueError):
    """The recurrence would be rejected by Graph (400 ErrorInvalidRequest / property validation)."""


def normalize(recurrence: dict[str, Any], start_zone: str = "") -> dict[str, Any]:
    """Validate a patternedRecurrence and return it with Graph's defaults filled in; an empty
    ``recurrenceTimeZone`` becomes ``start_zone`` (the Windows name of the event's start zone):
    the docs' "Create event" Response 3 answers a request without one with the start's zone."""
    pattern = dict(recurrence.get("pattern") or {})
    rng = dict(recurrence.get("range") or {})
    ptype = pattern.get("type")
    if ptype not in PATTERN_TYPES:
        raise InvalidRecurrence(f"Invalid recurrence pattern type '{ptype}'.")
    for field in _REQUIRED[ptype]:
        if pattern.get(field) in (None, [], 0) and field != "interval":
            raise InvalidRecurrence(f"Recurrence pattern '{ptype}' requires '{field}'.")
    interval = pattern.get("interval", 1)
    if not isinstance(interval, int) or interval < 1:
        raise InvalidRecurrence("Recurrence pattern interval must be a positive integer.")
    # Graph reads day names in any case and answers them in lower case: the docs' "Create
    # event" request sends "Monday", its recorded answer has "monday".
    days = [day.lower() if isinstance(day, str) else day for day in pattern.get("daysOfWeek") or []]
    if any(day not in WEEKDAYS for day in days):
        raise InvalidRecurrence(f"Invalid daysOfWeek {days}.")
    index = pattern.get("index") or "first"
    if index not in INDEXES:
        raise InvalidRecurrence(f"Invalid recurrence index '{index}'.")
    day_of_month = pattern.get("dayOfMonth") or 0
    if ptype in ("absoluteMonthly", "absoluteYearly") and not 1 <= day_of_month <= 31:
        raise InvalidRecurrence("dayOfMonth must be between 1 and 31.")
    month = pattern.get("month") or 0
    if ptype in ("absoluteYearly", "relativeYearly") and not 1 <= month <= 12:
        raise InvalidRecurrence("month must be between 1 and 12.")
    first_day = pattern.get("firstDayOfWeek") or "sunday"
    first_day = first_day.lower() if isinstance(first_day, str) else first_day
    if first_day not in WEEKDAYS:
        raise InvalidRecurrence(f"Invalid firstDayOfWeek '{first_day}'.")
    rtype = rng.get("type")
    if rtype not in RANGE_TYPES:
        raise InvalidRecurrence(f"Invalid recurrence range type '{rtype}'.")
    try:
        start_date = date.fromisoformat(rng.get("startDate") or "")
        end_date = date.fromisoformat(rng["endDate"]) if rtype == "endDate" else None
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidRecurrence(
            "Recurrence range needs a valid startDate (and endDate for type endDate)."
        ) from exc
    if end_date and end_date < start_date:
        raise InvalidRecurrence("Recurrence range endDate is before startDate.")
    count = rng.get("numberOfOccurrences") or 0
    if rtype == "numbered" and (not isinstance(count, int) or count < 1):
        raise InvalidRecurrence(
            "numberOfOccurrences must be a positive integer for a numbered range."
        )
    tz_name = rng.get("recurrenceTimeZone") or ""
    if tz_name:
        try:
            timezones.zone(tz_name)
        except timezones.UnknownTimeZone as exc:
            raise InvalidRecurrence(f"Unknown recurrenceTimeZone '{tz_name}'.") from exc
    return {
        "pattern": {
            "type": ptype,
            "interval": interval,
            "month": month,
            "dayOfMonth": day_of_month,
            "daysOfWeek": list(days),
            "firstDayOfWeek": first_day,
            "index": index,
        },
        "range": {
            "type": rtype,
            "startDate": start_date.isoformat(),
            "endDate": end_date.isoformat() if end_date else "0001-01-01",
            "recurrenceTimeZone": tz_name or start_zone,
            "numberOfOccurrences": count if rtype == "numbered" else 0,
        },
    }


def _month_day(day_of_month: int) -> dict[str, Any]:
    if day_of_month <= 28:
        return {"bymonthday": day_of_month}
    return {"bymonthday": list(range(28, day_of_month + 1)), "bysetpos": -1}


def build_rule(recurrence: dict[str, Any], first_start: datetime) -> rrule.rrule:
    """The rrule of a normalized recurrence; ``first_start`` is the master's start, aware, local."""
    pattern, rng = recurrence["pattern"], recurrence["range"]
    dtstart = datetime.combine(date.fromisoformat(rng["startDate"]), first_start.timetz())
    ptype = pattern["type"]
    days = [_RRULE_DAYS[WEEKDAYS.index(day)] for day in pattern["daysOfWeek"]]
    kwargs: dict[str, Any] = {
        "dtstart": dtstart,
        "interval": pattern["interval"],
        "wkst": _RRULE_DAYS[WEEKDAYS.index(pattern["firstDayOfWeek"])],
    }
    if ptype == "daily":
        freq = rrule.DAILY
    elif ptype == "weekly":
        freq, kwargs["byweekday"] = rrule.WEEKLY, days
    elif ptype == "absoluteMonthly":
        freq = rrule.MONTHLY
        kwargs.update(_month_day(pattern["dayOfMonth"]))
    elif ptype == "relativeMonthly":
        freq, kwargs["byweekday"], kwargs["bysetpos"] = (
            rrule.MONTHLY,
            days,
            INDEXES[pattern["index"]],
        )
    elif ptype == "absoluteYearly":
        freq, kwargs["bymonth"] = rrule.YEARLY, pattern["month"]
        kwargs.update(_month_day(pattern["dayOfMonth"]))
    else:
        freq, kwargs["bymonth"] = rrule.YEARLY, pattern["month"]
        kwargs["byweekday"], kwargs["bysetpos"] = days, INDEXES[pattern["index"]]
    if rng["type"] == "numbered":
        kwargs["count"] = rng["numberOfOccurrences"]
    elif rng["type"] == "endDate":
        kwargs["until"] = datetime.combine(
            date.fromisoformat(rng["endDate"]), time.max, dtstart.tzinfo
        )
    return rrule.rrule(freq, **kwargs)


def occurrence_starts(
    recurrence: dict[str, Any],
    first_start_local: datetime,
    window_start: datetime,
    window_end: datetime,
    duration: timedelta,
) -> list[datetime]:
    """UTC starts of the occurrences overlapping [window_start, window_end), in order."""
    rule = build_rule(recurrence, first_start_local)
    tz = first_start_local.tzinfo
    lo = (window_start - duration).astimezone(tz)
    hi = window_end.astimezone(tz)
    starts = []
    for local in rule.between(lo, hi, inc=True):
        start = local.astimezone(timezone.utc)
        if start < window_end and start + duration > window_start:
            starts.append(start)
    return starts


def first_occurrence(recurrence: dict[str, Any], first_start_local: datetime) -> datetime | None:
    """UTC start of the series' first occurrence (None for a series with none)."""
    first = next(iter(build_rule(recurrence, first_start_local)), None)
    return first.astimezone(timezone.utc) if first else None


def has_occurrence_at(
    recurrence: dict[str, Any], first_start_local: datetime, start_utc: datetime
) -> bool:
    """Whether the series has an occurrence starting exactly at ``start_utc``."""
    local = start_utc.astimezone(first_start_local.tzinfo)
    rule = build_rule(recurrence, first_start_local)
    return rule.after(local - timedelta(seconds=1)) == local
