"""The planner: scenarios of DESIGN §3, and its properties under random edits (hypothesis)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from event_strategies import ORGANIZER, UNITS, edited, event_values, unit_value
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.pairing import meeting_key
from services.reconcile import (
    BUSY_HIDDEN_FIELDS,
    ArchiveLocal,
    CreateLocal,
    CreateRemote,
    DeclineRemote,
    DeleteRemote,
    ItemKey,
    Plan,
    Policy,
    PrivateEvents,
    PushScope,
    RespondRemote,
    SyncItem,
    UpdateLocal,
    UpdateRemote,
    Winner,
    body_text,
    busy_block,
    plan,
)
from services.values import PULL_ONLY_FIELDS, Attendee, EventValues, SyncBase

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
KEY = ItemKey(event="1")
START = datetime(2024, 3, 30, 9, 0, tzinfo=UTC)
EVENT = EventValues(
    name="Review",
    start=START,
    stop=START + timedelta(hours=1),
    organizer_email=ORGANIZER,
    attendees=(Attendee(email="bob@example.org", response="needsAction"),),
)
DEFAULT = Policy()


def synced(values: EventValues = EVENT) -> SyncBase:
    return SyncBase(local=values, remote=values)


def plan_one(policy: Policy = DEFAULT, **sides) -> Plan:
    """Plan the one binding ``KEY`` whose ``SyncItem`` fields are ``sides``."""
    return plan([SyncItem(key=KEY, **sides)], policy, NOW)


def only(result: Plan):
    assert len(result.items) == 1, result
    return result.items[0]


# --- scenarios -------------------------------------------------------------------------------


def test_quiet_sync_plans_nothing():
    """Both sides equal to the base, nothing dirty: no item, no write, no base to store."""
    result = plan_one(base=synced(), local=EVENT, remote=EVENT)
    assert result.is_empty and not result.conflicts and not result.errors


def test_echo_of_our_own_write_is_not_a_remote_edit():
    """Graph normalises the body we wrote; the base holds Graph's form, so nothing is planned."""
    remote = EVENT.replace(description_html="<html><body><p>x</p></body></html>")
    local = EVENT.replace(description_html="<p>x</p>")
    base = SyncBase(local=local, remote=remote)
    result = plan_one(base=base, local=local, remote=remote)
    assert result.is_empty


def test_local_edit_updates_only_the_changed_field_remotely():
    local = EVENT.replace(location="Room 2")
    item = only(plan_one(base=synced(), local=local, local_dirty=True, remote=EVENT))
    assert item.actions == (UpdateRemote(key=KEY, fields=frozenset({"location"}), values=local),)
    assert item.base == SyncBase(local=local, remote=local)


def test_local_difference_without_dirty_flag_is_not_pushed():
    """Only user writes set the dirty flag; a value the sync itself normalised is not an edit:
    no write, only the base catches up with what Odoo holds."""
    local = EVENT.replace(description_html="<p>sanitised</p>")
    item = only(plan_one(base=synced(), local=local, remote=EVENT))
    assert item.actions == () and item.base == SyncBase(local=local, remote=EVENT)


def test_remote_edit_updates_local():
    remote = EVENT.replace(
        name="Moved", start=START + timedelta(hours=1), stop=START + timedelta(hours=2)
    )
    item = only(plan_one(base=synced(), local=EVENT, remote=remote))
    assert item.actions == (
        UpdateLocal(key=KEY, fields=frozenset({"name", "start", "stop"}), values=remote),
    )


def test_different_fields_edited_on_both_sides_are_both_kept():
    local = EVENT.replace(location="Room 2")
    remote = EVENT.replace(name="Renamed")
    item = only(plan_one(base=synced(), local=local, local_dirty=True, remote=remote))
    merged = EVENT.replace(location="Room 2", name="Renamed")
    assert set(item.actions) == {
        UpdateLocal(key=KEY, fields=frozenset({"name"}), values=merged),
        UpdateRemote(key=KEY, fields=frozenset({"location"}), values=merged),
    }


