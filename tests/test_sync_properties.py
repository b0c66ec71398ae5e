"""Property-based end-to-end sync: random edits on both sides, faults, crashes (DESIGN §3).

A Hypothesis ``RuleBasedStateMachine`` (like vdirsyncer's ``SyncMachine``) drives a real Odoo
database and the Graph emulator: Alice and Bob, both connected, create, edit, move, delete and
invite in Odoo and in Outlook, reply to each other's meetings, while faults (429 with a short
``Retry-After``, 503, 500, connections dropped before or after a ``$batch`` applies, 410 delta,
expired access tokens, revoked refresh tokens) and crashes of the sync (its transaction rolled
back after Graph applied its writes) come between syncs. Each example runs inside a savepoint of
the HttpCase's transaction, on a freshly reset emulator with both users connected again.

Every event carries a unique key at the start of its name (``E3:v0``; renames keep the key), so
both sides can be searched per event without trusting the sync's own links. The machine keeps a
model of what each side holds and what they held after the last clean sync (the *base*), and
checks, after every clean sync of the organizer's account, the three-way merge rule: a field
edited on one side only ends with that edit; edited on both sides it ends with one of the two
edits and the organizer's sync log records the conflict; an event deleted on one side is gone
unless the other side edited it. Invariants after every step: no duplicate on either side.
The ``settle`` rule stops the faults and syncs each account at most twice, then both sides must
agree on every compared field (Outlook copies of invited users included) and a further, quiet
sync must send no write.

Profiles: ``dev`` (default), ``ci`` (loaded by Hypothesis itself when ``CI`` is set) and
``soak`` (``HYPOTHESIS_PROFILE=soak``, ``make soak``); the run's figures are printed at the end.
"""

import html
import os
import re
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from odoo import fields
from odoo.tests import tagged

from ..services import mapping
from .common import ALICE, BOB, OutlookHttpCase, graph_time, sync_counts

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
    "print_blob": True,
}
settings.register_profile("dev", max_examples=50, stateful_step_count=20, **_COMMON)
# ci: 3 s an example on a quiet machine, up to 10 s on a loaded one: make test's machine stays
# around a minute, under 3 when the machine is busy.
settings.register_profile(
    "ci", max_examples=20, stateful_step_count=20, derandomize=True, database=None, **_COMMON
)
# soak: 5,000 examples (hours); SOAK_EXAMPLES=n runs a bounded part.
settings.register_profile(
    "soak",
    max_examples=int(os.environ.get("SOAK_EXAMPLES") or 5000),
    stateful_step_count=30,
    **_COMMON,
)
PROFILES = ("dev", "ci", "soak")

MAILBOX = {"alice": ALICE, "bob": BOB}
LOGINS = ("alice", "bob")
SIDES = ("odoo", "outlook")
OTHER = {"alice": "bob", "bob": "alice"}
UNITS = ("name", "when", "location", "description", "show_as", "privacy")
# The field name the sync log gives a conflict of each unit.
CONFLICT_FIELD = {unit: unit for unit in UNITS} | {"description": "description_html"}
# An invited user's Outlook copy keeps its own showAs (as Exchange does).
GUEST_COPY_UNITS = tuple(unit for unit in UNITS if unit != "show_as")
REPLIES = {"accepted": "accept", "tentative": "tentativelyAccept", "declined": "decline"}
ODOO_REPLIES = {"accepted": "do_accept", "tentative": "do_tentative", "declined": "do_decline"}
FIRST_DAY = date.today() + timedelta(days=2)

FIGURES = Counter()
"""What the run did, printed at the end: examples, syncs, faults, crashes and violations."""


def active_profile():
    """``HYPOTHESIS_PROFILE`` if set, else ``ci`` when Hypothesis loaded it (``CI`` set), else
    ``dev``."""
    name = os.environ.get("HYPOTHESIS_PROFILE") or settings.get_current_profile_name()
    return settings.get_profile(name if name in PROFILES else "dev")


# ----------------------------------------------------------------------
# Values: one normalised value per compared unit, whichever side it comes from
# ----------------------------------------------------------------------


def units_of(values):
    """The compared units of an ``EventValues`` (Odoo's or Outlook's)."""
    if values.allday:
        when = ("allday", values.start_date, values.stop_date)
    else:
        when = ("timed", values.start.replace(tzinfo=None), values.stop.replace(tzinfo=None))
    return {
        "name": values.name,
        "when": when,
        "location": values.location,
        "description": plain_text(values.description_html),
        "show_as": values.show_as,
        "privacy": values.privacy,
    }


def plain_text(body):
    """The words of an HTML body: Odoo sanitises it, Outlook wraps it in a document."""
    text = re.sub(r"<head>.*?</head>|<[^>]+>", " ", body or "", flags=re.S)
    return " ".join(html.unescape(text).split())


