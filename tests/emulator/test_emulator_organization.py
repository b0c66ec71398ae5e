"""App-only access: the client-credentials grant (secret or certificate), admin consent per
tenant, ``/users/{id | userPrincipalName}`` routes for an app token, application access
policies, users without a mailbox and tokens of another tenant."""

import base64
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import msal
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from emulator_support import event_body, self_signed_certificate

from graph_emulator.identity import TENANT_ID

DEFAULT = "https://graph.microsoft.com/.default"
OTHER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _token_endpoint(g, tenant=TENANT_ID):
    return f"{g.url}/{tenant}/oauth2/v2.0/token"


def _client_token(g, tenant=TENANT_ID, **fields):
    data = {
        "grant_type": "client_credentials",
        "client_id": g.client_id,
        "client_secret": g.client_secret,
        "scope": DEFAULT,
        **fields,
    }
    return requests.post(
        _token_endpoint(g, tenant), data={k: v for k, v in data.items() if v is not None}
    )


def _app_session(g, tenant=TENANT_ID):
    g.grant_admin_consent(tenant, g.client_id)
    reply = _client_token(g, tenant)
    assert reply.status_code == 200, reply.text
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + reply.json()["access_token"]
    return session


def _assertion(g, key_pem, cert_pem, *, algorithm="RS256", **claims):

    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    thumb = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA1())).rstrip(b"=").decode()
    now = g.clock().timestamp()
    payload = {
        "aud": _token_endpoint(g),
        "iss": g.client_id,
        "sub": g.client_id,
        "jti": str(uuid.uuid4()),
        "nbf": now - 5,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(payload, key_pem, algorithm=algorithm, headers={"x5t": thumb})


def test_client_credentials_need_admin_consent_in_the_tenant(g):
    refused = _client_token(g)
    assert refused.status_code == 400
    assert refused.json()["error"] == "unauthorized_client"
    assert refused.json()["error_codes"] == [700016]
    assert f"directory '{TENANT_ID}'" in refused.json()["error_description"]
    g.grant_admin_consent(TENANT_ID, g.client_id)
    granted = _client_token(g)
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    claims = _claims(body["access_token"])
    assert claims["tid"] == TENANT_ID and claims["aud"] == "https://graph.microsoft.com"
    assert claims["roles"] == ["Calendars.ReadWrite", "MailboxSettings.ReadWrite", "User.Read.All"]
    assert claims["idtyp"] == "app" and claims["appid"] == g.client_id
    assert g.revoke_admin_consent(TENANT_ID, g.client_id)
    assert _client_token(g).json()["error_codes"] == [700016]
    assert _client_token(g, OTHER_TENANT).json()["error_codes"] == [700016]


def test_client_credentials_take_the_default_scope_only(g):
    g.grant_admin_consent(TENANT_ID, g.client_id)
    for scope in ("https://graph.microsoft.com/Calendars.ReadWrite", "openid", f"{DEFAULT} openid"):
        reply = _client_token(g, scope=scope)
        assert reply.status_code == 400
        assert reply.json()["error"] == "invalid_scope"
        assert reply.json()["error_codes"] == [1002012]
    assert _client_token(g, client_secret="wrong").json()["error_codes"] == [7000215]


def test_admin_consent_page_grants_the_tenant_and_returns_microsofts_parameters(g):
    query = {
        "client_id": g.client_id,
        "scope": DEFAULT,
        "redirect_uri": "https://odoo.test/consent",
        "state": "s-1",
    }
    url = f"{g.http_url}/{TENANT_ID}/v2.0/adminconsent?{urlencode(query)}"
    page = requests.get(url)
    assert page.status_code == 200 and "Calendars.ReadWrite" in page.text
    accepted = requests.post(url, data={"action": "accept"}, allow_redirects=False)
    assert accepted.status_code == 302
    location = urlsplit(accepted.headers["Location"])
    assert location.netloc == "odoo.test"
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["admin_consent"] == "True" and params["tenant"] == TENANT_ID
    assert params["state"] == "s-1"
    assert "https://graph.microsoft.com/Calendars.ReadWrite" in params["scope"].split()
    assert _client_token(g).status_code == 200


def test_admin_consent_cancel_returns_consent_required_and_grants_nothing(g):
    url = f"{g.url}/{TENANT_ID}/adminconsent?" + urlencode(
        {"client_id": g.client_id, "redirect_uri": "https://odoo.test/c", "state": "x"}
    )
    params = {
        k: v[0] for k, v in parse_qs(urlsplit(g.consent_as_admin(url, accept=False)).query).items()
    }
    assert params["admin_consent"] == "True" and params["error"] == "consent_required"
    assert params["error_description"].startswith("AADSTS65004: ")
    assert params["state"] == "x" and "tenant" not in params
    assert _client_token(g).status_code == 400
    unknown = requests.get(url.replace(g.client_id, "nobody"))
    assert unknown.status_code == 400 and "AADSTS700016" in unknown.text


def test_certificate_assertion_is_verified_against_the_registered_certificate(g):
    g.grant_admin_consent(TENANT_ID, g.client_id)
    key_pem, cert_pem = self_signed_certificate()
    other_key, other_cert = self_signed_certificate("someone else")

    def ask(assertion):
        return _client_token(
            g,
            client_secret=None,
            client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion=assertion,
        )

    assert ask(_assertion(g, key_pem, cert_pem)).json()["error_codes"] == [700027]
    thumbprints = g.add_app_certificate(g.client_id, cert_pem)
    assert len(thumbprints["sha1"]) == 40 and len(thumbprints["sha256"]) == 64
    assert ask(_assertion(g, key_pem, cert_pem)).status_code == 200
    assert ask(_assertion(g, key_pem, cert_pem, algorithm="PS256")).status_code == 200
    forged = _assertion(g, other_key, cert_pem)
    assert ask(forged).json()["error_codes"] == [7000274]
    assert ask(_assertion(g, key_pem, cert_pem, aud="https://elsewhere/token")).json()[
        "error_codes"
    ] == [700023]
    assert ask(_assertion(g, key_pem, cert_pem, iss="someone")).json()["error_codes"] == [700021]
    expired = _assertion(g, key_pem, cert_pem, exp=g.clock().timestamp() - 1)
    assert ask(expired).json()["error_codes"] == [700024]
    assert other_cert != cert_pem


def test_msal_acquires_an_app_token_with_a_certificate(g):
    g.grant_admin_consent(TENANT_ID, g.client_id)
    key_pem, cert_pem = self_signed_certificate()
    thumbprints = g.add_app_certificate(g.client_id, cert_pem)
    for credential in (
        {"private_key": key_pem, "thumbprint": thumbprints["sha1"]},
        {"private_key": key_pem, "public_certificate": cert_pem},
    ):
        app = msal.ConfidentialClientApplication(
            g.client_id,
            client_credential=credential,
            authority=f"{g.url}/{TENANT_ID}",
            instance_discovery=False,
        )
        result = app.acquire_token_for_client([DEFAULT])
        assert "access_token" in result, result
        assert _claims(result["access_token"])["roles"]


def test_app_token_reaches_users_by_id_and_upn_but_not_me(g):
    session = _app_session(g)
    alice = g.mailboxes()[0]
    by_upn = session.get(f"{g.graph}/users/{alice['address']}")
    by_id = session.get(f"{g.graph}/users/{alice['id']}")
    assert by_upn.json()["id"] == by_id.json()["id"] == alice["id"]
    me = session.get(f"{g.graph}/me")
    assert me.status_code == 400
    assert (
        me.json()["error"]["message"]
        == "/me request is only valid with delegated authentication flow."
    )
    created = session.post(f"{g.graph}/users/{alice['id']}/calendar/events", json=event_body())
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert session.get(f"{g.graph}/users/{alice['address']}/events/{event_id}").status_code == 200
    delta = session.get(
        f"{g.graph}/users/{alice['id']}/calendar/calendarView/delta",
        params={"startDateTime": "2026-03-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"},
    )
    assert [e["id"] for e in delta.json()["value"]] == [event_id]
    assert "/users/" in delta.json()["@odata.deltaLink"]
    assert session.get(f"{g.graph}/users/{alice['id']}/mailboxSettings").status_code == 200
    assert session.get(f"{g.graph}/users/{alice['id']}/outlook/masterCategories").status_code == 200
    batch = session.post(
        f"{g.graph}/$batch",
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": f"/users/{alice['id']}/events/{event_id}"}
            ]
        },
    )
    assert batch.json()["responses"][0]["status"] == 200