@pytest.mark.parametrize(
    ("policy", "local_time", "remote_time", "winner"),
    [
        (Winner.NEWEST, NOW, NOW - timedelta(minutes=1), "odoo"),
        (Winner.NEWEST, NOW - timedelta(minutes=1), NOW, "outlook"),
        (Winner.NEWEST, None, NOW, "outlook"),
        (Winner.ODOO, NOW - timedelta(minutes=1), NOW, "odoo"),
        (Winner.OUTLOOK, NOW, NOW - timedelta(minutes=1), "outlook"),
    ],
)
def test_same_field_edited_on_both_sides_follows_policy_and_logs_the_loser(
    policy, local_time, remote_time, winner
):
    local, remote = EVENT.replace(name="Odoo name"), EVENT.replace(name="Outlook name")
    result = plan_one(
        base=synced(),
        local=local,
        local_dirty=True,
        local_modified=local_time,
        remote=remote,
        remote_modified=remote_time,
        policy=Policy(conflicts=policy),
    )
    (conflict,) = result.conflicts
    assert (conflict.field, conflict.local_value, conflict.remote_value, conflict.winner) == (
        "name",
        "Odoo name",
        "Outlook name",
        winner,
    )
    kept = local if winner == "odoo" else remote
    assert only(result).base == SyncBase(local=kept, remote=kept)


def test_same_change_on_both_sides_is_no_conflict_and_no_write():
    both = EVENT.replace(name="Same")
    item = only(plan_one(base=synced(), local=both, local_dirty=True, remote=both))
    assert item.actions == () and item.base == synced(both)


def test_time_fields_merge_as_one_unit():
    """Odoo moves the start, Outlook the stop: one side's slot wins whole, never a mix."""
    local = EVENT.replace(start=START - timedelta(hours=1))
    remote = EVENT.replace(stop=START + timedelta(hours=3))
    result = plan_one(
        base=synced(),
        local=local,
        local_dirty=True,
        remote=remote,
        policy=Policy(conflicts=Winner.OUTLOOK),
    )
    assert [c.field for c in result.conflicts] == ["when"]
    assert only(result).base == synced(remote)


def test_new_local_event_is_created_remotely_once():
    result = plan_one(local=EVENT, local_dirty=True)
    assert only(result).actions == (CreateRemote(key=KEY, values=EVENT),)


def test_new_remote_event_is_created_locally():
    result = plan_one(remote=EVENT)
    assert only(result).actions == (CreateLocal(key=KEY, values=EVENT),)


def test_cancelled_remote_event_is_not_imported():
    result = plan_one(remote=EVENT.replace(is_cancelled=True))
    assert result.is_empty


def test_event_found_on_both_sides_without_base_is_merged_not_duplicated():
    """A 410 resync re-matched by iCalUId: no create either way, differing fields reconciled."""
    remote = EVENT.replace(name="Outlook name")
    item = only(plan_one(local=EVENT, remote=remote, policy=Policy(conflicts=Winner.OUTLOOK)))
    assert not any(isinstance(a, (CreateLocal, CreateRemote)) for a in item.actions)
    assert item.base == synced(remote)


@pytest.mark.parametrize("winner", list(Winner))
def test_event_found_on_both_sides_without_base_keeps_outlooks_version(winner):
    """Never synced together (e.g. imported through an attendee's mailbox, then found in the
    organizer's): Odoo's copy, newer or not, is not written over the organizer's Outlook event,
    whose update would email every attendee."""
    remote = EVENT.replace(name="Outlook name", timezone="Europe/Brussels")
    item = only(
        plan_one(
            local=EVENT,
            remote=remote,
            local_modified=NOW,
            remote_modified=NOW - timedelta(days=1),
            policy=Policy(conflicts=winner),
        )
    )
    assert not any(isinstance(action, UpdateRemote) for action in item.actions)
    assert item.base == synced(remote)


def test_local_deletion_deletes_remote_when_owner_organizes():
    item = only(plan_one(base=synced(), remote=EVENT))
    assert item.actions == (DeleteRemote(key=KEY),) and item.base is None


def test_local_deletion_declines_when_owner_only_attends():
    item = only(
        plan_one(base=synced(), remote=EVENT, organizer=False, owner_email="bob@example.org")
    )
    assert item.actions == (DeclineRemote(key=KEY),)


def test_local_deletion_of_remotely_edited_event_restores_it():
    remote = EVENT.replace(name="Edited in Outlook")
    item = only(plan_one(base=synced(), remote=remote))
    assert item.actions == (CreateLocal(key=KEY, values=remote),)


def test_remote_deletion_archives_unchanged_local_event():
    item = only(plan_one(base=synced(), local=EVENT))
    assert item.actions == (ArchiveLocal(key=KEY),) and item.base is None


def test_remote_deletion_of_locally_edited_event_recreates_it():
    local = EVENT.replace(name="Edited in Odoo")
    item = only(plan_one(base=synced(), local=local, local_dirty=True))
    assert item.actions == (CreateRemote(key=KEY, values=local, recreate=True),)


def test_remote_cancellation_archives_local_event():
    cancelled = EVENT.replace(is_cancelled=True)
    item = only(plan_one(base=synced(), local=EVENT, remote=cancelled))
    assert item.actions == (ArchiveLocal(key=KEY),)


