"""The first-sync preview's counts: what a dry run would create and update on each side, and
how many messages Exchange would send for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.preview import dry_run_counts, emailed, preview_key
from services.reconcile import (
    CreateLocal,
    CreateRemote,
    ItemKey,
    ItemPlan,
    Plan,
    RespondRemote,
    UpdateLocal,
    UpdateRemote,
)
from services.values import Attendee, EventValues

MEETING = EventValues(
    name="Review",
    start=datetime(2024, 3, 30, 9, 0, tzinfo=UTC),
    stop=datetime(2024, 3, 30, 10, 0, tzinfo=UTC),
    organizer_email="alice@example.org",
    attendees=(Attendee(email="bob@example.org"), Attendee(email="carol@example.org")),
)
KEY = ItemKey(event="1")


@dataclass(frozen=True)
class DryRun:
    plan: Plan
    series_to_odoo: tuple = ()
    series_to_outlook: tuple = ()


def test_preview_keys_tell_the_attendee_choice_apart():
    assert preview_key("two_way", False) == "two_way"
    assert preview_key("two_way", True) == "two_way+attendees"


def test_a_created_meeting_invites_each_attendee():
    assert emailed(CreateRemote(key=KEY, values=MEETING)) == 2


def test_only_a_change_of_time_place_or_attendees_mails_an_update():
    assert emailed(UpdateRemote(key=KEY, fields=frozenset({"start"}), values=MEETING)) == 2
    assert emailed(UpdateRemote(key=KEY, fields=frozenset({"description"}), values=MEETING)) == 0


def test_a_reply_mails_the_organizer():
    assert emailed(RespondRemote(key=KEY, response="accepted")) == 1


def test_counts_add_the_series_as_one_event_each():
    actions = (
        CreateRemote(key=KEY, values=MEETING),
        CreateLocal(key=KEY, values=MEETING),
        UpdateLocal(key=KEY, fields=frozenset({"name"}), values=MEETING),
    )
    dry_run = DryRun(
        plan=Plan(items=(ItemPlan(key=KEY, actions=actions, base=None),)),
        series_to_odoo=(MEETING,),
        series_to_outlook=(MEETING,),
    )
    assert dry_run_counts(dry_run) == {
        "to_odoo": 2,
        "to_outlook": 2,
        "invited": 4,
        "odoo_updated": 1,
        "outlook_updated": 0,
    }
