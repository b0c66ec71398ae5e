"""The series planner: what to do with one series, decided from frozen inputs, pure.

A series is settled in up to three looks, each a decision the engine (``sync/series.py``)
carries out before it takes the next look:

- ``from_outlook``: Outlook's delta named the series (changed, reshaped, removed). Linked:
  remove it from Odoo, give Odoo the new shape, or only pair its occurrences; not linked: pair
  it with the Odoo recurrence that already holds it, or create one. ``settled`` says whether
  the Odoo side still needs a look.
- ``from_odoo``: the Odoo side of a linked series: deleted (delete it in Outlook, or decline
  it for an attendee), reshaped (patch the master's shape), or the same edit or answer on
  every occurrence (one PATCH of the master, one reply to the series).
- ``new_in_odoo``: an Odoo recurrence no link covers: create its master in Outlook, or send
  its occurrences as single events when Outlook cannot repeat it.

The rules that hold whatever the inputs: an attendee never patches or deletes a master (they
decline it); nothing is written to Outlook under ``PushScope.NONE``; an unreadable series is
held on both sides; a series gone on one side is removed on the other once, and its link then
forgotten.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .reconcile import Policy, PushScope, series_pushed
from .series import SeriesShape
from .values import EventValues, changed_fields

SERIES_WIDE_FIELDS = frozenset(
    {"name", "description_html", "location", "show_as", "privacy", "reminder_minutes", "attendees"}
)
"""What an "all events" edit in Odoo may send as one edit of the series master."""

ANSWERS = frozenset({"accepted", "tentative", "declined"})
"""The answers an attendee can send to a whole series (Odoo's attendee states)."""


class Step(enum.StrEnum):
    """One thing to do to a series."""

    PAIR = "pair"
    """Link the occurrences not linked yet with the recurrence's events, by original start."""
    REPAIR = "repair"
    """Both sides hold the same shape again: rebuild the occurrence links, store the base."""
    CREATE_LOCAL = "create_local"
    """Create the Odoo recurrence of a new Outlook series."""
    REBUILD_LOCAL = "rebuild_local"
    """Give the Odoo recurrence the master's new shape (Odoo rebuilds its events)."""
    REMOVE_LOCAL = "remove_local"
    """Outlook deleted the series: archive it in Odoo (or the owner leaves it)."""
    CREATE_REMOTE = "create_remote"
    """Create the series master in Outlook."""
    SINGLES = "singles"
    """Outlook cannot repeat the Odoo rule: its occurrences go as single events."""
    REBUILD_REMOTE = "rebuild_remote"
    """Patch the master's shape (Outlook rebuilds its occurrences)."""
    REMOVE_REMOTE = "remove_remote"
    """Odoo deleted the series: delete the master (the organizer's)."""
    DECLINE_REMOTE = "decline_remote"
    """Odoo deleted the series an attendee holds: decline it."""
    EDIT_REMOTE = "edit_remote"
    """The same edit of every occurrence in Odoo: one PATCH of the master."""
    REPLY_REMOTE = "reply_remote"
    """The attendee's same new answer on every occurrence: one reply to the series."""
    FORGET = "forget"
    """Gone on both sides, or nothing may be written: drop the series' links."""
    HOLD = "hold"
    """Ambiguous or unreadable: neither side is touched, the links stay as they are."""


OUTLOOK_WRITES = frozenset(
    {
        Step.CREATE_REMOTE,
        Step.REBUILD_REMOTE,
        Step.REMOVE_REMOTE,
        Step.DECLINE_REMOTE,
        Step.EDIT_REMOTE,
        Step.REPLY_REMOTE,
    }
)
MASTER_WRITES = frozenset({Step.REBUILD_REMOTE, Step.REMOVE_REMOTE, Step.EDIT_REMOTE})
"""What only the organizer may do to a master."""


class Remote(enum.StrEnum):
    """What this run read of the series' master in Outlook."""

    SEEN = "seen"
    GONE = "gone"
    UNREADABLE = "unreadable"
    """The master, or one of its occurrences, could not be read."""


class Match(enum.StrEnum):
    """The Odoo recurrences that already hold an Outlook series no link covers."""

    NONE = "none"
    ONE = "one"
    SEVERAL = "several"


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkState:
    """The series link: who the owner is in the series, and each side's shape and state at
    the last sync (``local_base``: the recurrence's id, rule and zone)."""

    organizer: bool
    remote_base: SeriesShape | None
    local_base: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Local:
    """The Odoo recurrence now: ``present=False`` when it is gone (no active event left);
    ``shape`` ``None`` when Outlook cannot repeat its rule."""

    present: bool
    state: Mapping[str, Any] | None = None
    shape: SeriesShape | None = None


GONE_LOCALLY = Local(present=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """One occurrence edited in Odoo since the last sync: its base's Odoo values, and now."""

    before: EventValues
    after: EventValues


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesPlan:
    """What to do; ``settled``: the series needs no further look this run. ``fields`` and
    ``values``: what a series-wide edit sends; ``response``: what a series-wide reply says."""

    steps: tuple[Step, ...]
    settled: bool = True
    fields: frozenset[str] = frozenset()
    values: EventValues | None = None
    response: str | None = None


NOTHING = SeriesPlan(steps=(), settled=False)


def _do(*steps: Step, settled: bool = True) -> SeriesPlan:
    return SeriesPlan(steps=steps, settled=settled)


def from_outlook(
    link: LinkState | None,
    remote: Remote,
    remote_shape: SeriesShape | None,
    local: Local = GONE_LOCALLY,
    *,
    match: Match = Match.NONE,
) -> SeriesPlan:
    """A series Outlook's delta named. ``link``: ``None`` for a series not linked yet: what
    decides then is how many Odoo recurrences already hold it (``match``), not ``local``."""
    if remote is Remote.UNREADABLE:
        return _do(Step.HOLD)
    if link is None:
        return _unlinked(remote, match)
    if remote is Remote.GONE:
        return _do(Step.REMOVE_LOCAL if local.present else Step.FORGET)
    if not local.present or remote_shape == link.remote_base:
        return _do(Step.PAIR, settled=False) if local.present else NOTHING
    if remote_shape != local.shape:
        return _do(Step.REBUILD_LOCAL)
    return _do(Step.REPAIR)


def _unlinked(remote: Remote, match: Match) -> SeriesPlan:
    if remote is Remote.GONE:
        return _do()
    if match is Match.SEVERAL:
        return _do(Step.HOLD)
    return _do(Step.PAIR if match is Match.ONE else Step.CREATE_LOCAL)


def from_odoo(
    link: LinkState,
    local: Local,
    edits: Sequence[Edit] | None,
    policy: Policy,
    *,
    owner_email: str,
) -> SeriesPlan:
    """The Odoo side of a linked series Outlook's side left to look at. ``edits``: one per
    occurrence when every occurrence was edited in Odoo since the last sync, else ``None``."""
    pushes = policy.push is not PushScope.NONE
    if not local.present:
        if not pushes:
            return _do(Step.FORGET)
        return _do(Step.REMOVE_REMOTE if link.organizer else Step.DECLINE_REMOTE)
    if local.state != link.local_base:
        return _reshaped_in_odoo(link, local, pushes=pushes)
    if not edits or not pushes:
        return NOTHING
    if link.organizer:
        return _series_wide_edit(edits)
    return _series_wide_reply(edits, owner_email)


def _reshaped_in_odoo(link: LinkState, local: Local, *, pushes: bool) -> SeriesPlan:
    if local.shape is None:
        return _do(Step.HOLD)
    if pushes and link.organizer and local.shape != link.remote_base:
        return _do(Step.REBUILD_REMOTE)
    return _do(Step.REPAIR)


def _series_wide_edit(edits: Sequence[Edit]) -> SeriesPlan:
    """The same edit on every occurrence (Odoo's "all events" edit of a title, a place, the
    attendees...) goes as one edit of the master, not one exception (and one update mail) per
    occurrence."""
    changes = set()
    for edit in edits:
        fields = changed_fields(edit.before, edit.after)
        if same_values(edit.before, edit.after, {"attendees"}):
            fields -= {"attendees"}  # only answers changed: each goes on its own
        changes.add(frozenset(fields))
    fields = changes.pop()
    first = edits[0].after
    if (
        changes
        or not fields
        or not fields <= SERIES_WIDE_FIELDS
        or any(not same_values(edit.after, first, fields) for edit in edits)
    ):
        return NOTHING
    return SeriesPlan(steps=(Step.EDIT_REMOTE,), fields=fields, values=first)


def _series_wide_reply(edits: Sequence[Edit], owner_email: str) -> SeriesPlan:
    """The owner's same new answer on every occurrence of a series they attend (Odoo's "all
    events" answer) goes as one answer to the series, not one per occurrence."""
    if any(changed_fields(edit.before, edit.after) != {"attendees"} for edit in edits):
        return NOTHING
    answers = {
        (response_of(edit.before, owner_email), response_of(edit.after, owner_email))
        for edit in edits
    }
    before, answer = answers.pop()
    if answers or before == answer or answer not in ANSWERS:
        return NOTHING
    return SeriesPlan(steps=(Step.REPLY_REMOTE,), response=answer)


def sends_new_series(policy: Policy, *, resuming: bool) -> bool:
    """Whether a run may create series masters at all: not under ``PushScope.NONE``, and not
    when Outlook was read in part (it may still hold them: they go once it was read whole)."""
    return policy.push is not PushScope.NONE and not resuming


def new_in_odoo(
    values: EventValues,
    last_stop: datetime,
    *,
    repeatable: bool,
    held: bool,
    policy: Policy,
    now: datetime,
    resuming: bool,
) -> SeriesPlan:
    """An Odoo recurrence of the user no link covers (``values``: its first event's;
    ``last_stop``: when its last event ends, naive UTC like ``now``; ``held``: an ambiguous
    pairing holds it; ``resuming``: Outlook was read in part, it may still hold it).
    ``values`` of the plan: what the master is created with."""
    if held or not sends_new_series(policy, resuming=resuming):
        return _do()
    if policy.push is PushScope.FUTURE and last_stop < now:
        return _do()
    if not repeatable:
        return _do(Step.SINGLES)
    pushed = series_pushed(values, policy)
    if pushed is None:
        return _do()
    return SeriesPlan(steps=(Step.CREATE_REMOTE,), values=pushed)


def same_values(one: EventValues, other: EventValues, fields: set[str] | frozenset[str]) -> bool:
    """Whether two ``EventValues`` agree on ``fields`` (attendees: on who, not on answers)."""
    for name in fields:
        if name == "attendees":
            if {a.email for a in one.attendees} != {a.email for a in other.attendees}:
                return False
        elif getattr(one, name) != getattr(other, name):
            return False
    return True


def response_of(values: EventValues, email: str) -> str | None:
    """The answer of the attendee ``email`` in ``values`` (``None`` when not invited)."""
    return next((a.response for a in values.attendees if a.email == email), None)
