"""Pairing: events already on both sides are bound one to one, never guessed, never copied."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from event_strategies import ORGANIZER
from hypothesis import given, settings
from hypothesis import strategies as st

from services.mapping import odoo_ref
from services.pairing import (
    LocalCandidate,
    PairedBy,
    RemoteCandidate,
    meeting_key,
    normalize_subject,
    pair,
)
from services.values import EventValues

DB = "3f0c1a9e-0000-4000-8000-000000000001"
OTHER_DB = "3f0c1a9e-0000-4000-8000-000000000002"
NINE = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
MONDAY = NINE.date()


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
