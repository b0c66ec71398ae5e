"""Pairing: which unlinked Outlook events and Odoo events are already the same event.

People arrive with their calendar on both sides: copied by hand, synced before by Odoo's own
``microsoft_calendar``, or synced by this addon before a reinstall or a reconnection. Copying
those events again would duplicate them and make Exchange email their attendees, so before the
sync copies anything, ``pair`` binds them one to one, trying in turn:

1. our extended property (``mapping.odoo_ref``: this database created the Outlook event);
2. the iCalUId (another mailbox's link already knows the Odoo event by it);
3. the same meeting: normalized subject (casefolded, whitespace collapsed), same start and end,
   same all-day flag (``meeting_key``).

Nothing is guessed: when one candidate could pair with two on the other side (two identical Odoo
events for one Outlook event, or the reverse), none of them is paired; they are reported in
``Pairing.ambiguous`` and the caller leaves them alone (neither imported nor exported) until the
user decides. Occurrences of a recurring series never pair with single events.

A pair has no base yet: the planner (``reconcile.plan``, ``SyncItem.paired``) merges its two
sides under the account's who-wins policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from .mapping import odoo_ref
from .values import EventValues


class PairedBy(str, Enum):
    """Which rule paired two events."""

    PROPERTY = "property"
    ICAL_UID = "ical_uid"
    MEETING = "meeting"


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalCandidate:
    """An Odoo event that no link of this mailbox covers: ``ical_uids`` are the iCalUIds other
    mailboxes' links know it by; ``in_series`` says it belongs to a recurrence."""

    event_id: int
    values: EventValues
    ical_uids: frozenset[str] = frozenset()
    in_series: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteCandidate:
    """An Outlook event of this mailbox that no link covers (``odoo_ref``: our property)."""

    graph_id: str
    values: EventValues
    ical_uid: str = ""
    odoo_ref: str | None = None
    in_series: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Pair:
    event_id: int
    graph_id: str
    by: PairedBy


@dataclass(frozen=True, slots=True, kw_only=True)
class Ambiguity:
    """Candidates that match each other but not one to one: none of them is paired."""

    name: str
    by: PairedBy
    event_ids: tuple[int, ...]
    graph_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pairing:
    """What ``pair`` found: ``pairs`` to link, ``ambiguous`` to leave alone and report."""

    pairs: tuple[Pair, ...] = ()
    ambiguous: tuple[Ambiguity, ...] = ()

    @property
    def held_event_ids(self) -> frozenset[int]:
        """Odoo events of an ambiguity: not to be sent to Outlook until the user decides."""
        return frozenset(event_id for amb in self.ambiguous for event_id in amb.event_ids)

    @property
    def held_graph_ids(self) -> frozenset[str]:
        """Outlook events of an ambiguity: not to be imported until the user decides."""
        return frozenset(graph_id for amb in self.ambiguous for graph_id in amb.graph_ids)


def normalize_subject(subject: str) -> str:
    """Casefolded, whitespace collapsed: "Weekly  Sync " and "weekly sync" are one subject."""
    return " ".join(subject.casefold().split())


def meeting_key(values: EventValues) -> Hashable:
    """What two copies of one meeting share: subject (normalized), all-day flag, start, end."""
    when: tuple[datetime | date | None, ...] = (
        (values.start_date, values.stop_date) if values.allday else (values.start, values.stop)
    )
    return (normalize_subject(values.name), values.allday, *when)


def pair(
    local: Iterable[LocalCandidate], remote: Iterable[RemoteCandidate], *, database_uuid: str
) -> Pairing:
    """Pair ``local`` and ``remote`` one to one: by our property, then iCalUId, then meeting."""
    local_left = {candidate.event_id: candidate for candidate in local}
    remote_left = {candidate.graph_id: candidate for candidate in remote}
    pairs: list[Pair] = []
    ambiguous: list[Ambiguity] = []

    def match(by: PairedBy, local_keys: dict[int, list[Hashable]], remote_keys: dict) -> None:
        locals_by_key: dict[Hashable, list[int]] = defaultdict(list)
        remotes_by_key: dict[Hashable, list[str]] = defaultdict(list)
        for event_id, keys in local_keys.items():
            for key in keys:
                locals_by_key[key].append(event_id)
        for graph_id, key in remote_keys.items():
            remotes_by_key[key].append(graph_id)
        for key in sorted(remotes_by_key.keys() & locals_by_key.keys(), key=repr):
            event_ids = [i for i in locals_by_key[key] if i in local_left]
            graph_ids = [g for g in remotes_by_key[key] if g in remote_left]
            if not event_ids or not graph_ids:
                continue
            if len(event_ids) == 1 and len(graph_ids) == 1:
                pairs.append(Pair(event_id=event_ids[0], graph_id=graph_ids[0], by=by))
            else:
                ambiguous.append(
                    Ambiguity(
                        name=remote_left[graph_ids[0]].values.name,
                        by=by,
                        event_ids=tuple(sorted(event_ids)),
                        graph_ids=tuple(sorted(graph_ids)),
                    )
                )
            for event_id in event_ids:
                del local_left[event_id]
            for graph_id in graph_ids:
                del remote_left[graph_id]

    match(
        PairedBy.PROPERTY,
        {i: [odoo_ref(database_uuid, i)] for i in local_left},
        {g: c.odoo_ref for g, c in remote_left.items() if c.odoo_ref},
    )
    match(
        PairedBy.ICAL_UID,
        {i: sorted(c.ical_uids) for i, c in local_left.items()},
        {g: c.ical_uid for g, c in remote_left.items() if c.ical_uid},
    )
    # Series are paired series to series (by their pattern and first occurrence): an
    # occurrence never pairs with a single event.
    match(
        PairedBy.MEETING,
        {i: [meeting_key(c.values)] for i, c in local_left.items() if not c.in_series},
        {
            g: meeting_key(c.values)
            for g, c in remote_left.items()
            if not c.in_series and not c.values.is_cancelled
        },
    )
    return Pairing(pairs=tuple(pairs), ambiguous=tuple(ambiguous))
