"""The first-sync preview: what each mode would do, before anything is written."""

from odoo import api, fields, models

from ..models.outlook_account import SYNC_MODES
from ..services.preview import preview_key


class OutlookFirstSyncWizard(models.TransientModel):
    """The first-sync preview: what the first sync would do under each choice, counted by a dry
    run of the planner when the wizard is opened, and the user's choice of mode. Nothing is
    written to Outlook or Odoo before the user presses Start."""

    _name = "outlook.first.sync.wizard"
    _description = "Outlook First Sync Preview"

    account_id = fields.Many2one("outlook.account", required=True, ondelete="cascade")
    mailbox = fields.Char(related="account_id.mailbox_address")
    counts = fields.Json(required=True, help="Plan counts of the dry run, per choice.")
    mode = fields.Selection(SYNC_MODES, required=True, default="two_way")
    push_attendees = fields.Boolean(
        "Also send events with other attendees",
        help="Existing Odoo events go to Outlook with their attendees, and Outlook emails each "
        "of them an invitation. Unticked, they go without attendees and nobody is emailed.",
    )
    to_odoo_count = fields.Integer("Events to import", compute="_compute_preview")
    to_outlook_count = fields.Integer("Events to export", compute="_compute_preview")
    invited_count = fields.Integer("Emails Outlook would send", compute="_compute_preview")
    odoo_updated_count = fields.Integer("Events to update in Odoo", compute="_compute_preview")
    outlook_updated_count = fields.Integer(
        "Events to update in Outlook", compute="_compute_preview"
    )
    attendees_held_back = fields.Integer(compute="_compute_preview")

    @api.depends("counts", "mode", "push_attendees")
    def _compute_preview(self):
        for wizard in self:
            counts = wizard.counts or {}
            attendees = wizard.push_attendees and wizard.mode != "import_only"
            chosen = counts.get(preview_key(wizard.mode, attendees), {})
            with_attendees = counts.get(preview_key(wizard.mode, True), {})
            wizard.to_odoo_count = chosen.get("to_odoo", 0)
            wizard.to_outlook_count = chosen.get("to_outlook", 0)
            wizard.invited_count = chosen.get("invited", 0)
            wizard.odoo_updated_count = chosen.get("odoo_updated", 0)
            wizard.outlook_updated_count = chosen.get("outlook_updated", 0)
            wizard.attendees_held_back = 0 if attendees else with_attendees.get("invited", 0)

    def action_start(self):
        """Store the choice and run the first sync now; the Calendar reloads with its result."""
        self.ensure_one()
        account = self.account_id
        account._choose_first_sync(self.mode, self.push_attendees and self.mode != "import_only")
        account.sudo()._sync()
        return {"type": "ir.actions.client", "tag": "soft_reload"}
