"""The event resource: validation of client input and rendering in Graph's v1.0 shape.

Events are kept with UTC start/end plus the zone the client wrote them in; rendering converts to
the zone asked for with ``Prefer: outlook.timezone`` (UTC by default), always shows all-day
events midnight to midnight, and expands a series master into occurrence/exception views.
Property list and enums: CSDL ``EntityType event`` (see README, "Sources").
"""

from __future__ import annotations

import base64
import copy
import html
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import quote

from . import recurrence as rec
from . import timezones
from .errors import bad_request

SHOW_AS = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
SENSITIVITY = ("normal", "personal", "private", "confidential")
IMPORTANCE = ("low", "normal", "high")
ATTENDEE_TYPES = ("required", "optional", "resource")
RESPONSES = ("none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded")
ONLINE_PROVIDERS = ("unknown", "skypeForBusiness", "skypeForConsumer", "teamsForBusiness")
# The enumerated properties an event body may set: their values, and Graph's name of the type.
ENUMS = {
    "showAs": (SHOW_AS, "freeBusyStatus"),
    "sensitivity": (SENSITIVITY, "sensitivity"),
    "importance": (IMPORTANCE, "importance"),
    "onlineMeetingProvider": (ONLINE_PROVIDERS, "onlineMeetingProviderType"),
}
NULL_TIME = "0001-01-01T00:00:00Z"
ICAL_PREFIX = "040000008200E00074C5B7101A82E008"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

SIMPLE_PROPS = (
    "subject",
    "body",
    "location",
    "locations",
    "attendees",
    "categories",
    "showAs",
    "sensitivity",
    "importance",
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "isOnlineMeeting",
    "onlineMeetingProvider",
    "responseRequested",
    "allowNewTimeProposals",
    "hideAttendees",
    "isDraft",
)
TIME_PROPS = ("start", "end", "isAllDay", "originalStartTimeZone", "originalEndTimeZone")
READ_ONLY = (
    "id",
    "iCalUId",
    "changeKey",
    "createdDateTime",
    "lastModifiedDateTime",
    "type",
    "seriesMasterId",
    "isOrganizer",
    "responseStatus",
    "webLink",
    "onlineMeeting",
    "onlineMeetingUrl",
    "bodyPreview",
    "hasAttachments",
    "isCancelled",
    "originalStart",
    "cancelledOccurrences",
    "organizer",
)
WRITABLE = (
    SIMPLE_PROPS + TIME_PROPS + ("recurrence", "singleValueExtendedProperties", "transactionId")
)

DEFAULT_PROPS: dict[str, Any] = {
    "subject": "",
    "categories": [],
    "showAs": "busy",
    "sensitivity": "normal",
    "importance": "normal",
    "isReminderOn": True,
    "reminderMinutesBeforeStart": 15,
    "isOnlineMeeting": False,
    "onlineMeetingProvider": "unknown",
    "responseRequested": True,
    "allowNewTimeProposals": True,
    "hideAttendees": False,
    "isDraft": False,
    "isCancelled": False,
    "attendees": [],
    "locations": [],
}

_DT_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


CUSTOM_ZONE = "tzone://Microsoft/Custom"


def new_id() -> str:
    """An opaque, URL-safe event id in the style of Exchange's (``AAMkA...``), without '_'."""
    return "AAMkAGI2TG93AAA" + base64.b32encode(secrets.token_bytes(25)).decode().rstrip("=")


def new_change_key() -> str:
    """A fresh changeKey; ``@odata.etag`` is ``W/"<changeKey>"``."""
    return base64.b64encode(secrets.token_bytes(18)).decode()


def new_ical_uid() -> str:
    """An Exchange-style iCalUId: the Outlook prefix, a zero date (series-wide) and a random tail."""
    return (
        ICAL_PREFIX + "00000000" + "0000000000000000" + "10000000" + secrets.token_hex(16).upper()
    )


