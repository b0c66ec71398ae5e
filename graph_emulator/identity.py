"""The Microsoft identity platform: discovery, the sign-in page, the token endpoint, tokens.

Error replies copy Entra's shape (``error``, ``error_description`` starting with an AADSTS
code, ``error_codes``, ``timestamp``, ``trace_id``, ``correlation_id``, ``error_uri``); the
codes are those of learn.microsoft.com/entra/identity-platform/reference-error-codes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .clock import Clock
from .errors import GraphError
from .store import Store
from .tenants import Tenants
from .wire import Request, Response

TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
CODE_LIFETIME = timedelta(minutes=10)
REFRESH_INACTIVITY = timedelta(days=90)
RESERVED_SCOPES = {"openid", "profile", "offline_access"}
GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_DEFAULT_SCOPE = f"{GRAPH_RESOURCE}/.default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The application permissions an app registration asks for unless told otherwise: what an
# administrator's consent grants it.
APPLICATION_PERMISSIONS = ("Calendars.ReadWrite", "MailboxSettings.ReadWrite", "User.Read.All")


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class App:
    """A registered confidential client; ``redirect_uris`` None accepts any redirect URI."""

    client_id: str
    client_secret: str
    redirect_uris: list[str] | None = None
    # The application permissions of the registration and its certificates (PEM).
    application_permissions: list[str] = field(default_factory=lambda: [*APPLICATION_PERMISSIONS])
    certificates: list[str] = field(default_factory=list)


@dataclass
class Grant:
    """An authorization code, refresh token or access token and what it stands for."""

    token: str
    client_id: str
    mailbox: str
    scope: str
    issued: datetime
    expires: datetime | None = None
    redirect_uri: str = ""
    nonce: str = ""
    challenge: str = ""
    challenge_method: str = ""
    used: bool = False
    revoked: bool = False
    last_used: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class IdentityError(Exception):
    """An OAuth error reply from the token endpoint."""

    def __init__(
        self, error: str, code: int, description: str, status: int = 400, suberror: str = ""
    ) -> None:
        super().__init__(description)
        self.error, self.code, self.description, self.status = error, code, description, status
        self.suberror = suberror

    def body(self, now: datetime) -> dict[str, Any]:
        """Entra's JSON error shape."""
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        body = {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.description} Trace ID: {trace} Correlation ID: {corr} Timestamp: {stamp}",
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }
        if self.suberror:
            body["suberror"] = self.suberror
        return body