def odoo_write_vals(unit, value):
    """``calendar.event`` values that set ``unit`` to ``value``, as a user would."""
    if unit == "when":
        kind, first, last = value
        if kind == "timed":
            return {"allday": False, "start": first, "stop": last}
        return {
            "allday": True,
            "start": datetime.combine(first, time(8)),
            "stop": datetime.combine(last, time(18)),
            "start_date": first,
            "stop_date": last,
        }
    if unit == "description":
        return {"description": f"<p>{value}</p>"}
    return {unit: value}


def graph_changes(unit, value):
    """Graph event properties that set ``unit`` to ``value``, as a user would in Outlook."""
    if unit == "when":
        kind, first, last = value
        if kind == "timed":
            return {"isAllDay": False, "start": graph_time(first), "end": graph_time(last)}
        return {
            "isAllDay": True,
            "start": graph_time(datetime.combine(first, time(0))),
            "end": graph_time(datetime.combine(last + timedelta(days=1), time(0))),
        }
    return {
        "name": {"subject": value},
        "description": {"body": {"contentType": "text", "content": value}},
        "location": {"location": {"displayName": value}},
        "show_as": {"showAs": value},
        "privacy": {"sensitivity": {"public": "normal"}.get(value, value)},
    }[unit]


@st.composite
def whens(draw):
    """A time in the sync window: timed (1 to 3 hours) or all-day (1 or 2 days)."""
    day = FIRST_DAY + timedelta(days=draw(st.integers(0, 20)))
    if draw(st.booleans()):
        return ("allday", day, day + timedelta(days=draw(st.integers(0, 1))))
    start = datetime.combine(day, time(draw(st.integers(6, 18)), draw(st.sampled_from((0, 30)))))
    return ("timed", start, start + timedelta(hours=draw(st.integers(1, 3))))


FAULTS = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.just("status"),
            "status": st.just(429),
            "retry_after": st.sampled_from((0.01, 0.1, 0.5)),
            "count": st.integers(1, 3),
            "path_contains": st.just("/v1.0/"),
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("status"),
            "status": st.just(503),
            "retry_after": st.just(0.05),
            "count": st.integers(1, 2),
            "path_contains": st.just("/v1.0/"),
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("status"),
            "status": st.just(500),
            "path_contains": st.sampled_from(("/v1.0/", "$batch", "delta")),
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(("drop_before", "drop_after")),
            "method": st.just("POST"),
            "path_contains": st.just("$batch"),
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("status_after"),
            "status": st.sampled_from((503, 504)),
            "method": st.just("POST"),
            "path_contains": st.just("$batch"),
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("status_after"),
            "status": st.sampled_from((503, 504)),
            "method": st.sampled_from(("POST", "PATCH")),
            "path_contains": st.sampled_from(("/events", "/accept", "/decline", "Accept")),
        }
    ),
)


# ----------------------------------------------------------------------
# The model of one event
# ----------------------------------------------------------------------


@dataclass
class Tracked:
    """What the machine knows of one event (found on both sides by its ``key``).

    ``base`` holds the units after the last clean sync of the organizer's account (``None``:
    never synced); ``now`` what each side holds since, after the users' own edits; ``exists``
    and ``deleted`` say on which side the event is there or was deleted by a user. ``shared``:
    another user was invited (the event's fate then also depends on that user's syncs).
    ``log_mark``: the last sync log id when ``base`` was taken (conflicts are searched after).
    ``orphan``: the units of the Outlook copy a failed or crashed sync left behind (created, no
    link in Odoo) once something changed it after its creation (``None`` while untouched).
    """

    key: str
    organizer: str
    created_on: str
    created: dict
    now: dict
    base: dict | None = None
    exists: set = field(default_factory=set)
    deleted: set = field(default_factory=set)
    shared: bool = False
    orphan: dict | None = None
    log_mark: int = 0
    renames: int = 0

    def changed(self, side):
        return any(self.now[side][unit] != self.base[unit] for unit in UNITS)

    def expected(self):
        """(alive, {unit: value}, {unit: (odoo value, outlook value)}) after the next clean sync
        of the organizer's account: the merge rule of DESIGN §3.3 and §3.6."""
        if self.base is None:
            # The copy a failed sync left in Outlook: untouched, it holds what was sent, so the
            # Odoo edits and deletion made since win (test_odoo_edit_after_a_lost_create_answer_
            # is_kept, test_odoo_deletion_after_a_crashed_create_reaches_outlook); changed
            # since, it is an edit: it wins over a deletion, and competes with each Odoo edit.
            if self.orphan and self.created_on in self.deleted:
                return True, dict(self.orphan), {}
            values = dict(self.now[self.created_on])
            contested = {
                unit: (values[unit], self.orphan[unit])
                for unit in UNITS
                if self.orphan and values[unit] != self.orphan[unit]
            }
            return self.created_on not in self.deleted, values, contested
        if self.deleted == {"odoo", "outlook"}:
            return False, {}, {}
        if self.deleted:
            survivor = OTHER_SIDE[next(iter(self.deleted))]
            return self.changed(survivor), dict(self.now[survivor]), {}
        values, contested = {}, {}
        for unit in UNITS:
            mine, theirs, base = self.now["odoo"][unit], self.now["outlook"][unit], self.base[unit]
            if base not in (mine, theirs) and mine != theirs:
                contested[unit] = (mine, theirs)
            values[unit] = mine if mine != base else theirs
        return True, values, contested

    def rebase(self, units, log_mark):
        self.base = dict(units)
        self.now = {"odoo": dict(units), "outlook": dict(units)}
        self.exists = {"odoo", "outlook"}
        self.deleted = set()
        self.log_mark = log_mark


