"""Microsoft's own Python SDK (``msgraph-sdk``, kiota) as a client of the emulator, unchanged.

Runs in its own venv (``.dev/sdk-venv``, from ``requirements-sdk.txt``: the SDK's httpx stack
must not touch Odoo's pinned packages); ``make test`` runs it there. The sign-in goes through
msal and the emulator's authorize page; the SDK then gets that token from a token provider.
Every answer is parsed into the SDK's models, whose parsing is lenient (a value of the wrong type
becomes ``None``, an unknown property lands in ``additional_data``): so the fields that matter
are checked for their values and types, and no property may land in ``additional_data`` unless
Graph itself sends it outside the model (the OData annotations below).
"""

import asyncio
import ssl
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msal
import pytest
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.serialization import Parsable
from msgraph import GraphServiceClient
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.calendar import Calendar
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.event import Event
from msgraph.generated.models.event_type import EventType
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.patterned_recurrence import PatternedRecurrence
from msgraph.generated.models.recurrence_pattern import RecurrencePattern
from msgraph.generated.models.recurrence_pattern_type import RecurrencePatternType
from msgraph.generated.models.recurrence_range import RecurrenceRange
from msgraph.generated.models.recurrence_range_type import RecurrenceRangeType
from msgraph.generated.models.user import User
from msgraph.generated.users.item.calendar_view.delta.delta_request_builder import (
    DeltaRequestBuilder,
)
from msgraph.generated.users.item.events.item.instances.instances_request_builder import (
    InstancesRequestBuilder,
)
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_request_adapter import options as sdk_default_options
from msgraph_core import GraphClientFactory

from graph_emulator.identity import TENANT_ID

SCOPES = ["Calendars.ReadWrite", "User.Read"]
PREFER = 'outlook.timezone="UTC", IdType="ImmutableId"'
# Annotations Graph sends that the SDK's models have no property for: "@odata.context" (every
# single-entity answer of learn.microsoft.com "Get user", "Get event"), "@odata.etag" (every event
# there) and "@removed" (deleted items in "event: delta").
GRAPH_ANNOTATIONS = frozenset({"@odata.context", "@odata.etag", "@removed"})
WINDOW_START = datetime(2026, 3, 1, tzinfo=timezone.utc)
WINDOW_END = datetime(2026, 4, 1, tzinfo=timezone.utc)


class EmulatorToken(AccessTokenProvider):
    """Hands the SDK the access token msal redeemed, for the emulator's host only."""

    def __init__(self, token: str, host: str) -> None:
        self.token = token
        self.hosts = AllowedHostsValidator([host])

    async def get_authorization_token(self, uri, additional_authentication_context=None) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self.hosts


def msal_sign_in(g, mailbox: str) -> str:
    """msal's auth-code flow through the emulator's authorize page; the access token."""
    app = msal.ConfidentialClientApplication(
        g.client_id,
        client_credential=g.client_secret,
        authority=g.authority,
        instance_discovery=False,
        http_cache={},
    )
    flow = app.initiate_auth_code_flow(
        SCOPES, redirect_uri="https://odoo.test/cb", response_mode="form_post"
    )
    redirect = g.sign_in(mailbox, flow["auth_uri"])
    params = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
    result = app.acquire_token_by_auth_code_flow(flow, params)
    assert "access_token" in result, result
    return result["access_token"]


@pytest.fixture
def sdk(g):
    """``(client, run)``: a GraphServiceClient signed in as Alice, and the runner of its calls
    (one event loop for the client's connection pool)."""
    loop = asyncio.new_event_loop()
    trust = ssl.create_default_context(cafile=g.ca_path)
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=trust, timeout=30, http2=True),
        options=sdk_default_options,
    )
    token = EmulatorToken(msal_sign_in(g, "alice@example.com"), urlsplit(g.url).hostname)
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(token), client=http)
    adapter.base_url = g.graph
    client = GraphServiceClient(request_adapter=adapter)
    yield client, loop.run_until_complete
    loop.run_until_complete(http.aclose())
    loop.close()


def unknown_properties(model: Parsable, where: str = "") -> list[str]:
    """Properties of ``model`` (and of the models inside it) that the SDK did not know."""
    found = [
        f"{where}{name}"
        for name in getattr(model, "additional_data", None) or {}
        if name not in GRAPH_ANNOTATIONS
    ]
    for name, value in vars(model).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Parsable):
                found += unknown_properties(item, f"{where}{name}.")
    return found


def utc(value: DateTimeTimeZone) -> datetime:
    assert value.time_zone == "UTC", value
    return datetime.fromisoformat(value.date_time).replace(tzinfo=timezone.utc)


