"""Request counters, injected faults and the Outlook throttling model.

Throttling follows docs-contrib ``concepts/throttling-limits.md`` (Outlook service limits):
10,000 requests per 10 minutes and 4 concurrent requests per app and mailbox, with ``$batch``
items counted one by one; over the limit Graph answers 429 with ``Retry-After``.

The rate is enforced as a token bucket (Exchange's budgets are buckets that recharge), not as
a count over a sliding window: a window of 10,000 lets a burst of 10,000 through at once, so a
1,000-item export would never feel the limit, while a bucket refilled at 10,000 / 600 s ≈ 16.7
tokens a second paces it. Microsoft publishes no burst size; the bucket holds one full
``$batch`` (20 items) by default, the smallest burst that lets a paced client send a whole
batch without a 429, so the documented rate alone bounds a long run: N items need at least
(N - 20) / 16.7 seconds.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from .clock import Clock
from .errors import GraphError
from .wire import Response

FAULT_KINDS = (
    "status",
    "status_after",
    "drop_before",
    "drop_after",
    "delay",
    "delay_after",
    "rewrite",
)
STATUS_CODES = {
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
STATUS_MESSAGES = {
    429: "Please retry again later.",
    503: "The service is temporarily unavailable.",
    500: "An internal server error occurred.",
    502: "Bad gateway.",
    504: "The gateway timed out.",
}


@dataclass
class Fault:
    """What to do to the next ``count`` matching requests."""

    kind: str
    count: int = 1
    method: str | None = None
    path_contains: str | None = None
    status: int | None = None
    retry_after: float | str | None = None
    delay: float | None = None
    body: str | None = None
    edits: dict[str, dict[str, Any]] | None = None
    append: list[Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.kind in ("status", "status_after") and self.status is None:
            self.status = 503
        if self.kind in ("delay", "delay_after") and self.delay is None:
            raise ValueError(f"a {self.kind} fault needs delay=<seconds>")
        if self.kind == "rewrite" and self.body is None and not self.edits and not self.append:
            raise ValueError("a rewrite fault needs body=, edits= or append=")

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path_contains is None or self.path_contains in path
        )

    def rewrite(self, reply: Response) -> Response:
        """A ``rewrite`` fault's version of ``reply``: ``body`` replaces it with raw text (bad
        JSON), else each event of the reply (itself or its ``value`` items) whose id ``edits``
        names gets ``set`` properties and loses ``unset`` ones, and ``append`` adds raw items
        to ``value`` (what a broken or hostile Graph could send)."""
        if self.body is not None:
            return Response(reply.status, self.body.encode("utf-8"), dict(reply.headers))
        payload = reply.payload()
        if not isinstance(payload, dict):
            return reply
        items = payload["value"] if isinstance(payload.get("value"), list) else [payload]
        for item in items:
            edit = (self.edits or {}).get(item.get("id")) if isinstance(item, dict) else None
            if edit:
                item.update(edit.get("set") or {})
                for name in edit.get("unset") or ():
                    item.pop(name, None)
        if self.append:
            payload.setdefault("value", []).extend(self.append)
        return Response.json(reply.status, payload, dict(reply.headers))

    def error(self) -> GraphError:
        """The Graph error a ``status`` fault answers with."""
        status = self.status or 503
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return GraphError(
            status,
            STATUS_CODES.get(status, "UnknownError"),
            STATUS_MESSAGES.get(status, "Injected failure."),
            headers,
        )

    def error_after_applying(self) -> Response:
        """What a ``status_after`` fault answers once the request was applied: a 503 as
        recorded from Graph for a PATCH it had applied (``text/plain``, empty body), any other
        status in Graph's error shape."""
        err = self.error()
        if err.status == 503:
            return Response(503, b"", {**err.headers, "Content-Type": "text/plain"})
        return Response.json(err.status, err.body(), err.headers)


# Tokens the bucket holds when full: one full ``$batch`` (its 20-item limit). See the module doc.
DEFAULT_BURST = 20


@dataclass
class ThrottleConfig:
    """Outlook's limits per app and mailbox (Microsoft's numbers by default).

    ``requests`` per ``window_seconds`` is the bucket's refill rate; ``burst`` its size (capped
    at ``requests``, so a small test quota keeps its meaning: ``requests=3`` admits 3 at once).
    """

    enabled: bool = False
    requests: int = 10_000
    window_seconds: float = 600.0
    concurrency: int = 4
    burst: int = DEFAULT_BURST

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self.requests / self.window_seconds

    @property
    def capacity(self) -> float:
        """Tokens a full bucket holds."""
        return float(max(1, min(self.burst, self.requests)))


@dataclass
class Bucket:
    """One (app, mailbox)'s tokens as of ``updated``; starts full."""

    tokens: float
    updated: datetime

    def refill(self, now: datetime, cfg: ThrottleConfig) -> None:
        """Add the tokens earned since ``updated``, up to the bucket's capacity."""
        elapsed = max((now - self.updated).total_seconds(), 0.0)
        self.tokens = min(cfg.capacity, self.tokens + elapsed * cfg.rate)
        self.updated = now

    def seconds_to_next_token(self, cfg: ThrottleConfig) -> float:
        """How long until one whole token is there (0 if one already is)."""
        return max(1.0 - self.tokens, 0.0) / cfg.rate


