"""The sync cron's rules: call budget, backoff, first reads stopped after a page budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from services.schedule import UNLIMITED_CALL_BUDGET, backoff, call_budget, read_pages

INTERVAL = timedelta(minutes=5)
CAP = timedelta(hours=1)


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
