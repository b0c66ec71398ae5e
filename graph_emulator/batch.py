"""JSON batching (``POST /v1.0/$batch``), after docs-contrib ``concepts/json-batching.md``.

At most 20 requests with ids unique ignoring case; ``dependsOn`` orders items and a failed dependency gives
424; each item is authenticated, throttled, counted and fault-checked on its own; the batch
itself answers 200 whatever the items did. Each item has its own headers: the envelope's
``Prefer`` is not copied into them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .errors import GraphError
from .wire import Headers, Request, Response

MAX_REQUESTS = 20


def _error(status: int, code: str, message: str) -> Response:
    err = GraphError(status, code, message)
    return Response.json(status, err.body())


def handle_batch(
    request: Request,
    execute: Callable[[Request], Response],
    concurrency: int | None = None,
    refuse: Callable[[], Response] | None = None,
) -> Response:
    """Run the items of a batch through ``execute`` and collect their replies.

    Items whose dependencies are done run together, as Graph runs items without ``dependsOn``
    in parallel: with a ``concurrency`` limit (the mailbox's, throttling on), those of one round
    beyond it get ``refuse()``'s answer (microsoft-graph-docs#8760: items 5 to 20 of a parallel
    batch answered 429 ``MailboxConcurrency``)."""
    try:
        payload = request.json()
        items = payload["requests"]
        assert isinstance(items, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        return _error(400, "BadRequest", "Invalid batch payload format.")
    if len(items) > MAX_REQUESTS:
        return _error(
            400,
            "BadRequest",
            f"Batch request contains {len(items)} requests; the limit is {MAX_REQUESTS}.",
        )
    ids = [str(item.get("id")) for item in items if isinstance(item, dict)]
    unique = {i.lower() for i in ids}
    if len(ids) != len(items) or len(unique) != len(ids) or any(i in ("", "None") for i in ids):
        return _error(400, "BadRequest", "Batch request ids must be present and unique.")
    by_id = {str(item["id"]): item for item in items}
    for item in items:
        if not item.get("method") or not item.get("url"):
            return _error(400, "BadRequest", f"Request '{item['id']}' needs a method and a url.")
        if any(str(dep) not in by_id for dep in item.get("dependsOn") or []):
            return _error(
                400, "BadRequest", f"Request '{item['id']}' depends on an unknown request id."
            )
    results: dict[str, dict[str, Any]] = {}
    rounds = _rounds(items)
    if rounds is None:
        return _error(400, "BadRequest", "Batch request dependsOn contains a cycle.")
    for item, position in (
        (item, n) for batch_round in rounds for n, item in enumerate(batch_round)
    ):
        item_id = str(item["id"])
        failed = [str(d) for d in item.get("dependsOn") or [] if results[str(d)]["status"] >= 400]
        if failed:
            body = GraphError(
                424,
                "FailedDependency",
                "The request was not processed because a dependency failed.",
            ).body()
            results[item_id] = {
                "id": item_id,
                "status": 424,
                "headers": {"Content-Type": "application/json"},
                "body": body,
            }
            continue
        over_limit = concurrency is not None and refuse is not None and position >= concurrency
        reply = refuse() if over_limit else execute(_sub_request(request, item))
        headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-length"}
        entry: dict[str, Any] = {"id": item_id, "status": reply.status, "headers": headers}
        if reply.body:
            entry["body"] = reply.payload()
        results[item_id] = entry
    return Response.json(200, {"responses": [results[str(item["id"])] for item in items]})


def _rounds(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]] | None:
    """The items in rounds: each round's dependencies all in earlier rounds (None: a cycle)."""
    done: set[str] = set()
    rounds: list[list[dict[str, Any]]] = []
    remaining = list(items)
    while remaining:
        ready = [i for i in remaining if all(str(d) in done for d in i.get("dependsOn") or [])]
        if not ready:
            return None
        for item in ready:
            done.add(str(item["id"]))
            remaining.remove(item)
        rounds.append(ready)
    return rounds


def _sub_request(outer: Request, item: dict[str, Any]) -> Request:
    url = str(item["url"])
    if not url.startswith("/"):
        url = "/" + url
    if not url.lower().startswith("/v1.0/"):
        url = "/v1.0" + url
    # The envelope lends its items its bearer token only: a ``Prefer`` applies to the request
    # that carries it, so an item without its own gets Graph's defaults.
    headers = Headers({k: v for k, v in outer.headers.items() if k == "authorization"})
    headers.update(Headers(item.get("headers") or {}))
    body = item.get("body")
    data = (
        json.dumps(body).encode()
        if body is not None and not isinstance(body, str)
        else (body or "").encode()
    )
    return Request(str(item["method"]).upper(), url, headers, data)
