"""The series part of a sync run: Odoo recurrences <-> Outlook series masters, the doing half.

``services.series_plan`` decides what each series needs; this module gathers the planner's
inputs (the link, the master read once as a ``services.series.SeriesMaster``, the Odoo
recurrence, the occurrences edited in Odoo) and carries the decisions out, working with a
``SeriesContext`` (what it needs of the run), not the run itself.

``SeriesSync.sync`` runs after the run has read Outlook and before it plans the single events.
It settles every series whose *shape* (pattern, first start, duration) is new or changed on
either side: Outlook's changes first (create, rebuild or archive the Odoo recurrence), then
Odoo's, whose Outlook writes (delete or decline the master, patch its shape, a series-wide edit
or reply) go in one ``services.outbox.Outbox``; then it pairs the Graph occurrences in the
window with the recurrence's Odoo events by their original start
(``services.series.pair_occurrences``), each pair an ``outlook.event.link`` whose base says "in
sync". It has to run before the single events' plan: that plan treats occurrences like single
events (an edit of one becomes an exception, a deletion cancels that occurrence, a reply
answers that occurrence), so their links must be right first. ``SeriesSync.apply`` runs in the
run's apply phase, after the single events' writes: it creates the masters of new Odoo
recurrences (through the outbox) and pairs their occurrences.

A series one side cannot repeat (``UnsupportedRecurrence``) is not linked as a series: its
occurrences travel as single events, each linked to its occurrence, and the log says why.
"""

import dataclasses
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models.calendar_event import when_vals
from ..services import mapping, series, series_plan
from ..services import recurrence as rec
from ..services.details import sent_to_outlook
from ..services.errors import (
    GraphError,
    MalformedEvent,
    NotFound,
    SnapshotError,
    TransportError,
)
from ..services.outbox import Outbox, Result
from ..services.pairing import normalize_subject
from ..services.timezones import UTC_NAME
from ..services.values import SYNCED_FIELDS, SyncBase, changed_fields

_logger = logging.getLogger(__name__)

