"""Delegated permissions, as the tables of Microsoft's API pages give them: each route refused
(Graph's 403 body) to a token without one of its permissions and served with one, in a
``$batch`` item too; consent adds up per user and app, and a refresh cannot add to it."""

import pytest
import requests
from emulator_support import (
    SCOPE,
    authorize_url,
    code_from,
    event_body,
    graph_session,
    pkce_pair,
    redeem,
    refresh,
)

from graph_emulator.permissions import needed, route_name

ALICE = "alice@example.com"
SIGN_IN = "offline_access openid profile"
ACCESS_DENIED = {
    "code": "ErrorAccessDenied",
    "message": "Access is denied. Check credentials and try again.",
}
WINDOW = "startDateTime=2026-03-01T00:00:00Z&endDateTime=2026-04-01T00:00:00Z"
WEEKLY = {
    "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"]},
    "range": {"type": "numbered", "startDate": "2026-03-03", "numberOfOccurrences": 3},
}

# (method, path under /v1.0/me, body, a scope that serves it, a scope that does not)
ROUTES = [
    ("GET", "", None, "User.Read", "Calendars.ReadWrite"),
    ("GET", "/calendars", None, "Calendars.ReadBasic", "User.Read"),
    ("POST", "/calendars", {"name": "Side"}, "Calendars.ReadWrite", "Calendars.Read"),
    ("GET", "/calendar", None, "Calendars.Read", "MailboxSettings.ReadWrite"),
    ("GET", "/events", None, "Calendars.ReadBasic", "User.Read"),
    ("GET", "/calendar/events", None, "Calendars.Read", "User.Read"),
    ("POST", "/events", event_body(), "Calendars.ReadWrite", "Calendars.Read"),
    ("GET", "/events/{event}", None, "Calendars.ReadBasic", "User.Read"),
    ("PATCH", "/events/{event}", {"subject": "Moved"}, "Calendars.ReadWrite", "Calendars.Read"),
    ("DELETE", "/events/{event}", None, "Calendars.ReadWrite", "Calendars.Read"),
    ("GET", "/events/{series}/instances?" + WINDOW, None, "Calendars.Read", "User.Read"),
    ("GET", "/calendarView?" + WINDOW, None, "Calendars.ReadBasic", "User.Read"),
    ("GET", "/calendarView/delta?" + WINDOW, None, "Calendars.Read", "User.Read"),
    ("POST", "/events/{invite}/accept", {"sendResponse": False}, "Calendars.ReadWrite", "Calendars.Read"),
    ("POST", "/events/{invite}/decline", {"sendResponse": False}, "Calendars.ReadWrite", "Calendars.Read"),
    ("POST", "/events/{invite}/tentativelyAccept", {"sendResponse": False}, "Calendars.ReadWrite", "Calendars.Read"),
    ("POST", "/events/{meeting}/cancel", {"comment": "Off"}, "Calendars.ReadWrite", "Calendars.Read"),
    ("GET", "/outlook/masterCategories", None, "MailboxSettings.Read", "Calendars.ReadWrite"),
    ("POST", "/outlook/masterCategories", {"displayName": "Red", "color": "preset0"}, "MailboxSettings.ReadWrite", "MailboxSettings.Read"),
    ("GET", "/outlook/masterCategories/{category}", None, "MailboxSettings.Read", "Calendars.ReadWrite"),
    ("PATCH", "/outlook/masterCategories/{category}", {"color": "preset3"}, "MailboxSettings.ReadWrite", "MailboxSettings.Read"),
    ("DELETE", "/outlook/masterCategories/{category}", None, "MailboxSettings.ReadWrite", "MailboxSettings.Read"),
]  # fmt: skip


def _ids(g):
    """Objects for the routes to act on, made through the control API (no token involved)."""
    event = g.create_event(ALICE, event_body("Own"))["id"]
    series = g.create_event(ALICE, event_body("Weekly", recurrence=WEEKLY))["id"]
    meeting = g.create_event(
        ALICE,
        event_body(
            "Meeting",
            attendees=[{"emailAddress": {"address": "bob@example.com"}, "type": "required"}],
        ),
    )["id"]
    invite = g.create_event(
        "bob@example.com",
        event_body("Invite", attendees=[{"emailAddress": {"address": ALICE}, "type": "required"}]),
    )
    invite_id = next(e["id"] for e in g.events(ALICE) if e.get("iCalUId") == invite.get("iCalUId"))
    return {"event": event, "series": series, "meeting": meeting, "invite": invite_id}


def _call(session, g, method, path, body):
    return session.request(method, f"{g.graph}/me{path}", json=body)


