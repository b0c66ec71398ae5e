"""HTTP/1.1 listeners: stdlib ``ThreadingHTTPServer`` over TLS (API) and plain http (browser).

Keep-alive with Nagle off and a deep backlog keeps a 100-event page in a few milliseconds; the
TLS handshake runs in the handler thread (``do_handshake_on_connect=False``) so a slow client
never blocks ``accept``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .wire import Headers, Request, Response

log = logging.getLogger("graph_emulator")
Handler = Callable[[Request], Response]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = Headers({k: ", ".join(self.headers.get_all(k) or []) for k in self.headers})
        request = Request(self.command, self.path, headers, body, secure=self.server.secure)  # type: ignore[attr-defined]
        try:
            reply = self.server.app(request)  # type: ignore[attr-defined]
        except Exception:  # an emulator bug must answer 500, not kill the connection silently
            log.exception("unhandled error for %s %s", self.command, self.path)
            reply = Response.json(
                500, {"error": {"code": "InternalServerError", "message": "Emulator error."}}
            )
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("request-id", headers.get("client-request-id") or "")
        self.end_headers()
        if reply.body and self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class Listener(ThreadingHTTPServer):
    """One listening socket, TLS-wrapped when given an SSL context."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, host: str, port: int, app: Handler, tls: ssl.SSLContext | None) -> None:
        super().__init__((host, port), _RequestHandler)
        self.app = app
        self.tls = tls
        self.secure = tls is not None
        self.thread: threading.Thread | None = None

    def get_request(self) -> tuple[socket.socket, object]:
        sock, addr = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: object, client_address: object) -> None:
        log.debug("connection error from %s", client_address, exc_info=True)

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return self.server_address[1]

    def start(self) -> None:
        """Serve in a daemon thread."""
        self.thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"graph-emulator-{self.port}",
            daemon=True,
        )
        self.thread.start()

    def stop(self) -> None:
        """Stop accepting and close the socket."""
        self.shutdown()
        self.server_close()
