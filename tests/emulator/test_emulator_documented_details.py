"""Documented details of Graph and of the identity platform that CONTRACT.md lists and that no
broader test holds: the token endpoint's client checks, the id_token's signature, query options
delta refuses, `$batch` ids, and a few refusals of the event resource."""

import base64
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from emulator_support import (
    START,
    authorize_url,
    code_from,
    event_body,
    get_tokens,
    pkce_pair,
    redeem,
)

from graph_emulator import subscriptions

WINDOW = {"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}


def _b64decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _code(g):
    verifier, challenge = pkce_pair()
    return code_from(
        g.sign_in("alice@example.com", authorize_url(g, challenge=challenge))
    ), verifier


def test_token_endpoint_takes_the_secret_by_http_basic_and_refuses_unknown_or_secretless_apps(g):
    code, verifier = _code(g)
    basic = redeem(g, code, verifier, client_secret=None, auth=(g.client_id, g.client_secret))
    assert basic.status_code == 200 and basic.json()["token_type"] == "Bearer"

    code, verifier = _code(g)
    unknown = redeem(g, code, verifier, client_id="no-such-app")
    assert unknown.status_code == 400 and unknown.json()["error_codes"] == [700016]
    secretless = redeem(g, code, verifier, client_secret=None)
    assert secretless.status_code == 401
    assert secretless.json()["error"] == "invalid_client"
    assert secretless.json()["error_codes"] == [7000218]


def test_token_errors_carry_entra_fields(g):
    code, _ = _code(g)
    body = redeem(g, code, "wrong-verifier").json()
    assert set(body) == {
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    }
    assert body["error_description"].startswith("AADSTS501481: ")
    assert "Trace ID: " in body["error_description"]


def test_authorize_refuses_an_unknown_app(g):
    url = authorize_url(g).replace(f"client_id={g.client_id}", "client_id=no-such-app")
    page = requests.get(url)
    assert page.status_code == 400 and "AADSTS700016" in page.text


def test_id_token_is_signed_by_the_published_key_and_names_the_account(g):
    tokens = get_tokens(g)
    header, claims, signature = tokens["id_token"].split(".")
    head = json.loads(_b64decode(header))
    config = requests.get(f"{g.authority}/v2.0/.well-known/openid-configuration").json()
    key = next(
        k for k in requests.get(config["jwks_uri"]).json()["keys"] if k["kid"] == head["kid"]
    )
    public = rsa.RSAPublicNumbers(
        int.from_bytes(_b64decode(key["e"]), "big"), int.from_bytes(_b64decode(key["n"]), "big")
    ).public_key()
    public.verify(
        _b64decode(signature),
        f"{header}.{claims}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    assert head["alg"] == "RS256"
    payload = json.loads(_b64decode(claims))
    assert payload["nonce"] == "n0nce" and payload["aud"] == g.client_id
    assert payload["preferred_username"] == "alice@example.com" and payload["ver"] == "2.0"
    client_info = json.loads(_b64decode(tokens["client_info"]))
    assert client_info == {"uid": payload["oid"], "utid": payload["tid"]}
    assert "openid" not in tokens["scope"].split() and "Calendars.ReadWrite" in tokens["scope"]


def test_instance_discovery_names_the_host_as_its_own_alias(g):
    reply = requests.get(f"{g.url}/common/discovery/instance").json()
    host = g.url.split("://", 1)[1]
    assert reply["metadata"][0]["aliases"] == [host]
    assert reply["tenant_discovery_endpoint"].endswith("/v2.0/.well-known/openid-configuration")


def test_an_unknown_user_is_404_invalid_user(g, alice):
    reply = alice.get(f"{g.graph}/users/nobody@example.com")
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "ErrorInvalidUser"


def test_a_calendar_name_already_taken_is_409_folder_exists(g, alice):
    assert alice.post(f"{g.graph}/me/calendars", json={"name": "Team"}).status_code == 201
    again = alice.post(f"{g.graph}/me/calendars", json={"name": "Team"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "ErrorFolderExists"


def test_text_body_preference_gives_the_stored_html_body_as_text(g, alice):
    event = alice.post(
        f"{g.graph}/me/events",
        json=event_body(body={"contentType": "html", "content": "<p>Agenda</p>"}),
    ).json()
    reply = alice.get(
        f"{g.graph}/me/events/{event['id']}", headers={"Prefer": 'outlook.body-content-type="text"'}
    )
    assert reply.json()["body"]["contentType"] == "text"
    assert reply.json()["body"]["content"].strip() == "Agenda"
    assert 'outlook.body-content-type="text"' in reply.headers["Preference-Applied"]


def test_an_unknown_prefer_time_zone_is_refused(g, alice):
    reply = alice.get(f"{g.graph}/me/events", headers={"Prefer": 'outlook.timezone="Mars/Olympus"'})
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "TimeZoneNotSupportedException"


def test_orderby_sorts_the_event_list(g, alice):
    for subject in ("b", "c", "a"):
        alice.post(f"{g.graph}/me/events", json=event_body(subject=subject))
    listed = alice.get(f"{g.graph}/me/events", params={"$orderby": "subject desc"}).json()
    assert [e["subject"] for e in listed["value"]] == ["c", "b", "a"]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("$select", "subject"),
        ("$expand", "singleValueExtendedProperties"),
        ("$filter", "subject eq 'a'"),
        ("$orderby", "subject"),
        ("$search", "subject"),
    ],
)
def test_delta_refuses_the_query_options_graph_does_not_support(g, alice, option, value):
    reply = alice.get(f"{g.graph}/me/calendarView/delta", params={**WINDOW, option: value})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "ErrorInvalidUrlQuery"


def test_delta_pages_ten_events_without_a_page_size(g, alice):
    for day in range(2, 14):
        alice.post(
            f"{g.graph}/me/events",
            json=event_body(start=f"2026-03-{day:02d}T09:00:00", end=f"2026-03-{day:02d}T10:00:00"),
        )
    first = alice.get(f"{g.graph}/me/calendarView/delta", params=WINDOW).json()
    assert len(first["value"]) == 10 and "@odata.nextLink" in first


def test_batch_ids_must_be_unique_ignoring_case(g, alice):
    items = [{"id": i, "method": "GET", "url": "/me"} for i in ("a", "A")]
    reply = alice.post(f"{g.graph}/$batch", json={"requests": items})
    assert reply.status_code == 400


def test_an_online_meeting_cannot_be_turned_back_into_a_plain_meeting(g, alice):
    event = alice.post(
        f"{g.graph}/me/events",
        json=event_body(isOnlineMeeting=True, onlineMeetingProvider="teamsForBusiness"),
    ).json()
    reply = alice.patch(f"{g.graph}/me/events/{event['id']}", json={"isOnlineMeeting": False})
    assert reply.status_code == 400


def test_an_event_takes_at_most_500_attendees(g, alice):
    attendees = [
        {"emailAddress": {"address": f"guest{i}@example.org"}, "type": "required"}
        for i in range(501)
    ]
    reply = alice.post(f"{g.graph}/me/events", json=event_body(attendees=attendees))
    assert reply.status_code == 400
    assert (
        alice.post(f"{g.graph}/me/events", json=event_body(attendees=attendees[:500])).status_code
        == 201
    )


class _SlowWebhook(BaseHTTPRequestHandler):
    """Echoes validation tokens at once, answers notifications after ``server.pause`` seconds."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token = parse_qs(urlsplit(self.path).query).get("validationToken", [""])[0]
        if not token:
            time.sleep(self.server.pause)
        try:
            self.send_response(200 if token else 202)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(token.encode())))
            self.end_headers()
            self.wfile.write(token.encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the emulator stopped waiting for this answer

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowWebhook)
    server.daemon_threads = True
    server.pause = 0.0
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _subscribe(session, g, url, **extra):
    return session.post(
        f"{g.graph}/subscriptions",
        json={
            "changeType": "created,updated,deleted",
            "notificationUrl": url,
            "resource": "/me/events",
            "expirationDateTime": (START + timedelta(days=2)).isoformat(),
            **extra,
        },
    )


def test_a_client_state_over_128_characters_is_refused(g, alice, slow_webhook):
    url = f"http://127.0.0.1:{slow_webhook.server_address[1]}/hook"
    assert _subscribe(alice, g, url, clientState="x" * 129).status_code == 400
    assert _subscribe(alice, g, url, clientState="x" * 128).status_code == 201


def test_a_notification_not_acknowledged_in_time_counts_as_failed(
    g, alice, slow_webhook, monkeypatch
):
    monkeypatch.setattr(subscriptions, "DELIVERY_TIMEOUT", 0.3)
    slow_webhook.pause = 1.0
    url = f"http://127.0.0.1:{slow_webhook.server_address[1]}/hook"
    assert _subscribe(alice, g, url).status_code == 201
    alice.post(f"{g.graph}/me/events", json=event_body())
    assert g.wait_for_notifications(timeout=10)
    [delivery] = [d for d in g.notifications() if d["kind"] == "change"]
    assert not 200 <= delivery["status"] < 300
