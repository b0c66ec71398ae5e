"""GraphClient against a scripted transport adapter (no sockets, no emulator)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import pytest
import requests
from requests.adapters import BaseAdapter

from services.errors import (
    GraphError,
    NotFound,
    ReauthRequired,
    SyncStateGone,
    Throttled,
    TransportError,
    WriteUnconfirmed,
)
from services.graph import (
    BatchRequest,
    BatchResult,
    Calendar,
    Category,
    GraphClient,
    Subscription,
    User,
)
from services.outbox import Outbox

BASE = "https://graph.test/v1.0"
START, END = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC)


class Script(BaseAdapter):
    """Answers each request with the next scripted reply for its (method, path) — or a handler."""

    def __init__(self, handler=None):
        super().__init__()
        self.replies: dict[tuple[str, str], list] = {}
        self.handler = handler
        self.sent: list[requests.PreparedRequest] = []
        self.timeouts: list = []
        self.lock = threading.Lock()

    def reply(self, method, path, *replies):
        self.replies.setdefault((method, path), []).extend(replies)
        return self

    def send(self, request, **kwargs):
        with self.lock:
            self.sent.append(request)
            self.timeouts.append(kwargs.get("timeout"))
        if self.handler:
            answer = self.handler(request)
        else:
            path = request.path_url.split("?")[0].removeprefix("/v1.0")
            answer = self.replies[(request.method, path)].pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, *headers = answer
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode() if body is not None else b""
        response.headers.update(headers[0] if headers else {})
        response.request, response.url = request, request.url
        return response

    def close(self):
        pass


class Tokens:
    def __init__(self):
        self.calls: list[bool] = []

    def __call__(self, force_refresh=False):
        self.calls.append(force_refresh)
        return f"token{len(self.calls)}"


def graph_error(status, code, message=None):
    """Graph's answer ``status`` with its JSON error ``code`` (and ``message``)."""
    error = {"code": code} if message is None else {"code": code, "message": message}
    return (status, {"error": error})


def client(adapter, tokens=None, **options):
    sleeps: list[float] = []
    clock = [0.0]

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds

    def session():
        session = requests.Session()
        session.mount("https://", adapter)
        return session

    graph = GraphClient(
        session,
        BASE,
        tokens or Tokens(),
        sleep=sleep,
        clock=lambda: clock[0],
        jitter=lambda: 0.0,
        **options,
    )
    return graph, sleeps


def test_every_request_carries_prefer_headers_token_and_timeout():
    adapter = Script().reply("GET", "/me", (200, {"id": "u1"}))
    graph, _ = client(adapter, timeout=(3.0, 7.0))
    assert graph.get_me().id == "u1"
    (sent,) = adapter.sent
    assert 'outlook.timezone="UTC"' in sent.headers["Prefer"]
    assert 'IdType="ImmutableId"' in sent.headers["Prefer"]
    assert sent.headers["Authorization"] == "Bearer token1"
    assert adapter.timeouts == [(3.0, 7.0)]


def test_collections_follow_next_links():
    adapter = Script().reply(
        "GET",
        "/me/calendars",
        (200, {"value": [{"id": "c1"}], "@odata.nextLink": f"{BASE}/me/calendars?$skip=1"}),
        (200, {"value": [{"id": "c2"}]}),
    )
    graph, _ = client(adapter)
    assert [c.id for c in graph.list_calendars()] == ["c1", "c2"]


def test_calendars_users_and_categories_read_as_typed_values():
    shared = {
        "id": "c2",
        "name": "Team",
        "owner": {"address": "bob@example.com", "name": "Bob"},
        "canEdit": True,
        "isTallyingResponses": False,
    }
    adapter = (
        Script()
        .reply(
            "GET",
            "/me/calendars",
            (200, {"value": [{"id": "c1", "isDefaultCalendar": True}, shared]}),
        )
        .reply("GET", "/me", (200, {"id": "u1", "userPrincipalName": "me@example.com"}))
        .reply(
            "GET",
            "/me/outlook/masterCategories",
            (
                200,
                {"value": [{"displayName": "Red", "color": "preset0"}, {"displayName": "Plain"}]},
            ),
        )
    )
    graph, _ = client(adapter)

    assert graph.list_calendars() == [
        Calendar(
            id="c1",
            name="",
            owner_address="",
            owner_name="",
            can_edit=False,
            is_default=True,
            tallies_responses=True,
        ),
        Calendar(
            id="c2",
            name="Team",
            owner_address="bob@example.com",
            owner_name="Bob",
            can_edit=True,
            is_default=False,
            tallies_responses=False,
        ),
    ]
    assert graph.get_me() == User(id="u1", mail="", user_principal_name="me@example.com")
    assert graph.master_categories() == [Category("Red", "preset0"), Category("Plain", "none")]


