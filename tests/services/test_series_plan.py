"""services.series_plan: what to do with a series, as properties over every input."""

from datetime import date, datetime, timedelta

from event_strategies import ORGANIZER, edited, event_values
from hypothesis import assume, given
from hypothesis import strategies as st

from services import recurrence as rec
from services import series
from services import series_plan as sp
from services.reconcile import Policy, PrivateEvents, PushScope
from services.values import Attendee

Step = sp.Step
NOW = datetime(2024, 4, 1, 12, 0)
WEEKLY = rec.Recurrence(
    kind="weekly", days_of_week=("monday",), start_date=date(2024, 4, 1), time_zone="UTC"
)
DAILY = rec.Recurrence(kind="daily", start_date=date(2024, 4, 1), time_zone="UTC")


@st.composite
def shapes(draw):
    values = draw(event_values())
    return series.shape_of(values, draw(st.sampled_from([WEEKLY, DAILY])))


maybe_shapes = st.one_of(st.none(), shapes())
states = st.sampled_from([{"rule": "RRULE:FREQ=DAILY"}, {"rule": "RRULE:FREQ=WEEKLY"}])
links = st.builds(
    sp.LinkState,
    organizer=st.booleans(),
    remote_base=maybe_shapes,
    local_base=st.one_of(st.none(), states),
)
locals_ = st.one_of(
    st.just(sp.GONE_LOCALLY),
    st.builds(sp.Local, present=st.just(True), state=states, shape=maybe_shapes),
)
policies = st.builds(
    Policy,
    push=st.sampled_from(list(PushScope)),
    push_attendees=st.booleans(),
    private=st.sampled_from(list(PrivateEvents)),
)


@st.composite
def all_edits(draw):
    """None, or one edit per occurrence: the same edit on all of them, or different ones."""
    if draw(st.booleans()):
        return None
    before = draw(event_values())
    after = draw(edited(before))
    count = draw(st.integers(1, 3))
    if draw(st.booleans()):
        return [sp.Edit(before=before, after=after) for _ in range(count)]
    return [sp.Edit(before=before, after=draw(edited(before))) for _ in range(count)]


def outlook_plans():
    return st.builds(
        sp.from_outlook,
        st.one_of(st.none(), links),
        st.sampled_from(list(sp.Remote)),
        maybe_shapes,
        locals_,
        match=st.sampled_from(list(sp.Match)),
    )


@given(links, locals_, all_edits(), policies)
def test_an_attendee_never_patches_or_deletes_a_master(link, local, edits, policy):
    if link.organizer:
        link = sp.LinkState(organizer=False, remote_base=link.remote_base, local_base=None)
    decided = sp.from_odoo(link, local, edits, policy, owner_email=ORGANIZER)
    assert not set(decided.steps) & sp.MASTER_WRITES


@given(
    link=links,
    local=locals_,
    edits=all_edits(),
    policy=policies,
    values=event_values(),
    repeatable=st.booleans(),
    resuming=st.booleans(),
)
def test_nothing_is_written_to_outlook_under_push_none(
    *, link, local, edits, policy, values, repeatable, resuming
):
    policy = Policy(push=PushScope.NONE, private=policy.private)
    decided = sp.from_odoo(link, local, edits, policy, owner_email=ORGANIZER)
    created = sp.new_in_odoo(
        values,
        NOW,
        repeatable=repeatable,
        held=False,
        policy=policy,
        now=NOW,
        resuming=resuming,
    )
    assert not set(decided.steps + created.steps) & sp.OUTLOOK_WRITES


@given(st.one_of(st.none(), links), maybe_shapes, locals_, st.sampled_from(list(sp.Match)))
def test_an_unreadable_series_is_never_removed_on_either_side(link, shape, local, match):
    """Held, and settled: the Odoo side is not looked at either this run."""
    decided = sp.from_outlook(link, sp.Remote.UNREADABLE, shape, local, match=match)
    assert decided.steps == (Step.HOLD,) and decided.settled


@given(links, maybe_shapes, locals_, all_edits(), policies)
def test_a_series_gone_on_one_side_is_removed_on_the_other_exactly_once(
    link, shape, local, edits, policy
):
    gone_in_outlook = sp.from_outlook(link, sp.Remote.GONE, shape, local)
    assert gone_in_outlook.settled  # Odoo's side is not looked at: nothing sent back
    expected = (Step.REMOVE_LOCAL,) if local.present else (Step.FORGET,)
    assert gone_in_outlook.steps == expected
    gone_in_odoo = sp.from_odoo(link, sp.GONE_LOCALLY, edits, policy, owner_email=ORGANIZER)
    if policy.push is PushScope.NONE:
        assert gone_in_odoo.steps == (Step.FORGET,)
    else:
        removal = Step.REMOVE_REMOTE if link.organizer else Step.DECLINE_REMOTE
        assert gone_in_odoo.steps == (removal,)