def _unb64url(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _known_grant(grants: dict[str, Grant], token: str) -> Grant:
    """The grant ``token`` stands for; Entra answers AADSTS9002313 to one it never issued."""
    grant = grants.get(token)
    if grant is None:
        raise IdentityError(
            "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
        )
    return grant


def _inactive_grant() -> IdentityError:
    """AADSTS70008: the code or refresh token expired, or was revoked."""
    return IdentityError(
        "invalid_grant",
        70008,
        "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
    )


class Identity:
    """Apps, codes and tokens, and the HTTP endpoints of login.microsoftonline.com."""

    def __init__(self, store: Store, clock: Clock, access_token_lifetime: int = 3600) -> None:
        self.store = store
        self.clock = clock
        self.access_token_lifetime = access_token_lifetime
        self.lock = threading.RLock()
        self.apps: dict[str, App] = {}
        self.codes: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.access_tokens: dict[str, Grant] = {}
        # The delegated permissions each user consented to each app, by (client id, mailbox):
        # consent adds up across sign-ins and every token carries all of it.
        self.consents: dict[tuple[str, str], set[str]] = {}
        self.tenants = Tenants(TENANT_ID)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = b64url(
            hashlib.sha256(
                self.key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            ).digest()[:15]
        )

    # --- registration ----------------------------------------------------------------------
    def add_app(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str] | None = None,
        application_permissions: list[str] | None = None,
    ) -> App:
        """Register (or replace) a confidential client; ``application_permissions``: what its
        registration asks an administrator to grant (default ``APPLICATION_PERMISSIONS``)."""
        with self.lock:
            app = App(client_id, client_secret, redirect_uris)
            if application_permissions is not None:
                app.application_permissions = list(application_permissions)
            self.apps[client_id] = app
            return app

    def add_certificate(self, client_id: str, certificate_pem: str) -> dict[str, str]:
        """Register a certificate (PEM) on an app, as uploaded in the Azure portal; returns its
        thumbprints (hex SHA-1 as the portal shows it, and SHA-256)."""
        cert = x509.load_pem_x509_certificate(certificate_pem.encode())
        with self.lock:
            self.apps[client_id].certificates.append(certificate_pem)
        return {
            "sha1": cert.fingerprint(hashes.SHA1()).hex().upper(),
            "sha256": cert.fingerprint(hashes.SHA256()).hex().upper(),
        }

    def reset(self) -> None:
        """Forget every code and token (apps stay)."""
        with self.lock:
            self.codes.clear()
            self.refresh_tokens.clear()
            self.access_tokens.clear()
            self.consents.clear()
            self.tenants.reset()

    # --- discovery -------------------------------------------------------------------------
    def openid_configuration(self, base: str, browser_base: str, tenant: str) -> dict[str, Any]:
        """The v2.0 discovery document; the authorize endpoint is browser-facing (http)."""
        issuer_tenant = TENANT_ID if tenant in ("common", "organizations", "consumers") else tenant
        return {
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{browser_base}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{browser_base}/{tenant}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "oid",
                "email",
            ],
            "kerberos_endpoint": f"{base}/{tenant}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    def jwks(self) -> dict[str, Any]:
        """The signing key of id_tokens as a JWK set."""
        numbers = self.key.public_key().public_numbers()
        as_b64 = lambda n: b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))  # noqa: E731 - tiny local helper
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": self.kid,
                    "n": as_b64(numbers.n),
                    "e": as_b64(numbers.e),
                }
            ]
        }

    # --- authorize -------------------------------------------------------------------------
    def _app_for(self, params: dict[str, str]) -> App:
        app = self.apps.get(params.get("client_id", ""))
        if app is None:
            raise IdentityError(
                "unauthorized_client",
                700016,
                f"Application with identifier '{params.get('client_id', '')}' was not found in the directory.",
            )
        redirect = params.get("redirect_uri", "")
        if not redirect or (app.redirect_uris is not None and redirect not in app.redirect_uris):
            raise IdentityError(
                "invalid_request",
                50011,
                f"The redirect URI '{redirect}' specified in the request does not match the redirect URIs configured for the application.",
            )
        return app

    def issue_code(
        self, mailbox: str, params: dict[str, str], granted: list[str] | None = None
    ) -> str:
        """Sign ``mailbox`` in for an authorize request; returns the code. The user consents to
        the scopes asked, or to those of them in ``granted`` only (what a consent policy or an
        administrator let through); the code stands for every permission consented so far."""
        with self.lock:
            app = self._app_for(params)
            box = self.store.mailbox(mailbox)
            consent = self.consents.setdefault((app.client_id, box.address.lower()), set())
            consent.update(
                s
                for s in params.get("scope", "").split()
                if granted is None or s in granted or s in RESERVED_SCOPES
            )
            code = "0.A" + b64url(secrets.token_bytes(48))
            self.codes[code] = Grant(
                code,
                app.client_id,
                box.address,
                " ".join(sorted(consent)),
                self.clock(),
                expires=self.clock() + CODE_LIFETIME,
                redirect_uri=params["redirect_uri"],
                nonce=params.get("nonce", ""),
                challenge=params.get("code_challenge", ""),
                challenge_method=params.get("code_challenge_method", "plain"),
            )
            return code

    @staticmethod
    def redirect_url(params: dict[str, str], **values: str) -> str:
        """``redirect_uri`` with the values (and the untouched ``state``) in its query."""
        if "state" in params:
            values["state"] = params["state"]
        redirect = params["redirect_uri"]
        return redirect + ("&" if urlsplit(redirect).query else "?") + urlencode(values)

    def _deliver(self, params: dict[str, str], values: dict[str, str]) -> Response:
        if params.get("response_mode") == "form_post":
            if "state" in params:
                values = {**values, "state": params["state"]}
            fields = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in values.items()
            )
            page = (
                f'<html><head><title>Working...</title></head><body onload="document.forms[0].submit()">'
                f'<form method="POST" action="{html.escape(params["redirect_uri"])}">{fields}'
                '<noscript><button type="submit">Continue</button></noscript></form></body></html>'
            )
            return Response.html(200, page)
        return Response(302, b"", {"Location": self.redirect_url(params, **values)})

    def authorize(self, request: Request) -> Response:
        """GET shows the sign-in and consent page; POST is the user's Accept or Cancel."""
        params = request.query if request.method == "GET" else {**request.query, **request.form()}
        try:
            self._app_for(params)
        except IdentityError as exc:
            return Response.html(
                400,
                f"<h1>Sign in</h1><p id='error'>AADSTS{exc.code}: {html.escape(exc.description)}</p>",
            )
        hint = params.get("login_hint", "")
        if params.get("prompt") == "none":
            if hint and self.store.find_mailbox(hint):
                # A silent sign-in consents to nothing new.
                client = params.get("client_id", "")
                consented = sorted(self.consents.get((client, hint.lower()), set()))
                return self._deliver(params, {"code": self.issue_code(hint, params, consented)})
            return self._deliver(
                params,
                {
                    "error": "login_required",
                    "error_description": "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
                },
            )
        if request.method == "POST":
            if params.get("action") == "cancel":
                return self._deliver(
                    params,
                    {
                        "error": "access_denied",
                        "error_description": "AADSTS65004: User declined to consent to access the app.",
                    },
                )
            chosen = params.get("mailbox", "")
            if self.store.find_mailbox(chosen):
                return self._deliver(params, {"code": self.issue_code(chosen, params)})
        return Response.html(200, self._page(params, hint))

    def _page(self, params: dict[str, str], hint: str) -> str:
        keep = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k not in ("mailbox", "action")
        )
        boxes = list(self.store.mailboxes.values())
        chosen = hint.lower() if hint else (boxes[0].address.lower() if boxes else "")
        options = "".join(
            f'<label class="account"><input type="radio" name="mailbox" value="{html.escape(b.address)}"'
            f"{' checked' if b.address.lower() == chosen else ''}> {html.escape(b.display_name)} &lt;{html.escape(b.address)}&gt;</label><br>"
            for b in boxes
        )
        scopes = html.escape(params.get("scope", ""))
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Sign in to your account</title></head><body>"
            "<h1>Sign in (Graph emulator)</h1><form method='POST' id='signin'>"
            + keep
            + options
            + f"<p>The application <b>{html.escape(params.get('client_id', ''))}</b> asks for: <code>{scopes}</code></p>"
            "<button type='submit' name='action' value='accept' id='accept'>Accept</button> "
            "<button type='submit' name='action' value='cancel' id='cancel'>Cancel</button></form></body></html>"
        )

    # --- admin consent ---------------------------------------------------------------------
    def admin_consent(self, request: Request) -> Response:
        """``/{tenant}/v2.0/adminconsent`` (and the v1 ``/{tenant}/adminconsent``): GET shows the
        administrator the application permissions the app's registration asks for; POST is the
        Accept or Cancel, answered by a redirect to ``redirect_uri``."""
        params = request.query if request.method == "GET" else {**request.query, **request.form()}
        tenant = request.path.split("/")[1]
        try:
            app = self._app_for(params)
        except IdentityError as exc:
            return Response.html(
                400,
                f"<h1>Admin consent</h1><p id='error'>AADSTS{exc.code}: {html.escape(exc.description)}</p>",
            )
        if request.method == "POST":
            return Response(
                302,
                b"",
                {
                    "Location": self.approve_admin_consent(
                        params, tenant, params.get("action") != "cancel"
                    )
                },
            )
        keep = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k != "action"
        )
        roles = "".join(f"<li>{html.escape(r)}</li>" for r in app.application_permissions)
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Permissions requested</title></head><body>"
            f"<h1>Permissions requested (Graph emulator)</h1><p>The application <b>{html.escape(app.client_id)}</b> "
            f"asks the organization <b>{html.escape(tenant)}</b> for:</p><ul id='roles'>{roles}</ul>"
            f"<form method='POST' id='adminconsent'>{keep}"
            "<button type='submit' name='action' value='accept' id='accept'>Accept</button> "
            "<button type='submit' name='action' value='cancel' id='cancel'>Cancel</button></form></body></html>"
        )
        return Response.html(200, page)

    def approve_admin_consent(self, params: dict[str, str], tenant: str, accept: bool) -> str:
        """An administrator's answer on the consent page: the redirect URL, with
        ``admin_consent=True``, ``tenant``, ``scope`` and ``state`` on Accept (the app's
        application permissions are then granted in the tenant), or ``error=consent_required``
        with AADSTS65004 on Cancel."""
        with self.lock:
            app = self._app_for(params)
            if tenant in ("common", "organizations"):
                tenant = TENANT_ID
            if not accept:
                stamp = self.clock().strftime("%Y-%m-%d %H:%M:%SZ")
                return self.redirect_url(
                    params,
                    admin_consent="True",
                    error="consent_required",
                    error_description=f"AADSTS65004: The resource owner or authorization server denied the request.\r\nTrace ID: {uuid.uuid4()}\r\nCorrelation ID: {uuid.uuid4()}\r\nTimestamp: {stamp}",
                )
            self.tenants.grant(tenant, app.client_id, frozenset(app.application_permissions))
            return self.redirect_url(
                params,
                admin_consent="True",
                tenant=tenant,
                scope=" ".join(f"{GRAPH_RESOURCE}/{r}" for r in app.application_permissions),
            )

    def consent_as_admin(self, consent_url: str, accept: bool = True) -> str:
        """What a browser does on the admin-consent page: returns the redirect URL."""
        parts = urlsplit(consent_url)
        tenant = parts.path.split("/")[1]
        return self.approve_admin_consent(dict(parse_qsl(parts.query)), tenant, accept)

    def sign_in(self, mailbox: str, authorize_url: str, granted: list[str] | None = None) -> str:
        """What a browser does on Accept: returns the redirect URL carrying code and state
        (``granted``: the only asked permissions the user may consent to)."""
        params = dict(parse_qsl(urlsplit(authorize_url).query))
        return self.redirect_url(params, code=self.issue_code(mailbox, params, granted))

    # --- token -----------------------------------------------------------------------------
    def token(self, request: Request, base: str) -> Response:
        """POST /{tenant}/oauth2/v2.0/token (``base``: the https origin clients call)."""
        form = request.form()
        tenant = request.path.split("/")[1]
        try:
            with self.lock:
                app = self._authenticate(
                    form, request.headers.get("authorization", ""), base + request.path
                )
                grant_type = form.get("grant_type")
                if grant_type == "client_credentials":
                    return Response.json(
                        200,
                        self._app_token(app, tenant, form),
                        {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
                    )
                if grant_type == "authorization_code":
                    grant = self._redeem_code(app, form)
                elif grant_type == "refresh_token":
                    grant = self._redeem_refresh(app, form)
                else:
                    raise IdentityError(
                        "unsupported_grant_type",
                        70003,
                        f"The app requested an unsupported grant type '{grant_type}'.",
                    )
                return Response.json(
                    200,
                    self._tokens(app, grant, form),
                    {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
                )
        except IdentityError as exc:
            status = 401 if exc.error == "invalid_client" else exc.status
            return Response.json(status, exc.body(self.clock()))
        except GraphError as exc:
            return Response.json(
                400, IdentityError("invalid_grant", 50034, exc.message).body(self.clock())
            )

    def _authenticate(self, form: dict[str, str], authorization: str, endpoint: str) -> App:
        client_id, secret = form.get("client_id", ""), form.get("client_secret")
        if authorization.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        app = self.apps.get(client_id)
        if app is None:
            raise IdentityError(
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory.",
            )
        if secret is None and "client_assertion" in form:
            self._check_assertion(app, form, endpoint)
            return app
        if secret is None:
            raise IdentityError(
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        if not secrets.compare_digest(secret, app.client_secret):
            raise IdentityError(
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
            )
        return app

    def _check_assertion(self, app: App, form: dict[str, str], endpoint: str) -> None:
        """A certificate credential: a JWT signed (RS256 or PS256) by the key of a certificate
        registered on the app, named by its ``x5t`` (SHA-1) or ``x5t#S256`` thumbprint, for this
        token endpoint (``aud``), issued by and about the app (``iss``, ``sub``), valid now
        (``nbf``, ``exp``), with a ``jti``. A reused assertion is accepted: msal sends the same one
        until it is about to expire."""

        def refused(code: int, description: str) -> IdentityError:
            return IdentityError("invalid_client", code, description)

        if form.get("client_assertion_type") != JWT_BEARER:
            raise IdentityError(
                "invalid_request",
                50027,
                "The client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
            )
        try:
            head_b64, claims_b64, signature_b64 = form["client_assertion"].split(".")
            header = json.loads(_unb64url(head_b64))
            claims = json.loads(_unb64url(claims_b64))
            signature = _unb64url(signature_b64)
        except (ValueError, KeyError) as exc:
            raise refused(50027, "Invalid JWT token. The token is malformed.") from exc
        key = self._certificate_key(app, header)
        if key is None:
            raise refused(
                700027,
                f"The certificate with identifier used to sign the client assertion is not registered on application {app.client_id}.",
            )
        signing_input = f"{head_b64}.{claims_b64}".encode()
        alg = header.get("alg")
        try:
            if alg == "RS256":
                key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
            elif alg == "PS256":
                key.verify(
                    signature,
                    signing_input,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                    hashes.SHA256(),
                )
            else:
                raise InvalidSignature()
        except InvalidSignature as exc:
            raise refused(
                7000274, "Key was found, but use of the key to verify the signature failed."
            ) from exc
        if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
            raise refused(
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            )
        if claims.get("aud") != endpoint:
            raise refused(700023, "Client assertion audience claim does not match Realm issuer.")
        now = self.clock().timestamp()
        if (
            not claims.get("exp")
            or now >= float(claims["exp"])
            or now < float(claims.get("nbf", 0))
        ):
            raise refused(700024, "Client assertion is not within its valid time range.")
        if not claims.get("jti"):
            raise refused(50027, "Invalid JWT token. The token has no 'jti' claim.")

    @staticmethod
    def _certificate_key(app: App, header: dict[str, Any]) -> Any:
        """The public key of the app's certificate the assertion's header names."""
        # base64url with or without its padding (msal sends it padded).
        sha256 = str(header.get("x5t#S256") or "").rstrip("=")
        sha1 = str(header.get("x5t") or "").rstrip("=")
        for pem in app.certificates:
            cert = x509.load_pem_x509_certificate(pem.encode())
            if sha256 == b64url(cert.fingerprint(hashes.SHA256())) or sha1 == b64url(
                cert.fingerprint(hashes.SHA1())
            ):
                return cert.public_key()
        return None

    def _app_token(self, app: App, tenant: str, form: dict[str, str]) -> dict[str, Any]:
        """The client-credentials grant: an app-only access token for Graph carrying the
        application permissions an administrator of ``tenant`` granted (``roles``)."""
        scope = form.get("scope", "")
        if scope.split() != [GRAPH_DEFAULT_SCOPE]:
            raise IdentityError(
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        roles = self.tenants.consented(tenant, app.client_id)
        if roles is None:
            raise IdentityError(
                "unauthorized_client",
                700016,
                f"Application with identifier '{app.client_id}' was not found in the directory '{tenant}'. "
                "This can happen if the application has not been installed by the administrator of the tenant "
                "or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
            )
        now = self.clock()
        iat = int(now.timestamp())
        claims = {
            "aud": GRAPH_RESOURCE,
            "iss": f"https://sts.windows.net/{tenant}/",
            "iat": iat,
            "nbf": iat,
            "exp": iat + self.access_token_lifetime,
            "appid": app.client_id,
            "idtyp": "app",
            "roles": sorted(roles),
            "tid": tenant,
            "uti": b64url(secrets.token_bytes(16)),
            "ver": "1.0",
        }
        access = self._signed(claims)
        self.access_tokens[access] = Grant(
            access,
            app.client_id,
            "",
            " ".join(sorted(roles)),
            now,
            expires=now + timedelta(seconds=self.access_token_lifetime),
            extra={"tenant": tenant},
        )
        return {
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "ext_expires_in": self.access_token_lifetime,
            "access_token": access,
        }

    def _signed(self, claims: dict[str, Any]) -> str:
        """A JWT of ``claims`` signed RS256 with the key of ``jwks_uri``."""
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)

    def _redeem_code(self, app: App, form: dict[str, str]) -> Grant:
        grant = _known_grant(self.codes, form.get("code", ""))
        now = self.clock()
        if grant.used:
            raise IdentityError(
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            )
        if grant.expires and now >= grant.expires:
            raise _inactive_grant()
        if grant.client_id != app.client_id:
            raise IdentityError(
                "invalid_grant",
                70000,
                "The provided authorization code was issued to a different client.",
            )
        if form.get("redirect_uri", "") != grant.redirect_uri:
            raise IdentityError(
                "invalid_grant",
                500112,
                "The reply address does not match the reply address provided when requesting Authorization code.",
            )
        if grant.challenge:
            verifier = form.get("code_verifier", "")
            expected = (
                b64url(hashlib.sha256(verifier.encode()).digest())
                if grant.challenge_method == "S256"
                else verifier
            )
            if not verifier or not secrets.compare_digest(expected, grant.challenge):
                raise IdentityError(
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                )
        grant.used = True
        return grant

    def _redeem_refresh(self, app: App, form: dict[str, str]) -> Grant:
        grant = _known_grant(self.refresh_tokens, form.get("refresh_token", ""))
        now = self.clock()
        if grant.revoked:
            raise _inactive_grant()
        if grant.last_used and now - grant.last_used > REFRESH_INACTIVITY:
            raise IdentityError(
                "invalid_grant",
                700082,
                f"The refresh token has expired due to inactivity. The token was issued on {grant.issued:%Y-%m-%dT%H:%M:%S}Z and was inactive for 90.00:00:00.",
            )
        if grant.client_id != app.client_id:
            raise IdentityError(
                "invalid_grant", 70000, "The refresh token was issued to a different client."
            )
        if self.store.find_mailbox(grant.mailbox) is None:
            raise IdentityError(
                "invalid_grant", 50034, "The user account does not exist in the directory."
            )
        grant.last_used = now
        return grant

    def _tokens(self, app: App, grant: Grant, form: dict[str, str]) -> dict[str, Any]:
        now = self.clock()
        # As Entra ID: a token carries every permission consented so far, asked for or not; a
        # refresh cannot consent, so it refuses a permission never consented.
        consent = self.consents.setdefault((app.client_id, grant.mailbox.lower()), set())
        consent.update(grant.scope.split())  # a refresh token saved before a restart
        scope = " ".join(sorted(consent))
        missing = set(form.get("scope", "").split()) - set(scope.split()) - RESERVED_SCOPES
        if missing and form.get("grant_type") == "refresh_token":
            raise IdentityError(
                "invalid_grant",
                65001,
                f"The user or administrator has not consented to use the application with ID '{app.client_id}'. "
                "Send an interactive authorization request for this user and resource.",
                suberror="consent_required",
            )
        access = "eyJ0eXAiOiJKV1QiLCJub25jZSI6." + b64url(secrets.token_bytes(40))
        self.access_tokens[access] = Grant(
            access,
            app.client_id,
            grant.mailbox,
            scope,
            now,
            expires=now + timedelta(seconds=self.access_token_lifetime),
        )
        refresh = "1.AXEA" + b64url(secrets.token_bytes(60))
        self.refresh_tokens[refresh] = Grant(
            refresh, app.client_id, grant.mailbox, scope, now, last_used=now
        )
        box = self.store.mailbox(grant.mailbox)
        reply = {
            "token_type": "Bearer",
            "scope": " ".join(s for s in scope.split() if s not in RESERVED_SCOPES) or scope,
            "expires_in": self.access_token_lifetime,
            "ext_expires_in": self.access_token_lifetime,
            "access_token": access,
            "refresh_token": refresh,
            "client_info": b64url(json.dumps({"uid": box.id, "utid": TENANT_ID}).encode()),
        }
        if "openid" in scope.split():
            reply["id_token"] = self.id_token(app, box.address, grant.nonce, now)
        return reply

    def id_token(self, app: App, mailbox: str, nonce: str, now: datetime) -> str:
        """An RS256-signed OIDC id_token for the mailbox."""
        box = self.store.mailbox(mailbox)
        iat = int(now.timestamp())
        claims = {
            "aud": app.client_id,
            "iss": f"https://login.microsoftonline.com/{TENANT_ID}/v2.0",
            "iat": iat,
            "nbf": iat,
            "exp": iat + 3600,
            "name": box.display_name,
            "oid": box.id,
            "preferred_username": box.address,
            "email": box.address,
            "sub": b64url(hashlib.sha256(box.id.encode()).digest()),
            "tid": TENANT_ID,
            "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        return self._signed(claims)

    # --- access tokens for Graph -----------------------------------------------------------
    def check_bearer(self, authorization: str | None) -> Grant:
        """The grant behind an ``Authorization: Bearer`` header, or Graph's 401."""
        challenge = {
            "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
        }
        if (
            not authorization
            or not authorization.lower().startswith("bearer ")
            or not authorization[7:].strip()
        ):
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", challenge)
        with self.lock:
            grant = self.access_tokens.get(authorization[7:].strip())
            if grant is None:
                raise GraphError(
                    401,
                    "InvalidAuthenticationToken",
                    "IDX14100: JWT is not well formed, there are no dots (.).",
                    challenge,
                )
            if grant.expires and self.clock() >= grant.expires:
                raise GraphError(
                    401,
                    "InvalidAuthenticationToken",
                    "Lifetime validation failed, the token is expired.",
                    challenge,
                )
            return grant

    def revoke_refresh_tokens(self, mailbox: str) -> int:
        """Revoke every refresh token of a mailbox (admin or user revocation); returns how many."""
        with self.lock:
            hits = [g for g in self.refresh_tokens.values() if g.mailbox.lower() == mailbox.lower()]
            for grant in hits:
                grant.revoked = True
            return len(hits)

    def expire_access_tokens(self, mailbox: str | None = None) -> int:
        """Make access tokens (of one mailbox, or all) expire now; returns how many."""
        with self.lock:
            now = self.clock()
            hits = [
                g
                for g in self.access_tokens.values()
                if mailbox is None or g.mailbox.lower() == mailbox.lower()
            ]
            for grant in hits:
                grant.expires = now
            return len(hits)
