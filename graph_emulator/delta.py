"""``calendarView/delta``: rounds of pages linked by skip tokens, ending with a delta token.

A round's content is fixed when it starts (the events to send, in order); pages never split a
series (master, occurrences and exceptions travel together, so a page can exceed
``odata.maxpagesize``, as with Graph). Later rounds send what changed after the previous round
started: events now in the window in full, anything else (deleted, moved out, or created outside
the window) as ``@removed``. Tokens live server-side so they can be expired (410).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from . import events as ev
from .errors import GraphError
from .store import Mailbox, Store

MAX_STATES = 20_000


@dataclass
class RoundState:
    """Where a client is: the window, the sequence its last round started at, what is left.

    ``mailbox`` holds the events; ``reader`` is the mailbox the tokens were issued to when it
    is another one (a calendar shared with it), empty otherwise.
    """

    mailbox: str
    calendar_id: str | None
    start: datetime
    end: datetime
    base_seq: int
    snap_seq: int
    pending: list[tuple[str, str]] = field(default_factory=list)
    initial: bool = False
    generation: int = 0
    reader: str = ""

    @property
    def holder(self) -> str:
        """The mailbox whose tokens these are (``expire`` and the token check use it)."""
        return self.reader or self.mailbox


def sync_state_not_found() -> GraphError:
    """Graph's 410 for an unknown, expired or reset token."""
    return GraphError(
        410,
        "SyncStateNotFound",
        "The sync state generation is not found; generation=0;[highest=0].",
    )


def _delta_item(rendered: dict[str, Any]) -> dict[str, Any]:
    """A delta page's item: every event there carries its ``@odata.type``, as the pages of
    learn.microsoft.com "Get incremental changes to events in a calendar view" show."""
    return {"@odata.type": "#microsoft.graph.event", **rendered}


class DeltaTracker:
    """Issues and resolves skip/delta tokens; ``expire(mailbox)`` makes old ones answer 410.
    ``omit_early_masters``: a series that began before the window comes without its master
    (its occurrences and exceptions still come, with their ``seriesMasterId``), as other Graph
    integrations report; Graph's docs never promise the master in delta."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.states: OrderedDict[str, RoundState] = OrderedDict()
        self.generations: dict[str, int] = {}
        self.omit_early_masters = False

    def expire(self, mailbox: str) -> None:
        """Invalidate every token of a mailbox."""
        with self.lock:
            key = mailbox.lower()
            self.generations[key] = self.generations.get(key, 0) + 1

    def reset(self) -> None:
        """Forget every token; masters are sent again."""
        with self.lock:
            self.states.clear()
            self.generations.clear()
            self.omit_early_masters = False

    def _save(self, state: RoundState) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            state.generation = self.generations.get(state.holder.lower(), 0)
            self.states[token] = state
            while len(self.states) > MAX_STATES:
                self.states.popitem(last=False)
        return token

    def _load(self, token: str, box: Mailbox) -> RoundState:
        with self.lock:
            state = self.states.get(token)
            if (
                state is None
                or state.holder.lower() != box.address.lower()
                or state.generation != self.generations.get(state.holder.lower(), 0)
            ):
                raise sync_state_not_found()
            self.states.move_to_end(token)
            return state

    def start_round(
        self,
        box: Mailbox,
        calendar_id: str | None,
        start: datetime,
        end: datetime,
        reader: Mailbox | None = None,
    ) -> RoundState:
        """A first round: every event with a row in the window, by start; ``reader``: the
        mailbox asking, when ``box`` shared the calendar with it."""
        with self.store.lock:
            rows: list[tuple[datetime, str]] = []
            for item in self.store.list_events(box, calendar_id or box.default_calendar.id):
                in_window = self.store.rows_in_window(item, start, end)
                if in_window:
                    rows.append((min(r.start for r in in_window), item.id))
            rows.sort()
            return RoundState(
                box.address,
                calendar_id,
                start,
                end,
                0,
                box.seq,
                [("event", eid) for _, eid in rows],
                True,
                reader=reader.address if reader is not None and reader is not box else "",
            )

    def resume(self, box: Mailbox, skip: str | None, delta: str | None) -> RoundState:
        """The round a skip token continues, or the next round after a delta token; ``box``
        is the mailbox the token was issued to."""
        if skip is not None:
            return self._load(skip, box)
        previous = self._load(delta or "", box)
        with self.store.lock:
            home = self.store.mailbox(previous.mailbox)
            changed, deleted = self.store.changes_since(
                home, previous.calendar_id, previous.snap_seq
            )
            pending = [("event", e.id) for e in sorted(changed, key=lambda e: e.seq)] + [
                ("removed", i) for i in deleted
            ]
            return RoundState(
                previous.mailbox,
                previous.calendar_id,
                previous.start,
                previous.end,
                previous.snap_seq,
                home.seq,
                pending,
                reader=previous.reader,
            )

    def page(
        self, state: RoundState, page_size: int, opts: ev.RenderOptions
    ) -> tuple[list[dict[str, Any]], str, bool]:
        """Render one page; returns (items, token for the next link, is it the delta link)."""
        items: list[dict[str, Any]] = []
        sparse = ev.RenderOptions(opts.tz_name, opts.body_text, sparse_occurrences=True)
        taken = 0
        with self.store.lock:
            box = self.store.mailbox(state.mailbox)
            for kind, event_id in state.pending:
                if len(items) >= page_size:
                    break
                taken += 1
                item = box.events.get(event_id) if kind == "event" else None
                rows = self.store.rows_in_window(item, state.start, state.end) if item else []
                if not rows:
                    if not state.initial:
                        items.append(
                            {
                                "@odata.type": "#microsoft.graph.event",
                                "id": event_id,
                                "@removed": {"reason": "deleted"},
                            }
                        )
                    continue
                if item.recurrence and not (self.omit_early_masters and item.start < state.start):
                    items.append(_delta_item(ev.render(ev.view_of(item), sparse)))
                items.extend(_delta_item(ev.render(row, sparse)) for row in rows)
        rest = state.pending[taken:]
        if rest:
            nxt = replace(state, pending=rest, generation=0)
            return items, self._save(nxt), False
        done = replace(state, pending=[], initial=False, generation=0)
        return items, self._save(done), True