def test_attendee_link_pushes_only_the_owners_reply():
    owner = "bob@example.org"
    local = EVENT.replace(
        name="Edited by attendee",
        attendees=(Attendee(email=owner, response="accepted"),),
    )
    result = plan_one(
        base=synced(),
        local=local,
        local_dirty=True,
        remote=EVENT,
        organizer=False,
        owner_email=owner,
    )
    assert only(result).actions == (RespondRemote(key=KEY, response="accepted"),)


def test_attendee_link_leaves_a_field_both_sides_changed_to_the_organizers_link():
    """The organizer edited the room in Odoo and in Outlook; the attendee's link, whose sync
    runs first, does not take Outlook's room into Odoo over the Odoo edit: the organizer's own
    link merges the two (and logs the conflict). Without an organizer's link it takes it."""
    local = EVENT.replace(location="Room 3", name="Renamed in Odoo")
    remote = EVENT.replace(location="Room 1")
    item = SyncItem(
        key=KEY,
        base=synced(),
        local=local,
        local_dirty=True,
        remote=remote,
        organizer=False,
        owner_email="bob@example.org",
        organizer_syncs=True,
    )

    held = only(plan([item], DEFAULT, NOW))
    alone = only(plan([dataclasses.replace(item, organizer_syncs=False)], DEFAULT, NOW))

    assert not any(isinstance(action, UpdateLocal) for action in held.actions)
    assert [a.values.location for a in alone.actions if isinstance(a, UpdateLocal)] == ["Room 1"]


def test_attendee_link_without_base_leaves_the_organizers_fields_and_sends_a_newer_answer():
    """Alice's invitation paired with the Odoo meeting without a base (Bob's sync crashed after
    sending it): Bob's Odoo move is his link's to merge, and Alice's answer given in Odoo, newer
    than Outlook's, is sent."""
    owner = "bob@example.org"
    local = EVENT.replace(
        allday=True,
        start=None,
        stop=None,
        start_date=START.date(),
        stop_date=START.date(),
        attendees=(Attendee(email=owner, response="declined"),),
    )
    item = SyncItem(
        key=KEY,
        local=local,
        local_modified=NOW,
        remote=EVENT,
        remote_modified=NOW - timedelta(hours=1),
        organizer=False,
        owner_email=owner,
        organizer_syncs=True,
    )

    actions = only(plan([item], DEFAULT, NOW)).actions

    assert not any(isinstance(action, UpdateLocal) for action in actions)
    assert [a.response for a in actions if isinstance(a, RespondRemote)] == ["declined"]


def test_attendee_reply_in_outlook_updates_organizer_event_in_odoo():
    remote = EVENT.replace(attendees=(Attendee(email="bob@example.org", response="declined"),))
    item = only(plan_one(base=synced(), local=EVENT, remote=remote))
    assert item.actions == (UpdateLocal(key=KEY, fields=frozenset({"attendees"}), values=remote),)


UNTRACKED = Policy(responses_tracked=False)


def test_untracked_answers_of_a_secondary_calendar_never_replace_odoos():
    """In a calendar that does not tally answers, Outlook's "none" of an attendee is not news:
    Odoo's answer stays, with a base or without one (a re-match), and nothing is written."""
    bob_accepted = Attendee(email="bob@example.org", response="accepted")
    local = EVENT.replace(attendees=(bob_accepted,))
    with_base = SyncItem(
        key=KEY, base=SyncBase(local=local, remote=EVENT), local=local, remote=EVENT
    )
    rematched = SyncItem(key=ItemKey(event="2"), local=local, remote=EVENT)

    result = plan([with_base, rematched], UNTRACKED, NOW)

    assert all(not item.actions for item in result.items), result
    assert [item.base for item in result.items] == [SyncBase(local=local, remote=EVENT)]
    assert plan([rematched], DEFAULT, NOW).items[0].actions == (
        UpdateLocal(key=ItemKey(event="2"), fields=frozenset({"attendees"}), values=EVENT),
    )


def test_untracked_answers_still_bring_outlooks_new_attendees_and_the_owners_reply():
    carol = Attendee(email="carol@example.org")
    remote = EVENT.replace(attendees=(*EVENT.attendees, carol))
    item = only(plan_one(base=synced(), local=EVENT, remote=remote, policy=UNTRACKED))
    assert item.actions == (UpdateLocal(key=KEY, fields=frozenset({"attendees"}), values=remote),)

    owner_declined = EVENT.replace(
        organizer_email="dave@example.org",
        attendees=(Attendee(email=ORGANIZER, response="declined"),),
    )
    theirs = owner_declined.replace(attendees=(Attendee(email=ORGANIZER, response="accepted"),))
    attended = SyncItem(
        key=KEY,
        base=synced(owner_declined),
        local=owner_declined,
        remote=theirs,
        organizer=False,
        owner_email=ORGANIZER,
    )
    actions = only(plan([attended], UNTRACKED, NOW)).actions
    assert [a.values.attendees for a in actions if isinstance(a, UpdateLocal)] == [theirs.attendees]


