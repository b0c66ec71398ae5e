"""The series part of a sync run: Odoo recurrences <-> Outlook series masters.

It runs after the run has read Outlook and before it plans, and settles every series whose
*shape* (pattern, first start, duration) is new or changed on either side: it creates the
recurrence or the series master on the other side, or rebuilds it, then pairs the Graph
occurrences in the window with the recurrence's Odoo events by their original start
(``services.series.pair_occurrences``), each pair an ``outlook.event.link`` whose base says
"in sync". From there on the run treats occurrences like single events: an edit of one becomes
an exception, a deletion cancels that occurrence, a reply answers that occurrence.

A series one side cannot repeat (``UnsupportedRecurrence``) is not linked as a series: its
occurrences travel as single events, each linked to its occurrence, and the log says why.
"""

import dataclasses
import logging
from datetime import datetime, time, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models.calendar_event import when_vals
from ..services import mapping, series
from ..services import recurrence as rec
from ..services.details import sent_to_outlook
from ..services.errors import (
    GraphError,
    MalformedEvent,
    NotFound,
    SnapshotError,
    TransportError,
)
from ..services.graph import BatchRequest
from ..services.pairing import normalize_subject
from ..services.reconcile import PushScope, series_pushed
from ..services.timezones import UTC_NAME
from ..services.values import SYNCED_FIELDS, SyncBase, changed_fields

_logger = logging.getLogger(__name__)

# What an "all events" edit in Odoo may send as one edit of the series master.
SERIES_WIDE_FIELDS = frozenset(
    {"name", "description_html", "location", "show_as", "privacy", "reminder_minutes", "attendees"}
)
WEEK_START = {str(n): day for n, day in enumerate(rec.DAYS, start=1)}
"""``res.lang.week_start`` ('1' is Monday) as a day name."""


