"""The request dispatcher: faults first, then identity, Graph, the control API or the page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from .batch import handle_batch
from .errors import GraphError
from .graph_api import GraphApi
from .identity import Identity
from .traffic import Traffic
from .wire import Request, Response

_DISCOVERY = re.compile(r"^/([^/]+)(?:/v2\.0)?/\.well-known/openid-configuration$")
_KEYS = re.compile(r"^/([^/]+)/discovery/(?:v2\.0/)?keys$")
_AUTHORIZE = re.compile(r"^/([^/]+)/oauth2/v2\.0/authorize$")
_ADMIN_CONSENT = re.compile(r"^/([^/]+)(?:/v2\.0)?/adminconsent$")
_TOKEN = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")


class Dispatcher:
    """Maps a request to its handler; ``secure`` False is the browser-only plain-http listener."""

    def __init__(
        self,
        identity: Identity,
        graph: GraphApi,
        traffic: Traffic,
        control: Callable[[Request], Response],
        page: Callable[[Request], Response],
        urls: Callable[[], tuple[str, str]],
    ) -> None:
        self.identity = identity
        self.graph = graph
        self.traffic = traffic
        self.control = control
        self.page = page
        self.urls = urls

    def __call__(self, request: Request) -> Response:
        """Serve a request that arrived on a socket."""
        path = request.path
        if path.startswith("/_emulator/") or path == "/_emulator":
            return self.control(request)
        if path in ("/", "/index.html"):
            return self.page(request)
        self.traffic.count_http(request.method, path)
        return self._with_faults(request, on_socket=True)

    def _with_faults(self, request: Request, on_socket: bool) -> Response:
        fault = self.traffic.take_fault(request.method, request.target, on_socket)
        if fault and fault.kind == "drop_before":
            return Response(0, drop=True)
        if fault and fault.kind == "delay":
            if request.path.startswith("/v1.0/") and "$batch" not in request.path:
                request.delay = fault.delay or 0.0
            else:
                time.sleep(fault.delay or 0)
        if fault and fault.kind == "status":
            err = fault.error()
            reply = Response.json(err.status, err.body(), err.headers)
        else:
            reply = self._route(request)
        if fault and fault.kind == "rewrite":
            reply = fault.rewrite(reply)
        if fault and fault.kind == "status_after":
            reply = fault.error_after_applying()
        if fault and fault.kind == "delay_after":
            time.sleep(fault.delay or 0)
        self.traffic.count_status(reply.status)
        if fault and fault.kind == "drop_after":
            reply.drop = True
        return reply

    def _route(self, request: Request) -> Response:
        path = request.path
        base, browser = self.urls()
        if _AUTHORIZE.match(path) and request.method in ("GET", "POST"):
            return self.identity.authorize(request)
        if _ADMIN_CONSENT.match(path) and request.method in ("GET", "POST"):
            return self.identity.admin_consent(request)
        if not request.secure:
            return Response.html(
                404,
                "<p>Only the sign-in page and <a href='/'>the overview</a> are served over http; "
                "use the https URL for the API.</p>",
            )
        if path.startswith("/v1.0/") or path == "/v1.0":
            if path.rstrip("/").lower() == "/v1.0/$batch":
                if request.method != "POST":
                    err = GraphError(405, "ErrorInvalidRequest", "$batch only accepts POST.")
                    return Response.json(405, err.body())
                return handle_batch(
                    request,
                    lambda item: self._with_faults(item, on_socket=False),
                    self.traffic.concurrency_limit(),
                    self.traffic.refuse_concurrent,
                )
            return self.graph.handle(request)
        if (match := _DISCOVERY.match(path)) and request.method == "GET":
            return Response.json(
                200, self.identity.openid_configuration(base, browser, match.group(1))
            )
        if _KEYS.match(path) and request.method == "GET":
            return Response.json(200, self.identity.jwks())
        if _TOKEN.match(path) and request.method == "POST":
            return self.identity.token(request, base)
        if path.endswith("/discovery/instance"):
            host = base.split("://", 1)[1]
            return Response.json(
                200,
                {
                    "tenant_discovery_endpoint": f"{base}/common/v2.0/.well-known/openid-configuration",
                    "api-version": "1.1",
                    "metadata": [
                        {"preferred_network": host, "preferred_cache": host, "aliases": [host]}
                    ],
                },
            )
        err = GraphError(404, "NotFound", f"No emulated endpoint at {request.method} {path}.")
        return Response.json(404, err.body())
