"""The sync's scheduling rules: call budget, backoff, the next sync after a run, first reads
stopped after a page budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from services.schedule import (
    MAX_BACKOFF,
    SYNC_INTERVAL,
    UNLIMITED_CALL_BUDGET,
    backoff,
    call_budget,
    event_retry_delay,
    next_sync_at,
    read_pages,
)

INTERVAL = timedelta(minutes=5)
CAP = timedelta(hours=1)
STARTED = datetime(2026, 3, 2, 9, 0)


def test_call_budget_keeps_every_lane_of_a_worker_within_half_the_limit():
    budget = call_budget(120, calls_per_run=10, lanes=2)
    assert budget == 3.0
    assert budget * 10 * 2 <= 120 / 2


def test_call_budget_without_a_limit_is_bounded_all_the_same():
    assert call_budget(0, calls_per_run=10, lanes=2) == UNLIMITED_CALL_BUDGET
    assert call_budget(-1, calls_per_run=10, lanes=0) == UNLIMITED_CALL_BUDGET


@pytest.mark.parametrize(
    ("failures", "minutes"), [(1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (40, 60), (10**6, 60)]
)
def test_backoff_doubles_the_interval_up_to_the_cap(failures, minutes):
    assert backoff(failures, interval=INTERVAL, cap=CAP) == timedelta(minutes=minutes)


def test_backoff_never_comes_before_retry_after():
    assert backoff(1, interval=INTERVAL, cap=CAP, retry_after=900.5) == timedelta(seconds=900.5)
    assert backoff(1, interval=INTERVAL, cap=CAP, retry_after=7200) == timedelta(hours=2)
    assert backoff(2, interval=INTERVAL, cap=CAP, retry_after=30) == timedelta(minutes=10)


@pytest.mark.parametrize(("failures", "minutes"), [(1, 2), (2, 4), (3, 8), (10, 1024), (11, 1440)])
def test_a_failing_event_waits_two_minutes_doubled_up_to_a_day(failures, minutes):
    assert event_retry_delay(failures) == timedelta(minutes=minutes)


def test_a_successful_run_syncs_again_after_the_interval():
    assert next_sync_at(STARTED) == STARTED + SYNC_INTERVAL


def test_an_unfinished_first_read_is_due_again_at_once():
    assert next_sync_at(STARTED, read_unfinished=True) == STARTED


def test_writes_deferred_by_outlooks_quota_wait_for_its_retry_after():
    assert next_sync_at(STARTED, retry_after=30, read_unfinished=True) == STARTED + timedelta(
        seconds=30
    )


@pytest.mark.parametrize("failures", [1, 2, 3, 9])
def test_a_failed_run_backs_off_up_to_the_cap(failures):
    wait = next_sync_at(STARTED, failures=failures, read_unfinished=True) - STARTED
    assert wait == min(SYNC_INTERVAL * 2 ** (failures - 1), MAX_BACKOFF)


def test_a_throttled_run_waits_for_retry_after_when_longer_than_its_backoff():
    assert next_sync_at(STARTED, failures=1, retry_after=7200) == STARTED + timedelta(hours=2)
    assert next_sync_at(STARTED, failures=2, retry_after=60) == STARTED + 2 * SYNC_INTERVAL


@dataclass(frozen=True)
class Page:
    number: int
    delta_link: str | None = None
    next_link: str | None = None


def round_of(count, fetched):
    """A delta round of ``count`` pages, fetched lazily; ``fetched`` records each fetch."""
    for number in range(1, count + 1):
        fetched.append(number)
        last = number == count
        yield Page(
            number,
            delta_link="delta" if last else None,
            next_link=None if last else f"next-{number + 1}",
        )


def test_a_read_stops_at_its_budget_without_fetching_the_next_page():
    fetched = []
    read = read_pages(round_of(5, fetched), 2)
    assert [page.number for page in read.pages] == [1, 2]
    assert read.resume_link == "next-3"
    assert fetched == [1, 2]


def test_a_read_that_reaches_the_delta_link_is_complete():
    assert read_pages(round_of(2, []), 2).resume_link is None
    read = read_pages(round_of(3, []), None)
    assert [page.number for page in read.pages] == [1, 2, 3]
    assert read.resume_link is None


def test_an_empty_round_is_complete():
    assert read_pages([], 3) == read_pages([], None)
    assert read_pages([], 3).resume_link is None
