"""Transport-neutral request/response objects shared by the socket server and ``$batch``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class Headers(dict):
    """A header dict with case-insensitive lookup (keys stored lower-case)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__()
        for key, value in dict(items).items():
            self[key.lower()] = value

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class Request:
    """One HTTP request (or one ``$batch`` item); ``delay`` is an injected processing time."""

    method: str
    target: str
    headers: Headers
    body: bytes = b""
    secure: bool = True
    delay: float = 0.0

    @property
    def path(self) -> str:
        """The path, percent-decoding left to the router."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (last one wins), with OData's ``$`` options kept as written."""
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    def json(self) -> Any:
        """The JSON body; ``ValueError`` when it is not JSON."""
        return json.loads(self.body.decode("utf-8")) if self.body else {}

    def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body."""
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


@dataclass
class Response:
    """A reply; ``drop`` asks the server to close the connection without sending it."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        """A JSON reply with Graph's content type."""
        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return cls(
            status,
            data,
            {
                "Content-Type": "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8",
                **(headers or {}),
            },
        )

    @classmethod
    def html(cls, status: int, text: str, headers: dict[str, str] | None = None) -> Response:
        """An HTML page."""
        return cls(
            status,
            text.encode("utf-8"),
            {"Content-Type": "text/html; charset=utf-8", **(headers or {})},
        )

    def payload(self) -> Any:
        """The JSON body decoded (None when empty)."""
        return json.loads(self.body) if self.body else None
