"""The dev tools' clients of running servers: Odoo's JSON-RPC and the emulator's control API.

``OdooSession`` is a browser-like session of one Odoo user (cookies, ``/web/dataset/call_kw``):
the demo's scenario, the screenshots and the benchmarks' checks act through it as users do.
``EmulatorControl`` speaks to the Graph emulator's ``/_emulator/`` API over HTTP (its methods
mirror ``GraphEmulator``'s), for an emulator in another process. Standard library and requests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from harness import count_fields

Json = dict[str, Any]


class RpcError(Exception):
    """An error returned by Odoo's JSON-RPC or the emulator's control API, with its message."""


class OdooSession:
    """A browser-like session logged in to Odoo's database ``db`` as one user."""

    def __init__(self, url: str, db: str, login: str, password: str) -> None:
        self.url, self.login = url, login
        self.http = requests.Session()
        result = self._json(
            "/web/session/authenticate", {"db": db, "login": login, "password": password}
        )
        self.uid: int = result["uid"]
        self.partner_id: int = result["partner_id"]

    def _json(self, path: str, params: Json, timeout: float = 60) -> Any:
        reply = self.http.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=timeout,
        )
        reply.raise_for_status()
        body = reply.json()
        if "error" in body:
            error = body["error"].get("data", {}).get("message") or body["error"].get("message")
            raise RpcError(f"{self.login}: {error}")
        return body["result"]

    def call(self, model: str, method: str, *args: Any, timeout: float = 60, **kwargs: Any) -> Any:
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self._json("/web/dataset/call_kw", params, timeout=timeout)

    def sync_log_counts(self) -> list[str]:
        """The count fields of ``outlook.sync.log``, as the model defines them."""
        return count_fields(self.call("outlook.sync.log", "fields_get", attributes=["type"]))


class EmulatorControl:
    """The Graph emulator's control API (JSON), at its ``http_url`` (or its https ``url``)."""

    def __init__(self, url: str) -> None:
        self.base = f"{url}/_emulator"
        self.http = requests.Session()

    def request(self, method: str, path: str, body: Json | None = None) -> Any:
        reply = self.http.request(method, self.base + path, json=body, timeout=30)
        if reply.status_code >= 400:
            raise RpcError(f"emulator {method} {path}: {reply.status_code} {reply.text[:300]}")
        return reply.json() if reply.content else None

    def events(self, mailbox: str) -> list[Json]:
        return self.request("GET", f"/mailboxes/{mailbox}/events")["value"]

    def event_named(self, mailbox: str, subject: str) -> Json:
        found = [e for e in self.events(mailbox) if e["subject"] == subject]
        if not found:
            raise RpcError(f"no event {subject!r} in the emulator's {mailbox}")
        return found[0]

    def sign_in(self, mailbox: str, authorize_url: str) -> str:
        """What the user's browser does at Microsoft (sign in, accept): the redirect URL."""
        body = {"mailbox": mailbox, "authorize_url": authorize_url}
        return self.request("POST", "/sign_in", body)["redirect_url"]

    def consent(self, mailbox: str, authorize_url: str) -> dict[str, str]:
        """``sign_in``, as the query the redirect carries back (code and state)."""
        return dict(parse_qsl(urlsplit(self.sign_in(mailbox, authorize_url)).query))