def test_instances_of_a_series_ask_for_the_window_and_follow_pages():
    adapter = Script().reply(
        "GET",
        "/me/events/m%2F1/instances",
        (
            200,
            {"value": [{"id": "o1"}], "@odata.nextLink": f"{BASE}/me/events/m%2F1/instances?p=2"},
        ),
        (200, {"value": [{"id": "o2"}]}),
    )
    graph, _ = client(adapter)

    assert [o["id"] for o in graph.instances("m/1", START, END)] == ["o1", "o2"]
    assert "startDateTime=2024-01-01T00%3A00%3A00" in adapter.sent[0].url
    assert "endDateTime=2024-12-31T00%3A00%3A00" in adapter.sent[0].url
    assert "%24top=100" in adapter.sent[0].url


def test_instances_of_several_series_go_in_one_batch_and_follow_pages():
    def handler(request):
        if request.path_url.startswith("/v1.0/$batch"):
            items = json.loads(request.body)["requests"]
            answers = {
                "/me/events/a/instances": (
                    200,
                    {
                        "value": [{"id": "a1"}],
                        "@odata.nextLink": f"{BASE}/me/events/a/instances?p=2",
                    },
                ),
                "/me/events/b/instances": (200, {"value": [{"id": "b1"}]}),
                "/me/events/gone/instances": graph_error(404, "ErrorItemNotFound"),
            }
            return (
                200,
                {
                    "responses": [
                        {
                            "id": item["id"],
                            "status": answers[item["url"].split("?")[0]][0],
                            "body": answers[item["url"].split("?")[0]][1],
                        }
                        for item in items
                    ]
                },
            )
        return (200, {"value": [{"id": "a2"}]})

    adapter = Script(handler)
    graph, _ = client(adapter)

    rows = graph.instances_of(["a", "b", "gone"], START, END)

    assert {key: [r["id"] for r in value] for key, value in rows.items()} == {
        "a": ["a1", "a2"],
        "b": ["b1"],
    }
    assert len(adapter.sent) == 2, "one $batch, then the one next page"
    first_url = json.loads(adapter.sent[0].body)["requests"][0]["url"]
    assert "startDateTime=2024-01-01T00%3A00%3A00" in first_url
    assert "%24top=100" in first_url


def test_delta_yields_pages_then_the_new_delta_link():
    adapter = Script().reply(
        "GET",
        "/me/calendars/cal/calendarView/delta",
        (
            200,
            {
                "value": [{"id": "e1"}],
                "@odata.nextLink": f"{BASE}/me/calendars/cal/calendarView/delta?$skiptoken=1",
            },
        ),
        (
            200,
            {
                "value": [{"id": "e2"}],
                "@odata.deltaLink": f"{BASE}/me/calendars/cal/calendarView/delta?$deltatoken=9",
            },
        ),
    )
    graph, _ = client(adapter)
    pages = list(graph.delta("cal", START, END, page_size=50))
    assert [[i["id"] for i in p.items] for p in pages] == [["e1"], ["e2"]]
    assert [p.delta_link for p in pages] == [
        None,
        f"{BASE}/me/calendars/cal/calendarView/delta?$deltatoken=9",
    ]
    assert [p.next_link for p in pages] == [
        f"{BASE}/me/calendars/cal/calendarView/delta?$skiptoken=1",
        None,
    ]
    first = adapter.sent[0]
    assert "startDateTime=2024-01-01T00%3A00%3A00Z" in first.url
    assert "odata.maxpagesize=50" in first.headers["Prefer"]


def test_delta_resumes_from_the_stored_link():
    link = f"{BASE}/me/calendars/cal/calendarView/delta?$deltatoken=9"
    adapter = Script().reply(
        "GET",
        "/me/calendars/cal/calendarView/delta",
        (200, {"value": [], "@odata.deltaLink": link}),
    )
    graph, _ = client(adapter)
    assert [p.delta_link for p in graph.delta("cal", START, END, delta_link=link)] == [link]
    assert adapter.sent[0].url == link


