"""What Odoo can hold of an event's values, and how the rest survives a round trip.

Graph speaks five ``showAs`` values, four sensitivities and three importances; Odoo's
``calendar.event`` holds ``free``/``busy``, ``public``/``private``/``confidential`` and no
importance. The Odoo shell reads what Odoo holds; ``held_by_odoo`` then puts back, for each
value Odoo cannot hold, Outlook's exact value whenever Odoo still holds what that value becomes
in Odoo. So ``oof`` read as ``busy`` in Odoo stays ``oof``: an Odoo edit of another field never
flattens it, and only a real change in Odoo (``busy`` -> ``free``) reaches Outlook.

The same rule keeps what the syncing user's Outlook holds for itself when Odoo's field is not
theirs alone: an attendee's reminder and categories (Odoo's alarms and tags belong to the
event, shared by every attendee), and the reminder when Outlook alone reminds
(``ReminderMode.OUTLOOK``).

Category colours: Odoo's tag colour is an index into the web client's 12 colours, Outlook's a
``preset0``..``preset24`` (or ``none``). ``ODOO_TO_PRESET`` gives each Odoo colour its Outlook
preset; ``PRESET_TO_ODOO`` gives each preset the nearest Odoo colour. Colours are copied when a
tag or category is created on the other side, never overwritten afterwards.
"""

from __future__ import annotations

import dataclasses
from enum import Enum

from .values import EventValues

ODOO_TO_PRESET: dict[int, str] = {
    0: "none",
    1: "preset0",  # red
    2: "preset1",  # orange
    3: "preset3",  # yellow
    4: "preset10",  # cyan: steel
    5: "preset8",  # purple
    6: "preset2",  # almond: brown
    7: "preset5",  # teal
    8: "preset7",  # blue
    9: "preset9",  # raspberry: cranberry
    10: "preset4",  # green
    11: "preset23",  # violet: dark purple
}
PRESET_TO_ODOO: dict[str, int] = {
    **{preset: index for index, preset in ODOO_TO_PRESET.items()},
    "preset6": 10,  # olive
    "preset11": 8,  # dark steel
    "preset12": 0,  # gray
    "preset13": 0,  # dark gray
    "preset14": 0,  # black
    "preset15": 1,  # dark red
    "preset16": 2,  # dark orange
    "preset17": 6,  # dark brown
    "preset18": 3,  # dark yellow
    "preset19": 10,  # dark green
    "preset20": 7,  # dark teal
    "preset21": 10,  # dark olive
    "preset22": 8,  # dark blue
    "preset24": 9,  # dark cranberry
}


class ReminderMode(str, Enum):
    """Who reminds the user of a synced event (per account)."""

    OUTLOOK = "outlook"
    """Outlook reminds: its reminder adds no Odoo alarm, Odoo's alarms stay in Odoo."""
    ODOO = "odoo"
    """Odoo reminds: Outlook's reminder becomes the user's Odoo alarm; Odoo sends no reminder
    to Outlook."""
    BOTH = "both"
    """The reminder is the same on both sides, synced both ways."""


def odoo_show_as(show_as: str) -> str:
    """The ``show_as`` Odoo holds for Graph's value: a tentative hold, an absence or working
    elsewhere still block the slot, which is what Odoo's ``busy`` means."""
    return "free" if show_as == "free" else "busy"


def odoo_privacy(privacy: str) -> str:
    """The privacy Odoo holds: ``personal`` is a private event to Odoo."""
    return "private" if privacy == "personal" else privacy


def held_by_odoo(
    local: EventValues,
    remote: EventValues | None,
    *,
    organizer: bool,
    reminders: ReminderMode,
) -> EventValues:
    """``local`` (read from Odoo) with what Odoo cannot hold taken from ``remote`` (Outlook's
    values now, or as last synced when Outlook's copy is gone; ``None`` for an event not in
    Outlook yet). ``organizer``: the syncing user organizes the event (Odoo's tags and alarms
    are theirs)."""
    if remote is None:
        if reminders is ReminderMode.OUTLOOK:
            return local.replace(reminder_minutes=None)
        return local
    kinds = {attendee.email: attendee.kind for attendee in remote.attendees}
    changes = {
        "importance": remote.importance,
        "attendees": tuple(
            dataclasses.replace(attendee, kind=kinds.get(attendee.email, "required"))
            for attendee in local.attendees
        ),
    }
    if odoo_show_as(remote.show_as) == local.show_as:
        changes["show_as"] = remote.show_as
    if odoo_privacy(remote.privacy) == local.privacy:
        changes["privacy"] = remote.privacy
    if reminders is ReminderMode.OUTLOOK or not organizer:
        changes["reminder_minutes"] = remote.reminder_minutes
    if not organizer:
        changes["categories"] = remote.categories
    return local.replace(**changes)


def declined_by_owner(values: EventValues, owner_email: str, *, organizer: bool) -> bool:
    """Whether the mailbox owner declined this meeting (one they attend, not organize)."""
    owner = owner_email.strip().lower()
    return not organizer and any(
        attendee.email == owner and attendee.response == "declined" for attendee in values.attendees
    )


def sent_to_outlook(values: EventValues, reminders: ReminderMode) -> EventValues:
    """What a write to Outlook carries: no reminder when Odoo alone reminds."""
    if reminders is ReminderMode.ODOO:
        return values.replace(reminder_minutes=None)
    return values