OTHER_SIDE = {"odoo": "outlook", "outlook": "odoo"}


class SyncMachine(RuleBasedStateMachine):
    """Random edits of Alice's and Bob's calendars on both sides, faults, crashes and syncs.

    ``case`` (the running ``OutlookHttpCase``) is set by the test before the run.
    """

    case = None

    def __init__(self):
        super().__init__()
        self.env = self.case.env
        self.emulator = self.case.emulator
        self._savepoint = self.env.cr.savepoint()
        self.events = {}
        self.key_count = 0  # keys are never reused: gone events leave ``events``
        self.faults_armed = False

    @initialize()
    def connect_both_users(self):
        """A fresh emulator, both users connected and past their (empty) first sync."""
        FIGURES["examples"] += 1
        self.emulator.reset()
        self.users = {"alice": self.case.user_alice, "bob": self.case.user_bob}
        self.accounts = {}
        for login in ("alice", "bob"):
            self.case.connect(login, MAILBOX[login])
            self.accounts[login] = self.case.account_of(self.users[login])
            self.sync_and_check(login, must_succeed=True)

    def teardown(self):
        FIGURES["faults_applied"] += self.emulator.counters()["faults_applied"]
        self._savepoint.close()
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # Finding an event on each side by its key
    # ------------------------------------------------------------------

    def odoo_copies(self, key):
        return (
            self.env["calendar.event"]
            .with_context(active_test=True)
            .search([("name", "=like", f"{key}:%")])
        )

    def outlook_copies(self, mailbox, key):
        return [
            event
            for event in self.emulator.events(mailbox)
            if not event.get("isCancelled") and event["subject"].startswith(f"{key}:")
        ]

    def odoo_event(self, tracked):
        return self.odoo_copies(tracked.key)[:1]

    def outlook_event(self, tracked, login=None):
        copies = self.outlook_copies(MAILBOX[login or tracked.organizer], tracked.key)
        return copies[0] if copies else None

    def pick(self, data, side, shared=None):
        """An event that exists on ``side`` per the model (``shared``: invited or not)."""
        keys = sorted(
            key
            for key, tracked in self.events.items()
            if side in tracked.exists and (shared is None or tracked.shared == shared)
        )
        return self.events[data.draw(st.sampled_from(keys))] if keys else None

    def has(self, side, shared=None):
        return any(
            side in t.exists and (shared is None or t.shared == shared)
            for t in self.events.values()
        )

    # ------------------------------------------------------------------
    # Users' edits
    # ------------------------------------------------------------------

    def new_units(self, data, key):
        return {
            "name": f"{key}:v0",
            "when": data.draw(whens()),
            "location": data.draw(st.sampled_from(("", "Room 1", "Room 2"))),
            "description": data.draw(st.sampled_from(("", "agenda", "bring numbers"))),
            "show_as": data.draw(st.sampled_from(("busy", "free"))),
            "privacy": data.draw(st.sampled_from(("public", "private", "confidential"))),
        }

    def new_value(self, data, tracked, side, unit):
        """A value of ``unit`` that differs from what ``side`` holds."""
        current = tracked.now[side][unit]
        if unit == "name":
            tracked.renames += 1
            return f"{tracked.key}:v{tracked.renames}"
        if unit == "when":
            return data.draw(whens().filter(lambda when: when != current))
        choices = {
            "location": ("", "Room 1", "Room 2", "Room 3"),
            "description": ("", "agenda", "bring numbers", "moved online"),
            "show_as": ("busy", "free"),
            "privacy": ("public", "private", "confidential"),
        }[unit]
        return data.draw(st.sampled_from([value for value in choices if value != current]))

    @rule(data=st.data(), side=st.sampled_from(SIDES), organizer=st.sampled_from(LOGINS))
    def create(
        self, data, side, organizer
    ):  # a rule, not a model. pylint: disable=method-required-super
        self.key_count += 1
        key = f"E{self.key_count}"
        self.create_event(side, organizer, self.new_units(data, key))

    @precondition(lambda self: self.has("odoo") or self.has("outlook"))
    @rule(data=st.data(), side=st.sampled_from(SIDES), unit=st.sampled_from(UNITS))
    def edit(self, data, side, unit):
        tracked = self.pick(data, side)
        if tracked:
            self.edit_event(tracked, side, unit, self.new_value(data, tracked, side, unit))

    @precondition(lambda self: self.has("odoo") or self.has("outlook"))
    @rule(data=st.data(), side=st.sampled_from(SIDES))
    def delete(self, data, side):
        tracked = self.pick(data, side)
        if tracked:
            self.delete_event(tracked, side)

    def create_event(self, side, organizer, units):
        """``organizer`` creates an event with ``units`` in Odoo or in Outlook."""
        key = units["name"].split(":")[0]
        if side == "odoo":
            vals = {
                "user_id": self.users[organizer].id,
                "partner_ids": [fields.Command.set(self.users[organizer].partner_id.ids)],
            }
            for unit in UNITS:
                vals.update(odoo_write_vals(unit, units[unit]))
            self.env["calendar.event"].create(vals)
        else:
            body = {}
            for unit in UNITS:
                body.update(graph_changes(unit, units[unit]))
            self.emulator.create_event(MAILBOX[organizer], body)
        self.events[key] = Tracked(
            key=key,
            organizer=organizer,
            created_on=side,
            created=dict(units),
            now={side: dict(units)},
            exists={side},
        )
        return self.events[key]

    def edit_event(self, tracked, side, unit, value):
        """The organizer sets ``unit`` to ``value`` on ``side`` (when the event is there)."""
        if side == "odoo":
            event = self.odoo_event(tracked)
            if not event:
                return
            event.write(odoo_write_vals(unit, value))
        else:
            copy = self.outlook_event(tracked)
            if not copy:
                return
            self.emulator.update_event(
                MAILBOX[tracked.organizer], copy["id"], graph_changes(unit, value)
            )
        tracked.now[side][unit] = value

    def delete_event(self, tracked, side):
        """The organizer deletes the event on ``side`` (when it is there)."""
        if side == "odoo":
            event = self.odoo_event(tracked)
            if not event:
                return
            event.unlink()
        else:
            copy = self.outlook_event(tracked)
            if not copy:
                return
            self.emulator.delete_event(MAILBOX[tracked.organizer], copy["id"])
        tracked.exists.discard(side)
        tracked.deleted.add(side)

    @precondition(lambda self: self.has("odoo", shared=False))
    @rule(data=st.data())
    def invite_in_odoo(self, data):
        """The organizer adds the other user to the meeting in Odoo."""
        self.invite_odoo_guest(self.pick(data, "odoo", shared=False))

    def invite_odoo_guest(self, tracked):
        event = self.odoo_event(tracked)
        if not event:
            return
        guest = self.users[OTHER[tracked.organizer]]
        event.write({"partner_ids": [fields.Command.link(guest.partner_id.id)]})
        tracked.shared = True

    @precondition(lambda self: self.has("outlook", shared=False))
    @rule(data=st.data())
    def invite_in_outlook(self, data):
        """The organizer adds the other user to the meeting in Outlook."""
        tracked = self.pick(data, "outlook", shared=False)
        copy = self.outlook_event(tracked)
        if not copy:
            return
        guest = OTHER[tracked.organizer]
        attendee = {"emailAddress": {"address": MAILBOX[guest], "name": guest.title()}}
        self.emulator.update_event(
            MAILBOX[tracked.organizer],
            copy["id"],
            {"attendees": [*copy["attendees"], {**attendee, "type": "required"}]},
        )
        tracked.shared = True

    @precondition(lambda self: self.has("odoo", shared=True))
    @rule(data=st.data(), answer=st.sampled_from(sorted(REPLIES)))
    def reply_in_odoo(self, data, answer):
        """The invited user answers in Odoo."""
        tracked = self.pick(data, "odoo", shared=True)
        guest = self.users[OTHER[tracked.organizer]]
        attendee = self.odoo_event(tracked).attendee_ids.filtered(
            lambda a: a.partner_id == guest.partner_id
        )
        if attendee:
            getattr(attendee.with_user(guest), ODOO_REPLIES[answer])()

    @precondition(lambda self: self.has("outlook", shared=True))
    @rule(data=st.data(), answer=st.sampled_from(sorted(REPLIES)))
    def reply_in_outlook(self, data, answer):
        """The invited user answers in Outlook."""
        tracked = self.pick(data, "outlook", shared=True)
        guest = OTHER[tracked.organizer]
        copy = self.outlook_event(tracked, guest)
        if copy:
            self.emulator.respond(MAILBOX[guest], copy["id"], REPLIES[answer])

    # ------------------------------------------------------------------
    # Faults, crashes and syncs
    # ------------------------------------------------------------------

    @rule(fault=FAULTS)
    def inject_fault(self, fault):
        """A fault before the next sync; that sync may fail."""
        self.emulator.inject_fault(**fault)
        self.faults_armed = True
        FIGURES["faults_injected"] += 1

    @rule(login=st.sampled_from(LOGINS))
    def lose_delta_state(self, login):
        """Graph forgets the delta token (410): the next sync resyncs in full."""
        self.emulator.expire_delta_tokens(MAILBOX[login])
        FIGURES["faults_injected"] += 1

    @rule(login=st.sampled_from(LOGINS))
    def fail_calendar_list(self, login):
        """Outlook stops listing the mailbox's calendars (as for outlook.com accounts in 2025):
        syncs and a reconnect go on without the list."""
        self.emulator.fail_calendar_list(MAILBOX[login])
        FIGURES["faults_injected"] += 1

    @rule(login=st.sampled_from(LOGINS))
    def expire_access_token(self, login):
        """The access token expires: the client refreshes it once, the sync goes on."""
        self.emulator.expire_access_tokens(MAILBOX[login])
        FIGURES["faults_injected"] += 1

    @rule(login=st.sampled_from(LOGINS))
    def revoke_consent_and_reconnect(self, login):
        """Microsoft revokes the sign-in: the sync stops and asks to reconnect; then it does."""
        self.emulator.clear_faults()
        self.faults_armed = False
        self.emulator.revoke_refresh_tokens(MAILBOX[login])
        self.emulator.expire_access_tokens(MAILBOX[login])
        FIGURES["faults_injected"] += 1
        log = self.accounts[login]._sync()
        FIGURES["syncs"] += 1
        FIGURES["failed_syncs"] += 1
        self.case.assertEqual(log.state, "failed")
        self.case.assertEqual(self.accounts[login].state, "needs_reauth")
        self.case.connect(login, MAILBOX[login])
        self.case.assertEqual(self.accounts[login].state, "active")

    @rule(login=st.sampled_from(LOGINS))
    def sync(self, login):
        self.sync_and_check(login, must_succeed=not self.faults_armed)

    @rule(login=st.sampled_from(LOGINS))
    def crash_during_sync(self, login):
        """The sync runs, Graph applies its writes, then the process dies before the commit."""
        with closing(self.env.cr.savepoint()):
            self.accounts[login]._sync()
        self.env.invalidate_all()
        FIGURES["crashes"] += 1

    @rule()
    def settle(self):
        """The faults still armed hit one sync of each account; then they stop, at most two
        syncs of each account make both sides agree, and a quiet sync after them writes
        nothing."""
        if self.faults_armed:
            for login in LOGINS:
                self.sync_and_check(login, must_succeed=False)
        self.emulator.clear_faults()
        self.faults_armed = False
        for login in ("alice", "bob", "alice", "bob"):
            self.sync_and_check(login, must_succeed=True)
        self.check_convergence()
        writes = self.emulator.counters()["writes"]
        for login in ("alice", "bob"):
            log = self.sync_and_check(login, must_succeed=True)
            changed = {name: count for name, count in sync_counts(log).items() if count}
            self.case.assertEqual(changed, {}, f"the quiet sync of {login} changed something")
        self.case.assertEqual(self.emulator.counters()["writes"], writes, "a quiet sync wrote")
        FIGURES["settles"] += 1

    def sync_and_check(self, login, *, must_succeed):
        """Sync ``login``'s account; after a clean run, check every event it organizes."""
        mark = self.last_log_id()
        for tracked in self.events.values():
            if tracked.base is None and tracked.created_on == "odoo":
                copy = self.outlook_event(tracked)
                changed = copy and not mapping.read_event(copy).unmodified_since_created
                tracked.orphan = self.outlook_units(copy, tracked.organizer) if changed else None
        log = self.accounts[login]._sync()
        FIGURES["syncs"] += 1
        if log.state == "failed":
            FIGURES["failed_syncs"] += 1
        if must_succeed:
            self.case.assertNotEqual(log.state, "failed", f"{login}: {log.errors}")
        if log.state == "done":
            for tracked in list(self.events.values()):
                if tracked.organizer == login:
                    self.check_merge(tracked, mark)
        return log

    def last_log_id(self):
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM outlook_sync_log")
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------

    def check_merge(self, tracked, mark):
        """After a clean sync of the organizer: the event lives or not as the merge rule says,
        with the values it says; a field edited on both sides was a logged conflict."""
        alive, values, contested = tracked.expected()
        event = self.odoo_event(tracked)
        copy = self.outlook_event(tracked)
        if tracked.shared and bool(event) != bool(copy):
            return  # the invited user's sync has its say too: checked by ``settle``
        if not tracked.shared:
            self.violation(
                "lost_edits",
                (bool(event), bool(copy)) == (alive, alive),
                f"{tracked.key}: expected {'alive' if alive else 'gone'} on both sides, "
                f"Odoo has {len(event)}, Outlook has {int(bool(copy))}",
            )
        if not (event and copy):
            del self.events[tracked.key]
            return
        odoo_units = units_of(event._outlook_read_values())
        self.check_same(tracked.key, odoo_units, self.outlook_units(copy, tracked.organizer))
        for unit, value in values.items():
            if unit in contested:
                continue
            self.violation(
                "lost_edits",
                odoo_units[unit] == value,
                f"{tracked.key}: {unit} is {odoo_units[unit]!r}, the last edit was {value!r}",
            )
        for unit, candidates in contested.items():
            self.violation(
                "lost_edits",
                odoo_units[unit] in candidates,
                f"{tracked.key}: {unit} is {odoo_units[unit]!r}, neither edit {candidates!r}",
            )
            self.violation(
                "lost_edits",
                self.conflict_logged(tracked, unit),
                f"{tracked.key}: {unit} edited on both sides {candidates!r}, no conflict logged",
            )
        tracked.rebase(odoo_units, mark)

    def conflict_logged(self, tracked, unit):
        logs = self.env["outlook.sync.log"].search(
            [
                ("account_id", "=", self.accounts[tracked.organizer].id),
                ("id", ">", tracked.log_mark),
            ]
        )
        return any(
            conflict["field"] == CONFLICT_FIELD[unit]
            and conflict["event"].startswith(f"{tracked.key}:")
            for log in logs
            for conflict in log.conflicts or ()
        )

    def outlook_units(self, copy, login):
        return units_of(mapping.from_graph(copy, owner_email=MAILBOX[login]))

    def check_same(self, key, odoo_units, outlook_units, units=UNITS):
        for unit in units:
            self.violation(
                "divergences",
                odoo_units[unit] == outlook_units[unit],
                f"{key}: {unit} is {odoo_units[unit]!r} in Odoo, {outlook_units[unit]!r} in Outlook",
            )

    def check_convergence(self):
        """Every event is on both sides or on none, with the same values in Odoo, in the
        organizer's mailbox and in the invited user's copy, and the same answers."""
        for tracked in list(self.events.values()):
            event = self.odoo_event(tracked)
            copy = self.outlook_event(tracked)
            self.violation(
                "divergences",
                bool(event) == bool(copy),
                f"{tracked.key}: in Odoo {bool(event)}, in Outlook {bool(copy)}",
            )
            if not (event and copy):
                del self.events[tracked.key]
                continue
            odoo_values = event._outlook_read_values()
            odoo_units = units_of(odoo_values)
            self.check_same(tracked.key, odoo_units, self.outlook_units(copy, tracked.organizer))
            tracked.rebase(odoo_units, self.last_log_id())
            self.check_guest(tracked, event, odoo_values, odoo_units, copy)

    def check_guest(self, tracked, event, odoo_values, odoo_units, copy):
        """The invited user: linked to the same Odoo event, an Outlook copy with the same
        values, and one answer everywhere."""
        login = OTHER[tracked.organizer]
        guest = MAILBOX[login]
        odoo_answer = next((a.response for a in odoo_values.attendees if a.email == guest), None)
        organizer_view = mapping.from_graph(copy, owner_email=MAILBOX[tracked.organizer])
        outlook_answer = next(
            (a.response for a in organizer_view.attendees if a.email == guest), None
        )
        self.violation(
            "divergences",
            odoo_answer == outlook_answer,
            f"{tracked.key}: {login} answered {odoo_answer!r} in Odoo, {outlook_answer!r} "
            "in the organizer's Outlook",
        )
        guest_copy = self.outlook_event(tracked, login)
        self.violation(
            "divergences",
            (odoo_answer is not None) == bool(guest_copy),
            f"{tracked.key}: {login} invited in Odoo: {odoo_answer is not None}, "
            f"has an Outlook copy: {bool(guest_copy)}",
        )
        if not guest_copy:
            return
        guest_view = mapping.from_graph(guest_copy, owner_email=guest)
        self.check_same(tracked.key, odoo_units, units_of(guest_view), GUEST_COPY_UNITS)
        own_answer = next((a.response for a in guest_view.attendees if a.email == guest), None)
        self.violation(
            "divergences",
            own_answer == odoo_answer,
            f"{tracked.key}: {login}'s own copy says {own_answer!r}, Odoo {odoo_answer!r}",
        )
        self.violation(
            "divergences",
            self.accounts[login].link_ids.filtered(lambda link: link.event_id == event),
            f"{tracked.key}: {login}'s copy is not linked to the Odoo event",
        )

    @invariant()
    def no_duplicates(self):
        """Never two copies of one event: in Odoo, in each mailbox (by key and by iCalUId),
        nor two links of one account to one event."""
        if not hasattr(self, "accounts"):
            return
        FIGURES["duplicate_checks"] += 1
        for key in self.events:
            self.violation("duplicates", len(self.odoo_copies(key)) <= 1, f"{key} twice in Odoo")
        for mailbox in MAILBOX.values():
            events = [ev for ev in self.emulator.events(mailbox) if not ev.get("isCancelled")]
            keys = Counter(ev["subject"].split(":")[0] for ev in events)
            uids = Counter(ev["iCalUId"] for ev in events)
            self.violation(
                "duplicates",
                max(keys.values(), default=0) <= 1 and max(uids.values(), default=0) <= 1,
                f"duplicates in {mailbox}: {keys.most_common(2)} {uids.most_common(2)}",
            )
        for account in self.accounts.values():
            linked = Counter(account.link_ids.event_id.ids)
            self.violation(
                "duplicates",
                max(linked.values(), default=0) <= 1,
                f"an event linked twice to {account.mailbox_address}",
            )

    def violation(self, kind, holds, message):
        """Assert ``holds``; count the violations of each kind for the figures."""
        if not holds:
            FIGURES[f"{kind}_found"] += 1
        self.case.assertTrue(holds, message)


