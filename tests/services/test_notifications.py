"""Reading Graph's notification collections, the clientState check, URL reachability, lifetime."""

from datetime import UTC, datetime, timedelta

import pytest

from services.errors import GraphError
from services.notifications import (
    MAX_LIFETIME,
    OLDER_MAX_LIFETIME,
    Notification,
    client_state_matches,
    expiry,
    lifetime_refused,
    needs_renewal,
    new_client_state,
    read_notifications,
    unreachable_reason,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_change_and_lifecycle_items_are_read():
    payload = {
        "value": [
            {
                "subscriptionId": "s1",
                "changeType": "updated",
                "clientState": "k",
                "resource": "Users/u/Events/e",
                "resourceData": {"id": "e"},
            },
            {"subscriptionId": "s1", "clientState": "k", "lifecycleEvent": "missed"},
        ]
    }

    assert list(read_notifications(payload)) == [
        Notification(subscription_id="s1", client_state="k", change_type="updated"),
        Notification(subscription_id="s1", client_state="k", lifecycle_event="missed"),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "value",
        {"value": "x"},
        {"value": [1, None, {"changeType": "updated"}]},
        {"value": [{"subscriptionId": 5, "changeType": "updated"}]},
        {"value": [{"subscriptionId": "s", "lifecycleEvent": "explode"}]},
        {"value": [{"subscriptionId": "s"}]},
    ],
)
def test_malformed_payloads_yield_nothing(payload):
    assert list(read_notifications(payload)) == []


def test_a_missing_client_state_reads_as_empty():
    (item,) = read_notifications({"value": [{"subscriptionId": "s", "changeType": "created"}]})
    assert item.client_state == ""


@pytest.mark.parametrize(
    ("expected", "given", "matches"),
    [
        ("abc", "abc", True),
        ("abc", "abd", False),
        ("abc", "", False),
        (None, "", False),
        ("", "", False),
    ],
)
def test_client_state_comparison(expected, given, matches):
    assert client_state_matches(expected, given) is matches


def test_new_client_states_are_long_random_and_fit_graph():
    states = {new_client_state() for _ in range(50)}
    assert len(states) == 50
    assert all(32 <= len(state) <= 128 for state in states)


def test_expiry_stays_inside_graph_maximum_and_renewal_starts_two_days_before():
    assert NOW < expiry(NOW) < NOW + MAX_LIFETIME
    assert not needs_renewal(expiry(NOW), NOW)
    assert not needs_renewal(NOW + timedelta(days=2, minutes=1), NOW)
    assert needs_renewal(NOW + timedelta(days=1, hours=23), NOW)
    assert needs_renewal(NOW - timedelta(minutes=1), NOW)
    assert expiry(NOW) - NOW > timedelta(days=6)


def test_the_older_maximum_gives_a_shorter_expiry_still_renewed_in_time():
    shorter = expiry(NOW, OLDER_MAX_LIFETIME)

    assert NOW + timedelta(days=2) < shorter < NOW + OLDER_MAX_LIFETIME
    assert not needs_renewal(shorter, NOW)
    assert needs_renewal(shorter, NOW + (shorter - NOW) / 2)


@pytest.mark.parametrize(
    ("status", "message", "refused"),
    [
        (400, "Subscription expiration can only be 4230 minutes in the future.", True),
        (400, "Subscription expiration must be in the future.", False),
        (400, "Subscription validation request failed.", False),
        (403, "Subscription expiration can only be 4230 minutes in the future.", False),
    ],
)
def test_only_graph_lifetime_refusal_counts_as_one(status, message, refused):
    assert lifetime_refused(GraphError(status, "ExtensionError", message)) is refused


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://odoo.example.com", None),
        ("https://odoo.example.com:8443/", None),
        ("https://203.0.113.9", "local_host"),  # documentation range: reserved, never routed
        ("https://8.8.8.8", None),
        ("http://odoo.example.com", "not_https"),
        ("", "not_https"),
        ("https://", "no_host"),
        ("https://localhost:8069", "local_host"),
        ("https://app.localhost", "local_host"),
        ("https://127.0.0.1:8069", "local_host"),
        ("https://[::1]:8069", "local_host"),
        ("https://10.1.2.3", "local_host"),
        ("https://192.168.1.20", "local_host"),
        ("https://169.254.0.5", "local_host"),
        ("https://odoo", "local_host"),
    ],
)
def test_unreachable_reason(url, reason):
    assert unreachable_reason(url) == reason
