"""Graph event JSON <-> ``EventValues``: the only place that knows Graph's event shape.

Reading (``from_graph``/``read_event``) assumes the client sent ``Prefer: outlook.timezone="UTC"``
but copes with any zone Graph names. Writing (``to_graph``) sends local wall time in the event's
own zone (as a Windows name), so Outlook shows and recurs the event in the zone it was planned in.

Decisions (both ways):

- All-day: Graph is midnight to midnight with an *exclusive* end; Odoo dates are *inclusive*.
- ``showAs``, ``sensitivity``, ``importance``: Graph's values are kept exactly
  (``EventValues`` speaks Graph's ``showAs``, Odoo's privacy plus ``personal``); what Odoo
  cannot hold is decided in ``services.details``. An unknown ``showAs`` reads as ``busy``.
- ``categories`` <-> ``categories`` (names; colours live in the mailbox's master list).
- Reminder: ``isReminderOn`` false <-> ``reminder_minutes=None``.
- Online meeting: ``onlineMeeting.joinUrl``, else ``onlineMeetingUrl`` -> ``videocall_url``
  (read-only in Graph: never written). ``isOnlineMeeting`` <-> ``online_meeting``: only
  ``True`` is written, with ``onlineMeetingProvider`` ``teamsForBusiness``, and only when the
  values ask for it; Graph cannot turn an online meeting back into a plain one, so ``False``
  is never sent.
- Attendees: response ``none``/``notResponded`` -> ``needsAction``, ``tentativelyAccepted`` ->
  ``tentative``, ``organizer`` -> ``accepted``. Attendees without an address are skipped (they
  never block a sync). In an attendee's copy the owner's own answer is the event-level
  ``responseStatus``, which wins over the attendee list. The organizer is never sent as an
  attendee. Addresses, names and Graph's attendee ``type`` are written (an optional attendee or
  a room stays one; Odoo's additions are ``required``): responses change through accept/decline.
  An unknown ``type`` reads as ``required``.
- Body: ``html`` is kept as is (the Odoo shell sanitises it); ``text`` becomes escaped HTML.
- Types are checked, not coerced: a property Graph documents as a string or a boolean that
  arrives as anything else (or ``null`` where Graph never sends it), a reminder beyond
  ``MAX_REMINDER_MINUTES``: the event is ``MalformedEvent``, logged and skipped, never
  half-read (``bool("no")`` would cancel a meeting).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .errors import MalformedEvent
from .timezones import UTC_NAME, graph_zone, iana_to_windows, windows_to_iana
from .values import (
    ATTENDEE_KINDS,
    IMPORTANCES,
    PULL_ONLY_FIELDS,
    SHOW_AS,
    SYNCED_FIELDS,
    UTC,
    WHEN_FIELDS,
    Attendee,
    EventValues,
    Response,
)

ODOO_REF_PROPERTY_ID = "String {8f3e2b1c-5d4a-4e6b-9c7d-2a1b0e9f8d7c} Name odoo_event_id"
"""Our single-value extended property: one fixed GUID and name for every event (named MAPI
properties are a finite per-mailbox quota; the per-event value goes in ``value``)."""

EXPAND_ODOO_REF = f"singleValueExtendedProperties($filter=id eq '{ODOO_REF_PROPERTY_ID}')"
"""``$expand`` value that returns our property with an event."""

MAX_REMINDER_MINUTES = 4 * 7 * 24 * 60
"""The longest reminder Outlook offers (four weeks); more is corrupt data."""

MailboxZone = Callable[[], str]
"""Gives the mailbox's own zone (IANA), asked only for an event whose zone Graph cannot name."""

_TRANSACTION_NAMESPACE = uuid.UUID("0b6c9a52-3f1e-4d8a-a7c4-5e2f9d1b6a30")

