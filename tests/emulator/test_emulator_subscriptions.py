"""Subscriptions and change notifications: validation, delivery, expiry, lifecycle events."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from emulator_support import START, event_body, graph_session

from graph_emulator import subscriptions


class Receiver(ThreadingHTTPServer):
    """A webhook on loopback: echoes validation tokens (as ``mode`` says) and records POSTs."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.mode = "echo"
        self.validations: list[str] = []
        self.notifications: list[dict] = []
        self.release = threading.Event()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        server: Receiver = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token = parse_qs(urlsplit(self.path).query).get("validationToken", [None])[0]
        if token is not None:
            server.validations.append(token)
            answer = {"echo": token, "wrong": "not the token", "refuse": ""}.get(server.mode, "")
            if server.mode == "slow":
                server.release.wait(15)
                answer = token
            self.send_response(403 if server.mode == "refuse" else 200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer.encode())))
            self.end_headers()
            self.wfile.write(answer.encode())
            return
        server.notifications.extend(json.loads(body)["value"])
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def subscribe(session, g, url, resource="/me/events", minutes=4000, **extra):
    body = {
        "changeType": "created,updated,deleted",
        "notificationUrl": url,
        "lifecycleNotificationUrl": url,
        "resource": resource,
        "expirationDateTime": (START + timedelta(minutes=minutes)).isoformat(),
        "clientState": "s3cret",
        **extra,
    }
    return session.post(f"{g.graph}/subscriptions", json=body)


def test_subscription_is_created_after_the_url_echoes_the_validation_token(g, alice, receiver):
    reply = subscribe(alice, g, receiver.url)

    assert reply.status_code == 201, reply.text
    sub = reply.json()
    assert sub["clientState"] == "s3cret"
    assert sub["changeType"] == "created,deleted,updated"
    assert sub["expirationDateTime"].startswith(
        (START + timedelta(minutes=4000)).strftime("%Y-%m-%dT%H:%M")
    )
    assert len(receiver.validations) == 1, "one URL, validated once"
    assert receiver.validations[0].startswith("Validation: ")
    assert [s["id"] for s in g.subscriptions()] == [sub["id"]]
    assert g.counters()["by_path"]["POST /subscriptions"] == 1


@pytest.mark.parametrize("mode", ["wrong", "refuse"])
def test_a_url_that_does_not_echo_the_token_gets_no_subscription(g, alice, receiver, mode):
    receiver.mode = mode

    reply = subscribe(alice, g, receiver.url)

    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "ValidationError"
    assert g.subscriptions() == []


def test_validation_gives_up_after_ten_seconds(g, alice, receiver, monkeypatch):
    monkeypatch.setattr(subscriptions, "VALIDATION_TIMEOUT", 0.2)
    receiver.mode = "slow"

    reply = subscribe(alice, g, receiver.url)

    assert reply.status_code == 400
    assert g.subscriptions() == []


@pytest.mark.parametrize(
    ("minutes", "extra"),
    [(10_081, {}), (-5, {}), (60, {"changeType": "moved"}), (60, {"resource": "/me/messages"})],
)
def test_bad_subscriptions_are_refused_before_any_call(g, alice, receiver, minutes, extra):
    reply = subscribe(alice, g, receiver.url, minutes=minutes, **extra)

    assert reply.status_code == 400
    assert receiver.validations == []


def test_a_tenant_with_the_older_maximum_refuses_a_longer_lifetime_as_graph_did(g, alice, receiver):
    """Graph's recorded 400 for a lifetime past the maximum; the maximum can be lowered to the
    4,230 minutes older docs gave, for POST and PATCH alike."""
    g.set_subscription_max_lifetime(4_230)

    refused = subscribe(alice, g, receiver.url, minutes=10_000)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ExtensionError"
    assert refused.json()["error"]["message"] == (
        "Subscription expiration can only be 4230 minutes in the future."
    )
    assert receiver.validations == []
    sub = subscribe(alice, g, receiver.url, minutes=4_200).json()
    url = f"{g.graph}/subscriptions/{sub['id']}"
    too_far = START + timedelta(minutes=4_231)
    assert alice.patch(url, json={"expirationDateTime": too_far.isoformat()}).status_code == 400

    g.reset()
    again = graph_session(g, "alice@example.com")
    assert subscribe(again, g, receiver.url, minutes=10_000).status_code == 201