@pytest.mark.parametrize(
    ("method", "path", "answer", "call", "error"),
    [
        pytest.param(
            "GET",
            "/me/calendar/calendarView/delta",
            graph_error(410, "SyncStateNotFound", "gone"),
            lambda graph: list(graph.delta(None, START, END)),
            SyncStateGone,
            id="expired delta state",
        ),
        pytest.param(
            "GET",
            "/me/events/gone",
            graph_error(404, "ErrorItemNotFound"),
            lambda graph: graph.get_event("gone"),
            NotFound,
            id="get of a missing event",
        ),
        pytest.param(
            "POST",
            "/subscriptions",
            graph_error(400, "ValidationError", "validation request failed"),
            lambda graph: graph.create_subscription(
                resource="/me/events",
                notification_url="https://odoo.test/hook",
                client_state="s",
                expiration=END,
            ),
            GraphError,
            id="failed subscription validation",
        ),
        pytest.param(
            "PATCH",
            "/subscriptions/gone",
            graph_error(404, "x"),
            lambda graph: graph.renew_subscription("gone", END),
            NotFound,
            id="renewing a subscription Graph dropped",
        ),
    ],
)
def test_graph_error_answer_raises_its_exception_with_graphs_code(
    method, path, answer, call, error
):
    graph, _ = client(Script().reply(method, path, answer))
    with pytest.raises(error) as raised:
        call(graph)
    assert raised.value.code == answer[1]["error"]["code"]


def test_repeating_next_link_is_detected():
    loop = f"{BASE}/me/calendar/calendarView/delta?$skiptoken=same"
    adapter = Script().reply(
        "GET",
        "/me/calendar/calendarView/delta",
        *[(200, {"value": [{"id": "e"}], "@odata.nextLink": loop})] * 5,
    )
    graph, _ = client(adapter)
    with pytest.raises(SyncStateGone):
        list(graph.delta(None, START, END))
    assert len(adapter.sent) <= 3


def test_next_link_to_another_host_is_refused():
    adapter = Script().reply(
        "GET", "/me/calendars", (200, {"value": [], "@odata.nextLink": "https://evil.test/steal"})
    )
    graph, _ = client(adapter)
    with pytest.raises(GraphError):
        graph.list_calendars()
    assert len(adapter.sent) == 1


def test_throttled_get_waits_fractional_retry_after_then_succeeds():
    adapter = Script().reply(
        "GET",
        "/me",
        (429, {}, {"Retry-After": "2.128"}),
        (503, {}, {"Retry-After": "1"}),
        (200, {"id": "u"}),
    )
    graph, sleeps = client(adapter)
    assert graph.get_me().id == "u"
    assert sleeps == [2.128, 1.0]


def test_requests_sent_counts_every_request_on_the_wire_retries_included():
    adapter = Script().reply("GET", "/me", (429, {}, {"Retry-After": "1"}), (200, {"id": "u"}))
    graph, _ = client(adapter)
    assert graph.requests_sent == 0
    graph.get_me()
    assert graph.requests_sent == len(adapter.sent) == 2


def test_retry_after_is_capped():
    adapter = Script().reply("GET", "/me", (429, {}, {"Retry-After": "86400"}), (200, {}))
    graph, sleeps = client(adapter, max_retry_after=30.0, max_wait=60.0)
    graph.get_me()
    assert sleeps == [30.0]


def test_retries_are_bounded_and_end_in_throttled():
    adapter = Script().reply(
        "GET", "/me", *[(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "1"})] * 10
    )
    graph, sleeps = client(adapter, max_retries=3)
    with pytest.raises(Throttled) as raised:
        graph.get_me()
    assert len(adapter.sent) == 4 and len(sleeps) == 3
    assert raised.value.retry_after == 1.0 and raised.value.code == "TooManyRequests"


def test_throttled_tells_the_whole_retry_after_beyond_the_cap():
    """The client waits at most ``max_retry_after``; the caller must postpone by what Graph
    asked."""
    adapter = Script().reply("GET", "/me", (429, {}, {"Retry-After": "600"}))
    graph, sleeps = client(adapter, max_retry_after=120.0, max_wait=30.0)
    with pytest.raises(Throttled) as raised:
        graph.get_me()
    assert sleeps == []
    assert raised.value.retry_after == 600.0


def test_missing_retry_after_backs_off_exponentially():
    adapter = Script().reply("GET", "/me", (503, {}), (503, {}), (504, {}), (200, {}))
    graph, sleeps = client(adapter)
    graph.get_me()
    assert sleeps == [0.5, 1.0, 2.0]


