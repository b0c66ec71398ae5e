"""The planner: from each binding's base, Odoo side and Outlook side, decide what to do.

Pure, like vdirsyncer's ``_get_actions``: ``plan`` reads values and returns a ``Plan``; the
Graph client and the Odoo shell carry it out. One ``ItemPlan`` per binding that needs anything
(a write, a new base, a dirty flag to clear) holds that binding's actions and the base to store
once *all* of them succeeded; if one fails, the shell keeps the old base and the dirty flag, and
the next run plans the binding again (per-item rollback).

Rules, per binding (``base`` = what each side held after the last sync):

- Changed on one side only: the other side is updated, only the changed fields.
- Changed on both sides, different fields: both kept. Same field: the policy picks the winner
  (``newest`` by default: the side modified last; ties and unknown times go to Outlook), the
  loser is recorded in ``Plan.conflicts``. Start, stop, all-day, dates and zone merge as one
  unit (``when``); attendees merge one attendee at a time.
- A new pair (``SyncItem.paired``: ``services.pairing`` found the two sides are one event,
  they have no base yet): each field they hold differently is a conflict the policy's winner
  takes (an attendee's link takes the organizer's Outlook values); attendees, reminders,
  read-only Graph fields, a time zone label and a body that differs only in markup stay as
  each side has them, so a pair costs no write that would mail anyone.
- New on one side: created on the other (Odoo -> Outlook only as the policy's push scope allows;
  Outlook's cancelled copies are never imported). On both sides without a base and not a new
  pair (a re-match after a resync, or another user's copy found by iCalUId): never created
  twice, and Outlook's version of each differing field is kept whatever the policy (Odoo's
  copy came from Outlook or was never synced with this one; writing it back would email an
  update).
- Gone on one side and unchanged on the other: deleted there (Outlook: ``DeleteRemote`` when the
  mailbox owner organizes the event, else ``DeclineRemote``). Gone on one side but edited on the
  other: the edit wins and the event is created again. Cancelled in Outlook: archived in Odoo.
- An attendee's link (``organizer=False``) never pushes details; it pushes only the owner's
  reply (``RespondRemote``) and pulls the organizer's changes.
- Export only (``Policy(pull=False)``): nothing is written to Odoo. Outlook holds a copy of
  Odoo: an edit made there is overwritten with Odoo's values, a copy deleted there is created
  again, an event deleted in Odoo is deleted there; events only in Outlook are left alone.
- Private Odoo events (``Policy.private``): ``skip`` never creates them in Outlook, ``busy``
  creates a busy block (subject "Busy", no body, location, attendees, categories, importance or
  online meeting) that stays one, its
  details never pushed nor its placeholders pulled. An event already in Outlook that becomes
  private in Odoo becomes such a block under both.
- Read-only Graph fields (``PULL_ONLY_FIELDS``) and attendees' replies of an organizer's meeting
  are pulled, never pushed; in a calendar that does not track replies
  (``Policy.responses_tracked``) they are not pulled either: Odoo's answer of an attendee it
  knows stays.

Items are keyed by ``ItemKey(event, occurrence)``: ``occurrence`` (the original start) leaves room
for the occurrences of a recurring series beside their master.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from .pairing import meeting_key
from .values import (
    PULL_ONLY_FIELDS,
    SYNCED_FIELDS,
    WHEN_FIELDS,
    Attendee,
    EventValues,
    Response,
    SyncBase,
    changed_fields,
)

Side = Literal["odoo", "outlook"]

_UNITS: tuple[tuple[str, ...], ...] = (
    WHEN_FIELDS,
    *((name,) for name in SYNCED_FIELDS if name not in WHEN_FIELDS and name != "attendees"),
)

_LEFT_AS_THEY_ARE = frozenset({"attendees", "reminder_minutes"}) | PULL_ONLY_FIELDS
"""Fields a new pair keeps as each side has them: attendee lists (as after a first sync that
pushed no attendees: sending them would mail everyone), reminders (Outlook gives every event its
default reminder, which is no edit, and an Odoo alarm rings for every attendee), and the
read-only Graph fields."""

_PAIR_UNITS = tuple(unit for unit in _UNITS if _LEFT_AS_THEY_ARE.isdisjoint(unit))
"""What a new pair merges."""

_UNSEEN = re.compile(r"<(head|style|script)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


class Winner(str, Enum):
    """Who wins when both sides changed the same field, or a new pair holds it differently."""

    NEWEST = "newest"
    ODOO = "odoo"
    OUTLOOK = "outlook"
    FIRST_SYNC = "first_sync"
    """A first sync's: Outlook's edit wins a field changed on both sides since the last sync
    (links kept from before the account synced as new), the newest a new pair's field."""


