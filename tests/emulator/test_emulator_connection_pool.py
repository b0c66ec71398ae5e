"""The Graph client's shared connection pool against the emulator's real TLS listener."""

import requests
from emulator_support import get_tokens

from services.graph import ConnectionPool, GraphClient

MAILBOXES = ("alice@example.com", "bob@example.com", "alice@example.com")


def handshakes(g):
    """TLS handshakes the emulator's listener accepted so far."""
    return g._tls_listener.tls.session_stats()["accept"]


def sync_each(g, session_factory):
    """One client per "sync", closed after use, as the Odoo model does."""
    tokens = {mailbox: get_tokens(g, mailbox)["access_token"] for mailbox in set(MAILBOXES)}
    before = handshakes(g)
    seen = []
    for mailbox in MAILBOXES:
        token = tokens[mailbox]
        with GraphClient(session_factory, g.graph, lambda force_refresh=False, t=token: t) as graph:
            seen.append(graph.get_me().mail)
    assert seen == list(MAILBOXES), "each request went with its own account's token"
    return handshakes(g) - before


def test_clients_of_a_pool_reuse_one_connection_one_after_another(g):
    """No TLS handshake (nor CA bundle load) per account: the syncs share the connection."""
    pool = ConnectionPool()
    assert sync_each(g, pool.session) == 1
    assert pool.connections_opened == 1
    pool.close()


def test_clients_with_sessions_of_their_own_open_a_connection_each(g):
    assert sync_each(g, requests.Session) == len(MAILBOXES)