def outbox_of_one_create(adapter):
    graph, _ = client(adapter)
    outbox = Outbox(graph)
    outbox.create("k", {"subject": "x", "transactionId": "tx-1"})
    return outbox


def test_create_is_not_posted_again_after_a_timeout():
    adapter = Script().reply("POST", "/$batch", requests.ReadTimeout("slow"))
    with pytest.raises(TransportError):
        outbox_of_one_create(adapter).send()
    assert len(adapter.sent) == 1


def test_create_is_not_posted_again_after_a_gateway_timeout():
    adapter = Script().reply("POST", "/$batch", (504, {}))
    with pytest.raises(TransportError):
        outbox_of_one_create(adapter).send()
    assert len(adapter.sent) == 1


def test_throttled_create_is_retried_with_the_same_transaction_id():
    created = {"responses": [{"id": "0", "status": 201, "body": {"id": "new"}}]}
    adapter = Script().reply("POST", "/$batch", (429, {}, {"Retry-After": "1"}), (200, created))
    (outcome,) = outbox_of_one_create(adapter).send()
    assert outcome.answer == {"id": "new"}
    sent = [json.loads(r.body)["requests"][0]["body"]["transactionId"] for r in adapter.sent]
    assert sent == ["tx-1", "tx-1"]


def test_idempotent_get_is_retried_after_a_dropped_connection():
    adapter = Script().reply("GET", "/me", requests.ConnectionError("reset"), (200, {"id": "u"}))
    graph, _ = client(adapter)
    assert graph.get_me().id == "u"


def test_unauthorized_refreshes_the_token_once_and_retries():
    tokens = Tokens()
    adapter = Script().reply("GET", "/me", (401, {}), (200, {"id": "u"}))
    graph, _ = client(adapter, tokens)
    assert graph.get_me().id == "u"
    assert tokens.calls == [False, True]
    assert adapter.sent[1].headers["Authorization"] == "Bearer token2"


def test_second_unauthorized_requires_reauthentication():
    tokens = Tokens()
    adapter = Script().reply(
        "GET", "/me", (401, {}), graph_error(401, "InvalidAuthenticationToken")
    )
    graph, _ = client(adapter, tokens)
    with pytest.raises(ReauthRequired) as raised:
        graph.get_me()
    assert raised.value.reason == "unauthorized_after_refresh"
    assert tokens.calls == [False, True] and len(adapter.sent) == 2


def _refused(message, code="ErrorInvalidRequest"):
    return graph_error(400, code, message)


NO_RESPONSE = (
    "Your request can\u2019t be completed. The meeting organizer hasn\u2019t requested a response."
)


def test_batch_sends_refused_asks_again_without_them_and_says_which():
    def handler(request):
        items = json.loads(request.body)["requests"]
        batches.append(items)
        answers = []
        for item in items:
            body = item.get("body") or {}
            if body.get("sendResponse") is True:
                answers.append({"id": item["id"], "status": 400, "body": _refused(NO_RESPONSE)[1]})
            elif body.get("isOnlineMeeting") or item["id"] == "bad":
                answers.append({"id": item["id"], "status": 400, "body": _refused("no")[1]})
            else:
                answers.append({"id": item["id"], "status": 201, "body": {"id": item["id"]}})
        return (200, {"responses": answers})

    batches = []
    graph, _ = client(Script(handler))
    teams = {
        "subject": "Call",
        "isOnlineMeeting": True,
        "onlineMeetingProvider": "teamsForBusiness",
    }
    results = graph.batch(
        [
            BatchRequest(
                id="reply", method="POST", url="/me/events/e1/accept", body={"sendResponse": True}
            ),
            BatchRequest(id="plain", method="POST", url="/me/events", body={"subject": "Plain"}),
            BatchRequest(id="teams", method="POST", url="/me/events", body=teams),
            BatchRequest(id="bad", method="POST", url="/me/events", body={"subject": "Bad"}),
        ]
    )
    assert [(r.id, r.status, r.relaxed) for r in results] == [
        ("reply", 201, "sendResponse"),
        ("plain", 201, None),
        ("teams", 201, "isOnlineMeeting"),
        ("bad", 400, None),
    ]
    assert [(item["id"], item["body"]) for item in batches[1]] == [
        ("reply", {"sendResponse": False}),
        ("teams", {"subject": "Call"}),
    ]
    assert len(batches) == 2, "each refused ask gets one more try, no more"


