"""One sync run of one Outlook account: read both sides, ask the planner, carry out its plan.

Decide, then do: ``services.reconcile.plan`` decides; this module reads Odoo in bulk, calls the
Graph client (writes grouped in ``$batch``), and applies the Odoo side with bulk ORM calls. It
runs inside the account's transaction: the delta link, the links' bases and the Odoo changes
they describe are committed together or not at all (a crash mid-run re-runs cleanly: creates
carry a deterministic ``transactionId`` and our extended property, so nothing is duplicated).
"""

import dataclasses
import logging
from collections import Counter
from datetime import timedelta, timezone

from odoo import fields
from odoo.tools import email_normalize

from ..models.calendar_event import sync_writes_context
from ..models.outlook_sync_log import RUN_COUNTS
from ..services import mapping, series
from ..services.details import (
    ODOO_TO_PRESET,
    PRESET_TO_ODOO,
    ReminderMode,
    declined_by_owner,
    held_by_odoo,
    sent_to_outlook,
)
from ..services.errors import (
    GraphError,
    MalformedEvent,
    NotFound,
    SnapshotError,
    SyncStateGone,
    Throttled,
)
from ..services.graph import REPLY_ACTIONS
from ..services.mapping import RemovedEvent, SeriesPart
from ..services.outbox import Outbox, Result
from ..services.pairing import meeting_key
from ..services.reconcile import (
    ArchiveLocal,
    CreateLocal,
    CreateRemote,
    DeclineRemote,
    DeleteRemote,
    ItemKey,
    Plan,
    PushScope,
    RespondRemote,
    SyncItem,
    UpdateLocal,
    UpdateRemote,
    plan,
    series_pushed,
)
from ..services.schedule import event_retry_delay, read_pages
from ..services.timezones import UTC_NAME, canonical_iana, windows_to_iana
from ..services.values import SYNCED_FIELDS, SyncBase, changed_fields
from .pairing import RunPairing
from .series import SeriesContext, SeriesSync

_logger = logging.getLogger(__name__)

# A sync deleting more than this many, and this share, of an account's synced events on one
# side waits for the user's confirmation.
MASS_DELETION_MIN = 20
MASS_DELETION_SHARE = 0.25
# Items per delta page we ask for (Graph documents no maximum, and overshoots it to keep a series
# whole): fewer round trips on big calendars, pages still small enough to parse quickly.
DELTA_PAGE_SIZE = 200
# A first read of a calendar (no link yet, so nothing to confirm as removed) stops after this
# many pages (10,000 items: a calendar of several thousand events and its series' occurrences
# is read in one run): what was read is synced, and the next run reads on from there.
FIRST_READ_PAGE_BUDGET = 50
# A delta link keeps the window it started with: start afresh once the window moved this much.
WINDOW_DRIFT = timedelta(days=7)
# A run looks at every unsent Odoo event at least this often, not only at those changed since
# the last run: a write is dated by the start of its transaction, and one that began before a
# run and committed after the run read Odoo is older than that run, yet unseen by it.
FULL_LOCAL_SCAN_EVERY = timedelta(days=1)


class MassDeletion(Exception):
    """The run would delete too much: nothing was written, the user must confirm."""

    def __init__(self, *, in_outlook, in_odoo, synced):
        super().__init__(f"{in_outlook} in Outlook, {in_odoo} in Odoo, of {synced} synced")
        self.in_outlook = in_outlook
        self.in_odoo = in_odoo
        self.synced = synced


@dataclasses.dataclass(frozen=True)
class DryRun:
    """What a sync would do under one policy: the planner's ``plan`` for single events and
    occurrences, and the whole series it would create in Odoo and in Outlook (their values)."""

    plan: Plan
    series_to_odoo: tuple
    series_to_outlook: tuple


