"""services.outbox against the emulator: what each write sends and how each answer reads."""

import json

import pytest
import requests
from emulator_support import event_body, get_tokens

from services.errors import PreconditionFailed
from services.graph import GraphClient
from services.outbox import Outbox, Result

ALICE, BOB = "alice@example.com", "bob@example.com"


def graph_client(g, mailbox=ALICE, session_factory=requests.Session, **options):
    token = get_tokens(g, mailbox)["access_token"]
    return GraphClient(
        session_factory,
        g.graph,
        lambda force_refresh=False: token,
        sleep=g.clock.advance,
        clock=lambda: g.clock().timestamp(),
        jitter=lambda: 0.0,
        **options,
    )


def created(g, subject="Planning", mailbox=ALICE, **extra):
    return g.create_event(mailbox, event_body(subject=subject, **extra))


def test_creates_go_to_the_calendar_given_else_to_the_default_one(g):
    projects = g.add_calendar(ALICE, "Projects")
    with graph_client(g) as graph:
        in_projects, in_default = Outbox(graph, projects), Outbox(graph, "")
        in_projects.create("a", event_body(subject="Kick-off"))
        in_default.create("b", event_body(subject="Lunch"))
        ((first,), (second,)) = in_projects.send(), in_default.send()

    assert (first.key, first.kind, first.result, first.error) == (
        "a",
        "create",
        Result.WRITTEN,
        None,
    )
    assert first.ok and first.answer["subject"] == "Kick-off"
    assert [e["subject"] for e in g.events(ALICE, projects)] == ["Kick-off"]
    assert second.answer["id"] in {e["id"] for e in g.events(ALICE, None)}
    assert second.answer["id"] not in {e["id"] for e in g.events(ALICE, projects)}


def test_the_events_path_quotes_the_calendar_id():
    graph = GraphClient(requests.Session, "https://graph.test/v1.0", lambda force_refresh=False: "")
    assert graph.events_path("AQMk/a+b=") == "/me/calendars/AQMk%2Fa%2Bb%3D/events"
    assert graph.events_path(None) == graph.events_path("") == "/me/events"
    user = GraphClient(
        requests.Session,
        "https://graph.test/v1.0",
        lambda force_refresh=False: "",
        mailbox="ann/b@example.com",
    )
    assert user.events_path("AQMk/a+b=") == (
        "/users/ann%2Fb%40example.com/calendars/AQMk%2Fa%2Bb%3D/events"
    )
    assert user.events_path(None) == "/users/ann%2Fb%40example.com/events"


def test_writes_go_in_the_order_queued_and_one_key_may_carry_several(g):
    first, second = created(g, "First"), created(g, "Second")
    with graph_client(g) as graph:
        outbox = Outbox(graph)
        outbox.update("one", first["id"], {"subject": "First, moved"})
        outbox.update("one", first["id"], {"subject": "First, moved twice"})
        outbox.delete("two", second["id"])
        outbox.create("three", event_body(subject="Third"))
        assert len(outbox) == 4
        outcomes = outbox.send()
        assert len(outbox) == 0
        assert outbox.send() == []

    assert [(o.key, o.kind, o.result) for o in outcomes] == [
        ("one", "update", Result.WRITTEN),
        ("one", "update", Result.WRITTEN),
        ("two", "delete", Result.WRITTEN),
        ("three", "create", Result.WRITTEN),
    ]
    assert outcomes[1].answer["subject"] == "First, moved twice"
    assert outcomes[2].answer is None
    assert sorted(e["subject"] for e in g.events(ALICE)) == ["First, moved twice", "Third"]


def test_an_update_at_a_stale_change_key_is_a_conflict_and_changes_nothing(g):
    event = created(g)
    g.update_event(ALICE, event["id"], {"subject": "Edited in Outlook"})
    with graph_client(g) as graph:
        outbox = Outbox(graph)
        outbox.update("k", event["id"], {"subject": "From Odoo"}, change_key=event["changeKey"])
        (outcome,) = outbox.send()

    assert outcome.result is Result.CONFLICT and not outcome.ok
    assert isinstance(outcome.error, PreconditionFailed)
    assert g.events(ALICE)[0]["subject"] == "Edited in Outlook"