def occurrence_ical_uid(series_uid: str, day: date) -> str:
    """Per-occurrence iCalUId: Exchange writes the occurrence date into bytes 16-19."""
    if not series_uid.startswith(ICAL_PREFIX):
        return f"{series_uid}-{day:%Y%m%d}"
    return (
        ICAL_PREFIX
        + f"{day.year:04X}{day.month:02X}{day.day:02X}"
        + series_uid[len(ICAL_PREFIX) + 8 :]
    )


def format_dt(moment: datetime) -> str:
    """Graph's dateTimeTimeZone.dateTime: naive, 7 fractional digits."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}0"


def format_instant(moment: datetime) -> str:
    """Graph's ``originalStart``: UTC, whole seconds and Z, as recorded from the real Graph
    (microsoft-graph-docs issue #2804: ``"originalStart": "2018-06-05T07:00:00Z"``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_timestamp(moment: datetime) -> str:
    """Graph's DateTimeOffset for createdDateTime/lastModifiedDateTime: UTC with 7 digits and Z."""
    return format_dt(moment.astimezone(timezone.utc)) + "Z"


def parse_graph_datetime(value: Any, tz_name: str) -> tuple[datetime, bool]:
    """Parse a dateTimeTimeZone into (aware UTC datetime, written-as-local-midnight)."""
    if not isinstance(value, str):
        raise bad_request("dateTime is required in a dateTimeTimeZone.", "RequestBodyRead")
    match = _DT_RE.match(value.strip())
    if not match:
        raise bad_request(
            f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTime'.",
            "RequestBodyRead",
        )
    day, hh, mm, ss, frac, offset = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    naive = datetime.combine(
        date.fromisoformat(day), time(int(hh or 0), int(mm or 0), int(ss or 0), micro)
    )
    try:
        zone = timezone.utc if offset else timezones.zone(tz_name or "UTC")
    except timezones.UnknownTimeZone as exc:
        raise bad_request(
            f"A valid TimeZone value must be specified. The following TimeZone value is not supported: '{tz_name}'.",
            "TimeZoneNotSupportedException",
        ) from exc
    is_midnight = naive.time() == time(0)
    return naive.replace(tzinfo=zone).astimezone(timezone.utc), is_midnight


def text_to_html(text: str) -> str:
    """Exchange stores bodies as HTML: a text body comes back wrapped like this."""
    escaped = html.escape(text).replace("\n", "<br>\r\n")
    return (
        '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n'
        f"<body>\r\n{escaped}\r\n</body>\r\n</html>\r\n"
    )


_TAG_RE = re.compile(r"<[^>]+>")


def html_to_text(content: str) -> str:
    """Plain text of an HTML body, as ``outlook.body-content-type="text"`` and bodyPreview give it."""
    body = re.sub(r"(?is)<head.*?</head>", "", content)
    body = re.sub(r"(?i)<br\s*/?>", "\n", body)
    return html.unescape(_TAG_RE.sub("", body)).strip()


def normalize_location(value: Any) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise bad_request("location must be an object.", "RequestBodyRead")
    loc = {
        "displayName": value.get("displayName") or "",
        "locationType": value.get("locationType") or "default",
        "uniqueIdType": value.get("uniqueIdType") or "unknown",
        "address": value.get("address") or {},
        "coordinates": value.get("coordinates") or {},
    }
    if value.get("locationUri"):
        loc["locationUri"] = value["locationUri"]
    if loc["displayName"]:
        loc["uniqueId"] = value.get("uniqueId") or loc["displayName"]
        loc["uniqueIdType"] = value.get("uniqueIdType") or "private"
    return loc


def _attendee(value: Any, previous: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("emailAddress"), dict):
        raise bad_request("An attendee needs an emailAddress.", "RequestBodyRead")
    address = (value["emailAddress"].get("address") or "").strip()
    if "@" not in address:
        raise bad_request(f"Invalid attendee email address '{address}'.", "ErrorInvalidRecipients")
    kind = value.get("type") or "required"
    if kind not in ATTENDEE_TYPES:
        raise bad_request(
            f"Cannot convert the literal '{kind}' to the expected type 'microsoft.graph.attendeeType'.",
            "RequestBodyRead",
        )
    old = previous.get(address.lower())
    status = copy.deepcopy(old["status"]) if old else {"response": "none", "time": NULL_TIME}
    return {
        "type": kind,
        "status": status,
        "emailAddress": {"name": value["emailAddress"].get("name") or address, "address": address},
    }


def _check_enum(name: str, value: Any, allowed: tuple[str, ...], type_name: str) -> None:
    if value not in allowed:
        raise bad_request(
            f"Cannot convert the literal '{value}' to the expected type 'microsoft.graph.{type_name}'.",
            "RequestBodyRead",
        )


@dataclass
class EventState:
    """What a client can write on an event: simple properties, times and recurrence."""

    props: dict[str, Any]
    start: datetime
    end: datetime
    start_tz: str = "UTC"
    end_tz: str = "UTC"
    is_all_day: bool = False
    recurrence: dict[str, Any] | None = None
    extended: dict[str, str] = field(default_factory=dict)

    def clone(self) -> EventState:
        """A deep copy to validate a write on before committing it."""
        return copy.deepcopy(self)


def apply_body(
    state: EventState, body: dict[str, Any], *, creating: bool, allow_recurrence: bool = True
) -> set[str]:
    """Validate a POST/PATCH body and apply it to ``state``; returns the property names changed.

    Unknown properties are refused like OData does; read-only ones are ignored, as Graph does.
    """
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.", "BadRequest")
    for name in body:
        if name.startswith("@odata.") or name in WRITABLE or name in READ_ONLY:
            continue
        raise bad_request(
            f"The property '{name}' does not exist on type 'microsoft.graph.event'. Make sure to only use "
            "property names that are defined by the type or mark the type as open type.",
            "RequestBodyRead",
        )
    before = state.clone()
    props = state.props
    for name in SIMPLE_PROPS:
        if name not in body:
            continue
        value = body[name]
        if name == "body":
            value = value or {}
            kind = (value.get("contentType") or "html").lower()
            content = value.get("content") or ""
            props["body"] = {
                "contentType": "html",
                "content": text_to_html(content) if kind == "text" and content else content,
            }
        elif name == "location":
            props["location"] = normalize_location(value)
            if "locations" not in body:
                props["locations"] = [props["location"]] if props["location"]["displayName"] else []
        elif name == "locations":
            props["locations"] = [normalize_location(item) for item in (value or [])]
        elif name == "attendees":
            previous = {a["emailAddress"]["address"].lower(): a for a in props.get("attendees", [])}
            attendees = [_attendee(item, previous) for item in (value or [])]
            if len(attendees) > 500:
                raise bad_request("An event can have at most 500 attendees.")
            props["attendees"] = attendees
        elif name == "categories":
            if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
                raise bad_request("categories must be a list of strings.", "RequestBodyRead")
            props["categories"] = list(value)
        elif name in ENUMS:
            _check_enum(name, value, *ENUMS[name])
            props[name] = value
        elif name == "reminderMinutesBeforeStart":
            if not isinstance(value, int) or value < 0:
                raise bad_request(
                    "reminderMinutesBeforeStart must be a non-negative integer.", "RequestBodyRead"
                )
            props[name] = value
        elif name == "subject":
            props[name] = value or ""
        else:
            if not isinstance(value, bool):
                raise bad_request(
                    f"Cannot convert the literal '{value}' to the expected type 'Edm.Boolean'.",
                    "RequestBodyRead",
                )
            props[name] = value
    if props.get("isOnlineMeeting") and props.get("onlineMeetingProvider") == "unknown":
        props["onlineMeetingProvider"] = "teamsForBusiness"
    if before.props.get("isOnlineMeeting") and not props.get("isOnlineMeeting"):
        raise bad_request("An online meeting can't be turned back into a regular meeting.")
    _apply_times(state, body, creating)
    if "recurrence" in body:
        if not allow_recurrence and body["recurrence"] is not None:
            raise bad_request("An occurrence or exception can't have a recurrence.")
        try:
            state.recurrence = (
                rec.normalize(body["recurrence"], timezones.windows_name(state.start_tz))
                if body["recurrence"]
                else None
            )
        except rec.InvalidRecurrence as exc:
            raise bad_request(str(exc)) from exc
    if "singleValueExtendedProperties" in body:
        for item in body["singleValueExtendedProperties"] or []:
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("id"), str)
                or "value" not in item
            ):
                raise bad_request(
                    "A singleValueExtendedProperty needs an id and a value.", "RequestBodyRead"
                )
            state.extended[item["id"]] = item["value"]
    return changed_props(before, state)


