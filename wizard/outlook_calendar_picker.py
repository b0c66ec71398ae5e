"""The calendar picker: which of the mailbox's calendars sync to Odoo."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.outlook_account import SYNC_MODES


class OutlookCalendarPicker(models.TransientModel):
    """Which of the mailbox's Outlook calendars to sync (its own and those other users shared
    with it and let it edit), each with its direction and the Odoo tag of its events; one sync
    account per chosen calendar, all signed in through the mailbox's account."""

    _name = "outlook.calendar.picker"
    _description = "Choose Outlook Calendars"

    account_id = fields.Many2one(
        "outlook.account",
        required=True,
        readonly=True,
        ondelete="cascade",
        help="The account holding the mailbox's sign-in.",
    )
    mailbox = fields.Char(related="account_id.mailbox_address")
    shared_calendars_allowed = fields.Boolean(
        default=lambda self: self.env["outlook.account"]._shared_calendars_allowed()
    )
    line_ids = fields.One2many("outlook.calendar.picker.line", "picker_id", string="Calendars")
    list_notice = fields.Char(
        readonly=True, help="Why only some of the mailbox's calendars are shown."
    )
    new_events_line_id = fields.Many2one(
        "outlook.calendar.picker.line",
        string="New Odoo Events Go To",
        help="Odoo events with no calendar's tag are sent to this calendar.",
    )

    def action_apply(self):
        """Create, update, pause or resume the calendars' sync accounts as chosen; the new ones
        sync at the cron's next run under the first-sync rules (only events still to come go to
        Outlook, without emailing attendees)."""
        self.ensure_one()
        signed_in = self.account_id._own()
        accounts = signed_in | signed_in.calendar_account_ids
        for_new = self.new_events_line_id
        if for_new and not for_new.selected:
            raise UserError(
                self.env._(
                    "New Odoo events cannot go to %(calendar)s: it is not synced.",
                    calendar=for_new.name,
                )
            )
        if for_new.sync_mode == "import_only":
            raise UserError(
                self.env._(
                    "New Odoo events cannot go to %(calendar)s: it is synced in import only.",
                    calendar=for_new.name,
                )
            )
        if self.line_ids.account_id - accounts:
            raise UserError(self.env._("These calendars belong to another mailbox."))
        Account = self.env["outlook.account"].sudo()
        # The flag moves first: one calendar of the user receives new events at any time.
        accounts.filtered(lambda a: a.receives_new_events and a != for_new.account_id).sudo().write(
            {"receives_new_events": False}
        )
        for line in self.line_ids:
            vals = {
                "sync_mode": line.sync_mode,
                "event_tag_id": line.tag_id.id or line._new_tag().id,
                "receives_new_events": line == for_new,
                "calendar_name": line._label(),
                "responses_untracked": not line.shared and not line.tallies_responses,
            }
            account = line.account_id
            if account:
                if not line.selected and account.state in ("active", "error", "preview"):
                    vals["state"] = "paused"
                elif line.selected and account.state in ("paused", "not_connected"):
                    vals.update(state="active", last_error=False)
                account.sudo().write(vals)
            elif line.selected:
                Account.create(
                    {
                        **vals,
                        "user_id": signed_in.user_id.id,
                        "connection_id": signed_in.id,
                        "calendar_id": line.calendar_id,
                        "calendar_owner": line.owner if line.shared else False,
                        "state": "active",
                        "mailbox_address": signed_in.mailbox_address,
                        "graph_user_id": signed_in.graph_user_id,
                        "tenant_id": signed_in.tenant_id,
                        "connected_at": fields.Datetime.now(),
                        "database_uuid": signed_in.database_uuid,
                        "sync_past_days": signed_in.sync_past_days,
                        "sync_future_days": signed_in.sync_future_days,
                        "private_events": signed_in.private_events,
                        "reminder_mode": signed_in.reminder_mode,
                        "declined_invitations": signed_in.declined_invitations,
                    }
                )
        self.env["outlook.account"]._wake_sync_crons()
        return {"type": "ir.actions.client", "tag": "soft_reload"}


class OutlookCalendarPickerLine(models.TransientModel):
    _name = "outlook.calendar.picker.line"
    _description = "Outlook Calendar to Sync"
    _order = "sequence, id"

    picker_id = fields.Many2one("outlook.calendar.picker", required=True, ondelete="cascade")
    sequence = fields.Integer()
    calendar_id = fields.Char(required=True, readonly=True)
    name = fields.Char("Outlook Calendar", readonly=True)
    owner = fields.Char("Owner", readonly=True)
    owner_name = fields.Char(readonly=True)
    shared = fields.Boolean(readonly=True, help="Another user shared it with this mailbox.")
    is_default = fields.Boolean("Default", readonly=True)
    tallies_responses = fields.Boolean(
        "Tracks Answers",
        readonly=True,
        help="Outlook tracks attendees' answers only for meetings sent from the default "
        "calendar: in the others, Odoo keeps the answers it knows.",
    )
    account_id = fields.Many2one("outlook.account", readonly=True, ondelete="cascade")
    selected = fields.Boolean("Sync")
    sync_mode = fields.Selection(SYNC_MODES, "Direction", required=True, default="two_way")
    tag_id = fields.Many2one(
        "calendar.event.type",
        "Odoo Tag",
        help="Imported events get it; Odoo events with it go to this calendar. Left empty on a "
        "calendar newly synced (not the default one), a tag named after it is made.",
    )

    @api.depends("name", "shared", "owner", "owner_name")
    def _compute_display_name(self):
        for line in self:
            line.display_name = line._label()

    def _label(self):
        """The calendar's name, with its owner's when another user shared it (theirs is often
        called "Calendar" too)."""
        if not self.shared:
            return self.name
        return f"{self.owner_name or self.owner} · {self.name}"

    def _new_tag(self):
        """The tag of a calendar newly chosen without one (its default calendar aside): the tag
        named after it, made if missing, so that its events can be told apart in Odoo."""
        self.ensure_one()
        if self.account_id or not self.selected or self.is_default:
            return self.env["calendar.event.type"]
        # Only Settings administrators may make tags; the sync makes those it needs itself.
        Tag = self.env["calendar.event.type"].sudo()
        name = self._label()
        return Tag.search([("name", "=ilike", name)], limit=1) or Tag.create({"name": name})