class SyncRun:
    """Sync ``account`` (one ``outlook.account`` record, sudo) with Outlook through ``graph``
    under ``policy`` (``services.reconcile.Policy``: the account's choices)."""

    def __init__(self, account, graph, *, now, policy):
        self.account = account
        # Every record the run reaches (links, their events, series) writes in this context.
        self.env = account.env(context={**account.env.context, **sync_writes_context(account.id)})
        self.graph = graph
        self.now = now.replace(microsecond=0)
        self.is_first_sync = not account.first_synced_at
        self.policy = policy
        self.dry = False
        self.reminders = ReminderMode(account.reminder_mode or ReminderMode.OUTLOOK)
        self._master_categories = None
        self._mailbox_zone = None
        # Whether Microsoft let this run read and add to the master category list (the
        # MailboxSettings permission): None when the run did not ask.
        self.categories_allowed = None
        self._declined = set()  # Outlook ids of meetings the owner declined, left out of Odoo
        # A calendar another user shared is theirs: they organize and attend its meetings.
        self.owner_email = (
            email_normalize(account.calendar_owner or account.mailbox_address or "") or ""
        )
        self.database_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        self.Link = self.env["outlook.event.link"].sudo()
        self.Event = self.env["calendar.event"].sudo().with_context(active_test=False)
        self.counts = Counter()
        self.errors = []
        self.conflicts = []
        self.full_resync = False
        self.retry_after = 0.0
        self.resume_link = None  # set when this run read Outlook only in part
        self.window_start = (self.now - timedelta(days=account.sync_past_days)).replace(
            tzinfo=timezone.utc
        )
        self.window_end = (self.now + timedelta(days=account.sync_future_days)).replace(
            tzinfo=timezone.utc
        )
        self._gone_remote = set()
        self._unlinked = None
        self._changes_since = False  # not computed yet (see local_changes_since)
        self._changed_events = None
        self._user_calendars = None
        self._changed_series = set()
        self._series_items = {}
        self._series_of = {}
        self._series_masters = {}  # master id: its SeriesMaster read this run, None when gone
        self._unreadable_series = set()  # series with an unreadable occurrence: left as they are
        self._single_recurrence_ids = []  # Odoo series Outlook cannot repeat: sent as events
        self._archived_recurrence_ids = set()  # recurrences with events the run archived
        self._alarms = AlarmCache(self.env)
        self.notices = []
        self._series_instances = {}
        self._untouched = set()  # Outlook events not modified since they were created
        self._own_creates = set()  # unlinked Outlook events this database created
        self._organizers = {}  # organizer email: the Odoo user organizing (none: outsider)
        self._same_meetings = {}  # iCalUId: colleagues' events a link may take back
        self.pairing = RunPairing(self)

    # ------------------------------------------------------------------
    # The run
    # ------------------------------------------------------------------

    def run(self):
        """Carry out one sync; returns the values of the ``outlook.sync.log`` to record."""
        remote_events, removed_ids, delta_link = self._pull()
        series_sync = SeriesSync(self._series_context())
        series_sync.sync(remote_events, removed_ids)
        self.notices.extend(series_sync.notices)
        links = self._links_for(remote_events, removed_ids)
        self._remember_change_keys(remote_events, links)
        items, targets = self._items(remote_events, removed_ids, links)
        decided = plan(items, self.policy, self.now.replace(tzinfo=timezone.utc))
        item_plans = decided.items
        self.conflicts.extend(
            conflict_row(conflict, targets[conflict.key].get("name", ""))
            for conflict in decided.conflicts
        )
        for error in decided.errors:
            self._item_failed(targets[error.key], error.reason)
        self._guard_mass_deletion(item_plans)
        remote_answers, failed = self._push(item_plans, targets)
        self._apply_locally(item_plans, targets, remote_answers, failed)
        series_sync.apply(remote_events)
        series_sync.settle_flags(self._archived_recurrence_ids)
        vals = {"delta_link": delta_link, "delta_link_unfinished": bool(self.resume_link)}
        if self._leaves_unsent(series_sync):
            vals["unsent_scanned_at"] = False
        if self.full_resync:
            vals["delta_window_end"] = self.window_end.replace(tzinfo=None)
        vals.update(self._categories_state())
        if self.is_first_sync and not self.policy.responses_tracked:
            self.notices.append(
                {
                    "event": "",
                    "reason": self.env._(
                        "Outlook does not track attendees' answers to meetings sent from this "
                        "calendar (only the default calendar does): the answers Odoo knows are "
                        "kept, and Outlook's are not taken over them."
                    ),
                }
            )
        self.account.write(vals)
        return self._log_values()

    def _categories_state(self):
        """The account's ``categories_refused`` as this run found it; the first run that finds
        the master category list refused says so on its log (the next ones only keep it)."""
        if self.categories_allowed is None or self.categories_allowed != bool(
            self.account.categories_refused
        ):
            return {}
        if not self.categories_allowed:
            self.notices.append(
                {
                    "event": "",
                    "reason": self.env._(
                        "Microsoft does not let this app use your Outlook category list (the "
                        "MailboxSettings.ReadWrite permission was not granted): Odoo tags and "
                        "Outlook categories still travel with the events, but without their "
                        "colours, and new tags are not added to Outlook's list. Reconnect "
                        "Outlook to grant it."
                    ),
                }
            )
        return {"categories_refused": not self.categories_allowed}

    def dry_run(self, policies):
        """Read both sides and plan under each of ``policies`` without writing anything, in
        Outlook or in Odoo (the first-sync preview): one ``DryRun`` per policy."""
        self.dry = True
        remote_events, removed_ids, _delta_link = self._pull()
        series_from_outlook, series_to_outlook = SeriesSync(self._series_context()).preview(
            remote_events
        )
        links = self._links_for(remote_events, removed_ids)
        items, _targets = self._items(remote_events, removed_ids, links)
        now = self.now.replace(tzinfo=timezone.utc)
        return [
            DryRun(
                plan=plan(items, policy, now),
                series_to_odoo=tuple(series_from_outlook) if policy.pull else (),
                series_to_outlook=tuple(
                    pushed
                    for values, last_stop in series_to_outlook
                    if policy.push is not PushScope.FUTURE or last_stop >= self.now
                    if (pushed := series_pushed(values, policy)) is not None
                ),
            )
            for policy in policies
        ]

    def _guard_mass_deletion(self, item_plans):
        """Stop before deleting more than max(20, 25 %) of the synced events on either side (an
        emptied calendar, a wrong mailbox) unless the user confirmed it."""
        if self.account.confirm_mass_deletion:
            return
        in_outlook = sum(
            isinstance(action, (DeleteRemote, DeclineRemote))
            for item_plan in item_plans
            for action in item_plan.actions
        )
        in_odoo = sum(
            isinstance(action, ArchiveLocal)
            for item_plan in item_plans
            for action in item_plan.actions
        )
        if max(in_outlook, in_odoo) <= MASS_DELETION_MIN:
            return
        synced = self.Link.search_count([("account_id", "=", self.account.id)])
        limit = max(MASS_DELETION_MIN, synced * MASS_DELETION_SHARE)
        if in_outlook > limit or in_odoo > limit:
            raise MassDeletion(in_outlook=in_outlook, in_odoo=in_odoo, synced=synced)

    # ------------------------------------------------------------------
    # Reading both sides
    # ------------------------------------------------------------------

    def _pull(self):
        """Outlook's changes since the last run (everything in the window on the first run)."""
        account = self.account
        start, end = self.window_start, self.window_end
        delta_link = account.delta_link or None
        resuming = bool(delta_link and account.delta_link_unfinished)
        drifted = account.delta_window_end and (
            end.replace(tzinfo=None) - account.delta_window_end > WINDOW_DRIFT
        )
        if drifted and not resuming:
            delta_link = None
        try:
            read = read_pages(
                self.graph.delta(
                    account.calendar_id, start, end, delta_link, page_size=DELTA_PAGE_SIZE
                ),
                self._page_budget(resuming=resuming, afresh=not delta_link),
            )
        except SyncStateGone:
            _logger.info("Outlook account %s: delta state gone, full resync", account.id)
            self.full_resync = True
            read = read_pages(
                self.graph.delta(account.calendar_id, start, end, None, page_size=DELTA_PAGE_SIZE),
                self._page_budget(resuming=False, afresh=True),
            )
        pages, self.resume_link = read.pages, read.resume_link
        self.full_resync = self.full_resync or not delta_link
        remote_events, removed_ids = {}, set()
        for page in pages:
            for item in page.items:
                self._read_item(item, remote_events, removed_ids)
        if removed_ids:
            removed_series = self.Link.search(
                [
                    ("account_id", "=", account.id),
                    ("series_master_id", "in", list(removed_ids)),
                ]
            )
            self._changed_series.update(removed_series.mapped("series_master_id"))
        self._read_series(remote_events)
        if account.declined_invitations == "hide":
            self._leave_out_declined(remote_events)
        if self.resume_link:
            return remote_events, removed_ids, self.resume_link
        return remote_events, removed_ids, pages[-1].delta_link if pages else account.delta_link

    def _page_budget(self, *, resuming, afresh):
        """How many delta pages this run may read: a budget only for the first read of an
        account that no link binds yet, and for its continuation (a full read of a synced
        calendar must see every event, or it would take those it did not reach as removed);
        none for the preview's dry run."""
        if self.dry:
            return None
        if resuming:
            return FIRST_READ_PAGE_BUDGET
        if not afresh:
            return None
        bound = [("account_id", "=", self.account.id)]
        series_bound = self.env["outlook.series.link"].sudo().search_count(bound, limit=1)
        if self.Link.search_count(bound, limit=1) or series_bound:
            return None
        return FIRST_READ_PAGE_BUDGET

    def _leave_out_declined(self, remote_events):
        """Meetings the owner declined read as cancelled: never imported, and taken out of
        Odoo (the owner leaves the event, or it is archived) when declined later."""
        for graph_id, (event, tx) in list(remote_events.items()):
            if declined_by_owner(event.values, self.owner_email, organizer=event.is_organizer):
                values = event.values.replace(is_cancelled=True)
                remote_events[graph_id] = (dataclasses.replace(event, values=values), tx)
                self._declined.add(graph_id)

    def _read_item(self, item, remote_events, removed_ids):
        try:
            read = mapping.read_delta_item(
                item, owner_email=self.owner_email, mailbox_zone=self.mailbox_zone
            )
        except MalformedEvent as error:
            self._malformed(item, error)
            return
        if isinstance(read, SeriesPart):
            # Delta gives occurrences as stubs: the series is read whole by _read_series.
            self._changed_series.add(read.master_id)
            self._series_items.setdefault(read.master_id, []).append(read.item)
        elif isinstance(read, RemovedEvent):
            removed_ids.add(read.graph_id)
            remote_events.pop(read.graph_id, None)
        elif read is not None:
            remote_events[read.graph_id] = (read, read.transaction_id)
            if read.unmodified_since_created:
                self._untouched.add(read.graph_id)

    def _read_series(self, remote_events):
        """Every occurrence of the changed series in the window, with all its properties; a
        series that is gone leaves none (its occurrences' links then count as deleted).
        Occurrences are keyed across mailboxes by the series' iCalUId and their original start."""
        for master_id in sorted(self._changed_series):
            try:
                read = self._series_read(master_id)
            except MalformedEvent as error:
                # Unreadable stubs: the series is skipped, its links left as they are.
                self._malformed({}, error)
                self._unreadable_series.add(master_id)
                continue
            self._series_masters[master_id] = read.master
            self._series_instances[master_id] = read.instance_ids
            for row, error in read.malformed:
                self._malformed(row, error)
                self._unreadable_series.add(master_id)
            for event in read.occurrences:
                remote_events[event.graph_id] = (event, None)
                self._series_of[event.graph_id] = master_id

    def _series_read(self, master_id):
        """The series read whole (``services.series.SeriesRead``): from the master and the
        stubs when delta brought all of it, else from ``/instances`` (one request more)."""
        reading = {"owner_email": self.owner_email, "mailbox_zone": self.mailbox_zone}
        read = series.from_delta(self._series_items.get(master_id, []), **reading)
        if read is not None:
            return read
        try:
            master = self.graph.get_event(master_id)
            rows = self.graph.instances(master_id, self.window_start, self.window_end)
        except NotFound:
            return series.GONE
        return series.read_series(master, rows, **reading)

    def _read_master(self, master):
        """Graph's JSON of a series master read once (``services.series.SeriesMaster``)."""
        return series.read_master(
            master, owner_email=self.owner_email, mailbox_zone=self.mailbox_zone
        )

    def _series_context(self):
        """What the series half of the run works with (``sync.series.SeriesContext``)."""
        return SeriesContext(
            env=self.env,
            account=self.account,
            graph=self.graph,
            policy=self.policy,
            now=self.now,
            window_start=self.window_start,
            window_end=self.window_end,
            database_uuid=self.database_uuid,
            owner_email=self.owner_email,
            reminders=self.reminders,
            mailbox_zone=self.mailbox_zone,
            resuming=bool(self.resume_link),
            masters=self._series_masters,
            series_of=self._series_of,
            instances=self._series_instances,
            unreadable=self._unreadable_series,
            changed=self._changed_series,
            read_master=self._read_master,
            single_recurrence_ids=self._single_recurrence_ids,
            odoo=self,
            counts=self.counts,
            errors=self.errors,
        )

    def _wait(self, seconds):
        """Microsoft asked to wait ``seconds`` (at least one) before the next sync."""
        self.retry_after = max(self.retry_after, seconds, 1.0)

    def mailbox_zone(self):
        """The mailbox's own zone (IANA), for events whose zone Graph cannot name (a legacy
        custom zone). Read once per run, and only in a run that meets such an event: the
        mailbox settings' zone (the user may change it in Outlook at any time, so it is not
        kept), else the Odoo user's zone, else UTC."""
        if self._mailbox_zone is None:
            name = ""
            try:
                name = self.graph.mailbox_time_zone()
            except Throttled:
                raise
            except GraphError as error:
                _logger.info("Outlook mailbox time zone not read: %s", error)
            resolved = windows_to_iana(name)
            if resolved.fallback:
                resolved = canonical_iana(self.account.user_id.tz or UTC_NAME)
            self._mailbox_zone = UTC_NAME if resolved.fallback else resolved.name
        return self._mailbox_zone

    def _links_for(self, remote_events, removed_ids):
        """The links this run must look at: seen in Outlook, changed in Odoo, or all of them on a
        full resync (a link whose event no longer comes back must be confirmed)."""
        domain = [("account_id", "=", self.account.id)]
        if not self.full_resync:
            seen = list(remote_events) + list(removed_ids)
            series = list(self._series_instances)
            due = ["|", ("retry_at", "=", False), ("retry_at", "<=", self.now)]
            domain += [
                "|",
                "|",
                "&",
                ("dirty", "=", True),
                *due,
                ("graph_id", "in", seen),
                ("series_master_id", "in", series),
            ]
        return self.Link.search(domain)

    def _items(self, remote_events, removed_ids, links):
        """One ``SyncItem`` per binding; ``targets`` says what each item key stands for."""
        items, targets = [], {}
        by_graph_id = {link.graph_id: link for link in links if link.graph_id}
        unknown_remote = {gid: ev for gid, ev in remote_events.items() if gid not in by_graph_id}
        self._confirm_removals(links, remote_events, removed_ids)
        self._same_meetings = self._same_meetings_in_odoo(links)
        for link in links:
            key = ItemKey(event=f"link:{link.id}")
            item = self._link_item(key, link, remote_events)
            if item:
                items.append(item)
                targets[key] = {"link": link, "event": link.event_id, "name": link.event_id.name}
        matched = self._match_unknown_remote(unknown_remote)
        self.pairing.find(unknown_remote, matched)
        for graph_id, (event, _tx) in unknown_remote.items():
            if graph_id in self.pairing.held_graph_ids:
                continue  # ambiguous: neither imported nor paired until the user decides
            key = ItemKey(event=f"remote:{graph_id}")
            local_event = matched.get(graph_id, self.Event)
            local = (
                self._local_values(local_event, key, event.values, event.is_organizer)
                if local_event
                else None
            )
            if local_event and local is None and local_event.active:
                continue
            # Our own create whose answer was lost, untouched in Outlook since: it holds what we
            # sent, so an Odoo edit made since then is the only change (not a conflict), and an
            # Odoo deletion made since then deletes it.
            sent = graph_id in self._own_creates and graph_id in self._untouched
            if sent and not local_event.active:
                local = None
            paired = not sent and local is not None and self.pairing.is_pair(graph_id)
            items.append(
                SyncItem(
                    key=key,
                    base=SyncBase(local=event.values, remote=event.values) if sent else None,
                    local=local,
                    local_dirty=sent,
                    # Found without a link (a lost create, another mailbox's copy): the event's
                    # last write dates the Odoo side for newest-wins.
                    local_modified=local_event.write_date.replace(tzinfo=timezone.utc)
                    if local_event
                    else None,
                    remote=event.values,
                    remote_modified=event.last_modified,
                    organizer=event.is_organizer,
                    owner_email=self.owner_email,
                    organizer_syncs=not event.is_organizer and self._organizer_syncs(local_event),
                    paired=paired,
                )
            )
            name = (paired and local_event.name) or event.values.name
            targets[key] = {"remote": event, "event": local_event, "name": name}
        matched_ids = {event.id for event in matched.values()} | self.pairing.held_event_ids
        # Read in part, Outlook may still hold their copies: they go once it was read whole.
        unlinked = self.Event if self.resume_link else self._unlinked_events()
        for event in unlinked.filtered(lambda ev: ev.id not in matched_ids):
            key = ItemKey(event=f"local:{event.id}")
            local = self._local_values(event, key)
            if local is not None:
                items.append(SyncItem(key=key, local=local, owner_email=self.owner_email))
                targets[key] = {"event": event, "name": event.name}
        return items, targets

    def _link_item(self, key, link, remote_events):
        seen = remote_events.get(link.graph_id)
        now_remote = seen[0].values if seen else None
        try:
            base = SyncBase.from_snapshot(link.base, remote=now_remote) if link.base else None
        except SnapshotError:
            base = None
        event = link.event_id
        if not event and seen and base and changed_fields(base.remote, now_remote):
            event = self._same_meeting_in_odoo(link)
        organizer = seen[0].is_organizer if seen else link.is_organizer
        reference = now_remote or (base.remote if base else None)
        local = (
            self._local_values(event, key, reference, organizer) if event and event.active else None
        )
        if event and event.active and local is None:
            return None
        if base:
            # Fields an older snapshot lacks read as what each side holds now (no change).
            base = SyncBase.from_snapshot(link.base, local=local, remote=reference)
        if seen:
            remote, modified, organizer = (
                seen[0].values,
                seen[0].last_modified,
                seen[0].is_organizer,
            )
        elif link.graph_id in self._gone_remote:
            remote, modified, organizer = None, None, link.is_organizer
        elif base:
            remote, modified, organizer = base.remote, None, link.is_organizer
        else:
            return None
        return SyncItem(
            key=key,
            base=base,
            local=local,
            local_dirty=link.dirty,
            local_modified=link.local_modified_at
            and link.local_modified_at.replace(tzinfo=timezone.utc),
            remote=remote,
            remote_modified=modified,
            organizer=organizer,
            owner_email=self.owner_email,
            organizer_syncs=not organizer and self._organizer_syncs(event),
        )

    def _organizer_syncs(self, event):
        """Whether the event's organizer, a user of this database, syncs it through a link of
        their own (another mailbox's)."""
        return bool(event) and any(
            link.account_id != self.account and link.account_id.user_id == event.user_id
            for link in event.sudo().outlook_link_ids
        )

    def _same_meeting_in_odoo(self, link):
        """Deleted in Odoo, edited in Outlook since: the edit wins and the meeting comes back to
        Odoo. When a colleague's sync brought it in meanwhile (their invitation, same iCalUId),
        this link takes that event instead of a second copy, which this mailbox would also
        have sent to Outlook as a new meeting."""
        events = self._same_meetings.get(link.ical_uid) if link.ical_uid else None
        if not events:
            return self.Event
        event = events.pop(0)
        link.event_id = event
        return event

    def _same_meetings_in_odoo(self, links):
        """For the iCalUIds of ``links`` whose Odoo event is deleted, the active Odoo events
        other mailboxes' links hold by that iCalUId and no link of this account does, in one
        search: {ical_uid: [calendar.event]}."""
        ical_uids = {link.ical_uid for link in links if not link.event_id and link.ical_uid}
        found = {}
        if not ical_uids:
            return found
        others = self.Link.search(
            [
                ("ical_uid", "in", sorted(ical_uids)),
                ("account_id", "!=", self.account.id),
                ("event_id.active", "=", True),
                ("event_id.outlook_link_ids", "not any", [("account_id", "=", self.account.id)]),
            ]
        )
        for other in others:
            events = found.setdefault(other.ical_uid, [])
            if other.event_id not in events:
                events.append(other.event_id)
        return found

    def _confirm_removals(self, links, remote_events, removed_ids):
        """A ``@removed`` (or, on a full resync, a link whose event did not come back) may only
        mean "left the window": GET the event before treating it as deleted. An occurrence
        missing from its series, read whole in the same window, is deleted without asking."""
        candidates = []
        for link in links:
            if not link.graph_id or link.graph_id in remote_events or not self._in_window(link):
                continue
            occurrences = self._series_instances.get(link.series_master_id)
            if occurrences is not None:
                self._gone_remote.add(link.graph_id)
            elif link.graph_id in removed_ids or self.full_resync:
                candidates.append(link)
        answers = self.graph.get_events([link.graph_id for link in candidates])
        for link in candidates:
            answer = answers[link.graph_id]
            if answer is None:
                self._gone_remote.add(link.graph_id)
                continue
            try:
                event = mapping.read_event(
                    answer, owner_email=self.owner_email, mailbox_zone=self.mailbox_zone
                )
            except MalformedEvent as error:
                self._item_failed({"link": link, "name": link.event_id.name}, error.reason)
                continue
            if event.values.is_cancelled:
                self._gone_remote.add(link.graph_id)
            else:
                remote_events[link.graph_id] = (event, event.transaction_id)

    def _in_window(self, link):
        """Whether the link's Odoo event overlaps the sync window (an event that merely fell
        out of it is left alone)."""
        event = link.event_id
        if not event:
            return True
        stop = event.stop.replace(tzinfo=timezone.utc)
        start = event.start.replace(tzinfo=timezone.utc)
        return stop >= self.window_start and start <= self.window_end

    def _match_unknown_remote(self, unknown_remote):
        """Outlook events without a link that are already in Odoo: created by this database (our
        extended property or ``transactionId``), the same meeting synced by another user
        (``iCalUId``), or an invitation from a colleague whose sync lost its answer
        (``_match_lost_invitations``). Returns {graph_id: calendar.event}."""
        matched = {}
        by_ical = {}
        wanted_ical = [ev.ical_uid for ev, _tx in unknown_remote.values() if ev.ical_uid]
        if wanted_ical:
            for link in self.Link.search(
                [("ical_uid", "in", wanted_ical), ("event_id", "!=", False)]
            ):
                by_ical.setdefault(link.ical_uid, link.event_id)
        tx_candidates = self._transaction_ids_of_unlinked(unknown_remote)

        for graph_id, (event, tx) in unknown_remote.items():
            ref = event.odoo_ref
            if tx and tx not in tx_candidates and not ref and graph_id in self._untouched:
                ref = self._odoo_ref_of(graph_id)
            # Ours even when its Odoo event was deleted or archived since (a lost create).
            own_id = mapping.own_event_id(ref, self.database_uuid)
            own = own_id is not None
            local = self.Event.browse(own_id).exists() if own else None
            if not local and tx and tx in tx_candidates:
                local, own = tx_candidates[tx], True
            if own:
                self._own_creates.add(graph_id)
            if not local and event.ical_uid in by_ical:
                local = by_ical[event.ical_uid]
            if local:
                matched[graph_id] = local
        unmatched = {gid: ev for gid, (ev, _tx) in unknown_remote.items() if gid not in matched}
        matched.update(self._match_lost_invitations(unmatched, set(matched.values())))
        return matched

    def _match_lost_invitations(self, unmatched, taken):
        """{graph_id: calendar.event} for invitations in this mailbox that Odoo already holds
        but no link's iCalUId names yet: the organizer, a user of this database, had the
        meeting created in Outlook by a sync that crashed or lost the answer, so the
        organizer's link does not know its iCalUId until the organizer's next sync. Matched
        on organizer, name and time, the mailbox owner invited and not linked to it yet, and
        never two copies to one event (else each invited user's sync would import it again)."""
        invitations = {
            gid: ev
            for gid, ev in unmatched.items()
            if not ev.is_organizer and ev.values.organizer_email and not ev.values.is_cancelled
        }
        if not invitations:
            return {}
        emails = {email_normalize(ev.values.organizer_email) for ev in invitations.values()}
        organizers = (
            self.env["res.users"]
            .sudo()
            .search(
                [("email_normalized", "in", list(emails)), ("id", "!=", self.account.user_id.id)]
            )
        )
        if not organizers:
            return {}
        candidates = self.Event.search(
            [
                ("user_id", "in", organizers.ids),
                ("active", "=", True),
                ("recurrency", "=", False),
                ("partner_ids", "in", self.account.user_id.partner_id.ids),
                ("outlook_link_ids", "not any", [("account_id", "=", self.account.id)]),
                ("name", "in", [ev.values.name for ev in invitations.values()]),
            ],
            order="id",
        )
        by_key = {}
        for event in candidates - self.Event.browse([e.id for e in taken]):
            try:
                by_key.setdefault(organized_meeting_key(event._outlook_read_values()), event)
            except ValueError:
                continue
        found = {}
        for graph_id in sorted(invitations):
            event = by_key.pop(organized_meeting_key(invitations[graph_id].values), None)
            if event:
                found[graph_id] = event
        return found

    def _odoo_ref_of(self, graph_id):
        """Our extended property on an Outlook event (delta does not return it): asked only of
        an untouched event carrying a ``transactionId`` no live Odoo event of this user has,
        which may be a lost create whose Odoo event was deleted or archived since."""
        try:
            answer = self.graph.get_event(graph_id, expand=mapping.EXPAND_ODOO_REF)
            return mapping.read_event(
                answer, owner_email=self.owner_email, mailbox_zone=self.mailbox_zone
            ).odoo_ref
        except (NotFound, MalformedEvent):
            return None

    def _transaction_ids_of_unlinked(self, unknown_remote):
        """{transactionId: event} of this user's unlinked events, to recognise a create whose
        answer was lost (the event exists in Outlook, its link was never stored)."""
        if not any(tx for _ev, tx in unknown_remote.values()):
            return {}
        events = self._unlinked_events()
        return {
            mapping.transaction_id(self.database_uuid, event.id, generation): event
            for event in events
            for generation in (0, 1)
        }

    def _unlinked_events(self):
        """This user's events in the window that go to this calendar
        (``outlook.account._export_domain``) and that no link of the user's calendars covers
        yet."""
        if self._unlinked is not None:
            return self._unlinked
        account = self.account
        domain = [
            ("user_id", "=", account.user_id.id),
            ("active", "=", True),
            "|",
            "|",
            ("recurrency", "=", False),
            ("recurrence_id", "in", self._single_recurrence_ids),
            # An Odoo series Outlook cannot repeat, already sent as single events.
            (
                "recurrence_id.calendar_event_ids.outlook_link_ids",
                "any",
                [("account_id", "=", account.id), ("series_master_id", "=", False)],
            ),
            ("stop", ">=", self.window_start.replace(tzinfo=None)),
            ("start", "<=", self.window_end.replace(tzinfo=None)),
            ("outlook_link_ids", "not any", [("account_id", "in", self.user_calendars())]),
            *account._export_domain(),
        ]
        if account.first_sync_last_event_id:
            # What the first sync left in Odoo stays there; only newer events are sent.
            domain.append(("id", ">", account.first_sync_last_event_id))
        if self.local_changes_since() is not None:
            # The few changed events first (indexes), then the whole domain on them alone.
            changed = self.changed_events()
            if not changed:
                self._unlinked = self.Event
                return self._unlinked
            domain.append(("id", "in", changed.ids))
        self._unlinked = self.Event.search(domain)
        return self._unlinked

    def local_changes_since(self):
        """Since when Odoo's changes may have made events this calendar's: the last run's start
        (``None``: any event may have). Unsent events that did not change since were looked at
        by the last run, which sent them or had nothing to send. All of them are looked at on a
        full read of Outlook, once a day (``FULL_LOCAL_SCAN_EVERY``), and when the last run left
        some unsent or the user's calendars changed (``unsent_scanned_at`` emptied)."""
        if self._changes_since is not False:
            return self._changes_since
        account = self.account
        scanned = account.unsent_scanned_at
        incremental = (
            scanned
            and account.last_sync_at
            and not (self.full_resync or self.is_first_sync)
            and self.now.replace(tzinfo=None) - scanned < FULL_LOCAL_SCAN_EVERY
        )
        self._changes_since = account.last_sync_at if incremental else None
        if not (incremental or self.dry):
            # Emptied again if the run leaves some unsent, or by a change of the user's
            # calendars meanwhile (``_leaves_unsent``).
            account.unsent_scanned_at = self.now.replace(tzinfo=None)
        return self._changes_since

    def user_calendars(self):
        """The ids of the user's accounts (``outlook.account._user_account_ids``), read once."""
        if self._user_calendars is None:
            self._user_calendars = self.account._user_account_ids()
        return self._user_calendars

    def changed_events(self):
        """The user's active events that no link of the user's calendars holds, created or
        written since ``local_changes_since``, or that entered the window's end as days passed
        since (it is not ``None``). A linked event is its calendar's, never sent anew: leaving
        linked ones out leaves out what the last run created and linked itself, newer than its
        start, whereas an event a user saved meanwhile, unseen by that run, is unlinked."""
        if self._changed_events is None:
            since = self.local_changes_since()
            calendars = self.user_calendars()
            self._changed_events = self.Event.search(
                [
                    ("user_id", "=", self.account.user_id.id),
                    ("active", "=", True),
                    ("outlook_link_ids", "not any", [("account_id", "in", calendars)]),
                    "|",
                    "|",
                    ("id", ">", self.account.last_sync_event_id),
                    ("write_date", ">=", since),
                    "&",
                    ("start", ">", since + timedelta(days=self.account.sync_future_days)),
                    ("start", "<=", self.window_end.replace(tzinfo=None)),
                ]
            )
        return self._changed_events

    def _leaves_unsent(self, series_sync):
        """Whether this run may leave unsent an Odoo event that will not change before the next
        run: it read Outlook in part, deferred or failed a write, or held an ambiguous pair."""
        return bool(
            self.resume_link
            or self.counts["deferred"]
            or self.errors
            or self.pairing.held_event_ids
            or series_sync.held_recurrence_ids
        )

    def _local_values(self, event, key, remote=None, organizer=True):
        """The event's values as Odoo holds them, with what Odoo cannot hold taken from
        ``remote`` (Outlook's values; ``services.details.held_by_odoo``)."""
        try:
            values = event._outlook_read_values()
        except ValueError as error:
            self.errors.append({"event": event.name, "reason": str(error)})
            return None
        return held_by_odoo(values, remote, organizer=organizer, reminders=self.reminders)

    # ------------------------------------------------------------------
    # Outlook side
    # ------------------------------------------------------------------

    def _push(self, item_plans, targets):
        """Send every Outlook write of the plan in ``$batch``; returns the answers by key and
        the keys whose writes failed (their Odoo side and base stay as they were)."""
        self._ensure_master_categories(item_plans)
        outbox, queued = Outbox(self.graph, self.account.calendar_id), []
        for item_plan in item_plans:
            for action in item_plan.actions:
                if self._queue(outbox, item_plan.key, action, targets[item_plan.key]):
                    queued.append(action)
        answers, failed = {}, set()
        for action, outcome in zip(queued, outbox.send(), strict=True):
            key = outcome.key
            if outcome.ok:
                answer = self._read_answer(outcome.answer)
                answers[key] = answer or answers.get(key)
                self._count_push(action)
                self._check_online_meeting(action, answer, targets[key])
            else:
                failed.add(key)
                reason = self._refusal(outcome)
                if reason:
                    self._item_failed(targets[key], reason)
        return answers, failed

    def _refusal(self, outcome):
        """Why Outlook did not take the write of ``outcome`` (not ``ok``); ``None`` when its
        quota ran out: not an error, the run waits as Outlook asked and counts the write
        deferred, the next run (soon) sends it."""
        if outcome.result is Result.THROTTLED:
            self._wait(outcome.retry_after)
            self.counts["deferred"] += 1
            return None
        if outcome.result is Result.UNCONFIRMED:
            return self._unconfirmed(outcome.error.status)
        return str(outcome.error)

    def _read_answer(self, answer):
        """The event Graph answered a write with (``None`` for a write answered without one)."""
        if not answer:
            return None
        return mapping.read_event(
            answer, owner_email=self.owner_email, mailbox_zone=self.mailbox_zone
        )

    def _unconfirmed(self, status):
        return self.env._(
            "Outlook answered %(status)s: this change may have been applied all the same. The "
            "next sync reads Outlook before sending it again, so nobody is mailed twice.",
            status=status,
        )

    def _queue(self, outbox, key, action, target):
        """Put the Outlook write of ``action`` in ``outbox``; False when it has none."""
        link, remote = target.get("link"), target.get("remote")
        graph_id = link.graph_id if link else remote.graph_id if remote else ""
        if isinstance(action, CreateRemote):
            event = target["event"]
            generation = 1 if action.recreate else 0
            body = mapping.create_payload(
                sent_to_outlook(action.values, self.reminders),
                ref=mapping.odoo_ref(self.database_uuid, event.id),
                transaction=mapping.transaction_id(self.database_uuid, event.id, generation),
            )
            outbox.create(key, body)
        elif isinstance(action, UpdateRemote):
            change_key = link.change_key if link else target["remote"].change_key
            body = mapping.to_graph(sent_to_outlook(action.values, self.reminders), action.fields)
            outbox.update(key, graph_id, body, change_key=change_key or None)
        elif isinstance(action, DeleteRemote):
            outbox.delete(key, graph_id)
        elif isinstance(action, DeclineRemote):
            outbox.respond(key, graph_id, "declined")
        elif isinstance(action, RespondRemote) and action.response in REPLY_ACTIONS:
            outbox.respond(key, graph_id, action.response)
        else:
            return False
        return True

    def _count_push(self, action):
        if isinstance(action, CreateRemote):
            self.counts["pushed_created"] += 1
        elif isinstance(action, (UpdateRemote, RespondRemote)):
            self.counts["pushed_updated"] += 1
        elif isinstance(action, (DeleteRemote, DeclineRemote)):
            self.counts["pushed_deleted"] += 1

    # ------------------------------------------------------------------
    # Odoo side and links
    # ------------------------------------------------------------------

    def _apply_locally(self, item_plans, targets, remote_answers, failed):
        """Apply the Odoo actions of every item whose Outlook writes succeeded, then store the
        links (bases, change keys) in the same transaction."""
        done = [item_plan for item_plan in item_plans if item_plan.key not in failed]
        partners = self._partners_for(done)
        tags = self._tags_for(done)
        alarms = self._alarms
        creates = [
            (item_plan, action)
            for item_plan in done
            for action in item_plan.actions
            if isinstance(action, CreateLocal)
        ]
        self._create_local(creates, targets, partners, alarms, tags)
        for item_plan in done:
            for action in item_plan.actions:
                if isinstance(action, UpdateLocal):
                    self._update_local(action, targets[item_plan.key], partners, alarms, tags)
                elif isinstance(action, ArchiveLocal):
                    self._archive_local(targets[item_plan.key])
        self._store_links(done, targets, remote_answers)

    def _partners_for(self, item_plans):
        """{email: partner id} for every attendee the plan writes to Odoo; unknown people become
        partners (users' own partners first, so a user never appears twice)."""
        return self._partners_for_values(
            action.values
            for item_plan in item_plans
            for action in item_plan.actions
            if isinstance(action, (CreateLocal, UpdateLocal))
        )

    def _partners_for_values(self, values_list):
        """{email: partner id} for the attendees of ``values_list``."""
        names = {
            attendee.email: attendee.name for values in values_list for attendee in values.attendees
        }
        emails = set(names)
        if not emails:
            return {}
        partners = {}
        users = self.env["res.users"].sudo().search([("email_normalized", "in", list(emails))])
        for user in users:
            partners.setdefault(user.email_normalized, user.partner_id.id)
        Partner = self.env["res.partner"].sudo()
        missing = emails - set(partners)
        for partner in Partner.search([("email_normalized", "in", list(missing))], order="id"):
            partners.setdefault(partner.email_normalized, partner.id)
        new_emails = sorted(emails - set(partners))
        created = Partner.create([{"name": names[e] or e, "email": e} for e in new_emails])
        partners.update(zip(new_emails, created.ids, strict=True))
        return partners

    def _create_local(self, creates, targets, partners, alarms, tags):
        if not creates:
            return
        Event = self.Event
        vals_list = []
        self._find_organizers(action.values.organizer_email for _item_plan, action in creates)
        for _item_plan, action in creates:
            organizer = self._organizer_user(action.values.organizer_email)
            pulled = self._pulled_fields(SYNCED_FIELDS, organizer == self.account.user_id)
            vals = Event._outlook_vals_to_write(
                action.values, pulled, partners, alarms.get, organizer, tags=tags
            )
            vals["user_id"] = organizer.id
            vals_list.append(self._tagged(vals))
        existing = [targets[item_plan.key].get("event") for item_plan, _action in creates]
        to_create = [vals for vals, event in zip(vals_list, existing, strict=True) if not event]
        created = iter(Event.create(to_create)) if to_create else iter(())
        events, values_by_event = self.Event, {}
        for (item_plan, action), vals, archived in zip(creates, vals_list, existing, strict=True):
            if archived:
                archived.write({**vals, "active": True})
            event = archived or next(created)
            targets[item_plan.key]["event"] = event
            events |= event
            values_by_event[event.id] = action.values
        events._outlook_set_responses(values_by_event)
        self.counts["pulled_created"] += len(creates)

    def _tagged(self, vals):
        """``vals`` of an event created from this calendar, with the calendar's tag."""
        if self.account.event_tag_id:
            vals.setdefault("categ_ids", []).append(
                fields.Command.link(self.account.event_tag_id.id)
            )
        return vals

    def _update_local(self, action, target, partners, alarms, tags):
        event = target["event"]
        # Odoo's events hold no zone of their own (they read as their organizer's): a new zone
        # alone, as when a time moved in Odoo keeps the zone Outlook has, leaves Odoo as it is.
        pulled = self._pulled_fields(action.fields, event.user_id == self.account.user_id) - {
            "timezone"
        }
        if not pulled:
            return
        vals = self.Event.browse(event.ids)._outlook_vals_to_write(
            action.values, pulled, partners, alarms.get, event.user_id, tags=tags
        )
        if vals:
            event.write(vals)
        if "attendees" in action.fields:
            event._outlook_set_responses({event.id: action.values})
        self.counts["pulled_updated"] += 1

    def _archive_local(self, target):
        """Gone from Outlook: archive the event, unless other mailboxes still hold it (then only
        the owner leaves it)."""
        event = target.get("event")
        if not event or not event.active:
            return
        others = event.outlook_link_ids.filtered(lambda link: link.account_id != self.account)
        seen = target.get("link") or target.get("remote")
        if others and seen and seen.graph_id in self._declined:
            # Declined, but other users sync this meeting: leaving it would change their
            # meeting (their organizer's sync would uninvite the owner). It stays, declined.
            return
        event._outlook_remove_for(self.account.user_id, shared=bool(others))
        if not others and event.recurrence_id:
            self._archived_recurrence_ids.add(event.recurrence_id.id)
        self.counts["pulled_archived"] += 1

    def _new_in_outlook(self, values):
        """What an Odoo event not yet in Outlook sends there."""
        held = held_by_odoo(values, None, organizer=True, reminders=self.reminders)
        return sent_to_outlook(held, self.reminders)

    def _take_join_url(self, event, remote):
        """The join URL Outlook made for the Teams meeting we asked for comes back in its
        answer: Odoo gets it now, not only when the event next changes in Outlook."""
        if remote.videocall_url and event.videocall_location != remote.videocall_url:
            event.write({"videocall_location": remote.videocall_url})

    def _pulled_fields(self, field_names, organizer):
        """The fields to write to Odoo: the reminder only when Odoo holds it for this user
        (Odoo's alarms belong to the event, so an attendee's reminder stays in Outlook)."""
        if self.reminders is ReminderMode.OUTLOOK or not organizer:
            return frozenset(field_names) - {"reminder_minutes"}
        return frozenset(field_names)

    def _tags_for(self, item_plans):
        """{case-folded name: tag id} for every category the plan writes to Odoo."""
        return self._tags_for_values(
            action.values
            for item_plan in item_plans
            for action in item_plan.actions
            if isinstance(action, CreateLocal)
            or (isinstance(action, UpdateLocal) and "categories" in action.fields)
        )

    def _tags_for_values(self, values_list):
        """{case-folded name: tag id} for the categories of ``values_list``; unknown ones
        become tags, coloured like the mailbox's master category."""
        names = {name.casefold(): name for values in values_list for name in values.categories}
        if not names:
            return {}
        Tag = self.env["calendar.event.type"].sudo()
        tags = {tag.name.casefold(): tag.id for tag in Tag.search([]) if tag.name}
        missing = [name for folded, name in sorted(names.items()) if folded not in tags]
        if missing:
            colors = {
                category.name.casefold(): category.color for category in self._outlook_categories()
            }
            created = Tag.create(
                [
                    {"name": name, "color": PRESET_TO_ODOO.get(colors.get(name.casefold()), 0)}
                    for name in missing
                ]
            )
            tags.update((tag.name.casefold(), tag.id) for tag in created)
        return tags

    def _ensure_master_categories(self, item_plans):
        """Add to Outlook's master list every category the plan sends that it lacks, coloured
        like the Odoo tag (Outlook shows categories outside the list without a colour)."""
        names = {
            name.casefold(): name
            for item_plan in item_plans
            for action in item_plan.actions
            if isinstance(action, CreateRemote)
            or (isinstance(action, UpdateRemote) and "categories" in action.fields)
            for name in action.values.categories
        }
        if not names:
            return
        known = {category.name.casefold() for category in self._outlook_categories()}
        missing = {folded: name for folded, name in names.items() if folded not in known}
        if not missing or self.categories_allowed is False:
            return
        Tag = self.env["calendar.event.type"].sudo()
        colors = {tag.name.casefold(): tag.color for tag in Tag.search([]) if tag.name}
        for folded, name in sorted(missing.items()):
            color = ODOO_TO_PRESET.get(colors.get(folded) or 0, "none")
            try:
                self._master_categories.append(self.graph.create_master_category(name, color))
            except GraphError as error:
                # Added meanwhile (409) or refused: the event still carries the name.
                _logger.info("Outlook category %r not added: %s", name, error)
                if error.status == 403:
                    self.categories_allowed = False
                    return

    def _outlook_categories(self):
        """The mailbox's master category list, read once per run; empty when Microsoft refuses
        it (403: the token lacks MailboxSettings). The list is read before any Outlook write of
        the run, so a refusal changes what the run sends, never what it already sent."""
        if self._master_categories is None:
            try:
                self._master_categories = list(self.graph.master_categories())
                self.categories_allowed = True
            except GraphError as error:
                if error.status != 403:
                    raise
                self._master_categories = []
                self.categories_allowed = False
        return self._master_categories

    def _check_online_meeting(self, action, answer, target):
        """Tell the user when Outlook did not create the Teams meeting asked for (personal
        Microsoft accounts cannot, some organizations refuse it): the event is synced without
        one. ``answer``: the event Graph answered the write with."""
        if answer is None or answer.values.online_meeting:
            return
        asked = isinstance(action, CreateRemote) or (
            isinstance(action, UpdateRemote) and "online_meeting" in action.fields
        )
        self._teams_dropped(
            target.get("name") or "?", asked=asked and action.values.online_meeting, created=False
        )

    def _teams_dropped(self, name, *, asked, created):
        """Log, for the event ``name``, a Teams meeting ``asked`` for and not ``created``."""
        if not asked or created:
            return
        self.errors.append(
            {
                "event": name,
                "reason": self.env._(
                    "Outlook did not create the Teams meeting: this Microsoft account cannot "
                    "create Teams meetings (personal accounts cannot, and an organization can "
                    "refuse them to its users). The event is synced without one."
                ),
            }
        )

    def _organizer_user(self, organizer_email):
        """The Odoo user organizing an event from Outlook (none for outside organizers)."""
        if not organizer_email or organizer_email == self.owner_email:
            return self.account.user_id
        if organizer_email not in self._organizers:
            self._find_organizers([organizer_email])
        return self._organizers[organizer_email]

    def _find_organizers(self, organizer_emails):
        """Find the Odoo users of ``organizer_emails`` not looked up yet, in one search, for
        ``_organizer_user``."""
        missing = {email for email in organizer_emails if email} - set(self._organizers)
        missing.discard(self.owner_email)
        if not missing:
            return
        Users = self.env["res.users"].sudo()
        found = {}
        for user in Users.search([("email_normalized", "in", sorted(missing))]):
            found.setdefault(user.email_normalized, user)
        self._organizers.update({email: found.get(email, Users) for email in missing})

    def _store_links(self, item_plans, targets, remote_answers):
        """Write each settled binding: its base (Odoo side read back after the writes, Outlook
        side from Graph's answer, ``remote_answers``: the events Graph answered with, by key),
        ids and change key; drop the ones the plan ended."""
        to_unlink = self.Link
        new_links = []
        # Read back what Odoo stored (sanitized HTML, computed fields) for the bases.
        self.env.invalidate_all()
        for item_plan in item_plans:
            target = targets[item_plan.key]
            link = target.get("link")
            if item_plan.base is None:
                to_unlink |= link or self.Link
                continue
            event = target.get("event")
            remote_event = remote_answers.get(item_plan.key)
            seen = remote_event or target.get("remote")
            remote_base = remote_event.values if remote_event else item_plan.base.remote
            if remote_event and event and event.active:
                self._take_join_url(event, remote_event.values)
            organizer = seen.is_organizer if seen else (link.is_organizer if link else True)
            local_base = (
                held_by_odoo(
                    event._outlook_read_values(),
                    remote_base,
                    organizer=organizer,
                    reminders=self.reminders,
                )
                if event and event.active
                else item_plan.base.local
            )
            vals = {
                "event_id": event.id if event else False,
                "base": SyncBase(local=local_base, remote=remote_base).snapshot(),
                "dirty": False,
                "last_error": False,
                "error_count": 0,
                "retry_at": False,
            }
            if seen:
                vals.update(
                    graph_id=seen.graph_id,
                    ical_uid=seen.ical_uid,
                    change_key=seen.change_key,
                    is_organizer=seen.is_organizer,
                    series_master_id=self._series_of.get(seen.graph_id)
                    or (link.series_master_id if link else False),
                )
            if link:
                link.write(vals)
            else:
                new_links.append({"account_id": self.account.id, **vals})
        to_unlink.unlink()
        self._create_links(new_links)

    def _create_links(self, new_links):
        """Create the new bindings; an event this mailbox already holds under another Outlook id
        (its copy was replaced: re-invited, re-created) moves its link to the new copy, since a
        mailbox holds an Odoo event once."""
        event_ids = [vals["event_id"] for vals in new_links if vals.get("event_id")]
        existing = {
            link.event_id.id: link
            for link in self.Link.search(
                [("account_id", "=", self.account.id), ("event_id", "in", event_ids)]
            )
        }
        to_create = {}
        for vals in new_links:
            event_id = vals.get("event_id")
            if event_id in existing:
                existing[event_id].write(vals)
            else:
                to_create[event_id or id(vals)] = vals
        if to_create:
            self.Link.create(list(to_create.values()))

    def _remember_change_keys(self, remote_events, links):
        """Outlook's latest change keys (our own writes echoed back too): If-Match stays fresh."""
        for link in links:
            seen = remote_events.get(link.graph_id)
            if seen and seen[0].change_key and link.change_key != seen[0].change_key:
                link.change_key = seen[0].change_key

    def _malformed(self, item, error):
        """Log an Outlook event that cannot be read, by its subject when it has a readable one
        and its id; it is skipped, the run goes on."""
        subject = mapping.subject_of(item)
        graph_id = error.graph_id or "?"
        name = f"{subject} ({graph_id})" if subject else graph_id
        self.errors.append({"event": name, "reason": error.reason})

    def _item_failed(self, target, reason):
        """Record the error on the log and the link; the link is tried again after a backoff
        (``services.schedule.event_retry_delay``) while the other events go on."""
        self.errors.append({"event": target.get("name") or "?", "reason": reason})
        link = target.get("link")
        if link and not self.dry:
            count = link.error_count + 1
            retry_at = self.now + event_retry_delay(count)
            link.write({"last_error": reason, "error_count": count, "retry_at": retry_at})

    def _log_values(self):
        state = "partial" if self.errors else "done"
        return {
            "state": state,
            "full_resync": self.full_resync,
            "read_unfinished": bool(self.resume_link),
            "conflicts": self.conflicts,
            "notices": self.notices,
            "errors": self.errors,
            "ambiguous": self.pairing.ambiguous,
            **{name: self.counts[name] for name in RUN_COUNTS},
        }


