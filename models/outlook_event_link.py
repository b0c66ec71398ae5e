"""``outlook.event.link``: one Odoo event bound to its copy in one mailbox, with the merge base."""

from odoo import fields, models
from odoo.tools import create_index


class OutlookEventLink(models.Model):
    """The binding of one Odoo event to its copy in one Outlook mailbox.

    ``base`` holds what each side looked like after the last sync (``services.values.SyncBase``),
    the base of the three-way merge; ``dirty`` is set when a synced field changes in Odoo.
    A link whose ``event_id`` is empty stands for an event deleted in Odoo, still to be removed
    from Outlook.
    """

    _name = "outlook.event.link"
    _description = "Outlook Event Link"
    _order = "account_id, id"

    account_id = fields.Many2one(
        "outlook.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    event_id = fields.Many2one("calendar.event", ondelete="set null", index=True, readonly=True)
    graph_id = fields.Char("Outlook Event ID", index=True, readonly=True)
    ical_uid = fields.Char("iCalUId", index=True, readonly=True)
    change_key = fields.Char(readonly=True)
    series_master_id = fields.Char(
        "Outlook Series ID", index=True, readonly=True, help="Set on an occurrence of a series."
    )
    is_organizer = fields.Boolean(
        readonly=True, help="The mailbox owner organizes the event: this link pushes its details."
    )
    base = fields.Json(readonly=True, help="What each side held after the last sync.")
    dirty = fields.Boolean(index=True, readonly=True, help="Changed in Odoo since the last sync.")
    local_modified_at = fields.Datetime(
        readonly=True, help="When a synced field last changed in Odoo (for newest-wins merges)."
    )
    last_error = fields.Text(readonly=True)
    error_count = fields.Integer(readonly=True)
    retry_at = fields.Datetime(
        readonly=True, help="A failed Odoo change is sent again from then on (backoff)."
    )

    def init(self):
        # The cron looks for the accounts with an Odoo edit not yet sent: a few dirty links
        # among millions.
        create_index(
            self.env.cr,
            "outlook_event_link_dirty_account_index",
            self._table,
            ["account_id", "local_modified_at"],
            where="dirty",
        )

    def unlink(self):
        # An event that loses its link may now be sent again, to any of its user's calendars:
        # their next syncs look at every unsent event, not only the changed ones.
        users = self.event_id.filtered("active").user_id
        if users:
            self.env["outlook.account"].sudo().search([("user_id", "in", users.ids)]).write(
                {"unsent_scanned_at": False}
            )
        return super().unlink()

    _sql_constraints = [
        (
            "account_graph_uniq",
            "unique(account_id, graph_id)",
            "An Outlook event is linked twice in the same mailbox.",
        ),
        (
            "account_event_uniq",
            "unique(account_id, event_id)",
            "An Odoo event is linked twice to the same mailbox.",
        ),
    ]
