"""EventValues: normalisation, validation, snapshots and diffs."""

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.errors import SnapshotError
from services.values import Attendee, EventValues, SyncBase, changed_fields

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def timed(**changes):
    return EventValues(name="x", start=START, stop=START + timedelta(hours=1), **changes)


def test_datetimes_are_stored_in_utc_whole_seconds():
    paris = timezone(timedelta(hours=2))
    values = EventValues(
        start=datetime(2024, 5, 1, 11, 0, 0, 999, tzinfo=paris),
        stop=datetime(2024, 5, 1, 12, 0, tzinfo=paris),
    )
    assert values.start == START and values.start.tzinfo is UTC


def test_attendees_are_sorted_and_emails_lowercased():
    values = timed(attendees=(Attendee(email="Zed@X.org"), Attendee(email=" amy@x.org ")))
    assert [a.email for a in values.attendees] == ["amy@x.org", "zed@x.org"]


@pytest.mark.parametrize(
    "bad",
    [
        {"start": START, "stop": None},
        {"start": START.replace(tzinfo=None), "stop": START.replace(tzinfo=None)},
        {"start": START, "stop": START - timedelta(minutes=1)},
        {"allday": True, "start_date": date(2024, 5, 2), "stop_date": date(2024, 5, 1)},
        {
            "allday": True,
            "start": START,
            "stop": START,
            "start_date": date(2024, 5, 1),
            "stop_date": date(2024, 5, 1),
        },
        {"start": START, "stop": START, "show_as": "away"},
        {"start": START, "stop": START, "privacy": "secret"},
        {"start": START, "stop": START, "importance": "urgent"},
        {"start": START, "stop": START, "reminder_minutes": -5},
        {
            "start": START,
            "stop": START,
            "attendees": (Attendee(email="a@x.org"), Attendee(email="A@x.org")),
        },
    ],
)
def test_inconsistent_values_are_refused(bad):
    with pytest.raises(ValueError):
        EventValues(**bad)


def test_attendee_without_email_is_refused():
    with pytest.raises(ValueError):
        Attendee(email="  ")


@pytest.mark.parametrize(
    "values",
    [
        timed(
            description_html="<p>é</p>",
            reminder_minutes=0,
            privacy="confidential",
            attendees=(Attendee(email="a@x.org", name="A", response="tentative"),),
            organizer_email="me@x.org",
            timezone="Europe/Paris",
            show_as="oof",
            importance="high",
            categories=("Travel", "budget"),
            online_meeting=True,
        ),
        EventValues(allday=True, start_date=date(2024, 5, 1), stop_date=date(2024, 5, 3)),
    ],
)
def test_snapshot_round_trips(values):
    stored = json.loads(json.dumps(values.snapshot()))
    assert EventValues.from_snapshot(stored) == values


def test_snapshot_of_unknown_version_is_refused():
    data = timed().snapshot() | {"v": 99}
    with pytest.raises(SnapshotError):
        EventValues.from_snapshot(data)


def test_snapshot_with_missing_field_is_refused():
    data = timed().snapshot()
    del data["name"]
    with pytest.raises(SnapshotError):
        EventValues.from_snapshot(data)


def old_snapshot(values):
    """What a link stored before importance, categories and online meetings were synced."""
    data = values.snapshot()
    for name in ("importance", "categories", "online_meeting"):
        del data[name]
    return data


def test_old_snapshot_reads_new_fields_as_unchanged():
    now_local = timed(categories=("Travel",))
    now_remote = timed(importance="high", categories=("Travel",), online_meeting=True)
    stored = {"v": 1, "local": old_snapshot(timed().replace(name="before"))}

    base = SyncBase.from_snapshot(stored, local=now_local, remote=now_remote)

    assert base.local.name == base.remote.name == "before"
    assert changed_fields(base.local, now_local) == {"name"}
    assert changed_fields(base.remote, now_remote) == {"name"}


def test_old_snapshot_without_current_values_reads_defaults():
    base = SyncBase.from_snapshot({"v": 1, "local": old_snapshot(timed())})
    assert base.local == base.remote == timed()


def test_categories_are_unique_and_sorted_ignoring_case():
    assert timed(categories=("b", " A ", "a", "")).categories == ("a", "b")


def test_base_stores_remote_side_only_when_it_differs():
    local, remote = timed(), timed(description_html="<html>x</html>")
    assert "remote" not in SyncBase(local=local, remote=local).snapshot()
    base = SyncBase(local=local, remote=remote)
    assert SyncBase.from_snapshot(base.snapshot()) == base


def test_changed_fields_names_each_differing_field():
    assert changed_fields(timed(), timed(location="R").replace(name="y")) == {"name", "location"}
    assert changed_fields(timed(), timed()) == frozenset()
