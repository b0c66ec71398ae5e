"""$batch, request counters, fault injection and the throttling model."""

import threading
import time

import pytest
import requests
from emulator_support import event_body

from graph_emulator.clock import FakeClock
from graph_emulator.errors import GraphError
from graph_emulator.traffic import Traffic


def _batch(g, session, items):
    return session.post(f"{g.graph}/$batch", json={"requests": items})


def _json_item(item_id, method, url, body):
    """A ``$batch`` item with a JSON body, which Graph requires to carry its Content-Type."""
    return {
        "id": item_id,
        "method": method,
        "url": url,
        "headers": {"Content-Type": "application/json"},
        "body": body,
    }


def test_batch_runs_items_with_per_item_status_headers_and_body(g, alice):
    reply = _batch(
        g,
        alice,
        [
            _json_item("1", "POST", "/me/events", event_body()),
            {"id": "2", "method": "GET", "url": "/me/events/nope"},
            {"id": "3", "method": "GET", "url": "/me"},
        ],
    )
    assert reply.status_code == 200
    by_id = {r["id"]: r for r in reply.json()["responses"]}
    assert by_id["1"]["status"] == 201 and by_id["1"]["body"]["subject"] == "Sync test"
    assert (
        by_id["2"]["status"] == 404 and by_id["2"]["body"]["error"]["code"] == "ErrorItemNotFound"
    )
    assert by_id["3"]["status"] == 200 and "Content-Type" in by_id["3"]["headers"]


def test_batch_applies_prefer_only_to_the_item_that_carries_it(g, alice):
    """The envelope's ``Prefer`` is the ``$batch`` request's own, not its items'."""
    event = alice.post(f"{g.graph}/me/events", json=event_body()).json()
    for n in range(3):
        alice.post(f"{g.graph}/me/events", json=event_body(subject=f"Other {n}"))
    reply = alice.post(
        f"{g.graph}/$batch",
        headers={"Prefer": 'outlook.timezone="Tokyo Standard Time", odata.maxpagesize=2'},
        json={
            "requests": [
                {"id": "plain", "method": "GET", "url": f"/me/events/{event['id']}"},
                {"id": "list", "method": "GET", "url": "/me/events"},
                {
                    "id": "own",
                    "method": "GET",
                    "url": f"/me/events/{event['id']}",
                    "headers": {"Prefer": 'outlook.timezone="Pacific Standard Time"'},
                },
            ]
        },
    )
    by_id = {r["id"]: r for r in reply.json()["responses"]}
    assert by_id["plain"]["body"]["start"] == {
        "dateTime": "2026-03-03T10:00:00.0000000",
        "timeZone": "UTC",
    }
    assert "Preference-Applied" not in by_id["plain"]["headers"]
    assert len(by_id["list"]["body"]["value"]) == 4
    assert "@odata.nextLink" not in by_id["list"]["body"]
    assert by_id["own"]["body"]["start"] == {
        "dateTime": "2026-03-03T02:00:00.0000000",
        "timeZone": "Pacific Standard Time",
    }
    assert by_id["own"]["headers"]["Preference-Applied"] == (
        'outlook.timezone="Pacific Standard Time"'
    )


def test_batch_depends_on_failure_gives_424(g, alice):
    reply = _batch(
        g,
        alice,
        [
            _json_item("a", "PATCH", "/me/events/missing", {"subject": "x"}),
            {"id": "b", "method": "GET", "url": "/me", "dependsOn": ["a"]},
        ],
    ).json()
    assert {r["id"]: r["status"] for r in reply["responses"]} == {"a": 404, "b": 424}


def test_batch_over_twenty_items_or_duplicate_ids_is_rejected(g, alice):
    assert (
        _batch(
            g, alice, [{"id": str(i), "method": "GET", "url": "/me"} for i in range(21)]
        ).status_code
        == 400
    )
    assert _batch(g, alice, [{"id": "1", "method": "GET", "url": "/me"}] * 2).status_code == 400


def test_counters_count_batch_items_one_by_one(g, alice):
    before = g.counters()
    _batch(g, alice, [{"id": str(i), "method": "GET", "url": "/me/events"} for i in range(5)])
    alice.post(f"{g.graph}/me/events", json=event_body())
    after = g.counters()
    assert after["total"] - before["total"] == 6 and after["writes"] - before["writes"] == 1
    assert (
        after["by_mailbox"]["alice@example.com"] - before["by_mailbox"].get("alice@example.com", 0)
        == 6
    )
    assert after["by_path"]["GET /me/events"] == 5 and after["by_path"]["POST /me/events"] == 1