def test_attendee_added_in_odoo_and_reply_in_outlook_are_both_kept():
    carol = Attendee(email="carol@example.org")
    local = EVENT.replace(attendees=(*EVENT.attendees, carol))
    bob_accepted = Attendee(email="bob@example.org", response="accepted")
    remote = EVENT.replace(attendees=(bob_accepted,))
    item = only(plan_one(base=synced(), local=local, local_dirty=True, remote=remote))
    merged = EVENT.replace(attendees=(bob_accepted, carol))
    assert item.base == synced(merged)


def test_read_only_fields_are_never_pushed():
    local = EVENT.replace(videocall_url="https://odoo/meet")
    item = only(plan_one(base=synced(), local=local, local_dirty=True, remote=EVENT))
    assert item.actions == ()


def test_import_only_never_writes_to_outlook():
    policy = Policy(push=PushScope.NONE)
    result = plan(
        [
            SyncItem(key=ItemKey(event="new"), local=EVENT, local_dirty=True),
            SyncItem(key=ItemKey(event="gone"), base=synced(), remote=EVENT),
            SyncItem(
                key=ItemKey(event="edit"),
                base=synced(),
                local=EVENT.replace(name="x"),
                local_dirty=True,
                remote=EVENT,
            ),
        ],
        policy,
        NOW,
    )
    assert not [a for a in result.actions if "Remote" in type(a).__name__]


def test_future_only_scope_skips_creating_past_events():
    past = EVENT.replace(start=NOW - timedelta(days=2), stop=NOW - timedelta(days=2))
    result = plan(
        [
            SyncItem(key=ItemKey(event="past"), local=past, local_dirty=True),
            SyncItem(key=ItemKey(event="future"), local=EVENT, local_dirty=True),
        ],
        Policy(push=PushScope.FUTURE),
        NOW,
    )
    assert [a.key.event for a in result.actions] == ["future"]


def test_push_without_attendees_creates_a_plain_appointment():
    result = plan_one(local=EVENT, local_dirty=True, policy=Policy(push_attendees=False))
    (action,) = result.actions
    assert action.values.attendees == ()
    assert only(result).base.local.attendees == EVENT.attendees


def test_duplicate_binding_is_an_error_and_the_run_goes_on():
    other = ItemKey(event="2")
    result = plan(
        [
            SyncItem(key=KEY, remote=EVENT),
            SyncItem(key=KEY, remote=EVENT),
            SyncItem(key=other, remote=EVENT),
        ],
        DEFAULT,
        NOW,
    )
    assert [e.key for e in result.errors] == [KEY, KEY]
    assert [a.key for a in result.actions] == [other]


LOCAL_ACTIONS = (CreateLocal, UpdateLocal, ArchiveLocal)
EXPORT_ONLY = Policy(pull=False)


def test_export_only_never_writes_to_odoo_and_outlook_follows_odoo():
    """Outlook's edits are overwritten with Odoo's values, its deletions recreated, its own
    events left alone; Odoo's deletions reach Outlook."""
    result = plan(
        [
            SyncItem(key=ItemKey(event="new in outlook"), remote=EVENT),
            SyncItem(
                key=ItemKey(event="edited"),
                base=synced(),
                local=EVENT,
                remote=EVENT.replace(name="x"),
            ),
            SyncItem(key=ItemKey(event="deleted there"), base=synced(), local=EVENT),
            SyncItem(
                key=ItemKey(event="deleted here"), base=synced(), remote=EVENT.replace(name="x")
            ),
            SyncItem(
                key=ItemKey(event="cancelled"),
                base=synced(),
                local=EVENT,
                remote=EVENT.replace(is_cancelled=True),
            ),
        ],
        EXPORT_ONLY,
        NOW,
    )
    assert not [a for a in result.actions if isinstance(a, LOCAL_ACTIONS)]
    by_key = {item.key.event: item for item in result.items}
    assert by_key["edited"].actions == (
        UpdateRemote(key=ItemKey(event="edited"), fields=frozenset({"name"}), values=EVENT),
    )
    (recreate,) = by_key["deleted there"].actions
    assert isinstance(recreate, CreateRemote) and recreate.recreate
    assert by_key["deleted here"].actions == (DeleteRemote(key=ItemKey(event="deleted here")),)
    assert "new in outlook" not in by_key
    assert by_key["cancelled"].actions == () and by_key["cancelled"].base is None


