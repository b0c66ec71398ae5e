"""The control API under ``/_emulator/`` (JSON), mirroring ``GraphEmulator``'s methods."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .errors import GraphError
from .wire import Request, Response

if TYPE_CHECKING:
    from .emulator import GraphEmulator


def _ok(payload: Any = None, status: int = 200) -> Response:
    return Response.json(status, {"ok": True} if payload is None else payload)


def handle_control(emu: GraphEmulator, request: Request) -> Response:
    """Route a ``/_emulator/...`` request."""
    parts = [unquote(p) for p in request.path.split("/")[2:] if p]
    method = request.method
    try:
        body = request.json() if request.body else {}
    except ValueError:
        return Response.json(
            400, {"error": {"code": "BadRequest", "message": "Body must be JSON."}}
        )
    query = request.query
    try:
        route = (method, tuple(parts[:1]))
        if route == ("GET", ("info",)):
            return _ok(emu.info())
        if route == ("GET", ("counters",)):
            return _ok(emu.counters())
        if route == ("GET", ("sent_mail",)):
            return _ok({"value": emu.sent_mail(query.get("mailbox"))})
        if route == ("GET", ("state",)):
            return _ok(emu.dump_state())
        if route == ("POST", ("reset",)):
            emu.reset()
            return _ok()
        if route == ("POST", ("save",)):
            emu.save_state(body.get("path"))
            return _ok()
        if route == ("POST", ("apps",)) and len(parts) == 1:
            emu.add_app(
                body["client_id"],
                body["client_secret"],
                body.get("redirect_uris"),
                body.get("application_permissions"),
            )
            return _ok(status=201)
        if route == ("POST", ("apps",)) and parts[2:] == ["certificates"]:
            return _ok(emu.add_app_certificate(parts[1], body["certificate"]), 201)
        if route == ("POST", ("tenants",)) and parts[2:] == ["consent"]:
            emu.grant_admin_consent(parts[1], body["client_id"], body.get("permissions"))
            return _ok()
        if route == ("DELETE", ("tenants",)) and parts[2:] == ["consent"]:
            return _ok({"revoked": emu.revoke_admin_consent(parts[1], body["client_id"])})
        if route == ("POST", ("tenants",)) and parts[2:] == ["policy"]:
            emu.set_access_policy(parts[1], body["client_id"], body.get("mailboxes"))
            return _ok()
        if route == ("POST", ("tenants",)) and parts[2:] == ["members"]:
            emu.move_to_tenant(body["mailbox"], parts[1])
            return _ok()
        if route == ("POST", ("admin_consent",)):
            redirect = emu.consent_as_admin(body["consent_url"], bool(body.get("accept", True)))
            return _ok({"redirect_url": redirect})
        if route == ("POST", ("faults",)):
            emu.inject_fault(**body)
            return _ok({"pending": emu.traffic.pending_faults()}, 201)
        if route == ("GET", ("faults",)):
            return _ok({"pending": emu.traffic.pending_faults()})
        if route == ("DELETE", ("faults",)):
            emu.clear_faults()
            return _ok()
        if route == ("POST", ("throttling",)):
            emu.set_throttling(**body)
            return _ok()
        if route == ("POST", ("delta_tokens",)) and parts[1:] == ["expire"]:
            emu.expire_delta_tokens(body["mailbox"])
            return _ok()
        if route == ("POST", ("delta",)) and parts[1:] == ["omit_early_masters"]:
            emu.omit_early_series_masters(bool(body.get("enabled", True)))
            return _ok()
        if route == ("POST", ("refresh_tokens",)) and parts[1:] == ["revoke"]:
            return _ok({"revoked": emu.revoke_refresh_tokens(body["mailbox"])})
        if route == ("POST", ("access_tokens",)) and parts[1:] == ["expire"]:
            return _ok({"expired": emu.expire_access_tokens(body.get("mailbox"))})
        if route == ("POST", ("sign_in",)):
            redirect = emu.sign_in(body["mailbox"], body["authorize_url"], body.get("granted"))
            return _ok({"redirect_url": redirect})
        if route == ("POST", ("clock",)) and parts[1:] == ["advance"]:
            return _ok({"now": emu.advance_clock(float(body.get("seconds", 0))).isoformat()})
        if route == ("GET", ("subscriptions",)):
            return _ok({"value": emu.subscriptions()})
        if route == ("POST", ("subscriptions",)) and parts[2:] == ["lifecycle"]:
            emu.send_lifecycle(parts[1], body["event"])
            return _ok(status=202)
        if route == ("POST", ("teams",)) and parts[1:] == ["refuse"]:
            emu.refuse_teams_meetings(body["mailbox"], bool(body.get("refused", True)))
            return _ok()
        if route == ("POST", ("subscription_lifetime",)):
            emu.set_subscription_max_lifetime(int(body["minutes"]))
            return _ok()
        if route == ("GET", ("notifications",)):
            return _ok({"value": emu.notifications()})
        if route == ("POST", ("notifications",)) and parts[1:] == ["wait"]:
            return _ok({"idle": emu.wait_for_notifications(float(body.get("timeout", 10.0)))})
        if parts[:1] == ["mailboxes"]:
            return _mailboxes(emu, method, parts[1:], body, query.get("calendar_id"))
    except (KeyError, TypeError, ValueError) as exc:
        return Response.json(
            400, {"error": {"code": "BadRequest", "message": f"Bad control request: {exc!r}"}}
        )
    except GraphError as exc:
        return Response.json(exc.status, exc.body())
    return Response.json(
        404,
        {"error": {"code": "NotFound", "message": f"No control endpoint {method} {request.path}."}},
    )


def _mailboxes(
    emu: GraphEmulator,
    method: str,
    parts: list[str],
    body: dict[str, Any],
    calendar_id: str | None,
) -> Response:
    if not parts:
        if method == "POST":
            emu.add_mailbox(
                body["address"],
                display_name=body.get("display_name"),
                personal=bool(body.get("personal")),
            )
            return _ok(status=201)
        return _ok({"value": emu.mailboxes()})
    address, rest = parts[0], parts[1:]
    if rest == ["exchange"] and method == "POST":
        emu.set_mailbox_enabled(address, bool(body.get("enabled", True)))
        return _ok()
    if rest == ["calendars"] and method == "GET":
        return _ok({"value": emu.calendars(address)})
    if rest == ["calendars"] and method == "POST":
        return _ok({"id": emu.add_calendar(address, body["name"], body.get("color", "auto"))}, 201)
    if rest == ["shares"] and method == "POST":
        share_id = emu.share_calendar(
            address,
            body.get("calendar_id"),
            body["recipient"],
            can_edit=bool(body.get("can_edit", True)),
        )
        return _ok({"id": share_id}, 201)
    if rest == ["shares"] and method == "DELETE":
        emu.unshare_calendar(address, body.get("calendar_id"), body["recipient"])
        return Response(204)
    if rest == ["events"] and method == "GET":
        return _ok({"value": emu.events(address, calendar_id)})
    if rest == ["events"] and method == "POST":
        return _ok(emu.create_event(address, body, calendar_id), 201)
    if len(rest) == 2 and rest[0] == "events":
        if method == "PATCH":
            return _ok(emu.update_event(address, rest[1], body))
        if method == "DELETE":
            emu.delete_event(address, rest[1])
            return Response(204)
    return Response.json(404, {"error": {"code": "NotFound", "message": json.dumps(parts)}})
