"""Series: what a whole series looks like on each side, and how occurrences pair up.

A series is synced at two levels. Its *shape* (the pattern, the first occurrence's start and
the duration) belongs to the series master in Outlook and to ``calendar.recurrence`` in Odoo;
a change of shape on one side rebuilds the occurrences on the other. Everything else (subject,
attendees, an exception's time...) is synced occurrence by occurrence, each Odoo event linked
to the Graph occurrence with the same *original start*.

``SeriesShape`` compares across sides: both are read into the same canonical form (Graph's
``patternedRecurrence`` as ``recurrence.to_graph`` writes it, the start as a UTC instant or a
date). ``pair_occurrences`` matches occurrences with events one to one by that start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from . import mapping
from . import recurrence as rec
from .errors import MalformedEvent
from .timezones import UTC_NAME
from .values import WHEN_FIELDS, EventValues


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SeriesShape:
    """The pattern of a series and the time of its first occurrence.

    ``start`` is ISO text: a UTC instant for a timed series, a date for an all-day one;
    ``duration_minutes`` is the length of one occurrence (whole days for all-day series).
    """

    recurrence: Mapping[str, Any]
    allday: bool
    start: str
    duration_minutes: int

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able copy, for the series link."""
        return {
            "recurrence": dict(self.recurrence),
            "allday": self.allday,
            "start": self.start,
            "duration_minutes": self.duration_minutes,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any] | None) -> SeriesShape | None:
        """The shape ``snapshot`` wrote; ``None`` for a missing or unreadable one (the series
        then counts as changed, which re-pairs it: nothing is lost)."""
        try:
            return cls(
                recurrence=data["recurrence"],
                allday=bool(data["allday"]),
                start=str(data["start"]),
                duration_minutes=int(data["duration_minutes"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def shape_of(values: EventValues, recurrence: rec.Recurrence) -> SeriesShape:
    """The shape of a series whose first occurrence holds ``values``' times."""
    if values.allday:
        assert values.start_date is not None and values.stop_date is not None
        start = values.start_date.isoformat()
        duration = ((values.stop_date - values.start_date).days + 1) * 24 * 60
    else:
        assert values.start is not None and values.stop is not None
        start = values.start.astimezone(timezone.utc).isoformat()
        duration = int((values.stop - values.start).total_seconds() // 60)
    return SeriesShape(
        recurrence=rec.to_graph(recurrence),
        allday=values.allday,
        start=start,
        duration_minutes=duration,
    )


def occurrence_key(when: datetime | date, *, allday: bool, zone: str = UTC_NAME) -> str:
    """What pairs an occurrence with an event: the (original) start, as a UTC instant for a
    timed series, as a date for an all-day one. An all-day occurrence's ``originalStart`` is
    midnight in the series' ``zone`` converted to UTC (microsoft-graph-docs issues #2804,
    #5828), so its date is taken in that zone: east of UTC the UTC date is the day before."""
    if allday:
        if isinstance(when, datetime):
            when = when.astimezone(ZoneInfo(zone)).date()
        return when.isoformat()
    assert isinstance(when, datetime)
    return when.astimezone(timezone.utc).replace(microsecond=0).isoformat()


@dataclasses.dataclass(frozen=True, slots=True)
class Pairing:
    """``pairs``: {occurrence id: event id}; what found no partner on each side."""

    pairs: dict[str, int]
    lone_occurrences: tuple[str, ...]
    lone_events: tuple[int, ...]


def pair_occurrences(occurrences: Mapping[str, str], events: Mapping[int, str]) -> Pairing:
    """Pair Graph occurrences ({id: key}) with Odoo events ({id: key}) having the same key,
    one to one; an ambiguous key (twice on a side) pairs in id order, the rest stay lone."""
    by_key: dict[str, list[int]] = {}
    for event_id in sorted(events):
        by_key.setdefault(events[event_id], []).append(event_id)
    pairs, lone = {}, []
    for graph_id in sorted(occurrences):
        candidates = by_key.get(occurrences[graph_id])
        if candidates:
            pairs[graph_id] = candidates.pop(0)
        else:
            lone.append(graph_id)
    paired = set(pairs.values())
    return Pairing(
        pairs=pairs,
        lone_occurrences=tuple(lone),
        lone_events=tuple(event_id for event_id in sorted(events) if event_id not in paired),
    )


def in_window(key: str, window_start: datetime, window_end: datetime) -> bool:
    """Whether the occurrence starting at ``key`` starts inside the sync window (an all-day
    one: its day is)."""
    if "T" in key:
        when = datetime.fromisoformat(key)
        return window_start <= when < window_end
    day = date.fromisoformat(key)
    return window_start.date() <= day < (window_end + timedelta(days=1)).date()


def pattern_of(
    master: Mapping[str, Any], *, mailbox_zone: Callable[[], str] | None = None
) -> rec.Recurrence:
    """The pattern of a Graph series master, in its zone (``recurrence.series_zone``): part of
    ``read_master``. Raises ``ValueError`` for an unreadable ``recurrence``."""
    return rec.from_graph(
        master.get("recurrence") or {},
        start_zone=master.get("originalStartTimeZone") or UTC_NAME,
        mailbox_zone=mailbox_zone,
        allday=master.get("isAllDay") is True,
    )


def zone_of(master: Mapping[str, Any], *, mailbox_zone: Callable[[], str] | None = None) -> str:
    """The IANA zone a Graph series master recurs in (the zone its all-day occurrences'
    dates are in): part of ``read_master``."""
    return rec.series_zone(
        master.get("recurrence") or {},
        start_zone=master.get("originalStartTimeZone") or UTC_NAME,
        mailbox_zone=mailbox_zone,
        allday=master.get("isAllDay") is True,
    )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SeriesMaster:
    """A Graph series master, read once: everything the sync looks at in one.

    ``event``: the master read as an event (``None`` when it cannot be read); ``pattern`` and
    ``shape``: its recurrence (``None`` when unreadable); ``zone``: the IANA zone it recurs in;
    ``unreadable``: why it cannot be synced (``None`` when it can); ``cancelled``: Outlook
    cancelled the whole series; ``transaction_id``: the ``transactionId`` of the create that
    made it (a create whose answer was lost is found again by it)."""

    graph_id: str
    name: str
    ical_uid: str
    transaction_id: str | None
    cancelled: bool
    event: mapping.GraphEvent | None
    pattern: rec.Recurrence | None
    shape: SeriesShape | None
    zone: str
    unreadable: str | None

    @property
    def change_key(self) -> str:
        return self.event.change_key if self.event else ""


def read_master(
    master: Mapping[str, Any],
    *,
    owner_email: str = "",
    mailbox_zone: Callable[[], str] | None = None,
) -> SeriesMaster:
    """Read a Graph series master (never raises: what cannot be read is ``unreadable``)."""
    event = pattern = shape = None
    unreadable = None
    try:
        zone = zone_of(master, mailbox_zone=mailbox_zone)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        zone, unreadable = UTC_NAME, f"{type(error).__name__}: {error}"
    try:
        event = mapping.read_event(dict(master), owner_email=owner_email, mailbox_zone=mailbox_zone)
        pattern = pattern_of(master, mailbox_zone=mailbox_zone)
        shape = shape_of(event.values, pattern)
    except (MalformedEvent, ValueError) as error:
        unreadable = unreadable or str(error)
    return SeriesMaster(
        graph_id=str(master.get("id") or ""),
        name=str(master.get("subject") or "?"),
        ical_uid=str(master.get("iCalUId") or ""),
        transaction_id=master.get("transactionId") or None,
        cancelled=bool(master.get("isCancelled")),
        event=event,
        pattern=pattern,
        shape=shape,
        zone=zone,
        unreadable=unreadable,
    )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SeriesRead:
    """A series read whole: its master (``None`` when it is gone), its occurrences and
    exceptions in the window read as events (keyed across mailboxes: ``ical_uid`` is the
    series' iCalUId and the original start), the ids of every row Graph gave, and the rows that
    could not be read (with why)."""

    master: SeriesMaster | None
    occurrences: tuple[mapping.GraphEvent, ...]
    instance_ids: frozenset[str]
    malformed: tuple[tuple[Mapping[str, Any], MalformedEvent], ...] = ()


GONE = SeriesRead(master=None, occurrences=(), instance_ids=frozenset())


def read_occurrences(
    rows: Sequence[Mapping[str, Any]],
    *,
    ical_uid: str,
    owner_email: str = "",
    mailbox_zone: Callable[[], str] | None = None,
) -> tuple[list[mapping.GraphEvent], list[tuple[Mapping[str, Any], MalformedEvent]]]:
    """(the occurrences of a series read as events, keyed by the series' ``ical_uid`` and
    their original start; the rows that could not be read, with why)."""
    events, malformed = [], []
    for row in rows:
        try:
            event = mapping.read_event(
                dict(row), owner_email=owner_email, mailbox_zone=mailbox_zone
            )
        except MalformedEvent as error:
            malformed.append((row, error))
            continue
        original = event.original_start or event.values.start
        if original and ical_uid:
            uid = mapping.series_instance_uid(ical_uid, original)
            event = dataclasses.replace(event, ical_uid=uid)
        events.append(event)
    return events, malformed


def read_series(
    master: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    *,
    owner_email: str = "",
    mailbox_zone: Callable[[], str] | None = None,
) -> SeriesRead:
    """A series from Graph's JSON of its master and its rows (``/instances``)."""
    read = read_master(master, owner_email=owner_email, mailbox_zone=mailbox_zone)
    return _whole(read, rows, owner_email=owner_email, mailbox_zone=mailbox_zone)


def _whole(
    read: SeriesMaster,
    rows: Sequence[Mapping[str, Any]],
    *,
    owner_email: str,
    mailbox_zone: Callable[[], str] | None,
) -> SeriesRead:
    events, malformed = read_occurrences(
        rows, ical_uid=read.ical_uid, owner_email=owner_email, mailbox_zone=mailbox_zone
    )
    return SeriesRead(
        master=read,
        occurrences=tuple(events),
        instance_ids=frozenset(str(row.get("id")) for row in rows),
        malformed=tuple(malformed),
    )


def from_delta(
    parts: Sequence[Mapping[str, Any]],
    *,
    owner_email: str = "",
    mailbox_zone: Callable[[], str] | None = None,
) -> SeriesRead | None:
    """A series from its delta entries (``mapping.SeriesPart.item``) when they hold it whole:
    the master, and every exception with its properties (occurrences come as stubs, their
    other properties are the master's: ``mapping.hydrate_occurrence``); ``None`` when Graph
    must be asked (one request more). Raises ``MalformedEvent`` for stubs that cannot be
    read."""
    master = next((part for part in parts if part.get("type") == "seriesMaster"), None)
    exceptions = [part for part in parts if part.get("type") == "exception"]
    if not master or not all("subject" in part for part in exceptions):
        return None
    read = read_master(master, owner_email=owner_email, mailbox_zone=mailbox_zone)
    try:
        rows = [
            mapping.hydrate_occurrence(dict(master), dict(stub), series_zone=read.zone)
            for stub in parts
            if stub.get("type") == "occurrence"
        ]
    except (KeyError, TypeError, AttributeError) as error:
        raise MalformedEvent(master.get("id"), repr(error)) from error
    return _whole(read, rows + exceptions, owner_email=owner_email, mailbox_zone=mailbox_zone)


def master_payload(
    values: EventValues, recurrence: rec.Recurrence, *, ref: str, transaction: str
) -> dict[str, Any]:
    """The create body of a series master: the first occurrence's values, written in the
    series' zone (so Outlook shows the local time), and the pattern."""
    local = dataclasses.replace(values, timezone=recurrence.time_zone)
    body = mapping.create_payload(local, ref=ref, transaction=transaction)
    body["recurrence"] = rec.to_graph(recurrence)
    return body


def shape_patch(values: EventValues, recurrence: rec.Recurrence) -> dict[str, Any]:
    """The PATCH body that gives a series master a new shape (Outlook rebuilds its
    occurrences, as Odoo did)."""
    local = dataclasses.replace(values, timezone=recurrence.time_zone)
    body = mapping.to_graph(local, WHEN_FIELDS)
    body["recurrence"] = rec.to_graph(recurrence)
    return body