_SENSITIVITY_OUT = {
    "public": "normal",
    "personal": "personal",
    "private": "private",
    "confidential": "confidential",
}
_SENSITIVITY_IN = {graph: ours for ours, graph in _SENSITIVITY_OUT.items()}
_RESPONSE_IN: dict[str, Response] = {
    "none": "needsAction",
    "notResponded": "needsAction",
    "tentativelyAccepted": "tentative",
    "accepted": "accepted",
    "declined": "declined",
    "organizer": "accepted",
}
_WIRE_FORMAT = "%Y-%m-%dT%H:%M:%S"
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?")


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphEvent:
    """An event read from Graph: its identities and version, and its synced values."""

    graph_id: str
    ical_uid: str
    change_key: str
    last_modified: datetime | None
    event_type: str
    series_master_id: str | None
    original_start: datetime | None
    is_organizer: bool
    odoo_ref: str | None
    values: EventValues
    transaction_id: str | None = None
    """The ``transactionId`` the event was created with (ours is ``transaction_id(...)``)."""
    unmodified_since_created: bool = False
    """Not modified after its creation (same second, give or take the moment Exchange takes
    to store it): it still holds what its creator sent."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RemovedEvent:
    """A delta ``@removed`` entry: deleted, or only gone from the window (confirm with a GET)."""

    graph_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesPart:
    """A delta entry of a series: its master, an occurrence stub or an exception
    (``kind``: Graph's event type). A series is read whole, from its parts or from Graph
    (``services.series``), never one entry at a time; ``item`` is the raw entry for that."""

    kind: str
    master_id: str
    item: dict[str, Any]


SERIES_TYPES = frozenset({"seriesMaster", "occurrence", "exception"})
"""Graph's event types of a series' master and its occurrences."""

UNMODIFIED_WITHIN = timedelta(seconds=2)
"""How far an event's last modification may follow its creation for it to count as unmodified."""


def transaction_id(database_uuid: str, event_id: int, generation: int = 0) -> str:
    """Deterministic ``transactionId`` for creating Odoo event ``event_id`` in Outlook.

    The same create retried after a timeout carries the same id, so Graph de-duplicates it.
    ``generation`` is bumped when an event is deliberately created again (its Outlook copy was
    deleted but the Odoo edit won), which must not be mistaken for the old create.
    """
    return str(uuid.uuid5(_TRANSACTION_NAMESPACE, f"{database_uuid}/{event_id}/{generation}"))


def odoo_ref(database_uuid: str, event_id: int) -> str:
    """Value of our extended property: which database and event an Outlook event comes from."""
    return f"{database_uuid}:{event_id}"


def own_event_id(ref: str | None, database_uuid: str) -> int | None:
    """The Odoo event id our extended property ``ref`` (``odoo_ref``) names when this database
    wrote it; ``None`` for another database's, a missing or an unreadable property."""
    prefix = f"{database_uuid}:"
    if ref and ref.startswith(prefix) and re.fullmatch(r"[0-9]{1,18}", ref[len(prefix) :]):
        return int(ref[len(prefix) :])
    return None


def from_graph(
    event: dict[str, Any], *, owner_email: str = "", mailbox_zone: MailboxZone | None = None
) -> EventValues:
    """The synced values of a Graph event; raises ``MalformedEvent`` when it cannot be read."""
    return read_event(event, owner_email=owner_email, mailbox_zone=mailbox_zone).values


def read_event(
    event: dict[str, Any], *, owner_email: str = "", mailbox_zone: MailboxZone | None = None
) -> GraphEvent:
    """Identities, version and values of a Graph event (``owner_email``: the mailbox owner;
    ``mailbox_zone``: asked for the mailbox's own zone when the event's has no name Graph
    could give, see ``timezones.graph_zone``)."""
    graph_id = event.get("id") if isinstance(event, dict) else None
    if not isinstance(graph_id, str) or not graph_id:
        raise MalformedEvent(None, "no id")
    try:
        return GraphEvent(
            graph_id=graph_id,
            ical_uid=_text(event, "iCalUId"),
            change_key=_text(event, "changeKey") or _etag_key(_text(event, "@odata.etag")),
            last_modified=timestamp(_text(event, "lastModifiedDateTime")),
            event_type=_text(event, "type") or "singleInstance",
            series_master_id=_text(event, "seriesMasterId") or None,
            original_start=timestamp(_text(event, "originalStart")),
            is_organizer=_is_organizer(event, owner_email.strip().lower()),
            odoo_ref=_read_odoo_ref(event.get("singleValueExtendedProperties") or ()),
            values=_values(event, owner_email.strip().lower(), mailbox_zone),
            transaction_id=_transaction_id(event),
            unmodified_since_created=_unmodified_since_created(event),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise MalformedEvent(graph_id, f"{type(error).__name__}: {error}") from error


def hydrate_occurrence(
    master: dict[str, Any], stub: dict[str, Any], *, series_zone: str = UTC_NAME
) -> dict[str, Any]:
    """An occurrence with every property, from its series master and the stub delta sends.

    calendarView/delta gives occurrences as stubs (id, type, seriesMasterId, start, end,
    etag); their other properties are the master's. Reading them from the master costs no
    request, where ``/instances`` costs one per series. An occurrence starts at its original
    start; for an all-day one that is what ``/instances`` sends as ``originalStart``: midnight
    of its date in the series' zone (``series_zone``, IANA), in UTC (microsoft-graph-docs
    issue #2804: ``2018-06-05T07:00:00Z`` for a Pacific series' occurrence of June 5).
    """
    original = stub["start"]["dateTime"]
    if master.get("isAllDay"):
        day = _date(stub["start"])
        midnight = datetime.combine(day, datetime.min.time(), ZoneInfo(series_zone))
        original = midnight.astimezone(UTC).strftime(_WIRE_FORMAT) + "Z"
    occurrence = {
        key: value
        for key, value in master.items()
        if key not in ("recurrence", "changeKey", "iCalUId", "@odata.etag")
    }
    occurrence.update(
        id=stub["id"],
        type="occurrence",
        seriesMasterId=master["id"],
        start=stub["start"],
        end=stub["end"],
        originalStart=original,
    )
    occurrence["@odata.etag"] = stub.get("@odata.etag")
    return occurrence


def series_instance_uid(master_ical_uid: str, original_start: datetime) -> str:
    """One identity for an occurrence in every mailbox: the series' iCalUId and the original
    start (delta's stubs carry no iCalUId of their own)."""
    return f"{master_ical_uid}@{original_start.astimezone(timezone.utc).isoformat()}"


def read_delta_item(
    item: dict[str, Any], *, owner_email: str = "", mailbox_zone: MailboxZone | None = None
) -> GraphEvent | RemovedEvent | SeriesPart | None:
    """One entry of a delta page: a ``RemovedEvent`` for ``@removed``, a ``SeriesPart`` for an
    entry of a series (``None`` when it does not name its series), else a ``GraphEvent``.
    ``MalformedEvent`` when it is no event at all, or one that cannot be read."""
    if not isinstance(item, dict):
        raise MalformedEvent(None, f"not an event: {item!r:.80}")
    removed = item.get("@removed")
    kind = item.get("type")
    if removed is None and kind in SERIES_TYPES:
        master_id = item.get("id") if kind == "seriesMaster" else item.get("seriesMasterId")
        if not isinstance(master_id, str) or not master_id:
            return None
        return SeriesPart(kind=kind, master_id=master_id, item=item)
    if removed is not None:
        graph_id = item.get("id")
        if not isinstance(graph_id, str) or not graph_id:
            raise MalformedEvent(None, "@removed without id")
        reason = removed.get("reason", "deleted") if isinstance(removed, dict) else "deleted"
        return RemovedEvent(graph_id=graph_id, reason=reason)
    return read_event(item, owner_email=owner_email, mailbox_zone=mailbox_zone)


def to_graph(values: EventValues, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Graph JSON for ``values``; with ``fields``, only those (a PATCH body).

    Any field of ``WHEN_FIELDS`` sends start, end and ``isAllDay`` together. Pull-only fields
    (``PULL_ONLY_FIELDS``) are never written; an unknown field name raises ``ValueError``.
    """
    wanted = set(SYNCED_FIELDS if fields is None else fields)
    unknown = wanted - set(SYNCED_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    wanted -= PULL_ONLY_FIELDS
    body: dict[str, Any] = {}
    if "name" in wanted:
        body["subject"] = values.name
    if "description_html" in wanted:
        body["body"] = {"contentType": "html", "content": values.description_html}
    if wanted & set(WHEN_FIELDS):
        body.update(_when_out(values))
    if "location" in wanted:
        body["location"] = {"displayName": values.location}
    body.update(_details_out(values, wanted))
    if "reminder_minutes" in wanted:
        body["isReminderOn"] = values.reminder_minutes is not None
        if values.reminder_minutes is not None:
            body["reminderMinutesBeforeStart"] = values.reminder_minutes
    if "attendees" in wanted:
        body["attendees"] = [
            {"emailAddress": {"address": a.email, "name": a.name}, "type": a.kind}
            for a in values.attendees
            if a.email != values.organizer_email
        ]
    return body


def _details_out(values: EventValues, wanted: set[str]) -> dict[str, Any]:
    """Show as, sensitivity, importance, categories and the online meeting ask of ``wanted``."""
    body: dict[str, Any] = {}
    if "show_as" in wanted:
        body["showAs"] = values.show_as
    if "privacy" in wanted:
        body["sensitivity"] = _SENSITIVITY_OUT[values.privacy]
    if "importance" in wanted:
        body["importance"] = values.importance
    if "categories" in wanted:
        body["categories"] = list(values.categories)
    if "online_meeting" in wanted and values.online_meeting:
        body["isOnlineMeeting"] = True
        body["onlineMeetingProvider"] = "teamsForBusiness"
    return body


def create_payload(values: EventValues, *, ref: str, transaction: str) -> dict[str, Any]:
    """A complete create body: every writable field, ``transactionId`` and our extended
    property (``ref`` from ``odoo_ref``, ``transaction`` from ``transaction_id``)."""
    body = to_graph(values)
    body["transactionId"] = transaction
    body["singleValueExtendedProperties"] = [{"id": ODOO_REF_PROPERTY_ID, "value": ref}]
    return body


def _values(
    event: dict[str, Any], owner_email: str, mailbox_zone: MailboxZone | None
) -> EventValues:
    allday = _flag(event, "isAllDay")
    timezone = graph_zone(_text(event, "originalStartTimeZone"), mailbox_zone)
    when: dict[str, Any]
    if allday:
        start_date = _date(event["start"])
        end_date = _date(event["end"])
        when = {
            "start_date": start_date,
            "stop_date": max(start_date, end_date - timedelta(days=1)),
        }
    else:
        when = {"start": _instant(event["start"]), "stop": _instant(event["end"])}
    reminder = None
    if _flag(event, "isReminderOn"):
        reminder = event.get("reminderMinutesBeforeStart") or 0
        if not isinstance(reminder, int) or not 0 <= reminder <= MAX_REMINDER_MINUTES:
            raise ValueError(f"reminderMinutesBeforeStart {reminder!r} is out of range")
    organizer = ((event.get("organizer") or {}).get("emailAddress") or {}).get("address") or ""
    show_as, importance = _text(event, "showAs"), _text(event, "importance")
    return EventValues(
        name=_text(event, "subject"),
        description_html=_body_html(event.get("body")),
        allday=allday,
        timezone=timezone,
        location=_text(event.get("location") or {}, "displayName"),
        videocall_url=(event.get("onlineMeeting") or {}).get("joinUrl")
        or event.get("onlineMeetingUrl")
        or "",
        show_as=show_as if show_as in SHOW_AS else "busy",
        privacy=_SENSITIVITY_IN.get(_text(event, "sensitivity") or "normal", "public"),
        importance=importance if importance in IMPORTANCES else "normal",
        categories=tuple(name for name in event.get("categories") or () if isinstance(name, str)),
        online_meeting=_flag(event, "isOnlineMeeting"),
        reminder_minutes=reminder,
        attendees=_attendees(event, owner_email),
        organizer_email=organizer,
        is_cancelled=_flag(event, "isCancelled"),
        **when,
    )


def _attendees(event: dict[str, Any], owner_email: str) -> tuple[Attendee, ...]:
    own_response = (event.get("responseStatus") or {}).get("response")
    by_email: dict[str, Attendee] = {}
    for entry in event.get("attendees") or ():
        address = _text(entry.get("emailAddress") or {}, "address").strip().lower()
        if not address or address in by_email:
            continue
        response = ((entry.get("status") or {}).get("response")) or "none"
        if address == owner_email and own_response and own_response != "organizer":
            response = own_response
        by_email[address] = Attendee(
            email=address,
            name=_text(entry.get("emailAddress") or {}, "name"),
            response=_RESPONSE_IN.get(response, "needsAction"),
            kind=kind if (kind := entry.get("type")) in ATTENDEE_KINDS else "required",
        )
    return tuple(by_email.values())


def _text(obj: dict[str, Any], name: str) -> str:
    """A string property ("" when absent or null); ``ValueError`` for any other type."""
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} is a {type(value).__name__}, not a string")
    return value


def _flag(obj: dict[str, Any], name: str) -> bool:
    """A boolean property (False when absent or null); ``ValueError`` for any other type."""
    value = obj.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{name} is a {type(value).__name__}, not a boolean")
    return bool(value)


def _body_html(body: dict[str, Any] | None) -> str:
    if not body:
        return ""
    content = _text(body, "content")
    if (_text(body, "contentType") or "html").lower() == "text":
        return "".join(f"<p>{html.escape(line)}</p>" for line in content.splitlines())
    return content


def _when_out(values: EventValues) -> dict[str, Any]:
    zone = iana_to_windows(values.timezone).name
    if values.allday:
        assert values.start_date is not None and values.stop_date is not None
        start = datetime.combine(values.start_date, datetime.min.time())
        end = datetime.combine(values.stop_date + timedelta(days=1), datetime.min.time())
    else:
        assert values.start is not None and values.stop is not None
        local = ZoneInfo(values.timezone) if zone != UTC_NAME else UTC
        start = values.start.astimezone(local).replace(tzinfo=None)
        end = values.stop.astimezone(local).replace(tzinfo=None)
    return {
        "isAllDay": values.allday,
        "start": {"dateTime": start.strftime(_WIRE_FORMAT), "timeZone": zone},
        "end": {"dateTime": end.strftime(_WIRE_FORMAT), "timeZone": zone},
    }


def _instant(value: dict[str, Any]) -> datetime:
    """A ``dateTimeTimeZone`` as an aware UTC datetime."""
    moment = _parse(value["dateTime"])
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    zone = windows_to_iana(value.get("timeZone") or UTC_NAME)
    if zone.fallback:
        raise ValueError(f"unknown time zone {value.get('timeZone')!r}")
    return moment.replace(tzinfo=ZoneInfo(zone.name) if zone.name != UTC_NAME else UTC).astimezone(
        UTC
    )


def _date(value: dict[str, Any]) -> date:
    """The calendar date of an all-day boundary (Graph sends its midnight, in any zone)."""
    return _parse(value["dateTime"]).date()


def timestamp(value: str | None) -> datetime | None:
    """A timestamp Graph sends (``lastModifiedDateTime``, ``expirationDateTime``...: ISO 8601
    in UTC, ``...Z`` or naive, up to 7 fractional digits) as an aware UTC datetime; ``None``
    when empty, ``ValueError`` when it is not one. Graph's only timestamp parser."""
    if not value:
        return None
    moment = _parse(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _transaction_id(event: dict[str, Any]) -> str | None:
    value = event.get("transactionId")
    return value if isinstance(value, str) and value else None


def _unmodified_since_created(event: dict[str, Any]) -> bool:
    try:
        created = timestamp(_text(event, "createdDateTime"))
        modified = timestamp(_text(event, "lastModifiedDateTime"))
    except ValueError:
        return False
    if created is None or modified is None:
        return False
    # Whole seconds, as Outlook shows them: a fraction of either never tips the balance.
    return (
        abs(modified.replace(microsecond=0) - created.replace(microsecond=0)) <= UNMODIFIED_WITHIN
    )


def subject_of(item: Any) -> str:
    """The subject of a raw Graph event, to name it when it cannot be read ("" when it has
    none readable)."""
    subject = item.get("subject") if isinstance(item, dict) else None
    return subject if isinstance(subject, str) else ""


def _is_organizer(event: dict[str, Any], owner_email: str) -> bool:
    """Graph's ``isOrganizer``; when absent, whether the organizer is the mailbox owner."""
    if "isOrganizer" in event:
        return bool(event["isOrganizer"])
    organizer = ((event.get("organizer") or {}).get("emailAddress") or {}).get("address") or ""
    return bool(owner_email) and organizer.strip().lower() == owner_email


def _parse(value: str) -> datetime:
    """Graph's ISO 8601: up to 7 fractional digits, optional ``Z`` or offset (Python 3.10's
    ``fromisoformat`` takes neither)."""
    match = _ISO.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"not an ISO 8601 date-time: {value!r}")
    stamp, fraction, offset = match.groups()
    micro = (fraction or "")[:6].ljust(6, "0")
    moment = datetime.fromisoformat(f"{stamp}.{micro}")
    if offset:
        moment = (
            moment.replace(tzinfo=UTC)
            if offset == "Z"
            else datetime.fromisoformat(f"{stamp}.{micro}{offset}")
        )
    return moment


def _etag_key(etag: str | None) -> str:
    """``W/"<changeKey>"`` -> ``<changeKey>`` (delta items may carry only the etag)."""
    if not etag:
        return ""
    return etag.removeprefix("W/").strip('"')


def _read_odoo_ref(properties: Iterable[dict[str, Any]]) -> str | None:
    for prop in properties:
        if _text(prop, "id").lower() == ODOO_REF_PROPERTY_ID.lower():
            return _text(prop, "value") or None
    return None
