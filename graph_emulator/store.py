"""Mailboxes, calendars and events in memory, with the side effects Exchange has.

Every write bumps the event's changeKey and the mailbox's change sequence (which delta reads),
records the mail Exchange would send, and mirrors meetings into attendee mailboxes that live
in the emulator (same iCalUId; replies flow back to the organizer's copy).
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import categories as cat
from . import events as ev
from .clock import Clock
from .errors import GraphError, bad_request, not_found

TIME_OR_PLACE = {"start", "end", "isAllDay", "location", "locations", "recurrence"}
REPLY_KINDS = {
    "accept": ("accepted", "Accepted"),
    "tentativelyAccept": ("tentativelyAccepted", "Tentative"),
    "decline": ("declined", "Declined"),
}
ATTENDEE_OWN_PROPS = ("categories", "isReminderOn", "reminderMinutesBeforeStart", "showAs")


@dataclass
class Calendar:
    """A calendar folder; ids are stable (containers never had mutable ids)."""

    id: str
    name: str
    is_default: bool = False
    color: str = "auto"
    change_key: str = field(default_factory=ev.new_change_key)


@dataclass
class SharedCalendar:
    """Another user's calendar as this mailbox sees it once the share is accepted: its own id
    here, the owner's address and calendar id there, and the role (write or read)."""

    id: str
    owner: str
    calendar_id: str
    can_edit: bool = True


@dataclass
class Mailbox:
    """One user: calendars, events, a change sequence for delta and the mail it sent."""

    address: str
    display_name: str
    id: str = ""
    calendars: dict[str, Calendar] = field(default_factory=dict)
    events: dict[str, ev.StoredEvent] = field(default_factory=dict)
    seq: int = 0
    tombstones: list[tuple[int, str, str]] = field(default_factory=list)
    transactions: dict[str, str] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    personal: bool = False
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared_calendars: dict[str, SharedCalendar] = field(default_factory=dict)
    calendar_list_error: int | None = None
    time_zone: str = "UTC"
    teams_refused: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            self.id = str(uuid.uuid5(uuid.NAMESPACE_URL, "mailto:" + self.address.lower()))

    @property
    def default_calendar(self) -> Calendar:
        """The calendar ``/me/calendar`` and ``/me/events`` use."""
        return next(c for c in self.calendars.values() if c.is_default)

    @property
    def own_address(self) -> str:
        """The address Exchange writes as this user's own: the sign-in address of a work
        account; for a personal Microsoft account an ``outlook_<16 hex>@outlook.com`` alias,
        as in the outlook.com payloads Odoo's ``microsoft_calendar`` tests record."""
        if not self.personal:
            return self.address
        return f"outlook_{uuid.UUID(self.id).hex[:16].upper()}@outlook.com"

    def recipient(self) -> dict[str, Any]:
        """This user as a Graph ``recipient`` (an event's organizer)."""
        name = self.own_address if self.personal else self.display_name
        return {"emailAddress": {"name": name, "address": self.own_address}}


def split_id(event_id: str) -> tuple[str, str | None]:
    """(master id, occurrence key) for an occurrence id; (id, None) otherwise."""
    if "_" in event_id:
        master, key = event_id.split("_", 1)
        return master, key
    return event_id, None


