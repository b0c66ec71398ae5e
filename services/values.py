"""Plain values of a synced event, and their stored form (the *base* snapshot).

``EventValues`` holds exactly the fields the sync compares and writes, in a neutral form that
both sides map to: Odoo's ``calendar.event`` (in ``models/``) and Graph's event JSON (in
``mapping``). Everything is immutable and normalised on construction (UTC datetimes, attendees
sorted by lower-cased email) so that two values describing the same event compare equal.

The base of the three-way merge is a ``SyncBase``: the values each side held after the last
sync. Each side is compared with *its own* last-seen values, never Odoo's HTML with Graph's
HTML, so a side that normalises what we write (Odoo sanitising a body, Graph wrapping it in
``<html>``) never looks like an edit and never echoes back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Literal, get_args

from .errors import SnapshotError

UTC = timezone.utc

Response = Literal["needsAction", "tentative", "declined", "accepted"]
"""An attendee's answer, in Odoo's ``calendar.attendee.state`` vocabulary."""

ShowAs = Literal["free", "tentative", "busy", "oof", "workingElsewhere", "unknown"]
"""Graph's ``freeBusyStatus``; Odoo holds ``free`` and ``busy`` (``services.details``)."""
Privacy = Literal["public", "personal", "private", "confidential"]
"""Odoo's privacy plus Graph's ``personal``, which Odoo holds as ``private``."""
Importance = Literal["low", "normal", "high"]
"""Graph's importance; Odoo has no such field."""
AttendeeKind = Literal["required", "optional", "resource"]
"""Graph's ``attendeeType``; Odoo has no such field: its attendees are ``required``."""

RESPONSES: frozenset[str] = frozenset(get_args(Response))
SHOW_AS: frozenset[str] = frozenset(get_args(ShowAs))
PRIVACIES: frozenset[str] = frozenset(get_args(Privacy))
IMPORTANCES: frozenset[str] = frozenset(get_args(Importance))
ATTENDEE_KINDS: frozenset[str] = frozenset(get_args(AttendeeKind))

SNAPSHOT_VERSION = 1

WHEN_FIELDS: tuple[str, ...] = ("allday", "start", "stop", "start_date", "stop_date", "timezone")
"""Fields that only make sense together: merged as one unit, never field by field."""

PULL_ONLY_FIELDS: frozenset[str] = frozenset({"videocall_url", "organizer_email", "is_cancelled"})
"""Read-only in Graph (``onlineMeeting``, ``organizer`` after create, ``isCancelled``): a local
change of these is kept in Odoo and never pushed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Attendee:
    """One attendee: ``email`` is the identity (stripped, lower-cased); ``name`` is display only;
    ``kind`` is Graph's attendee type (an optional attendee, a room), kept as Outlook has it."""

    email: str
    name: str = ""
    response: Response = "needsAction"
    kind: AttendeeKind = "required"

    def __post_init__(self) -> None:
        email = self.email.strip().lower()
        if not email:
            raise ValueError("an attendee needs an email")
        if self.response not in RESPONSES:
            raise ValueError(f"unknown attendee response {self.response!r}")
        if self.kind not in ATTENDEE_KINDS:
            raise ValueError(f"unknown attendee kind {self.kind!r}")
        object.__setattr__(self, "email", email)


