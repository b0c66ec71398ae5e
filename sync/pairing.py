"""Pairing inside a sync run: unlinked Outlook events that already are Odoo events get linked.

``services.pairing`` finds the pairs; this reads the candidates from Odoo in bulk, says which
Outlook events are new pairs (the planner merges them: ``SyncItem.paired``), holds ambiguous
candidates back, and counts what it did for the sync log (and the first-sync preview):
``paired`` and the ``ambiguous`` list.
"""

from ..services import mapping
from ..services.pairing import LocalCandidate, RemoteCandidate, normalize_subject, pair


class RunPairing:
    """The pairing of one ``SyncRun``: ``find`` before the plan, then ``is_pair`` per item."""

    def __init__(self, run):
        self.run = run
        self.held_graph_ids = frozenset()
        self.held_event_ids = frozenset()
        self.ambiguous = []
        self._paired = set()  # graph ids linked to an existing Odoo event by this run

    def find(self, unknown_remote, matched):
        """Add to ``matched`` ({graph_id: calendar.event}) the Outlook events that pairing binds
        to an unlinked Odoo event; remember the ambiguous ones."""
        run = self.run
        remote = {
            graph_id: event
            for graph_id, (event, _tx) in unknown_remote.items()
            if graph_id not in matched
        }
        if run.is_first_sync:
            # A new connection (first sync, reinstall, reconnection): what the run's own
            # matching found (our property, iCalUId) is paired too, with a base.
            self._paired.update(matched)
        if remote:
            pairing = pair(
                self._local_candidates(remote, matched),
                [
                    RemoteCandidate(
                        graph_id=graph_id,
                        values=event.values,
                        ical_uid=event.ical_uid or "",
                        odoo_ref=event.odoo_ref,
                        in_series=graph_id in run._series_of,
                    )
                    for graph_id, event in remote.items()
                ],
                database_uuid=run.database_uuid,
            )
            for found in pairing.pairs:
                matched[found.graph_id] = run.Event.browse(found.event_id)
                self._paired.add(found.graph_id)
            self.held_graph_ids = pairing.held_graph_ids
            self.held_event_ids = pairing.held_event_ids
            self.ambiguous = [
                {
                    "event": amb.name,
                    "odoo": len(amb.event_ids),
                    "outlook": len(amb.graph_ids),
                }
                for amb in pairing.ambiguous
            ]
        run.counts["paired"] += len(matched)

    def _local_candidates(self, remote, matched):
        """This user's unlinked events in the window (organized or attended) that could be one
        of ``remote``: same subject, our property's id, or an iCalUId known by another link."""
        run = self.run
        account = run.account
        subjects = {normalize_subject(event.values.name) for event in remote.values()}
        refs = {
            event_id
            for event in remote.values()
            if (event_id := mapping.own_event_id(event.odoo_ref, run.database_uuid))
        }
        taken = {event.id for event in matched.values()}
        events = run.Event.search(
            [
                ("active", "=", True),
                ("stop", ">=", run.window_start.replace(tzinfo=None)),
                ("start", "<=", run.window_end.replace(tzinfo=None)),
                "|",
                ("user_id", "=", account.user_id.id),
                ("partner_ids", "in", account.user_id.partner_id.ids),
                ("outlook_link_ids", "not any", [("account_id", "=", account.id)]),
            ]
        ).filtered(
            lambda event: (
                event.id not in taken
                and (event.id in refs or normalize_subject(event.name or "") in subjects)
            )
        )
        ical_uids = {}
        wanted = {event.ical_uid for event in remote.values() if event.ical_uid}
        if wanted and events:
            for link in run.Link.search(
                [("event_id", "in", events.ids), ("ical_uid", "in", list(wanted))]
            ):
                ical_uids.setdefault(link.event_id.id, set()).add(link.ical_uid)
        candidates = []
        for event in events:
            try:
                values = event._outlook_read_values()
            except ValueError:
                continue  # the run reports it with the event's own item
            candidates.append(
                LocalCandidate(
                    event_id=event.id,
                    values=values,
                    ical_uids=frozenset(ical_uids.get(event.id, ())),
                    in_series=event.recurrency,
                )
            )
        return candidates

    def is_pair(self, graph_id):
        """Whether this run paired the Outlook event ``graph_id`` with an existing Odoo event."""
        return graph_id in self._paired