PRIVATE = EVENT.replace(privacy="private", location="Clinic", description_html="<p>x</p>")


def test_private_event_is_skipped():
    result = plan_one(local=PRIVATE, local_dirty=True, policy=Policy(private=PrivateEvents.SKIP))
    assert result.actions == ()


def test_private_event_becomes_a_busy_block_without_details():
    (action,) = plan_one(
        local=PRIVATE, local_dirty=True, policy=Policy(private=PrivateEvents.BUSY)
    ).actions
    assert isinstance(action, CreateRemote)
    assert (action.values.name, action.values.description_html) == ("Busy", "")
    assert (action.values.location, action.values.attendees) == ("", ())
    assert (action.values.start, action.values.stop) == (PRIVATE.start, PRIVATE.stop)


def test_busy_block_gets_new_times_but_never_details_nor_placeholders_back():
    block = busy_block(PRIVATE)
    base = SyncBase(local=PRIVATE, remote=block)
    later = {"start": START + timedelta(hours=2), "stop": START + timedelta(hours=3)}
    renamed_and_moved = PRIVATE.replace(name="Doctor", location="Elsewhere", **later)
    item = only(
        plan_one(
            base=base,
            local=renamed_and_moved,
            local_dirty=True,
            remote=block,
            policy=Policy(private=PrivateEvents.BUSY),
        )
    )
    (update,) = item.actions
    assert isinstance(update, UpdateRemote)
    assert update.values == busy_block(renamed_and_moved)
    assert update.fields <= {"start", "stop", "allday", "start_date", "stop_date", "timezone"}
    # Outlook's edit of the placeholder subject is not pulled over the real name.
    result = plan_one(
        base=base,
        local=PRIVATE,
        remote=block.replace(name="Dentist?"),
        policy=Policy(private=PrivateEvents.BUSY),
    )
    assert not [a for a in result.actions if isinstance(a, UpdateLocal)]


def test_event_made_private_in_odoo_becomes_a_busy_block_in_outlook():
    public = PRIVATE.replace(privacy="public")
    for choice in (PrivateEvents.BUSY, PrivateEvents.SKIP):
        item = only(
            plan_one(
                base=synced(public),
                local=PRIVATE,
                local_dirty=True,
                remote=public,
                policy=Policy(private=choice),
            )
        )
        (update,) = item.actions
        assert update.values == busy_block(PRIVATE)
        assert item.base.remote == busy_block(PRIVATE)


def test_private_event_from_outlook_keeps_its_details_there():
    """The user's own private appointment, imported from Outlook, is not turned into a block."""
    edited_here = PRIVATE.replace(location="Room 3")
    item = only(
        plan_one(
            base=synced(PRIVATE),
            local=edited_here,
            local_dirty=True,
            remote=PRIVATE,
            policy=Policy(private=PrivateEvents.BUSY),
        )
    )
    assert item.actions == (
        UpdateRemote(key=KEY, fields=frozenset({"location"}), values=edited_here),
    )


# --- new pairs -------------------------------------------------------------------------------

EARLIER, LATER = NOW - timedelta(days=2), NOW - timedelta(days=1)
STANDUP = EventValues(
    name="Standup", start=START, stop=START + timedelta(hours=1), organizer_email=ORGANIZER
)
FIRST_SYNC = Policy(conflicts=Winner.FIRST_SYNC, push=PushScope.FUTURE, push_attendees=False)


def merged(local, remote, *, policy=FIRST_SYNC, **sides):
    """The planner's decision for a new pair of ``local`` and ``remote`` (``sides``: the
    modification times, ``organizer``) and the base to store (every new pair gets one: the
    caller links it even when nothing is written)."""
    sides = {"local_modified": EARLIER, "remote_modified": LATER, **sides}
    decided = plan_one(
        policy, local=local, remote=remote, owner_email=ORGANIZER, paired=True, **sides
    )
    return decided, only(decided).base


@pytest.mark.parametrize(
    ("odoo_body", "outlook_body"),
    [
        (
            "<p>Bring numbers</p>",
            "<html><head><style>p {margin: 0}</style></head>"
            "<body><p>Bring numbers</p></body></html>",
        ),
        ("<p>Tom &amp; Jerry</p>", "<div>Tom &amp;  Jerry</div>"),
        ("", "<html><body></body></html>"),
    ],
)
def test_bodies_differing_only_in_markup_read_the_same(odoo_body, outlook_body):
    assert body_text(odoo_body) == body_text(outlook_body)