def _apply_times(state: EventState, body: dict[str, Any], creating: bool) -> None:
    if creating and ("start" not in body or "end" not in body):
        raise bad_request(
            "Your request can't be completed. Start and End are required.",
            "ErrorInvalidRequest" if "start" in body else "ErrorPropertyValidationFailure",
        )
    if not any(k in body for k in ("start", "end", "isAllDay")):
        return
    if "isAllDay" in body:
        if not isinstance(body["isAllDay"], bool):
            raise bad_request("isAllDay must be a boolean.", "RequestBodyRead")
        state.is_all_day = body["isAllDay"]
    midnights = []
    for key in ("start", "end"):
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise bad_request(f"{key} must be a dateTimeTimeZone.", "RequestBodyRead")
        tz_name = value.get("timeZone") or "UTC"
        moment, midnight = parse_graph_datetime(value.get("dateTime"), tz_name)
        midnights.append(midnight)
        if key == "start":
            state.start, state.start_tz = moment, tz_name
        else:
            state.end, state.end_tz = moment, tz_name
    if state.is_all_day:
        if not all(midnights):
            raise bad_request(
                "Your request can't be completed. If the event is an all-day event, its start and end "
                "must be at midnight.",
                "ErrorInvalidRequest",
            )
        state.start = _all_day_anchor(state.start, state.start_tz, "start" in body)
        state.end = _all_day_anchor(state.end, state.end_tz, "end" in body)
        if state.end - state.start < timedelta(days=1):
            raise bad_request(
                "The duration of an event marked as All day must be at least 24 hours.",
                "ErrorInvalidRequest",
            )
    if state.end < state.start:
        raise bad_request(
            "The end time of the event is before its start time.", "ErrorInvalidRequest"
        )


