"""Graph's error JSON shape, ``{"error": {"code", "message", "innerError"}}``, as an exception."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any


class GraphError(Exception):
    """A Graph error reply; raised anywhere below the router, rendered by it."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Graph sends, with an innerError carrying request ids like the real one."""
        request_id = str(uuid.uuid4())
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": request_id,
                    "client-request-id": request_id,
                },
            }
        }


def bad_request(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    """400 with the given code."""
    return GraphError(400, code, message)


def not_found(message: str = "The specified object was not found in the store.") -> GraphError:
    """404 ErrorItemNotFound, Exchange's answer for a missing item."""
    return GraphError(404, "ErrorItemNotFound", message)