def organized_meeting_key(values):
    """What tells one organizer's meeting from another without ids: the organizer and what
    two copies of one meeting share (``services.pairing.meeting_key``)."""
    return (values.organizer_email.lower(), *meeting_key(values))


def conflict_row(conflict, event_name):
    """The sync log's row of a ``reconcile.Conflict`` of the event named ``event_name``."""
    return {
        "event": event_name,
        "field": conflict.field,
        "odoo": str(conflict.local_value),
        "outlook": str(conflict.remote_value),
        "winner": conflict.winner,
    }


class AlarmCache:
    """The alarms the sync manages for Outlook reminders (``outlook_reminder``), by minutes
    before the event, created on demand: one per duration, shared by the events."""

    def __init__(self, env):
        self._Alarm = env["calendar.alarm"].sudo()
        self._by_minutes = None

    def get(self, minutes):
        if self._by_minutes is None:
            self._by_minutes = {}
            domain = [("alarm_type", "=", "notification"), ("outlook_reminder", "=", True)]
            for alarm in self._Alarm.search(domain, order="id"):
                self._by_minutes.setdefault(alarm.duration_minutes, alarm.id)
        if minutes not in self._by_minutes:
            alarm = self._Alarm.create(
                {
                    "name": f"{minutes} minutes before (Outlook)",
                    "alarm_type": "notification",
                    "duration": minutes,
                    "interval": "minutes",
                    "outlook_reminder": True,
                }
            )
            self._by_minutes[minutes] = alarm.id
        return self._by_minutes[minutes]
