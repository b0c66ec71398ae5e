"""Microsoft Graph v1.0 client for one mailbox: paging, delta, ``$batch``, retries, throttling.

What it guarantees to the callers and to Graph:

- Every request carries ``Prefer: outlook.timezone="UTC"`` and ``Prefer: IdType="ImmutableId"``
  (also inside ``$batch`` items: the header applies only to the request it is sent with), a
  bearer token and a timeout.
- At most ``max_concurrency`` (4) requests of this client are in flight, across threads; each
  thread has its own ``requests.Session`` (a session is not documented thread-safe).
- 429/503/504 are retried after ``Retry-After`` (seconds, fractional values accepted, capped at
  ``max_retry_after``; exponential backoff when absent), with jitter, at most ``max_retries``
  times and within ``max_wait`` seconds overall; then ``Throttled(retry_after)`` is raised.
  urllib3's own ``Retry`` is not used: it raises on fractional ``Retry-After`` values.
- A POST (create, reply, a ``$batch`` holding a write) is retried only on 429, which Graph
  answers before running anything; never after a timeout, a dropped connection, a 503 or a
  504, where it may have run (Graph has answered 503 to a write it had applied and mailed):
  ``WriteUnconfirmed`` then, and ``BatchResult.outcome_unknown`` for such an item. Creates
  carry a deterministic ``transactionId`` and our extended property, so the *next run* may
  create again safely after looking the event up; replies are sent again only if the event
  read back does not hold the answer. The client itself never re-POSTs blindly. GET, a
  ``$batch`` of GETs, PATCH (with ``If-Match``: a repeat either applies or answers 412) and
  DELETE are retried after transport errors, 503 and 504 too.
- A write Graph refuses with 400 for an ask the mailbox cannot honour is sent once more
  without that ask (``relaxed``): an answer to a meeting whose organizer asked for no replies
  ("hasn't requested a response") goes with ``sendResponse`` false, and a create or PATCH asking
  for a Teams meeting where the tenant refuses one goes without ``isOnlineMeeting``. The caller
  reads from the answer what was left out (no ``onlineMeeting``) or from
  ``BatchResult.relaxed``.
- With a ``pacer`` (``services.quota``), a 429 also tells the pacer that the mailbox's quota is
  spent: from then on every request first waits for its share of it (a ``$batch`` counts its
  items), so the rest of a long export meets no further 429.
- 401: the token provider is asked once for a fresh token and the request repeated once; a
  second 401 raises ``ReauthRequired``.
- Paging follows ``@odata.nextLink`` only on Graph's own host (the bearer token never leaves
  it) and stops with ``SyncStateGone`` when a link repeats (a looping delta).
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from .errors import (
    GraphError,
    MailboxUnavailable,
    NotFound,
    PreconditionFailed,
    ReauthRequired,
    SyncStateGone,
    Throttled,
    TransportError,
    WriteUnconfirmed,
)
from .mapping import timestamp
from .quota import Pacer
from .values import UTC

PREFER = 'outlook.timezone="UTC", IdType="ImmutableId"'
BATCH_LIMIT = 20
"""Graph's maximum number of requests in one ``$batch``."""
INSTANCES_PAGE = 100
"""Rows asked for per page of ``/instances`` (``$top``; Outlook's default page is 10)."""

_RETRYABLE = frozenset({429, 503, 504})
# The message of Graph's 403 to a mailbox an application access policy keeps the app out of.
ACCESS_POLICY_REFUSAL = "Access to OData is disabled"
_NOT_RUN = frozenset({429})
_MAY_HAVE_RUN = frozenset({503, 504})
REPLY_ACTIONS: Mapping[str, str] = {
    "accepted": "accept",
    "tentative": "tentativelyAccept",
    "declined": "decline",
}
"""Odoo's answers to a meeting and the Graph action that sends each."""


