"""services.quota: a mailbox's quota spent at its rate, with a fake clock."""

import threading

import pytest

from services.quota import RATE_MARGIN, MailboxQuota, Pacer, quota_from_settings


class Clock:
    def __init__(self):
        self.now = 1_000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 6))
        self.now += seconds


QUOTA = MailboxQuota(requests=100, period=10, burst=20)


def pacer(clock, **kwargs):
    return Pacer(QUOTA, clock=clock, sleep=clock.sleep, **kwargs)


RATE = 10 * (1 - RATE_MARGIN)


def spend(pacer_, *costs):
    for cost in costs:
        with pacer_.spending(cost):
            pass


def test_microsofts_quota_is_ten_thousand_requests_in_ten_minutes_a_batch_at_once():
    quota = MailboxQuota()
    assert (quota.requests, quota.period, quota.burst) == (10_000, 600, 20)
    assert quota.rate == pytest.approx(16.67, abs=0.01)


def throttled(clock, **kwargs):
    """A pacer Graph has just throttled, its bucket refilled since."""
    paced = pacer(clock, **kwargs)
    paced.throttled()
    clock.now += 20 / RATE
    return paced


def test_until_graph_throttles_nothing_waits():
    clock = Clock()
    paced = pacer(clock)

    spend(paced, 20, 20, 20, 1)

    assert clock.slept == []
    assert paced.state_to_keep() is None


def test_once_throttled_the_bucket_is_empty_and_refills_at_the_rate():
    clock = Clock()
    paced = pacer(clock)
    paced.throttled()

    spend(paced, 1)

    assert clock.slept == [pytest.approx(1 / RATE)]


def test_a_burst_goes_at_once_and_what_follows_at_the_rate():
    clock = Clock()
    paced = throttled(clock)

    spend(paced, 20, 1, 1)

    assert clock.slept == [round(1 / RATE, 6)] * 2


def test_a_run_after_a_throttled_one_paces_from_its_start():
    clock = Clock()
    first = throttled(clock)
    spend(first, 20)
    kept = first.state_to_keep()

    spend(pacer(clock, full_at=kept), 20)

    assert kept == first.full_at
    assert clock.slept == [pytest.approx(20 / RATE)]


def test_a_run_long_after_a_throttled_one_starts_free():
    clock = Clock()
    first = throttled(clock)
    spend(first, 20)
    clock.now += 60

    spend(pacer(clock, full_at=first.full_at), 20, 20)

    assert clock.slept == []


def test_a_cost_above_the_burst_leaves_once_the_bucket_is_full():
    clock = Clock()
    paced = throttled(clock)
    spend(paced, 5)

    spend(paced, 30)

    assert clock.slept == [pytest.approx(5 / RATE)]
    assert paced.full_at == pytest.approx(clock.now + 30 / RATE)


def test_a_request_short_of_tokens_waits_for_those_in_flight_to_be_answered():
    clock = Clock()
    paced = throttled(clock)
    answered, left = threading.Event(), []

    def second():
        with paced.spending(1):
            left.append(answered.is_set())

    with paced.spending(20):
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.2)
        assert thread.is_alive()
        answered.set()
    thread.join(5)

    assert left == [True]


def test_a_quota_must_admit_something():
    with pytest.raises(ValueError):
        MailboxQuota(requests=0)


def test_the_administrators_quota_is_read_and_nonsense_keeps_microsofts():
    assert quota_from_settings("600", "60", "5") == MailboxQuota(requests=600, period=60, burst=5)
    assert quota_from_settings(None, "", None) == MailboxQuota()
    assert quota_from_settings("lots", "60", "5") == MailboxQuota()
    assert quota_from_settings("600", "-1", "5") == MailboxQuota()


def test_a_throttled_run_keeps_its_state_and_a_paced_one_only_what_it_still_owes():
    clock = Clock()
    throttled_run = throttled(clock)
    assert throttled_run.state_to_keep() == throttled_run.full_at
    clock.now += 5
    paced = pacer(clock, full_at=throttled_run.full_at)
    spend(paced, 1)
    assert paced.state_to_keep() is None

    spend(paced, 5)

    assert paced.state_to_keep() == paced.full_at