class SeriesSync:
    """Settle the series of one run (``run``: the ``SyncRun``, whose reads it uses)."""

    def __init__(self, run):
        self.run = run
        self.env = run.env
        self.account = run.account
        self.graph = run.graph
        self.SeriesLink = run.env["outlook.series.link"].sudo()
        self.Recurrence = run.env["calendar.recurrence"].sudo()
        user = self.account.user_id
        lang = self.env["res.lang"]._get_data(code=user.lang or "en_US")
        self.week_start = WEEK_START.get(str(lang.week_start or "1"), "monday")
        self.notices = []
        self.held_recurrence_ids = set()  # ambiguous pairs: neither side is copied
        self._unlinked_ids = {}  # since_first_sync: ids found by _unlinked_local_series
        self.flagged = self.SeriesLink  # the dirty series links this run settles
        self.unrepeatable = self.SeriesLink  # changed in Odoo to a rule Outlook cannot repeat

    def sync(self, remote_events, removed_ids):
        """Settle the series that changed: those Outlook's delta names, those whose Odoo
        recurrence changed (their links dirty), those with occurrences edited in Odoo;
        ``remote_events`` loses the occurrences that must not become single events."""
        named = self.run._changed_series | removed_ids | self._edited_series()
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
        changed = self.run._changed_series if self.run.policy.pull else set()
        for master_id in sorted(changed | (removed_ids & set(by_master))):
            if master_id in self.run._unreadable_series:
                # Logged; left as it is (no occurrence imported alone, none taken as deleted)
                # until Outlook serves it whole.
                self._forget_rows(master_id, remote_events)
                self.run._series_instances.pop(master_id, None)
                continue
            link = by_master.get(master_id)
            master = self._master(master_id)
            if link:
                if self._remote_change(link, master, remote_events):
                    settled |= link
            elif master:
                self._new_remote_series(master, remote_events)
        edited = self._edited_series()
        for link in (links - settled).exists():
            if self._local_change(link, remote_events) or link.graph_id not in edited:
                continue
            if link.is_organizer:
                self._series_wide_edit(link, remote_events)
            else:
                self._series_wide_reply(link, remote_events)
        self._new_local_series(remote_events)

    def _edited_series(self):
        """The Outlook ids of the series with an occurrence edited in Odoo since the last sync."""
        return set(
            self.run.Link.search(
                [
                    ("account_id", "=", self.account.id),
                    ("dirty", "=", True),
                    ("series_master_id", "!=", False),
                ]
            ).mapped("series_master_id")
        )

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
            ).write({"dirty": True, "local_modified_at": self.run.now.replace(tzinfo=None)})

    # ------------------------------------------------------------------
    # Changes seen in Outlook
    # ------------------------------------------------------------------

    def _master(self, master_id):
        """The series master read by the run, else fetched; ``None`` when it is gone."""
        masters = self.run._series_masters
        if master_id not in masters:
            try:
                masters[master_id] = self.graph.get_event(master_id)
            except NotFound:
                masters[master_id] = None
        master = masters[master_id]
        return None if master is None or master.get("isCancelled") else master

    def _remote_change(self, link, master, remote_events):
        """Apply what Outlook did to a linked series; returns whether that settled it (else
        Odoo's side is looked at next: a series deleted in Odoo, or reshaped there)."""
        recurrence = self._recurrence(link)
        if master is None:
            self._drop_occurrence_links(link)
            if recurrence:
                self._remove_local(recurrence)
            link.unlink()
            return True
        read = self._read_master(master)
        if read is None:
            return True
        event, shape = read
        rows = self._rows_of(link.graph_id, remote_events)
        base = link.base or {}
        link.change_key = event.change_key
        if not recurrence or series.SeriesShape.from_snapshot(base.get("remote")) == shape:
            if recurrence:
                self._pair(link, recurrence, rows, remote_events, archive_lone=False)
            return False
        archive_lone = False
        if shape != self._local_shape(recurrence):
            recurrence = self._reshape_local(recurrence, event, master)
            if not recurrence:
                self._drop_occurrence_links(link)
                link.unlink()
                return True
            archive_lone = True
        self._drop_occurrence_links(link)
        self._pair(link, recurrence, rows, remote_events, archive_lone=archive_lone)
        link.base = {"local": self._local_state(recurrence), "remote": shape.snapshot()}
        return True

    def _read_master(self, master):
        """A series master read as an event and its shape, or None (the run's errors say why)
        when Graph's JSON cannot be read."""
        try:
            event = mapping.read_event(
                master, owner_email=self.run.owner_email, mailbox_zone=self.run.mailbox_zone
            )
            shape = series.graph_shape(master, event.values, mailbox_zone=self.run.mailbox_zone)
        except (MalformedEvent, ValueError) as error:
            self.run.errors.append({"event": master.get("subject") or "?", "reason": str(error)})
            return None
        return event, shape

    def _new_remote_series(self, master, remote_events):
        read = self._read_master(master)
        if read is None:
            return
        event, shape = read
        rows = self._rows_of(event.graph_id, remote_events)
        recurrence = self._known_recurrence(event, master.get("transactionId"))
        if not recurrence:
            recurrence = self._same_series(event, rows, remote_events)
            if recurrence is None:
                return
        archive_lone, created_from = False, None
        if not recurrence:
            recurrence = self._create_local(event, master, rows, remote_events)
            if not recurrence:
                return
            archive_lone, created_from = True, event
            self.run.counts["pulled_created"] += 1
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
        database = self.run.database_uuid
        prefix = f"{database}:"
        if event.odoo_ref and event.odoo_ref.startswith(prefix):
            first = self.run.Event.browse(int(event.odoo_ref[len(prefix) :])).exists()
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

    def _same_series(self, event, rows, remote_events):
        """An Odoo recurrence of the user holding the same series as an unlinked Outlook one
        (kept by hand on both sides, or synced by Odoo's own module): same subject, same
        occurrences in the window, same length. Two such recurrences are not guessed between:
        the series is held back (``None``) and the log says so."""
        subject = normalize_subject(event.values.name)
        keys = set(self._occurrence_keys(rows, remote_events, allday=event.values.allday).values())
        if not keys:
            return self.Recurrence
        window = (self.run.window_start, self.run.window_end)
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
        if len(candidates) > 1:
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
            return None
        return candidates

    def _same_duration(self, first, values):
        if values.allday:
            return (values.stop_date - values.start_date) == (first.stop_date - first.start_date)
        return values.stop - values.start == (first.stop - first.start)

    def _create_local(self, event, master, row_ids, remote_events):
        """A new Odoo recurrence for an Outlook series; ``None`` (and a notice) when Odoo
        cannot repeat its pattern, or repeats it on other dates than Outlook's occurrences
        (``row_ids``): its occurrences then come as single events."""
        try:
            pattern = series.pattern_of(master, mailbox_zone=self.run.mailbox_zone)
            rule = rec.to_rrule(pattern, week_start=self.week_start)
        except rec.UnsupportedRecurrence as error:
            self._notice(event.values.name, error.reason)
            return None
        except ValueError as error:
            self.run.errors.append({"event": event.values.name, "reason": str(error)})
            return None
        values = event.values
        organizer = self.run._organizer_user(values.organizer_email)
        partners = self.run._partners_for_values([values])
        pulled = self.run._pulled_fields(SYNCED_FIELDS, organizer == self.account.user_id)
        vals = self.run.Event._outlook_vals(
            values,
            pulled,
            partners,
            self.run._alarms.get,
            organizer,
            tags=self.run._tags_for_values([values]),
        )
        vals.update(self._rule_vals(rule, pattern, values), user_id=organizer.id)
        latest = self.Recurrence.search([], order="id desc", limit=1).id or 0
        first = self.run.Event.create(self.run._tagged(vals))
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
            zone = self._series_zone(self.run._series_of.get(graph_id)) if allday else UTC_NAME
            keys[graph_id] = series.occurrence_key(when, allday=allday, zone=zone)
        return keys

    def _series_zone(self, master_id):
        """The zone the series ``master_id`` (read this run) recurs in; UTC when unknown."""
        master = self.run._series_masters.get(master_id)
        return series.zone_of(master, mailbox_zone=self.run.mailbox_zone) if master else UTC_NAME

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

    def _reshape_local(self, recurrence, event, master):
        """Give the Odoo recurrence the Outlook series' new shape (Odoo rebuilds the events,
        keeping the first); returns the recurrence now holding them, or ``None`` when Odoo
        cannot repeat the new pattern (the old events are then archived: the occurrences
        come as single events)."""
        first = recurrence.base_event_id or recurrence._get_first_event()
        try:
            pattern = series.pattern_of(master, mailbox_zone=self.run.mailbox_zone)
            rule = rec.to_rrule(pattern, week_start=self.week_start)
        except (rec.UnsupportedRecurrence, ValueError) as error:
            self._notice(event.values.name, getattr(error, "reason", str(error)))
            self._remove_local(recurrence)
            return None
        vals = {**self._rule_vals(rule, pattern, event.values), **when_vals(event.values)}
        vals.pop("recurrency")
        first.write({**vals, "recurrence_update": "all_events"})
        self.run.counts["pulled_updated"] += 1
        return first.recurrence_id

    # ------------------------------------------------------------------
    # Changes made in Odoo
    # ------------------------------------------------------------------

    def _local_change(self, link, remote_events):
        """Carry a series deleted or reshaped in Odoo to Outlook; returns whether it did."""
        recurrence = self._recurrence(link)
        if not recurrence:
            self._remove_remote(link, remote_events)
            return True
        base = link.base or {}
        state = self._local_state(recurrence)
        if state == base.get("local"):
            return False
        shape, pattern, values = self._local_series(recurrence)
        if pattern is None:
            self.unrepeatable |= link
            return False
        try:
            if link.is_organizer and shape != series.SeriesShape.from_snapshot(base.get("remote")):
                etag = f'W/"{link.change_key}"' if link.change_key else "*"
                answer = self.graph.update_event(
                    link.graph_id, series.shape_patch(values, pattern), etag
                )
                patched = mapping.read_event(answer, mailbox_zone=self.run.mailbox_zone)
                link.change_key = patched.change_key
                shape = series.graph_shape(
                    answer, patched.values, mailbox_zone=self.run.mailbox_zone
                )
                self.run.counts["pushed_updated"] += 1
            self._forget_rows(link.graph_id, remote_events)
            rows = self._instances(link.graph_id, remote_events)
        except GraphError as error:
            self.run.errors.append({"event": values.name, "reason": str(error)})
            return True
        self._drop_occurrence_links(link)
        self._pair(link, recurrence, rows, remote_events, archive_lone=False)
        remote = shape if link.is_organizer else base.get("remote")
        link.write(
            {
                "base": {
                    "local": state,
                    "remote": remote.snapshot()
                    if isinstance(remote, series.SeriesShape)
                    else remote,
                }
            }
        )
        return True

    def _series_wide_edit(self, link, remote_events):
        """The same edit on every occurrence of a series (Odoo's "all events" edit of a title,
        a place, the attendees...) goes to Outlook as one edit of the master, not one exception
        (and one update mail) per occurrence."""
        edits = self._edited_occurrences(link)
        if not edits:
            return
        changes = set()
        for base, local in edits.values():
            fields = changed_fields(base.local, local)
            if same_values(base.local, local, {"attendees"}):
                fields -= {"attendees"}  # only answers changed: each goes on its own
            changes.add(fields)
        fields = changes.pop()
        first = next(iter(edits.values()))[1]
        if (
            changes
            or not fields
            or not fields <= SERIES_WIDE_FIELDS
            or any(not same_values(local, first, fields) for _base, local in edits.values())
        ):
            return
        etag = f'W/"{link.change_key}"' if link.change_key else "*"
        body = mapping.to_graph(sent_to_outlook(first, self.run.reminders), fields)

        def send():
            answer = self.graph.update_event(link.graph_id, body, etag)
            link.change_key = mapping.read_event(answer).change_key

        # An occurrence Outlook kept as it was (an exception) is sent on its own next.
        self._send_for_series(
            link,
            edits,
            send,
            lambda local, remote: same_values(local, remote, fields),
            remote_events,
        )

    def _series_wide_reply(self, link, remote_events):
        """The owner's same new answer on every occurrence of a series they attend (Odoo's
        "all events" answer) goes to Outlook as one answer to the series, not one per
        occurrence."""
        edits = self._edited_occurrences(link)
        owner = self.run.owner_email
        if not edits or any(
            changed_fields(base.local, local) != {"attendees"} for base, local in edits.values()
        ):
            return
        answers = {
            (response_of(base.local, owner), response_of(local, owner))
            for base, local in edits.values()
        }
        before, answer = answers.pop()
        if answers or before == answer or answer not in ("accepted", "tentative", "declined"):
            return
        self._send_for_series(
            link,
            edits,
            lambda: self.graph.respond(link.graph_id, answer),
            lambda _local, remote: response_of(remote, owner) == answer,
            remote_events,
        )

    def _edited_occurrences(self, link):
        """{occurrence link: (base, Odoo's values)} when every occurrence of the series was
        edited in Odoo since the last sync, else ``None``."""
        edits = {}
        for occurrence in self.run.Link.search(
            [("account_id", "=", self.account.id), ("series_master_id", "=", link.graph_id)]
        ):
            if not (occurrence.dirty and occurrence.event_id.active and occurrence.base):
                return None
            try:
                base = SyncBase.from_snapshot(occurrence.base)
            except SnapshotError:
                return None
            local = self.run._local_values(
                occurrence.event_id, None, base.remote, occurrence.is_organizer
            )
            if local is None:
                return None
            edits[occurrence] = (base, local)
        return edits or None

    def _send_for_series(self, link, edits, send, in_step, remote_events):
        """Make one write for the whole series (``send``), read its occurrences again, and
        settle those now ``in_step(odoo values, outlook values)``; the others stay edited.
        Nothing is sent when what this run read of Outlook is in step already: an earlier
        write Graph applied without confirming it (a reply repeated would mail again)."""
        if not all(
            (seen := remote_events.get(occurrence.graph_id)) and in_step(local, seen[0].values)
            for occurrence, (_base, local) in edits.items()
        ):
            try:
                send()
                self._forget_rows(link.graph_id, remote_events)
                self._instances(link.graph_id, remote_events)
            except (GraphError, MalformedEvent) as error:
                self.run.errors.append({"event": link.graph_id, "reason": str(error)})
                return
            self.run.counts["pushed_updated"] += 1
        for occurrence, (_base, local) in edits.items():
            seen = remote_events.get(occurrence.graph_id)
            if seen and in_step(local, seen[0].values):
                settled = self.run._local_values(
                    occurrence.event_id, None, seen[0].values, occurrence.is_organizer
                )
                occurrence.write(
                    {
                        "base": SyncBase(local=settled, remote=seen[0].values).snapshot(),
                        "change_key": seen[0].change_key,
                        "dirty": False,
                    }
                )

    def _remove_remote(self, link, remote_events):
        """The series is gone from Odoo: delete it in Outlook (decline it, for an attendee)."""
        self._forget_rows(link.graph_id, remote_events)
        try:
            if link.is_organizer:
                self.graph.delete_event(link.graph_id)
            else:
                self.graph.respond(link.graph_id, "declined")
        except NotFound:
            pass
        except GraphError as error:
            self.run.errors.append({"event": link.graph_id, "reason": str(error)})
            return
        self.run.counts["pushed_deleted"] += 1
        self._drop_occurrence_links(link)
        link.unlink()

    def _new_local_series(self, remote_events):
        """Send Odoo recurrences organized by the user, not linked yet, to Outlook."""
        policy = self.run.policy
        # Read in part, Outlook may still hold them: they go once it was read whole.
        if policy.push == PushScope.NONE or self.run.resume_link:
            return
        to_create = []
        for recurrence in self._unlinked_local_series():
            if recurrence.id in self.held_recurrence_ids:
                continue
            events = recurrence.calendar_event_ids.filtered("active")
            if policy.push == PushScope.FUTURE and max(events.mapped("stop")) < self.run.now:
                continue
            to_create.append(recurrence)
        self._create_remote(to_create, remote_events)

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
        since = self.run.local_changes_since() if since_first_sync else None
        if known is None and since is not None:
            # The few changed recurrences first (indexes), then the whole domain on them alone.
            changed = self.run.changed_events().recurrence_id | self.Recurrence.search(
                [("write_date", ">=", since)]
            )
            known = self._unlinked_ids[since_first_sync] = changed.ids
        if known is not None and not known:
            return self.Recurrence
        window_start = self.run.window_start.replace(tzinfo=None)
        window_end = self.run.window_end.replace(tzinfo=None)
        calendars = self.account._user_account_ids()
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

    def _create_remote(self, recurrences, remote_events):
        """Create a series master for each recurrence, in ``$batch``, then read their
        occurrences (``$batch`` too) and pair them with the recurrences' events."""
        database = self.run.database_uuid
        calendar = quote(self.account.calendar_id or "", safe="")
        url = f"/me/calendars/{calendar}/events" if calendar else "/me/events"
        creates = []
        for recurrence in recurrences:
            _shape, pattern, values = self._local_series(recurrence)
            if pattern is None:
                self.run._single_recurrence_ids.append(recurrence.id)
                continue
            first = recurrence.base_event_id or recurrence._get_first_event()
            values = series_pushed(values, self.run.policy)
            if values is None:
                continue
            body = series.master_payload(
                self.run._new_in_outlook(values),
                pattern,
                ref=mapping.odoo_ref(database, first.id),
                transaction=mapping.transaction_id(database, first.id),
            )
            creates.append((recurrence, first, values.name, body))
        if not creates:
            return
        requests = [
            BatchRequest(id=str(index), method="POST", url=url, body=body)
            for index, (_recurrence, _first, _name, body) in enumerate(creates)
        ]
        links = {}
        try:
            results = self.graph.batch(requests)
        except (GraphError, TransportError) as error:
            # A create whose answer was lost is found again by its transactionId next time.
            self.run.errors.append({"event": creates[0][2], "reason": str(error)})
            return
        for result in results:
            recurrence, first, name, body = creates[int(result.id)]
            if result.status == 429:
                self.run.counts["deferred"] += 1
                continue
            try:
                if not result.ok:
                    raise result.error()
                event = mapping.read_event(
                    result.body,
                    owner_email=self.run.owner_email,
                    mailbox_zone=self.run.mailbox_zone,
                )
                shape = series.graph_shape(
                    result.body, event.values, mailbox_zone=self.run.mailbox_zone
                )
            except (GraphError, MalformedEvent, ValueError) as error:
                self.run.errors.append({"event": name, "reason": str(error)})
                continue
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
            self.run._series_masters[event.graph_id] = result.body
            self.run.counts["pushed_created"] += 1
            self.run._teams_dropped(
                name, asked=bool(body.get("isOnlineMeeting")), created=event.values.online_meeting
            )
        if not links:
            return
        try:
            rows = self._instances_of(list(links), remote_events)
        except (GraphError, TransportError, MalformedEvent) as error:
            # The next sync pairs them from its delta.
            self.run.errors.append({"event": creates[0][2], "reason": str(error)})
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
        for master_id in sorted(self.run._changed_series - linked):
            master = self._master(master_id)
            if not master:
                continue
            try:
                event = mapping.read_event(
                    master, owner_email=self.run.owner_email, mailbox_zone=self.run.mailbox_zone
                )
                pattern = series.pattern_of(master, mailbox_zone=self.run.mailbox_zone)
                rec.to_rrule(pattern, week_start=self.week_start)
            except (MalformedEvent, rec.UnsupportedRecurrence, ValueError):
                continue  # its occurrences come as single events
            rows = self._rows_of(master_id, remote_events)
            known = self._known_recurrence(event, master.get("transactionId"))
            if not known:
                known = self._same_series(event, rows, remote_events)
            self._forget_rows(master_id, remote_events)
            if known is None:
                continue  # ambiguous: held back on both sides
            matched |= known
            if not known:
                from_outlook.append(event.values)
        held = self.Recurrence.browse(sorted(self.held_recurrence_ids))
        to_outlook = []
        for recurrence in self._unlinked_local_series() - matched - held:
            _shape, pattern, values = self._local_series(recurrence)
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
        """(shape, ``Recurrence``, first event's values) of an Odoo recurrence; the pattern is
        ``None`` (with a notice) when Outlook cannot repeat it."""
        first = recurrence.base_event_id or recurrence._get_first_event()
        values = first._outlook_values()
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
            self._notice(values.name, getattr(error, "reason", str(error)), to_outlook=True)
            return None, None, values
        return series.shape_of(values, pattern), pattern, values

    def _local_shape(self, recurrence):
        return self._local_series(recurrence)[0]

    def _rows_of(self, master_id, remote_events):
        return [gid for gid in remote_events if self.run._series_of.get(gid) == master_id]

    def _forget_rows(self, master_id, remote_events):
        """Drop the series' occurrences read earlier in the run: they changed since."""
        for graph_id in self._rows_of(master_id, remote_events):
            del remote_events[graph_id]

    def _instances(self, master_id, remote_events):
        """Read the series' occurrences in the window into ``remote_events``; their ids."""
        return self._instances_of([master_id], remote_events).get(master_id, [])

    def _instances_of(self, master_ids, remote_events):
        """Read the occurrences in the window of several series into ``remote_events``;
        {master id: their ids}."""
        ids = {}
        window = (self.run.window_start, self.run.window_end)
        for master_id, rows in self.graph.instances_of(master_ids, *window).items():
            master = self.run._series_masters.get(master_id) or {}
            master_uid = (
                master.get("iCalUId")
                or self.SeriesLink.search(
                    [("account_id", "=", self.account.id), ("graph_id", "=", master_id)], limit=1
                ).ical_uid
            )
            ids[master_id] = []
            for row in rows:
                event = mapping.read_event(
                    row, owner_email=self.run.owner_email, mailbox_zone=self.run.mailbox_zone
                )
                original = event.original_start or event.values.start
                if original and master_uid:
                    uid = mapping.series_instance_uid(master_uid, original)
                    event = dataclasses.replace(event, ical_uid=uid)
                remote_events[event.graph_id] = (event, None)
                self.run._series_of[event.graph_id] = master_id
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
        Link = self.run.Link
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
        window = (self.run.window_start, self.run.window_end)
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
        Event = self.run.Event
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
                    local=self.run._local_values(event, None, remote.values, remote.is_organizer),
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
        Event = self.run.Event
        values_list = [remote_events[graph_id][0].values for graph_id in pairs]
        partners = self.run._partners_for_values(values_list)
        tags = self.run._tags_for_values(values_list)
        # Read in one go (an event browsed alone would fetch its fields on its own).
        events = {event.id: event for event in Event.browse(list(pairs.values()))}
        first = master = None
        if created:
            first_event, master_event = created
            master = master_event.values
            first = self.run._local_values(first_event, None, master, master_event.is_organizer)
        answers = {}
        for graph_id, event_id in pairs.items():
            event = events[event_id]
            remote = remote_events[graph_id][0]
            values = remote.values
            local = self.run._local_values(event, None, values, remote.is_organizer)
            fields = changed_fields(local, values) - {"timezone"}
            if first is not None:
                fields = {
                    name
                    for name in fields
                    if getattr(local, name) != getattr(first, name)
                    or getattr(values, name) != getattr(master, name)
                }
            pulled = self.run._pulled_fields(fields, event.user_id == self.account.user_id)
            vals = event._outlook_vals(
                values, pulled, partners, self.run._alarms.get, event.user_id, tags=tags
            )
            if vals:
                event.write(vals)
            if "attendees" in fields or values.attendees:
                answers[event_id] = values
        Event.browse(list(answers))._outlook_set_responses(answers)

    def _drop_occurrence_links(self, link):
        """Forget the series' occurrence links: its occurrences were rebuilt on both sides."""
        self._unlinked_ids.clear()
        self.run.Link.search(
            [("account_id", "=", self.account.id), ("series_master_id", "=", link.graph_id)]
        ).unlink()

    def _remove_local(self, recurrence):
        """The series is gone from Outlook: archive its events in Odoo, unless other mailboxes
        still hold it (then only the owner leaves it)."""
        events = recurrence.calendar_event_ids.filtered("active")
        others = self.SeriesLink.search_count(
            [("recurrence_id", "=", recurrence.id), ("account_id", "!=", self.account.id)]
        )
        if others:
            owner = self.account.user_id.partner_id
            events.write({"partner_ids": [(3, owner.id)]})
        else:
            events.write({"active": False})
        self.run.counts["pulled_archived"] += 1

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


def same_values(one, other, fields):
    """Whether two ``EventValues`` agree on ``fields`` (attendees: on who, not on answers)."""
    for name in fields:
        if name == "attendees":
            if {a.email for a in one.attendees} != {a.email for a in other.attendees}:
                return False
        elif getattr(one, name) != getattr(other, name):
            return False
    return True


def response_of(values, email):
    """The answer of the attendee ``email`` in ``values`` (``None`` when not invited)."""
    return next((a.response for a in values.attendees if a.email == email), None)
