"""The organization-wide connection: app-only tokens by the client-credentials grant, and the
administrator's consent that makes them possible.

An administrator grants the app its *application* permissions once for the whole tenant on
Microsoft's admin-consent page (``/{tenant}/v2.0/adminconsent``); the app then asks the token
endpoint for ``https://graph.microsoft.com/.default`` with its own credential, a client secret
or, better, a certificate (msal signs the client assertion), and reaches every mailbox through
``/users/{id}`` (``GraphClient(mailbox=...)``). There is no refresh token and no user: msal
caches the access token and asks again when it expires.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import msal

from .auth import confidential_client
from .errors import AdminConsentRefused, AdminConsentRequired, AuthError

GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
# The tenant names that stand for no organization: an organization-wide connection needs the
# tenant's id (or one of its domains).
_NOT_A_TENANT = frozenset({"", "common", "organizations", "consumers"})
# AADSTS700016: the app is not in the tenant's directory, "installed by the administrator of
# the tenant or consented to": the answer of a tenant that never consented, or revoked it.
_APP_NOT_IN_TENANT = 700016


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CertificateCredential:
    """A certificate the app registration holds: the private key (PEM) that signs the client
    assertion, and the certificate's SHA-1 thumbprint (hex, as the Azure portal shows it).
    ``repr`` hides the key."""

    private_key: str
    thumbprint: str

    def for_msal(self) -> dict[str, str]:
        """msal's certificate credential."""
        return {"private_key": self.private_key, "thumbprint": self.thumbprint}

    def __repr__(self) -> str:
        return f"CertificateCredential(thumbprint={self.thumbprint!r})"


def require_tenant(tenant: str) -> str:
    """The tenant of an organization-wide connection; ``ValueError`` for ``common`` and the
    like, which name no organization an administrator could consent for."""
    tenant = (tenant or "").strip()
    if tenant.lower() in _NOT_A_TENANT:
        raise ValueError(f"an organization-wide connection needs a tenant id, not {tenant!r}")
    return tenant


def admin_consent_url(
    *, authority_host: str, tenant: str, client_id: str, redirect_uri: str, state: str
) -> str:
    """Microsoft's admin-consent page for the app's application permissions in ``tenant``
    (``.default``: the permissions of the app registration)."""
    query = urlencode(
        {
            "client_id": client_id,
            "scope": GRAPH_DEFAULT_SCOPE,
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{authority_host.rstrip('/')}/{require_tenant(tenant)}/v2.0/adminconsent?{query}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminConsentReturn:
    """What the admin-consent page sent back on success: the tenant that granted the
    permissions, the permissions (``scope``) and the untouched ``state``."""

    tenant: str
    state: str
    scope: tuple[str, ...]


def read_admin_consent_return(query: Mapping[str, str], *, tenant: str) -> AdminConsentReturn:
    """Microsoft's redirect after the admin-consent page, for the ``tenant`` it was asked for.

    ``AdminConsentRefused`` when it carries ``error`` (the administrator cancelled:
    ``consent_required``) or is not a success (``admin_consent`` is not ``True``), and when
    the tenant differs from the one asked for. The ``state`` is returned unchecked: the caller
    verifies its signature and single use. Microsoft warns never to trust the ``tenant``
    parameter to authorize anyone; it is only compared with the tenant the caller asked for.
    """
    if query.get("error"):
        raise AdminConsentRefused(query["error"], query.get("error_description", ""))
    if query.get("admin_consent") != "True":
        raise AdminConsentRefused("not_admin_consent", "the reply is not an admin consent")
    returned = query.get("tenant", "")
    if returned.lower() != require_tenant(tenant).lower():
        raise AdminConsentRefused(
            "tenant_mismatch", f"consent came from tenant {returned!r}, not {tenant!r}"
        )
    return AdminConsentReturn(
        tenant=returned,
        state=query.get("state", ""),
        scope=tuple(query.get("scope", "").split()),
    )


class OrganizationAuth:
    """App-only access tokens for Microsoft Graph in one organization.

    ``credential``: the client secret, or a ``CertificateCredential``; ``http_client`` a
    ``requests.Session`` of the services' connection pool (or anything msal accepts);
    ``http_cache`` msal's cache of the authority's metadata, as for ``OutlookAuth``.
    """

    def __init__(
        self,
        *,
        client_id: str,
        credential: str | CertificateCredential,
        authority_host: str,
        tenant: str,
        http_client: Any,
        http_cache: MutableMapping[Any, Any] | None = None,
    ) -> None:
        authority = f"{authority_host.rstrip('/')}/{require_tenant(tenant)}"
        self._cache = msal.TokenCache()
        self._app = confidential_client(
            client_id,
            credential.for_msal() if isinstance(credential, CertificateCredential) else credential,
            authority=authority,
            token_cache=self._cache,
            http_client=http_client,
            http_cache=http_cache,
        )

    def access_token(self, force_refresh: bool = False) -> str:
        """An app-only access token (msal's cached one while it is valid); ``force_refresh``
        asks the token endpoint again, after Graph refused the cached token.

        ``AdminConsentRequired`` when the tenant has not granted (or revoked) the app's
        permissions; ``AuthError`` for a rejected credential (a wrong or expired secret, an
        unregistered certificate) and outages.
        """
        if force_refresh:
            for token in list(self._cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                self._cache.remove_at(token)
        result = self._app.acquire_token_for_client([GRAPH_DEFAULT_SCOPE])
        if "access_token" in result:
            return result["access_token"]
        error = result.get("error", "unknown_error")
        description = result.get("error_description", "")
        if _APP_NOT_IN_TENANT in (result.get("error_codes") or ()):
            raise AdminConsentRequired(error, description)
        raise AuthError(error, description)