class Store:
    """All mailboxes; one re-entrant lock serialises every read and write."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.mailboxes: dict[str, Mailbox] = {}
        # Told of every event write: (mailbox, calendar id, event id, change type, changeKey).
        self.on_change: Callable[[Mailbox, str, str, str, str], None] | None = None

    # --- mailboxes -------------------------------------------------------------------------
    def add_mailbox(
        self, address: str, display_name: str | None = None, personal: bool = False
    ) -> Mailbox:
        """Create a mailbox with a default "Calendar" (idempotent on the address);
        ``personal``: a personal Microsoft account (no Teams meetings)."""
        with self.lock:
            key = address.lower()
            if key in self.mailboxes:
                return self.mailboxes[key]
            box = Mailbox(
                address=address,
                display_name=display_name or address.split("@", maxsplit=1)[0].title(),
                personal=personal,
            )
            cal = Calendar(id=ev.new_id(), name="Calendar", is_default=True)
            box.calendars[cal.id] = cal
            self.mailboxes[key] = box
            return box

    def find_mailbox(self, ref: str) -> Mailbox | None:
        """A mailbox by address (case-insensitive) or object id."""
        box = self.mailboxes.get(ref.lower())
        if box:
            return box
        return next((b for b in self.mailboxes.values() if b.id == ref), None)

    def mailbox(self, ref: str) -> Mailbox:
        """Like ``find_mailbox`` but raising Graph's 404 for an unknown user."""
        box = self.find_mailbox(ref)
        if box is None:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{ref}' is invalid.")
        return box

    def add_calendar(self, box: Mailbox, name: str, color: str = "auto") -> Calendar:
        """A secondary calendar."""
        with self.lock:
            if any(c.name.lower() == name.lower() for c in box.calendars.values()):
                raise GraphError(
                    409, "ErrorFolderExists", "A folder with the specified name already exists."
                )
            cal = Calendar(id=ev.new_id(), name=name, color=color)
            box.calendars[cal.id] = cal
            return cal

    def calendar(self, box: Mailbox, calendar_id: str | None) -> Calendar:
        """A calendar by id (None = default), 404 if unknown."""
        if calendar_id is None:
            return box.default_calendar
        cal = box.calendars.get(calendar_id)
        if cal is None:
            raise not_found()
        return cal

    # --- reads -----------------------------------------------------------------------------
    def event(self, box: Mailbox, event_id: str) -> ev.StoredEvent:
        """A single instance or series master by id, 404 otherwise."""
        found = box.events.get(event_id)
        if found is None:
            raise not_found()
        return found

    def view(self, box: Mailbox, event_id: str) -> ev.EventView:
        """Any row by id, including occurrences and exceptions."""
        master_id, key = split_id(event_id)
        master = self.event(box, master_id)
        if key is None:
            return ev.view_of(master)
        if not master.recurrence:
            raise not_found()
        original = ev.find_occurrence(master, key)
        if original is None:
            raise not_found()
        return ev.occurrence_view(master, key, original)

    def list_events(self, box: Mailbox, calendar_id: str | None) -> list[ev.StoredEvent]:
        """Single instances and series masters (what ``/events`` lists), in creation order."""
        return [
            e for e in box.events.values() if calendar_id is None or e.calendar_id == calendar_id
        ]

    def calendar_view(
        self, box: Mailbox, calendar_id: str | None, start: datetime, end: datetime
    ) -> list[ev.EventView]:
        """Single instances, occurrences and exceptions overlapping [start, end), by start."""
        rows: list[ev.EventView] = []
        for item in self.list_events(box, calendar_id):
            rows.extend(self.rows_in_window(item, start, end))
        rows.sort(key=lambda v: (v.start, v.id))
        return rows

    @staticmethod
    def rows_in_window(item: ev.StoredEvent, start: datetime, end: datetime) -> list[ev.EventView]:
        """An event's calendarView rows in a window."""
        if item.recurrence:
            return ev.instances(item, start, end)
        if item.start < end and (item.end > start or (item.end == item.start == start)):
            return [ev.view_of(item)]
        return []

    # --- writes ----------------------------------------------------------------------------
    def _touch(self, box: Mailbox, item: ev.StoredEvent) -> None:
        change = "updated" if item.seq else "created"
        box.seq += 1
        item.seq = box.seq
        item.change_key = ev.new_change_key()
        item.modified = self.clock()
        if self.on_change is not None:
            self.on_change(box, item.calendar_id, item.id, change, item.change_key)

    def _check_etag(self, view_etag: str, if_match: str | None) -> None:
        if if_match is None or if_match.strip() == "*":
            return
        wanted = if_match.strip()
        if wanted not in (view_etag, view_etag[2:], view_etag[3:-1]):
            raise GraphError(
                412,
                "ErrorIrresolvableConflict",
                "The send or update operation could not be performed because the change key passed in the "
                "request does not match the current change key for the item.",
            )

    def create_event(
        self, box: Mailbox, calendar_id: str | None, body: dict[str, Any]
    ) -> tuple[ev.StoredEvent, bool]:
        """POST an event; returns (event, created). A known transactionId returns the first event."""
        with self.lock:
            cal = self.calendar(box, calendar_id)
            tid = body.get("transactionId") if isinstance(body, dict) else None
            cat.check_online_meeting_allowed(box.teams_refused, body)
            if tid is not None and not isinstance(tid, str):
                raise bad_request("transactionId must be a string.", "RequestBodyRead")
            if tid and tid in box.transactions and box.transactions[tid] in box.events:
                return box.events[box.transactions[tid]], False
            now = self.clock()
            state = ev.EventState(props=copy.deepcopy(ev.DEFAULT_PROPS), start=now, end=now)
            ev.apply_body(state, body, creating=True)
            if box.personal:
                cat.drop_online_meeting(state.props)
            item = ev.StoredEvent(
                props=state.props,
                start=state.start,
                end=state.end,
                start_tz=state.start_tz,
                end_tz=state.end_tz,
                is_all_day=state.is_all_day,
                recurrence=state.recurrence,
                extended=state.extended,
                id=ev.new_id(),
                calendar_id=cal.id,
                ical_uid=ev.new_ical_uid(),
                created=now,
                transaction_id=tid,
            )
            item.props.setdefault("body", {"contentType": "html", "content": ""})
            item.props.setdefault("location", ev.normalize_location(None))
            item.props["organizer"] = box.recipient()
            box.events[item.id] = item
            if tid:
                box.transactions[tid] = item.id
            self._touch(box, item)
            if item.props["attendees"] and not item.props.get("isDraft"):
                self._send(box, "invitation", item, item.props["attendees"])
            self._sync_copies(box, item, set())
            return item, True

    def update_event(
        self, box: Mailbox, event_id: str, body: dict[str, Any], if_match: str | None = None
    ) -> ev.EventView:
        """PATCH an event, an occurrence (making it an exception) or an exception."""
        with self.lock:
            current = self.view(box, event_id)
            self._check_etag(current.etag, if_match)
            cat.check_online_meeting_allowed(box.teams_refused, body)
            master = current.master
            if current.kind in ("singleInstance", "seriesMaster"):
                state = master.state()
                old_attendees = copy.deepcopy(master.props["attendees"])
                changed = ev.apply_body(state, body, creating=False)
                if box.personal:
                    cat.drop_online_meeting(state.props)
                if "transactionId" in body and body["transactionId"] != master.transaction_id:
                    raise bad_request("transactionId can't be changed once set.")
                if master.recurrence and state.recurrence is None and "recurrence" in body:
                    master.exceptions.clear()
                    master.cancelled.clear()
                if changed & {"start", "end", "recurrence"}:
                    master.custom_zone = False  # the zone written has a name
                master.take(state)
                self._touch(box, master)
                self._announce_update(box, master, changed, old_attendees)
                self._sync_copies(
                    box, master, {a["emailAddress"]["address"].lower() for a in old_attendees}
                )
                return ev.view_of(master)
            key = event_id.split("_", 1)[1]
            state = ev.EventState(
                props=copy.deepcopy(current.props),
                start=current.start,
                end=current.end,
                start_tz=master.start_tz,
                end_tz=master.end_tz,
                is_all_day=master.is_all_day,
            )
            changed = ev.apply_body(state, body, creating=False, allow_recurrence=False)
            if "isAllDay" in changed:
                raise bad_request("isAllDay can't be changed on a single occurrence of a series.")
            existing = master.exceptions.get(key)
            overrides = dict(existing.props) if existing else {}
            for k in changed:
                if k in state.props and state.props[k] != master.props.get(k):
                    overrides[k] = state.props[k]
                else:  # back to the series' value
                    overrides.pop(k, None)
            master.exceptions[key] = ev.Override(
                current.original_start,
                state.start,
                state.end,
                overrides,
                ev.new_change_key(),
                self.clock(),
            )
            self._touch(box, master)
            if changed & TIME_OR_PLACE and master.is_organizer and master.props["attendees"]:
                self._send(
                    box,
                    "update",
                    master,
                    master.props["attendees"],
                    occurrence=current.original_start,
                )
            self._sync_copies(box, master, set())
            return ev.occurrence_view(master, key, current.original_start)

    def delete_event(
        self, box: Mailbox, event_id: str, if_match: str | None = None, comment: str = ""
    ) -> None:
        """DELETE (or cancel) an event or one occurrence; organizers' deletes cancel the meeting."""
        with self.lock:
            current = self.view(box, event_id)
            self._check_etag(current.etag, if_match)
            master = current.master
            meeting = master.is_organizer and bool(master.props["attendees"])
            if current.kind in ("occurrence", "exception"):
                key = event_id.split("_", 1)[1]
                master.exceptions.pop(key, None)
                master.cancelled[key] = current.original_start
                self._touch(box, master)
                if meeting:
                    self._send(
                        box,
                        "cancellation",
                        master,
                        master.props["attendees"],
                        occurrence=current.original_start,
                        comment=comment,
                    )
                self._sync_copies(box, master, set())
                return
            del box.events[master.id]
            box.seq += 1
            box.tombstones.append((box.seq, master.id, master.calendar_id))
            if self.on_change is not None:
                self.on_change(box, master.calendar_id, master.id, "deleted", "")
            if meeting:
                self._send(box, "cancellation", master, master.props["attendees"], comment=comment)
            self._cancel_copies(master)

    def cancel_event(self, box: Mailbox, event_id: str, comment: str) -> None:
        """POST .../cancel: organizer only; sends the cancellation with the comment, removes the event."""
        with self.lock:
            current = self.view(box, event_id)
            if not current.master.is_organizer:
                raise bad_request(
                    "Your request can't be completed. You need to be an organizer to cancel a meeting."
                )
            self.delete_event(box, event_id, comment=comment)

    def respond(self, box: Mailbox, event_id: str, action: str, body: dict[str, Any]) -> None:
        """accept / tentativelyAccept / decline: the attendee's copy learns it, and so does the
        organizer's when it is in the organizer's default calendar (``isTallyingResponses``)."""
        with self.lock:
            current = self.view(box, event_id)
            item = current.master
            if item.is_organizer:
                raise bad_request(
                    "Your request can't be completed. You can't respond to a meeting you organized."
                )
            send = body.get("sendResponse", True) if isinstance(body, dict) else True
            if send and item.props.get("responseRequested") is False:
                raise bad_request(
                    "Your request can't be completed. The meeting organizer hasn't requested a "
                    "response."
                )
            response, verb = REPLY_KINDS[action]
            now = ev.format_timestamp(self.clock())
            status = {"response": response, "time": now}
            one_occurrence = current.original_start if current.kind != "seriesMaster" else None
            if current.kind in ("occurrence", "exception"):
                # An answer to one occurrence makes it an exception holding that answer.
                self._override(item, current.original_start, {"responseStatus": status})
            else:
                item.response = status
            self._touch(box, item)
            if item.organizer_ref is None:
                return
            organizer_box = self.find_mailbox(item.organizer_ref[0])
            original = organizer_box.events.get(item.organizer_ref[1]) if organizer_box else None
            # Only meetings sent from the organizer's primary calendar track the answers.
            if original is not None and original.calendar_id == organizer_box.default_calendar.id:
                if one_occurrence is not None and original.recurrence:
                    attendees = copy.deepcopy(original.props["attendees"])
                    for attendee in attendees:
                        if attendee["emailAddress"]["address"].lower() == box.address.lower():
                            attendee["status"] = status
                    self._override(original, one_occurrence, {"attendees": attendees})
                else:
                    for attendee in original.props["attendees"]:
                        if attendee["emailAddress"]["address"].lower() == box.address.lower():
                            attendee["status"] = status
                self._touch(organizer_box, original)
            if send:
                organizer = item.props.get("organizer") or {
                    "emailAddress": {"address": item.organizer_ref[0]}
                }
                self._record(
                    box,
                    "reply",
                    f"{verb}: {item.props.get('subject', '')}",
                    [organizer["emailAddress"]["address"]],
                    item,
                    comment=(body or {}).get("comment", ""),
                )

    def _override(
        self, master: ev.StoredEvent, original_start: datetime, props: dict[str, Any]
    ) -> None:
        """Write ``props`` on one occurrence of ``master`` (it becomes, or stays, an exception)."""
        key = master.occurrence_key(original_start)
        existing = master.exceptions.get(key)
        start, end = master.occurrence_bounds(original_start)
        master.exceptions[key] = ev.Override(
            original_start,
            existing.start if existing else start,
            existing.end if existing else end,
            {**(existing.props if existing else {}), **props},
            ev.new_change_key(),
            self.clock(),
        )

    # --- side effects ----------------------------------------------------------------------
    def _record(
        self,
        box: Mailbox,
        kind: str,
        subject: str,
        to: list[str],
        item: ev.StoredEvent,
        **extra: Any,
    ) -> None:
        box.sent.append(
            {
                "id": str(uuid.uuid4()),
                "kind": kind,
                "from": box.address,
                "toRecipients": to,
                "subject": subject,
                "eventId": item.id,
                "iCalUId": item.ical_uid,
                "sentDateTime": ev.format_timestamp(self.clock()),
                **{k: v for k, v in extra.items() if v},
            }
        )

    def _send(
        self,
        box: Mailbox,
        kind: str,
        item: ev.StoredEvent,
        attendees: list[dict[str, Any]],
        occurrence: datetime | None = None,
        comment: str = "",
    ) -> None:
        to = [a["emailAddress"]["address"] for a in attendees]
        if not to:
            return
        prefix = {"invitation": "", "update": "", "cancellation": "Canceled: "}[kind]
        self._record(
            box,
            kind,
            prefix + item.props.get("subject", ""),
            to,
            item,
            occurrence=ev.format_timestamp(occurrence) if occurrence else None,
            comment=comment,
        )

    def _announce_update(
        self, box: Mailbox, item: ev.StoredEvent, changed: set[str], old: list[dict[str, Any]]
    ) -> None:
        if not item.is_organizer or item.props.get("isDraft"):
            return
        old_set = {a["emailAddress"]["address"].lower(): a for a in old}
        new_set = {a["emailAddress"]["address"].lower(): a for a in item.props["attendees"]}
        added = [a for k, a in new_set.items() if k not in old_set]
        removed = [a for k, a in old_set.items() if k not in new_set]
        kept = [a for k, a in new_set.items() if k in old_set]
        retyped = any(
            old_set[k].get("type") != a.get("type") for k, a in new_set.items() if k in old_set
        )
        if added:
            self._send(box, "invitation", item, added)
        if removed:
            self._send(box, "cancellation", item, removed)
        if (changed & TIME_OR_PLACE or retyped) and kept:
            self._send(box, "update", item, kept)

    def _sync_copies(self, box: Mailbox, item: ev.StoredEvent, previous: set[str]) -> None:
        """Mirror an organizer's meeting into attendee mailboxes held by the emulator."""
        if not item.is_organizer:
            return
        wanted = {a["emailAddress"]["address"].lower() for a in item.props["attendees"]} - {
            box.address.lower()
        }
        for address in wanted | set(item.copies):
            target = self.find_mailbox(address)
            if target is None:
                continue
            copy_id = item.copies.get(address)
            existing = target.events.get(copy_id) if copy_id else None
            if address not in wanted:
                if existing is not None:
                    self._mark_cancelled(target, existing)
                item.copies.pop(address, None)
                continue
            if existing is None:
                existing = ev.StoredEvent(
                    props={},
                    start=item.start,
                    end=item.end,
                    id=ev.new_id(),
                    calendar_id=target.default_calendar.id,
                    ical_uid=item.ical_uid,
                    created=self.clock(),
                    is_organizer=False,
                    response={"response": "notResponded", "time": ev.NULL_TIME},
                    organizer_ref=(box.address, item.id),
                )
                target.events[existing.id] = existing
                item.copies[address] = existing.id
            own = {k: existing.props[k] for k in ATTENDEE_OWN_PROPS if k in existing.props}
            answers = [
                (override.original_start, override.props["responseStatus"])
                for override in existing.exceptions.values()
                if "responseStatus" in override.props
            ]
            existing.take(item.state())
            existing.props.update(own)
            existing.extended = {}
            existing.exceptions = copy.deepcopy(item.exceptions)
            existing.cancelled = dict(item.cancelled)
            for original_start, status in answers:
                # The attendee's answer to one occurrence outlives the organizer's updates,
                # as long as the series still has that occurrence.
                key = existing.occurrence_key(original_start)
                if existing.recurrence and ev.find_occurrence(existing, key) is not None:
                    self._override(existing, original_start, {"responseStatus": status})
            self._touch(target, existing)

    def _mark_cancelled(self, target: Mailbox, copy_item: ev.StoredEvent) -> None:
        if copy_item.props.get("isCancelled"):
            return
        copy_item.props["isCancelled"] = True
        copy_item.props["subject"] = "Canceled: " + copy_item.props.get("subject", "")
        self._touch(target, copy_item)

    def _cancel_copies(self, item: ev.StoredEvent) -> None:
        for address, copy_id in item.copies.items():
            target = self.find_mailbox(address)
            if target and copy_id in target.events:
                self._mark_cancelled(target, target.events[copy_id])

    # --- delta support ---------------------------------------------------------------------
    def changes_since(
        self, box: Mailbox, calendar_id: str | None, seq: int
    ) -> tuple[list[ev.StoredEvent], list[str]]:
        """Events written and ids deleted after ``seq`` in a calendar (None = default calendar)."""
        cal_id = calendar_id or box.default_calendar.id
        changed = [e for e in box.events.values() if e.seq > seq and e.calendar_id == cal_id]
        deleted = [eid for s, eid, cid in box.tombstones if s > seq and cid == cal_id]
        return changed, deleted

    def sent_mail(self, address: str | None = None) -> list[dict[str, Any]]:
        """Messages Exchange would have sent, oldest first, for one mailbox or all."""
        with self.lock:
            boxes = [self.mailbox(address)] if address else list(self.mailboxes.values())
            mail = [m for b in boxes for m in b.sent]
            return sorted(mail, key=lambda m: m["sentDateTime"]) if address is None else list(mail)

    def week_start(self) -> datetime:
        """Monday 00:00 UTC of the current week (the demo seed and HTML page use it)."""
        now = self.clock()
        return (now - timedelta(days=now.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