class PushScope(str, Enum):
    """Which Odoo events may be written to Outlook (the safe first sync choices)."""

    ALL = "all"
    FUTURE = "future"
    """Create in Outlook only events that end after ``now``; edits of linked events still go."""
    NONE = "none"
    """Import only: nothing is ever written to Outlook."""


class PrivateEvents(str, Enum):
    """What Outlook gets of an Odoo event marked private that the mailbox owner organizes."""

    SYNC = "sync"
    """Everything, like any other event."""
    BUSY = "busy"
    """A busy block: its time, subject "Busy", no body, location or attendees."""
    SKIP = "skip"
    """Nothing: it is never created in Outlook."""


BUSY_SUBJECT = "Busy"
BUSY_HIDDEN_FIELDS = (
    "name",
    "description_html",
    "location",
    "attendees",
    "importance",
    "categories",
    "online_meeting",
)
"""What a busy block keeps in Odoo only."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Per-account choices; ``push_attendees=False`` creates Outlook copies without attendees
    (no invitation mail) and never pushes attendee changes; ``pull=False`` (export only) never
    writes Odoo and makes Outlook follow Odoo; ``private`` says what private events become.
    ``responses_tracked=False``: the calendar does not track the answers to the owner's
    meetings (Graph's ``isTallyingResponses``, false but for the primary calendar), so Outlook's
    attendee answers there are not news: Odoo keeps its own."""

    conflicts: Winner = Winner.NEWEST
    push: PushScope = PushScope.ALL
    push_attendees: bool = True
    pull: bool = True
    private: PrivateEvents = PrivateEvents.SYNC
    responses_tracked: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemKey:
    """Identity of a binding within a run: ``event`` is the caller's id of the event or series
    (e.g. the link id); ``occurrence`` the original start of one occurrence of a series."""

    event: str
    occurrence: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncItem:
    """Everything the planner needs about one binding.

    ``local``/``remote`` are ``None`` when the event is gone on that side (archived or deleted in
    Odoo; deletion in Outlook confirmed by a GET, not a bare ``@removed``). ``local_dirty`` is the
    link's dirty flag: without it the Odoo side counts as unchanged. ``organizer`` says the
    mailbox owner organizes this event (the link may push details and delete); ``owner_email``
    is the mailbox owner's address (whose reply an attendee link pushes). ``organizer_syncs``
    (an attendee's link): the organizer syncs this event through a link of their own, which
    merges the organizer's Odoo edits with their Outlook ones; this link then leaves a field
    changed on both sides to it (it would overwrite the Odoo edit with no conflict logged).
    ``paired``: a new pair, found on both sides by ``services.pairing``, to merge without a
    base under the policy's winner.
    """

    key: ItemKey
    base: SyncBase | None = None
    local: EventValues | None = None
    local_dirty: bool = False
    local_modified: datetime | None = None
    remote: EventValues | None = None
    remote_modified: datetime | None = None
    organizer: bool = True
    owner_email: str = ""
    organizer_syncs: bool = False
    paired: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateRemote:
    """Create the event in Outlook with ``values``; ``recreate``: its former copy was deleted
    there (bump the ``transactionId`` generation)."""

    key: ItemKey
    values: EventValues
    recreate: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateLocal:
    """Create the event in Odoo (or reactivate the binding's archived event) with ``values``."""

    key: ItemKey
    values: EventValues


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateRemote:
    """PATCH ``fields`` of ``values`` (``mapping.to_graph(values, fields)``) with ``If-Match``."""

    key: ItemKey
    fields: frozenset[str]
    values: EventValues


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateLocal:
    """Write ``fields`` of ``values`` to the Odoo event (without setting the dirty flag)."""

    key: ItemKey
    fields: frozenset[str]
    values: EventValues


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRemote:
    """Delete the owner's Outlook event (the owner organizes it)."""

    key: ItemKey


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclineRemote:
    """Decline the meeting in the owner's mailbox (the owner only attends it)."""

    key: ItemKey