def test_status_fault_with_retry_after_hits_matching_requests_only(g, alice):
    g.inject_fault(
        "status", count=2, method="POST", path_contains="/events", status=429, retry_after="2.5"
    )
    assert alice.get(f"{g.graph}/me/events").status_code == 200
    first = alice.post(f"{g.graph}/me/events", json=event_body())
    assert first.status_code == 429 and first.headers["Retry-After"] == "2.5"
    assert first.json()["error"]["code"] == "TooManyRequests"
    assert alice.post(f"{g.graph}/me/events", json=event_body()).status_code == 429
    assert alice.post(f"{g.graph}/me/events", json=event_body()).status_code == 201
    assert len(g.events("alice@example.com")) == 1


def test_status_fault_applies_to_batch_items(g, alice):
    g.inject_fault("status", status=503, path_contains="/me/events")
    reply = _batch(
        g,
        alice,
        [
            {"id": "1", "method": "GET", "url": "/me/events"},
            {"id": "2", "method": "GET", "url": "/me/events"},
        ],
    )
    assert [r["status"] for r in reply.json()["responses"]] == [503, 200]


def test_status_after_applies_the_create_then_answers_an_empty_503(g, alice):
    """Graph's recorded answer to a PATCH it had applied: 503, ``text/plain``, no body."""
    g.inject_fault("status_after", method="POST", path_contains="/me/events")
    attendee = {"emailAddress": {"address": "bob@example.com"}, "type": "required"}
    lost = alice.post(
        f"{g.graph}/me/events", json=event_body(transactionId="t-1", attendees=[attendee])
    )
    assert (lost.status_code, lost.content) == (503, b"")
    assert lost.headers["Content-Type"] == "text/plain"
    assert len(g.events("alice@example.com")) == 1, "applied all the same"
    assert [m["kind"] for m in g.sent_mail("alice@example.com")] == ["invitation"]
    again = alice.post(
        f"{g.graph}/me/events", json=event_body(transactionId="t-1", attendees=[attendee])
    )
    assert again.json()["id"] == g.events("alice@example.com")[0]["id"]
    assert len(g.sent_mail("alice@example.com")) == 1, "the repeat mails nobody"


def test_status_after_applies_a_reply_and_a_patch_then_answers_504(g, alice, bob):
    attendee = {"emailAddress": {"address": "bob@example.com"}, "type": "required"}
    meeting = alice.post(f"{g.graph}/me/events", json=event_body(attendees=[attendee])).json()
    copy_id = g.events("bob@example.com")[0]["id"]
    g.inject_fault("status_after", status=504, path_contains="/accept")
    g.inject_fault("status_after", status=504, method="PATCH")
    reply = bob.post(f"{g.graph}/me/events/{copy_id}/accept", json={"sendResponse": True})
    assert reply.status_code == 504 and reply.json()["error"]["code"] == "GatewayTimeout"
    assert [m["kind"] for m in g.sent_mail("bob@example.com")] == ["reply"]
    assert bob.get(f"{g.graph}/me/events/{copy_id}").json()["responseStatus"]["response"] == (
        "accepted"
    ), "what a client reads back before answering again"
    answered = alice.get(f"{g.graph}/me/events/{meeting['id']}").json()
    assert answered["attendees"][0]["status"]["response"] == "accepted"
    moved = alice.patch(
        f"{g.graph}/me/events/{meeting['id']}",
        json={"location": {"displayName": "Room 2"}},
        headers={"If-Match": answered["@odata.etag"]},
    )
    assert moved.status_code == 504
    assert g.events("alice@example.com")[0]["location"]["displayName"] == "Room 2"
    assert [m["kind"] for m in g.sent_mail("alice@example.com")] == ["invitation", "update"]


def test_a_repeated_reply_is_a_new_answer_and_a_new_mail(g, alice, bob):
    attendee = {"emailAddress": {"address": "bob@example.com"}, "type": "required"}
    alice.post(f"{g.graph}/me/events", json=event_body(attendees=[attendee]))
    copy_id = g.events("bob@example.com")[0]["id"]
    for _ in range(2):
        bob.post(f"{g.graph}/me/events/{copy_id}/accept", json={"sendResponse": True})
    assert [m["kind"] for m in g.sent_mail("bob@example.com")] == ["reply", "reply"]