class Traffic:
    """Counts requests, hands out faults and enforces the throttling model."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.throttle = ThrottleConfig()
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._in_flight: Counter = Counter()
        self.reset_counters()

    def reset_counters(self) -> None:
        """Zero every counter (faults and throttle state are cleared by ``reset``)."""
        with self.lock:
            self.total = 0
            self.writes = 0
            self.http_requests = 0
            self.throttled = 0
            self.faults_applied = 0
            self.by_mailbox: Counter = Counter()
            self.by_method: Counter = Counter()
            self.identity_by_path: Counter = Counter()
            self.by_path: Counter = Counter()
            self.by_status: Counter = Counter()

    def reset(self) -> None:
        """Counters, faults and throttling back to the start."""
        self.reset_counters()
        with self.lock:
            self.faults.clear()
            self.throttle = ThrottleConfig()
            self._buckets.clear()
            self._in_flight.clear()

    # --- faults ----------------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> Fault:
        """Queue a fault; see ``GraphEmulator.inject_fault``."""
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str, on_socket: bool) -> Fault | None:
        """Consume one use of the first matching fault (drops only apply to real connections)."""
        with self.lock:
            for fault in self.faults:
                if (
                    fault.count > 0
                    and fault.matches(method, path)
                    and (on_socket or not fault.kind.startswith("drop"))
                ):
                    fault.count -= 1
                    self.faults_applied += 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def pending_faults(self) -> list[dict[str, Any]]:
        """Faults still queued."""
        with self.lock:
            return [asdict(f) for f in self.faults]

    # --- counting --------------------------------------------------------------------------
    def count(self, mailbox: str | None, method: str, path_template: str) -> None:
        """Count one Graph request (a ``$batch`` item counts as one)."""
        with self.lock:
            self.total += 1
            self.by_method[method] += 1
            self.by_path[f"{method} {path_template}"] += 1
            if mailbox:
                self.by_mailbox[mailbox] += 1
            if method in ("POST", "PATCH", "PUT", "DELETE"):
                self.writes += 1

    def count_status(self, status: int) -> None:
        """Count a reply status."""
        with self.lock:
            self.by_status[str(status)] += 1

    def count_http(self, method: str, path: str) -> None:
        """Count one request on the wire; identity platform requests also by path (the tenant
        in the path shows which authority a client used)."""
        with self.lock:
            self.http_requests += 1
            if not path.startswith("/v1.0"):
                self.identity_by_path[f"{method} {path}"] += 1

    def counters(self) -> dict[str, Any]:
        """A snapshot of every counter."""
        with self.lock:
            return {
                "total": self.total,
                "writes": self.writes,
                "http_requests": self.http_requests,
                "throttled": self.throttled,
                "faults_applied": self.faults_applied,
                "by_mailbox": dict(self.by_mailbox),
                "by_method": dict(self.by_method),
                "by_path": dict(self.by_path),
                "identity_by_path": dict(self.identity_by_path),
                "by_status": dict(self.by_status),
            }

    # --- throttling ------------------------------------------------------------------------
    def admit(self, client_id: str, mailbox: str) -> None:
        """Take a token and a concurrency slot for (app, mailbox), or answer 429.

        A refused request takes neither, so retrying costs the client nothing but the round trip.
        """
        with self.lock:
            cfg = self.throttle
            if not cfg.enabled:
                return
            key = (client_id, mailbox.lower())
            bucket = self._bucket(key, cfg)
            if bucket.tokens < 1.0:
                wait = bucket.seconds_to_next_token(cfg)
                raise self._throttled("MailboxRateLimit", wait)
            if self._in_flight[key] >= cfg.concurrency:
                raise self._throttled("MailboxConcurrency", 1.0)
            bucket.tokens -= 1.0
            self._in_flight[key] += 1

    def concurrency_limit(self) -> int | None:
        """Requests Graph runs at once per mailbox, throttling on; None when it is off."""
        with self.lock:
            return self.throttle.concurrency if self.throttle.enabled else None

    def refuse_concurrent(self) -> Response:
        """Graph's answer to a request beyond the mailbox's concurrent ones (counted)."""
        with self.lock:
            err = self._throttled("MailboxConcurrency", 1.0)
        return Response.json(err.status, err.body(), err.headers)

    def _bucket(self, key: tuple[str, str], cfg: ThrottleConfig) -> Bucket:
        """The key's bucket, refilled up to now (a new one starts full). Caller holds the lock."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(cfg.capacity, now)
        bucket.refill(now, cfg)
        return bucket

    def _throttled(self, limit: str, wait: float) -> GraphError:
        """Count a 429 and build it. ``Retry-After`` is whole seconds, as Graph sends it
        (rounded up, at least 1), so a client that honours it finds its token there."""
        self.throttled += 1
        return GraphError(
            429,
            "ApplicationThrottled",
            f"Application is over its {limit} limit.",
            {"Retry-After": str(max(1, math.ceil(wait - 1e-9)))},
        )

    def release(self, client_id: str, mailbox: str) -> None:
        """Give back the concurrency slot taken by ``admit``."""
        with self.lock:
            key = (client_id, mailbox.lower())
            if self.throttle.enabled and self._in_flight[key] > 0:
                self._in_flight[key] -= 1