def test_app_token_needs_the_role_of_the_route(g):
    g.grant_admin_consent(TENANT_ID, g.client_id, ["Calendars.Read"])
    token = _client_token(g).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    path = f"{g.graph}/users/alice@example.com"
    assert requests.get(f"{path}/events", headers=headers).status_code == 200
    refused = requests.post(f"{path}/events", headers=headers, json=event_body())
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "ErrorAccessDenied"


def test_access_policy_limits_the_app_to_its_mailboxes(g):
    session = _app_session(g)
    g.set_access_policy(TENANT_ID, g.client_id, ["alice@example.com"])
    assert session.get(f"{g.graph}/users/alice@example.com/events").status_code == 200
    refused = session.get(f"{g.graph}/users/bob@example.com/events")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "ErrorAccessDenied"
    assert refused.json()["error"]["message"] == "Access to OData is disabled."
    assert session.get(f"{g.graph}/users/bob@example.com").status_code == 200
    g.set_access_policy(TENANT_ID, g.client_id, None)
    assert session.get(f"{g.graph}/users/bob@example.com/events").status_code == 200


def test_a_user_without_mailbox_and_another_tenants_user(g):
    session = _app_session(g)
    g.set_mailbox_enabled("bob@example.com", False)
    missing = session.get(f"{g.graph}/users/bob@example.com/calendar/events")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "MailboxNotEnabledForRESTAPI"
    assert session.get(f"{g.graph}/users/bob@example.com").status_code == 200
    g.move_to_tenant("alice@example.com", OTHER_TENANT)
    foreign = session.get(f"{g.graph}/users/alice@example.com/events")
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "ErrorInvalidUser"
    other = _app_session(g, OTHER_TENANT)
    assert other.get(f"{g.graph}/users/alice@example.com/events").status_code == 200