def utc_event(subject: str, start: str, end: str, **fields: Any) -> Event:
    """An event to post, its start and end given in UTC."""
    return Event(
        subject=subject,
        start=DateTimeTimeZone(date_time=start, time_zone="UTC"),
        end=DateTimeTimeZone(date_time=end, time_zone="UTC"),
        **fields,
    )


def prefer_utc() -> RequestConfiguration:
    config = RequestConfiguration()
    config.headers.add("Prefer", PREFER)
    return config


def window(builder_params, **extra) -> RequestConfiguration:
    config = prefer_utc()
    config.query_parameters = builder_params(
        start_date_time=WINDOW_START.isoformat(), end_date_time=WINDOW_END.isoformat(), **extra
    )
    return config


def assert_typed_event(event: Event) -> None:
    """The fields the sync reads came out of the SDK's parser with their types."""
    assert isinstance(event, Event)
    assert isinstance(event.id, str) and event.id
    assert isinstance(event.start, DateTimeTimeZone) and isinstance(event.end, DateTimeTimeZone)
    assert isinstance(event.is_all_day, bool)
    assert isinstance(event.type, EventType)
    assert isinstance(event.created_date_time, datetime)
    assert isinstance(event.last_modified_date_time, datetime)
    assert isinstance(event.change_key, str) and event.change_key
    assert isinstance(event.i_cal_u_id, str) and event.i_cal_u_id
    assert unknown_properties(event) == []


def test_sdk_reads_the_user_and_calendars(g, sdk):
    client, run = sdk
    me = run(client.me.get())
    assert isinstance(me, User)
    assert me.mail == me.user_principal_name == "alice@example.com"
    assert unknown_properties(me) == []
    default = run(client.me.calendar.get())
    calendars = run(client.me.calendars.get()).value
    assert [type(c) for c in calendars] == [Calendar] * len(calendars)
    assert default.id in {c.id for c in calendars}
    assert default.can_edit is True and default.is_default_calendar is True
    assert default.owner.address == "alice@example.com"
    assert all(unknown_properties(c) == [] for c in [default, *calendars])


def test_sdk_creates_with_transaction_id_patches_and_reads_back(g, sdk):
    client, run = sdk
    transaction = str(uuid.uuid4())
    created = run(
        client.me.events.post(
            utc_event(
                "Planning",
                "2026-03-03T10:00:00",
                "2026-03-03T11:00:00",
                body=ItemBody(content_type=BodyType.Text, content="Agenda"),
                transaction_id=transaction,
            ),
            prefer_utc(),
        )
    )
    assert_typed_event(created)
    assert created.transaction_id == transaction
    assert created.type == EventType.SingleInstance
    assert utc(created.start) == datetime(2026, 3, 3, 10, tzinfo=timezone.utc)
    assert created.body.content_type == BodyType.Html and "Agenda" in created.body.content

    again = run(
        client.me.events.post(
            utc_event(
                "Planning",
                "2026-03-03T10:00:00",
                "2026-03-03T11:00:00",
                transaction_id=transaction,
            ),
            prefer_utc(),
        )
    )
    assert again.id == created.id
    assert len(g.events("alice@example.com")) == 1

    patched = run(
        client.me.events.by_event_id(created.id).patch(
            Event(subject="Planning, moved"), prefer_utc()
        )
    )
    assert_typed_event(patched)
    assert patched.subject == "Planning, moved"
    assert patched.change_key != created.change_key
    read = run(client.me.events.by_event_id(created.id).get(prefer_utc()))
    assert_typed_event(read)
    assert read.subject == "Planning, moved"
    assert read.last_modified_date_time >= created.last_modified_date_time


