"""Microsoft Graph v1.0: ``/me`` and ``/users/{id|upn}`` with calendars and events.

Routing, bearer checks, throttling and counting happen here; the state changes live in
``store.Store`` and the event JSON in ``events``. Errors use Graph's JSON shape.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, unquote, urlencode

from . import calendars as cals
from . import categories as cat
from . import events as ev
from . import mailbox_settings as mbs
from . import odata, permissions
from .delta import DeltaTracker
from .errors import GraphError, bad_request, not_found
from .identity import Identity
from .store import Calendar, Mailbox, SharedCalendar, Store
from .subscriptions import Subscriptions
from .traffic import Traffic
from .wire import Request, Response

DEFAULT_PAGE = 10
MAX_TOP = 1000
ACTIONS = ("accept", "decline", "tentativelyAccept", "cancel")
_PREFER = re.compile(r'([\w.-]+)\s*=\s*("[^"]*"|[^,;\s]*)')


def function_segment(segment: str) -> str:
    """A bound function's path segment in the short form the routes use: OData's call form
    ``delta()`` and its qualified name ``microsoft.graph.delta()`` are the same ``delta``."""
    name = segment[:-2] if segment.endswith("()") else segment
    return name[len("microsoft.graph.") :] if name.lower().startswith("microsoft.graph.") else name


def parse_prefer(value: str | None) -> dict[str, str]:
    """``Prefer`` preferences by lower-case name, quotes removed."""
    return {k.lower(): v.strip('"') for k, v in _PREFER.findall(value or "")}


def parse_window_bound(value: str | None, name: str) -> datetime:
    """A calendarView bound: its own offset if it has one, else UTC (Prefer does not apply)."""
    if not value:
        raise bad_request(
            "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.",
            "ErrorInvalidParameter",
        )
    try:
        moment = datetime.fromisoformat(
            re.sub(r"\.(\d{6})\d+", r".\1", value.strip().replace("Z", "+00:00").replace(" ", "+"))
        )
    except ValueError as exc:
        raise bad_request(
            f"The value '{value}' of parameter '{name}' is invalid.", "ErrorInvalidParameter"
        ) from exc
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc).astimezone(timezone.utc)


class Call:
    """One authenticated request addressed to a mailbox."""

    def __init__(
        self,
        request: Request,
        box: Mailbox,
        base: str,
        graph_url: str,
        scopes: frozenset[str] = frozenset(),
    ) -> None:
        self.request = request
        self.box = box
        # The permissions of the access token (``permissions`` says which a route needs).
        self.scopes = scopes
        # The mailbox whose events the request acts on: ``box``, or the owner of a calendar
        # shared with ``box`` when the path goes through one (then ``share`` is set).
        self.home = box
        self.share: SharedCalendar | None = None
        self.base = base
        self.graph_url = graph_url
        self.query = request.query
        self.prefer = parse_prefer(request.headers.get("prefer"))
        self.applied: list[str] = []
        tz_name = self.prefer.get("outlook.timezone") or "UTC"
        if "outlook.timezone" in self.prefer:
            try:
                ev.timezones.zone(tz_name)
            except ev.timezones.UnknownTimeZone as exc:
                raise bad_request(
                    f"A valid TimeZone value must be specified. The following TimeZone value is not supported: '{tz_name}'.",
                    "TimeZoneNotSupportedException",
                ) from exc
            self.applied.append(f'outlook.timezone="{tz_name}"')
        body_text = self.prefer.get("outlook.body-content-type", "").lower() == "text"
        if body_text:
            self.applied.append('outlook.body-content-type="text"')
        if "idtype" in self.prefer:
            self.applied.append(f'IdType="{self.prefer["idtype"]}"')
        select = self.query.get("$select")
        expand_all, expand_ids = (False, None)
        if self.query.get("$expand"):
            expand_all, expand_ids = odata.parse_expand(self.query["$expand"])
        self.opts = ev.RenderOptions(
            tz_name,
            body_text,
            {s.strip() for s in select.split(",") if s.strip()} if select else None,
            expand_ids,
            expand_all,
        )

    def page_size(self) -> int:
        """``$top`` if given (1..1000), else ``odata.maxpagesize``, else Graph's default 10."""
        top = self.query.get("$top")
        if top is not None:
            if not top.isdigit() or int(top) < 1:
                raise bad_request(f"Invalid $top value '{top}'.", "BadRequest")
            return min(int(top), MAX_TOP)
        size = self.prefer.get("odata.maxpagesize")
        if size and size.isdigit() and int(size) > 0:
            self.applied.append(f"odata.maxpagesize={size}")
            return int(size)
        return DEFAULT_PAGE

    def headers(self) -> dict[str, str]:
        """Reply headers (``Preference-Applied``)."""
        return {"Preference-Applied": ", ".join(self.applied)} if self.applied else {}

    def context(self, suffix: str) -> str:
        """An ``@odata.context`` URL."""
        return f"{self.graph_url}/$metadata#users('{quote(self.box.address)}')/{suffix}"

    def json(self, status: int, payload: Any) -> Response:
        """A JSON reply with this call's headers."""
        return Response.json(status, payload, self.headers())

    def body(self) -> dict[str, Any]:
        """The JSON request body, 400 when unreadable."""
        try:
            payload = self.request.json()
        except ValueError as exc:
            raise bad_request(
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                "BadRequest",
            ) from exc
        return payload if payload is not None else {}