@tagged("post_install", "-at_install")
class TestSyncProperties(OutlookHttpCase):
    def run_machine(self, machine_settings):
        SyncMachine.case = self
        run_state_machine_as_test(SyncMachine, settings=machine_settings)

    def replay(self, steps):
        """Run the steps of a pinned example, then the invariant (its figures are not those of
        the random run)."""
        SyncMachine.case = self
        figures = FIGURES.copy()
        machine = SyncMachine()
        try:
            machine.connect_both_users()
            steps(machine)
            # Hypothesis checks the invariant after each step; a replay checks it at the end.
            machine.no_duplicates()
        finally:
            machine.teardown()
            FIGURES.clear()
            FIGURES.update(figures)

    def test_random_edits_faults_and_crashes_converge(self):
        """Any sequence of edits on both sides, faults, crashes and syncs: after the faults stop
        and two syncs per account both sides agree, nothing is duplicated, no edit is lost but
        by the logged newest-wins rule, and a quiet sync writes nothing."""
        profile = active_profile()
        try:
            self.run_machine(profile)
        finally:
            print_figures(settings.get_current_profile_name(), profile)

    def test_odoo_edit_after_a_lost_create_answer_is_kept(self):
        """Alice creates E1 in Odoo; the sync's $batch creates it in Outlook but the
        connection drops before the answer (the sync fails, Odoo rolls back, no link). Alice
        renames it in Odoo. The next sync finds the Outlook copy by its transactionId:
        untouched in Outlook since its creation, it holds what was sent, so the rename is the
        only change and reaches both sides."""

        def steps(machine):
            event = machine.create_event("odoo", "alice", pinned_units("E1"))
            machine.inject_fault(
                {"kind": "drop_after", "method": "POST", "path_contains": "$batch"}
            )
            machine.sync("alice")
            machine.edit_event(event, "odoo", "name", "E1:v1")
            machine.settle()

        self.replay(steps)

    def test_odoo_rename_after_a_crashed_create_is_no_conflict(self):
        """Bob's sync creates E1 in Outlook and crashes; Bob renames E1 in Odoo. The untouched
        copy holds what was sent: the rename is the only change, not a conflict to log."""

        def steps(machine):
            units = pinned_units("E1")
            units["when"] = ("allday", FIRST_DAY, FIRST_DAY)
            event = machine.create_event("odoo", "bob", units)
            machine.crash_during_sync("bob")
            machine.edit_event(event, "odoo", "name", "E1:v1")
            machine.settle()

        self.replay(steps)

    def test_meeting_deleted_in_odoo_then_shared_in_outlook_is_not_duplicated(self):
        """Bob deletes E1 in Odoo, then invites Alice to it in Outlook before his next sync.
        Alice's sync imports the invitation; Bob's then sees his Outlook edit win over the
        Odoo deletion: his link takes the event Alice's sync made, and no second E1 reaches
        Odoo or, from Bob's mailbox, Outlook."""

        def steps(machine):
            units = pinned_units("E1")
            units["when"] = ("allday", FIRST_DAY, FIRST_DAY)
            event = machine.create_event("odoo", "bob", units)
            machine.settle()
            machine.delete_event(event, "odoo")
            machine.invite_in_outlook(Drawn("E1"))
            machine.settle()

        self.replay(steps)

    def test_organizer_edit_in_both_places_is_a_conflict_whoever_syncs_first(self):
        """Bob's E1, Alice invited; Bob moves it to Room 1 in Outlook and to Room 3 in Odoo.
        Alice's sync, first, leaves that field to Bob's link (an attendee's link does not take
        the organizer's fields), which logs the conflict and keeps the newest (Room 3)."""

        def steps(machine):
            event = machine.create_event("odoo", "bob", pinned_units("E1"))
            machine.invite_odoo_guest(event)
            machine.settle()
            machine.edit_event(event, "outlook", "location", "Room 1")
            machine.edit_event(event, "odoo", "location", "Room 3")
            machine.settle()

        self.replay(steps)

    def test_organizer_edit_after_a_crashed_invitation_is_kept(self):
        """Bob invites Alice to E1 in Odoo; his sync sends it and crashes before the commit;
        Bob makes E1 all-day in Odoo. Alice's sync, first, pairs her invitation with E1
        without a base and leaves its time to Bob's link, which sends the all-day E1."""

        def steps(machine):
            event = machine.create_event("odoo", "bob", pinned_units("E1"))
            machine.settle()
            machine.invite_odoo_guest(event)
            machine.crash_during_sync("bob")
            day = FIRST_DAY + timedelta(days=1)
            machine.edit_event(event, "odoo", "when", ("allday", day, day))
            machine.settle()

        self.replay(steps)

    def test_invitation_after_a_crashed_create_is_not_duplicated(self):
        """Bob invites Alice to E1 in Odoo; his sync creates it in Outlook (Exchange puts a
        copy in Alice's mailbox) and crashes before the commit, so no link knows the meeting's
        iCalUId. Alice's sync, first, finds her copy by organizer, name and time: no second E1
        in Odoo."""

        def steps(machine):
            event = machine.create_event("odoo", "bob", pinned_units("E1"))
            machine.invite_odoo_guest(event)
            machine.crash_during_sync("bob")
            machine.settle()

        self.replay(steps)

    def test_invitation_recreated_by_a_crashed_sync_is_not_duplicated(self):
        """As above when the meeting is created again: Bob deleted it in Outlook and invited
        Alice in Odoo (the edit wins over the deletion)."""

        def steps(machine):
            event = machine.create_event("odoo", "bob", pinned_units("E1"))
            machine.settle()
            machine.delete_event(event, "outlook")
            machine.invite_odoo_guest(event)
            machine.crash_during_sync("bob")
            machine.settle()

        self.replay(steps)

    def test_odoo_deletion_after_a_crashed_create_reaches_outlook(self):
        """Bob creates the all-day E1 in Odoo; his sync creates it in Outlook, then crashes
        before the commit (no link); Bob deletes E1 in Odoo. The untouched Outlook copy names
        this database's (deleted) event: the next sync deletes it, and it does not come back
        into Odoo."""

        def steps(machine):
            units = pinned_units("E1")
            units["when"] = ("allday", FIRST_DAY, FIRST_DAY)
            event = machine.create_event("odoo", "bob", units)
            machine.crash_during_sync("bob")
            machine.delete_event(event, "odoo")
            machine.settle()

        self.replay(steps)


