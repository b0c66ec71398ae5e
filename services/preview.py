"""What the first-sync preview shows of a dry run: the planner's actions counted per choice,
and the messages Exchange would send for them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .reconcile import (
    Action,
    CreateLocal,
    CreateRemote,
    DeclineRemote,
    Plan,
    RespondRemote,
    UpdateLocal,
    UpdateRemote,
)
from .values import WHEN_FIELDS, EventValues

MAILED_FIELDS = frozenset({*WHEN_FIELDS, "location", "attendees"})
"""Changes of a meeting for which Exchange emails its attendees an update."""


class DryRun(Protocol):
    """What a dry run yields (``sync.run.DryRun``): the plan of single events and occurrences,
    and the values of the series it would create on each side."""

    @property
    def plan(self) -> Plan: ...

    @property
    def series_to_odoo(self) -> Sequence[object]: ...

    @property
    def series_to_outlook(self) -> Sequence[EventValues]: ...


def preview_key(mode: str, push_attendees: bool) -> str:
    """The preview's key of a first-sync choice."""
    return f"{mode}+attendees" if push_attendees else mode


def dry_run_counts(dry_run: DryRun) -> dict[str, int]:
    """What a sync would do, as the preview shows it (a series counts as one event, as in the
    sync log). ``invited`` counts the messages Exchange would send: an invitation to each
    attendee of an event created with attendees, an update to each attendee of a meeting whose
    time or place changes, a reply to the organizer."""
    actions = dry_run.plan.actions
    return {
        "to_odoo": sum(isinstance(a, CreateLocal) for a in actions) + len(dry_run.series_to_odoo),
        "to_outlook": sum(isinstance(a, CreateRemote) for a in actions)
        + len(dry_run.series_to_outlook),
        "invited": sum(emailed(a) for a in actions)
        + sum(len(values.attendees) for values in dry_run.series_to_outlook),
        "odoo_updated": sum(isinstance(a, UpdateLocal) for a in actions),
        "outlook_updated": sum(isinstance(a, UpdateRemote) for a in actions),
    }


def emailed(action: Action) -> int:
    """How many people Exchange emails when ``action`` is carried out."""
    if isinstance(action, CreateRemote):
        return len(action.values.attendees)
    if isinstance(action, UpdateRemote) and action.fields & MAILED_FIELDS:
        return len(action.values.attendees)
    return int(isinstance(action, (RespondRemote, DeclineRemote)))
