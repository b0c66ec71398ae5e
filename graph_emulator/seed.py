"""Starting states: ``empty`` (alice and bob, no events) and ``demo`` (a realistic current week)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .store import Store
from .timezones import zone

SEEDS = ("empty", "demo")
MAILBOXES = (("alice@example.com", "Alice Martin"), ("bob@example.com", "Bob Jones"))


def _at(day: datetime, hour: int, minute: int = 0) -> dict[str, str]:
    return {
        "dateTime": day.replace(hour=hour, minute=minute).strftime("%Y-%m-%dT%H:%M:%S"),
        "timeZone": "Romance Standard Time",
    }


def _person(address: str, name: str) -> dict[str, Any]:
    return {"emailAddress": {"address": address, "name": name}, "type": "required"}


def apply_seed(store: Store, seed: str) -> None:
    """Fill an empty store; the demo week is relative to the store clock's today."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; expected one of {SEEDS}")
    for address, name in MAILBOXES:
        store.add_mailbox(address, name)
    if seed == "demo":
        _demo(store)
    for box in store.mailboxes.values():
        box.sent.clear()


def _demo(store: Store) -> None:
    alice, bob = store.mailbox("alice@example.com"), store.mailbox("bob@example.com")
    monday = (
        store.clock()
        .astimezone(zone("Europe/Paris"))
        .replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    )
    monday -= timedelta(days=monday.weekday())
    start_series = monday - timedelta(days=14)
    standup, _ = store.create_event(
        alice,
        None,
        {
            "subject": "Team stand-up",
            "body": {"contentType": "text", "content": "Yesterday, today, blockers."},
            "start": _at(start_series, 9, 30),
            "end": _at(start_series, 9, 45),
            "location": {"displayName": "Room Lovelace"},
            "attendees": [_person(bob.address, bob.display_name)],
            "recurrence": {
                "pattern": {
                    "type": "weekly",
                    "interval": 1,
                    "daysOfWeek": ["monday", "wednesday", "friday"],
                    "firstDayOfWeek": "monday",
                },
                "range": {
                    "type": "noEnd",
                    "startDate": start_series.date().isoformat(),
                    "recurrenceTimeZone": "Romance Standard Time",
                },
            },
            "isOnlineMeeting": True,
        },
    )
    wednesday = monday + timedelta(days=2)
    store.update_event(
        alice,
        f"{standup.id}_{wednesday:%Y%m%d}",
        {"start": _at(wednesday, 11), "end": _at(wednesday, 11, 15)},
    )
    thursday = monday + timedelta(days=3)
    store.create_event(
        alice,
        None,
        {
            "subject": "Company offsite",
            "isAllDay": True,
            "showAs": "oof",
            "start": {
                "dateTime": thursday.strftime("%Y-%m-%d"),
                "timeZone": "Romance Standard Time",
            },
            "end": {
                "dateTime": (thursday + timedelta(days=1)).strftime("%Y-%m-%d"),
                "timeZone": "Romance Standard Time",
            },
            "categories": ["Company"],
        },
    )
    tuesday = monday + timedelta(days=1)
    store.create_event(
        alice,
        None,
        {
            "subject": "Roadmap review with New York",
            "body": {
                "contentType": "html",
                "content": "<p>Q3 roadmap, <b>decisions needed</b>.</p>",
            },
            "start": {
                "dateTime": tuesday.replace(hour=10).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "Eastern Standard Time",
            },
            "end": {
                "dateTime": tuesday.replace(hour=11).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "Eastern Standard Time",
            },
            "location": {"displayName": "Teams"},
            "isOnlineMeeting": True,
            "attendees": [
                _person(bob.address, bob.display_name),
                _person("carol@contoso.com", "Carol Diaz"),
            ],
        },
    )
    store.create_event(
        alice,
        None,
        {
            "subject": "Dentist",
            "sensitivity": "private",
            "showAs": "oof",
            "start": _at(tuesday, 17),
            "end": _at(tuesday, 18),
            "location": {"displayName": "Dr. Weber, Rue Oberkampf"},
            "isReminderOn": True,
            "reminderMinutesBeforeStart": 60,
        },
    )
    friday = monday + timedelta(days=4)
    store.create_event(
        bob,
        None,
        {
            "subject": "Focus time",
            "showAs": "busy",
            "start": _at(friday, 14),
            "end": _at(friday, 16),
        },
    )
