"""Change notifications: ``/v1.0/subscriptions`` and the webhook calls Graph makes.

- ``POST /subscriptions`` validates ``notificationUrl`` (and ``lifecycleNotificationUrl`` when it
  differs) the way Graph does: a POST with ``?validationToken=...`` that must answer 200 with the
  token as ``text/plain`` within 10 s, else 400 and no subscription. ``PATCH`` renews
  (``expirationDateTime`` only), ``DELETE`` removes (204), ``GET`` reads. Event subscriptions
  live at most ``max_lifetime`` (10,080 minutes, the current docs; older docs and tenants
  recorded in 2018 give 4,230): further ahead is Graph's 400 ``ExtensionError``. An expired one
  is gone (404) and gets no notification.
- Every event write in a subscribed calendar (``created``/``updated``/``deleted``, the changes
  Exchange makes to attendee copies included) is delivered to ``notificationUrl`` with the
  subscription's ``clientState``, one POST per notification, from one delivery thread, after the
  write is complete (a delta read by the receiver sees it). A reply other than 2xx, or none within
  3 s, is recorded as failed; Graph's retries for up to 4 h are not modelled.
- Lifecycle notifications (``reauthorizationRequired``, ``subscriptionRemoved``, ``missed``) are
  sent on demand; ``subscriptionRemoved`` also removes the subscription.

Deviation: ``http://`` notification URLs are accepted (Graph only takes https) so that a test
server on loopback can receive the calls.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

from .clock import Clock
from .errors import GraphError, bad_request
from .identity import TENANT_ID
from .store import Mailbox, Store
from .wire import Request, Response

log = logging.getLogger("graph_emulator")

MAX_LIFETIME = timedelta(minutes=10_080)
"""The current docs' maximum for Outlook events; ``Subscriptions.max_lifetime`` may lower it."""
VALIDATION_TIMEOUT = 10.0
DELIVERY_TIMEOUT = 3.0
CHANGE_TYPES = frozenset({"created", "updated", "deleted"})
LIFECYCLE_EVENTS = frozenset({"reauthorizationRequired", "subscriptionRemoved", "missed"})
MAX_CLIENT_STATE = 128
_RESOURCE_TEMPLATES = (
    ("events",),
    ("calendar", "events"),
    ("calendars", None, "events"),
)


@dataclass
class Subscription:
    """One subscription; ``calendar_id`` None = every calendar of the mailbox."""

    id: str
    mailbox: str
    client_id: str
    resource: str
    calendar_id: str | None
    change_types: frozenset[str]
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expiration: datetime

    def render(self, graph_url: str) -> dict[str, Any]:
        """The subscription resource as Graph returns it."""
        return {
            "@odata.context": f"{graph_url}/$metadata#subscriptions/$entity",
            "id": self.id,
            "resource": self.resource,
            "applicationId": self.client_id,
            "changeType": ",".join(sorted(self.change_types)),
            "clientState": self.client_state,
            "notificationUrl": self.notification_url,
            "notificationQueryOptions": None,
            "lifecycleNotificationUrl": self.lifecycle_url,
            "expirationDateTime": _iso(self.expiration),
            "creatorId": self.mailbox,
            "includeResourceData": False,
            "latestSupportedTlsVersion": "v1_2",
            "encryptionCertificate": None,
            "encryptionCertificateId": None,
            "notificationUrlAppId": None,
        }


@dataclass
class Delivery:
    """One POST to a notification URL: what was sent and how it was answered."""

    url: str
    kind: str
    subscription_id: str
    sent_at: float
    status: int = 0
    seconds: float = 0.0
    item: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "url": self.url,
            "kind": self.kind,
            "subscription_id": self.subscription_id,
            "sent_at": self.sent_at,
            "status": self.status,
            "seconds": round(self.seconds, 4),
            "item": self.item,
        }