def test_changes_in_the_watched_calendar_are_delivered_with_the_client_state(g, alice, receiver):
    calendar = alice.get(f"{g.graph}/me/calendar").json()["id"]
    sub = subscribe(alice, g, receiver.url, resource=f"/me/calendars/{calendar}/events").json()
    other = alice.post(f"{g.graph}/me/calendars", json={"name": "Other"}).json()["id"]

    created = alice.post(f"{g.graph}/me/events", json=event_body("One")).json()
    alice.patch(f"{g.graph}/me/events/{created['id']}", json={"subject": "One bis"})
    alice.delete(f"{g.graph}/me/events/{created['id']}")
    alice.post(f"{g.graph}/me/calendars/{other}/events", json=event_body("Elsewhere"))
    g.create_event("bob@example.com", event_body("Bob's own"))
    assert g.wait_for_notifications()

    kinds = [(n["changeType"], n["resourceData"]["id"]) for n in receiver.notifications]
    assert kinds == [
        ("created", created["id"]),
        ("updated", created["id"]),
        ("deleted", created["id"]),
    ]
    assert {n["clientState"] for n in receiver.notifications} == {"s3cret"}
    assert {n["subscriptionId"] for n in receiver.notifications} == {sub["id"]}
    assert all(d["status"] == 202 for d in g.notifications() if d["kind"] == "change")


def test_a_meeting_copy_notifies_the_attendee_subscription(g, alice, bob, receiver):
    bob_sub = subscribe(bob, g, receiver.url).json()

    alice.post(
        f"{g.graph}/me/events",
        json=event_body(
            "Meeting",
            attendees=[{"emailAddress": {"address": "bob@example.com"}, "type": "required"}],
        ),
    )
    assert g.wait_for_notifications()

    assert [(n["subscriptionId"], n["changeType"]) for n in receiver.notifications] == [
        (bob_sub["id"], "created")
    ]


def test_renewal_moves_expiry_and_an_expired_subscription_is_gone(g, alice, receiver):
    sub = subscribe(alice, g, receiver.url, minutes=60).json()
    url = f"{g.graph}/subscriptions/{sub['id']}"

    renewed = alice.patch(url, json={"expirationDateTime": (START + timedelta(days=6)).isoformat()})
    assert renewed.status_code == 200
    assert renewed.json()["expirationDateTime"].startswith(
        (START + timedelta(days=6)).strftime("%Y-%m-%d")
    )
    too_far = alice.patch(url, json={"expirationDateTime": (START + timedelta(days=8)).isoformat()})
    assert too_far.status_code == 400

    g.advance_clock(timedelta(days=6, minutes=1).total_seconds())
    assert graph_session(g).get(url).status_code == 404
    g.create_event("alice@example.com", event_body("After expiry"))
    assert g.wait_for_notifications()
    assert receiver.notifications == []


def test_delete_stops_notifications(g, alice, receiver):
    sub = subscribe(alice, g, receiver.url).json()

    assert alice.delete(f"{g.graph}/subscriptions/{sub['id']}").status_code == 204
    assert alice.delete(f"{g.graph}/subscriptions/{sub['id']}").status_code == 404
    g.create_event("alice@example.com", event_body("Unwatched"))
    assert g.wait_for_notifications()

    assert receiver.notifications == []


def test_another_user_cannot_touch_a_subscription(g, alice, bob, receiver):
    sub = subscribe(alice, g, receiver.url).json()

    assert bob.get(f"{g.graph}/subscriptions/{sub['id']}").status_code == 404
    assert (
        subscribe(bob, g, receiver.url, resource="/users/alice@example.com/events").status_code
        == 403
    )


@pytest.mark.parametrize("event", ["reauthorizationRequired", "missed", "subscriptionRemoved"])
def test_lifecycle_events_on_demand(g, alice, receiver, event):
    sub = subscribe(alice, g, receiver.url).json()

    control = alice.post(
        f"{g.url}/_emulator/subscriptions/{sub['id']}/lifecycle", json={"event": event}
    )
    assert control.status_code == 202
    assert g.wait_for_notifications()

    (notice,) = receiver.notifications
    assert notice["lifecycleEvent"] == event
    assert notice["clientState"] == "s3cret"
    assert notice["subscriptionId"] == sub["id"]
    still_there = [s["id"] for s in g.subscriptions()] == [sub["id"]]
    assert still_there is (event != "subscriptionRemoved")


def test_reset_forgets_subscriptions(g, alice, receiver):
    subscribe(alice, g, receiver.url)

    g.reset()

    assert g.subscriptions() == []
    assert g.notifications() == []