def test_status_after_hits_batch_items_and_envelopes_after_they_ran(g, alice):
    g.inject_fault("status_after", method="POST", path_contains="/me/events")
    reply = _batch(
        g,
        alice,
        [
            {"id": "1", "method": "POST", "url": "/me/events", "body": event_body(subject="A")},
            {"id": "2", "method": "POST", "url": "/me/events", "body": event_body(subject="B")},
        ],
    )
    assert [r["status"] for r in reply.json()["responses"]] == [503, 201]
    assert len(g.events("alice@example.com")) == 2
    g.inject_fault("status_after", path_contains="$batch")
    envelope = _batch(
        g, alice, [{"id": "1", "method": "POST", "url": "/me/events", "body": event_body()}]
    )
    assert (envelope.status_code, envelope.content) == (503, b"")
    assert len(g.events("alice@example.com")) == 3


def test_status_after_is_armed_through_the_control_api(g, alice):
    armed = requests.post(
        f"{g.url}/_emulator/faults",
        json={"kind": "status_after", "status": 504, "method": "DELETE"},
    )
    assert armed.status_code == 201 and armed.json()["pending"][0]["kind"] == "status_after"
    event = alice.post(f"{g.graph}/me/events", json=event_body()).json()
    assert alice.delete(f"{g.graph}/me/events/{event['id']}").status_code == 504
    assert g.events("alice@example.com") == [], "deleted all the same"


def test_drop_before_leaves_state_untouched(g, alice):
    g.inject_fault("drop_before", method="POST")
    with pytest.raises(requests.ConnectionError):
        alice.post(f"{g.graph}/me/events", json=event_body())
    assert g.events("alice@example.com") == []


def test_drop_after_applies_the_write_then_closes(g, alice):
    g.inject_fault("drop_after", method="POST")
    with pytest.raises(requests.ConnectionError):
        alice.post(f"{g.graph}/me/events", json=event_body(transactionId="t-1"))
    assert len(g.events("alice@example.com")) == 1
    retry = alice.post(f"{g.graph}/me/events", json=event_body(transactionId="t-1"))
    assert retry.json()["id"] == g.events("alice@example.com")[0]["id"]


def test_delay_fault_slows_the_reply(g, alice):
    g.inject_fault("delay", delay=0.3, path_contains="/me")
    started = time.perf_counter()
    assert alice.get(f"{g.graph}/me").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_delay_after_fault_applies_the_write_before_waiting(g, alice):
    g.inject_fault("delay_after", delay=2.0, method="POST", path_contains="/me/events")
    posted = threading.Thread(
        target=alice.post, args=(f"{g.graph}/me/events",), kwargs={"json": event_body()}
    )
    posted.start()
    deadline = time.monotonic() + 10
    while not g.events("alice@example.com") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(g.events("alice@example.com")) == 1, "applied while the reply still waits"
    assert posted.is_alive()
    posted.join()


def test_rewrite_fault_replaces_the_reply_with_raw_text(g, alice):
    g.inject_fault("rewrite", path_contains="/me/events", body='{"value": [')
    broken = alice.get(f"{g.graph}/me/events")
    assert broken.status_code == 200 and broken.text == '{"value": ['
    assert alice.get(f"{g.graph}/me/events").json()["value"] == []


def test_rewrite_fault_edits_and_adds_events_of_a_reply(g, alice):
    first = g.create_event("alice@example.com", event_body(subject="One"))
    g.create_event("alice@example.com", event_body(subject="Two"))
    g.inject_fault(
        "rewrite",
        count=2,
        path_contains="/me/events",
        edits={first["id"]: {"set": {"subject": 42, "showAs": None}, "unset": ["start"]}},
        append=["not an event"],
    )
    listed = alice.get(f"{g.graph}/me/events").json()["value"]
    edited = next(item for item in listed if isinstance(item, dict) and item["id"] == first["id"])
    assert (edited["subject"], edited["showAs"], "start" in edited) == (42, None, False)
    assert listed[-1] == "not an event"
    assert [ev["subject"] for ev in listed[:-1] if ev is not edited] == ["Two"]
    assert alice.get(f"{g.graph}/me/events/{first['id']}").json()["subject"] == 42
    assert g.events("alice@example.com")[0]["subject"] == "One", "the store is untouched"


def test_rewrite_fault_needs_something_to_do(g):
    with pytest.raises(ValueError):
        g.inject_fault("rewrite")