def test_an_update_at_the_current_change_key_or_at_any_version_is_written(g):
    event = created(g)
    with graph_client(g) as graph:
        outbox = Outbox(graph)
        outbox.update("at", event["id"], {"subject": "Kept key"}, change_key=event["changeKey"])
        outbox.update("any", event["id"], {"subject": "Any version"}, any_version=True)
        outbox.update("none", event["id"], {"location": {"displayName": "Room 1"}})
        outcomes = outbox.send()

    assert [o.result for o in outcomes] == [Result.WRITTEN] * 3
    assert g.events(ALICE)[0]["subject"] == "Any version"


def test_if_match_is_a_weak_change_key_a_star_or_absent(g):
    event = created(g)
    sent = []

    def recording_session():
        session = requests.Session()
        session.hooks["response"].append(lambda response, **_: sent.append(response.request))
        return session

    with graph_client(g, session_factory=recording_session) as graph:
        outbox = Outbox(graph)
        outbox.update("at", event["id"], {}, change_key=event["changeKey"])
        outbox.update("any", event["id"], {}, any_version=True)
        outbox.update("none", event["id"], {})
        outbox.send()
        with pytest.raises(ValueError):
            outbox.update("both", event["id"], {}, change_key="ck1", any_version=True)

    (envelope,) = [json.loads(request.body) for request in sent]
    assert [item["headers"].get("If-Match") for item in envelope["requests"]] == [
        f'W/"{event["changeKey"]}"',
        "*",
        None,
    ]


def test_a_write_to_an_event_no_longer_there_is_gone(g):
    event = created(g)
    g.delete_event(ALICE, event["id"])
    with graph_client(g) as graph:
        outbox = Outbox(graph)
        outbox.update("u", event["id"], {"subject": "x"})
        outbox.delete("d", event["id"])
        outcomes = outbox.send()

    assert [(o.result, o.error.status) for o in outcomes] == [(Result.GONE, 404)] * 2


def test_a_write_graph_had_no_quota_for_is_throttled_with_graphs_wait(g):
    with graph_client(g, max_retries=1) as graph:
        g.inject_fault("status", count=10, status=429, retry_after=7, path_contains="/me/events")
        outbox = Outbox(graph)
        outbox.create("k", event_body())
        (outcome,) = outbox.send()

    assert outcome.result is Result.THROTTLED and outcome.retry_after == 7.0
    assert outcome.error.status == 429
    assert g.events(ALICE) == []


@pytest.mark.parametrize("status", [503, 504])
def test_a_write_answered_503_or_504_after_it_ran_is_unconfirmed(g, status):
    with graph_client(g) as graph:
        g.inject_fault("status_after", status=status, path_contains="/me/events")
        outbox = Outbox(graph)
        outbox.create("k", event_body(subject="Applied all the same"))
        (outcome,) = outbox.send()

    assert outcome.result is Result.UNCONFIRMED and outcome.error.status == status
    assert [e["subject"] for e in g.events(ALICE)] == ["Applied all the same"]


def test_a_write_graph_refuses_is_refused(g):
    with graph_client(g) as graph:
        outbox = Outbox(graph)
        outbox.create("k", {"subject": "No start nor end"})
        (outcome,) = outbox.send()

    assert outcome.result is Result.REFUSED and outcome.error.status == 400


@pytest.mark.parametrize(
    ("response", "answer"),
    [("accepted", "accepted"), ("tentative", "tentativelyAccepted"), ("declined", "declined")],
)
def test_a_reply_answers_the_organizer(g, response, answer):
    g.create_event(BOB, event_body(subject="Review", attendees=[attendee(ALICE)]))
    (invitation,) = g.events(ALICE)
    with graph_client(g) as graph:
        outbox = Outbox(graph)
        outbox.respond("k", invitation["id"], response)
        (outcome,) = outbox.send()

    assert (outcome.kind, outcome.result) == ("respond", Result.WRITTEN)
    assert g.events(ALICE)[0]["responseStatus"]["response"] == answer
    (organizers,) = g.events(BOB)
    assert [a["status"]["response"] for a in organizers["attendees"]] == [answer]


def test_a_reply_outside_odoos_answers_is_refused_before_sending(g):
    with graph_client(g) as graph, pytest.raises(ValueError):
        Outbox(graph).respond("k", "AAMk", "needsAction")


def attendee(email):
    return {"emailAddress": {"address": email, "name": email}, "type": "required"}