def test_app_subscription_on_a_users_calendar(g, webhook_receiver):
    session = _app_session(g)
    alice = g.mailboxes()[0]
    calendar_id = g.calendars(alice["address"])[0]["id"]
    resource = f"/users/{alice['id']}/calendars/{calendar_id}/events"
    created = session.post(
        f"{g.graph}/subscriptions",
        json={
            "changeType": "created,updated,deleted",
            "notificationUrl": webhook_receiver,
            "resource": resource,
            "expirationDateTime": "2026-03-04T08:00:00Z",
            "clientState": "secret",
        },
    )
    assert created.status_code == 201, created.text
    sub_id = created.json()["id"]
    renewed = session.patch(
        f"{g.graph}/subscriptions/{sub_id}", json={"expirationDateTime": "2026-03-05T08:00:00Z"}
    )
    assert renewed.status_code == 200
    assert session.delete(f"{g.graph}/subscriptions/{sub_id}").status_code == 204
    g.set_access_policy(TENANT_ID, g.client_id, ["bob@example.com"])
    refused = session.post(
        f"{g.graph}/subscriptions",
        json={
            "changeType": "created",
            "notificationUrl": webhook_receiver,
            "resource": resource,
            "expirationDateTime": "2026-03-04T08:00:00Z",
        },
    )
    assert refused.status_code == 403
    me = session.post(f"{g.graph}/subscriptions", json={"resource": "/me/events"})
    assert me.status_code == 400


@pytest.fixture
def webhook_receiver():
    """A notification URL echoing Graph's validation token."""

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self):
            token = parse_qs(urlsplit(self.path).query).get("validationToken", [""])[0]
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200 if token else 202)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(token.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
