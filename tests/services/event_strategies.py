"""Hypothesis strategies and a tiny two-sided world for planner properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from services.values import WHEN_FIELDS, Attendee, EventValues

ORGANIZER = "me@example.org"
POOL = ("ann@example.org", "bob@example.org", "cat@example.org")
BASE_TIME = datetime(2024, 3, 30, 22, 0, tzinfo=UTC)


@st.composite
def when(draw: st.DrawFn) -> dict:
    """A consistent group of WHEN_FIELDS."""
    zone = draw(st.sampled_from(["UTC", "Europe/Paris", "America/New_York"]))
    if draw(st.booleans()):
        first = date(2024, 3, 30) + timedelta(days=draw(st.integers(0, 3)))
        return {
            "allday": True,
            "start": None,
            "stop": None,
            "start_date": first,
            "stop_date": first + timedelta(days=draw(st.integers(0, 2))),
            "timezone": zone,
        }
    start = BASE_TIME + timedelta(minutes=30 * draw(st.integers(0, 8)))
    return {
        "allday": False,
        "start": start,
        "stop": start + timedelta(minutes=30 * draw(st.integers(0, 4))),
        "start_date": None,
        "stop_date": None,
        "timezone": zone,
    }


def attendees() -> st.SearchStrategy[tuple[Attendee, ...]]:
    return st.lists(
        st.builds(
            Attendee,
            email=st.sampled_from(POOL),
            name=st.sampled_from(["", "N"]),
            response=st.sampled_from(["needsAction", "tentative", "declined", "accepted"]),
        ),
        unique_by=lambda a: a.email,
        max_size=3,
    ).map(tuple)


FIELD_STRATEGIES = {
    "name": st.sampled_from(["a", "b", "c"]),
    "description_html": st.sampled_from(["", "<p>x</p>", "<p>y</p>"]),
    "location": st.sampled_from(["", "Room 1", "Room 2"]),
    "videocall_url": st.sampled_from(["", "https://meet/1"]),
    "show_as": st.sampled_from(["free", "tentative", "busy", "oof", "workingElsewhere"]),
    "privacy": st.sampled_from(["public", "personal", "private", "confidential"]),
    "importance": st.sampled_from(["low", "normal", "high"]),
    "categories": st.sampled_from([(), ("Red",), ("Red", "Travel")]),
    "reminder_minutes": st.sampled_from([None, 0, 15]),
    "attendees": attendees(),
}


@st.composite
def event_values(draw: st.DrawFn) -> EventValues:
    fields = {name: draw(strategy) for name, strategy in FIELD_STRATEGIES.items()}
    return EventValues(**fields, **draw(when()), organizer_email=ORGANIZER)


@st.composite
def edited(draw: st.DrawFn, values: EventValues) -> EventValues:
    """``values`` with a random subset of units redrawn."""
    units = draw(st.sets(st.sampled_from(["when", *FIELD_STRATEGIES])))
    changes: dict = {}
    for unit in units:
        if unit == "when":
            changes.update(draw(when()))
        else:
            changes[unit] = draw(FIELD_STRATEGIES[unit])
    return values.replace(**changes)


UNITS = ("when", *FIELD_STRATEGIES)


def unit_value(values: EventValues, unit: str):
    if unit == "when":
        return tuple(getattr(values, name) for name in WHEN_FIELDS)
    return getattr(values, unit)