def test_batch_of_writes_is_not_posted_again_after_a_503_but_a_batch_of_reads_is():
    def handler(request):
        answers.append(request)
        if len(answers) == 1:
            return (503, None)
        items = json.loads(request.body)["requests"]
        return (200, {"responses": [{"id": i["id"], "status": 200, "body": {}} for i in items]})

    answers = []
    graph, _ = client(Script(handler))
    reply = BatchRequest(id="r", method="POST", url="/me/events/e1/accept", body={})
    read = BatchRequest(id="g", method="GET", url="/me/events/e2")
    with pytest.raises(WriteUnconfirmed):
        graph.batch([read, reply])
    assert len(answers) == 1
    answers.clear()
    assert [r.status for r in graph.batch([read])] == [200]
    assert len(answers) == 2


def test_batch_items_answered_503_or_504_may_have_run():
    responses = [
        {"id": "a", "status": 503, "headers": {"Content-Type": "text/plain"}},
        {"id": "b", "status": 504, "body": {"error": {"code": "GatewayTimeout"}}},
        {"id": "c", "status": 500, "body": {"error": {"code": "InternalServerError"}}},
    ]
    graph, _ = client(Script(lambda request: (200, {"responses": responses})))
    results = graph.batch(
        [BatchRequest(id=i, method="POST", url=f"/me/events/{i}/accept", body={}) for i in "abc"]
    )
    assert [r.outcome_unknown for r in results] == [True, True, False]


def test_batch_sends_sequential_groups_of_twenty_and_returns_results_in_order():
    seen_batches = []

    def handler(request):
        items = json.loads(request.body)["requests"]
        seen_batches.append(items)
        return (
            200,
            {
                "responses": [
                    {"id": i["id"], "status": 200, "body": {"n": i["id"]}} for i in reversed(items)
                ]
            },
        )

    graph, _ = client(Script(handler))
    requests_ = [BatchRequest(id=str(n), method="GET", url=f"/me/events/{n}") for n in range(45)]
    results = graph.batch(requests_)
    assert [r.id for r in results] == [str(n) for n in range(45)]
    assert sorted(len(b) for b in seen_batches) == [5, 20, 20]
    for items in seen_batches:
        assert "dependsOn" not in items[0]
        assert all(item["dependsOn"] == [items[k]["id"]] for k, item in enumerate(items[1:]))
        assert all('IdType="ImmutableId"' in item["headers"]["Prefer"] for item in items)


def test_batch_retries_throttled_and_skipped_items_only():
    rounds = []

    def handler(request):
        items = json.loads(request.body)["requests"]
        rounds.append([i["id"] for i in items])
        if len(rounds) == 1:
            return (
                200,
                {
                    "responses": [
                        {"id": "a", "status": 201, "body": {}},
                        {"id": "b", "status": 429, "headers": {"Retry-After": "1.5"}, "body": {}},
                        {"id": "c", "status": 424, "body": {}},
                        {
                            "id": "d",
                            "status": 404,
                            "body": {"error": {"code": "ErrorItemNotFound"}},
                        },
                    ]
                },
            )
        return (200, {"responses": [{"id": i, "status": 200, "body": {}} for i in rounds[-1]]})

    graph, sleeps = client(Script(handler))
    results = graph.batch(
        [BatchRequest(id=i, method="DELETE", url=f"/me/events/{i}") for i in "abcd"]
    )
    assert rounds == [["a", "b", "c", "d"], ["b", "c"]]
    assert sleeps == [1.5]
    assert [r.status for r in results] == [201, 200, 200, 404]
    assert isinstance(results[3].error(), NotFound)


def test_batch_ids_must_be_unique():
    graph, _ = client(Script())
    with pytest.raises(ValueError):
        graph.batch(
            [
                BatchRequest(id="a", method="GET", url="/me"),
                BatchRequest(id="a", method="GET", url="/me"),
            ]
        )