_NO_RESPONSE_REQUESTED = re.compile(r"(hasn.t|has not) requested a response", re.IGNORECASE)
RELAXED_SEND_RESPONSE = "sendResponse"
"""``BatchResult.relaxed``: the answer was sent without mailing the organizer."""
RELAXED_ONLINE_MEETING = "isOnlineMeeting"
"""``BatchResult.relaxed``: the event was written without the Teams meeting asked for."""


class TokenProvider(Protocol):
    """Returns a bearer token; ``force_refresh`` bypasses any cached access token."""

    def __call__(self, force_refresh: bool = False) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchRequest:
    """One request of a ``$batch``: ``url`` relative to the version root (``/me/events/...``);
    ``id`` unique within the call."""

    id: str
    method: Literal["GET", "POST", "PATCH", "DELETE"]
    url: str
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchResult:
    """The answer to one ``BatchRequest`` (``body`` is the decoded JSON, or ``None``)."""

    id: str
    status: int
    headers: Mapping[str, str]
    body: Any
    relaxed: str | None = None
    """What the request was sent again without after Graph refused it (``RELAXED_*``)."""

    @property
    def ok(self) -> bool:
        """2xx."""
        return 200 <= self.status < 300

    @property
    def outcome_unknown(self) -> bool:
        """503/504: Graph may have run the request all the same; a write must be read back
        before it is sent again."""
        return self.status in _MAY_HAVE_RUN

    def error(self) -> GraphError:
        """This failed result as the exception a direct call would have raised."""
        return _error_for(self.status, self.body, self.headers)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeltaPage:
    """One page of a delta round: its raw items (events and ``@removed`` entries); the last
    page carries the ``delta_link`` to store for the next round, the others the ``next_link``
    to the page after them (a run that stops early resumes the round there)."""

    items: tuple[dict[str, Any], ...]
    delta_link: str | None = None
    next_link: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """The signed-in user (``GET /me``): a personal account's has no ``mail``."""

    id: str
    mail: str
    user_principal_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Calendar:
    """One calendar of the mailbox: ``owner_*`` its owner (another user for a shared one),
    ``tallies_responses``: Outlook tracks the attendees' answers to meetings sent from it
    (Graph's ``isTallyingResponses``; only the default calendar does, unknown reads as yes)."""

    id: str
    name: str
    owner_address: str
    owner_name: str
    can_edit: bool
    is_default: bool
    tallies_responses: bool


@dataclass(frozen=True, slots=True)
class Category:
    """A category of the mailbox's master list: its name and colour (``none``,
    ``preset0``..``preset24``)."""

    name: str
    color: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """A change-notification subscription as Graph answers it: ``expires_at`` aware UTC,
    ``None`` when Graph's answer does not say."""

    id: str
    expires_at: datetime | None


class _KeptAdapter(HTTPAdapter):
    """An adapter whose connections outlive the sessions it is mounted on."""

    def close(self) -> None:
        """A session closing leaves the shared connections open."""

    def close_connections(self) -> None:
        return super().close()


class ConnectionPool:
    """Connections to Graph shared by the clients one process creates, one account after
    another: a sync reuses an open connection instead of opening its own (a TLS handshake and a
    load of the CA bundle each: most of a quiet sync's time). Each request still carries its
    own account's token. Pass ``pool.session`` as a client's ``session_factory``."""

    def __init__(self, pool_maxsize: int = 16) -> None:
        self._adapter = _KeptAdapter(pool_maxsize=pool_maxsize)

    def session(self) -> requests.Session:
        session = requests.Session()
        session.mount("https://", self._adapter)
        session.mount("http://", self._adapter)
        return session

    @property
    def connections_opened(self) -> int:
        """Connections opened so far (a sync that reused one opened none)."""
        pools = self._adapter.poolmanager.pools
        # urllib3's container cannot be iterated; keys() is its thread-safe copy.
        return sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118

    def close(self) -> None:
        self._adapter.close_connections()