WEEK_START = {str(n): day for n, day in enumerate(rec.DAYS, start=1)}
"""``res.lang.week_start`` ('1' is Monday) as a day name."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SeriesContext:
    """What the series half of a run works with (built by ``SyncRun._series_context``).

    Who and where: ``env`` (the run's: sync writes), ``account``, ``graph``, ``policy``,
    ``now`` (naive UTC), ``window_start``/``window_end`` (aware UTC), ``database_uuid``,
    ``owner_email``, ``reminders``, ``mailbox_zone`` (asked when Graph names no zone),
    ``resuming`` (Outlook was read in part).
    The run's reads of Outlook, shared with it: ``masters`` ({master id: ``SeriesMaster``,
    ``None`` when gone}), ``series_of`` ({occurrence id: master id}), ``instances`` ({master id:
    occurrence ids}), ``unreadable`` and ``changed`` (master ids), ``read_master`` (Graph's JSON
    of a master into a ``SeriesMaster``); and what it learns: ``single_recurrence_ids`` (Odoo
    series sent as single events).
    ``odoo``: the run's Odoo writer (an event's values as the planner reads them, partners,
    tags and alarms for Outlook's values, the fields pulled, the events changed since the last
    run, what a new event sends, why Outlook refused a write).
    Sinks: ``counts``, ``errors``.
    """

    env: Any
    account: Any
    graph: Any
    policy: Any
    now: datetime
    window_start: datetime
    window_end: datetime
    database_uuid: str
    owner_email: str
    reminders: Any
    mailbox_zone: Callable[[], str]
    resuming: bool
    masters: dict
    series_of: dict
    instances: dict
    unreadable: set
    changed: set
    read_master: Callable[[dict], series.SeriesMaster]
    single_recurrence_ids: list
    odoo: Any
    counts: Counter
    errors: list


class SeriesSync:
    """Settle the series of one run (``context``: its ``SeriesContext``)."""

    def __init__(self, context):
        self.context = context
        self.env = context.env
        self.account = context.account
        self.graph = context.graph
        self.Link = context.env["outlook.event.link"].sudo()
        self.Event = context.env["calendar.event"].sudo().with_context(active_test=False)
        self.SeriesLink = context.env["outlook.series.link"].sudo()
        self.Recurrence = context.env["calendar.recurrence"].sudo()
        self._week_start = None
        self.notices = []
        self.held_recurrence_ids = set()  # ambiguous pairs: neither side is copied
        self._unlinked_ids = {}  # since_first_sync: ids found by _unlinked_local_series
        self.flagged = self.SeriesLink  # the dirty series links this run settles
        self.creates = []  # (recurrence, values, pattern) of the masters to create in Outlook
        self.unrepeatable = self.SeriesLink  # changed in Odoo to a rule Outlook cannot repeat
        self._edited = None  # see _edited_series

    @property
    def week_start(self):
        """The day the user's weeks start on, read when a rule is first made or read."""
        if self._week_start is None:
            lang = self.env["res.lang"]._get_data(code=self.account.user_id.lang or "en_US")
            self._week_start = WEEK_START.get(str(lang.week_start or "1"), "monday")
        return self._week_start

    def sync(self, remote_events, removed_ids):
        """Settle the series that changed: those Outlook's delta names, those whose Odoo
        recurrence changed (their links dirty), those with occurrences edited in Odoo;
        ``remote_events`` loses the occurrences that must not become single events."""
        named = self.context.changed | removed_ids | self._edited_series()
        links = self.SeriesLink.search(
            [
                ("account_id", "=", self.account.id),
                "|",
                ("dirty", "=", True),
                ("graph_id", "in", sorted(named)),
            ]
        )
        self.flagged = links.filtered("dirty")
        by_master = {link.graph_id: link for link in links}
        settled = self.SeriesLink
        # Export only: Outlook's series changes are not brought to Odoo.
        changed = self.context.changed if self.context.policy.pull else set()
        for master_id in sorted(changed | (removed_ids & set(by_master))):
            link = by_master.get(master_id)
            if master_id in self.context.unreadable:
                # Logged; left as it is (no occurrence imported alone, none taken as deleted)
                # until Outlook serves it whole.
                self._forget_rows(master_id, remote_events)
                self.context.instances.pop(master_id, None)
                settled |= link or self.SeriesLink
                continue
            master = self._master(master_id)
            if link:
                if self._remote_change(link, master, remote_events):
                    settled |= link
            elif master:
                self._new_remote_series(master, remote_events)
        self._local_changes((links - settled).exists(), remote_events)
        self.creates = self._new_local_series()

    def apply(self, remote_events):
        """In the run's apply phase, after the single events' writes: create in Outlook the
        series masters ``sync`` planned, and pair their occurrences."""
        self._create_remote(self.creates, remote_events)

    def _edited_series(self):
        """The Outlook ids of the series with an occurrence edited in Odoo since the last sync
        (searched once: the run's own writes flag no link)."""
        if self._edited is None:
            self._edited = set(
                self.Link.search(
                    [
                        ("account_id", "=", self.account.id),
                        ("dirty", "=", True),
                        ("series_master_id", "!=", False),
                    ]
                ).mapped("series_master_id")
            )
        return self._edited

    def settle_flags(self, archived_recurrence_ids):
        """At the end of the run: the dirty series links it looked at are settled, but those
        whose Odoo rule Outlook cannot repeat (each run looks at them again, and its log says
        why the series is not sent). A series whose last events in Odoo the run archived (its
        occurrences cancelled in Outlook) is gone from Odoo: its link is flagged for the next
        run, which removes it from Outlook (the run's own writes flag none of its links)."""
        (self.flagged - self.unrepeatable).exists().write({"dirty": False})
        emptied = self.Recurrence.browse(sorted(archived_recurrence_ids)).filtered(
            lambda recurrence: not recurrence.calendar_event_ids.filtered("active")
        )
        if emptied:
            self.SeriesLink.search(
                [("account_id", "=", self.account.id), ("recurrence_id", "in", emptied.ids)]
            ).write({"dirty": True, "local_modified_at": self.context.now.replace(tzinfo=None)})

    # ------------------------------------------------------------------
    # Changes seen in Outlook
    # ------------------------------------------------------------------

    def _master(self, master_id):
        """The series master (``services.series.SeriesMaster``) read by the run, else fetched;
        ``None`` when it is gone."""
        masters = self.context.masters
        if master_id not in masters:
            try:
                masters[master_id] = self.context.read_master(self.graph.get_event(master_id))
            except NotFound:
                masters[master_id] = None
        master = masters[master_id]
        return None if master is None or master.cancelled else master

    def _remote_change(self, link, master, remote_events):
        """Carry out what the planner makes of a linked series Outlook changed
        (``series_plan.from_outlook``); returns whether that settled it (else Odoo's side is
        looked at next: a series deleted in Odoo, or reshaped there)."""
        recurrence = self._recurrence(link)
        if master is None:
            remote = series_plan.Remote.GONE
        elif self._unreadable(master):
            remote = series_plan.Remote.UNREADABLE
        else:
            remote = series_plan.Remote.SEEN
            link.change_key = master.change_key
        decided = series_plan.from_outlook(
            self._link_state(link),
            remote,
            master.shape if master else None,
            self._local(recurrence),
        )
        steps = decided.steps
        if series_plan.Step.REMOVE_LOCAL in steps:
            self._remove_local(recurrence)
        if steps and steps[0] in (series_plan.Step.REMOVE_LOCAL, series_plan.Step.FORGET):
            self._drop_occurrence_links(link)
            link.unlink()
            return True
        rows = self._rows_of(link.graph_id, remote_events)
        if series_plan.Step.PAIR in steps:
            self._pair(link, recurrence, rows, remote_events, archive_lone=False)
        archive_lone = series_plan.Step.REBUILD_LOCAL in steps
        if archive_lone:
            recurrence = self._reshape_local(recurrence, master)
            if not recurrence:
                self._drop_occurrence_links(link)
                link.unlink()
                return True
        if archive_lone or series_plan.Step.REPAIR in steps:
            self._drop_occurrence_links(link)
            self._pair(link, recurrence, rows, remote_events, archive_lone=archive_lone)
            link.base = {"local": self._local_state(recurrence), "remote": master.shape.snapshot()}
        return decided.settled

    def _link_state(self, link):
        """The series link as the planner reads it."""
        base = link.base or {}
        return series_plan.LinkState(
            organizer=link.is_organizer,
            remote_base=series.SeriesShape.from_snapshot(base.get("remote")),
            local_base=base.get("local"),
        )

    def _local(self, recurrence):
        """The Odoo recurrence as the planner reads it (empty: gone from Odoo)."""
        if not recurrence:
            return series_plan.GONE_LOCALLY
        return series_plan.Local(
            present=True,
            state=self._local_state(recurrence),
            shape=self._local_series(recurrence)[0],
        )

    def _unreadable(self, master):
        """Whether Graph's JSON of the master cannot be read (the run's errors then say why)."""
        if master.unreadable:
            self.context.errors.append({"event": master.name, "reason": master.unreadable})
        return bool(master.unreadable)

    def _new_remote_series(self, master, remote_events):
        """Carry out what the planner makes of an Outlook series no link covers: pair it with
        the Odoo recurrence that holds it, hold it (several do), or create one."""
        if self._unreadable(master):
            return
        event, shape = master.event, master.shape
        rows = self._rows_of(event.graph_id, remote_events)
        recurrence, match = self._matching_recurrence(master, rows, remote_events)
        decided = series_plan.from_outlook(None, series_plan.Remote.SEEN, shape, match=match)
        if series_plan.Step.HOLD in decided.steps:
            self._hold_ambiguous(event, recurrence, rows, remote_events)
            return
        archive_lone, created_from = False, None
        if series_plan.Step.CREATE_LOCAL in decided.steps:
            recurrence = self._create_local(master, rows, remote_events)
            if not recurrence:
                return
            archive_lone, created_from = True, event
            self.context.counts["pulled_created"] += 1
        link = self.SeriesLink.create(
            {
                "account_id": self.account.id,
                "recurrence_id": recurrence.id,
                "base_event_id": recurrence.base_event_id.id,
                "graph_id": event.graph_id,
                "ical_uid": event.ical_uid,
                "change_key": event.change_key,
                "is_organizer": event.is_organizer,
                "base": {"local": self._local_state(recurrence), "remote": shape.snapshot()},
            }
        )
        self._pair(
            link,
            recurrence,
            rows,
            remote_events,
            archive_lone=archive_lone,
            created_from=created_from,
        )

    def _known_recurrence(self, event, transaction):
        """The Odoo recurrence an unlinked Outlook series already stands for: one this database
        created (our extended property, or the ``transactionId`` of a create whose answer was
        lost), or the same meeting another mailbox synced (``iCalUId``)."""
        database = self.context.database_uuid
        own_id = mapping.own_event_id(event.odoo_ref, database)
        if own_id is not None:
            first = self.Event.browse(own_id).exists()
            if first.recurrence_id:
                return first.recurrence_id
        if transaction:
            for recurrence in self._unlinked_local_series():
                first = recurrence.base_event_id
                if first and mapping.transaction_id(database, first.id) == transaction:
                    return recurrence
        if event.ical_uid:
            other = self.SeriesLink.search(
                [("ical_uid", "=", event.ical_uid), ("recurrence_id", "!=", False)], limit=1
            )
            return other.recurrence_id
        return self.Recurrence

    def _matching_recurrence(self, master, rows, remote_events):
        """(the Odoo recurrences holding an unlinked Outlook series, ``series_plan.Match``)."""
        recurrence = self._known_recurrence(master.event, master.transaction_id)
        if not recurrence:
            recurrence = self._same_series(master.event, rows, remote_events)
        if len(recurrence) > 1:
            return recurrence, series_plan.Match.SEVERAL
        return recurrence, series_plan.Match.ONE if recurrence else series_plan.Match.NONE

    def _hold_ambiguous(self, event, candidates, rows, remote_events):
        """Two Odoo recurrences hold the Outlook series: neither side is copied, the log says
        so."""
        for gid in rows:
            remote_events.pop(gid, None)
        self.held_recurrence_ids.update(candidates.ids)
        self.notices.append(
            {
                "event": event.values.name,
                "reason": "several Odoo series match this Outlook series: it is left "
                "alone until only one does (rename or delete the extra ones).",
            }
        )

    def _same_series(self, event, rows, remote_events):
        """The Odoo recurrences of the user holding the same series as an unlinked Outlook one
        (kept by hand on both sides, or synced by Odoo's own module): same subject, same
        occurrences in the window, same length. Two such recurrences are not guessed
        between."""
        subject = normalize_subject(event.values.name)
        keys = set(self._occurrence_keys(rows, remote_events, allday=event.values.allday).values())
        if not keys:
            return self.Recurrence
        window = (self.context.window_start, self.context.window_end)
        candidates = self.Recurrence
        for recurrence in self._unlinked_local_series(since_first_sync=False):
            first = recurrence.base_event_id or recurrence._get_first_event()
            if (
                normalize_subject(first.name or "") != subject
                or first.allday != event.values.allday
            ):
                continue
            events = recurrence.calendar_event_ids.filtered("active")
            starts = {
                series.occurrence_key(
                    ev.start_date if ev.allday else ev.start.replace(tzinfo=timezone.utc),
                    allday=ev.allday,
                )
                for ev in events
            }
            starts = {key for key in starts if series.in_window(key, *window)}
            same_length = all(
                ev.allday or ev.stop - ev.start == first.stop - first.start for ev in events
            )
            if starts == keys and same_length and self._same_duration(first, event.values):
                candidates |= recurrence
        return candidates

    def _same_duration(self, first, values):
        if values.allday:
            return (values.stop_date - values.start_date) == (first.stop_date - first.start_date)
        return values.stop - values.start == (first.stop - first.start)

    def _create_local(self, master, row_ids, remote_events):
        """A new Odoo recurrence for an Outlook series (a readable ``SeriesMaster``); ``None``
        (and a notice) when Odoo cannot repeat its pattern, or repeats it on other dates than
        Outlook's occurrences (``row_ids``): its occurrences then come as single events."""
        pattern = master.pattern
        try:
            rule = rec.to_rrule(pattern, week_start=self.week_start)
        except rec.UnsupportedRecurrence as error:
            self._notice(master.event.values.name, error.reason)
            return None
        values = master.event.values
        organizer = self.context.odoo._organizer_user(values.organizer_email)
        partners = self.context.odoo._partners_for_values([values])
        pulled = self.context.odoo._pulled_fields(SYNCED_FIELDS, organizer == self.account.user_id)
        vals = self.Event._outlook_vals_to_write(
            values,
            pulled,
            partners,
            self.context.odoo._alarms.get,
            organizer,
            tags=self.context.odoo._tags_for_values([values]),
        )
        vals.update(self._rule_vals(rule, pattern, values), user_id=organizer.id)
        latest = self.Recurrence.search([], order="id desc", limit=1).id or 0
        first = self.Event.create(self.context.odoo._tagged(vals))
        # Odoo archives the first event when its rule does not repeat on that date, and the
        # recurrence then has no first event: it is found as the one just made.
        recurrence = first.recurrence_id or self.Recurrence.search([("id", ">", latest)])
        occurrences = self._occurrence_keys(row_ids, remote_events, allday=values.allday)
        odoo_keys = self._event_keys(recurrence.calendar_event_ids, allday=values.allday)
        if not first.recurrence_id or not set(occurrences.values()) <= set(odoo_keys.values()):
            # Odoo counts every-other weeks and months from the week (month) of the UTC start:
            # a series starting on another day in UTC than in its zone lands on other dates.
            (recurrence.calendar_event_ids | first).unlink()
            recurrence.exists().unlink()
            self._notice(
                values.name,
                self.env._("Odoo would repeat it on other dates than Outlook does."),
            )
            return None
        recurrence.calendar_event_ids._outlook_set_responses(
            dict.fromkeys(recurrence.calendar_event_ids.ids, values)
        )
        return recurrence

    def _occurrence_keys(self, row_ids, remote_events, *, allday):
        """{graph id: pairing key} of Outlook occurrences: their original start (an all-day
        one's date in its series' zone)."""
        keys = {}
        for graph_id in row_ids:
            event = remote_events[graph_id][0]
            when = event.original_start or event.values.start or event.values.start_date
            zone = self._series_zone(self.context.series_of.get(graph_id)) if allday else UTC_NAME
            keys[graph_id] = series.occurrence_key(when, allday=allday, zone=zone)
        return keys

    def _series_zone(self, master_id):
        """The zone the series ``master_id`` (read this run) recurs in; UTC when unknown."""
        master = self.context.masters.get(master_id)
        return master.zone if master else UTC_NAME

    @staticmethod
    def _event_keys(events, *, allday):
        """{event id: pairing key} of Odoo events: their start."""
        return {
            event.id: series.occurrence_key(
                event.start_date if allday else event.start.replace(tzinfo=timezone.utc),
                allday=allday,
            )
            for event in events
        }

    def _rule_vals(self, rule, pattern, values):
        """``calendar.event`` values making an event the first of a recurrence on ``rule``."""
        first_local = (
            datetime.combine(values.start_date, time(8))
            if values.allday
            else values.start.astimezone(ZoneInfo(pattern.time_zone)).replace(tzinfo=None)
        )
        parsed = self.Recurrence._rrule_parse(rule, first_local)
        parsed["until"] = parsed["until"].date() if parsed.get("until") else False
        return {"recurrency": True, "event_tz": pattern.time_zone, **parsed}

    def _reshape_local(self, recurrence, master):
        """Give the Odoo recurrence the Outlook series' new shape (``master``: a readable
        ``SeriesMaster``; Odoo rebuilds the events, keeping the first); returns the recurrence
        now holding them, or ``None`` when Odoo cannot repeat the new pattern (the old events
        are then archived: the occurrences come as single events)."""
        first = recurrence.base_event_id or recurrence._get_first_event()
        event, pattern = master.event, master.pattern
        try:
            rule = rec.to_rrule(pattern, week_start=self.week_start)
        except rec.UnsupportedRecurrence as error:
            self._notice(event.values.name, error.reason)
            self._remove_local(recurrence)
            return None
        vals = {**self._rule_vals(rule, pattern, event.values), **when_vals(event.values)}
        vals.pop("recurrency")
        first.write({**vals, "recurrence_update": "all_events"})
        self.context.counts["pulled_updated"] += 1
        return first.recurrence_id

    # ------------------------------------------------------------------
    # Changes made in Odoo
    # ------------------------------------------------------------------

    def _local_changes(self, links, remote_events):
        """Decide the Odoo side of each linked series Outlook's side left to look at
        (``series_plan.from_odoo``), send the Outlook writes of all of them together, then read
        again the series that changed and pair their occurrences."""
        if not links:
            return
        edited = self._edited_series()
        outbox, decided = self._outbox(), []
        for link in links:
            recurrence = self._recurrence(link)
            edits = (
                self._edited_occurrences(link) if recurrence and link.graph_id in edited else None
            )
            plan = series_plan.from_odoo(
                self._link_state(link),
                self._local(recurrence),
                list(edits.values()) if edits else None,
                self.context.policy,
                owner_email=self.context.owner_email,
            )
            decided.append((link, recurrence, edits, plan))
            self._queue(outbox, link, recurrence, edits, plan, remote_events=remote_events)
        # A $batch whose answer was lost fails the run, as the single events' do: the next run
        # reads Outlook before sending again.
        outcomes = {outcome.key: outcome for outcome in outbox.send()}
        reread = []
        for link, recurrence, edits, plan in decided:
            remote = self._carry_out(
                link, recurrence, edits, plan, outcomes.get(link.id), remote_events=remote_events
            )
            if remote is not None:
                reread.append((link, recurrence, edits, plan, remote))
        self._read_again(reread, remote_events)

    def _queue(self, outbox, link, recurrence, edits, plan, *, remote_events):
        """Queue the Outlook write of ``plan`` for the series of ``link``, if it needs one."""
        Step = series_plan.Step
        steps, graph_id = plan.steps, link.graph_id
        if Step.REMOVE_REMOTE in steps or Step.DECLINE_REMOTE in steps:
            self._forget_rows(graph_id, remote_events)
            if Step.REMOVE_REMOTE in steps:
                outbox.delete(link.id, graph_id)
            else:
                outbox.respond(link.id, graph_id, "declined")
        elif Step.REBUILD_REMOTE in steps:
            _shape, pattern, values, _reason = self._local_series(recurrence)
            body = series.shape_patch(values, pattern)
            outbox.update(link.id, graph_id, body, **self._version(link))
        elif Step.EDIT_REMOTE in steps or Step.REPLY_REMOTE in steps:
            self._queue_series_wide(outbox, link, edits, plan, remote_events=remote_events)

    def _queue_series_wide(self, outbox, link, edits, plan, *, remote_events):
        """Queue a series-wide edit or reply, unless what this run read of Outlook holds it
        already: an earlier write Graph applied without confirming it (a reply repeated would
        mail again)."""
        in_step = self._in_step(plan)
        if all(
            (seen := remote_events.get(occurrence.graph_id)) and in_step(edit.after, seen[0].values)
            for occurrence, edit in edits.items()
        ):
            return
        if series_plan.Step.REPLY_REMOTE in plan.steps:
            outbox.respond(link.id, link.graph_id, plan.response)
        else:
            body = mapping.to_graph(
                sent_to_outlook(plan.values, self.context.reminders), plan.fields
            )
            outbox.update(link.id, link.graph_id, body, **self._version(link))

    @staticmethod
    def _version(link):
        """The master's version a PATCH is made at: the change key the link holds, else any."""
        return {"change_key": link.change_key} if link.change_key else {"any_version": True}

    def _in_step(self, plan):
        """Whether an occurrence's Odoo values and Outlook's agree on what a series-wide edit
        or reply of ``plan`` sends."""
        if series_plan.Step.REPLY_REMOTE in plan.steps:
            owner = self.context.owner_email
            return lambda _local, remote: series_plan.response_of(remote, owner) == plan.response
        return lambda local, remote: series_plan.same_values(local, remote, plan.fields)

    def _outbox(self):
        return Outbox(self.graph, self.account.calendar_id or None)

    def _written(self, outcome, name):
        """Whether Outlook took the write; else the run's errors say why, or Outlook asked to
        wait (the next sync sends it again, after that wait)."""
        if outcome.ok:
            return True
        reason = self.context.odoo._refusal(outcome)
        if reason:
            self.context.errors.append({"event": name, "reason": reason})
        return False

    def _carry_out(self, link, recurrence, edits, plan, outcome, *, remote_events):
        """Carry out ``plan`` for the series of ``link`` once its write's ``outcome`` (if any)
        is known; returns the master's shape to store when its occurrences must be read again
        and paired (``False``: read them, store nothing), else ``None``."""
        Step = series_plan.Step
        steps = plan.steps
        if Step.REMOVE_REMOTE in steps or Step.DECLINE_REMOTE in steps:
            if outcome.result is Result.GONE or self._written(outcome, link.graph_id):
                self.context.counts["pushed_deleted"] += 1
                self._drop_occurrence_links(link)
                link.unlink()
        elif Step.FORGET in steps:
            self._drop_occurrence_links(link)
            link.unlink()
        elif Step.HOLD in steps:
            _shape, _pattern, values, reason = self._local_series(recurrence)
            self._notice(values.name, reason, to_outlook=True)
            self.unrepeatable |= link
        elif Step.REPAIR in steps:
            return series.SeriesShape.from_snapshot((link.base or {}).get("remote")) or False
        elif Step.REBUILD_REMOTE in steps:
            return self._patched(link, recurrence, outcome)
        elif outcome is not None:
            if outcome.result is Result.UNCONFIRMED:
                self._hold_occurrences(edits, outcome)
                return None
            if not self._written(outcome, link.graph_id):
                return None
            if outcome.answer:
                link.change_key = self.context.read_master(outcome.answer).change_key
            self.context.counts["pushed_updated"] += 1
            return False
        elif Step.EDIT_REMOTE in steps or Step.REPLY_REMOTE in steps:
            self._settle_in_step(edits, self._in_step(plan), remote_events)
        return None

    def _hold_occurrences(self, edits, outcome):
        """Outlook may have applied the series-wide write: its occurrences are not sent one by
        one meanwhile (a reply would mail again); they wait for their retry, and the next run,
        reading Outlook, finds them in step."""
        reason = self.context.odoo._unconfirmed(outcome.error.status)
        for occurrence in edits:
            self.context.odoo._item_failed(
                {"name": occurrence.event_id.name, "link": occurrence}, reason
            )

    def _patched(self, link, recurrence, outcome):
        """The master's new shape from Graph's answer to the PATCH; ``None`` when it failed."""
        name = self._local_series(recurrence)[2].name
        if not self._written(outcome, name):
            return None
        patched = self.context.read_master(outcome.answer or {})
        if self._unreadable(patched):
            return None
        link.change_key = patched.change_key
        self.context.counts["pushed_updated"] += 1
        return patched.shape

    def _read_again(self, written, remote_events):
        """Read the occurrences of the series ``written`` ((link, recurrence, edits, plan,
        shape to store) each) again, in ``$batch``, and pair them: a reshaped series' with its
        rebuilt events, a series-wide change's with the occurrences it settled."""
        if not written:
            return
        for link, *_rest in written:
            self._forget_rows(link.graph_id, remote_events)
        try:
            rows = self._instances_of([link.graph_id for link, *_rest in written], remote_events)
        except (GraphError, TransportError, MalformedEvent) as error:
            for link, *_rest in written:
                self.context.errors.append({"event": link.graph_id, "reason": str(error)})
            return
        for link, recurrence, edits, plan, shape in written:
            if (
                series_plan.Step.REBUILD_REMOTE in plan.steps
                or series_plan.Step.REPAIR in plan.steps
            ):
                base = link.base or {}
                self._drop_occurrence_links(link)
                self._pair(
                    link, recurrence, rows.get(link.graph_id, []), remote_events, archive_lone=False
                )
                link.write(
                    {
                        "base": {
                            "local": self._local_state(recurrence),
                            "remote": shape.snapshot() if shape else base.get("remote"),
                        }
                    }
                )
            else:
                self._settle_in_step(edits, self._in_step(plan), remote_events)

    def _edited_occurrences(self, link):
        """{occurrence link: ``series_plan.Edit``} when every occurrence of the series was
        edited in Odoo since the last sync, else ``None``."""
        edits = {}
        for occurrence in self.Link.search(
            [("account_id", "=", self.account.id), ("series_master_id", "=", link.graph_id)]
        ):
            if not (occurrence.dirty and occurrence.event_id.active and occurrence.base):
                return None
            try:
                base = SyncBase.from_snapshot(occurrence.base)
            except SnapshotError:
                return None
            local = self.context.odoo._local_values(
                occurrence.event_id, None, base.remote, occurrence.is_organizer
            )
            if local is None:
                return None
            edits[occurrence] = series_plan.Edit(before=base.local, after=local)
        return edits or None

    def _settle_in_step(self, edits, in_step, remote_events):
        """The edited occurrences now ``in_step(odoo values, outlook values)`` are in sync; the
        others stay edited (an occurrence Outlook kept as it was, an exception, is sent on its
        own next)."""
        for occurrence, edit in edits.items():
            seen = remote_events.get(occurrence.graph_id)
            if seen and in_step(edit.after, seen[0].values):
                settled = self.context.odoo._local_values(
                    occurrence.event_id, None, seen[0].values, occurrence.is_organizer
                )
                occurrence.write(
                    {
                        "base": SyncBase(local=settled, remote=seen[0].values).snapshot(),
                        "change_key": seen[0].change_key,
                        "dirty": False,
                    }
                )

    def _new_local_series(self):
        """What the planner makes of the Odoo recurrences organized by the user and not linked
        yet (``series_plan.new_in_odoo``): those whose occurrences go as single events are
        recorded for the run's plan now; returns the masters to create in Outlook
        ((recurrence, values, pattern) each), for ``apply``."""
        policy, resuming = self.context.policy, self.context.resuming
        if not series_plan.sends_new_series(policy, resuming=resuming):
            return []
        creates = []
        for recurrence in self._unlinked_local_series():
            events = recurrence.calendar_event_ids.filtered("active")
            _shape, pattern, values, reason = self._local_series(recurrence)
            decided = series_plan.new_in_odoo(
                values,
                max(events.mapped("stop")),
                repeatable=pattern is not None,
                held=recurrence.id in self.held_recurrence_ids,
                policy=policy,
                now=self.context.now,
                resuming=resuming,
            )
            if series_plan.Step.SINGLES in decided.steps:
                self._notice(values.name, reason, to_outlook=True)
                self.context.single_recurrence_ids.append(recurrence.id)
            elif series_plan.Step.CREATE_REMOTE in decided.steps:
                creates.append((recurrence, decided.values, pattern))
        return creates

    def _unlinked_local_series(self, since_first_sync=True):
        """The user's recurrences in the window that go to this calendar and that no link of
        the user's calendars covers (with ``since_first_sync``: only those the first sync did
        not leave in Odoo).

        Asked for each series Outlook brings, the whole search would scan all the user's
        recurrences each time (quadratic on an import): after the first search, only the
        recurrences it found are looked at again. A run links recurrences, and those it
        creates are linked at once; only dropping occurrence links can unlink one, and that
        forgets what was found (``_drop_occurrence_links``). Those to send (``since_first_sync``)
        are looked for among the recurrences changed since the last run alone, when the run may
        (``SyncRun.local_changes_since``)."""
        known = self._unlinked_ids.get(since_first_sync)
        since = self.context.odoo.local_changes_since() if since_first_sync else None
        if known is None and since is not None:
            # The few changed recurrences first (indexes), then the whole domain on them alone.
            changed = self.context.odoo.changed_events().recurrence_id | self.Recurrence.search(
                [("write_date", ">=", since)]
            )
            known = self._unlinked_ids[since_first_sync] = changed.ids
        if known is not None and not known:
            return self.Recurrence
        window_start = self.context.window_start.replace(tzinfo=None)
        window_end = self.context.window_end.replace(tzinfo=None)
        calendars = self.context.odoo.user_calendars()
        linked = self.SeriesLink.search([("account_id", "in", calendars)])
        domain = [
            ("id", "not in", linked.recurrence_id.ids),
            ("base_event_id.user_id", "=", self.account.user_id.id),
            *self.account._export_domain("base_event_id."),
            (
                "calendar_event_ids",
                "not any",
                [("outlook_link_ids", "any", [("account_id", "in", calendars)])],
            ),
            (
                "calendar_event_ids",
                "any",
                [("active", "=", True), ("stop", ">=", window_start), ("start", "<=", window_end)],
            ),
        ]
        if since_first_sync and self.account.first_sync_last_event_id:
            domain.append(("base_event_id", ">", self.account.first_sync_last_event_id))
        if known is not None:
            domain.append(("id", "in", known))
        found = self.Recurrence.search(domain, order="id")
        self._unlinked_ids[since_first_sync] = found.ids
        return found

    def _create_remote(self, planned, remote_events):
        """Create a series master for each (recurrence, values to send, pattern), in
        ``$batch``, then read their occurrences (``$batch`` too) and pair them with the
        recurrences' events."""
        if not planned:
            return
        database = self.context.database_uuid
        outbox, creates = self._outbox(), []
        for recurrence, values, pattern in planned:
            first = recurrence.base_event_id or recurrence._get_first_event()
            sent = self.context.odoo._new_in_outlook(values)
            outbox.create(
                len(creates),
                series.master_payload(
                    sent,
                    pattern,
                    ref=mapping.odoo_ref(database, first.id),
                    transaction=mapping.transaction_id(database, first.id),
                ),
            )
            creates.append((recurrence, first, values.name, sent))
        if not creates:
            return
        links = {}
        try:
            outcomes = outbox.send()
        except (GraphError, TransportError) as error:
            # A create whose answer was lost is found again by its transactionId next time.
            self.context.errors.append({"event": creates[0][2], "reason": str(error)})
            return
        for outcome in outcomes:
            recurrence, first, name, sent = creates[outcome.key]
            # A create that failed goes again next time (the same transactionId: not twice).
            if not self._written(outcome, name):
                continue
            master = self.context.read_master(outcome.answer or {})
            if master.unreadable:
                self.context.errors.append({"event": name, "reason": master.unreadable})
                continue
            event, shape = master.event, master.shape
            links[event.graph_id] = self.SeriesLink.create(
                {
                    "account_id": self.account.id,
                    "recurrence_id": recurrence.id,
                    "base_event_id": first.id,
                    "graph_id": event.graph_id,
                    "ical_uid": event.ical_uid,
                    "change_key": event.change_key,
                    "is_organizer": True,
                    "base": {"local": self._local_state(recurrence), "remote": shape.snapshot()},
                }
            )
            self.context.masters[event.graph_id] = master
            self.context.counts["pushed_created"] += 1
            self.context.odoo._teams_dropped(
                name, asked=sent.online_meeting, created=event.values.online_meeting
            )
        if not links:
            return
        try:
            rows = self._instances_of(list(links), remote_events)
        except (GraphError, TransportError, MalformedEvent) as error:
            # The next sync pairs them from its delta.
            self.context.errors.append({"event": creates[0][2], "reason": str(error)})
            return
        for master_id, link in links.items():
            self._pair(
                link, link.recurrence_id, rows.get(master_id, []), remote_events, archive_lone=False
            )

    # ------------------------------------------------------------------
    # Both sides
    # ------------------------------------------------------------------

    def preview(self, remote_events):
        """What ``sync`` would create on a first sync, without writing anything (the first-sync
        preview): (the Outlook series Odoo does not hold yet, the Odoo recurrences Outlook does
        not, each as its values and the stop of its last event). Series that are created or
        matched whole leave ``remote_events``: their occurrences come with them."""
        linked = set(
            self.SeriesLink.search([("account_id", "=", self.account.id)]).mapped("graph_id")
        )
        from_outlook, matched = [], self.Recurrence
        for master_id in sorted(self.context.changed - linked - self.context.unreadable):
            master = self._master(master_id)
            if not master or master.unreadable:
                continue
            try:
                rec.to_rrule(master.pattern, week_start=self.week_start)
            except rec.UnsupportedRecurrence:
                continue  # its occurrences come as single events
            event = master.event
            rows = self._rows_of(master_id, remote_events)
            known, match = self._matching_recurrence(master, rows, remote_events)
            if match is series_plan.Match.SEVERAL:
                self._hold_ambiguous(event, known, rows, remote_events)
                continue  # held back on both sides
            self._forget_rows(master_id, remote_events)
            matched |= known
            if not known:
                from_outlook.append(event.values)
        held = self.Recurrence.browse(sorted(self.held_recurrence_ids))
        to_outlook = []
        for recurrence in self._unlinked_local_series() - matched - held:
            _shape, pattern, values, _reason = self._local_series(recurrence)
            if pattern is not None:
                events = recurrence.calendar_event_ids.filtered("active")
                to_outlook.append((values, max(events.mapped("stop"))))
        return from_outlook, to_outlook

    def _recurrence(self, link):
        """The link's recurrence, following Odoo when it replaced it (same first event);
        empty when the series is gone from Odoo."""
        recurrence = link.recurrence_id.exists()
        first = link.base_event_id.exists()
        if not recurrence and first.active:
            recurrence = first.recurrence_id
        if recurrence and not recurrence.calendar_event_ids.filtered("active"):
            recurrence = self.Recurrence
        if recurrence != link.recurrence_id:
            link.recurrence_id = recurrence
        return recurrence

    def _local_state(self, recurrence):
        """What marks a change of the series in Odoo: Odoo replaces the recurrence, or rewrites
        its rule, when the user edits all or the following events' times or pattern (deleting
        or moving one occurrence changes neither)."""
        rule = "\n".join(
            line for line in (recurrence.rrule or "").splitlines() if line.startswith("RRULE")
        )
        return {"recurrence_id": recurrence.id, "rule": rule, "tz": recurrence.event_tz or ""}

    def _local_series(self, recurrence):
        """(shape, ``Recurrence``, first event's values, why not) of an Odoo recurrence; shape
        and pattern are ``None`` when Outlook cannot repeat it, and the reason says why."""
        first = recurrence.base_event_id or recurrence._get_first_event()
        values = first._outlook_read_values()
        zone_name = recurrence.event_tz or self.account.user_id.tz or "UTC"
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            zone = timezone.utc
        if first.allday:
            dtstart = datetime.combine(first.start_date, time(0), zone)
        else:
            dtstart = first.start.replace(tzinfo=timezone.utc).astimezone(zone)
        try:
            pattern = rec.from_rrule(
                recurrence.rrule, dtstart, forever=recurrence.end_type == "forever"
            )
        except (rec.UnsupportedRecurrence, ValueError) as error:
            return None, None, values, getattr(error, "reason", str(error))
        return series.shape_of(values, pattern), pattern, values, None

    def _rows_of(self, master_id, remote_events):
        return [gid for gid in remote_events if self.context.series_of.get(gid) == master_id]

    def _forget_rows(self, master_id, remote_events):
        """Drop the series' occurrences read earlier in the run: they changed since."""
        for graph_id in self._rows_of(master_id, remote_events):
            del remote_events[graph_id]

    def _instances_of(self, master_ids, remote_events):
        """Read the occurrences in the window of several series into ``remote_events``;
        {master id: their ids}."""
        ids = {}
        window = (self.context.window_start, self.context.window_end)
        for master_id, rows in self.graph.instances_of(master_ids, *window).items():
            master = self.context.masters.get(master_id)
            master_uid = (master.ical_uid if master else "") or self.SeriesLink.search(
                [("account_id", "=", self.account.id), ("graph_id", "=", master_id)], limit=1
            ).ical_uid
            events, malformed = series.read_occurrences(
                rows,
                ical_uid=master_uid,
                owner_email=self.context.owner_email,
                mailbox_zone=self.context.mailbox_zone,
            )
            if malformed:
                raise malformed[0][1]
            ids[master_id] = []
            for event in events:
                remote_events[event.graph_id] = (event, None)
                self.context.series_of[event.graph_id] = master_id
                ids[master_id].append(event.graph_id)
        return ids

    def _pair(self, link, recurrence, row_ids, remote_events, *, archive_lone, created_from=None):
        """Link the series' occurrences without a link to the recurrence's events by original
        start. For a series just brought into Odoo (``archive_lone``), the occurrences' own
        values (exceptions) are written on their events and events without an occurrence are
        archived: Outlook cancelled them; ``created_from``: the Outlook master the recurrence was
        just created from (see ``_write_exceptions``). Occurrences without an event stay in
        ``remote_events`` for the organizer (they come as single events) and are dropped for an
        attendee (the organizer's mailbox brings them)."""
        Link = self.Link
        allday = (recurrence.base_event_id or recurrence._get_first_event()).allday
        account_links = Link.search(
            [
                ("account_id", "=", self.account.id),
                "|",
                ("graph_id", "in", row_ids),
                ("event_id", "in", recurrence.calendar_event_ids.ids),
            ]
        )
        linked_graph = set(account_links.mapped("graph_id"))
        link_of_event = {lk.event_id.id: lk for lk in account_links if lk.event_id}
        occurrences = self._occurrence_keys(
            [graph_id for graph_id in row_ids if graph_id not in linked_graph],
            remote_events,
            allday=allday,
        )
        window = (self.context.window_start, self.context.window_end)
        events = self._event_keys(
            recurrence.calendar_event_ids.filtered(
                lambda ev: (
                    ev.active
                    and (
                        ev.id not in link_of_event
                        or link_of_event[ev.id].series_master_id != link.graph_id
                    )
                )
            ),
            allday=allday,
        )
        events = {eid: key for eid, key in events.items() if series.in_window(key, *window)}
        pairing = series.pair_occurrences(occurrences, events)
        Event = self.Event
        if archive_lone:
            first = recurrence.base_event_id or recurrence._get_first_event()
            self._write_exceptions(
                pairing.pairs, remote_events, (first, created_from) if created_from else None
            )
        # The bases hold what Odoo stored: the writes flushed (computed fields recomputed),
        # the events read again, in one go (an event browsed alone fetches its fields alone).
        # Dropping the whole cache instead made every series read the run's records again.
        self.env.flush_all()
        paired_events = Event.browse(list(pairing.pairs.values()))
        paired_events.invalidate_recordset()
        paired = {event.id: event for event in paired_events}
        new_links = []
        for graph_id, event_id in pairing.pairs.items():
            remote = remote_events[graph_id][0]
            event = paired[event_id]
            vals = {
                "event_id": event_id,
                "graph_id": graph_id,
                "ical_uid": remote.ical_uid,
                "change_key": remote.change_key,
                "is_organizer": remote.is_organizer,
                "series_master_id": link.graph_id,
                "base": SyncBase(
                    local=self.context.odoo._local_values(
                        event, None, remote.values, remote.is_organizer
                    ),
                    remote=remote.values,
                ).snapshot(),
                "dirty": False,
                "last_error": False,
                "error_count": 0,
                "retry_at": False,
            }
            if event_id in link_of_event:
                link_of_event[event_id].write(vals)
            else:
                new_links.append({"account_id": self.account.id, **vals})
        Link.create(new_links)
        if archive_lone and pairing.lone_events:
            Event.browse(pairing.lone_events).write({"active": False})
        if not (link.is_organizer or archive_lone):
            for graph_id in pairing.lone_occurrences:
                remote_events.pop(graph_id, None)

    def _write_exceptions(self, pairs, remote_events, created=None):
        """Write on each paired event what its occurrence holds differently (an exception
        made in Outlook, an attendee's answer) — only what differs.

        ``created``: (the recurrence's first event, the Outlook master it was just created
        from). A field on which an occurrence holds in Odoo what the first event holds, and in
        Outlook what the master holds, is no exception: it differs only by Odoo's own form of the
        value (a sanitized description) and is not written again on every occurrence."""
        Event = self.Event
        values_list = [remote_events[graph_id][0].values for graph_id in pairs]
        partners = self.context.odoo._partners_for_values(values_list)
        tags = self.context.odoo._tags_for_values(values_list)
        # Read in one go (an event browsed alone would fetch its fields on its own).
        events = {event.id: event for event in Event.browse(list(pairs.values()))}
        first = master = None
        if created:
            first_event, master_event = created
            master = master_event.values
            first = self.context.odoo._local_values(
                first_event, None, master, master_event.is_organizer
            )
        answers = {}
        for graph_id, event_id in pairs.items():
            event = events[event_id]
            remote = remote_events[graph_id][0]
            values = remote.values
            local = self.context.odoo._local_values(event, None, values, remote.is_organizer)
            fields = changed_fields(local, values) - {"timezone"}
            if first is not None:
                fields = {
                    name
                    for name in fields
                    if getattr(local, name) != getattr(first, name)
                    or getattr(values, name) != getattr(master, name)
                }
            pulled = self.context.odoo._pulled_fields(fields, event.user_id == self.account.user_id)
            vals = event._outlook_vals_to_write(
                values, pulled, partners, self.context.odoo._alarms.get, event.user_id, tags=tags
            )
            if vals:
                event.write(vals)
            if "attendees" in fields or values.attendees:
                answers[event_id] = values
        Event.browse(list(answers))._outlook_set_responses(answers)

    def _drop_occurrence_links(self, link):
        """Forget the series' occurrence links: its occurrences were rebuilt on both sides."""
        self._unlinked_ids.clear()
        self.Link.search(
            [("account_id", "=", self.account.id), ("series_master_id", "=", link.graph_id)]
        ).unlink()

    def _remove_local(self, recurrence):
        """The series is gone from Outlook: archive its events in Odoo, unless other mailboxes
        still hold it (then only the owner leaves it)."""
        events = recurrence.calendar_event_ids.filtered("active")
        others = self.SeriesLink.search_count(
            [("recurrence_id", "=", recurrence.id), ("account_id", "!=", self.account.id)]
        )
        events._outlook_remove_for(self.account.user_id, shared=bool(others))
        self.context.counts["pulled_archived"] += 1

    def _notice(self, name, reason, *, to_outlook=False):
        where = "Outlook" if to_outlook else "Odoo"
        self.notices.append(
            {
                "event": name,
                "reason": f"{where} cannot repeat this series ({reason}): "
                "its occurrences are synced as separate events.",
            }
        )
        _logger.info(
            "Outlook account %s: series %r kept as single events: %s", self.account.id, name, reason
        )
