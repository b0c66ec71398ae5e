"""Scheduling rules of the sync: how long one cron call may run, when an account syncs again
after a run, how long a failing account or event waits, and where a long first read of Outlook
stops. Pure: the caller passes the clock's readings and Odoo's limits in.

Odoo runs a cron job on one worker at a time (the worker holds the job's row lock), calls it
again while it reports work left, at most ``calls_per_run`` times in a row, and restarts a cron
worker that runs past its real-time limit. Several cron jobs running the same code ("lanes")
share the accounts; each call takes the next due account that no other worker holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

UNLIMITED_CALL_BUDGET = 60.0
"""Seconds one cron call may keep taking accounts when Odoo sets no real-time limit."""
SYNC_INTERVAL = timedelta(minutes=5)
"""An account syncs again this long after a successful run (the cron runs every 5 minutes,
local edits and Microsoft's notifications bring a sync forward)."""
MAX_BACKOFF = timedelta(hours=1)
"""The longest a failing account waits, unless Microsoft's ``Retry-After`` asks for longer."""
EVENT_RETRY_INTERVAL = timedelta(minutes=2)
"""An event whose change failed is tried again this long after, doubled at each failure in a
row; the other events sync meanwhile."""
EVENT_MAX_BACKOFF = timedelta(days=1)
"""The longest a failing event waits."""


def call_budget(limit_time_real: float, *, calls_per_run: int, lanes: int) -> float:
    """Seconds one cron call may keep taking accounts (it finishes the account it is on).

    A cron worker may run every lane's job in a row, each called up to ``calls_per_run`` times,
    within Odoo's real-time limit (``limit_time_real_cron``, else ``limit_time_real``; ≤ 0 is
    none): all those calls together get half of it, the other half is left for the last account
    of each call and for the other cron jobs.
    """
    if limit_time_real <= 0:
        return UNLIMITED_CALL_BUDGET
    return limit_time_real / (2 * max(calls_per_run, 1) * max(lanes, 1))


def backoff(
    failures: int, *, interval: timedelta, cap: timedelta, retry_after: float = 0.0
) -> timedelta:
    """How long an account waits after its ``failures``-th failed run in a row: the sync
    interval, doubled at each further failure, at most ``cap``; never less than Microsoft's
    ``Retry-After`` (seconds) when it was throttled."""
    doublings = min(max(failures - 1, 0), 32)
    return max(min(interval * 2**doublings, cap), timedelta(seconds=max(retry_after, 0.0)))


def event_retry_delay(failures: int) -> timedelta:
    """How long an event waits after its ``failures``-th failed write in a row."""
    return backoff(failures, interval=EVENT_RETRY_INTERVAL, cap=EVENT_MAX_BACKOFF)


def next_sync_at(
    started: datetime,
    *,
    failures: int = 0,
    retry_after: float = 0.0,
    read_unfinished: bool = False,
) -> datetime:
    """When an account whose run started at ``started`` syncs again.

    ``failures``: its failed runs in a row, this one included (0: the run succeeded), which
    back off from the sync interval; ``retry_after``: the seconds Microsoft asked it to wait
    (the whole run throttled, or some writes deferred by Outlook's quota); ``read_unfinished``:
    the run stopped a long first read at its page budget, so the account is due again at once,
    behind the accounts that waited longer (a big calendar is read in turns with the others).
    """
    if failures:
        return started + backoff(
            failures, interval=SYNC_INTERVAL, cap=MAX_BACKOFF, retry_after=retry_after
        )
    if retry_after > 0:
        return started + timedelta(seconds=retry_after)
    if read_unfinished:
        return started
    return started + SYNC_INTERVAL


class Page(Protocol):
    """What ``read_pages`` needs of a delta page (``services.graph.DeltaPage``)."""

    @property
    def delta_link(self) -> str | None: ...

    @property
    def next_link(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class PagesRead:
    """The pages one run read, and where the round goes on when it stopped before its end
    (``resume_link``: the last page's ``@odata.nextLink``; ``None`` once the round is over)."""

    pages: tuple[Page, ...]
    resume_link: str | None


def read_pages(pages: Iterable[Page], budget: int | None) -> PagesRead:
    """Read ``pages`` (a delta round, fetched lazily) until its last page or until ``budget``
    pages were read (``None``: no budget). Stopping never fetches the page after the budget: the
    next run asks for it with ``resume_link``."""
    read: list[Page] = []
    iterator: Iterator[Page] = iter(pages)
    for page in iterator:
        read.append(page)
        if page.delta_link:
            return PagesRead(pages=tuple(read), resume_link=None)
        if budget is not None and len(read) >= budget:
            return PagesRead(pages=tuple(read), resume_link=page.next_link)
    return PagesRead(pages=tuple(read), resume_link=None)
