"""Pairing: events already on both sides are bound one to one, never guessed, never copied."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from event_strategies import ORGANIZER, edited, event_values
from hypothesis import given, settings
from hypothesis import strategies as st

from services.mapping import odoo_ref
from services.pairing import (
    LocalCandidate,
    PairedBy,
    RemoteCandidate,
    body_text,
    meeting_key,
    normalize_subject,
    pair,
    pair_base,
)
from services.reconcile import (
    CreateLocal,
    CreateRemote,
    ItemKey,
    Policy,
    PushScope,
    SyncItem,
    UpdateLocal,
    UpdateRemote,
    plan,
)
from services.values import Attendee, EventValues, SyncBase

DB = "3f0c1a9e-0000-4000-8000-000000000001"
OTHER_DB = "3f0c1a9e-0000-4000-8000-000000000002"
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
NINE = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
MONDAY = NINE.date()
KEY = ItemKey(event="remote:1")
EARLIER, LATER = NOW - timedelta(days=2), NOW - timedelta(days=1)


def timed(name, start=NINE, hours=1, **extra):
    extra.setdefault("organizer_email", ORGANIZER)
    return EventValues(name=name, start=start, stop=start + timedelta(hours=hours), **extra)


def allday(name, day=MONDAY, **extra):
    extra.setdefault("organizer_email", ORGANIZER)
    return EventValues(name=name, allday=True, start_date=day, stop_date=day, **extra)


def odoo(event_id, values, **extra):
    return LocalCandidate(event_id=event_id, values=values, **extra)


def outlook(graph_id, values, **extra):
    return RemoteCandidate(graph_id=graph_id, values=values, **extra)


def found(pairing):
    """{(event id, graph id): rule} of the pairs, and the sorted ambiguities."""
    pairs = {(p.event_id, p.graph_id): p.by for p in pairing.pairs}
    ambiguous = sorted((a.event_ids, a.graph_ids) for a in pairing.ambiguous)
    return pairs, ambiguous


@pytest.mark.parametrize(
    ("subject", "normalized"),
    [
        ("Weekly Sync", "weekly sync"),
        ("  weekly \t SYNC\n", "weekly sync"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_subjects_are_casefolded_and_whitespace_collapsed(subject, normalized):
    assert normalize_subject(subject) == normalized


# (what is on each side, expected pairs, expected ambiguities)
CASES = {
    "same meeting": (
        [odoo(1, timed("Budget review"))],
        [outlook("a", timed("budget  REVIEW "))],
        {(1, "a"): PairedBy.MEETING},
        [],
    ),
    "our property, even renamed and moved": (
        [odoo(1, timed("Budget review"))],
        [outlook("a", timed("Budget (moved)", NINE + timedelta(days=1)), odoo_ref=f"{DB}:1")],
        {(1, "a"): PairedBy.PROPERTY},
        [],
    ),
    "another database's property is no proof": (
        [odoo(1, timed("Budget review"))],
        [outlook("a", timed("Budget (moved)"), odoo_ref=f"{OTHER_DB}:1")],
        {},
        [],
    ),
    "another database's copy of the same meeting": (
        [odoo(1, timed("Budget review"))],
        [outlook("a", timed("Budget review"), odoo_ref=f"{OTHER_DB}:7")],
        {(1, "a"): PairedBy.MEETING},
        [],
    ),
    "iCalUId of another mailbox's link": (
        [odoo(1, timed("Budget review"), ical_uids=frozenset({"uid-1"}))],
        [outlook("a", timed("Budget review, renamed"), ical_uid="uid-1")],
        {(1, "a"): PairedBy.ICAL_UID},
        [],
    ),
    "property before meeting": (
        [odoo(1, timed("Standup")), odoo(2, timed("Standup"))],
        [outlook("a", timed("Standup"), odoo_ref=f"{DB}:2")],
        {(2, "a"): PairedBy.PROPERTY},
        [],
    ),
    "same subject at two times": (
        [odoo(1, timed("Standup")), odoo(2, timed("Standup", NINE + timedelta(days=1)))],
        [
            outlook("b", timed("Standup", NINE + timedelta(days=1))),
            outlook("a", timed("Standup")),
        ],
        {(1, "a"): PairedBy.MEETING, (2, "b"): PairedBy.MEETING},
        [],
    ),
    "two identical Odoo events for one Outlook event": (
        [odoo(1, timed("Standup")), odoo(2, timed("Standup"))],
        [outlook("a", timed("Standup"))],
        {},
        [((1, 2), ("a",))],
    ),
    "two identical Outlook events for one Odoo event": (
        [odoo(1, timed("Standup"))],
        [outlook("a", timed("Standup")), outlook("b", timed("Standup"))],
        {},
        [((1,), ("a", "b"))],
    ),
    "two and two are not guessed either": (
        [odoo(1, timed("Standup")), odoo(2, timed("Standup"))],
        [outlook("a", timed("Standup")), outlook("b", timed("Standup"))],
        {},
        [((1, 2), ("a", "b"))],
    ),
    "two Outlook copies carrying one Odoo event's property": (
        [odoo(1, timed("Standup"))],
        [
            outlook("a", timed("Standup"), odoo_ref=f"{DB}:1"),
            outlook("b", timed("Standup"), odoo_ref=f"{DB}:1"),
        ],
        {},
        [((1,), ("a", "b"))],
    ),
    "all-day against timed": (
        [odoo(1, allday("Offsite"))],
        [outlook("a", timed("Offsite", datetime(2024, 3, 4, tzinfo=UTC), hours=24))],
        {},
        [],
    ),
    "all-day against all-day": (
        [odoo(1, allday("Offsite"))],
        [outlook("a", allday("Offsite"))],
        {(1, "a"): PairedBy.MEETING},
        [],
    ),
    "another end": (
        [odoo(1, timed("Standup", hours=1))],
        [outlook("a", timed("Standup", hours=2))],
        {},
        [],
    ),
    "an occurrence of a series never pairs with a single event": (
        [odoo(1, timed("Standup"))],
        [outlook("a", timed("Standup"), in_series=True)],
        {},
        [],
    ),
    "a single event never pairs with an Odoo recurrence": (
        [odoo(1, timed("Standup"), in_series=True)],
        [outlook("a", timed("Standup"))],
        {},
        [],
    ),
    "a cancelled Outlook copy is not the meeting": (
        [odoo(1, timed("Standup"))],
        [outlook("a", timed("Standup", is_cancelled=True))],
        {},
        [],
    ),
    "nothing on the other side": (
        [odoo(1, timed("Standup")), odoo(2, timed("Standup"))],
        [outlook("a", timed("Lunch"))],
        {},
        [],
    ),
}


@pytest.mark.parametrize(("local", "remote", "pairs", "ambiguous"), CASES.values(), ids=CASES)
def test_pairing(local, remote, pairs, ambiguous):
    pairing = pair(local, remote, database_uuid=DB)

    assert found(pairing) == (pairs, ambiguous)


def test_ambiguous_candidates_are_held_back_and_named():
    pairing = pair(
        [odoo(1, timed("Standup")), odoo(2, timed("Standup")), odoo(3, timed("Lunch"))],
        [outlook("a", timed("Standup")), outlook("c", timed("Lunch"))],
        database_uuid=DB,
    )

    assert pairing.held_event_ids == {1, 2}
    assert pairing.held_graph_ids == {"a"}
    assert [amb.name for amb in pairing.ambiguous] == ["Standup"]
    assert [(p.event_id, p.graph_id) for p in pairing.pairs] == [(3, "c")]


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


def merged(
    local, remote, *, local_modified=EARLIER, remote_modified=LATER, organizer=True, policy=None
):
    """The pair's base, the planner's decision for the pair with that base, and the base to
    store (the pair's own when the planner has nothing to do: the caller links it as it is)."""
    made = pair_base(
        local,
        remote,
        local_modified=local_modified,
        remote_modified=remote_modified,
        organizer=organizer,
    )
    item = SyncItem(
        key=KEY,
        base=made.base,
        local=local,
        local_dirty=made.local_dirty,
        remote=remote,
        organizer=organizer,
        owner_email=ORGANIZER,
    )
    decided = plan([item], policy or Policy(push=PushScope.FUTURE, push_attendees=False), NOW)
    (stored,) = [planned.base for planned in decided.items] or [made.base]
    return made, decided, stored


def test_identical_pair_needs_no_write():
    made, decided, stored = merged(timed("Standup"), timed("Standup"))

    assert made.conflicts == ()
    assert decided.actions == ()
    assert stored == SyncBase(local=timed("Standup"), remote=timed("Standup"))


@pytest.mark.parametrize(
    ("local_modified", "remote_modified", "winner", "action"),
    [
        (EARLIER, LATER, "outlook", UpdateLocal),
        (LATER, EARLIER, "odoo", UpdateRemote),
        (None, LATER, "outlook", UpdateLocal),
        (LATER, LATER, "outlook", UpdateLocal),
    ],
)
def test_the_newer_side_wins_a_differing_field(local_modified, remote_modified, winner, action):
    local = timed("Standup", location="Room 1")
    remote = timed("Standup", location="Room 2")

    made, decided, _stored = merged(
        local, remote, local_modified=local_modified, remote_modified=remote_modified
    )

    assert [(c.field, c.local_value, c.remote_value, c.winner) for c in made.conflicts] == [
        ("location", "Room 1", "Room 2", winner)
    ]
    (write,) = decided.actions
    assert isinstance(write, action)
    assert write.fields == {"location"}
    assert write.values.location == (local if winner == "odoo" else remote).location


def test_the_newer_time_wins_as_one_unit():
    local = timed("Standup")
    remote = timed("Standup", NINE + timedelta(hours=2))

    made, decided, _stored = merged(local, remote, local_modified=LATER, remote_modified=EARLIER)

    assert [c.field for c in made.conflicts] == ["when"]
    (write,) = decided.actions
    assert isinstance(write, UpdateRemote)
    assert (write.values.start, write.values.stop) == (local.start, local.stop)


@pytest.mark.parametrize(
    ("local", "remote"),
    [
        (timed("Standup", timezone="Europe/Paris"), timed("Standup", timezone="Europe/London")),
        (
            timed("Standup", description_html="<p>Agenda</p>"),
            timed("Standup", description_html="<html><body><p>Agenda</p></body></html>"),
        ),
        (timed("Standup", attendees=(Attendee(email="ann@example.org"),)), timed("Standup")),
        (timed("Standup"), timed("Standup", videocall_url="https://teams/1")),
        (timed("Standup", organizer_email="me@odoo.example"), timed("Standup")),
        (timed("Standup"), timed("Standup", reminder_minutes=15)),
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
    made, decided, stored = merged(local, remote, local_modified=LATER, remote_modified=EARLIER)

    assert made.conflicts == ()
    assert decided.actions == ()
    assert stored == SyncBase(local=local, remote=remote)


def test_an_attended_meeting_takes_the_organizers_values():
    local = timed("Standup", location="Room 1")
    remote = timed("Standup", location="Room 2")

    made, decided, _stored = merged(
        local, remote, local_modified=LATER, remote_modified=EARLIER, organizer=False
    )

    assert [c.winner for c in made.conflicts] == ["outlook"]
    assert [type(action) for action in decided.actions] == [UpdateLocal]


# ----------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------

SUBJECTS = ("Standup", "standup ", "Lunch", "Review")
STARTS = (NINE, NINE + timedelta(hours=1))


@st.composite
def small_values(draw):
    if draw(st.booleans()):
        return allday(draw(st.sampled_from(SUBJECTS)), date(2024, 3, 4))
    return timed(draw(st.sampled_from(SUBJECTS)), draw(st.sampled_from(STARTS)))


@st.composite
def worlds(draw):
    """Both sides drawn from a handful of subjects and times, so that they collide often."""
    local = [
        odoo(
            event_id,
            draw(small_values()),
            ical_uids=frozenset(draw(st.sets(st.sampled_from(["u1", "u2"]), max_size=1))),
            in_series=draw(st.booleans()),
        )
        for event_id in range(1, draw(st.integers(0, 6)) + 1)
    ]
    remote = [
        outlook(
            f"g{index}",
            draw(small_values()),
            ical_uid=draw(st.sampled_from(["", "u1", "u2"])),
            odoo_ref=draw(st.sampled_from([None, f"{DB}:1", f"{DB}:2", f"{OTHER_DB}:1"])),
            in_series=draw(st.booleans()),
        )
        for index in range(draw(st.integers(0, 6)))
    ]
    return local, remote


@settings(max_examples=300)
@given(worlds(), st.randoms(use_true_random=False))
def test_pairing_is_one_to_one_and_never_guesses(world, rnd: random.Random):
    local, remote = world
    pairing = pair(local, remote, database_uuid=DB)

    paired_events = [p.event_id for p in pairing.pairs]
    paired_graph = [p.graph_id for p in pairing.pairs]
    assert len(set(paired_events)) == len(paired_events)
    assert len(set(paired_graph)) == len(paired_graph)
    assert not pairing.held_event_ids & set(paired_events)
    assert not pairing.held_graph_ids & set(paired_graph)
    by_id = {c.event_id: c for c in local}
    by_graph = {c.graph_id: c for c in remote}
    for found_pair in pairing.pairs:
        odoo_side, outlook_side = by_id[found_pair.event_id], by_graph[found_pair.graph_id]
        if found_pair.by is PairedBy.MEETING:
            assert meeting_key(odoo_side.values) == meeting_key(outlook_side.values)
            assert not odoo_side.in_series and not outlook_side.in_series
        elif found_pair.by is PairedBy.PROPERTY:
            assert outlook_side.odoo_ref == odoo_ref(DB, odoo_side.event_id)
        else:
            assert outlook_side.ical_uid in odoo_side.ical_uids
    for amb in pairing.ambiguous:
        assert len(amb.event_ids) > 1 or len(amb.graph_ids) > 1

    rnd.shuffle(local)
    rnd.shuffle(remote)
    assert found(pair(local, remote, database_uuid=DB)) == found(pairing)


@st.composite
def two_copies(draw):
    local = draw(event_values())
    return local, draw(edited(local))


@settings(max_examples=300)
@given(
    two_copies(),
    st.sampled_from([(EARLIER, LATER), (LATER, EARLIER), (None, None)]),
    st.booleans(),
)
def test_a_pair_creates_nothing_and_settles_in_one_sync(copies, modified, organizer):
    """Whatever the two copies hold: no create either way, no attendee pushed, and the stored
    base makes the next plan empty."""
    local, remote = copies
    made, decided, stored = merged(
        local, remote, local_modified=modified[0], remote_modified=modified[1], organizer=organizer
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
    for conflict in made.conflicts:
        winner_side = local if conflict.winner == "odoo" else remote
        if conflict.field == "when":
            assert meeting_key(settled_remote)[1:] == meeting_key(winner_side)[1:]
        else:
            assert getattr(settled_local, conflict.field) == getattr(winner_side, conflict.field)