def _assert_access_denied(reply):
    assert reply.status_code == 403, reply.text
    error = reply.json()["error"]
    assert (error["code"], error["message"]) == (ACCESS_DENIED["code"], ACCESS_DENIED["message"])


def _tokens(g, client_id, secret, scope, granted=None):
    """The auth-code flow of one app for Alice (``granted``: what she may consent to)."""
    verifier, challenge = pkce_pair()
    url = authorize_url(g, challenge=challenge, scope=scope)
    url = url.replace(f"client_id={g.client_id}", f"client_id={client_id}")
    code = code_from(g.sign_in(ALICE, url, granted))
    reply = redeem(g, code, verifier, client_id=client_id, client_secret=secret, scope=scope)
    reply.raise_for_status()
    return reply.json()


def _category_of_another_app(g):
    """A master category of Alice's, made by another app (consent belongs to each app)."""
    g.add_app("other-app", "other-secret")
    token = _tokens(g, "other-app", "other-secret", f"MailboxSettings.ReadWrite {SIGN_IN}")
    return requests.post(
        f"{g.graph}/me/outlook/masterCategories",
        json={"displayName": "Blue", "color": "preset7"},
        headers={"Authorization": "Bearer " + token["access_token"]},
    ).json()["id"]


@pytest.mark.parametrize("route", ROUTES)
def test_each_route_is_refused_without_its_permission(g, route):
    method, path, body, _serves, refused = route
    ids = _ids(g)
    category = _category_of_another_app(g)
    before, mail = g.dump_state()["mailboxes"], len(g.sent_mail())
    session = graph_session(g, ALICE, f"{refused} {SIGN_IN}")
    _assert_access_denied(_call(session, g, method, path.format(category=category, **ids), body))
    assert g.dump_state()["mailboxes"] == before
    assert len(g.sent_mail()) == mail


@pytest.mark.parametrize("route", ROUTES)
def test_the_permission_of_the_table_alone_serves_the_route(g, route):
    method, path, body, serves, _refused = route
    ids = _ids(g)
    category = _category_of_another_app(g)
    session = graph_session(g, ALICE, f"{serves} {SIGN_IN}")
    served = _call(session, g, method, path.format(category=category, **ids), body)
    assert served.status_code < 300, served.text


def test_batch_items_are_checked_one_by_one(g):
    """A refused item gets the 403 body in its own answer; the others are served."""
    session = graph_session(g, ALICE, f"Calendars.ReadWrite {SIGN_IN}")
    reply = session.post(
        f"{g.graph}/$batch",
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": "/me/outlook/masterCategories"},
                {
                    "id": "2",
                    "method": "POST",
                    "url": "/me/events",
                    "headers": {"Content-Type": "application/json"},
                    "body": event_body("Batched"),
                },
                {
                    "id": "3",
                    "method": "POST",
                    "url": "/me/outlook/masterCategories",
                    "headers": {"Content-Type": "application/json"},
                    "body": {"displayName": "Red", "color": "preset0"},
                },
            ]
        },
    )
    assert reply.status_code == 200
    answers = {item["id"]: item for item in reply.json()["responses"]}
    assert answers["1"]["status"] == answers["3"]["status"] == 403
    assert answers["1"]["body"]["error"]["code"] == "ErrorAccessDenied"
    assert answers["3"]["body"]["error"]["message"] == ACCESS_DENIED["message"]
    assert answers["2"]["status"] == 201
    assert [e["subject"] for e in g.events(ALICE)] == ["Batched"]
    assert not g.store.mailbox(ALICE).categories


def test_subscriptions_need_a_calendars_permission(g):
    session = graph_session(g, ALICE, f"User.Read MailboxSettings.ReadWrite {SIGN_IN}")
    reply = session.post(
        f"{g.graph}/subscriptions",
        json={
            "changeType": "created,updated,deleted",
            "notificationUrl": "https://odoo.test/hook",
            "resource": "/me/events",
            "expirationDateTime": "2026-03-04T08:00:00Z",
            "clientState": "s",
        },
    )
    _assert_access_denied(reply)
    assert g.subscriptions() == []