def test_identical_pair_needs_no_write():
    decided, stored = merged(STANDUP, STANDUP)

    assert decided.conflicts == ()
    assert decided.actions == ()
    assert stored == SyncBase(local=STANDUP, remote=STANDUP)


@pytest.mark.parametrize(
    ("local_modified", "remote_modified", "winner", "action"),
    [
        (EARLIER, LATER, "outlook", UpdateLocal),
        (LATER, EARLIER, "odoo", UpdateRemote),
        (None, LATER, "outlook", UpdateLocal),
        (LATER, LATER, "outlook", UpdateLocal),
    ],
)
def test_the_newer_side_wins_a_pairs_differing_field_on_a_first_sync(
    local_modified, remote_modified, winner, action
):
    local = STANDUP.replace(location="Room 1")
    remote = STANDUP.replace(location="Room 2")

    decided, _stored = merged(
        local, remote, local_modified=local_modified, remote_modified=remote_modified
    )

    assert [(c.field, c.local_value, c.remote_value, c.winner) for c in decided.conflicts] == [
        ("location", "Room 1", "Room 2", winner)
    ]
    (write,) = decided.actions
    assert isinstance(write, action)
    assert write.fields == {"location"}
    assert write.values.location == (local if winner == "odoo" else remote).location


@pytest.mark.parametrize(
    ("policy", "local_modified", "remote_modified", "winner", "action"),
    [
        (Winner.ODOO, EARLIER, LATER, "odoo", UpdateRemote),
        (Winner.OUTLOOK, LATER, EARLIER, "outlook", UpdateLocal),
        (Winner.NEWEST, LATER, EARLIER, "odoo", UpdateRemote),
        (Winner.NEWEST, EARLIER, LATER, "outlook", UpdateLocal),
    ],
)
def test_the_who_wins_setting_decides_a_new_pair(
    policy, local_modified, remote_modified, winner, action
):
    """A pair found after the first sync (a copy made by hand meanwhile) follows the account's
    setting, as a conflict on a linked event does."""
    local = STANDUP.replace(location="Room 1")
    remote = STANDUP.replace(location="Room 2")

    decided, stored = merged(
        local,
        remote,
        local_modified=local_modified,
        remote_modified=remote_modified,
        policy=Policy(conflicts=policy),
    )

    assert [(c.field, c.winner) for c in decided.conflicts] == [("location", winner)]
    (write,) = decided.actions
    assert isinstance(write, action)
    kept = (local if winner == "odoo" else remote).location
    assert stored.local.location == stored.remote.location == kept


def test_the_newer_time_wins_as_one_unit():
    local = STANDUP
    remote = STANDUP.replace(start=START + timedelta(hours=2), stop=START + timedelta(hours=3))

    decided, _stored = merged(local, remote, local_modified=LATER, remote_modified=EARLIER)

    assert [c.field for c in decided.conflicts] == ["when"]
    (write,) = decided.actions
    assert isinstance(write, UpdateRemote)
    assert (write.values.start, write.values.stop) == (local.start, local.stop)


@pytest.mark.parametrize(
    ("local", "remote"),
    [
        (STANDUP.replace(timezone="Europe/Paris"), STANDUP.replace(timezone="Europe/London")),
        (
            STANDUP.replace(description_html="<p>Agenda</p>"),
            STANDUP.replace(description_html="<html><body><p>Agenda</p></body></html>"),
        ),
        (STANDUP.replace(attendees=(Attendee(email="ann@example.org"),)), STANDUP),
        (STANDUP, STANDUP.replace(videocall_url="https://teams/1")),
        (STANDUP.replace(organizer_email="me@odoo.example"), STANDUP),
        (STANDUP, STANDUP.replace(reminder_minutes=15)),
    ],
    ids=[
        "zone label",
        "body markup",
        "attendees",
        "read-only field",
        "organizer address",
        "Outlook's default reminder",
    ],
)
def test_differences_that_would_only_cost_a_write_are_left_alone(local, remote):
    """Above all, nothing that would make Exchange mail the attendees (the time rewritten in
    another zone, the attendee list)."""
    decided, stored = merged(local, remote, local_modified=LATER, remote_modified=EARLIER)

    assert decided.conflicts == ()
    assert decided.actions == ()
    assert stored == SyncBase(local=local, remote=remote)


@pytest.mark.parametrize("policy", [FIRST_SYNC, Policy(conflicts=Winner.ODOO)])
def test_an_attended_meeting_takes_the_organizers_values(policy):
    local = STANDUP.replace(location="Room 1")
    remote = STANDUP.replace(location="Room 2")

    decided, _stored = merged(
        local, remote, local_modified=LATER, remote_modified=EARLIER, organizer=False, policy=policy
    )

    assert [c.winner for c in decided.conflicts] == ["outlook"]
    assert [type(action) for action in decided.actions] == [UpdateLocal]