def test_sdk_reads_a_series_and_its_instances(g, sdk):
    client, run = sdk
    master = run(
        client.me.events.post(
            utc_event(
                "Stand-up",
                "2026-03-02T09:00:00",
                "2026-03-02T09:15:00",
                recurrence=PatternedRecurrence(
                    pattern=RecurrencePattern(type=RecurrencePatternType.Daily, interval=1),
                    range=RecurrenceRange(
                        type=RecurrenceRangeType.Numbered,
                        start_date=date(2026, 3, 2),
                        number_of_occurrences=12,
                    ),
                ),
            ),
            prefer_utc(),
        )
    )
    assert_typed_event(master)
    assert master.type == EventType.SeriesMaster
    assert master.recurrence.pattern.type == RecurrencePatternType.Daily
    assert master.recurrence.range.type == RecurrenceRangeType.Numbered
    assert master.recurrence.range.start_date == date(2026, 3, 2)
    assert master.recurrence.range.number_of_occurrences == 12

    instances = client.me.events.by_event_id(master.id).instances
    page = run(
        instances.get(window(InstancesRequestBuilder.InstancesRequestBuilderGetQueryParameters))
    )
    occurrences = list(page.value)
    while page.odata_next_link:
        page = run(instances.with_url(page.odata_next_link).get(prefer_utc()))
        occurrences += page.value
    assert len(occurrences) == 12
    for day, occurrence in enumerate(occurrences):
        assert_typed_event(occurrence)
        assert occurrence.type == EventType.Occurrence
        assert occurrence.series_master_id == master.id
        assert isinstance(occurrence.original_start, datetime)
        assert occurrence.original_start == datetime(2026, 3, 2 + day, 9, tzinfo=timezone.utc)
        assert utc(occurrence.start) == occurrence.original_start


def test_sdk_pages_calendar_view_delta_to_its_delta_link_and_sees_a_delete(g, sdk):
    client, run = sdk
    ids = [
        g.create_event(
            "alice@example.com",
            {
                "subject": f"Review {n}",
                "start": {"dateTime": f"2026-03-{n + 3:02d}T14:00:00", "timeZone": "UTC"},
                "end": {"dateTime": f"2026-03-{n + 3:02d}T15:00:00", "timeZone": "UTC"},
            },
        )["id"]
        for n in range(5)
    ]
    config = window(DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters)
    config.headers.add("Prefer", "odata.maxpagesize=2")

    def delta_round(first):
        page, pages, items = first, 1, list(first.value)
        while page.odata_next_link:
            assert page.odata_delta_link is None
            page = run(client.me.calendar_view.delta.with_url(page.odata_next_link).get(config))
            pages, items = pages + 1, items + page.value
        assert isinstance(page.odata_delta_link, str) and "$deltatoken=" in page.odata_delta_link
        return items, pages, page.odata_delta_link

    seen, pages, delta_link = delta_round(run(client.me.calendar_view.delta.get(config)))
    assert pages == 3
    assert sorted(e.id for e in seen) == sorted(ids)
    for event in seen:
        assert_typed_event(event)
        assert event.subject.startswith("Review ")
        assert utc(event.end) - utc(event.start) == timedelta(hours=1)

    run(client.me.events.by_event_id(ids[0]).delete())
    changed, _, _ = delta_round(run(client.me.calendar_view.delta.with_url(delta_link).get(config)))
    assert [e.id for e in changed] == [ids[0]]
    assert changed[0].additional_data["@removed"] == {"reason": "deleted"}
    assert unknown_properties(changed[0]) == []


def test_sdk_reads_and_writes_a_users_calendar_with_an_app_only_token(g):
    """The organization-wide connection: msal's client-credentials grant, then the SDK's
    ``users.by_user_id(...)`` routes; ``/me`` is refused without a signed-in user."""
    g.grant_admin_consent(TENANT_ID, g.client_id)
    app = msal.ConfidentialClientApplication(
        g.client_id,
        client_credential=g.client_secret,
        authority=f"{g.url}/{TENANT_ID}",
        instance_discovery=False,
        http_cache={},
    )
    result = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    loop = asyncio.new_event_loop()
    trust = ssl.create_default_context(cafile=g.ca_path)
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=trust, timeout=30), options=sdk_default_options
    )
    token = EmulatorToken(result["access_token"], urlsplit(g.url).hostname)
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(token), client=http)
    adapter.base_url = g.graph
    client = GraphServiceClient(request_adapter=adapter)
    try:
        alice_id = g.mailboxes()[0]["id"]
        user = loop.run_until_complete(client.users.by_user_id(alice_id).get())
        assert user.user_principal_name == "alice@example.com"
        calendar = loop.run_until_complete(client.users.by_user_id(alice_id).calendar.get())
        assert calendar.is_default_calendar is True
        created = loop.run_until_complete(
            client.users.by_user_id(alice_id).events.post(
                utc_event("Org-wide", "2026-03-03T10:00:00", "2026-03-03T11:00:00"), prefer_utc()
            )
        )
        assert_typed_event(created)
        read = loop.run_until_complete(
            client.users.by_user_id(alice_id).events.by_event_id(created.id).get(prefer_utc())
        )
        assert read.subject == "Org-wide"
        with pytest.raises(Exception) as refused:
            loop.run_until_complete(client.me.get())
        assert getattr(refused.value, "response_status_code", None) == 400
    finally:
        loop.run_until_complete(http.aclose())
        loop.close()
