"""``outlook.sync.log``: what each sync did (counts, conflicts, notices, errors), shown to the
user.
"""

from odoo import api, fields, models

PULLED_COUNTS = ("pulled_created", "pulled_updated", "pulled_archived")
"""The log's counts of what a run changed in Odoo."""
PUSHED_COUNTS = ("pushed_created", "pushed_updated", "pushed_deleted")
"""The log's counts of what a run changed in Outlook. The tools, which read the model over
JSON-RPC, find both kinds by their ``pulled_`` and ``pushed_`` prefixes."""
RUN_COUNTS = ("deferred", "paired", *PULLED_COUNTS, *PUSHED_COUNTS)
"""Every count a sync run reports on its log."""


class OutlookSyncLog(models.Model):
    """What one sync run of one account did: counts each way, conflicts and errors."""

    _name = "outlook.sync.log"
    _description = "Outlook Sync Log"
    _order = "started_at desc, id desc"
    _rec_name = "started_at"

    account_id = fields.Many2one(
        "outlook.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    user_id = fields.Many2one(related="account_id.user_id", store=True, readonly=True)
    started_at = fields.Datetime(required=True, readonly=True)
    ended_at = fields.Datetime(readonly=True)
    state = fields.Selection(
        [("done", "Done"), ("partial", "Done with errors"), ("failed", "Failed")],
        required=True,
        default="done",
        readonly=True,
    )
    full_resync = fields.Boolean(readonly=True)
    read_unfinished = fields.Boolean(
        "Outlook Read in Part",
        readonly=True,
        help="A first read of a big calendar stopped after its page budget: what was read is "
        "synced, and the next run reads on from there.",
    )
    duration = fields.Float("Duration (s)", readonly=True, digits=(16, 2))
    graph_requests = fields.Integer(
        "Graph Requests",
        readonly=True,
        help="HTTP requests sent to Microsoft Graph, retries included (a $batch counts one).",
    )
    pulled_created = fields.Integer("Created in Odoo", readonly=True)
    pulled_updated = fields.Integer("Updated in Odoo", readonly=True)
    pulled_archived = fields.Integer("Archived in Odoo", readonly=True)
    pushed_created = fields.Integer("Created in Outlook", readonly=True)
    pushed_updated = fields.Integer("Updated in Outlook", readonly=True)
    pushed_deleted = fields.Integer("Deleted or declined in Outlook", readonly=True)
    paired = fields.Integer(
        "Paired",
        readonly=True,
        help="Outlook events linked to the Odoo event they already were (by this addon's mark, "
        "iCalUId or the same meeting) instead of being copied.",
    )
    ambiguous = fields.Json(
        "Not paired (ambiguous)",
        readonly=True,
        help="Events matching more than one event on the other side: left alone on both sides "
        "(neither copied nor linked) until one of them is removed or renamed.",
    )
    deferred = fields.Integer(
        "Waiting for Outlook's quota",
        readonly=True,
        help="Changes Outlook asked to send later (throttling); the next sync sends them.",
    )
    conflict_count = fields.Integer("Conflict Count", compute="_compute_counts", store=True)
    error_count = fields.Integer("Error Count", compute="_compute_counts", store=True)
    conflicts = fields.Json(readonly=True, help="Field, Odoo value, Outlook value, winner.")
    errors = fields.Json(readonly=True, help="Event and reason, for each event not synced.")
    notices = fields.Json(
        readonly=True, help="Event and what the sync did differently with it, and why."
    )
    summary = fields.Char(compute="_compute_summary")

    @api.depends("conflicts", "errors")
    def _compute_counts(self):
        for log in self:
            log.conflict_count = len(log.conflicts or [])
            log.error_count = len(log.errors or [])

    @api.depends(*PULLED_COUNTS, *PUSHED_COUNTS)
    def _compute_summary(self):
        for log in self:
            log.summary = self.env._(
                "Outlook → Odoo: %(pulled)s · Odoo → Outlook: %(pushed)s",
                pulled=sum(log[name] for name in PULLED_COUNTS),
                pushed=sum(log[name] for name in PUSHED_COUNTS),
            )