def _all_day_anchor(moment: datetime, tz_name: str, written: bool) -> datetime:
    """All-day bounds are kept as the local date at 00:00 UTC ("floating" dates)."""
    if moment.tzinfo is timezone.utc and moment.time() == time(0) and not written:
        return moment
    local = moment.astimezone(timezones.zone(tz_name or "UTC"))
    return datetime.combine(local.date(), time(0), timezone.utc)


def changed_props(before: EventState, after: EventState) -> set[str]:
    """Names of the properties whose value differs between two states."""
    changed = {
        k for k in set(before.props) | set(after.props) if before.props.get(k) != after.props.get(k)
    }
    if before.start != after.start or before.start_tz != after.start_tz:
        changed.add("start")
    if before.end != after.end or before.end_tz != after.end_tz:
        changed.add("end")
    if before.is_all_day != after.is_all_day:
        changed.add("isAllDay")
    if before.recurrence != after.recurrence:
        changed.add("recurrence")
    if before.extended != after.extended:
        changed.add("singleValueExtendedProperties")
    return changed


@dataclass
class Override:
    """A modified occurrence (an ``exception``): the properties written on it and its times."""

    original_start: datetime
    start: datetime
    end: datetime
    props: dict[str, Any]
    change_key: str
    modified: datetime