@dataclass(frozen=True, slots=True, kw_only=True)
class EventValues:
    """The synced fields of one event.

    Timed events carry ``start``/``stop`` (aware, converted to UTC) and no dates; all-day events
    carry ``start_date``/``stop_date`` (inclusive, as in Odoo) and no datetimes. Datetimes are
    truncated to whole seconds. ``timezone`` is
    the canonical IANA zone the event was planned in. ``privacy`` is the effective value (the
    Odoo shell resolves ``False`` through the organizer's default). ``reminder_minutes`` is
    ``None`` when no reminder is set. ``attendees`` never holds two entries for one email.
    Construction raises ``ValueError`` on inconsistent values.
    """

    name: str = ""
    description_html: str = ""
    allday: bool = False
    start: datetime | None = None
    stop: datetime | None = None
    start_date: date | None = None
    stop_date: date | None = None
    timezone: str = "UTC"
    location: str = ""
    videocall_url: str = ""
    show_as: ShowAs = "busy"
    privacy: Privacy = "public"
    reminder_minutes: int | None = None
    attendees: tuple[Attendee, ...] = ()
    organizer_email: str = ""
    is_cancelled: bool = False
    importance: Importance = "normal"
    categories: tuple[str, ...] = ()
    online_meeting: bool = False

    def __post_init__(self) -> None:
        if self.allday:
            self._check_dates()
        else:
            self._check_datetimes()
        if self.show_as not in SHOW_AS:
            raise ValueError(f"unknown show_as {self.show_as!r}")
        if self.privacy not in PRIVACIES:
            raise ValueError(f"unknown privacy {self.privacy!r}")
        if self.importance not in IMPORTANCES:
            raise ValueError(f"unknown importance {self.importance!r}")
        categories = {name.strip().casefold(): name.strip() for name in self.categories}
        categories.pop("", None)
        object.__setattr__(self, "categories", tuple(sorted(categories.values(), key=str.casefold)))
        if self.reminder_minutes is not None and self.reminder_minutes < 0:
            raise ValueError("reminder_minutes must not be negative")
        attendees = tuple(sorted(self.attendees, key=lambda attendee: attendee.email))
        emails = [attendee.email for attendee in attendees]
        if len(set(emails)) != len(emails):
            raise ValueError("two attendees share one email")
        object.__setattr__(self, "attendees", attendees)
        object.__setattr__(self, "organizer_email", self.organizer_email.strip().lower())

    def _check_dates(self) -> None:
        if self.start_date is None or self.stop_date is None:
            raise ValueError("an all-day event needs start_date and stop_date")
        if isinstance(self.start_date, datetime) or isinstance(self.stop_date, datetime):
            raise ValueError("all-day dates must be dates, not datetimes")
        if self.start is not None or self.stop is not None:
            raise ValueError("an all-day event carries dates, not datetimes")
        if self.stop_date < self.start_date:
            raise ValueError("stop_date is before start_date")

    def _check_datetimes(self) -> None:
        if self.start is None or self.stop is None:
            raise ValueError("a timed event needs start and stop")
        if self.start_date is not None or self.stop_date is not None:
            raise ValueError("a timed event carries datetimes, not dates")
        if self.start.tzinfo is None or self.stop.tzinfo is None:
            raise ValueError("start and stop must be timezone-aware")
        object.__setattr__(self, "start", _utc_seconds(self.start))
        object.__setattr__(self, "stop", _utc_seconds(self.stop))
        if self.stop < self.start:
            raise ValueError("stop is before start")

    def replace(self, **changes: Any) -> EventValues:
        """Return a copy with ``changes`` applied (validated like a new value)."""
        return dataclasses.replace(self, **changes)

    def snapshot(self) -> dict[str, Any]:
        """The JSON-able form stored as a base; stable: equal values give equal dicts."""
        return {
            "v": SNAPSHOT_VERSION,
            "name": self.name,
            "description_html": self.description_html,
            "allday": self.allday,
            "start": _datetime_out(self.start),
            "stop": _datetime_out(self.stop),
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "stop_date": self.stop_date.isoformat() if self.stop_date else None,
            "timezone": self.timezone,
            "location": self.location,
            "videocall_url": self.videocall_url,
            "show_as": self.show_as,
            "privacy": self.privacy,
            "reminder_minutes": self.reminder_minutes,
            "attendees": [
                {"email": a.email, "name": a.name, "response": a.response, "kind": a.kind}
                for a in self.attendees
            ],
            "organizer_email": self.organizer_email,
            "is_cancelled": self.is_cancelled,
            "importance": self.importance,
            "categories": list(self.categories),
            "online_meeting": self.online_meeting,
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any], current: EventValues | None = None) -> EventValues:
        """Read back what ``snapshot()`` wrote; raises ``SnapshotError`` on anything else.

        A field added after the snapshot was stored (``LATER_FIELDS``) takes its value from
        ``current`` (the side's values now), so it reads as unchanged: a link stored by an
        older version neither pushes nor pulls a field it never synced.
        """
        if data.get("v") != SNAPSHOT_VERSION:
            raise SnapshotError(f"unknown snapshot version {data.get('v')!r}")
        later = {
            name: getattr(current, name) if current else _DEFAULTS[name]
            for name in LATER_FIELDS
            if name not in data
        }
        try:
            return cls(
                name=data["name"],
                description_html=data["description_html"],
                allday=data["allday"],
                start=_datetime_in(data["start"]),
                stop=_datetime_in(data["stop"]),
                start_date=date.fromisoformat(data["start_date"]) if data["start_date"] else None,
                stop_date=date.fromisoformat(data["stop_date"]) if data["stop_date"] else None,
                timezone=data["timezone"],
                location=data["location"],
                videocall_url=data["videocall_url"],
                show_as=data["show_as"],
                privacy=data["privacy"],
                reminder_minutes=data["reminder_minutes"],
                attendees=_attendees_in(data["attendees"], current),
                organizer_email=data["organizer_email"],
                is_cancelled=data["is_cancelled"],
                **{name: data[name] for name in LATER_FIELDS if name in data},
                **later,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise SnapshotError(f"unreadable snapshot: {error}") from error


SYNCED_FIELDS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(EventValues))

