"""Thin wrapper over msal's confidential client for one Outlook account.

The token cache is a blob owned by the Odoo account record: loaded here, handed back by
``cache_blob_if_changed`` whenever msal changed it (a rotated refresh token must be stored, or
the account dies after 90 days), in the same transaction as the sync state.

msal does tenant discovery over ``http_client`` (the session we pass), generates and checks
the ``state``, PKCE and the nonce of the auth-code flow, and adds ``openid``, ``profile`` and
``offline_access`` to the scopes itself (passing them is an error).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msal
from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

from .errors import AuthError, ReauthRequired, SignInFailed, TransportError
from .quota import MailboxQuota


def _lt(text: str) -> str:
    """Marks a text the Settings page shows for Odoo's translation export (this package
    imports nothing from Odoo); the page translates it when it shows it."""
    return text


# The delegated permissions of Microsoft Graph the sync uses, and what each is for: the
# README's Azure steps and the Settings page list these.
PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("Calendars.ReadWrite", _lt("read and write the user's events")),
    ("User.Read", _lt("sign the user in and read their profile")),
    (
        "MailboxSettings.ReadWrite",
        _lt("the Outlook category list (tag colours) and the mailbox's time zone"),
    ),
    ("offline_access", _lt("sync while the user is away (refresh tokens)")),
)
SHARED_CALENDAR_PERMISSION = (
    "Calendars.ReadWrite.Shared",
    _lt("calendars other people shared with the user, when Settings allows them"),
)
# Without these the sync cannot run: they are asked for every access token. An access token
# carries every permission the user consented to the app (the others come along when granted),
# and a refresh cannot consent: asking it for a permission never granted fails the sign-in of
# an account connected before the sync needed it.
REQUIRED_SCOPES: tuple[str, ...] = ("Calendars.ReadWrite", "User.Read")
# Asked at sign-in: everything the sync uses (msal adds ``offline_access`` itself).
SCOPES: tuple[str, ...] = (*REQUIRED_SCOPES, "MailboxSettings.ReadWrite")
# Asked at sign-in only when the administrator lets users sync calendars others shared with
# them; the access tokens redeemed later carry every permission the user granted to the app.
SHARED_CALENDAR_SCOPES: tuple[str, ...] = (SHARED_CALENDAR_PERMISSION[0],)
_REAUTH_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required"})


def safe_return_path(path: str | None) -> str:
    """Where the browser goes back to after the sign-in: only a path inside this Odoo (no
    scheme, no host, no protocol-relative '//' trick), else the calendar."""
    parts = urlsplit(path or "")
    if (
        parts.scheme
        or parts.netloc
        or not path
        or not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
    ):
        return "/odoo/calendar"
    return path


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountInfo:
    """Who signed in: ``home_account_id`` selects the account in the cache later."""

    home_account_id: str
    username: str
    name: str
    tenant_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AppConfig:
    """The Azure app registration and the cloud it lives in, as set by the administrator."""

    client_id: str
    client_secret: str
    authority_host: str
    tenant: str
    graph_endpoint: str
    quota: MailboxQuota = field(default_factory=MailboxQuota)

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant or 'common'}"


def confidential_client(
    client_id: str,
    client_credential: Any,
    *,
    authority: str,
    token_cache: msal.TokenCache,
    http_client: Any,
    http_cache: MutableMapping[Any, Any] | None,
) -> msal.ConfidentialClientApplication:
    """msal's confidential client of this app at ``authority``; instance discovery is off for
    authorities outside Microsoft's known clouds (the emulator, a test IdP), where msal would
    otherwise ask login.microsoftonline.com about them."""
    host = (urlsplit(authority).hostname or "").lower()
    try:
        return msal.ConfidentialClientApplication(
            client_id,
            client_credential=client_credential,
            authority=authority,
            token_cache=token_cache,
            http_client=http_client,
            instance_discovery=None if host in WELL_KNOWN_AUTHORITY_HOSTS else False,
            http_cache=http_cache,
        )
    except ValueError as error:
        # msal reads the authority's OpenID configuration here and raises ValueError when it
        # cannot (throttled, down, a wrong tenant; a certificate credential of the wrong form):
        # a retry later may succeed.
        raise TransportError("GET", authority, str(error).splitlines()[0]) from error


class OutlookAuth:
    """Tokens for one Odoo user's Outlook account.

    ``http_client`` is a ``requests.Session`` (or anything msal accepts); ``instance_discovery``
    is turned off for authorities outside Microsoft's known clouds (the emulator, a test IdP),
    where msal would otherwise ask login.microsoftonline.com about them. ``http_cache``: msal's
    cache of the authority's metadata (a dict the caller keeps), so that a process syncing many
    accounts reads the OpenID configuration once, not once per account.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_credential: str,
        authority: str,
        cache_blob: str | None,
        http_client: Any,
        home_account_id: str | None = None,
        scopes: Sequence[str] = SCOPES,
        http_cache: MutableMapping[Any, Any] | None = None,
    ) -> None:
        self._cache = msal.SerializableTokenCache()
        if cache_blob:
            self._cache.deserialize(cache_blob)
        self._app = confidential_client(
            client_id,
            client_credential,
            authority=authority,
            token_cache=self._cache,
            http_client=http_client,
            http_cache=http_cache,
        )
        self._home_account_id = home_account_id
        self._scopes = list(scopes)

    def start_sign_in(
        self, redirect_uri: str, state: str, extra_scopes: Sequence[str] = ()
    ) -> tuple[str, dict[str, Any]]:
        """The URL to send the browser to, and the flow to keep server-side until it returns
        (``state`` should bind the request to the Odoo user; msal checks it on return);
        ``extra_scopes``: permissions asked on top of the sync's own."""
        # "query", not "form_post": Odoo's session cookie is SameSite=Lax, so a cross-site POST
        # from Microsoft would arrive without it and the signed-in user would be unknown.
        flow = self._app.initiate_auth_code_flow(
            [*self._scopes, *extra_scopes],
            redirect_uri=redirect_uri,
            state=state,
            response_mode="query",
        )
        return flow["auth_uri"], flow

    def finish_sign_in(self, flow: dict[str, Any], query: Mapping[str, str]) -> AccountInfo:
        """Redeem the redirect's parameters; the tokens land in the cache."""
        # A new sign-in may grant more (e.g. shared calendars): the access tokens issued before
        # it do not carry that, and msal would keep serving them until they expire.
        for token in list(self._cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            self._cache.remove_at(token)
        try:
            result = self._app.acquire_token_by_auth_code_flow(flow, dict(query))
        except ValueError as error:
            raise SignInFailed("invalid_response", str(error)) from error
        if "error" in result:
            raise SignInFailed(result["error"], result.get("error_description", ""))
        claims = result.get("id_token_claims") or {}
        username = claims.get("preferred_username", "")
        accounts = self._app.get_accounts(username=username or None)
        if not accounts:
            raise SignInFailed("no_account", "the identity platform returned no account")
        account = accounts[0]
        self._home_account_id = account["home_account_id"]
        return AccountInfo(
            home_account_id=account["home_account_id"],
            username=account.get("username", username),
            name=claims.get("name", ""),
            tenant_id=claims.get("tid", ""),
        )

    def access_token(self, force_refresh: bool = False) -> str:
        """A valid access token (from the cache, or by redeeming the refresh token).

        ``ReauthRequired`` when the user must sign in again (``invalid_grant``, revoked consent,
        no account in the cache): msal keeps a dead refresh token, so callers must stop asking.
        ``AuthError`` for the app's own problems (bad secret) and outages.
        """
        accounts = [
            account
            for account in self._app.get_accounts()
            if self._home_account_id in (None, account.get("home_account_id"))
        ]
        if not accounts:
            raise ReauthRequired("no_account", "no signed-in account in the token cache")
        result = self._app.acquire_token_silent_with_error(
            list(REQUIRED_SCOPES), account=accounts[0], force_refresh=force_refresh
        )
        if not result:
            raise ReauthRequired("no_token", "no refresh token in the token cache")
        if "access_token" in result:
            return result["access_token"]
        error = result.get("error", "unknown_error")
        description = result.get("error_description", "")
        if error in _REAUTH_ERRORS:
            raise ReauthRequired(error, description)
        raise AuthError(error, description)

    def cache_blob_if_changed(self) -> str | None:
        """The serialized cache when msal changed it since it was loaded, else ``None``."""
        return self._cache.serialize() if self._cache.has_state_changed else None