@dataclass
class StoredEvent(EventState):
    """A single instance or series master in one mailbox."""

    id: str = ""
    calendar_id: str = ""
    ical_uid: str = ""
    created: datetime = EPOCH
    modified: datetime = EPOCH
    change_key: str = ""
    seq: int = 0
    transaction_id: str | None = None
    is_organizer: bool = True
    response: dict[str, Any] = field(
        default_factory=lambda: {"response": "organizer", "time": NULL_TIME}
    )
    exceptions: dict[str, Override] = field(default_factory=dict)
    cancelled: dict[str, datetime] = field(default_factory=dict)
    organizer_ref: tuple[str, str] | None = None
    copies: dict[str, str] = field(default_factory=dict)
    custom_zone: bool = False

    def state(self) -> EventState:
        """The client-writable part, copied."""
        return EventState(
            copy.deepcopy(self.props),
            self.start,
            self.end,
            self.start_tz,
            self.end_tz,
            self.is_all_day,
            copy.deepcopy(self.recurrence),
            dict(self.extended),
        )

    def take(self, state: EventState) -> None:
        """Adopt a validated state."""
        self.props, self.start, self.end = state.props, state.start, state.end
        self.start_tz, self.end_tz, self.is_all_day = state.start_tz, state.end_tz, state.is_all_day
        self.recurrence, self.extended = state.recurrence, state.extended

    def recurrence_zone(self) -> timezone | Any:
        """The zone a series expands in: recurrenceTimeZone, else the start zone. All-day series
        too: Exchange keeps their occurrences at midnight in that zone (see ``first_local``)."""
        name = (self.recurrence or {}).get("range", {}).get("recurrenceTimeZone") or self.start_tz
        return timezones.zone(name or "UTC")

    def first_local(self) -> datetime:
        """The series' first start in its recurrence zone. An all-day master is stored as its
        floating date (00:00 UTC): its occurrences start at that date's midnight in the zone,
        and their ``originalStart`` is that midnight in UTC, not midnight UTC."""
        zone = self.recurrence_zone()
        if self.is_all_day:
            return datetime.combine(self.start.date(), time(0), zone)
        return self.start.astimezone(zone)

    def occurrence_bounds(self, original_start: datetime) -> tuple[datetime, datetime]:
        """Start and end of the unmodified occurrence at ``original_start``; an all-day one is
        listed midnight to midnight on its date in the recurrence zone, like any all-day event."""
        start = original_start
        if self.is_all_day:
            local = original_start.astimezone(self.recurrence_zone())
            start = datetime.combine(local.date(), time(0), timezone.utc)
        return start, start + (self.end - self.start)

    def occurrence_key(self, original_start: datetime) -> str:
        """The key of an occurrence: its local date in the series zone (one occurrence per day)."""
        return original_start.astimezone(self.recurrence_zone()).strftime("%Y%m%d")

    def occurrence_id(self, key: str) -> str:
        """The id Graph gives an occurrence: derived from the master id and its date."""
        return f"{self.id}_{key}"


@dataclass
class EventView:
    """One row as Graph lists it: a single instance, a master, an occurrence or an exception."""

    master: StoredEvent
    kind: str
    id: str
    start: datetime
    end: datetime
    props: dict[str, Any]
    change_key: str
    modified: datetime
    ical_uid: str
    original_start: datetime | None = None

    @property
    def etag(self) -> str:
        """``W/"<changeKey>"``."""
        return f'W/"{self.change_key}"'


def view_of(event: StoredEvent) -> EventView:
    """The row of a single instance or series master."""
    kind = "seriesMaster" if event.recurrence else "singleInstance"
    return EventView(
        event,
        kind,
        event.id,
        event.start,
        event.end,
        event.props,
        event.change_key,
        event.modified,
        event.ical_uid,
    )


