"""``outlook.series.link``: one Odoo recurrence bound to its series master in one mailbox."""

from odoo import fields, models
from odoo.tools import create_index


class OutlookSeriesLink(models.Model):
    """The binding of an Odoo recurrence to a series master in one Outlook mailbox.

    ``base`` holds each side's series after the last sync: in Odoo the recurrence and its
    rule (Odoo replaces or rewrites them when a whole series changes), in Outlook the master's
    shape (``services.series.SeriesShape``: pattern, first start, duration). A change of shape
    on one side rebuilds the other's occurrences. The occurrences themselves are
    ``outlook.event.link`` records whose ``series_master_id`` is this link's ``graph_id``.
    ``base_event_id`` finds the recurrence again when Odoo replaces it (editing "all events" of
    a series creates a new recurrence on the same first event). ``dirty`` is set when Odoo
    changes the recurrence or one of its events: a sync looks only at the series its delta names
    and at the dirty ones.
    """

    _name = "outlook.series.link"
    _description = "Outlook Series Link"
    _order = "account_id, id"

    account_id = fields.Many2one(
        "outlook.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    recurrence_id = fields.Many2one(
        "calendar.recurrence", ondelete="set null", index=True, readonly=True
    )
    base_event_id = fields.Many2one(
        "calendar.event", ondelete="set null", index=True, readonly=True
    )
    graph_id = fields.Char("Outlook Series ID", required=True, index=True, readonly=True)
    ical_uid = fields.Char("iCalUId", index=True, readonly=True)
    change_key = fields.Char(readonly=True)
    is_organizer = fields.Boolean(
        readonly=True, help="The mailbox owner organizes the series: this link pushes its shape."
    )
    base = fields.Json(
        readonly=True,
        help="After the last sync: the Odoo recurrence's rule, and the Outlook series' shape.",
    )
    dirty = fields.Boolean(
        readonly=True,
        help="The recurrence or one of its events changed in Odoo since the last sync.",
    )
    local_modified_at = fields.Datetime(readonly=True)

    def init(self):
        # Each sync, and the cron looking for accounts with an Odoo change, look for the few
        # dirty series links among all of them.
        create_index(
            self.env.cr,
            "outlook_series_link_dirty_account_index",
            self._table,
            ["account_id"],
            where="dirty",
        )

    _sql_constraints = [
        (
            "account_graph_uniq",
            "unique(account_id, graph_id)",
            "An Outlook series is linked twice in the same mailbox.",
        ),
    ]