class Subscriptions:
    """The subscriptions of every mailbox and the thread that delivers their notifications."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.lock = threading.Condition()
        self.items: dict[str, Subscription] = {}
        self.max_lifetime = MAX_LIFETIME
        self.deliveries: list[Delivery] = []
        self._queue: deque[tuple[str, str, str, dict[str, Any]]] = deque()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._stopping = False
        store.on_change = self.event_changed

    # --- lifecycle of the delivery thread ----------------------------------------------------
    def start(self) -> None:
        """Start delivering."""
        self._stopping = False
        self._thread = threading.Thread(
            target=self._deliver_forever, name="graph-emulator-notifications", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop delivering (queued notifications are dropped)."""
        with self.lock:
            self._stopping = True
            self._queue.clear()
            self.lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=DELIVERY_TIMEOUT + 1)
        self._thread = None

    def reset(self) -> None:
        """No subscription, nothing queued, no delivery recorded, the current docs' maximum."""
        with self.lock:
            self.max_lifetime = MAX_LIFETIME
            self.items.clear()
            self._queue.clear()
            self.deliveries.clear()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued notification was delivered; False on timeout."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(left)
        return True

    # --- the /v1.0/subscriptions surface -----------------------------------------------------
    def handle(
        self, request: Request, box: Mailbox, client_id: str, rest: list[str], graph_url: str
    ) -> Response:
        """Serve ``/v1.0/subscriptions[/{id}]`` for the signed-in ``box``."""
        method = request.method
        if not rest:
            if method == "POST":
                sub = self._create(request, box, client_id)
                return Response.json(201, sub.render(graph_url))
            if method == "GET":
                mine = [
                    s.render(graph_url)
                    for s in self._alive()
                    if (s.client_id, s.mailbox) == (client_id, box.address)
                ]
                return Response.json(200, {"value": mine})
            return _not_allowed(method)
        if len(rest) != 1:
            raise bad_request(f"Resource not found for the segment '{rest[-1]}'.", "BadRequest")
        sub = self._owned(rest[0], client_id, box)
        if method == "GET":
            return Response.json(200, sub.render(graph_url))
        if method == "PATCH":
            body = _body(request)
            unknown = set(body) - {"expirationDateTime", "notificationUrl"}
            if unknown:
                raise bad_request(
                    f"Only expirationDateTime can be updated, not {sorted(unknown)}.",
                    "InvalidRequest",
                )
            with self.lock:
                sub.expiration = self._expiration(body.get("expirationDateTime"))
            return Response.json(200, sub.render(graph_url))
        if method == "DELETE":
            with self.lock:
                self.items.pop(sub.id, None)
            return Response(204)
        return _not_allowed(method)

    def _create(self, request: Request, box: Mailbox, client_id: str) -> Subscription:
        body = _body(request)
        change_types = frozenset(
            part.strip() for part in str(body.get("changeType") or "").split(",") if part.strip()
        )
        if not change_types or not change_types <= CHANGE_TYPES:
            raise bad_request(f"Invalid changeType '{body.get('changeType')}'.", "ValidationError")
        resource = str(body.get("resource") or "")
        calendar_id = self._calendar_of(resource, box)
        client_state = body.get("clientState")
        if client_state is not None and (
            not isinstance(client_state, str) or len(client_state) > MAX_CLIENT_STATE
        ):
            raise bad_request("clientState must be a string of 128 characters at most.")
        notification_url = _url(body.get("notificationUrl"), "notificationUrl")
        lifecycle_url = body.get("lifecycleNotificationUrl")
        if lifecycle_url is not None:
            lifecycle_url = _url(lifecycle_url, "lifecycleNotificationUrl")
        expiration = self._expiration(body.get("expirationDateTime"))
        for url in dict.fromkeys(filter(None, (notification_url, lifecycle_url))):
            self._validate_endpoint(url)
        sub = Subscription(
            id=str(uuid.uuid4()),
            mailbox=box.address,
            client_id=client_id,
            resource=resource,
            calendar_id=calendar_id,
            change_types=change_types,
            notification_url=notification_url,
            lifecycle_url=lifecycle_url,
            client_state=client_state,
            expiration=expiration,
        )
        with self.lock:
            self.items[sub.id] = sub
        return sub

    def _calendar_of(self, resource: str, box: Mailbox) -> str | None:
        """The calendar a resource path watches (None: all), 400 when it is not an event set."""
        parts = [p for p in resource.split("/") if p]
        if parts[:1] == ["me"]:
            owner, rest = box.address, parts[1:]
        elif len(parts) >= 2 and parts[0].lower() == "users":
            owner, rest = parts[1], parts[2:]
        else:
            owner, rest = "", []
        found = self.store.find_mailbox(owner) if owner else None
        lowered = [p.lower() for p in rest]
        for template in _RESOURCE_TEMPLATES:
            if len(template) == len(rest) and all(
                t is None or t == p for t, p in zip(template, lowered, strict=True)
            ):
                if found is None or found.address.lower() != box.address.lower():
                    raise GraphError(403, "ExtensionError", "Access is denied to the resource.")
                if template[0] == "calendars" and rest[1] in box.shared_calendars:
                    # The Shared permissions "do not support subscriptions" (Graph docs); Graph
                    # answers such a delegated subscription with this 403.
                    raise GraphError(
                        403,
                        "ExtensionError",
                        "Operation: Create; Exception: [Status Code: Forbidden; Reason: Forbidden]",
                    )
                if template[0] == "calendars":
                    return self.store.calendar(box, rest[1]).id
                return box.default_calendar.id if template[0] == "calendar" else None
        raise bad_request(f"Resource '{resource}' is not supported.", "ExtensionError")

    def _expiration(self, value: Any) -> datetime:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")[:26])
        except ValueError as exc:
            raise bad_request(f"Invalid expirationDateTime '{value}'.", "ValidationError") from exc
        moment = moment.replace(tzinfo=moment.tzinfo or timezone.utc)
        now = self.clock()
        if moment <= now:
            raise bad_request("Subscription expiration must be in the future.", "ExtensionError")
        if moment > now + self.max_lifetime:
            minutes = int(self.max_lifetime.total_seconds() // 60)
            raise bad_request(
                f"Subscription expiration can only be {minutes} minutes in the future.",
                "ExtensionError",
            )
        return moment

    def _validate_endpoint(self, url: str) -> None:
        token = (
            "Validation: Testing client application reachability for subscription Request-Id: "
            + str(uuid.uuid4())
        )
        target = f"{url}{'&' if '?' in url else '?'}{urlencode({'validationToken': token})}"
        started = time.monotonic()
        status, answer, content_type = _post(target, b"", "text/plain", VALIDATION_TIMEOUT)
        took = time.monotonic() - started
        with self.lock:
            self.deliveries.append(
                Delivery(url, "validation", "", time.time(), status, took, {"token": token})
            )
        if (
            status != 200
            or answer.decode("utf-8", "replace") != token
            or (not content_type.startswith("text/plain"))
        ):
            raise bad_request(
                "Subscription validation request failed. Notification endpoint must respond "
                "with 200 OK to validation request.",
                "ValidationError",
            )

    def mailbox_of(self, subscription_id: str, client_id: str) -> str | None:
        """The mailbox of the app's subscription ``subscription_id`` (None: not the app's)."""
        with self.lock:
            sub = self.items.get(subscription_id)
        return sub.mailbox if sub is not None and sub.client_id == client_id else None

    def _owned(self, subscription_id: str, client_id: str, box: Mailbox) -> Subscription:
        """A live subscription of this app and signed-in user, else 404."""
        with self.lock:
            sub = self.items.get(subscription_id)
            if sub is not None and sub.expiration <= self.clock():
                self.items.pop(subscription_id)
                sub = None
        if sub is None or (sub.client_id, sub.mailbox) != (client_id, box.address):
            raise GraphError(
                404, "ResourceNotFound", f"The object was not found: {subscription_id}"
            )
        return sub

    def _alive(self) -> list[Subscription]:
        now = self.clock()
        with self.lock:
            for sub_id in [s.id for s in self.items.values() if s.expiration <= now]:
                self.items.pop(sub_id)
            return list(self.items.values())

    # --- notifications -----------------------------------------------------------------------
    def event_changed(
        self, box: Mailbox, calendar_id: str, event_id: str, change_type: str, change_key: str
    ) -> None:
        """Store hook: queue a notification for each live subscription watching the event."""
        for sub in self._alive():
            if (
                sub.mailbox.lower() != box.address.lower()
                or change_type not in sub.change_types
                or (sub.calendar_id is not None and sub.calendar_id != calendar_id)
            ):
                continue
            path = f"Users/{box.id}/Events/{event_id}"
            item = {
                "subscriptionId": sub.id,
                "subscriptionExpirationDateTime": _iso(sub.expiration),
                "changeType": change_type,
                "resource": path,
                "resourceData": {
                    "@odata.type": "#Microsoft.Graph.Event",
                    "@odata.id": path,
                    "@odata.etag": f'W/"{change_key}"' if change_key else None,
                    "id": event_id,
                },
                "clientState": sub.client_state,
                "tenantId": TENANT_ID,
            }
            self._enqueue(sub.notification_url, "change", sub.id, item)

    def send_lifecycle(self, subscription_id: str, event: str) -> None:
        """Send a lifecycle notification; ``subscriptionRemoved`` also removes it."""
        if event not in LIFECYCLE_EVENTS:
            raise ValueError(f"unknown lifecycle event {event!r}")
        with self.lock:
            sub = self.items.get(subscription_id)
            if sub is None:
                raise GraphError(404, "ResourceNotFound", f"No subscription {subscription_id}")
            if event == "subscriptionRemoved":
                self.items.pop(subscription_id)
        item = {
            "subscriptionId": sub.id,
            "subscriptionExpirationDateTime": _iso(sub.expiration),
            "tenantId": TENANT_ID,
            "clientState": sub.client_state,
            "lifecycleEvent": event,
        }
        self._enqueue(sub.lifecycle_url or sub.notification_url, "lifecycle", sub.id, item)

    def _enqueue(self, url: str, kind: str, subscription_id: str, item: dict[str, Any]) -> None:
        with self.lock:
            self._queue.append((url, kind, subscription_id, item))
            self.lock.notify_all()

    def _deliver_forever(self) -> None:
        while True:
            with self.lock:
                while not self._queue and not self._stopping:
                    self.lock.wait()
                if self._stopping:
                    return
                url, kind, subscription_id, item = self._queue.popleft()
                self._busy = True
            # The write that queued this holds the store lock until it is complete: wait for it,
            # so that the receiver's delta read sees the change.
            with self.store.lock:
                pass
            started = time.monotonic()
            payload = json.dumps({"value": [item]}).encode()
            status, _answer, _type = _post(url, payload, "application/json", DELIVERY_TIMEOUT)
            with self.lock:
                self.deliveries.append(
                    Delivery(
                        url,
                        kind,
                        subscription_id,
                        time.time(),
                        status,
                        time.monotonic() - started,
                        item,
                    )
                )
                if not 200 <= status < 300:
                    log.info("notification to %s answered %s", url, status or "nothing")
                self._busy = False
                self.lock.notify_all()

    def dump(self) -> list[dict[str, Any]]:
        """Every live subscription, ``clientState`` included (for tests)."""
        return [{**s.render(""), "mailbox": s.mailbox} for s in self._alive()]


def _post(url: str, body: bytes, content_type: str, timeout: float) -> tuple[int, bytes, str]:
    """POST and return (status, body, content type); status 0 when no answer came in time."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read(), reply.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")
    except (urllib.error.URLError, OSError, TimeoutError):
        return 0, b"", ""


def _url(value: Any, name: str) -> str:
    parts = urlsplit(str(value or ""))
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise bad_request(f"Invalid {name} '{value}'.", "ValidationError")
    return str(value)


def _body(request: Request) -> dict[str, Any]:
    try:
        payload = request.json()
    except ValueError as exc:
        raise bad_request("Unable to read JSON request payload.", "BadRequest") from exc
    if not isinstance(payload, dict):
        raise bad_request("The request body must be a JSON object.", "BadRequest")
    return payload


def _not_allowed(method: str) -> Response:
    err = GraphError(405, "ErrorInvalidRequest", f"Method {method} is not allowed here.")
    return Response.json(405, err.body())


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
