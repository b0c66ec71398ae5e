"""The organization-wide connection's services against the emulator: ``OrganizationAuth``
(secret and certificate), revoked consent, and ``GraphClient`` scoped to one user's mailbox."""

from datetime import timedelta

import pytest
import requests
from emulator_support import START, event_body, self_signed_certificate

from graph_emulator.identity import TENANT_ID
from services.app_auth import CertificateCredential, OrganizationAuth
from services.errors import AdminConsentRequired, AuthError, MailboxUnavailable
from services.graph import BatchRequest, ConnectionPool, GraphClient
from services.outbox import Outbox

WINDOW = (START - timedelta(days=30), START + timedelta(days=365))


def _auth(g, credential, pool):
    return OrganizationAuth(
        client_id=g.client_id,
        credential=credential,
        authority_host=g.url,
        tenant=TENANT_ID,
        http_client=pool.session(),
        http_cache={},
    )


@pytest.fixture
def pool():
    connections = ConnectionPool()
    yield connections
    connections.close()


def test_a_secret_gets_an_app_token_once_consent_is_granted_and_loses_it_when_revoked(g, pool):
    auth = _auth(g, g.client_secret, pool)
    with pytest.raises(AdminConsentRequired) as refused:
        auth.access_token()
    assert refused.value.reason == "unauthorized_client"
    g.grant_admin_consent(TENANT_ID, g.client_id)
    # msal keeps a 400 of the token endpoint for 60 s in its http cache: a consent granted
    # meanwhile is seen by a client with a fresh cache.
    with pytest.raises(AdminConsentRequired):
        auth.access_token()
    auth = _auth(g, g.client_secret, pool)
    token = auth.access_token()
    assert auth.access_token() == token
    assert auth.access_token(force_refresh=True) != token
    g.revoke_admin_consent(TENANT_ID, g.client_id)
    with pytest.raises(AdminConsentRequired):
        auth.access_token(force_refresh=True)
    g.grant_admin_consent(TENANT_ID, g.client_id)
    with pytest.raises(AuthError) as wrong:
        _auth(g, "not the secret", pool).access_token()
    assert not isinstance(wrong.value, AdminConsentRequired)
    assert wrong.value.reason == "invalid_client"


def test_a_certificate_credential_end_to_end(g, pool):
    g.grant_admin_consent(TENANT_ID, g.client_id)
    key_pem, cert_pem = self_signed_certificate()
    credential = CertificateCredential(
        private_key=key_pem, thumbprint=g.add_app_certificate(g.client_id, cert_pem)["sha1"]
    )
    assert "PRIVATE" not in repr(credential)
    auth = _auth(g, credential, pool)
    with GraphClient(
        pool.session, g.graph, auth.access_token, mailbox="alice@example.com"
    ) as graph:
        assert graph.get_me().user_principal_name == "alice@example.com"
        assert graph.get_default_calendar().is_default
    unregistered_key, _ = self_signed_certificate("not uploaded")
    stranger = CertificateCredential(private_key=unregistered_key, thumbprint=credential.thumbprint)
    with pytest.raises(AuthError) as refused:
        _auth(g, stranger, pool).access_token()
    assert refused.value.reason == "invalid_client"


def test_a_mailbox_scoped_client_uses_the_users_routes_for_every_call(g, pool):
    g.grant_admin_consent(TENANT_ID, g.client_id)
    alice = g.mailboxes()[0]
    auth = _auth(g, g.client_secret, pool)
    with GraphClient(pool.session, g.graph, auth.access_token, mailbox=alice["id"]) as graph:
        calendar = graph.list_calendars()[0]
        assert graph.events_path(calendar.id) == (
            f"/users/{alice['id']}/calendars/{calendar.id}/events"
        )
        outbox = Outbox(graph, calendar.id)
        outbox.create("k1", event_body(subject="Planning"))
        (result,) = outbox.send()
        assert result.ok, result.error
        created = result.answer
        assert graph.get_event(created["id"])["subject"] == "Planning"
        (read,) = graph.batch(
            [BatchRequest(id="1", method="GET", url=graph.event_path(created["id"]))]
        )
        assert read.ok
        pages = list(graph.delta(calendar.id, *WINDOW))
        assert [e["id"] for e in pages[-1].items] == [created["id"]]
        assert graph.mailbox_time_zone()
        assert graph.master_categories() == []
        outbox.delete("k1", created["id"])
        (deleted,) = outbox.send()
        assert deleted.ok, deleted.error
        series = g.create_event(
            alice["address"],
            event_body(
                subject="Stand-up",
                start="2026-03-02T09:00:00",
                end="2026-03-02T09:15:00",
                recurrence={
                    "pattern": {"type": "daily", "interval": 1},
                    "range": {
                        "type": "numbered",
                        "startDate": "2026-03-02",
                        "numberOfOccurrences": 3,
                    },
                },
            ),
        )
        assert len(graph.instances(series["id"], *WINDOW)) == 3
    assert not any(path.startswith("GET /me") for path in g.counters()["by_path"]), g.counters()
    assert g.counters()["by_path"]["GET /users/{id}/calendars"] == 1


def test_the_access_policy_and_a_missing_mailbox_are_typed_per_user(g, pool):
    g.grant_admin_consent(TENANT_ID, g.client_id)
    g.set_access_policy(TENANT_ID, g.client_id, ["alice@example.com"])
    g.add_mailbox("carol@example.com")
    g.set_mailbox_enabled("carol@example.com", False)
    auth = _auth(g, g.client_secret, pool)
    with GraphClient(pool.session, g.graph, auth.access_token, mailbox="bob@example.com") as bob:
        with pytest.raises(MailboxUnavailable) as policy:
            bob.list_calendars()
        assert (policy.value.status, policy.value.reason) == (403, "access_policy")
        assert bob.get_me().user_principal_name == "bob@example.com"
    with GraphClient(
        pool.session, g.graph, auth.access_token, mailbox="carol@example.com"
    ) as carol:
        with pytest.raises(MailboxUnavailable) as missing:
            carol.get_default_calendar()
        assert (missing.value.status, missing.value.reason) == (404, "no_mailbox")
    with GraphClient(
        pool.session, g.graph, auth.access_token, mailbox="alice@example.com"
    ) as alice:
        assert alice.list_calendars()


def test_the_default_client_still_speaks_for_the_signed_in_user(g, alice):
    token = alice.headers["Authorization"].split()[1]
    with GraphClient(requests.Session, g.graph, lambda force_refresh=False: token) as graph:
        assert graph.events_path() == "/me/events"
        assert graph.events_path("c/1") == "/me/calendars/c%2F1/events"
        assert graph.event_path("e") == "/me/events/e"
        assert graph.get_me().user_principal_name == "alice@example.com"
