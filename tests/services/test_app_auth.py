"""The pure half of the organization-wide connection: the admin-consent URL and the reading
of Microsoft's return from it."""

from urllib.parse import parse_qs, urlsplit

import pytest

from services.app_auth import (
    GRAPH_DEFAULT_SCOPE,
    CertificateCredential,
    admin_consent_url,
    read_admin_consent_return,
    require_tenant,
)
from services.errors import AdminConsentRefused

TENANT = "aaaabbbb-0000-cccc-1111-dddd2222eeee"


def test_the_consent_url_asks_the_tenant_for_the_default_scope():
    url = admin_consent_url(
        authority_host="https://login.microsoftonline.com/",
        tenant=TENANT,
        client_id="app",
        redirect_uri="https://odoo.example.com/outlook/consent",
        state="signed.state",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"https://login.microsoftonline.com/{TENANT}/v2.0/adminconsent"
    )
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "client_id": "app",
        "scope": GRAPH_DEFAULT_SCOPE,
        "redirect_uri": "https://odoo.example.com/outlook/consent",
        "state": "signed.state",
    }


@pytest.mark.parametrize("tenant", ["common", "organizations", "consumers", "", " Common "])
def test_an_organization_wide_connection_needs_a_tenant(tenant):
    with pytest.raises(ValueError):
        require_tenant(tenant)


def test_a_success_gives_tenant_state_and_scope():
    answer = read_admin_consent_return(
        {
            "admin_consent": "True",
            "tenant": TENANT,
            "scope": "https://graph.microsoft.com/Calendars.ReadWrite https://graph.microsoft.com/User.Read.All",
            "state": "12345",
        },
        tenant=TENANT.upper(),
    )
    assert answer.tenant == TENANT and answer.state == "12345"
    assert answer.scope == (
        "https://graph.microsoft.com/Calendars.ReadWrite",
        "https://graph.microsoft.com/User.Read.All",
    )


def test_microsofts_documented_error_reply_is_a_refusal():
    """The docs' error sample carries ``admin_consent=True`` beside the error."""
    with pytest.raises(AdminConsentRefused) as refused:
        read_admin_consent_return(
            {
                "admin_consent": "True",
                "error": "consent_required",
                "error_description": "AADSTS65004: The resource owner or authorization server denied the request.",
                "state": "12345",
            },
            tenant=TENANT,
        )
    assert refused.value.reason == "consent_required"
    assert refused.value.description.startswith("AADSTS65004")


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"tenant": TENANT, "state": "s"}, "not_admin_consent"),
        ({"admin_consent": "False", "tenant": TENANT}, "not_admin_consent"),
        ({"admin_consent": "True", "tenant": "another-tenant"}, "tenant_mismatch"),
        ({"admin_consent": "True"}, "tenant_mismatch"),
    ],
)
def test_a_reply_that_is_no_consent_for_the_tenant_is_refused(query, reason):
    with pytest.raises(AdminConsentRefused) as refused:
        read_admin_consent_return(query, tenant=TENANT)
    assert refused.value.reason == reason


def test_the_certificate_credential_hides_its_key():
    credential = CertificateCredential(
        private_key="-----BEGIN PRIVATE KEY-----x", thumbprint="AB12"
    )
    assert "PRIVATE" not in repr(credential) and "AB12" in repr(credential)
    assert credential.for_msal() == {
        "private_key": "-----BEGIN PRIVATE KEY-----x",
        "thumbprint": "AB12",
    }