def occurrence_view(master: StoredEvent, key: str, original_start: datetime) -> EventView:
    """The row of one instance of a series: an occurrence, or an exception if it was modified."""
    override = master.exceptions.get(key)
    ical = occurrence_ical_uid(
        master.ical_uid, original_start.astimezone(master.recurrence_zone()).date()
    )
    if override:
        return EventView(
            master,
            "exception",
            master.occurrence_id(key),
            override.start,
            override.end,
            {**master.props, **override.props},
            override.change_key,
            override.modified,
            ical,
            original_start,
        )
    start, end = master.occurrence_bounds(original_start)
    return EventView(
        master,
        "occurrence",
        master.occurrence_id(key),
        start,
        end,
        master.props,
        master.change_key,
        master.modified,
        ical,
        original_start,
    )


def instances(master: StoredEvent, window_start: datetime, window_end: datetime) -> list[EventView]:
    """Occurrences and exceptions of a series overlapping the window, by start (an all-day
    occurrence by its listed, floating, dates)."""
    margin = timedelta(days=1) if master.is_all_day else timedelta(0)
    rows: dict[str, EventView] = {}
    for start in rec.occurrence_starts(
        master.recurrence,
        master.first_local(),
        window_start - margin,
        window_end + margin,
        master.end - master.start,
    ):
        key = master.occurrence_key(start)
        listed_start, listed_end = master.occurrence_bounds(start)
        if key in master.cancelled or key in master.exceptions:
            continue
        if listed_start < window_end and listed_end > window_start:
            rows[key] = occurrence_view(master, key, start)
    for key, override in master.exceptions.items():
        if override.start < window_end and override.end > window_start:
            rows[key] = occurrence_view(master, key, override.original_start)
    return sorted(rows.values(), key=lambda v: (v.start, v.id))


def find_occurrence(master: StoredEvent, key: str) -> datetime | None:
    """The original start of the occurrence with this key, if the series has one that day."""
    if key in master.exceptions:
        return master.exceptions[key].original_start
    if key in master.cancelled:
        return None
    try:
        day = datetime.strptime(key, "%Y%m%d").date()
    except ValueError:
        return None
    lo = datetime.combine(day, time(0), master.recurrence_zone()).astimezone(timezone.utc)
    starts = rec.occurrence_starts(
        master.recurrence, master.first_local(), lo, lo + timedelta(days=1), timedelta(seconds=1)
    )
    for start in starts:
        if master.occurrence_key(start) == key:
            return start
    return None


@dataclass
class RenderOptions:
    """Per-request rendering choices taken from Prefer headers and query options."""

    tz_name: str = "UTC"
    body_text: bool = False
    select: set[str] | None = None
    expand_ids: list[str] | None = None
    expand_all: bool = False
    sparse_occurrences: bool = False


def _dtz(moment: datetime, all_day: bool, opts: RenderOptions) -> dict[str, str]:
    if all_day:
        return {"dateTime": format_dt(moment.replace(tzinfo=None)), "timeZone": opts.tz_name}
    return {
        "dateTime": format_dt(moment.astimezone(timezones.zone(opts.tz_name)).replace(tzinfo=None)),
        "timeZone": opts.tz_name,
    }


def _zone_name(master: StoredEvent, tz_name: str) -> str:
    """How Graph names an event's zone: its Windows name, or ``tzone://Microsoft/Custom`` for
    a legacy custom zone set in desktop Outlook (learn.microsoft.com/graph/api/resources/event,
    ``originalStartTimeZone``): the event keeps the zone's rule, Graph cannot name it."""
    return CUSTOM_ZONE if master.custom_zone else timezones.windows_name(tz_name)


def _recurrence(master: StoredEvent) -> dict[str, Any] | None:
    recurrence = copy.deepcopy(master.recurrence)
    if recurrence and master.custom_zone:
        recurrence["range"]["recurrenceTimeZone"] = CUSTOM_ZONE
    return recurrence