def test_the_shared_permissions_do_not_serve_subscriptions(g):
    """Microsoft's answer on learn.microsoft.com/answers/questions/1166400: the Outlook sharing
    permissions (Calendars.Read.Shared and its read/write counterpart) "do not support
    subscribing to change notifications"; Calendars.Read is what ``/me/events`` needs."""
    subscription = {
        "changeType": "created,updated,deleted",
        "notificationUrl": "https://odoo.test/hook",
        "resource": "/me/events",
        "expirationDateTime": "2026-03-04T08:00:00Z",
        "clientState": "s",
    }
    for scope in ("Calendars.Read.Shared", "Calendars.ReadWrite.Shared"):
        g.identity.reset()
        shared_only = graph_session(g, ALICE, f"{scope} {SIGN_IN}")
        _assert_access_denied(shared_only.post(f"{g.graph}/subscriptions", json=subscription))
    assert g.subscriptions() == []
    g.identity.reset()
    reader = graph_session(g, ALICE, f"Calendars.Read {SIGN_IN}")
    # Served: Graph goes on to validate the notification URL, which nobody answers here.
    served = reader.post(f"{g.graph}/subscriptions", json=subscription)
    assert served.status_code == 400 and served.json()["error"]["code"] == "ValidationError"


def test_mailbox_settings_need_mailbox_settings_permissions(g):
    """The route is named so that the table covers it (GET reads, PATCH writes)."""
    assert route_name(["mailboxSettings"]) == "mailboxSettings"
    assert needed("GET", "mailboxSettings") == {"MailboxSettings.Read", "MailboxSettings.ReadWrite"}
    assert needed("PATCH", "mailboxSettings") == {"MailboxSettings.ReadWrite"}
    session = graph_session(g, ALICE, f"Calendars.ReadWrite User.Read {SIGN_IN}")
    _assert_access_denied(session.get(f"{g.graph}/me/mailboxSettings"))
    _assert_access_denied(session.patch(f"{g.graph}/me/mailboxSettings", json={"timeZone": "UTC"}))


def test_shared_calendar_routes_need_the_shared_permissions(g):
    """Through a calendar another user shared, only a .Shared permission serves: the
    own-mailbox Calendars.ReadWrite does not, and Calendars.Read.Shared only reads."""
    team = g.add_calendar("bob@example.com", "Team")
    shared_id = g.share_calendar("bob@example.com", team, ALICE)
    own = graph_session(g, ALICE, f"Calendars.ReadWrite {SIGN_IN}")
    _assert_access_denied(own.get(f"{g.graph}/me/calendars/{shared_id}/events"))
    g.identity.reset()
    reader = graph_session(g, ALICE, f"Calendars.Read.Shared {SIGN_IN}")
    assert reader.get(f"{g.graph}/me/calendars/{shared_id}/events").status_code == 200
    _assert_access_denied(
        reader.post(f"{g.graph}/me/calendars/{shared_id}/events", json=event_body())
    )
    assert g.events("bob@example.com") == []


def test_a_sign_in_consents_to_what_it_was_allowed_and_tokens_say_so(g):
    """The token response's ``scope`` lists what the token carries: the consented scopes."""
    token = _tokens(
        g, g.client_id, g.client_secret, SCOPE, granted=["Calendars.ReadWrite", "User.Read"]
    )
    assert set(token["scope"].split()) == {"Calendars.ReadWrite", "User.Read"}
    headers = {"Authorization": "Bearer " + token["access_token"]}
    _assert_access_denied(requests.get(f"{g.graph}/me/outlook/masterCategories", headers=headers))
    assert requests.get(f"{g.graph}/me/events", headers=headers).status_code == 200


def test_consent_adds_up_and_a_refresh_cannot_consent(g):
    """A later sign-in adds MailboxSettings; a refresh asking for a permission never
    consented is refused (AADSTS65001, consent_required), one asking less gets everything."""
    old = _tokens(g, g.client_id, g.client_secret, f"Calendars.ReadWrite User.Read {SIGN_IN}")

    def refresh_for(scope):
        return refresh(g, old["refresh_token"], scope=scope)

    refused = refresh_for(f"Calendars.ReadWrite MailboxSettings.ReadWrite {SIGN_IN}")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert refused.json()["error_codes"] == [65001]
    assert refused.json()["suberror"] == "consent_required"
    assert refresh_for(f"Calendars.ReadWrite {SIGN_IN}").json()["scope"].split() == [
        "Calendars.ReadWrite",
        "User.Read",
    ]
    _tokens(g, g.client_id, g.client_secret, f"MailboxSettings.ReadWrite {SIGN_IN}")
    again = refresh_for(f"Calendars.ReadWrite {SIGN_IN}").json()
    assert set(again["scope"].split()) == {
        "Calendars.ReadWrite",
        "MailboxSettings.ReadWrite",
        "User.Read",
    }
    headers = {"Authorization": "Bearer " + again["access_token"]}
    assert requests.get(f"{g.graph}/me/outlook/masterCategories", headers=headers).ok