class GraphClient:
    """Graph calls for one mailbox. Thread-safe; use one per account and sync run.

    ``calendar_scope``: a calendar another user shared with the mailbox; its events are then
    reached under ``/me/calendars/{id}`` (Graph's route for a share recipient), not
    ``/me/events`` (the mailbox's own events).

    ``mailbox``: the user (object id or userPrincipalName) an app-only token acts on, whose
    routes are ``/users/{mailbox}/...``; without it, the signed-in user's ``/me/...``."""

    def __init__(
        self,
        session_factory: Callable[[], requests.Session],
        base_url: str,
        token_provider: TokenProvider,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        max_concurrency: int = 4,
        timeout: tuple[float, float] = (10.0, 60.0),
        max_retries: int = 4,
        max_retry_after: float = 120.0,
        max_wait: float = 300.0,
        calendar_scope: str | None = None,
        pacer: Pacer | None = None,
        mailbox: str | None = None,
    ) -> None:
        self._calendar_scope = calendar_scope
        self._root = "/me" if mailbox is None else f"/users/{quote(mailbox, safe='')}"
        self._session_factory = session_factory
        self._base_url = base_url.rstrip("/")
        self._origin = _origin(self._base_url)
        self._token_provider = token_provider
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._max_concurrency = max_concurrency
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._timeout = timeout
        self._max_retries = max_retries
        self._max_retry_after = max_retry_after
        self._max_wait = max_wait
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._token: str | None = None
        self._requests_sent = 0
        self._pacer = pacer

    @property
    def requests_sent(self) -> int:
        """HTTP requests this client sent to Graph, retries included (a ``$batch`` is one)."""
        return self._requests_sent

    def close(self) -> None:
        """Close every session this client opened."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- calls -----------------------------------------------------------------------------

    def mailbox_path(self, *segments: str) -> str:
        """A path of the client's mailbox (``/me/...``, or ``/users/{mailbox}/...`` for an
        app-only client), relative to the version root: every route of the client is built
        on it."""
        return "/".join((self._root, *segments))

    def events_path(self, calendar_id: str | None = None) -> str:
        """The events of a calendar (``/me/calendars/{id}/events``, the id quoted), or of the
        whole mailbox (``/me/events``, where creates land in the default calendar) without
        one, relative to the version root: where creates are posted, what a subscription
        watches. Every event path of the client is built on it."""
        if calendar_id:
            return self.mailbox_path("calendars", quote(calendar_id, safe=""), "events")
        return self.mailbox_path("events")

    def event_path(self, event_id: str, *action: str) -> str:
        """The path of one event (and of an ``action`` on it, e.g. ``decline``), relative to
        the version root, under the client's ``calendar_scope``: for ``$batch`` requests and
        the calls below."""
        event = f"{self.events_path(self._calendar_scope)}/{quote(event_id, safe='')}"
        return "/".join((event, *action))

    def get_me(self) -> User:
        """``GET /me``: the signed-in user."""
        me = self._json("GET", self._root)
        return User(
            id=_string(me.get("id")),
            mail=_string(me.get("mail")),
            user_principal_name=_string(me.get("userPrincipalName")),
        )

    def get_default_calendar(self) -> Calendar:
        """``GET /me/calendar``: the mailbox's default calendar."""
        return _calendar(self._json("GET", self.mailbox_path("calendar")))

    def mailbox_time_zone(self) -> str:
        """``GET /me/mailboxSettings/timeZone``: the user's preferred zone, a Windows or an
        IANA name as the administrator set the mailbox up (learn.microsoft.com
        "Get user mailbox settings"); needs ``MailboxSettings.Read``."""
        value = self._json("GET", self.mailbox_path("mailboxSettings", "timeZone")).get("value")
        return value if isinstance(value, str) else ""

    def list_calendars(self) -> list[Calendar]:
        """Every calendar of the mailbox (all pages)."""
        return [
            _calendar(item)
            for page in self._pages(self._url(self.mailbox_path("calendars")))
            for item in page["value"]
        ]

    def master_categories(self) -> list[Category]:
        """``GET /me/outlook/masterCategories``: the mailbox's categories."""
        return [
            _category(item)
            for item in self._json("GET", self.mailbox_path("outlook", "masterCategories")).get(
                "value", []
            )
        ]

    def create_master_category(self, name: str, color: str) -> Category:
        """Add ``name`` with ``color`` (``none``, ``preset0``..``preset24``) to the master list."""
        return _category(
            self._json(
                "POST",
                self.mailbox_path("outlook", "masterCategories"),
                json={"displayName": name, "color": color},
                idempotent=False,
            )
        )

    def get_event(self, event_id: str, *, expand: str | None = None) -> dict[str, Any]:
        """``GET`` one event (``expand``: an ``$expand`` value, e.g. ``mapping.EXPAND_ODOO_REF``);
        ``NotFound`` when it is gone."""
        params = {"$expand": expand} if expand else None
        return self._json("GET", self.event_path(event_id), params=params)

    def instances(self, event_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """``GET /me/events/{id}/instances``: a series' occurrences and exceptions overlapping the
        window, with every property (delta gives occurrences as stubs only), ``INSTANCES_PAGE``
        rows a page."""
        url = self._url(self.event_path(event_id, "instances"))
        return [
            item
            for page in self._pages(url, _instances_query(start, end))
            for item in page["value"]
        ]

    def instances_of(
        self, event_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[dict[str, Any]]]:
        """``instances`` of several series at once, in ``$batch`` (a series with more than one
        page continues with its ``nextLink``); a series that is gone is left out. Raises the
        error of the first other failure (``Throttled`` included)."""
        query = urlencode(_instances_query(start, end))
        requests_ = [
            BatchRequest(
                id=str(index),
                method="GET",
                url=f"{self.event_path(event_id, 'instances')}?{query}",
            )
            for index, event_id in enumerate(event_ids)
        ]
        rows: dict[str, list[dict[str, Any]]] = {}
        for result in self.batch(requests_):
            event_id = event_ids[int(result.id)]
            if result.status in (404, 410):
                continue
            if not result.ok or not isinstance(result.body, dict):
                raise result.error()
            rows[event_id] = list(result.body.get("value") or ())
            next_link = result.body.get("@odata.nextLink")
            if next_link:
                for page in self._pages(next_link):
                    rows[event_id] += page.get("value") or []
        return rows

    def create_subscription(
        self,
        *,
        resource: str,
        notification_url: str,
        client_state: str,
        expiration: datetime,
        change_type: str = "created,updated,deleted",
    ) -> Subscription:
        """``POST /subscriptions``: change notifications for ``resource`` (e.g.
        ``/me/calendars/{id}/events``) to ``notification_url``, which also receives the
        lifecycle notifications. Graph calls that URL with a ``validationToken`` before it
        answers (a URL that does not echo it within 10 s makes this a 400 ``GraphError``).
        ``client_state`` comes back in every notification and is never logged here."""
        body = {
            "changeType": change_type,
            "notificationUrl": notification_url,
            "lifecycleNotificationUrl": notification_url,
            "resource": resource,
            "expirationDateTime": _iso(expiration),
            "clientState": client_state,
        }
        return _subscription(self._json("POST", "/subscriptions", json=body, idempotent=False))

    def renew_subscription(self, subscription_id: str, expiration: datetime) -> Subscription:
        """``PATCH /subscriptions/{id}`` with a new ``expirationDateTime`` (also what a
        ``reauthorizationRequired`` lifecycle notification asks for); ``NotFound`` when Graph
        has dropped it: create a new one."""
        return _subscription(
            self._json(
                "PATCH",
                f"/subscriptions/{quote(subscription_id, safe='')}",
                json={"expirationDateTime": _iso(expiration)},
            )
        )

    def delete_subscription(self, subscription_id: str) -> bool:
        """``DELETE /subscriptions/{id}``; ``False`` when it was already gone (404)."""
        try:
            self._send("DELETE", self._url(f"/subscriptions/{quote(subscription_id, safe='')}"))
        except NotFound:
            return False
        return True

    def delta(
        self,
        calendar_id: str | None,
        start: datetime,
        end: datetime,
        delta_link: str | None = None,
        *,
        page_size: int = 100,
    ) -> Iterator[DeltaPage]:
        """One delta round of ``calendarView`` between ``start`` and ``end`` (ignored when
        resuming from ``delta_link``, which encodes its window). Yields each page; the last one
        carries the new delta link. ``SyncStateGone`` on 410 or a repeating ``nextLink``: drop
        the stored link and start a full round."""
        headers = {"Prefer": f"{PREFER}, odata.maxpagesize={page_size}"}
        if delta_link:
            url, params = delta_link, None
        else:
            calendar = (
                self.mailbox_path("calendars", quote(calendar_id, safe=""))
                if calendar_id
                else self.mailbox_path("calendar")
            )
            url = self._url(f"{calendar}/calendarView/delta")
            params = {"startDateTime": _iso(start), "endDateTime": _iso(end)}
        try:
            for page in self._pages(url, params, headers=headers):
                final = page.get("@odata.deltaLink")
                items = tuple(page.get("value") or ())
                if final or page.get("@odata.nextLink"):
                    yield DeltaPage(
                        items=items, delta_link=final, next_link=page.get("@odata.nextLink")
                    )
                else:
                    raise GraphError(200, "NoDeltaLink", "a delta page without next or delta link")
        except GraphError as error:
            if error.status == 410 and not isinstance(error, SyncStateGone):
                raise SyncStateGone(error.status, error.code, error.message) from error
            raise

    def batch(self, requests_: Sequence[BatchRequest]) -> list[BatchResult]:
        """Run ``requests_`` through ``$batch``; one result per request, in the same order.

        Groups of at most 20 requests are sent as *sequential* batches (each item depends on
        the previous one), at most ``max_concurrency`` batches at a time, so no more than four
        items run in the mailbox at once: Microsoft's documented way to stay under Outlook's
        concurrency limit. Items answered 429 are sent again after their ``Retry-After``, and
        from then on one group at a time, each after that same wait: resending every group at
        once would only meet the empty quota again. An item skipped with 424 (an earlier item of
        its batch failed) is sent again too. It gives up when ``max_retries`` rounds in a row make
        no progress or the wait would pass ``max_wait``: those items come back as 429 results.
        Other failures are returned as results; a write refused for an ask the mailbox cannot
        honour is sent once more without it (see the module docstring).
        """
        ids = [request.id for request in requests_]
        if len(set(ids)) != len(ids):
            raise ValueError("batch request ids must be unique")
        results = self._batch_rounds(requests_)
        relaxed = {
            result.id: again
            for request, result in zip(requests_, results, strict=True)
            if not result.ok and (again := _relaxed(request, result.error())) is not None
        }
        if not relaxed:
            return results
        answers = self._batch_rounds([request for request, _ in relaxed.values()])
        resent = {answer.id: replace(answer, relaxed=relaxed[answer.id][1]) for answer in answers}
        return [resent.get(result.id, result) for result in results]

    def get_events(self, event_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Several events by id, each as ``get_event`` reads it, or None where Graph answers 404
        (deleted); any other failure raises as ``get_event`` would.

        The items of a chained ``$batch`` fail with 424 after a 404, so these go unchained, in
        envelopes of at most ``max_concurrency`` items sent one at a time: Outlook runs
        unchained items in parallel and answers those beyond its four concurrent requests per
        mailbox 429 (microsoft-graph-docs#8760: items 5 to 20 of a parallel batch refused).
        """
        requests_ = [
            BatchRequest(id=str(position), method="GET", url=self.event_path(event_id))
            for position, event_id in enumerate(event_ids)
        ]
        found: dict[str, dict[str, Any] | None] = {}
        results = self._batch_rounds(requests_, group_size=self._max_concurrency, chained=False)
        for event_id, result in zip(event_ids, results, strict=True):
            if result.status == 404:
                found[event_id] = None
            elif result.ok:
                found[event_id] = result.body
            else:
                raise result.error()
        return found

    def _batch_rounds(
        self,
        requests_: Sequence[BatchRequest],
        *,
        group_size: int = BATCH_LIMIT,
        chained: bool = True,
    ) -> list[BatchResult]:
        """``batch`` without the relaxed second try: the rounds of groups and retries. Chained
        groups (each item depending on the one before) go several at once; unchained ones, whose
        items Graph runs in parallel, one at a time."""
        ids = [request.id for request in requests_]
        by_id = {request.id: request for request in requests_}
        results: dict[str, BatchResult] = {}
        pending = list(ids)
        started = self._clock()
        pace, stalled_rounds = 0.0, 0
        while pending:
            groups = [pending[i : i + group_size] for i in range(0, len(pending), group_size)]
            sent = groups if chained and not pace else groups[:1]
            with ThreadPoolExecutor(max_workers=min(self._max_concurrency, len(sent))) as pool:
                answers = list(
                    pool.map(lambda group: self._send_batch(group, by_id, chained=chained), sent)
                )
            retry, wait = [], 0.0
            for result in (result for answer in answers for result in answer):
                if result.status in (424, 429):
                    retry.append(result.id)
                    if result.status == 429:
                        wait = max(wait, self._delay(result.headers, stalled_rounds + 1))
                else:
                    results[result.id] = result
            progressed = len(retry) < sum(len(group) for group in sent)
            stalled_rounds = 0 if progressed else stalled_rounds + 1
            unsent = [request_id for group in groups[len(sent) :] for request_id in group]
            pending = [request_id for request_id in ids if request_id in {*retry, *unsent}]
            if pending and not wait:
                wait = pace  # once throttled, every group waits its turn
            if not wait:
                continue
            pace = wait
            over_budget = self._clock() - started + wait > self._max_wait
            if over_budget or stalled_rounds >= self._max_retries:
                for request_id in pending:
                    results[request_id] = _throttled_result(request_id, wait)
                break
            self._sleep(wait)
        return [results[request_id] for request_id in ids]

    # --- plumbing --------------------------------------------------------------------------

    def _send_batch(
        self, group: list[str], by_id: Mapping[str, BatchRequest], *, chained: bool
    ) -> list[BatchResult]:
        items = []
        for position, request_id in enumerate(group):
            request = by_id[request_id]
            headers = {"Prefer": PREFER, **request.headers}
            item: dict[str, Any] = {"id": request_id, "method": request.method, "url": request.url}
            if request.body is not None:
                item["body"] = dict(request.body)
                headers.setdefault("Content-Type", "application/json")
            item["headers"] = headers
            if chained and position:
                item["dependsOn"] = [group[position - 1]]
            items.append(item)
        reads_only = all(by_id[request_id].method == "GET" for request_id in group)
        answer = self._json(
            "POST", "/$batch", json={"requests": items}, idempotent=reads_only, cost=len(items)
        )
        answered = {
            str(response.get("id")): BatchResult(
                id=str(response.get("id")),
                status=int(response.get("status", 0)),
                headers=dict(response.get("headers") or {}),
                body=response.get("body"),
            )
            for response in answer.get("responses") or ()
        }
        missing = [request_id for request_id in group if request_id not in answered]
        if missing:
            raise GraphError(200, "IncompleteBatch", f"no answer for items {missing}")
        if any(result.status == 429 for result in answered.values()):
            self._was_throttled()
        return [answered[request_id] for request_id in group]

    def _url(self, path: str) -> str:
        return f"{self._base_url}{path}"

    def _json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        cost: int = 1,
    ) -> dict[str, Any]:
        response = self._send(
            method,
            self._url(path),
            params=params,
            json=json,
            headers=headers,
            idempotent=idempotent,
            cost=cost,
        )
        return _decoded(response)

    def _pages(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Each page of a collection, following ``@odata.nextLink`` (same host, never twice)."""
        seen: set[str] = set()
        while True:
            page = _decoded(self._send("GET", url, params=params, headers=headers))
            if not isinstance(page.get("value", []), list):
                raise GraphError(200, "MalformedResponse", "the page's value is not a list")
            yield page
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return
            if _origin(next_link) != self._origin:
                raise GraphError(200, "ForeignNextLink", f"nextLink leaves {self._origin}")
            if next_link in seen or next_link == url:
                raise SyncStateGone(200, "RepeatingNextLink", "the same nextLink came back twice")
            seen.add(url)
            url, params = next_link, None

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        cost: int = 1,
    ) -> requests.Response:
        """One call with the retry rules of the module docstring; returns a 2xx response.
        ``cost``: the requests Graph's quota counts for it (a ``$batch``: its items)."""
        attempt = 0
        refreshed = False
        started = self._clock()
        while True:
            token = self._current_token()
            all_headers = {"Prefer": PREFER, "Authorization": f"Bearer {token}", **(headers or {})}
            with self._lock:
                self._requests_sent += 1
            try:
                with self._pacing(cost), self._slots:
                    response = self._session().request(
                        method,
                        url,
                        params=params,
                        json=json,
                        headers=all_headers,
                        timeout=self._timeout,
                    )
            except (requests.Timeout, requests.ConnectionError) as error:
                if not idempotent:
                    raise WriteUnconfirmed(method, url, type(error).__name__) from error
                if attempt >= self._max_retries:
                    raise TransportError(method, url, type(error).__name__) from error
                attempt += 1
                self._sleep(self._delay({}, attempt))
                continue
            status = response.status_code
            if status == 401:
                if refreshed:
                    raise ReauthRequired("unauthorized_after_refresh", _error_text(response))
                refreshed = True
                self._refresh_token(token)
                continue
            if status == 429:
                self._was_throttled()
            if status in (_RETRYABLE if idempotent else _NOT_RUN):
                attempt += 1
                delay = self._delay(response.headers, attempt)
                if attempt > self._max_retries or self._clock() - started + delay > self._max_wait:
                    error = _error_for(status, _body(response), response.headers)
                    # The caller postpones by what Graph asked, not by the capped wait.
                    asked = _retry_after(response.headers) or 0.0
                    raise Throttled(status, error.code, error.message, max(delay, asked))
                self._sleep(delay)
                continue
            if status in _MAY_HAVE_RUN and not idempotent:
                raise WriteUnconfirmed(method, url, f"{status}: the write may have run")
            if status >= 400:
                raise _error_for(status, _body(response), response.headers)
            return response

    def _delay(self, headers: Mapping[str, str], attempt: int) -> float:
        """Seconds to wait before retry number ``attempt``: ``Retry-After`` (capped) plus up to
        10 % jitter, or exponential backoff from one second, jittered."""
        retry_after = _retry_after(headers)
        if retry_after is not None:
            base = min(retry_after, self._max_retry_after)
            return base + base * 0.1 * self._jitter()
        backoff = min(2.0 ** (attempt - 1), self._max_retry_after)
        return backoff * (0.5 + self._jitter() / 2)

    def _pacing(self, cost: int) -> AbstractContextManager[None]:
        return self._pacer.spending(cost) if self._pacer is not None else nullcontext()

    def _was_throttled(self) -> None:
        if self._pacer is not None:
            self._pacer.throttled()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _current_token(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._token_provider()
            return self._token

    def _refresh_token(self, rejected: str) -> None:
        """Replace the rejected token, unless another thread already did."""
        with self._lock:
            if self._token == rejected:
                self._token = self._token_provider(force_refresh=True)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds; fractional values accepted, dates and garbage ignored."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _error_for(status: int, body: Any, headers: Mapping[str, str]) -> GraphError:
    error = body.get("error") if isinstance(body, dict) else None
    code = str(error.get("code", "")) if isinstance(error, dict) else ""
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    if status == 404 and code == "MailboxNotEnabledForRESTAPI":
        return MailboxUnavailable(status, code, message, "no_mailbox")
    if status == 403 and code == "ErrorAccessDenied" and message.startswith(ACCESS_POLICY_REFUSAL):
        # Only the message tells an access policy's refusal from a missing permission: both
        # are ErrorAccessDenied (learn.microsoft.com/graph/auth-limit-mailbox-access).
        return MailboxUnavailable(status, code, message, "access_policy")
    if status == 404:
        return NotFound(status, code, message)
    if status == 412:
        return PreconditionFailed(status, code, message)
    if status in _RETRYABLE:
        return Throttled(status, code, message, _retry_after(headers) or 0.0)
    return GraphError(status, code, message)


def _relaxed(request: BatchRequest, error: GraphError) -> tuple[BatchRequest, str] | None:
    """``request`` without the ask Graph refused it for, and which ask that was; ``None`` when
    the refusal is of another kind (see the module docstring). The refused answer is known by
    its message: Graph gives it only the generic code ``ErrorInvalidRequest``. The Teams refusal
    has no documented body, so any 400 to a write asking for Teams gets one try without it (a
    refusal for another reason then answers the same 400 again)."""
    if error.status != 400 or request.method not in ("POST", "PATCH") or request.body is None:
        return None
    body = dict(request.body)
    action = request.url.rsplit("/", 1)[-1]
    if action in REPLY_ACTIONS.values():
        if body.get("sendResponse", True) and _NO_RESPONSE_REQUESTED.search(
            error.message.replace("\u2019", "'")
        ):
            return replace(request, body={**body, "sendResponse": False}), RELAXED_SEND_RESPONSE
        return None
    if body.get("isOnlineMeeting") is True:
        body.pop("isOnlineMeeting")
        body.pop("onlineMeetingProvider", None)
        return replace(request, body=body), RELAXED_ONLINE_MEETING
    return None


def _throttled_result(request_id: str, wait: float) -> BatchResult:
    return BatchResult(
        id=request_id,
        status=429,
        headers={"Retry-After": str(wait)},
        body={"error": {"code": "TooManyRequests", "message": "retry budget exhausted"}},
    )


def _decoded(response: requests.Response) -> dict[str, Any]:
    """A 2xx reply's JSON object ({} when empty); ``GraphError`` when Graph sent anything else,
    so that a broken reply stops the run instead of reading as an empty page."""
    if not response.content:
        return {}
    try:
        payload = response.json()
    except ValueError as error:
        raise GraphError(response.status_code, "MalformedResponse", "not valid JSON") from error
    if not isinstance(payload, dict):
        raise GraphError(
            response.status_code,
            "MalformedResponse",
            f"a JSON {type(payload).__name__} where an object was expected",
        )
    return payload


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_text(response: requests.Response) -> str:
    error = _error_for(response.status_code, _body(response), response.headers)
    return error.code or str(response.status_code)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _calendar(item: Mapping[str, Any]) -> Calendar:
    owner = item.get("owner") if isinstance(item.get("owner"), dict) else {}
    return Calendar(
        id=_string(item.get("id")),
        name=_string(item.get("name")),
        owner_address=_string(owner.get("address")),
        owner_name=_string(owner.get("name")),
        can_edit=bool(item.get("canEdit")),
        is_default=bool(item.get("isDefaultCalendar")),
        tallies_responses=item.get("isTallyingResponses") is not False,
    )


def _category(item: Mapping[str, Any]) -> Category:
    return Category(
        name=_string(item.get("displayName")), color=_string(item.get("color")) or "none"
    )


def _subscription(item: Mapping[str, Any]) -> Subscription:
    try:
        expires_at = timestamp(_string(item.get("expirationDateTime")))
    except ValueError:
        expires_at = None
    return Subscription(id=_string(item.get("id")), expires_at=expires_at)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times sent to Graph must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instances_query(start: datetime, end: datetime) -> dict[str, str]:
    """The query of ``/instances`` over a window, ``INSTANCES_PAGE`` rows a page."""
    return {"startDateTime": _iso(start), "endDateTime": _iso(end), "$top": str(INSTANCES_PAGE)}