LATER_FIELDS: tuple[str, ...] = ("importance", "categories", "online_meeting")
"""Fields added after snapshots were first stored: an old snapshot lacks them."""

_DEFAULTS: dict[str, Any] = {field.name: field.default for field in dataclasses.fields(EventValues)}


def changed_fields(old: EventValues, new: EventValues) -> frozenset[str]:
    """Names of the fields whose value differs between ``old`` and ``new``."""
    return frozenset(name for name in SYNCED_FIELDS if getattr(old, name) != getattr(new, name))


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncBase:
    """What each side held right after the last sync of one binding.

    ``local`` is read back from Odoo after the sync's own writes; ``remote`` is what Graph
    returned (write response or GET). Stored in the event link as ``snapshot()``.
    """

    local: EventValues
    remote: EventValues

    def snapshot(self) -> dict[str, Any]:
        """JSON-able; the remote side is omitted when equal to the local one (the usual case)."""
        data: dict[str, Any] = {"v": SNAPSHOT_VERSION, "local": self.local.snapshot()}
        if self.remote != self.local:
            data["remote"] = self.remote.snapshot()
        return data

    @classmethod
    def from_snapshot(
        cls,
        data: dict[str, Any],
        *,
        local: EventValues | None = None,
        remote: EventValues | None = None,
    ) -> SyncBase:
        """Read back what ``snapshot()`` wrote; raises ``SnapshotError`` on anything else.
        ``local``/``remote``: each side's values now, for fields an old snapshot lacks."""
        if data.get("v") != SNAPSHOT_VERSION or "local" not in data:
            raise SnapshotError("not a sync base snapshot")
        base_local = EventValues.from_snapshot(data["local"], local)
        if "remote" in data:
            base_remote = EventValues.from_snapshot(data["remote"], remote)
        else:
            base_remote = EventValues.from_snapshot(data["local"], remote)
        return cls(local=base_local, remote=base_remote)


def _attendees_in(data: list[dict[str, Any]], current: EventValues | None) -> tuple[Attendee, ...]:
    """Stored attendees; one stored before attendee kinds were kept takes its kind from
    ``current`` (the side's values now), so the kind alone never reads as a change."""
    kinds = {attendee.email: attendee.kind for attendee in current.attendees} if current else {}
    return tuple(
        Attendee(**{"kind": kinds.get(attendee.get("email", ""), "required"), **attendee})
        for attendee in data
    )


def _utc_seconds(value: datetime) -> datetime:
    """UTC, whole seconds: Odoo stores seconds, Graph sends 7 fractional digits of zeros."""
    return value.astimezone(UTC).replace(microsecond=0)


def _datetime_out(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _datetime_in(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
