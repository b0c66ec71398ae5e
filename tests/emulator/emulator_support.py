"""Helpers of the emulator tests (kept out of conftest.py: two conftest modules cannot both be
imported by name in one pytest session)."""

import base64
import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

REPO_ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)  # a Monday
PREFER_UTC = 'outlook.timezone="UTC", IdType="ImmutableId"'


def pkce_pair():
    verifier = secrets.token_urlsafe(40)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


SCOPE = "Calendars.ReadWrite MailboxSettings.ReadWrite User.Read offline_access openid profile"


def authorize_url(
    g, redirect_uri="https://odoo.test/cb", state="st", challenge=None, scope=SCOPE, **extra
):
    params = {
        "client_id": g.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": scope,
        "nonce": "n0nce",
        **extra,
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    return f"{g.http_url}/common/oauth2/v2.0/authorize?{urlencode(params)}"


def code_from(redirect_url):
    return parse_qs(urlsplit(redirect_url).query)["code"][0]


def token_request(g, grant_type, *, auth=None, **fields):
    """A POST to the token endpoint as the emulator's app; ``fields`` add to or replace its
    credentials (``None`` leaves one out), ``auth`` sends HTTP basic credentials."""
    data = {
        "grant_type": grant_type,
        "client_id": g.client_id,
        "client_secret": g.client_secret,
        **fields,
    }
    data = {key: value for key, value in data.items() if value is not None}
    return requests.post(f"{g.authority}/oauth2/v2.0/token", data=data, auth=auth)


def redeem(g, code, verifier, **fields):
    """An authorization code redeemed with its PKCE verifier (``fields`` as ``token_request``)."""
    fields = {"redirect_uri": "https://odoo.test/cb", **fields}
    return token_request(g, "authorization_code", code=code, code_verifier=verifier, **fields)


def refresh(g, refresh_token, **fields):
    """A refresh token redeemed (``fields`` as ``token_request``)."""
    return token_request(g, "refresh_token", refresh_token=refresh_token, **fields)


def get_tokens(g, mailbox="alice@example.com", scope=SCOPE):
    """Raw auth-code flow (msal itself is proven in test_identity.py)."""
    verifier, challenge = pkce_pair()
    code = code_from(g.sign_in(mailbox, authorize_url(g, challenge=challenge, scope=scope)))
    reply = redeem(g, code, verifier, scope=SCOPE)
    reply.raise_for_status()
    return reply.json()


def graph_session(g, mailbox="alice@example.com", scope=SCOPE):
    """A requests session signed in as ``mailbox`` (granting ``scope``), asking for UTC and
    immutable ids."""
    session = requests.Session()
    token = get_tokens(g, mailbox, scope)["access_token"]
    session.headers.update({"Authorization": "Bearer " + token, "Prefer": PREFER_UTC})
    return session


def event_body(
    subject="Sync test", start="2026-03-03T10:00:00", end="2026-03-03T11:00:00", tz="UTC", **extra
):
    return {
        "subject": subject,
        "start": {"dateTime": start, "timeZone": tz},
        "end": {"dateTime": end, "timeZone": tz},
        **extra,
    }


def self_signed_certificate(common_name="odoo-outlook-sync"):
    """A fresh RSA key and its self-signed certificate, both PEM (what an administrator
    uploads to the app registration and keeps in Odoo)."""

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START - timedelta(days=1))
        .not_valid_after(START + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()
