"""Pacing one mailbox's Graph requests under Outlook's quota, so that throttling is avoided
rather than only obeyed.

Microsoft publishes Outlook's limit as 10,000 API requests per 10 minutes per app and mailbox,
each request of a ``$batch`` counted on its own
(https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits), and asks clients
to stay under the limits, not only to honour ``Retry-After``
(https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling). How much of
the 10 minutes' budget may be spent at once is not published. So a pacer spends freely until
Graph first answers 429 (its ``Retry-After`` obeyed by the client); from then on it spends the
quota at the published rate, at most ``MailboxQuota.burst`` (one full ``$batch`` by default, an
assumption) at once, and its callers meet no further 429 while the work lasts.

Pacing is a token bucket kept as the moment it is full again (the generic cell rate
algorithm): a request of ``cost`` items waits until the bucket holds them, and the moment it is
full again moves ``cost / rate`` seconds on. Graph counts a request when it runs, somewhere
between its sending and its answer, not when the client took its tokens: so a request short of
tokens also waits until the requests in flight are answered. The moment the bucket is full
again is all the state there is, so the caller keeps it from a throttled run to the next ones
(``state_to_keep``): a run that starts within the quota's period after it paces itself from its
start instead of meeting a 429 again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

RATE_MARGIN = 0.01
"""The share of the published rate a pacer leaves unspent: Graph's count of elapsed time and
ours never agree to the microsecond, and a bucket one token short answers 429."""


@dataclass(frozen=True, slots=True)
class MailboxQuota:
    """Requests Graph admits per app and mailbox: ``requests`` per ``period`` seconds, at most
    ``burst`` of them at once."""

    requests: int = 10_000
    period: float = 600.0
    burst: int = 20

    def __post_init__(self) -> None:
        if self.requests < 1 or self.period <= 0 or self.burst < 1:
            raise ValueError(
                f"not a quota: {self.requests} requests / {self.period} s, burst {self.burst}"
            )

    @property
    def rate(self) -> float:
        """Requests per second in the long run."""
        return self.requests / self.period


def quota_from_settings(
    requests: str | None, period: str | None, burst: str | None
) -> MailboxQuota:
    """The quota an administrator set (system parameters, as text); a value missing or not a
    positive number keeps Microsoft's."""
    default = MailboxQuota()
    try:
        return MailboxQuota(
            requests=int(requests) if requests else default.requests,
            period=float(period) if period else default.period,
            burst=int(burst) if burst else default.burst,
        )
    except ValueError:
        return default


class Pacer:
    """Spends one mailbox's quota; thread-safe (``$batch`` groups go in parallel).

    ``full_at``: the wall-clock second (``clock``'s) at which the bucket is full again, as a
    previous run kept it (``state_to_keep``); within the quota's period after it, this one paces
    from its start. ``None`` or an older moment: free until Graph throttles."""

    def __init__(
        self,
        quota: MailboxQuota,
        *,
        full_at: float | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._quota = quota
        self._rate = quota.rate * (1 - RATE_MARGIN)
        self._clock = clock
        self._sleep = sleep
        self._turns = threading.Condition()
        self._next_turn = self._turn = self._in_flight = 0
        self._full_at = full_at or 0.0
        self._paced = full_at is not None and full_at > clock() - quota.period
        self._throttled = False

    @property
    def full_at(self) -> float:
        """When the bucket is full again, given what was spent so far."""
        with self._turns:
            return self._full_at

    def state_to_keep(self) -> float | None:
        """``full_at`` for the runs to come if Graph throttled this one, or if it paces and more
        than one request's worth is still owed to the bucket; else None (nothing worth a write:
        a run that met no 429 leaves the last throttled run's moment to age out)."""
        with self._turns:
            owed = self._paced and self._full_at - self._clock() > 1 / self._rate
            return self._full_at if self._throttled or owed else None

    def throttled(self) -> None:
        """Graph answered 429: its bucket is empty now, and spending is paced from here on."""
        with self._turns:
            self._paced = self._throttled = True
            self._full_at = self._clock() + self._quota.burst / self._rate

    @contextmanager
    def spending(self, cost: int = 1) -> Iterator[None]:
        """Hold one request of ``cost`` items (a ``$batch``: its items) until the quota has room
        for it, then let it go; the block is the request in flight. Requests leave in the order
        they came. A cost above the burst leaves whole once the bucket is full, so one oversized
        call never blocks."""
        with self._turns:
            turn = self._next_turn
            self._next_turn += 1
            self._turns.wait_for(lambda: self._turn == turn)
        try:
            self._wait_for_room(cost)
        finally:
            with self._turns:
                self._turn += 1
                self._turns.notify_all()
        try:
            yield
        finally:
            with self._turns:
                self._in_flight -= 1
                self._turns.notify_all()

    def _wait_for_room(self, cost: int) -> None:
        """Wait (this request's turn held: nobody else takes tokens meanwhile) until its tokens
        are there, then take them. Short of tokens, it first lets the requests in flight be
        answered, so that all it waits for afterwards is tokens."""
        with self._turns:
            if not self._paced:
                self._in_flight += 1
                return
            wait = self._seconds_until_room(cost)
            if wait > 0:
                self._turns.wait_for(lambda: not self._in_flight)
                wait = self._seconds_until_room(cost)
        if wait > 0:
            self._sleep(wait)
        with self._turns:
            self._full_at = max(self._full_at, self._clock()) + cost / self._rate
            self._in_flight += 1

    def _seconds_until_room(self, cost: int) -> float:
        """How long until the bucket holds ``cost`` tokens (all of it, for a cost above the
        burst). Caller holds the lock."""
        now = self._clock()
        return max(self._full_at, now) + (cost - max(self._quota.burst, cost)) / self._rate - now
