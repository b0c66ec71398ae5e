"""Graph change notifications, read and checked without Odoo.

A notification is a doorbell: it says *which subscription* saw a change, never what the event
now holds (the delta read that follows is the truth). This module reads the POSTed
``changeNotificationCollection``, checks ``clientState`` in constant time, tells whether a base
URL can receive Microsoft's calls at all, and fixes the subscription's lifetime and renewal
margin (docs-contrib ``concepts/includes/change-notifications-subscription-lifetime.md``:
10,080 minutes for Outlook events; ``change-notifications-lifecycle-events.md``). Older docs
gave 4,230 minutes, and tenants then refused more with a 400 "Subscription expiration can only
be 4230 minutes in the future." (microsoft-graph-docs #2988): ``lifetime_refused`` tells that
answer apart, and the caller asks again with ``OLDER_MAX_LIFETIME``.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from .errors import GraphError

MAX_LIFETIME = timedelta(minutes=10_080)
OLDER_MAX_LIFETIME = timedelta(minutes=4_230)
"""The maximum of Microsoft's older docs, for a tenant that refuses ``MAX_LIFETIME``."""
SKEW_MARGIN = timedelta(minutes=60)
"""What we ask for is the maximum less this, so clock skew never makes it a 400."""
RENEW_BEFORE = timedelta(days=2)
"""Renew a subscription that has less than this left (the renewal cron runs every hour)."""
REAUTHORIZATION_REQUIRED = "reauthorizationRequired"
"""Lifecycle event: the subscription must be renewed (its access is about to lapse)."""
SUBSCRIPTION_REMOVED = "subscriptionRemoved"
"""Lifecycle event: Graph dropped the subscription; create a new one (changes went unannounced)."""
MISSED = "missed"
"""Lifecycle event: some changes were not announced."""
LIFECYCLE_EVENTS = frozenset({REAUTHORIZATION_REQUIRED, SUBSCRIPTION_REMOVED, MISSED})


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """One item of a POSTed collection: ``lifecycle_event`` set for lifecycle notifications
    (one of ``LIFECYCLE_EVENTS``), ``change_type`` (``created``/``updated``/``deleted``) for
    change notifications."""

    subscription_id: str
    client_state: str
    change_type: str = ""
    lifecycle_event: str = ""


def read_notifications(payload: Any) -> Iterator[Notification]:
    """The well-formed items of ``{"value": [...]}``; anything else is skipped."""
    items = payload.get("value") if isinstance(payload, dict) else None
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or not isinstance(item.get("subscriptionId"), str):
            continue
        lifecycle = item.get("lifecycleEvent")
        change = item.get("changeType")
        if lifecycle is not None and lifecycle not in LIFECYCLE_EVENTS:
            continue
        if lifecycle is None and not isinstance(change, str):
            continue
        yield Notification(
            subscription_id=item["subscriptionId"],
            client_state=item.get("clientState")
            if isinstance(item.get("clientState"), str)
            else "",
            change_type=change if isinstance(change, str) and not lifecycle else "",
            lifecycle_event=lifecycle or "",
        )


def client_state_matches(expected: str | None, given: str) -> bool:
    """Constant-time comparison; a subscription without a stored secret matches nothing."""
    if not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def new_client_state() -> str:
    """A fresh secret for one subscription (43 characters; Graph allows 128)."""
    return secrets.token_urlsafe(32)


def expiry(now: datetime, maximum: timedelta = MAX_LIFETIME) -> datetime:
    """The ``expirationDateTime`` to ask for at ``now`` under Graph's ``maximum``."""
    return now + maximum - SKEW_MARGIN


def lifetime_refused(error: GraphError) -> bool:
    """Whether Graph refused a subscription's ``expirationDateTime`` as too far ahead (its 400
    "Subscription expiration can only be N minutes in the future."). Its code,
    ``ExtensionError``, is Graph's for other subscription refusals too: the message tells."""
    message = error.message.casefold()
    return error.status == 400 and "expiration" in message and "minutes" in message


def needs_renewal(expires_at: datetime, now: datetime) -> bool:
    """True when the subscription must be renewed at ``now``."""
    return expires_at - now < RENEW_BEFORE


def unreachable_reason(base_url: str) -> str | None:
    """Why Microsoft could not call ``base_url``, or None when it can be tried:
    ``"not_https"``, ``"no_host"``, or ``"local_host"`` (localhost, a loopback, private,
    link-local or reserved address, a single-label name such as ``odoo``)."""
    parts = urlsplit(base_url or "")
    if parts.scheme != "https":
        return "not_https"
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "no_host"
    if host == "localhost" or host.endswith(".localhost"):
        return "local_host"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None if "." in host else "local_host"
    if (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    ):
        return "local_host"
    return None