def test_rate_limit_gives_429_with_retry_after_until_window_passes(g, alice):
    g.set_throttling(True, requests=3, window_seconds=60)
    codes = [alice.get(f"{g.graph}/me").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    throttled = alice.get(f"{g.graph}/me")
    assert (
        throttled.json()["error"]["code"] == "ApplicationThrottled"
        and int(throttled.headers["Retry-After"]) > 0
    )
    g.advance_clock(61)
    assert alice.get(f"{g.graph}/me").status_code == 200


def test_throttle_is_per_mailbox_and_batch_items_count_individually(g, alice, bob):
    g.set_throttling(True, requests=3, window_seconds=60)
    reply = _batch(
        g, alice, [{"id": str(i), "method": "GET", "url": "/me"} for i in range(4)]
    ).json()
    assert [r["status"] for r in reply["responses"]] == [200, 200, 200, 429]
    assert bob.get(f"{g.graph}/me").status_code == 200


def test_more_than_four_concurrent_requests_are_throttled(g, alice):
    g.set_throttling(True)
    # Long enough for the five to overlap on a loaded machine (TLS handshakes included).
    g.inject_fault("delay", count=5, delay=2.0, path_contains="/me")
    token = alice.headers["Authorization"]
    results = []
    start_together = threading.Barrier(5)

    def call():
        start_together.wait()
        results.append(requests.get(f"{g.graph}/me", headers={"Authorization": token}).status_code)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 200, 200, 200, 429]


def test_default_throttling_uses_microsofts_numbers(g):
    g.set_throttling(True)
    cfg = g.traffic.throttle
    assert (cfg.requests, cfg.window_seconds, cfg.concurrency) == (10_000, 600.0, 4)


def test_token_bucket_admits_one_batch_then_paces_at_microsofts_rate(g, alice):
    """A full bucket holds one $batch (20 items, chained to stay within the mailbox's
    concurrency); then one token every 600/10,000 s."""
    g.set_throttling(True)
    items = [
        {"id": str(i), "method": "GET", "url": "/me"} | ({"dependsOn": [str(i - 1)]} if i else {})
        for i in range(20)
    ]
    assert {r["status"] for r in _batch(g, alice, items).json()["responses"]} == {200}
    refused = alice.get(f"{g.graph}/me")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["message"].endswith("MailboxRateLimit limit.")
    g.advance_clock(0.06)  # one token is 0.06 s of Microsoft's 16.7 a second
    assert [alice.get(f"{g.graph}/me").status_code for _ in range(2)] == [200, 429]
    g.advance_clock(600)  # a quiet 10 minutes refills the bucket, no more
    assert {r["status"] for r in _batch(g, alice, items).json()["responses"]} == {200}
    assert alice.get(f"{g.graph}/me").status_code == 429
    assert g.counters()["throttled"] == 3


def test_retry_after_says_when_the_next_token_is_there(g, alice):
    g.set_throttling(True, requests=60, window_seconds=600)  # a token every 10 s
    assert [alice.get(f"{g.graph}/me").status_code for _ in range(21)] == [200] * 20 + [429]
    g.advance_clock(4)
    assert alice.get(f"{g.graph}/me").headers["Retry-After"] == "6"
    g.advance_clock(6)
    assert alice.get(f"{g.graph}/me").status_code == 200
    assert g.counters()["throttled"] == 2


def test_ten_minutes_of_hammering_get_microsofts_quota_and_no_more():
    """Driven through the model directly: 600 simulated seconds at 100 attempts a second."""
    traffic = Traffic(FakeClock())
    traffic.throttle.enabled = True
    admitted = 0
    for _ in range(600 * 100):
        try:
            traffic.admit("app", "alice@example.com")
        except GraphError:
            pass
        else:
            admitted += 1
            traffic.release("app", "alice@example.com")
        traffic.clock.advance(0.01)
    assert 10_000 + 20 - 1 <= admitted <= 10_000 + 20
    assert traffic.counters()["throttled"] == 600 * 100 - admitted


def test_burst_size_can_be_changed_and_a_refused_request_costs_no_token(g, alice):
    g.set_throttling(True)
    g.traffic.throttle.burst = 2
    codes = [alice.get(f"{g.graph}/me").status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    g.advance_clock(0.06)
    assert alice.get(f"{g.graph}/me").status_code == 200


def test_unchained_items_beyond_the_mailboxs_concurrency_are_refused(g, alice):
    g.set_throttling(True)
    items = [{"id": str(n), "method": "GET", "url": "/me/calendar"} for n in range(6)]

    answers = alice.post(f"{g.graph}/$batch", json={"requests": items}).json()["responses"]
    chained = [dict(item, dependsOn=[str(int(item["id"]) - 1)]) for item in items[1:]]
    in_turn = alice.post(f"{g.graph}/$batch", json={"requests": [items[0], *chained]}).json()

    statuses = {answer["id"]: answer["status"] for answer in answers}
    assert [statuses[str(n)] for n in range(6)] == [200] * 4 + [429] * 2
    assert answers[-1]["body"]["error"]["code"] == "ApplicationThrottled"
    assert {answer["status"] for answer in in_turn["responses"]} == {200}
