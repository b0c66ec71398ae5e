"""Event shape against the v1.0 CSDL, the control API, the HTML page, state file and CLI."""

import json
import subprocess
import sys
from pathlib import Path

import requests
from emulator_support import REPO_ROOT, event_body

from graph_emulator import GraphEmulator

# CSDL EntityType event + its base outlookItem/entity (msgraph-metadata schemas/v1.0-Prod.csdl,
# as summarised in ../shared/reference/graph_api.md section 1.4).
CSDL_EVENT = {
    "id",
    "categories",
    "changeKey",
    "createdDateTime",
    "lastModifiedDateTime",
    "allowNewTimeProposals",
    "attendees",
    "body",
    "bodyPreview",
    "cancelledOccurrences",
    "end",
    "hasAttachments",
    "hideAttendees",
    "iCalUId",
    "importance",
    "isAllDay",
    "isCancelled",
    "isDraft",
    "isOnlineMeeting",
    "isOrganizer",
    "isReminderOn",
    "location",
    "locations",
    "onlineMeeting",
    "onlineMeetingProvider",
    "onlineMeetingUrl",
    "organizer",
    "originalEndTimeZone",
    "originalStart",
    "originalStartTimeZone",
    "recurrence",
    "reminderMinutesBeforeStart",
    "responseRequested",
    "responseStatus",
    "sensitivity",
    "seriesMasterId",
    "showAs",
    "start",
    "subject",
    "transactionId",
    "type",
    "webLink",
    "attachments",
    "calendar",
    "exceptionOccurrences",
    "extensions",
    "instances",
    "multiValueExtendedProperties",
    "singleValueExtendedProperties",
}
ENUMS = {
    "showAs": {"free", "tentative", "busy", "oof", "workingElsewhere", "unknown"},
    "sensitivity": {"normal", "personal", "private", "confidential"},
    "importance": {"low", "normal", "high"},
    "type": {"singleInstance", "occurrence", "exception", "seriesMaster"},
}
RESPONSES = {"none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded"}


def test_event_json_only_uses_csdl_properties_and_enum_values(g, alice):
    g.seed = "demo"
    try:
        _check_demo_rows(g)
    finally:
        g.seed = "empty"


def _check_demo_rows(g):
    g.reset()
    rows = g.calendar_view(
        "alice@example.com", g.store.week_start(), g.store.week_start().replace(year=2100)
    )
    rows += g.events("alice@example.com") + g.events("bob@example.com")
    assert {r["type"] for r in rows} == ENUMS["type"]
    for row in rows:
        assert set(row) - {"@odata.etag"} <= CSDL_EVENT, set(row) - CSDL_EVENT
        for name, allowed in ENUMS.items():
            assert row[name] in allowed
        assert row["responseStatus"]["response"] in RESPONSES
        assert all(
            a["status"]["response"] in RESPONSES
            and a["type"] in {"required", "optional", "resource"}
            for a in row["attendees"]
        )
        assert set(row["start"]) == {"dateTime", "timeZone"} and row["body"]["contentType"] in {
            "text",
            "html",
        }
    g.seed = "empty"


def test_demo_seed_has_the_promised_week(g):
    g.seed = "demo"
    g.reset()
    subjects = {e["subject"]: e for e in g.events("alice@example.com")}
    assert (
        subjects["Team stand-up"]["type"] == "seriesMaster"
        and subjects["Company offsite"]["isAllDay"]
    )
    assert subjects["Dentist"]["sensitivity"] == "private"
    assert (
        subjects["Roadmap review with New York"]["originalStartTimeZone"] == "Eastern Standard Time"
    )
    rows = g.calendar_view(
        "alice@example.com",
        g.store.week_start(),
        g.store.week_start().replace(day=1).replace(year=2100),
    )
    assert any(r["type"] == "exception" for r in rows)
    assert any(e["subject"] == "Team stand-up" for e in g.events("bob@example.com"))
    assert g.sent_mail() == []
    g.seed = "empty"


def test_control_api_over_http_mirrors_python_api(g):
    base = f"{g.url}/_emulator"
    assert (
        requests.post(
            f"{base}/mailboxes", json={"address": "carol@example.com", "display_name": "Carol"}
        ).status_code
        == 201
    )
    created = requests.post(f"{base}/mailboxes/carol@example.com/events", json=event_body()).json()
    assert (
        requests.get(f"{base}/mailboxes/carol@example.com/events").json()["value"][0]["id"]
        == created["id"]
    )
    assert (
        requests.post(f"{base}/faults", json={"kind": "status", "status": 500}).status_code == 201
    )
    assert len(requests.get(f"{base}/faults").json()["pending"]) == 1
    assert requests.get(f"{g.http_url}/_emulator/counters").json()["total"] == 0
    assert requests.post(f"{base}/reset").json() == {"ok": True}
    assert [m["address"] for m in requests.get(f"{base}/mailboxes").json()["value"]] == [
        "alice@example.com",
        "bob@example.com",
    ]
    assert requests.post(f"{base}/faults", json={"kind": "bogus"}).status_code == 400


def test_overview_page_lists_events_and_sent_mail_over_http(g, alice):
    alice.post(
        f"{g.graph}/me/events",
        json=event_body(
            subject="Visible <b>", attendees=[{"emailAddress": {"address": "bob@example.com"}}]
        ),
    )
    page = requests.get(f"{g.http_url}/")
    assert (
        page.status_code == 200 and "Visible &lt;b&gt;" in page.text and "invitation" in page.text
    )
    assert requests.get(f"{g.http_url}/v1.0/me").status_code == 404


def test_state_file_round_trips_events_and_refresh_tokens(tmp_path, monkeypatch):
    state = tmp_path / "state.json"
    with GraphEmulator(state_file=state) as first:
        first.create_event("alice@example.com", event_body(subject="Persisted", transactionId="x"))
        refresh = first.identity.refresh_tokens
    assert json.loads(state.read_text())["mailboxes"]
    with GraphEmulator(state_file=state) as second:
        assert [e["subject"] for e in second.events("alice@example.com")] == ["Persisted"]
        assert second.identity.refresh_tokens.keys() == refresh.keys()


def test_cli_prints_json_first_line_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph_emulator", "--seed", "demo"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(proc.stdout.readline())
        assert set(info) == {
            "url",
            "http_url",
            "authority",
            "graph",
            "ca",
            "bundle",
            "client_id",
            "client_secret",
            "mailboxes",
        }
        assert info["url"].startswith("https://127.0.0.1:") and Path(info["bundle"]).is_file()
        assert (
            requests.get(
                f"{info['authority']}/v2.0/.well-known/openid-configuration", verify=info["ca"]
            ).status_code
            == 200
        )
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