def test_no_more_than_four_requests_are_in_flight():
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()
    sessions = []

    def handler(request):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return (200, {"id": "u"})

    adapter = Script(handler)

    def session():
        made = requests.Session()
        made.mount("https://", adapter)
        sessions.append(made)
        return made

    graph = GraphClient(session, BASE, Tokens())
    threads = [threading.Thread(target=graph.get_me) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 2 <= state["peak"] <= 4
    assert len(sessions) == 12 and len(set(map(id, sessions))) == 12


def test_throttled_batches_go_one_group_at_a_time_and_nothing_is_given_up():
    """A quota of 20 items per wait (Graph's Retry-After): after the first 429 the client sends
    one group at a time, each after the wait, so every write lands and only the first, unpaced
    round is refused."""
    quota = {"tokens": 20, "refills": 0, "refused": 0}
    waits: list[float] = []

    def handler(request):
        if len(waits) > quota["refills"]:
            quota["tokens"], quota["refills"] = 20, len(waits)
        responses, blocked = [], False
        for item in json.loads(request.body)["requests"]:
            if blocked:
                responses.append({"id": item["id"], "status": 424, "body": None})
            elif quota["tokens"]:
                quota["tokens"] -= 1
                responses.append({"id": item["id"], "status": 201, "body": {"id": item["id"]}})
            else:
                blocked = True
                quota["refused"] += 1
                retry = {"Retry-After": "1"}
                responses.append({"id": item["id"], "status": 429, "headers": retry, "body": None})
        return (200, {"responses": responses})

    graph, sleeps = client(Script(handler), max_wait=600.0)
    waits = sleeps  # the quota refills on each of the client's waits
    requests_ = [
        BatchRequest(id=str(n), method="POST", url="/me/events", body={}) for n in range(100)
    ]

    results = graph.batch(requests_)

    assert [result.status for result in results] == [201] * 100
    assert quota["refused"] == 4, "only the groups of the first, unpaced round"


def test_create_subscription_sends_both_urls_the_secret_and_a_utc_expiry():
    answered = {"id": "sub1", "expirationDateTime": "2024-01-07T12:30:00.0000000Z"}
    adapter = Script().reply("POST", "/subscriptions", (201, answered))
    graph, _ = client(adapter)

    answer = graph.create_subscription(
        resource="/me/calendars/c1/events",
        notification_url="https://odoo.test/hook",
        client_state="s3cret",
        expiration=datetime(2024, 1, 7, 12, 30, tzinfo=UTC),
    )

    assert answer == Subscription(id="sub1", expires_at=datetime(2024, 1, 7, 12, 30, tzinfo=UTC))
    assert json.loads(adapter.sent[0].body) == {
        "changeType": "created,updated,deleted",
        "notificationUrl": "https://odoo.test/hook",
        "lifecycleNotificationUrl": "https://odoo.test/hook",
        "resource": "/me/calendars/c1/events",
        "expirationDateTime": "2024-01-07T12:30:00Z",
        "clientState": "s3cret",
    }


def test_create_subscription_is_not_resent_after_a_dropped_connection():
    """Graph may have created it: a blind repeat would leave a second subscription behind."""
    adapter = Script().reply("POST", "/subscriptions", requests.ConnectionError("reset"))
    graph, _ = client(adapter)

    with pytest.raises(TransportError):
        graph.create_subscription(
            resource="/me/events",
            notification_url="https://odoo.test/hook",
            client_state="s",
            expiration=END,
        )
    assert len(adapter.sent) == 1


def test_renew_subscription_patches_only_the_expiry():
    adapter = Script().reply("PATCH", "/subscriptions/sub%201", (200, {"id": "sub 1"}))
    graph, _ = client(adapter)

    graph.renew_subscription("sub 1", datetime(2024, 1, 8, tzinfo=UTC))

    assert json.loads(adapter.sent[0].body) == {"expirationDateTime": "2024-01-08T00:00:00Z"}


def test_delete_subscription_tells_whether_it_was_there():
    adapter = Script().reply(
        "DELETE", "/subscriptions/sub1", (204, None), graph_error(404, "NotFound")
    )
    graph, _ = client(adapter)

    assert graph.delete_subscription("sub1") is True
    assert graph.delete_subscription("sub1") is False


def test_a_naive_expiry_is_refused_before_any_request():
    adapter = Script()
    graph, _ = client(adapter)

    with pytest.raises(ValueError):
        graph.renew_subscription("sub1", datetime(2024, 1, 8))
    assert adapter.sent == []


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7.5"}, 7.5),
        ({"retry-after": "30"}, 30.0),
        ({"Retry-After": "inf"}, 0.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({}, 0.0),
    ],
)
def test_a_throttled_batch_item_reads_retry_after_as_a_direct_call_does(headers, seconds):
    """One parser for Graph's Retry-After: a $batch item's headers are read like a response's
    (any case, fractional seconds; dates and non-finite values ignored)."""
    error = BatchResult(id="1", status=429, headers=headers, body={}).error()
    assert isinstance(error, Throttled)
    assert error.retry_after == seconds