@given(outlook_plans())
def test_outlook_side_changes_never_write_outlook(decided):
    assert not set(decided.steps) & sp.OUTLOOK_WRITES
    assert len(decided.steps) <= 1


@given(links, shapes(), st.builds(sp.Local, present=st.just(True), state=states, shape=shapes()))
def test_a_shape_changed_in_outlook_rebuilds_odoo_unless_odoo_holds_it(link, shape, local):
    decided = sp.from_outlook(link, sp.Remote.SEEN, shape, local)
    if shape == link.remote_base:
        assert decided.steps == (Step.PAIR,) and not decided.settled
    elif shape == local.shape:
        assert decided.steps == (Step.REPAIR,) and decided.settled
    else:
        assert decided.steps == (Step.REBUILD_LOCAL,) and decided.settled


@given(st.sampled_from(list(sp.Match)), maybe_shapes)
def test_an_outlook_series_not_linked_is_paired_held_or_created(match, shape):
    decided = sp.from_outlook(None, sp.Remote.SEEN, shape, match=match)
    expected = {
        sp.Match.ONE: Step.PAIR,
        sp.Match.SEVERAL: Step.HOLD,
        sp.Match.NONE: Step.CREATE_LOCAL,
    }[match]
    assert decided.steps == (expected,)


@given(links, shapes(), shapes(), policies)
def test_a_shape_changed_in_odoo_patches_the_master_for_the_organizer_only(
    link, local_shape, base_shape, policy
):
    link = sp.LinkState(
        organizer=link.organizer, remote_base=base_shape, local_base={"rule": "old"}
    )
    local = sp.Local(present=True, state={"rule": "new"}, shape=local_shape)
    decided = sp.from_odoo(link, local, None, policy, owner_email=ORGANIZER)
    patches = link.organizer and local_shape != base_shape and policy.push is not PushScope.NONE
    assert decided.steps == ((Step.REBUILD_REMOTE,) if patches else (Step.REPAIR,))


def test_a_rule_outlook_cannot_repeat_is_held():
    link = sp.LinkState(organizer=True, remote_base=None, local_base={"rule": "old"})
    local = sp.Local(present=True, state={"rule": "new"}, shape=None)
    assert sp.from_odoo(link, local, None, Policy(), owner_email=ORGANIZER).steps == (Step.HOLD,)


@given(event_values(), st.sampled_from(sorted(sp.SERIES_WIDE_FIELDS - {"attendees"})))
def test_the_same_edit_of_every_occurrence_is_one_edit_of_the_master(values, field):
    other = {"name": "other", "description_html": "<p>z</p>", "location": "Room 9"}
    other |= {"show_as": "oof", "privacy": "confidential", "reminder_minutes": 999}
    after = values.replace(**{field: other[field]})
    assume(after != values)
    edits = [sp.Edit(before=values, after=after)] * 3
    link = sp.LinkState(organizer=True, remote_base=None, local_base=None)
    local = sp.Local(present=True, state=None)
    decided = sp.from_odoo(link, local, edits, Policy(), owner_email=ORGANIZER)
    assert decided.steps == (Step.EDIT_REMOTE,)
    assert decided.fields == {field} and decided.values == after
    differing = [*edits, sp.Edit(before=values, after=values.replace(name="third"))]
    assert not sp.from_odoo(link, local, differing, Policy(), owner_email=ORGANIZER).steps


@given(event_values())
def test_the_same_new_answer_on_every_occurrence_is_one_reply(values):
    me = "me@example.org"
    values = values.replace(attendees=(Attendee(email=me, name="", response="needsAction"),))
    accepted = values.replace(attendees=(Attendee(email=me, name="", response="accepted"),))
    link = sp.LinkState(organizer=False, remote_base=None, local_base=None)
    local = sp.Local(present=True, state=None)
    edits = [sp.Edit(before=values, after=accepted)] * 2
    decided = sp.from_odoo(link, local, edits, Policy(), owner_email=me)
    assert decided.steps == (Step.REPLY_REMOTE,) and decided.response == "accepted"
    mixed = [*edits, sp.Edit(before=values, after=values)]
    assert not sp.from_odoo(link, local, mixed, Policy(), owner_email=me).steps


@given(
    values=event_values(),
    repeatable=st.booleans(),
    held=st.booleans(),
    resuming=st.booleans(),
    policy=policies,
    days=st.integers(-3, 3),
)
def test_a_new_odoo_series_is_created_once_or_sent_as_single_events(
    *, values, repeatable, held, resuming, policy, days
):
    decided = sp.new_in_odoo(
        values,
        NOW + timedelta(days=days),
        repeatable=repeatable,
        held=held,
        policy=policy,
        now=NOW,
        resuming=resuming,
    )
    past = policy.push is PushScope.FUTURE and days < 0
    if held or resuming or policy.push is PushScope.NONE or past:
        assert not decided.steps
    elif not repeatable:
        assert decided.steps == (Step.SINGLES,)
    else:
        assert decided.steps in ((Step.CREATE_REMOTE,), ())
        assert (decided.values is None) == (not decided.steps)