class Drawn:
    """A rule's ``data`` whose every draw is ``value`` (a pinned example's choice)."""

    def __init__(self, value):
        self.value = value

    def draw(self, _strategy):
        return self.value


def pinned_units(key):
    """The values of an event created by a pinned example."""
    start = datetime.combine(FIRST_DAY, time(6))
    return {
        "name": f"{key}:v0",
        "when": ("timed", start, start + timedelta(hours=1)),
        "location": "",
        "description": "",
        "show_as": "busy",
        "privacy": "public",
    }


def print_figures(profile_name, profile):
    found = {kind: FIGURES[f"{kind}_found"] for kind in ("duplicates", "lost_edits", "divergences")}
    print(  # the figures make soak shows. pylint: disable=print-used
        f"\n[properties] profile {os.environ.get('HYPOTHESIS_PROFILE') or profile_name} "
        f"(max_examples={profile.max_examples}, steps={profile.stateful_step_count}): "
        f"{FIGURES['examples']} examples, {FIGURES['syncs']} syncs "
        f"({FIGURES['failed_syncs']} failed), {FIGURES['settles']} settles, "
        f"{FIGURES['faults_injected']} faults injected ({FIGURES['faults_applied']} applied), "
        f"{FIGURES['crashes']} crashes, {FIGURES['duplicate_checks']} duplicate checks; "
        f"found: {found['duplicates']} duplicates, {found['lost_edits']} lost edits, "
        f"{found['divergences']} divergences"
    )
