"""Writing Outlook: an outbox of event writes sent together through ``$batch``, each answer
classified.

The caller queues writes under its own keys (a key may carry several writes: a PATCH then a
reply), sends them in one go and branches on each ``Outcome.result``; no request, URL, header or
status code reaches it. Writes go in the order they were queued, through
``GraphClient.batch`` (its retry and relaxing rules apply: see ``services.graph``).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from .errors import GraphError, Throttled
from .graph import REPLY_ACTIONS, BatchRequest, BatchResult, GraphClient

Kind = Literal["create", "update", "delete", "respond"]


class Result(str, Enum):
    """What became of one write."""

    WRITTEN = "written"
    CONFLICT = "conflict"
    """412: the event changed since the change key sent; re-read it."""
    THROTTLED = "throttled"
    """429: Graph ran nothing; send it again after ``Outcome.retry_after``."""
    GONE = "gone"
    """404/410: the event is no longer in the mailbox."""
    UNCONFIRMED = "unconfirmed"
    """503/504 (or a gateway timeout): Graph may have run it all the same; read the event
    back before sending it again."""
    REFUSED = "refused"
    """Any other error: Graph refused the write."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to one queued write: ``answer`` is Graph's answer body when it was written
    and has one (the created or updated event), ``error`` the typed error otherwise."""

    key: Hashable
    kind: Kind
    result: Result
    answer: dict[str, Any] | None
    error: GraphError | None
    retry_after: float = 0.0

    @property
    def ok(self) -> bool:
        return self.result is Result.WRITTEN


@dataclass(frozen=True, slots=True)
class _Write:
    key: Hashable
    kind: Kind
    method: Literal["POST", "PATCH", "DELETE"]
    url: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None


class Outbox:
    """Event writes of one mailbox, queued then sent together. ``calendar_id``: the calendar
    creates go to (the mailbox's default calendar without one); the other writes reach an event
    by its id, under the client's calendar scope."""

    def __init__(self, graph: GraphClient, calendar_id: str | None = None) -> None:
        self._graph = graph
        self._calendar_id = calendar_id or None
        self._writes: list[_Write] = []

    def __len__(self) -> int:
        return len(self._writes)

    def create(self, key: Hashable, body: dict[str, Any]) -> None:  # pylint: disable=method-required-super
        """Create an event from ``body`` (``mapping.create_payload``)."""
        url = self._graph.events_path(self._calendar_id)
        self._writes.append(_Write(key, "create", "POST", url, body))

    def update(
        self,
        key: Hashable,
        graph_id: str,
        body: dict[str, Any],
        *,
        change_key: str | None = None,
        any_version: bool = False,
    ) -> None:
        """PATCH ``body`` onto the event: only while it is at ``change_key`` when given
        (``If-Match: W/"<change_key>"``), whatever its version with ``any_version``
        (``If-Match: *``), without a precondition otherwise."""
        if change_key and any_version:
            raise ValueError("an update is either at a change key or at any version")
        if change_key:
            headers = {"If-Match": f'W/"{change_key}"'}
        elif any_version:
            headers = {"If-Match": "*"}
        else:
            headers = None
        url = self._graph.event_path(graph_id)
        self._writes.append(_Write(key, "update", "PATCH", url, body, headers))

    def delete(self, key: Hashable, graph_id: str) -> None:
        """Delete the event (the organizer's delete mails the attendees a cancellation)."""
        self._writes.append(_Write(key, "delete", "DELETE", self._graph.event_path(graph_id)))

    def respond(self, key: Hashable, graph_id: str, response: str) -> None:
        """Answer a meeting the owner attends, mailing the organizer: ``response`` in Odoo's
        ``accepted``, ``tentative`` or ``declined``."""
        action = REPLY_ACTIONS.get(response)
        if action is None:
            raise ValueError(f"cannot reply {response!r}")
        url = self._graph.event_path(graph_id, action)
        self._writes.append(_Write(key, "respond", "POST", url, {"sendResponse": True}))

    def send(self) -> list[Outcome]:
        """Send everything queued, in order, and empty the queue: one ``Outcome`` per write."""
        writes, self._writes = self._writes, []
        if not writes:
            return []
        requests_ = [
            BatchRequest(
                id=str(index),
                method=write.method,
                url=write.url,
                body=write.body,
                headers=write.headers or {},
            )
            for index, write in enumerate(writes)
        ]
        results = self._graph.batch(requests_)
        return [_outcome(write, result) for write, result in zip(writes, results, strict=True)]


def _outcome(write: _Write, result: BatchResult) -> Outcome:
    if result.ok:
        answer = result.body if isinstance(result.body, dict) else None
        return Outcome(write.key, write.kind, Result.WRITTEN, answer, None)
    error = result.error()
    if result.status == 429:
        retry_after = error.retry_after if isinstance(error, Throttled) else 0.0
        return Outcome(write.key, write.kind, Result.THROTTLED, None, error, retry_after)
    if result.outcome_unknown:
        return Outcome(write.key, write.kind, Result.UNCONFIRMED, None, error)
    if result.status == 412:
        return Outcome(write.key, write.kind, Result.CONFLICT, None, error)
    if result.status in (404, 410):
        return Outcome(write.key, write.kind, Result.GONE, None, error)
    return Outcome(write.key, write.kind, Result.REFUSED, None, error)
