"""The identity platform: discovery, sign-in page, token endpoint, all driven by msal where it can."""

from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests
from emulator_support import authorize_url, code_from, get_tokens, pkce_pair, redeem, refresh

SCOPES = ["Calendars.ReadWrite", "User.Read"]


def _app(g, cache=None):
    return msal.ConfidentialClientApplication(
        g.client_id,
        client_credential=g.client_secret,
        authority=g.authority,
        instance_discovery=False,
        token_cache=cache,
        http_cache={},
    )


def _msal_sign_in(g, app, mailbox="alice@example.com"):
    flow = app.initiate_auth_code_flow(
        SCOPES, redirect_uri="https://odoo.test/cb", response_mode="form_post"
    )
    redirect = g.sign_in(mailbox, flow["auth_uri"])
    params = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
    return app.acquire_token_by_auth_code_flow(flow, params)


def test_msal_completes_auth_code_flow_and_forced_refresh(g):
    cache = msal.SerializableTokenCache()
    app = _app(g, cache)
    result = _msal_sign_in(g, app)
    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == "alice@example.com"
    account = app.get_accounts()[0]
    assert account["username"] == "alice@example.com"
    refreshed = app.acquire_token_silent(SCOPES, account=account, force_refresh=True)
    assert refreshed and refreshed["access_token"] != result["access_token"]
    assert refreshed["refresh_token"] != result["refresh_token"]
    me = requests.get(
        f"{g.graph}/me", headers={"Authorization": "Bearer " + refreshed["access_token"]}
    )
    assert me.json()["userPrincipalName"] == "alice@example.com"


def test_msal_restored_cache_serves_token_without_network(g):
    cache = msal.SerializableTokenCache()
    _msal_sign_in(g, _app(g, cache))
    restored = msal.SerializableTokenCache()
    restored.deserialize(cache.serialize())
    app = _app(g, restored)
    before = g.counters()["http_requests"]
    result = app.acquire_token_silent(SCOPES, account=app.get_accounts()[0])
    assert result["token_source"] == "cache"
    assert g.counters()["http_requests"] == before


def test_revoked_refresh_token_gives_invalid_grant_and_msal_returns_none(g):
    app = _app(g)
    _msal_sign_in(g, app)
    g.revoke_refresh_tokens("alice@example.com")
    result = app.acquire_token_silent_with_error(
        SCOPES, account=app.get_accounts()[0], force_refresh=True
    )
    assert result["error"] == "invalid_grant"
    assert 70008 in result["error_codes"]
    assert result["error_description"].startswith("AADSTS70008:")