# --- properties ------------------------------------------------------------------------------


class World:
    """Two stores and the links' bases; applies a plan the way the shell would."""

    def __init__(self, local, remote, base):
        self.local, self.remote, self.base = local, remote, base
        self.creates: list[tuple[str, ItemKey]] = []

    def apply(self, result: Plan) -> None:
        for item in result.items:
            for action in item.actions:
                self._do(action)
            self.base = item.base

    def _do(self, action) -> None:
        match action:
            case CreateRemote(values=values):
                assert self.remote is None, "created over an existing Outlook event"
                self.remote = values
                self.creates.append(("remote", action.key))
            case CreateLocal(values=values):
                assert self.local is None, "created over an existing Odoo event"
                self.local = values
                self.creates.append(("local", action.key))
            case UpdateRemote(fields=fields, values=values):
                self.remote = self.remote.replace(**{f: getattr(values, f) for f in fields})
            case UpdateLocal(fields=fields, values=values):
                self.local = self.local.replace(**{f: getattr(values, f) for f in fields})
            case DeleteRemote() | DeclineRemote():
                self.remote = None
            case ArchiveLocal():
                self.local = None

    def item(self, **extra) -> SyncItem:
        return SyncItem(key=KEY, base=self.base, local=self.local, remote=self.remote, **extra)


COMPARED = [unit for unit in UNITS if unit not in PULL_ONLY_FIELDS]


def assert_converged(world: World, busy: bool = False) -> None:
    if world.local is None or world.remote is None:
        assert (world.local is None and world.remote is None) or world.base is None
        return
    block = busy and world.remote == busy_block(world.remote)
    for unit in COMPARED:
        if block and unit in BUSY_HIDDEN_FIELDS:
            continue
        local_value, remote_value = unit_value(world.local, unit), unit_value(world.remote, unit)
        if unit == "attendees":
            local_value = {a.email for a in local_value}
            remote_value = {a.email for a in remote_value}
        assert local_value == remote_value, unit


@st.composite
def scenarios(draw):
    """A synced binding, then random edits and deletions on either side (or a new event)."""
    shape = draw(st.sampled_from(["linked", "new_local", "new_remote", "unlinked_both"]))
    values = draw(event_values())
    if shape == "new_local":
        return None, values, True, None
    if shape == "new_remote":
        return None, None, False, values
    if shape == "unlinked_both":
        return None, values, False, draw(edited(values))
    local = None if draw(st.integers(0, 5)) == 0 else draw(edited(values))
    remote = None if draw(st.integers(0, 5)) == 0 else draw(edited(values))
    return synced(values), local, local is not None and local != values, remote


policies = st.builds(Policy, conflicts=st.sampled_from(list(Winner)))
any_policies = st.builds(
    Policy,
    conflicts=st.sampled_from(list(Winner)),
    pull=st.booleans(),
    private=st.sampled_from(list(PrivateEvents)),
)
times = st.one_of(st.none(), st.sampled_from([NOW - timedelta(hours=1), NOW]))


@settings(max_examples=400)
@given(scenarios(), any_policies, times, times)
def test_applying_a_plan_converges_and_the_next_plan_is_empty(scenario, policy, t_local, t_remote):
    """DESIGN §3.1/§3.2: after applying a plan, both sides agree on every pushed field (a busy
    block on its time only), no event was created twice or over an existing one, and a second
    plan is empty. Export only never writes Odoo."""
    base, local, dirty, remote = scenario
    world = World(local, remote, base)
    world.apply(
        plan(
            [world.item(local_dirty=dirty, local_modified=t_local, remote_modified=t_remote)],
            policy,
            NOW,
        )
    )
    assert len(world.creates) <= 1
    if not policy.pull:
        assert world.local == local
    assert_converged(world, busy=policy.private is not PrivateEvents.SYNC)
    assert plan([world.item()], policy, NOW).is_empty


