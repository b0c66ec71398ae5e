"""``--state FILE``: mailboxes (calendars shared with them included), events, sent mail, apps
and refresh tokens as JSON.

Access tokens, codes and delta tokens are not kept: after a restart clients refresh their
access token and a stored deltaLink answers 410, as when Graph drops a sync state.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from . import events as ev
from .identity import App, Grant, Identity
from .store import Calendar, Mailbox, SharedCalendar, Store

_DATES = {"start", "end", "created", "modified", "original_start", "issued", "expires", "last_used"}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dump(store: Store, identity: Identity) -> dict[str, Any]:
    """The persistent state as JSON-ready data."""
    with store.lock, identity.lock:
        return _encode(
            {
                "mailboxes": [asdict(box) for box in store.mailboxes.values()],
                "apps": [asdict(app) for app in identity.apps.values()],
                "refresh_tokens": [asdict(g) for g in identity.refresh_tokens.values()],
            }
        )


def _event(data: dict[str, Any]) -> ev.StoredEvent:
    data = dict(data)
    data["exceptions"] = {k: ev.Override(**o) for k, o in data["exceptions"].items()}
    data["organizer_ref"] = tuple(data["organizer_ref"]) if data["organizer_ref"] else None
    return ev.StoredEvent(
        **{f.name: data[f.name] for f in fields(ev.StoredEvent) if f.name in data}
    )


def load(store: Store, identity: Identity, raw: dict[str, Any]) -> None:
    """Replace the store's mailboxes, the apps and refresh tokens with saved ones."""
    data = _decode(raw)
    with store.lock, identity.lock:
        store.mailboxes.clear()
        for box in data["mailboxes"]:
            mailbox = Mailbox(
                address=box["address"],
                display_name=box["display_name"],
                id=box["id"],
                calendars={k: Calendar(**c) for k, c in box["calendars"].items()},
                events={k: _event(e) for k, e in box["events"].items()},
                seq=box["seq"],
                tombstones=[tuple(t) for t in box["tombstones"]],
                transactions=box["transactions"],
                sent=box["sent"],
                personal=box.get("personal", False),
                time_zone=box.get("time_zone", "UTC"),
                categories=box.get("categories", {}),
                shared_calendars={
                    k: SharedCalendar(**c) for k, c in box.get("shared_calendars", {}).items()
                },
            )
            store.mailboxes[mailbox.address.lower()] = mailbox
        for app in data["apps"]:
            identity.apps[app["client_id"]] = App(**app)
        identity.refresh_tokens = {g["token"]: Grant(**g) for g in data["refresh_tokens"]}


def save_file(store: Store, identity: Identity, path: Path) -> None:
    """Write the state atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(dump(store, identity)))
    tmp.replace(path)


def load_file(store: Store, identity: Identity, path: Path) -> bool:
    """Load the state if the file exists; returns whether it did."""
    if not path.is_file():
        return False
    load(store, identity, json.loads(path.read_text()))
    return True
