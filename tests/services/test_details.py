"""What Odoo holds of Graph's values, and what the sync keeps for it."""

from datetime import UTC, datetime, timedelta

import pytest

from services.details import (
    ODOO_TO_PRESET,
    PRESET_TO_ODOO,
    ReminderMode,
    held_by_odoo,
    odoo_privacy,
    odoo_show_as,
    sent_to_outlook,
)
from services.values import EventValues

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def timed(**changes):
    return EventValues(name="x", start=START, stop=START + timedelta(hours=1), **changes)


@pytest.mark.parametrize(
    ("graph", "odoo"),
    [
        ("free", "free"),
        ("tentative", "busy"),
        ("busy", "busy"),
        ("oof", "busy"),
        ("workingElsewhere", "busy"),
        ("unknown", "busy"),
    ],
)
def test_odoo_holds_free_or_busy(graph, odoo):
    assert odoo_show_as(graph) == odoo


def test_odoo_holds_personal_as_private():
    assert [odoo_privacy(p) for p in ("public", "personal", "private", "confidential")] == [
        "public",
        "private",
        "private",
        "confidential",
    ]


def test_outlook_values_come_back_where_odoo_holds_their_approximation():
    remote = timed(show_as="oof", privacy="personal", importance="high", reminder_minutes=30)
    local = timed(show_as="busy", privacy="private", reminder_minutes=None)

    held = held_by_odoo(local, remote, organizer=True, reminders=ReminderMode.OUTLOOK)

    assert (held.show_as, held.privacy, held.importance) == ("oof", "personal", "high")
    assert held.reminder_minutes == 30, "Outlook reminds: Odoo's alarms are not the reminder"


def test_a_real_odoo_change_is_kept():
    remote = timed(show_as="oof", privacy="personal")
    local = timed(show_as="free", privacy="confidential")

    held = held_by_odoo(local, remote, organizer=True, reminders=ReminderMode.BOTH)

    assert (held.show_as, held.privacy) == ("free", "confidential")


@pytest.mark.parametrize("mode", [ReminderMode.ODOO, ReminderMode.BOTH])
def test_odoo_holds_the_organizers_reminder_when_it_reminds(mode):
    held = held_by_odoo(
        timed(reminder_minutes=10), timed(reminder_minutes=30), organizer=True, reminders=mode
    )
    assert held.reminder_minutes == 10


def test_an_attendees_reminder_and_categories_stay_in_their_outlook():
    remote = timed(reminder_minutes=30, categories=("Mine",))
    local = timed(reminder_minutes=10, categories=("Organizer's",))

    held = held_by_odoo(local, remote, organizer=False, reminders=ReminderMode.BOTH)

    assert (held.reminder_minutes, held.categories) == (30, ("Mine",))


def test_new_odoo_event_sends_no_reminder_unless_odoo_shares_it():
    local = timed(reminder_minutes=10)
    assert held_by_odoo(local, None, organizer=True, reminders=ReminderMode.OUTLOOK) == timed()
    assert held_by_odoo(local, None, organizer=True, reminders=ReminderMode.BOTH) == local
    assert sent_to_outlook(local, ReminderMode.ODOO).reminder_minutes is None
    assert sent_to_outlook(local, ReminderMode.BOTH) == local


def test_every_odoo_colour_has_a_preset_that_comes_back_to_it():
    assert set(ODOO_TO_PRESET) == set(range(12))
    assert all(PRESET_TO_ODOO[preset] == index for index, preset in ODOO_TO_PRESET.items())
    assert set(PRESET_TO_ODOO) == {"none", *(f"preset{n}" for n in range(25))}