@dataclass(frozen=True, slots=True, kw_only=True)
class RespondRemote:
    """Send the owner's reply (accept, tentatively accept, decline) to an attended meeting."""

    key: ItemKey
    response: Response


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveLocal:
    """The event is gone from Outlook: archive it in Odoo (or, when other users' links still
    hold it, only drop the owner's participation: the shell knows which)."""

    key: ItemKey


Action = (
    CreateRemote
    | CreateLocal
    | UpdateRemote
    | UpdateLocal
    | DeleteRemote
    | DeclineRemote
    | RespondRemote
    | ArchiveLocal
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemPlan:
    """One binding's actions and the base to store after they all succeed (``None``: drop the
    link). The Odoo side of the stored base should be read back after the writes, the Outlook
    side taken from Graph's answers; ``base`` holds the expected values."""

    key: ItemKey
    actions: tuple[Action, ...]
    base: SyncBase | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Conflict:
    """The same field changed on both sides, or held differently by a new pair; ``field`` is a
    field name, ``when`` or ``attendee:<email>``; the values are what each side had."""

    key: ItemKey
    field: str
    local_value: Any
    remote_value: Any
    winner: Side


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemError:
    """A binding the planner could not decide; the rest of the run goes on."""

    key: ItemKey
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Result of ``plan``: ``items`` needing work, ``conflicts`` resolved, ``errors`` skipped."""

    items: tuple[ItemPlan, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    errors: tuple[ItemError, ...] = ()

    @property
    def actions(self) -> tuple[Action, ...]:
        """Every action of every item, in item order."""
        return tuple(action for item in self.items for action in item.actions)

    @property
    def is_empty(self) -> bool:
        """Nothing to write and no base to store: the quiet sync."""
        return not self.items


def plan(items: Iterable[SyncItem], policy: Policy, now: datetime) -> Plan:
    """Decide every binding of ``items`` under ``policy``; ``now`` dates the push scope."""
    items = tuple(items)
    counts: dict[ItemKey, int] = {}
    for item in items:
        counts[item.key] = counts.get(item.key, 0) + 1
    planned: list[ItemPlan] = []
    conflicts: list[Conflict] = []
    errors: list[ItemError] = []
    for item in items:
        if counts[item.key] > 1:
            errors.append(ItemError(key=item.key, reason="the same binding appears twice"))
            continue
        item_conflicts: list[Conflict] = []
        try:
            result = _plan_item(item, policy, now, item_conflicts)
        except ValueError as error:
            errors.append(ItemError(key=item.key, reason=str(error)))
            continue
        conflicts.extend(item_conflicts)
        if result.actions or result.base != item.base or item.local_dirty:
            planned.append(result)
    return Plan(items=tuple(planned), conflicts=tuple(conflicts), errors=tuple(errors))


def _plan_item(
    item: SyncItem, policy: Policy, now: datetime, conflicts: list[Conflict]
) -> ItemPlan:
    local, remote = item.local, item.remote
    if remote is not None and remote.is_cancelled:
        archive = () if local is None or not policy.pull else (ArchiveLocal(key=item.key),)
        return ItemPlan(key=item.key, actions=archive, base=None)
    if local is None and remote is None:
        return ItemPlan(key=item.key, actions=(), base=None)
    if local is None:
        assert remote is not None
        return _plan_local_gone(item, remote, policy)
    if remote is None:
        return _plan_remote_gone(item, local, policy, now)
    if item.paired and item.base is None:
        item = _pair_base(item, local, remote, policy, conflicts)
    if _is_busy_block(item, local, policy):
        return _merge_busy_block(item, local, remote, policy=policy, conflicts=conflicts)
    return _merge(item, local, remote, policy=policy, conflicts=conflicts)


def _pair_base(
    item: SyncItem,
    local: EventValues,
    remote: EventValues,
    policy: Policy,
    conflicts: list[Conflict],
) -> SyncItem:
    """The new pair ``item`` with a base: for each merged unit the two sides hold differently,
    the loser's value, so that the merge sends the winner's across; the Odoo side counts as
    edited when it won a unit."""
    winner = _winner(item, policy)
    base_local: dict[str, Any] = {}
    base_remote: dict[str, Any] = {}
    differing = False
    for unit in _PAIR_UNITS:
        if _same(local, remote, unit):
            continue
        differing = True
        loser = remote if winner == "odoo" else local
        values = {name: getattr(loser, name) for name in unit}
        base_local.update(values)
        base_remote.update(values)
        conflicts.append(_conflict(item, unit, local, remote, winner))
    return dataclasses.replace(
        item,
        base=SyncBase(local=local.replace(**base_local), remote=remote.replace(**base_remote)),
        local_dirty=differing and winner == "odoo",
    )


def _same(local: EventValues, remote: EventValues, unit: tuple[str, ...]) -> bool:
    """Whether a new pair's two sides hold ``unit`` alike, as a reader sees it."""
    if unit == WHEN_FIELDS:
        # The same instants labelled with another zone are the same meeting: rewriting the time
        # of a meeting makes Exchange email its attendees.
        return meeting_key(local)[1:] == meeting_key(remote)[1:]
    (name,) = unit
    if name == "description_html":
        return body_text(local.description_html) == body_text(remote.description_html)
    return getattr(local, name) == getattr(remote, name)


def body_text(description_html: str) -> str:
    """The words of an HTML body: what a reader sees, whatever markup each side wraps it in."""
    visible = _TAG.sub(" ", _UNSEEN.sub(" ", description_html))
    return " ".join(html.unescape(visible).split())


def _plan_local_gone(item: SyncItem, remote: EventValues, policy: Policy) -> ItemPlan:
    """New in Outlook, or deleted in Odoo (restored when Outlook edited it meanwhile)."""
    if not policy.pull and item.base is None:
        return ItemPlan(key=item.key, actions=(), base=None)
    if policy.pull and (item.base is None or changed_fields(item.base.remote, remote)):
        return ItemPlan(
            key=item.key,
            actions=(CreateLocal(key=item.key, values=remote),),
            base=SyncBase(local=remote, remote=remote),
        )
    if policy.push is PushScope.NONE:
        return ItemPlan(key=item.key, actions=(), base=None)
    removal = DeleteRemote(key=item.key) if item.organizer else DeclineRemote(key=item.key)
    return ItemPlan(key=item.key, actions=(removal,), base=None)


def _plan_remote_gone(
    item: SyncItem, local: EventValues, policy: Policy, now: datetime
) -> ItemPlan:
    """New in Odoo, or deleted in Outlook (created again when Odoo edited it meanwhile)."""
    may_create = item.organizer and policy.push is not PushScope.NONE
    if _is_private(local, policy) and policy.private is PrivateEvents.SKIP:
        may_create = item.base is not None and may_create
    if item.base is None:
        if not (may_create and _in_push_scope(local, policy, now)):
            return ItemPlan(key=item.key, actions=(), base=None)
    elif not policy.pull and not may_create:
        return ItemPlan(key=item.key, actions=(), base=None)
    elif policy.pull and not (
        may_create and item.local_dirty and changed_fields(item.base.local, local)
    ):
        return ItemPlan(key=item.key, actions=(ArchiveLocal(key=item.key),), base=None)
    pushed = local if policy.push_attendees else local.replace(attendees=())
    if _is_private(local, policy):
        pushed = busy_block(pushed)
    return ItemPlan(
        key=item.key,
        actions=(CreateRemote(key=item.key, values=pushed, recreate=item.base is not None),),
        base=SyncBase(local=local, remote=pushed),
    )


def _merge(
    item: SyncItem,
    local: EventValues,
    remote: EventValues,
    *,
    policy: Policy,
    conflicts: list[Conflict],
) -> ItemPlan:
    """Three-way merge of a binding present on both sides (two-way when there is no base)."""
    winner = _winner(item, policy)
    new_local, new_remote = _merge_units(
        item,
        local,
        remote,
        pushes=item.organizer and policy.push is not PushScope.NONE,
        pull=policy.pull,
        winner=winner,
        conflicts=conflicts,
    )
    local_attendees, remote_attendees = _merge_attendees(
        item, local, remote, winner=winner, policy=policy, conflicts=conflicts
    )
    target_local = local.replace(**new_local, attendees=local_attendees)
    target_remote = remote.replace(**new_remote, attendees=remote_attendees)
    actions: list[Action] = []
    local_fields = changed_fields(local, target_local)
    if local_fields:
        actions.append(UpdateLocal(key=item.key, fields=local_fields, values=target_local))
    remote_fields = changed_fields(remote, target_remote) - PULL_ONLY_FIELDS
    if remote_fields and item.organizer:
        actions.append(UpdateRemote(key=item.key, fields=remote_fields, values=target_remote))
    elif remote_fields:
        reply = _response(target_remote, item.owner_email)
        actions.append(RespondRemote(key=item.key, response=reply))
    base = SyncBase(local=target_local, remote=target_remote)
    return ItemPlan(key=item.key, actions=tuple(actions), base=base)


def _merge_units(
    item: SyncItem,
    local: EventValues,
    remote: EventValues,
    *,
    pushes: bool,
    pull: bool,
    winner: Side,
    conflicts: list[Conflict],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Field values to write on each side, unit by unit (every field but the attendees)."""
    base = item.base
    new_local: dict[str, Any] = {}
    new_remote: dict[str, Any] = {}
    for unit in _UNITS:
        local_value, remote_value = _unit(local, unit), _unit(remote, unit)
        if not pull:
            # Export only: Outlook follows Odoo.
            local_changed, remote_changed = local_value != remote_value, False
        elif base is None:
            # Never synced together: a difference is a conflict for the organizer's link, and
            # the organizer's (Outlook) values for an attendee's link, which cannot push them.
            local_changed = local_value != remote_value and item.organizer
            remote_changed = local_value != remote_value
        else:
            local_changed = item.local_dirty and local_value != _unit(base.local, unit)
            remote_changed = remote_value != _unit(base.remote, unit)
        if item.organizer_syncs and remote_changed and (local_changed or base is None):
            continue  # the organizer's own link merges it, and logs the conflict
        local_changed = local_changed and pushes and PULL_ONLY_FIELDS.isdisjoint(unit)
        if local_changed and remote_changed and local_value != remote_value:
            conflicts.append(_conflict(item, unit, local, remote, winner))
            local_changed, remote_changed = winner == "odoo", winner == "outlook"
        if local_changed and not remote_changed:
            new_remote.update(zip(unit, local_value, strict=True))
            if (
                unit == WHEN_FIELDS
                and pull
                and base is not None
                and local.timezone == base.local.timezone
                and remote.timezone == base.remote.timezone
            ):
                # A new time, not a new zone: the event keeps the zone it has in Outlook (the
                # user's) on both sides; Odoo's single events have none of their own.
                new_remote["timezone"] = new_local["timezone"] = remote.timezone
        elif remote_changed and not local_changed:
            new_local.update(zip(unit, remote_value, strict=True))
    return new_local, new_remote


def _merge_attendees(
    item: SyncItem,
    local: EventValues,
    remote: EventValues,
    *,
    winner: Side,
    policy: Policy,
    conflicts: list[Conflict],
) -> tuple[tuple[Attendee, ...], tuple[Attendee, ...]]:
    """Per attendee: what Odoo and Outlook should hold. Pushable local changes are additions
    and removals (organizer link) or the owner's reply (attendee link); Outlook's changes of
    any kind are pulled."""
    owner = item.owner_email.strip().lower()
    base = item.base
    by_side = [
        {a.email: a for a in side.attendees}
        for side in (
            local,
            remote,
            base.local if base else local,
            base.remote if base else remote,
        )
    ]
    locals_, remotes, base_locals, base_remotes = by_side
    may_push = policy.push is not PushScope.NONE and (policy.push_attendees or not item.organizer)
    target_local: dict[str, Attendee] = {}
    target_remote: dict[str, Attendee] = {}
    for email in sorted(set().union(*by_side)):
        mine, theirs = locals_.get(email), remotes.get(email)
        if base is None or not policy.pull:
            local_changed, remote_changed = _unsynced_attendee_changes(
                item, policy, owner=owner, email=email, mine=mine, theirs=theirs
            )
        else:
            local_changed = item.local_dirty and _differs(mine, base_locals.get(email))
            remote_changed = _differs(theirs, base_remotes.get(email))
        if local_changed:
            local_changed = may_push and _pushable(item, email, local.organizer_email, mine, theirs)
        chosen_local, chosen_remote = mine, theirs
        if local_changed and remote_changed and _differs(mine, theirs):
            conflicts.append(
                Conflict(
                    key=item.key,
                    field=f"attendee:{email}",
                    local_value=mine,
                    remote_value=theirs,
                    winner=winner,
                )
            )
            if winner == "odoo":
                chosen_remote = _pushed(item, mine, theirs)
            else:
                chosen_local = theirs
        elif local_changed and not remote_changed:
            chosen_remote = _pushed(item, mine, theirs)
        elif remote_changed and not local_changed:
            chosen_local = theirs
        if (
            not policy.responses_tracked
            and item.organizer
            and email != owner
            and mine is not None
            and chosen_local is not None
        ):
            chosen_local = dataclasses.replace(chosen_local, response=mine.response)
        if chosen_local is not None:
            target_local[email] = chosen_local
        if chosen_remote is not None:
            target_remote[email] = chosen_remote
    return tuple(target_local.values()), tuple(target_remote.values())


def _unsynced_attendee_changes(
    item: SyncItem,
    policy: Policy,
    *,
    owner: str,
    email: str,
    mine: Attendee | None,
    theirs: Attendee | None,
) -> tuple[bool, bool]:
    """(changed in Odoo, changed in Outlook) for an attendee without a base to compare with,
    or under export only (Outlook follows Odoo)."""
    differs = _differs(mine, theirs)
    if not policy.pull:
        return differs, False
    if not item.organizer and email != owner:
        return False, False
    return differs, differs


def _pushable(
    item: SyncItem, email: str, organizer: str, mine: Attendee | None, theirs: Attendee | None
) -> bool:
    """Whether a local change of one attendee can be written to Outlook by this link: an
    addition or removal (never of the organizer, who is not an Outlook attendee) by the
    organizer's link, or the owner's own reply by an attendee's link."""
    if item.organizer:
        return (mine is None) != (theirs is None) and email != organizer
    return email == item.owner_email.strip().lower() and mine is not None and theirs is not None


def _pushed(item: SyncItem, mine: Attendee | None, theirs: Attendee | None) -> Attendee | None:
    """The Outlook entry after pushing the Odoo one: added/removed by the organizer, or the
    owner's reply on an attended meeting."""
    if item.organizer or mine is None or theirs is None:
        return mine
    return Attendee(email=theirs.email, name=theirs.name, response=mine.response, kind=theirs.kind)


def _differs(one: Attendee | None, other: Attendee | None) -> bool:
    if one is None or other is None:
        return (one is None) != (other is None)
    return one.response != other.response or one.name != other.name


def _response(values: EventValues, owner_email: str) -> Response:
    owner = owner_email.strip().lower()
    for attendee in values.attendees:
        if attendee.email == owner:
            return attendee.response
    raise ValueError("the mailbox owner is not among the attendees")


def _winner(item: SyncItem, policy: Policy) -> Side:
    """Who wins ``item``'s conflicts: the policy's, but for an item found on both sides
    without a base."""
    if item.paired and not item.organizer:
        # An attendee's new pair: the organizer's Outlook values are the meeting's, and this
        # link cannot push details anyway.
        return "outlook"
    if item.base is None and item.organizer and not item.paired:
        # Never synced together (a meeting imported through an attendee's mailbox, a lost create
        # answer, links forgotten): the differences are Outlook's normalisation or its
        # organizer's, not edits of this user, and sending Odoo's would email an update. (An
        # attendee's link pushes only the owner's answer, given in Odoo or in Outlook: newest.)
        return "outlook"
    rule = policy.conflicts
    if rule is Winner.FIRST_SYNC:
        rule = Winner.NEWEST if item.paired else Winner.OUTLOOK
    if rule is Winner.ODOO:
        return "odoo"
    if rule is Winner.OUTLOOK:
        return "outlook"
    if item.local_modified and item.remote_modified and item.local_modified > item.remote_modified:
        return "odoo"
    return "outlook"


def busy_block(values: EventValues) -> EventValues:
    """What Outlook shows of a private event: its time, and nothing that says what it is."""
    return values.replace(
        name=BUSY_SUBJECT,
        description_html="",
        location="",
        attendees=(),
        importance="normal",
        categories=(),
        online_meeting=False,
    )


def series_pushed(values: EventValues, policy: Policy) -> EventValues | None:
    """What a new Odoo series sends to Outlook under ``policy`` (``None``: nothing). Busy blocks
    are not made of series yet: a private series is not sent under ``busy`` or ``skip``."""
    if policy.push is PushScope.NONE or _is_private(values, policy):
        return None
    return values if policy.push_attendees else values.replace(attendees=())


def _is_private(values: EventValues, policy: Policy) -> bool:
    return policy.private is not PrivateEvents.SYNC and values.privacy == "private"


def _is_busy_block(item: SyncItem, local: EventValues, policy: Policy) -> bool:
    """Whether the Outlook copy is (or must become) a busy block: we created it as one, or the
    event was made private in Odoo since the last sync. A private event that came from Outlook
    keeps its details there: they are the user's own."""
    base = item.base
    if base is None or not item.organizer or not _is_private(local, policy):
        return False
    created_as_block = base.remote.name == BUSY_SUBJECT != base.local.name
    made_private = item.local_dirty and base.local.privacy != "private"
    return created_as_block or made_private


def _merge_busy_block(
    item: SyncItem,
    local: EventValues,
    remote: EventValues,
    *,
    policy: Policy,
    conflicts: list[Conflict],
) -> ItemPlan:
    """Merge as if Outlook held Odoo's details (so its placeholders are never pulled), then
    push the busy block of the result."""
    assert item.base is not None

    def with_details(values: EventValues, details: EventValues) -> EventValues:
        return values.replace(**{name: getattr(details, name) for name in BUSY_HIDDEN_FIELDS})

    base = SyncBase(local=item.base.local, remote=with_details(item.base.remote, item.base.local))
    view = dataclasses.replace(item, base=base, remote=with_details(remote, local))
    merged = _merge(view, local, view.remote, policy=policy, conflicts=conflicts)
    assert merged.base is not None
    target_remote = busy_block(merged.base.remote)
    actions: list[Action] = [a for a in merged.actions if isinstance(a, UpdateLocal)]
    remote_fields = changed_fields(remote, target_remote) - PULL_ONLY_FIELDS
    if remote_fields:
        actions.append(UpdateRemote(key=item.key, fields=remote_fields, values=target_remote))
    return ItemPlan(
        key=item.key,
        actions=tuple(actions),
        base=SyncBase(local=merged.base.local, remote=target_remote),
    )


def _in_push_scope(values: EventValues, policy: Policy, now: datetime) -> bool:
    if policy.push is PushScope.ALL:
        return True
    if values.allday:
        assert values.stop_date is not None
        return values.stop_date >= now.date()
    assert values.stop is not None
    return values.stop > now


def _unit(values: EventValues, unit: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(values, name) for name in unit)


def _conflict(
    item: SyncItem, unit: tuple[str, ...], local: EventValues, remote: EventValues, winner: Side
) -> Conflict:
    """The conflict on ``unit`` of ``item``, as each side holds it."""
    return Conflict(
        key=item.key,
        field="when" if unit == WHEN_FIELDS else unit[0],
        local_value=_describe(local, unit),
        remote_value=_describe(remote, unit),
        winner=winner,
    )


def _describe(values: EventValues, unit: tuple[str, ...]) -> Any:
    """What ``values`` hold of ``unit``, for a conflict: the value, or the unit's set fields."""
    if len(unit) == 1:
        return getattr(values, unit[0])
    return {name: getattr(values, name) for name in unit if getattr(values, name) is not None}