def render(view: EventView, opts: RenderOptions) -> dict[str, Any]:
    """The JSON Graph returns for one event row."""
    master = view.master
    if opts.sparse_occurrences and view.kind == "occurrence":
        return {
            "@odata.type": "#microsoft.graph.event",
            "@odata.etag": view.etag,
            "id": view.id,
            "seriesMasterId": master.id,
            "type": "occurrence",
            "start": _dtz(view.start, master.is_all_day, opts),
            "end": _dtz(view.end, master.is_all_day, opts),
        }
    props = view.props
    body = props.get("body") or {"contentType": "html", "content": ""}
    text = html_to_text(body["content"]) if body["content"] else ""
    if opts.body_text:
        body = {"contentType": "text", "content": text}
    location = props.get("location") or normalize_location(None)
    online = None
    if props.get("isOnlineMeeting"):
        online = {"joinUrl": f"https://teams.microsoft.com/l/meetup-join/{quote(master.ical_uid)}"}
    out: dict[str, Any] = {
        "@odata.etag": view.etag,
        "id": view.id,
        "createdDateTime": format_timestamp(master.created),
        "lastModifiedDateTime": format_timestamp(view.modified),
        "changeKey": view.change_key,
        "categories": list(props.get("categories", [])),
        "transactionId": master.transaction_id
        if view.kind in ("singleInstance", "seriesMaster")
        else None,
        "originalStartTimeZone": _zone_name(master, master.start_tz),
        "originalEndTimeZone": _zone_name(master, master.end_tz),
        "iCalUId": view.ical_uid,
        "reminderMinutesBeforeStart": props.get("reminderMinutesBeforeStart", 15),
        "isReminderOn": props.get("isReminderOn", True),
        "hasAttachments": False,
        "subject": props.get("subject", ""),
        "bodyPreview": text[:255],
        "importance": props.get("importance", "normal"),
        "sensitivity": props.get("sensitivity", "normal"),
        "isAllDay": master.is_all_day,
        "isCancelled": props.get("isCancelled", False),
        "isOrganizer": master.is_organizer,
        "responseRequested": props.get("responseRequested", True),
        "seriesMasterId": master.id if view.kind in ("occurrence", "exception") else None,
        "showAs": props.get("showAs", "busy"),
        "type": view.kind,
        "webLink": f"https://outlook.office365.com/owa/?itemid={quote(view.id, safe='')}&exvsurl=1&path=/calendar/item",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": props.get("isOnlineMeeting", False),
        "onlineMeetingProvider": props.get("onlineMeetingProvider", "unknown"),
        "allowNewTimeProposals": props.get("allowNewTimeProposals", True),
        "isDraft": props.get("isDraft", False),
        "hideAttendees": props.get("hideAttendees", False),
        "responseStatus": copy.deepcopy(props.get("responseStatus") or master.response),
        "body": dict(body),
        "start": _dtz(view.start, master.is_all_day, opts),
        "end": _dtz(view.end, master.is_all_day, opts),
        "location": copy.deepcopy(location),
        "locations": copy.deepcopy(props.get("locations", [])),
        "recurrence": _recurrence(master) if view.kind == "seriesMaster" else None,
        "attendees": copy.deepcopy(props.get("attendees", [])),
        "organizer": copy.deepcopy(props.get("organizer")),
        "onlineMeeting": online,
    }
    if out["transactionId"] is None:
        del out["transactionId"]
    if view.original_start is not None:
        out["originalStart"] = format_instant(view.original_start)
    if opts.select is not None:
        wanted = opts.select | {"id", "@odata.etag"}
        if "cancelledOccurrences" in wanted and view.kind == "seriesMaster":
            out["cancelledOccurrences"] = [
                f"OID.{master.id}.{start.astimezone(master.recurrence_zone()):%Y-%m-%d}"
                for start in sorted(master.cancelled.values())
            ]
        out = {k: v for k, v in out.items() if k in wanted}
    if opts.expand_all or opts.expand_ids is not None:
        items = [
            {"id": pid, "value": value}
            for pid, value in master.extended.items()
            if opts.expand_all or pid in opts.expand_ids
        ]
        if items:
            out["singleValueExtendedProperties"] = items
    return out