class GraphApi:
    """The ``/v1.0`` surface."""

    def __init__(
        self,
        store: Store,
        identity: Identity,
        traffic: Traffic,
        delta: DeltaTracker,
        graph_url: Callable[[], str],
        subscriptions: Subscriptions,
    ) -> None:
        self.store = store
        self.identity = identity
        self.traffic = traffic
        self.delta = delta
        self.graph_url = graph_url
        self.subscriptions = subscriptions

    def handle(self, request: Request) -> Response:
        """Serve one request (or ``$batch`` item) whose path starts with ``/v1.0``.

        An injected delay is spent while holding the throttling slot, like a slow mailbox.
        """
        segments = [function_segment(unquote(s)) for s in request.path.split("/")[2:] if s]
        try:
            grant = self.identity.check_bearer(request.headers.get("authorization"))
            tenant = grant.extra.get("tenant")
            if segments and segments[0].lower() == "subscriptions":
                if not permissions.EVENT_SUBSCRIPTIONS & frozenset(grant.scope.split()):
                    raise permissions.access_denied()
                mailbox = grant.mailbox
                if tenant is not None:
                    mailbox = self._app_subscription_mailbox(
                        request, grant.client_id, tenant, segments[1:]
                    )
                return self._subscriptions(request, mailbox, grant.client_id, segments[1:])
            if tenant is not None:
                box, base, rest = self._app_owner(segments, grant.client_id, tenant)
            else:
                box, base, rest = self._owner(segments, grant.mailbox)
        except GraphError as exc:
            self.traffic.count(None, request.method, "/" + "/".join(segments[:1]))
            return Response.json(exc.status, exc.body(), exc.headers)
        template = (
            base.split("/")[1]
            + ("/{id}" if base.startswith("/users") else "")
            + self._template(rest)
        )
        self.traffic.count(box.address, request.method, "/" + template)
        try:
            self.traffic.admit(grant.client_id, box.address)
        except GraphError as exc:
            return Response.json(exc.status, exc.body(), exc.headers)
        try:
            if request.delay:
                time.sleep(request.delay)
            call = Call(request, box, base, self.graph_url(), frozenset(grant.scope.split()))
            return self._route(call, rest)
        except GraphError as exc:
            return Response.json(exc.status, exc.body(), exc.headers)
        finally:
            self.traffic.release(grant.client_id, box.address)

    def _subscriptions(
        self, request: Request, mailbox: str, client_id: str, rest: list[str]
    ) -> Response:
        box = self.store.mailbox(mailbox)
        self.traffic.count(box.address, request.method, "/subscriptions" + "/{id}" * len(rest[:1]))
        self.traffic.admit(client_id, box.address)
        try:
            return self.subscriptions.handle(request, box, client_id, rest, self.graph_url())
        except GraphError as exc:
            return Response.json(exc.status, exc.body(), exc.headers)
        finally:
            self.traffic.release(client_id, box.address)

    def _owner(self, segments: list[str], signed_in: str) -> tuple[Mailbox, str, list[str]]:
        if segments and segments[0].lower() == "me":
            return self.store.mailbox(signed_in), "/me", segments[1:]
        if len(segments) >= 2 and segments[0].lower() == "users":
            box = self.store.mailbox(segments[1])
            if box.address.lower() != signed_in.lower():
                raise permissions.access_denied()
            return box, f"/users/{quote(segments[1], safe='@')}", segments[2:]
        raise GraphError(
            400,
            "BadRequest",
            f"Resource not found for the segment '{segments[0] if segments else ''}'.",
        )

    def _app_owner(
        self, segments: list[str], client_id: str, tenant: str
    ) -> tuple[Mailbox, str, list[str]]:
        """The mailbox an app-only request addresses: ``/users/{id | userPrincipalName}`` of the
        token's tenant only (``/me`` names nobody without a signed-in user)."""
        if segments and segments[0].lower() == "me":
            raise bad_request(
                "/me request is only valid with delegated authentication flow.", "BadRequest"
            )
        if len(segments) < 2 or segments[0].lower() != "users":
            return self._owner(segments, "")
        box = self._app_mailbox(segments[1], client_id, tenant, directory_only=len(segments) == 2)
        return box, f"/users/{quote(segments[1], safe='@')}", segments[2:]

    def _app_mailbox(
        self, ref: str, client_id: str, tenant: str, directory_only: bool = False
    ) -> Mailbox:
        """A user of the token's tenant (404 as an unknown user otherwise) and, unless only its
        directory entry is read, its Exchange mailbox: 404 ``MailboxNotEnabledForRESTAPI``
        without one, 403 "Access to OData is disabled." outside the app's access policy."""
        tenants = self.identity.tenants
        box = self.store.find_mailbox(ref)
        if box is None or tenants.tenant_id_of(box.address) != tenant:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{ref}' is invalid.")
        if directory_only:
            return box
        if not tenants.has_mailbox(box.address):
            raise GraphError(
                404,
                "MailboxNotEnabledForRESTAPI",
                "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
            )
        if not tenants.policy_allows(tenant, client_id, box.address):
            raise GraphError(403, "ErrorAccessDenied", "Access to OData is disabled.")
        return box

    def _app_subscription_mailbox(
        self, request: Request, client_id: str, tenant: str, rest: list[str]
    ) -> str:
        """The mailbox an app-only subscription request is about: the ``/users/{id}`` of the
        resource it creates, or the mailbox of the subscription it reads, renews or deletes."""
        if rest:
            owner = self.subscriptions.mailbox_of(rest[0], client_id)
            if owner is None:
                raise GraphError(404, "ResourceNotFound", f"The object was not found: {rest[0]}")
            return owner
        if request.method != "POST":
            raise bad_request(
                "Listing subscriptions needs a signed-in user in the emulator.", "BadRequest"
            )
        try:
            resource = str((request.json() or {}).get("resource") or "")
        except ValueError as exc:
            raise bad_request("Unable to read JSON request payload.", "BadRequest") from exc
        parts = [p for p in resource.split("/") if p]
        if len(parts) < 2 or parts[0].lower() != "users":
            raise bad_request(
                "/me request is only valid with delegated authentication flow.", "BadRequest"
            )
        return self._app_mailbox(unquote(parts[1]), client_id, tenant).address

    @staticmethod
    def _template(rest: list[str]) -> str:
        out, previous = [], ""
        for seg in rest:
            out.append("{id}" if previous.lower() in ("calendars", "events") else seg)
            previous = seg
        return "".join("/" + s for s in out)

    # --- routing ---------------------------------------------------------------------------
    def _route(self, call: Call, rest: list[str]) -> Response:
        method = call.request.method
        lower = [s.lower() for s in rest]
        shared = (
            len(lower) > 1
            and lower[0] == "calendars"
            and cals.open_shared(self.store, call.box, rest[1]) is not None
        )
        permissions.require(call.scopes, method, permissions.route_name(rest), shared)
        if not rest:
            return self._only(method, "GET") or call.json(200, self._user(call))
        if lower[:2] == ["outlook", "mastercategories"]:
            return self._master_categories(call, rest[2:])
        if lower[0] == "mailboxsettings":
            return self._mailbox_settings(call, rest[1:])
        calendar: Calendar | None = None
        if lower[0] == "calendar":
            calendar, rest, lower = call.box.default_calendar, rest[1:], lower[1:]
        elif lower[0] == "calendars":
            if len(rest) == 1:
                if method == "POST":
                    body = call.body()
                    cal = self.store.add_calendar(
                        call.box, body.get("name") or "Calendar", body.get("color") or "auto"
                    )
                    return call.json(201, cals.render_own(call.box, cal))
                if err := self._only(method, "GET"):
                    return err
                cals.check_list(call.box)
                return call.json(
                    200,
                    {
                        "@odata.context": call.context("calendars"),
                        "value": cals.calendar_list(self.store, call.box),
                    },
                )
            calendar, rest, lower = self._open_calendar(call, rest[1]), rest[2:], lower[2:]
        if not rest:
            return self._only(method, "GET") or call.json(200, self._calendar(call, calendar))
        cal_id = calendar.id if calendar else None
        if lower == ["events"]:
            if method == "POST":
                return self._create(call, cal_id)
            return self._only(method, "GET") or self._list_events(call, cal_id)
        if lower == ["calendarview"]:
            return self._only(method, "GET") or self._calendar_view(call, cal_id)
        if lower == ["calendarview", "delta"]:
            return self._only(method, "GET") or self._delta(call, cal_id)
        if len(rest) >= 2 and lower[0] == "events":
            event_id = rest[1]
            if call.share is not None:
                self._check_in_shared(call, event_id, cal_id)
            if len(rest) == 2:
                return self._event(call, event_id)
            if lower[2:] == ["instances"]:
                return self._only(method, "GET") or self._instances(call, event_id)
            if len(rest) == 3 and rest[2] in ACTIONS:
                if err := self._only(method, "POST"):
                    return err
                body = call.body()
                if rest[2] == "cancel":
                    self.store.cancel_event(call.home, event_id, body.get("comment", ""))
                else:
                    self.store.respond(call.home, event_id, rest[2], body)
                return Response(202, b"", call.headers())
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[-1]}'.")

    def _open_calendar(self, call: Call, calendar_id: str) -> Calendar:
        """One of the mailbox's calendars, or one shared with it (``call`` then acts in the
        owner's mailbox; a reader's writes are refused, whatever the token's permissions)."""
        opened = cals.open_shared(self.store, call.box, calendar_id)
        if opened is None:
            return self.store.calendar(call.box, calendar_id)
        call.share, call.home, calendar = opened
        if not call.share.can_edit and call.request.method != "GET":
            raise permissions.access_denied()
        return calendar

    def _check_in_shared(self, call: Call, event_id: str, cal_id: str | None) -> None:
        """A shared calendar reaches its own events only, never the owner's other calendars."""
        with self.store.lock:
            if self.store.view(call.home, event_id).master.calendar_id != cal_id:
                raise not_found()

    def _master_categories(self, call: Call, rest: list[str]) -> Response:
        method = call.request.method
        with self.store.lock:
            categories = call.box.categories
            if not rest:
                if method == "POST":
                    return call.json(201, cat.add_category(categories, call.body()))
                return self._only(method, "GET") or call.json(
                    200,
                    {
                        "@odata.context": call.context("outlook/masterCategories"),
                        "value": cat.category_list(categories),
                    },
                )
            if len(rest) == 1:
                if method == "PATCH":
                    return call.json(200, cat.update_category(categories, rest[0], call.body()))
                if method == "DELETE":
                    cat.find_category(categories, rest[0])
                    del categories[rest[0]]
                    return Response(204, b"", call.headers())
                return self._only(method, "GET") or call.json(
                    200, dict(cat.find_category(categories, rest[0]))
                )
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[-1]}'.")

    def _mailbox_settings(self, call: Call, rest: list[str]) -> Response:
        method = call.request.method
        with self.store.lock:
            if not rest and method == "PATCH":
                call.box.time_zone = mbs.updated_zone(call.body())
                return call.json(
                    200,
                    {
                        "@odata.context": call.context("mailboxSettings"),
                        "timeZone": call.box.time_zone,
                    },
                )
            if err := self._only(method, "GET"):
                return err
            if not rest:
                return call.json(
                    200,
                    {
                        "@odata.context": call.context("mailboxSettings"),
                        **mbs.settings(call.box.time_zone),
                    },
                )
            if len(rest) == 1:
                value = mbs.one_setting(call.box.time_zone, rest[0])
                context = {"@odata.context": call.context(f"mailboxSettings/{rest[0]}")}
                return call.json(
                    200,
                    {**context, **value}
                    if isinstance(value, dict)
                    else {**context, "value": value},
                )
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[-1]}'.")

    @staticmethod
    def _only(method: str, allowed: str) -> Response | None:
        if method == allowed:
            return None
        err = GraphError(
            405,
            "ErrorInvalidRequest",
            f"The OData request is not supported: method {method} is not allowed here.",
        )
        return Response.json(405, err.body())

    # --- resources -------------------------------------------------------------------------
    def _user(self, call: Call) -> dict[str, Any]:
        box = call.box
        first, _, last = box.display_name.partition(" ")
        return {
            "@odata.context": f"{call.graph_url}/$metadata#users/$entity",
            "businessPhones": [],
            "displayName": box.display_name,
            "givenName": first,
            "jobTitle": None,
            "mail": None if box.personal else box.address,
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": "en-US",
            "surname": last or None,
            "userPrincipalName": box.address,
            "id": box.id,
        }

    def _calendar(self, call: Call, cal: Calendar) -> dict[str, Any]:
        if call.share is not None:
            return cals.render_shared(call.share, call.home, cal)
        return cals.render_own(call.box, cal)

    def _event(self, call: Call, event_id: str) -> Response:
        method = call.request.method
        if_match = call.request.headers.get("if-match")
        with self.store.lock:
            if method == "GET":
                return call.json(
                    200,
                    {
                        "@odata.context": call.context("events/$entity"),
                        **ev.render(self.store.view(call.home, event_id), call.opts),
                    },
                )
            if method == "PATCH":
                view = self.store.update_event(call.home, event_id, call.body(), if_match)
                return call.json(
                    200,
                    {
                        "@odata.context": call.context("events/$entity"),
                        **ev.render(view, call.opts),
                    },
                )
            if method == "DELETE":
                self.store.delete_event(call.home, event_id, if_match)
                return Response(204, b"", call.headers())
        return self._only(method, "GET") or Response(500)

    def _create(self, call: Call, cal_id: str | None) -> Response:
        with self.store.lock:
            item, _created = self.store.create_event(call.home, cal_id, call.body())
            return call.json(
                201,
                {
                    "@odata.context": call.context("events/$entity"),
                    **ev.render(ev.view_of(item), call.opts),
                },
            )

    # --- collections -----------------------------------------------------------------------
    def _collection(self, call: Call, rows: list[ev.EventView], context: str) -> Response:
        """Filter, order, page (``$skip`` in the next link) and render a list of rows."""
        query = call.query
        size = call.page_size()
        if query.get("$filter") or query.get("$orderby"):
            probe = ev.RenderOptions(expand_all=True)
            rendered = [(row, ev.render(row, probe)) for row in rows]
            if query.get("$filter"):
                predicate = odata.parse_filter(query["$filter"])
                rendered = [pair for pair in rendered if predicate(pair[1])]
            for clause in reversed(
                [c.strip() for c in query.get("$orderby", "").split(",") if c.strip()]
            ):
                path, _, direction = clause.partition(" ")
                rendered.sort(
                    key=lambda pair, p=path: str(odata._resolve(pair[1], p) or ""),
                    reverse=direction.strip().lower() == "desc",
                )
            rows = [row for row, _ in rendered]
        skip_text = query.get("$skip", "0")
        if not skip_text.isdigit():
            raise bad_request(f"Invalid $skip value '{skip_text}'.", "BadRequest")
        skip = int(skip_text)
        page = rows[skip : skip + size]
        payload: dict[str, Any] = {
            "@odata.context": call.context(context),
            "value": [ev.render(r, call.opts) for r in page],
        }
        if skip + size < len(rows):
            params = {k: v for k, v in query.items() if k != "$skip"}
            params["$top"] = str(size)
            params["$skip"] = str(skip + size)
            payload["@odata.nextLink"] = (
                f"{call.graph_url}{call.base}{self._subpath(call)}?{urlencode(params, safe='$,/() ')}".replace(
                    " ", "%20"
                )
            )
        return call.json(200, payload)

    def _subpath(self, call: Call) -> str:
        path = call.request.path
        index = path.lower().find(call.base.lower())
        return path[index + len(call.base) :] if index >= 0 else ""

    def _list_events(self, call: Call, cal_id: str | None) -> Response:
        with self.store.lock:
            rows = [ev.view_of(e) for e in self.store.list_events(call.home, cal_id)]
            return self._collection(call, rows, "events")

    def _calendar_view(self, call: Call, cal_id: str | None) -> Response:
        start = parse_window_bound(
            call.query.get("startDateTime") or call.query.get("startdatetime"), "startDateTime"
        )
        end = parse_window_bound(
            call.query.get("endDateTime") or call.query.get("enddatetime"), "endDateTime"
        )
        with self.store.lock:
            return self._collection(
                call, self.store.calendar_view(call.home, cal_id, start, end), "events"
            )

    def _instances(self, call: Call, event_id: str) -> Response:
        start = parse_window_bound(call.query.get("startDateTime"), "startDateTime")
        end = parse_window_bound(call.query.get("endDateTime"), "endDateTime")
        with self.store.lock:
            master = self.store.event(call.home, event_id)
            rows = ev.instances(master, start, end) if master.recurrence else []
            return self._collection(call, rows, f"events('{event_id}')/instances")

    def _delta(self, call: Call, cal_id: str | None) -> Response:
        query = call.query
        for option in ("$select", "$expand", "$filter", "$orderby", "$search"):
            if option in query:
                raise bad_request(
                    f"The query parameter '{option}' is not supported with calendarView delta.",
                    "ErrorInvalidUrlQuery",
                )
        skip, token = query.get("$skiptoken"), query.get("$deltatoken")
        if skip is not None or token is not None:
            state = self.delta.resume(call.box, skip, token)
        else:
            start = parse_window_bound(
                query.get("startDateTime") or query.get("startdatetime"), "startDateTime"
            )
            end = parse_window_bound(
                query.get("endDateTime") or query.get("enddatetime"), "endDateTime"
            )
            state = self.delta.start_round(call.home, cal_id, start, end, reader=call.box)
        size = (
            int(call.prefer["odata.maxpagesize"])
            if call.prefer.get("odata.maxpagesize", "").isdigit()
            else DEFAULT_PAGE
        )
        if "odata.maxpagesize" in call.prefer:
            call.applied.append(f"odata.maxpagesize={size}")
        items, next_token, final = self.delta.page(state, max(size, 1), call.opts)
        link = (
            f"{call.graph_url}{call.base}{self._subpath(call)}?"
            + ("$deltatoken=" if final else "$skiptoken=")
            + next_token
        )
        payload = {
            "@odata.context": call.context("calendarView(start,end)/delta"),
            "value": items,
            ("@odata.deltaLink" if final else "@odata.nextLink"): link,
        }
        return call.json(200, payload)