@settings(max_examples=400)
@given(st.data(), policies, times, times)
def test_no_edit_is_lost(data, policy, t_local, t_remote):
    """DESIGN §3.3: a unit edited on one side reaches the other; edited on both sides with
    different values, the winner's value is on both sides and the loser is in the conflicts."""
    values = data.draw(event_values())
    local, remote = data.draw(edited(values)), data.draw(edited(values))
    world = World(local, remote, synced(values))
    result = plan(
        [world.item(local_dirty=True, local_modified=t_local, remote_modified=t_remote)],
        policy,
        NOW,
    )
    world.apply(result)
    conflicts = {c.field.split(":")[0]: c for c in result.conflicts}
    for unit in COMPARED:
        before, mine, theirs = (unit_value(v, unit) for v in (values, local, remote))
        now_local, now_remote = unit_value(world.local, unit), unit_value(world.remote, unit)
        if unit == "attendees":
            continue
        if len({before, mine, theirs}) == 3:
            winner = conflicts[unit].winner
            assert now_local == now_remote == (mine if winner == "odoo" else theirs)
        elif mine != before:
            assert now_local == now_remote == mine
        elif theirs != before:
            assert now_local == now_remote == theirs


@given(st.data(), st.booleans(), policies)
def test_an_edit_beats_a_deletion(data, deleted_in_odoo, policy):
    """DESIGN §3.3 with deletions: gone on one side but edited on the other, the event is
    restored with the edit on both sides."""
    values = data.draw(event_values())
    edit = data.draw(edited(values))
    assume(edit != values)
    local, remote = (None, edit) if deleted_in_odoo else (edit, None)
    world = World(local, remote, synced(values))
    world.apply(plan([world.item(local_dirty=not deleted_in_odoo)], policy, NOW))
    assert world.local is not None and world.remote is not None
    for unit in COMPARED:
        assert (
            unit_value(world.local, unit)
            == unit_value(world.remote, unit)
            == unit_value(edit, unit)
        )


def test_a_time_moved_in_odoo_keeps_the_zone_outlook_has():
    """Odoo's single events have no zone of their own (the organizer's Odoo zone, UTC when
    unset): a new time is written in the zone the event has in Outlook, never over it."""
    remote = EVENT.replace(timezone="Europe/Paris")
    moved = EVENT.replace(start=START + timedelta(hours=1), stop=START + timedelta(hours=2))
    item = only(
        plan_one(
            base=SyncBase(local=EVENT, remote=remote), local=moved, local_dirty=True, remote=remote
        )
    )
    [action] = [action for action in item.actions if isinstance(action, UpdateRemote)]
    assert action.values.timezone == "Europe/Paris" and action.values.start == moved.start
    assert item.base.local.timezone == item.base.remote.timezone == "Europe/Paris"


@st.composite
def two_copies(draw):
    local = draw(event_values())
    return local, draw(edited(local))


@settings(max_examples=300)
@given(
    two_copies(),
    st.sampled_from([(EARLIER, LATER), (LATER, EARLIER), (None, None)]),
    st.booleans(),
    st.sampled_from([FIRST_SYNC, *(Policy(conflicts=winner) for winner in Winner)]),
)
def test_a_pair_creates_nothing_and_settles_in_one_sync(copies, modified, organizer, policy):
    """Whatever the two copies hold and whoever wins: no create either way, no attendee pushed,
    the winner's value on both sides, and the stored base makes the next plan empty."""
    local, remote = copies
    decided, stored = merged(
        local,
        remote,
        local_modified=modified[0],
        remote_modified=modified[1],
        organizer=organizer,
        policy=policy,
    )

    assert not [a for a in decided.actions if isinstance(a, (CreateLocal, CreateRemote))]
    for action in decided.actions:
        if isinstance(action, UpdateRemote):
            assert "attendees" not in action.fields
            assert organizer
    settled_local, settled_remote = stored.local, stored.remote
    again = plan(
        [
            SyncItem(
                key=KEY,
                base=stored,
                local=settled_local,
                remote=settled_remote,
                organizer=organizer,
                owner_email=ORGANIZER,
            )
        ],
        Policy(),
        NOW,
    )
    assert again.actions == ()
    for conflict in decided.conflicts:
        winner_side = local if conflict.winner == "odoo" else remote
        if conflict.field == "when":
            assert meeting_key(settled_remote)[1:] == meeting_key(winner_side)[1:]
        else:
            assert getattr(settled_local, conflict.field) == getattr(winner_side, conflict.field)


@settings(max_examples=300)
@given(
    two_copies(),
    st.sampled_from([(EARLIER, LATER), (LATER, EARLIER), (None, None)]),
    st.sampled_from([Winner.ODOO, Winner.OUTLOOK]),
)
def test_an_organizers_new_pair_follows_the_who_wins_setting(copies, modified, winner):
    """Every field an organizer's new pair holds differently goes to the side the account's
    setting names, however recent each side's edit."""
    local, remote = copies
    decided, _stored = merged(
        local,
        remote,
        local_modified=modified[0],
        remote_modified=modified[1],
        policy=Policy(conflicts=winner),
    )

    assert {conflict.winner for conflict in decided.conflicts} <= {winner.value}
