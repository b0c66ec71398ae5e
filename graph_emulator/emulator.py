"""``GraphEmulator``: starts the listeners and is the Python control surface for tests."""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import calendars as cals
from . import categories as cat
from . import events as ev
from . import persist
from .app import Dispatcher
from .clock import Clock, FakeClock, system_clock
from .control import handle_control
from .delta import DeltaTracker
from .graph_api import GraphApi
from .identity import Identity
from .page import render_page
from .seed import apply_seed
from .server import Listener
from .store import Store
from .subscriptions import Subscriptions
from .tls import Certificates
from .traffic import Fault, Traffic

log = logging.getLogger("graph_emulator")
CLIENT_ID = "emulator-client-id"
CLIENT_SECRET = "emulator-client-secret"


class GraphEmulator:
    """Microsoft Graph v1.0 calendar + identity platform on loopback HTTPS.

    ``with GraphEmulator(seed="empty") as g:`` starts it; ``g.url``, ``g.authority``, ``g.graph``,
    ``g.bundle_path`` tell clients where it is and how to trust it.
    """

    def __init__(
        self,
        seed: str = "empty",
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: str | Path | None = None,
        clock: Clock | None = None,
        http_port: int = 0,
        access_token_lifetime: int = 3600,
        cert_dir: str | Path | None = None,
    ) -> None:
        self.seed = seed
        self.host = host
        self.port = port
        self.http_port = http_port
        self.state_file = Path(state_file) if state_file else None
        self.clock: Clock = clock or system_clock
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET
        self.store = Store(self.clock)
        self.identity = Identity(self.store, self.clock, access_token_lifetime)
        self.traffic = Traffic(self.clock)
        self.delta = DeltaTracker(self.store)
        self.subscription_hub = Subscriptions(self.store, self.clock)
        self.graph_api = GraphApi(
            self.store,
            self.identity,
            self.traffic,
            self.delta,
            lambda: self.graph,
            self.subscription_hub,
        )
        self._own_cert_dir = cert_dir is None
        self._cert_dir = (
            Path(cert_dir) if cert_dir else Path(tempfile.mkdtemp(prefix="graph-emulator-"))
        )
        self._tls_listener: Listener | None = None
        self._http_listener: Listener | None = None
        self._seed_state()

    # --- lifecycle -------------------------------------------------------------------------
    def _seed_state(self) -> None:
        self.identity.add_app(CLIENT_ID, CLIENT_SECRET)
        if self.state_file and persist.load_file(self.store, self.identity, self.state_file):
            log.info("state loaded from %s", self.state_file)
            return
        apply_seed(self.store, self.seed)

    def start(self) -> GraphEmulator:
        """Mint the certificates and start both listeners."""
        certs = Certificates(self._cert_dir, self.host)
        self.ca_path, self.bundle_path = str(certs.ca_path), str(certs.bundle_path)
        dispatcher = Dispatcher(
            self.identity,
            self.graph_api,
            self.traffic,
            lambda r: handle_control(self, r),
            lambda r: render_page(self.store, r),
            lambda: (self.url, self.http_url),
        )
        self._tls_listener = Listener(self.host, self.port, dispatcher, certs.server_context())
        self._http_listener = Listener(self.host, self.http_port, dispatcher, None)
        self._tls_listener.start()
        self._http_listener.start()
        self.subscription_hub.start()
        log.info("listening on %s and %s", self.url, self.http_url)
        return self

    def stop(self) -> None:
        """Stop the listeners, save ``state_file`` and remove the temporary certificates."""
        self.subscription_hub.stop()
        for listener in (self._tls_listener, self._http_listener):
            if listener is not None:
                listener.stop()
        self._tls_listener = self._http_listener = None
        if self.state_file:
            persist.save_file(self.store, self.identity, self.state_file)
        if self._own_cert_dir:
            shutil.rmtree(self._cert_dir, ignore_errors=True)

    def __enter__(self) -> GraphEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- where it is -----------------------------------------------------------------------
    @property
    def _public_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host

    @property
    def url(self) -> str:
        """``https://host:port``."""
        assert self._tls_listener is not None, "start() the emulator first"
        return f"https://{self._public_host}:{self._tls_listener.port}"

    @property
    def http_url(self) -> str:
        """Plain-http URL of the browser-facing pages (sign-in page, overview)."""
        assert self._http_listener is not None, "start() the emulator first"
        return f"http://{self._public_host}:{self._http_listener.port}"

    @property
    def authority(self) -> str:
        """The msal authority (``instance_discovery=False``)."""
        return f"{self.url}/common"

    @property
    def graph(self) -> str:
        """The Graph base URL, ``.../v1.0``."""
        return f"{self.url}/v1.0"

    def info(self) -> dict[str, Any]:
        """What ``python -m graph_emulator`` prints first."""
        return {
            "url": self.url,
            "http_url": self.http_url,
            "authority": self.authority,
            "graph": self.graph,
            "ca": self.ca_path,
            "bundle": self.bundle_path,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "mailboxes": [b["address"] for b in self.mailboxes()],
        }

    # --- directory -------------------------------------------------------------------------
    def add_mailbox(
        self, address: str, display_name: str | None = None, personal: bool = False
    ) -> None:
        """Create a mailbox (with its default calendar); ``personal``: a personal Microsoft
        account, which cannot create Teams meetings."""
        self.store.add_mailbox(address, display_name, personal)

    def refuse_teams_meetings(self, mailbox: str, refused: bool = True) -> None:
        """The mailbox's tenant answers 400 to any create or PATCH asking for a Teams meeting
        (``isOnlineMeeting`` true) instead of saving the event without one."""
        with self.store.lock:
            self.store.mailbox(mailbox).teams_refused = refused

    def master_categories(self, mailbox: str) -> list[dict[str, Any]]:
        """The mailbox's master category list (``id``, ``displayName``, ``color``)."""
        with self.store.lock:
            return cat.category_list(self.store.mailbox(mailbox).categories)

    def add_master_category(self, mailbox: str, name: str, color: str = "none") -> dict[str, Any]:
        """Add a category as if made in Outlook."""
        with self.store.lock:
            box = self.store.mailbox(mailbox)
            return cat.add_category(box.categories, {"displayName": name, "color": color})

    def mailboxes(self) -> list[dict[str, str]]:
        """Every mailbox: address, display name, object id."""
        with self.store.lock:
            return [
                {"address": b.address, "display_name": b.display_name, "id": b.id}
                for b in self.store.mailboxes.values()
            ]

    def add_app(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str] | None = None,
        application_permissions: list[str] | None = None,
    ) -> None:
        """Register another confidential client (``redirect_uris`` None accepts any;
        ``application_permissions``: what an administrator's consent grants it)."""
        self.identity.add_app(client_id, client_secret, redirect_uris, application_permissions)

    # --- organizations: app-only access ----------------------------------------------------
    def add_app_certificate(self, client_id: str, certificate_pem: str) -> dict[str, str]:
        """Register a certificate (PEM) as a credential of the app; returns its thumbprints."""
        return self.identity.add_certificate(client_id, certificate_pem)

    def grant_admin_consent(
        self, tenant: str, client_id: str, permissions: list[str] | None = None
    ) -> None:
        """An administrator of ``tenant`` consents to the app's application permissions (or to
        ``permissions``), as the admin-consent page's Accept does."""
        app = self.identity.apps[client_id]
        self.identity.tenants.grant(
            tenant,
            client_id,
            frozenset(app.application_permissions if permissions is None else permissions),
        )

    def revoke_admin_consent(self, tenant: str, client_id: str) -> bool:
        """The administrator removes the app from the tenant: its token requests are refused."""
        return self.identity.tenants.revoke(tenant, client_id)

    def consent_as_admin(self, consent_url: str, accept: bool = True) -> str:
        """What the browser does on the admin-consent page: the redirect URL."""
        return self.identity.consent_as_admin(consent_url, accept)

    def move_to_tenant(self, mailbox: str, tenant: str) -> None:
        """Put a user into another organization."""
        self.identity.tenants.move(mailbox, tenant)

    def set_mailbox_enabled(self, mailbox: str, enabled: bool) -> None:
        """A directory user with or without an Exchange Online mailbox."""
        self.identity.tenants.set_mailbox_enabled(mailbox, enabled)

    def set_access_policy(self, tenant: str, client_id: str, mailboxes: list[str] | None) -> None:
        """An application access policy: the app reaches only ``mailboxes`` (None removes it)."""
        self.identity.tenants.restrict(tenant, client_id, mailboxes)

    # --- calendars, as the user in Outlook ---------------------------------------------------
    def add_calendar(self, mailbox: str, name: str, color: str = "auto") -> str:
        """The id of the mailbox's calendar called ``name`` (any case), made if it is missing."""
        with self.store.lock:
            box = self.store.mailbox(mailbox)
            for calendar in box.calendars.values():
                if calendar.name.lower() == name.lower():
                    return calendar.id
            return self.store.add_calendar(box, name, color).id

    def calendars(self, mailbox: str) -> list[dict[str, Any]]:
        """What the mailbox's ``GET /me/calendars`` lists (own calendars, then shared ones)."""
        return cals.calendar_list(self.store, self.store.mailbox(mailbox))

    def fail_calendar_list(self, mailbox: str, status: int | None = 500) -> None:
        """The mailbox's ``GET /me/calendars`` answers ``status`` (500 or 403, as it did for
        outlook.com accounts) until called with ``None``; ``/me/calendar`` and everything
        under ``/me/calendars/{id}`` still work."""
        if status is not None and status not in cals.LIST_ERRORS:
            raise ValueError(f"status must be one of {sorted(cals.LIST_ERRORS)} or None")
        with self.store.lock:
            self.store.mailbox(mailbox).calendar_list_error = status

    def share_calendar(
        self, owner: str, calendar_id: str | None, recipient: str, *, can_edit: bool = True
    ) -> str:
        """``owner`` shares a calendar (None: the default one) with ``recipient``, who accepts:
        returns its id in the recipient's ``/me/calendars``. ``can_edit`` False: read role."""
        share = cals.share_calendar(
            self.store,
            self.store.mailbox(owner),
            calendar_id,
            self.store.mailbox(recipient),
            can_edit,
        )
        return share.id

    def unshare_calendar(self, owner: str, calendar_id: str | None, recipient: str) -> None:
        """``owner`` stops sharing the calendar: gone from the recipient's list, its id 404s."""
        cals.unshare_calendar(
            self.store, self.store.mailbox(owner), calendar_id, self.store.mailbox(recipient)
        )

    def events(self, mailbox: str, calendar_id: str | None = None) -> list[dict[str, Any]]:
        """Single instances and series masters of every calendar of the mailbox (or of the one
        ``calendar_id`` names), as Graph returns them (UTC)."""
        opts = ev.RenderOptions(expand_all=True)
        with self.store.lock:
            box = self.store.mailbox(mailbox)
            if calendar_id is not None:
                self.store.calendar(box, calendar_id)
            return [
                ev.render(ev.view_of(e), opts) for e in self.store.list_events(box, calendar_id)
            ]

    def calendar_view(self, mailbox: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Expanded rows (singles, occurrences, exceptions) in a window, UTC."""
        opts = ev.RenderOptions(expand_all=True)
        with self.store.lock:
            box = self.store.mailbox(mailbox)
            return [ev.render(v, opts) for v in self.store.calendar_view(box, None, start, end)]

    def create_event(
        self,
        mailbox: str,
        event: dict[str, Any],
        calendar_id: str | None = None,
        custom_zone: bool = False,
    ) -> dict[str, Any]:
        """Create an event as if the user did it in Outlook (shows in delta, sends invitations),
        in the default calendar or in the mailbox's calendar ``calendar_id``. ``custom_zone``:
        made in desktop Outlook with a legacy custom zone: it keeps the rule of the zone its
        times name, and Graph reports the zone as ``tzone://Microsoft/Custom`` until a write
        names one."""
        with self.store.lock:
            item, _ = self.store.create_event(self.store.mailbox(mailbox), calendar_id, event)
            item.custom_zone = custom_zone
            return ev.render(ev.view_of(item), ev.RenderOptions(expand_all=True))

    def set_mailbox_time_zone(self, mailbox: str, time_zone: str) -> None:
        """The mailbox's preferred zone, as set in Outlook (``/me/mailboxSettings``)."""
        with self.store.lock:
            self.store.mailbox(mailbox).time_zone = time_zone

    def update_event(self, mailbox: str, event_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Edit an event (or one occurrence) as if in Outlook: new changeKey, shows in delta."""
        with self.store.lock:
            view = self.store.update_event(self.store.mailbox(mailbox), event_id, changes)
            return ev.render(view, ev.RenderOptions(expand_all=True))

    def delete_event(self, mailbox: str, event_id: str) -> None:
        """Delete an event (or one occurrence) as if in Outlook."""
        self.store.delete_event(self.store.mailbox(mailbox), event_id)

    def respond(
        self, mailbox: str, event_id: str, response: str, send_response: bool = True
    ) -> None:
        """An attendee answers: ``accept``, ``tentativelyAccept`` or ``decline``."""
        self.store.respond(
            self.store.mailbox(mailbox), event_id, response, {"sendResponse": send_response}
        )

    def sent_mail(self, mailbox: str | None = None) -> list[dict[str, Any]]:
        """Messages Exchange would have sent (invitations, updates, cancellations, replies)."""
        return self.store.sent_mail(mailbox)

    # --- faults, limits, counters ----------------------------------------------------------
    def inject_fault(self, kind: str, count: int = 1, **options: Any) -> None:
        """Make the next ``count`` matching requests fail.

        ``options`` are the other fields of ``traffic.Fault``: which requests (``method``,
        ``path_contains``: any when not given) and what the fault needs (``status``,
        ``retry_after``, ``delay``, ``body``, ``edits``, ``append``); a wrong one is refused.

        ``status``: answer ``status`` (default 503) with optional ``Retry-After``;
        ``status_after``: apply the request, then answer ``status`` (default 503) all the same,
        as Graph has been seen to (a 503 then has an empty ``text/plain`` body); ``drop_before``:
        close the connection without touching state; ``drop_after``: apply the request, then close
        without answering; ``delay``: sleep ``delay`` seconds, then answer normally;
        ``delay_after``: apply the request, then sleep ``delay`` seconds before answering (the
        moment a client has its write applied and not yet acknowledged); ``rewrite``:
        answer normally, then replace the reply by ``body`` (raw text), or change the events it
        carries (``edits={event_id: {"set": {...}, "unset": [...]}}``) and add raw items to its
        ``value`` (``append``). Status, status_after, delay and rewrite faults also hit matching
        ``$batch`` items.
        """
        self.traffic.add_fault(Fault(kind, count, **options))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self.traffic.lock:
            self.traffic.faults.clear()

    def set_throttling(
        self,
        enabled: bool = True,
        requests: int = 10_000,
        window_seconds: float = 600.0,
        concurrency: int = 4,
    ) -> None:
        """Turn the throttling model on (Microsoft's numbers by default) or off."""
        with self.traffic.lock:
            cfg = self.traffic.throttle
            cfg.enabled, cfg.requests, cfg.window_seconds, cfg.concurrency = (
                enabled,
                requests,
                window_seconds,
                concurrency,
            )

    def counters(self) -> dict[str, Any]:
        """Graph request counters: total, writes, by mailbox/method/path/status (batch items one by one)."""
        return self.traffic.counters()

    def expire_delta_tokens(self, mailbox: str) -> None:
        """Every delta/skip token of the mailbox answers 410 SyncStateNotFound from now on."""
        self.delta.expire(mailbox)

    def omit_early_series_masters(self, enabled: bool = True) -> None:
        """``calendarView/delta`` leaves out the master of every series that began before the
        window (its occurrences and exceptions still come), as other Graph integrations report
        for such series; ``GET /me/events/{masterId}`` and ``/instances`` still answer.
        ``reset`` sends masters again."""
        with self.delta.lock:
            self.delta.omit_early_masters = enabled

    def revoke_refresh_tokens(self, mailbox: str) -> int:
        """Refresh tokens of the mailbox answer ``invalid_grant`` (AADSTS70008)."""
        return self.identity.revoke_refresh_tokens(mailbox)

    def expire_access_tokens(self, mailbox: str | None = None) -> int:
        """Access tokens (of one mailbox or all) answer 401 InvalidAuthenticationToken."""
        return self.identity.expire_access_tokens(mailbox)

    def advance_clock(self, seconds: float) -> datetime:
        """Move an injected ``FakeClock`` forward."""
        if not isinstance(self.clock, FakeClock):
            raise ValueError("advance_clock needs GraphEmulator(clock=FakeClock())")
        return self.clock.advance(seconds)

    # --- change notifications --------------------------------------------------------------
    def subscriptions(self) -> list[dict[str, Any]]:
        """Live subscriptions as Graph renders them (``clientState`` included), plus ``mailbox``."""
        return self.subscription_hub.dump()

    def set_subscription_max_lifetime(self, minutes: int) -> None:
        """The furthest ``expirationDateTime`` a POST or PATCH may ask for, in minutes from now
        (10,080 by default, Microsoft's current figure for Outlook events; 4,230 is what older
        docs give and tenants answered in 2018). ``reset`` restores the default."""
        if minutes < 1:
            raise ValueError("minutes must be positive")
        with self.subscription_hub.lock:
            self.subscription_hub.max_lifetime = timedelta(minutes=minutes)

    def send_lifecycle(self, subscription_id: str, event: str) -> None:
        """Send ``reauthorizationRequired``, ``subscriptionRemoved`` (which also removes the
        subscription) or ``missed`` to the subscription's lifecycle URL."""
        self.subscription_hub.send_lifecycle(subscription_id, event)

    def wait_for_notifications(self, timeout: float = 10.0) -> bool:
        """Block until every queued notification was delivered (False after ``timeout`` s)."""
        return self.subscription_hub.wait_idle(timeout)

    def notifications(self) -> list[dict[str, Any]]:
        """Every call made to a notification URL (validation, change, lifecycle), in order, with
        the status it got and how long it took."""
        with self.subscription_hub.lock:
            return [d.as_dict() for d in self.subscription_hub.deliveries]

    # --- identity shortcuts ----------------------------------------------------------------
    def sign_in(self, mailbox: str, authorize_url: str, granted: list[str] | None = None) -> str:
        """What the browser does on Accept: the redirect URL with ``code`` and ``state``
        (``granted``: consent to these of the asked permissions only, as when an
        administrator did not grant the others)."""
        return self.identity.sign_in(mailbox, authorize_url, granted)

    # --- state -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the seed: mailboxes, tokens, faults, throttling and counters."""
        with self.store.lock:
            self.store.mailboxes.clear()
            self.identity.reset()
            self.delta.reset()
            self.traffic.reset()
            self.subscription_hub.reset()
            self.identity.apps.clear()
            self.identity.add_app(CLIENT_ID, CLIENT_SECRET)
            apply_seed(self.store, self.seed)

    def dump_state(self) -> dict[str, Any]:
        """The persistent state as JSON-ready data."""
        return persist.dump(self.store, self.identity)

    def save_state(self, path: str | Path | None = None) -> None:
        """Write the state to ``path`` (default: ``state_file``)."""
        target = Path(path) if path else self.state_file
        if target is None:
            raise ValueError("no state file given")
        persist.save_file(self.store, self.identity, target)
