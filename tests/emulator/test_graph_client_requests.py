"""What services.graph's client sends, seen and counted by the emulator."""

from datetime import timedelta

import requests
from emulator_support import START, event_body, get_tokens

from services.graph import PREFER, BatchRequest, GraphClient
from services.quota import MailboxQuota, Pacer

WINDOW = (START - timedelta(days=30), START + timedelta(days=365))
INSTANCES = "GET /me/events/{id}/instances"


def graph_client(g, mailbox="alice@example.com", pacer=None):
    token = get_tokens(g, mailbox)["access_token"]
    waits = on_the_emulators_clock(g) if pacer else {}
    return GraphClient(
        requests.Session, g.graph, lambda force_refresh=False: token, pacer=pacer, **waits
    )


def daily_series(g, alice):
    body = event_body(
        subject="Stand-up",
        start="2026-03-02T09:00:00",
        end="2026-03-02T09:15:00",
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "noEnd", "startDate": "2026-03-02"},
        },
    )
    return alice.post(f"{g.graph}/me/events", json=body).json()["id"]


def test_instances_of_a_daily_series_over_the_window_come_in_a_few_pages(g, alice):
    """Graph's default page is 10 rows: a year of a daily series would be 37 GETs."""
    master_id = daily_series(g, alice)
    with graph_client(g) as graph:
        rows = graph.instances(master_id, *WINDOW)
        assert len(rows) == 365
        assert g.counters()["by_path"][INSTANCES] == 4
        batched = graph.instances_of([master_id], *WINDOW)
        assert [r["id"] for r in batched[master_id]] == [r["id"] for r in rows]
        assert g.counters()["by_path"][INSTANCES] == 8


def test_batch_items_carry_their_own_prefer(g, alice):
    """Graph applies no envelope ``Prefer`` to the items: each item asks for UTC and
    immutable ids itself."""
    created = alice.post(
        f"{g.graph}/me/events",
        json=event_body(
            start="2026-03-03T10:00:00", end="2026-03-03T11:00:00", tz="Tokyo Standard Time"
        ),
    ).json()
    with graph_client(g) as graph:
        (result,) = graph.batch(
            [BatchRequest(id="1", method="GET", url=graph.event_path(created["id"]))]
        )
    assert result.status == 200
    assert result.headers["Preference-Applied"] == PREFER
    assert result.body["start"] == {"dateTime": "2026-03-03T01:00:00.0000000", "timeZone": "UTC"}


def creates(count, prefix="Paced"):
    return [
        BatchRequest(
            id=str(n),
            method="POST",
            url="/me/events",
            body=event_body(
                subject=f"{prefix} {n}", start="2026-03-03T10:00:00", end="2026-03-03T11:00:00"
            ),
        )
        for n in range(count)
    ]


def on_the_emulators_clock(g):
    """Clock and sleep for a client or pacer: waiting moves the emulator's clock on."""
    return {
        "clock": lambda: g.clock().timestamp(),
        "sleep": g.clock.advance,
    }


def test_a_paced_client_meets_graphs_429_once_then_spends_the_quota_at_its_rate(g, alice):
    """Five bursts' worth in one export at Microsoft's numbers: the first 429 of each group in
    flight tells the pacer the quota is spent, and the rest goes paced; a second client right
    after it, handed the first one's ``full_at``, paces from its start and meets none."""
    g.set_throttling(True)
    first = Pacer(MailboxQuota(), **on_the_emulators_clock(g))
    with graph_client(g, pacer=first) as graph:
        results = graph.batch(creates(100))
    met_by_the_first = g.counters()["throttled"]
    second = Pacer(MailboxQuota(), full_at=first.state_to_keep(), **on_the_emulators_clock(g))
    with graph_client(g, pacer=second) as graph:
        results += graph.batch(creates(40, prefix="Next"))

    assert [result.status for result in results] == [201] * 140
    assert 1 <= met_by_the_first <= 4
    assert g.counters()["throttled"] == met_by_the_first


def test_a_client_told_nothing_of_a_throttled_run_right_before_meets_429s_again(g, alice):
    g.set_throttling(True)
    with graph_client(g, pacer=Pacer(MailboxQuota(), **on_the_emulators_clock(g))) as graph:
        graph.batch(creates(100))
    met_by_the_first = g.counters()["throttled"]
    with graph_client(g, pacer=Pacer(MailboxQuota(), **on_the_emulators_clock(g))) as graph:
        graph.batch(creates(40, prefix="Next"))

    assert g.counters()["throttled"] > met_by_the_first


def test_events_looked_up_together_come_in_unchained_batches_of_four(g, alice):
    """Three of ten ids deleted: their 404s fail no other item (a chained batch would answer
    424 after each), and with Outlook's concurrency enforced no item is refused."""
    ids = [
        alice.post(f"{g.graph}/me/events", json=body.body).json()["id"]
        for body in creates(10, prefix="Looked up")
    ]
    for deleted in ids[:3]:
        alice.delete(f"{g.graph}/me/events/{deleted}")
    g.set_throttling(True)

    with graph_client(g) as graph:
        before = g.counters()
        found = graph.get_events(ids)
        after = g.counters()

    assert [found[event_id] is None for event_id in ids] == [True] * 3 + [False] * 7
    assert found[ids[5]]["subject"] == "Looked up 5"
    assert after["throttled"] == 0
    assert after["http_requests"] - before["http_requests"] == 3