def test_discovery_advertises_https_token_endpoint_and_browser_authorize(g):
    doc = requests.get(f"{g.authority}/v2.0/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == f"{g.authority}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{g.http_url}/common/oauth2/v2.0/authorize"
    assert requests.get(doc["jwks_uri"]).json()["keys"][0]["kty"] == "RSA"


def test_authorize_page_offers_mailboxes_and_accept_redirects_with_code_and_state(g):
    url = authorize_url(g, state="keep-me")
    page = requests.get(url)
    assert page.status_code == 200 and "alice@example.com" in page.text and "Cancel" in page.text
    query = dict(parse_qs(urlsplit(url).query, keep_blank_values=True))
    form = {k: v[0] for k, v in query.items()}
    reply = requests.post(
        url, data={**form, "mailbox": "bob@example.com", "action": "accept"}, allow_redirects=False
    )
    assert reply.status_code == 302
    params = parse_qs(urlsplit(reply.headers["Location"]).query)
    assert params["state"] == ["keep-me"] and params["code"]


def test_cancel_redirects_with_access_denied(g):
    url = authorize_url(g)
    reply = requests.post(
        url, data={"mailbox": "alice@example.com", "action": "cancel"}, allow_redirects=False
    )
    params = parse_qs(urlsplit(reply.headers["Location"]).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["st"]


@pytest.mark.parametrize(
    "hint,expected", [("bob@example.com", "code"), ("nobody@example.com", "error")]
)
def test_prompt_none_uses_login_hint_session(g, hint, expected):
    reply = requests.get(authorize_url(g, prompt="none", login_hint=hint), allow_redirects=False)
    params = parse_qs(urlsplit(reply.headers["Location"]).query)
    assert expected in params
    if expected == "error":
        assert params["error"] == ["login_required"]


def test_form_post_response_mode_posts_code_to_redirect_uri(g):
    reply = requests.get(
        authorize_url(g, prompt="none", login_hint="alice@example.com", response_mode="form_post")
    )
    assert (
        'method="POST" action="https://odoo.test/cb"' in reply.text and 'name="code"' in reply.text
    )


def _redeem(g, code, verifier, redirect_uri="https://odoo.test/cb", secret=None):
    return redeem(
        g,
        code,
        verifier,
        redirect_uri=redirect_uri,
        client_secret=secret or g.client_secret,
        scope="openid Calendars.ReadWrite",
    )


def test_auth_code_is_single_use(g):
    verifier, challenge = pkce_pair()
    code = code_from(g.sign_in("alice@example.com", authorize_url(g, challenge=challenge)))
    assert _redeem(g, code, verifier).status_code == 200
    again = _redeem(g, code, verifier)
    assert again.status_code == 400 and again.json()["error_codes"] == [54005]


def test_auth_code_expires_after_ten_minutes(g):
    verifier, challenge = pkce_pair()
    code = code_from(g.sign_in("alice@example.com", authorize_url(g, challenge=challenge)))
    g.advance_clock(601)
    reply = _redeem(g, code, verifier)
    assert reply.json()["error"] == "invalid_grant" and reply.json()["error_codes"] == [70008]


def test_pkce_verifier_and_redirect_uri_are_checked(g):
    verifier, challenge = pkce_pair()
    code = code_from(g.sign_in("alice@example.com", authorize_url(g, challenge=challenge)))
    assert _redeem(g, code, "wrong-verifier").json()["error_codes"] == [501481]
    code = code_from(g.sign_in("alice@example.com", authorize_url(g, challenge=challenge)))
    assert _redeem(g, code, verifier, redirect_uri="https://evil.test/cb").json()[
        "error_codes"
    ] == [500112]


def test_wrong_client_secret_is_invalid_client(g):
    verifier, challenge = pkce_pair()
    code = code_from(g.sign_in("alice@example.com", authorize_url(g, challenge=challenge)))
    reply = _redeem(g, code, verifier, secret="nope")
    assert reply.status_code == 401
    body = reply.json()
    assert body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215:") and "trace_id" in body


def test_refresh_rotates_and_old_refresh_token_stays_usable(g):
    tokens = get_tokens(g)
    data = {
        "grant_type": "refresh_token",
        "client_id": g.client_id,
        "client_secret": g.client_secret,
        "refresh_token": tokens["refresh_token"],
        "scope": "Calendars.ReadWrite offline_access",
    }
    first = requests.post(f"{g.authority}/oauth2/v2.0/token", data=data).json()
    assert first["refresh_token"] != tokens["refresh_token"]
    assert requests.post(f"{g.authority}/oauth2/v2.0/token", data=data).status_code == 200


def test_refresh_token_expires_after_90_days_of_inactivity(g):
    tokens = get_tokens(g)
    g.advance_clock(91 * 86400)
    reply = refresh(g, tokens["refresh_token"])
    assert reply.json()["error_codes"] == [700082]


def test_access_token_expires_after_an_hour_and_on_demand(g):
    tokens = get_tokens(g)
    headers = {"Authorization": "Bearer " + tokens["access_token"]}
    assert requests.get(f"{g.graph}/me", headers=headers).status_code == 200
    g.advance_clock(3600)
    expired = requests.get(f"{g.graph}/me", headers=headers)
    assert (
        expired.status_code == 401
        and expired.json()["error"]["code"] == "InvalidAuthenticationToken"
    )
    fresh = {"Authorization": "Bearer " + get_tokens(g)["access_token"]}
    g.expire_access_tokens("alice@example.com")
    assert requests.get(f"{g.graph}/me", headers=fresh).status_code == 401
