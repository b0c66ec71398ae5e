"""OutlookAuth over msal with a fake identity platform behind ``http_client`` (no sockets)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from services.auth import (
    PERMISSIONS,
    REQUIRED_SCOPES,
    SCOPES,
    SHARED_CALENDAR_PERMISSION,
    SHARED_CALENDAR_SCOPES,
    OutlookAuth,
    safe_return_path,
)
from services.errors import AuthError, ReauthRequired, SignInFailed

AUTHORITY = "https://login.test/tenant-1"
REDIRECT = "https://odoo.test/microsoft_account/authentication"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class Reply:
    def __init__(self, status: int, body: dict):
        self.status_code, self.text, self.headers = status, json.dumps(body), {}

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError(self.status_code)


class IdentityPlatform:
    """OpenID discovery and a token endpoint that rotates refresh tokens."""

    def __init__(self):
        self.nonce = ""
        self.issued = 0
        self.refusal: str | None = None
        self.urls: list[str] = []
        self.grants: list[dict] = []
        self.granted: tuple[str, ...] = SCOPES

    def get(self, url, params=None, headers=None, **kwargs):
        self.urls.append(url)
        assert url == f"{AUTHORITY}/v2.0/.well-known/openid-configuration", url
        return Reply(
            200,
            {
                "authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/authorize",
                "token_endpoint": f"{AUTHORITY}/oauth2/v2.0/token",
                "issuer": f"{AUTHORITY}/v2.0",
            },
        )

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        self.urls.append(url)
        self.grants.append(dict(data))
        if self.refusal:
            return Reply(400, {"error": self.refusal, "error_description": "AADSTS700082: expired"})
        self.issued += 1
        return Reply(
            200,
            {
                "access_token": f"at{self.issued}",
                "refresh_token": f"rt{self.issued}",
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": " ".join(self.granted),
                "client_info": b64({"uid": "u1", "utid": "t1"}),
                "id_token": ".".join(
                    [
                        b64({"alg": "none"}),
                        b64(
                            {
                                "nonce": self.nonce,
                                "aud": "client",
                                "iss": f"{AUTHORITY}/v2.0",
                                "tid": "t1",
                                "oid": "u1",
                                "sub": "s1",
                                "preferred_username": "alice@example.org",
                                "name": "Alice",
                                "iat": 1,
                                "exp": 4102444800,
                            }
                        ),
                        "sig",
                    ]
                ),
            },
        )


def auth(platform, blob=None, home=None, **options):
    return OutlookAuth(
        client_id="client",
        client_credential="secret",
        authority=AUTHORITY,
        cache_blob=blob,
        http_client=platform,
        home_account_id=home,
        **options,
    )


def signed_in(platform):
    app = auth(platform)
    uri, flow = app.start_sign_in(REDIRECT, "state-1")
    query = parse_qs(urlsplit(uri).query)
    platform.nonce = query["nonce"][0]
    account = app.finish_sign_in(flow, {"code": "code-1", "state": query["state"][0]})
    return app, account, query


def test_sign_in_asks_for_calendar_scopes_with_pkce_and_returns_the_account():
    platform = IdentityPlatform()
    _, account, query = signed_in(platform)
    assert set(query["scope"][0].split()) >= {"Calendars.ReadWrite", "User.Read", "offline_access"}
    assert query["code_challenge_method"] == ["S256"] and query["state"] == ["state-1"]
    assert (account.home_account_id, account.username, account.name) == (
        "u1.t1",
        "alice@example.org",
        "Alice",
    )
    assert platform.grants[0]["grant_type"] == "authorization_code"


def test_authority_outside_microsoft_is_not_sent_to_instance_discovery():
    platform = IdentityPlatform()
    signed_in(platform)
    assert all(urlsplit(url).hostname == "login.test" for url in platform.urls)


def test_a_shared_http_cache_reads_the_openid_configuration_once():
    platform = IdentityPlatform()
    shared: dict = {}
    for _account in range(3):
        auth(platform, http_cache=shared)
    assert platform.urls == [f"{AUTHORITY}/v2.0/.well-known/openid-configuration"]


def test_forged_state_is_refused():
    platform = IdentityPlatform()
    app = auth(platform)
    _, flow = app.start_sign_in(REDIRECT, "state-1")
    with pytest.raises(SignInFailed):
        app.finish_sign_in(flow, {"code": "code-1", "state": "forged"})


def test_cached_token_is_served_from_the_stored_blob_without_a_request():
    platform = IdentityPlatform()
    app, account, _ = signed_in(platform)
    blob = app.cache_blob_if_changed()
    assert blob is not None
    restored = auth(platform, blob, account.home_account_id)
    posts = len(platform.grants)
    assert restored.access_token() == "at1"
    assert len(platform.grants) == posts
    assert restored.cache_blob_if_changed() is None


def test_a_new_sign_in_replaces_the_access_tokens_issued_before_it():
    """Signing in again to grant shared calendars: the next call uses the new token, not the
    one issued before without that permission."""
    platform = IdentityPlatform()
    app, account, _ = signed_in(platform)
    again = auth(platform, app.cache_blob_if_changed(), account.home_account_id)
    platform.granted = (*SCOPES, *SHARED_CALENDAR_SCOPES)
    uri, flow = again.start_sign_in(REDIRECT, "state-2", extra_scopes=SHARED_CALENDAR_SCOPES)
    query = parse_qs(urlsplit(uri).query)
    platform.nonce = query["nonce"][0]
    assert "Calendars.ReadWrite.Shared" in query["scope"][0].split()

    again.finish_sign_in(flow, {"code": "code-2", "state": "state-2"})

    assert again.access_token() == "at2"


def test_the_sign_in_asks_for_mailbox_settings_for_the_categories():
    _, _, query = signed_in(IdentityPlatform())

    assert "MailboxSettings.ReadWrite" in query["scope"][0].split()


def test_the_readmes_azure_steps_list_exactly_the_permissions_of_the_sync():
    """README, "API permissions → Add a permission": one line per permission of
    ``PERMISSIONS`` (and the shared calendars' one), in that order, with what it is for."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    step = readme.split("**API permissions → Add a permission", 1)[1].split("\n5. ", 1)[0]
    listed = re.findall(r"^   - `([^`]+)`: ([^;]+?)(?:[;.]|,$)", step, flags=re.M)
    names = [name for name, _purpose in (*PERMISSIONS, SHARED_CALENDAR_PERMISSION)]
    assert [name for name, _purpose in listed] == names
    for (name, purpose), (_listed, text) in zip(
        (*PERMISSIONS, SHARED_CALENDAR_PERMISSION), listed, strict=True
    ):
        assert " ".join(text.split()).startswith(purpose.split(",")[0]), name
    assert set(SCOPES) | set(SHARED_CALENDAR_SCOPES) <= set(names)


def test_an_account_that_never_granted_mailbox_settings_refreshes_without_asking_for_it():
    """A refresh cannot consent: asking it for MailboxSettings would fail (AADSTS65001) for an
    account connected before the sync used it, or one whose administrator did not grant it."""
    platform = IdentityPlatform()
    platform.granted = REQUIRED_SCOPES
    app, _, _ = signed_in(platform)

    assert app.access_token() == "at1"
    assert app.access_token(force_refresh=True) == "at2"
    refresh = platform.grants[-1]
    assert refresh["grant_type"] == "refresh_token"
    assert "MailboxSettings.ReadWrite" not in refresh["scope"].split()
    assert set(REQUIRED_SCOPES) <= set(refresh["scope"].split())


def test_forced_refresh_stores_the_rotated_refresh_token():
    platform = IdentityPlatform()
    app, account, _ = signed_in(platform)
    restored = auth(platform, app.cache_blob_if_changed(), account.home_account_id)
    assert restored.access_token(force_refresh=True) == "at2"
    assert platform.grants[-1] == platform.grants[-1] | {
        "grant_type": "refresh_token",
        "refresh_token": "rt1",
    }
    blob = restored.cache_blob_if_changed()
    assert blob is not None and "rt2" in blob


@pytest.mark.parametrize(
    ("refusal", "error"),
    [
        ("invalid_grant", ReauthRequired),
        # A bad client secret is the app's error, not the user's: no reconnection asked.
        ("invalid_client", AuthError),
    ],
)
def test_refused_refresh_raises_the_error_of_its_reason(refusal, error):
    platform = IdentityPlatform()
    app, account, _ = signed_in(platform)
    restored = auth(platform, app.cache_blob_if_changed(), account.home_account_id)
    platform.refusal = refusal
    with pytest.raises(error) as raised:
        restored.access_token(force_refresh=True)
    assert raised.value.reason == refusal


def test_empty_cache_requires_sign_in():
    with pytest.raises(ReauthRequired) as raised:
        auth(IdentityPlatform()).access_token()
    assert raised.value.reason == "no_account"


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/odoo/calendar?view=week", "/odoo/calendar?view=week"),
        ("javascript:alert(1)", "/odoo/calendar"),
        ("", "/odoo/calendar"),
        (None, "/odoo/calendar"),
        ("https://evil.example.com/", "/odoo/calendar"),
        ("//evil.example.com/", "/odoo/calendar"),
        ("/\\evil.example.com", "/odoo/calendar"),
    ],
)
def test_safe_return_path_keeps_local_paths_only(path, kept):
    assert safe_return_path(path) == kept
