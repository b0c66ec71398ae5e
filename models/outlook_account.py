"""``outlook.account``: one synced Outlook calendar of a user: its settings, sign-in, sync entry
points, status and actions.
"""

import base64
import json
import logging
import secrets
import time
from contextlib import contextmanager

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import consteq
from odoo.tools.misc import hmac as odoo_hmac

from ..services.auth import SHARED_CALENDAR_SCOPES, AppConfig, OutlookAuth, safe_return_path
from ..services.errors import (
    AuthError,
    GraphError,
    ReauthRequired,
    SyncError,
    Throttled,
    WriteUnconfirmed,
)
from ..services.graph import ConnectionPool, GraphClient
from ..services.preview import dry_run_counts, preview_key
from ..services.quota import Pacer, quota_from_settings
from ..services.reconcile import Policy, PrivateEvents, PushScope, Winner
from ..sync.messages import (
    app_rejected_message,
    sign_in_failure_message,
    throttled_message,
    unconfirmed_message,
    unreachable_message,
)
from ..sync.run import MassDeletion, SyncRun
from ..sync.scheduler import Scheduler
from ..sync.token_store import TokenStore
from .res_config_settings import (
    DEFAULT_AUTHORITY_HOST,
    DEFAULT_GRAPH_ENDPOINT,
    DEFAULT_TENANT,
    REDIRECT_PATH,
)

_logger = logging.getLogger(__name__)

SIGN_IN_TTL_SECONDS = 600
# msal's cache of the identity platform's metadata (OpenID configuration), shared by the
# accounts this process syncs: read once per authority, not once per sync.
MSAL_HTTP_CACHE = {}
# Connections to Graph kept open across the accounts this process syncs.
GRAPH_CONNECTIONS = ConnectionPool()
GRAPH_MAX_WAIT = 30.0
STATE_SCOPE = "outlook_calendar_sync.oauth_state"
# The sync window a user may choose, in days (Graph reads the whole window on a full resync).
MAX_WINDOW_DAYS = 5 * 366
# Which way an Outlook calendar syncs: the account's, the first-sync choice, the calendar picker.
SYNC_MODES = [
    ("two_way", "Both ways"),
    ("import_only", "Import only (Outlook → Odoo)"),
    ("export_only", "Export only (Odoo → Outlook)"),
]
# What an account forgets to sync again as on a first sync: Outlook read in full, the
# first-sync scope and the mass-deletion guard's pending question.
FIRST_SYNC_AGAIN = {
    "delta_link": False,
    "delta_window_end": False,
    "first_synced_at": False,
    "first_sync_last_event_id": 0,
    "pending_deletions": 0,
    "confirm_mass_deletion": False,
}


# The account's fields that change which Odoo events it sends (``_export_domain``, the policy).
RESCAN_FIELDS = frozenset({"user_id", "event_tag_id", "receives_new_events", "sync_mode"})


class OutlookAccount(models.Model):
    """One user's sync of one Outlook calendar.

    The account made at sign-in syncs the mailbox's default calendar and holds the sign-in; the
    other calendars the user chose (their own, or shared with them by another user) each get an
    account that signs in through it (``connection_id``): one token cache per mailbox, so that
    Microsoft's rotating refresh token is never forked.

    The msal token cache and the pending sign-in flow are kept in two columns that no field
    exposes (as ``res.users.apikeys`` keeps its keys): no read, export, tracking or related field
    can reach them. ``_token_store`` is the only code that reads or writes them.
    """

    _name = "outlook.account"
    _description = "Outlook Sync Account"
    _rec_names_search = ["mailbox_address", "user_id", "calendar_name"]
    _order = "user_id, id"

    user_id = fields.Many2one(
        "res.users",
        string="User",
        required=True,
        default=lambda self: self.env.user,
        ondelete="cascade",
        index=True,
    )
    state = fields.Selection(
        [
            ("not_connected", "Not connected"),
            ("preview", "Waiting for the first-sync choice"),
            ("active", "Active"),
            ("paused", "Paused"),
            ("needs_reauth", "Needs reconnection"),
            ("error", "Error"),
        ],
        required=True,
        default="not_connected",
        index=True,
    )
    mailbox_address = fields.Char("Outlook Mailbox", readonly=True)
    graph_user_id = fields.Char("Microsoft Account ID", readonly=True)
    home_account_id = fields.Char(readonly=True, help="Selects this account in the token cache.")
    tenant_id = fields.Char("Tenant", readonly=True)
    calendar_id = fields.Char("Outlook Calendar ID", readonly=True)
    calendar_name = fields.Char("Outlook Calendar", readonly=True)
    calendar_owner = fields.Char(
        readonly=True,
        help="The mailbox that shared this calendar with the user (empty: the user's own).",
    )
    connection_id = fields.Many2one(
        "outlook.account",
        string="Signed In Through",
        readonly=True,
        ondelete="cascade",
        index=True,
        help="The account whose Microsoft sign-in this calendar syncs through (empty: its own).",
    )
    calendar_account_ids = fields.One2many(
        "outlook.account", "connection_id", string="Other Calendars", readonly=True
    )
    event_tag_id = fields.Many2one(
        "calendar.event.type",
        string="Odoo Tag",
        ondelete="set null",
        help="Events imported from this calendar get this tag, and Odoo events with this tag are "
        "sent to this calendar. It marks the calendar: it is never sent as an Outlook category.",
    )
    receives_new_events = fields.Boolean(
        "New Odoo Events Go Here",
        default=True,
        help="Odoo events with no other calendar's tag are sent to this calendar (one calendar "
        "per user: chosen in Calendars…).",
    )
    connected_at = fields.Datetime(readonly=True)
    database_uuid = fields.Char(
        "Connected in Database",
        readonly=True,
        copy=False,
        help="The database this account was connected in: a copy of it (another uuid) does not "
        "sync until the user connects again there.",
    )
    last_sync_at = fields.Datetime("Last Successful Sync", readonly=True)
    last_error = fields.Text(
        readonly=True, help="What went wrong last, in words a user can act on."
    )
    sync_past_days = fields.Integer(
        "Days in the Past", default=30, help="Events that ended longer ago are left alone."
    )
    sync_future_days = fields.Integer(
        "Days in the Future", default=365, help="Events further ahead are left alone."
    )
    sync_mode = fields.Selection(
        SYNC_MODES,
        required=True,
        default="two_way",
        readonly=True,
        help="Chosen in the first-sync preview. Import only never writes to Outlook; export only "
        "never writes to Odoo (Outlook then follows Odoo).",
    )
    first_sync_push_attendees = fields.Boolean(
        "Send Existing Events with Their Attendees",
        readonly=True,
        help="Chosen in the first-sync preview: Outlook invites the attendees of the existing "
        "events it receives. Events created later always go with their attendees.",
    )
    private_events = fields.Selection(
        [
            ("sync", "Send them with their details (marked private)"),
            ("busy", 'Send them as "Busy" blocks without details'),
            ("skip", "Do not send them"),
        ],
        "Private Events",
        required=True,
        default="sync",
        help="What Outlook gets of your Odoo events marked private. A busy block shows the time "
        "only: no subject, description, location or attendees.",
    )
    conflict_winner = fields.Selection(
        [
            ("newest", "The newest edit"),
            ("odoo", "Odoo's edit"),
            ("outlook", "Outlook's edit"),
        ],
        "When Both Sides Changed a Field",
        required=True,
        default="newest",
        help="Which value a field keeps when it was changed in Odoo and in Outlook since the "
        "last sync; the other value is written in the sync log. Fields changed on one side only "
        "always keep that change.",
    )
    delta_link = fields.Char(readonly=True, groups="base.group_system", copy=False)
    delta_window_end = fields.Datetime(readonly=True, copy=False)
    delta_link_unfinished = fields.Boolean(
        readonly=True,
        copy=False,
        help="The delta link is where a first read of a big Outlook calendar stopped (its page "
        "budget): the next run goes on from there.",
    )
    pending_deletions = fields.Integer(
        readonly=True,
        copy=False,
        help="Deletions the mass-deletion guard stopped, waiting for the user's confirmation.",
    )
    confirm_mass_deletion = fields.Boolean(readonly=True, copy=False)
    next_sync_at = fields.Datetime("Next Sync", readonly=True, index=True, copy=False)
    sync_requested_at = fields.Datetime(
        "Sync Asked At",
        readonly=True,
        copy=False,
        help="A sync asked for (Sync now in the overview, a change Microsoft notified): the cron "
        "serves these before the scheduled ones.",
    )
    sync_failures = fields.Integer(
        "Failed Runs in a Row",
        readonly=True,
        copy=False,
        help="Each one doubles the wait before the next try (at most an hour); Microsoft's "
        "Retry-After is always honoured.",
    )
    last_sync_duration = fields.Float(
        "Last Run (s)", readonly=True, copy=False, digits=(16, 2), help="Seconds the last run took."
    )
    last_sync_requests = fields.Integer("Last Run's Graph Requests", readonly=True, copy=False)
    is_due = fields.Boolean("Due", compute="_compute_schedule", search="_search_is_due")
    is_late = fields.Boolean(
        "Late",
        compute="_compute_schedule",
        search="_search_is_late",
        help="Due for more than two sync intervals: the cron workers do not keep up.",
    )
    in_backoff = fields.Boolean(
        "In Backoff",
        compute="_compute_schedule",
        search="_search_in_backoff",
        help="Its last run failed or Microsoft throttled it: it waits before trying again.",
    )
    first_synced_at = fields.Datetime(readonly=True, copy=False)
    categories_refused = fields.Boolean(
        "Outlook Categories Refused",
        readonly=True,
        copy=False,
        help="Microsoft refused this app the mailbox's category list (the MailboxSettings "
        "permission was not granted): events sync, their categories without colours. "
        "Reconnecting Outlook grants it.",
    )
    responses_untracked = fields.Boolean(
        "Answers Not Tracked",
        readonly=True,
        copy=False,
        help="Outlook tracks attendees' answers only for meetings sent from the mailbox's "
        "default calendar: for this calendar's meetings it shows none, so Odoo keeps the "
        "answers it knows.",
    )
    graph_quota_full_at = fields.Float(
        "Outlook Quota Full At",
        readonly=True,
        copy=False,
        help="When this mailbox's Outlook quota, as this app spent it, is whole again (seconds "
        "since 1970), kept when Outlook throttled a run: the runs of the quota's period after "
        "it pace themselves from the start.",
    )
    last_sync_event_id = fields.Integer(
        readonly=True,
        copy=False,
        help="The newest Odoo event when the last successful sync started: the user's events "
        "after it are new since, and bring the next sync forward.",
    )
    first_sync_last_event_id = fields.Integer(
        readonly=True,
        copy=False,
        help="Odoo events up to this id existed before the first sync: those it did not send to "
        "Outlook are never sent later by surprise.",
    )
    unsent_scanned_at = fields.Datetime(
        "Unsent Events Looked At",
        readonly=True,
        copy=False,
        help="When a sync last looked at all the user's Odoo events not in Outlook (the others "
        "look only at those changed since the sync before). Empty: the next sync does, as a "
        "sync left some unsent or the user's calendars changed.",
    )
    reminder_mode = fields.Selection(
        [("outlook", "Outlook"), ("odoo", "Odoo"), ("both", "Both")],
        "Who Reminds",
        default="outlook",
        help="Outlook: Outlook's reminders add no Odoo alarm and Odoo's alarms stay in Odoo. "
        "Odoo: Outlook's reminder becomes your Odoo alarm and no reminder is sent to Outlook. "
        "Both: the reminder is synced both ways (you are reminded twice).",
    )
    online_meeting_default = fields.Boolean(
        "Teams Meeting by Default",
        help="New Odoo events ask Outlook for a Teams meeting (work or school accounts only).",
    )
    declined_invitations = fields.Selection(
        [("keep", "Show them as declined"), ("hide", "Leave them out of Odoo")],
        "Declined Invitations",
        default="keep",
        help="Meetings you declined, in Outlook or in Odoo: kept in your Odoo calendar with your "
        "answer, or taken out of it (they come back if you accept them in Outlook).",
    )
    link_ids = fields.One2many("outlook.event.link", "account_id", readonly=True)
    log_ids = fields.One2many("outlook.sync.log", "account_id", readonly=True)
    synced_event_count = fields.Integer("Synced Events", compute="_compute_sync_counts")
    failing_event_count = fields.Integer("Failing Events", compute="_compute_sync_counts")

    _sql_constraints = [
        (
            "user_calendar_uniq",
            "unique(user_id, calendar_id)",
            "This Outlook calendar is already connected for this user.",
        ),
    ]

    @api.depends("mailbox_address", "user_id", "connection_id", "calendar_name")
    def _compute_display_name(self):
        for account in self:
            name = account.mailbox_address or account.user_id.name
            if account.connection_id and account.calendar_name:
                name = f"{name} · {account.calendar_name}"
            account.display_name = name

    def _compute_schedule(self):
        due = set(self.search([("id", "in", self.ids), ("is_due", "=", True)]).ids)
        late = set(self.search([("id", "in", self.ids), ("is_late", "=", True)]).ids)
        backing_off = set(self.search([("id", "in", self.ids), ("in_backoff", "=", True)]).ids)
        for account in self:
            account.is_due = account.id in due
            account.is_late = account.id in late
            account.in_backoff = account.id in backing_off

    def _search_is_due(self, operator, value):
        return self._schedule_domain(operator, value, self._scheduler().due_domain())

    def _search_is_late(self, operator, value):
        return self._schedule_domain(operator, value, self._scheduler().late_domain())

    def _search_in_backoff(self, operator, value):
        return self._schedule_domain(operator, value, self._scheduler().backoff_domain())

    def _schedule_domain(self, operator, value, domain):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on a schedule flag."))
        wanted = value if operator == "=" else not value
        return domain if wanted else ["!", *expression.AND([domain])]

    def _compute_sync_counts(self):
        Link = self.env["outlook.event.link"].sudo()
        domain = [("account_id", "in", self.ids)]
        synced = dict(Link._read_group(domain, ["account_id"], ["__count"]))
        failing = dict(
            Link._read_group([*domain, ("error_count", ">", 0)], ["account_id"], ["__count"])
        )
        for account in self:
            account.synced_event_count = synced.get(account, 0)
            account.failing_event_count = failing.get(account, 0)

    @api.constrains("receives_new_events", "user_id")
    def _check_one_calendar_for_new_events(self):
        for user in self.filtered("receives_new_events").user_id:
            if (
                self.search_count([("user_id", "=", user.id), ("receives_new_events", "=", True)])
                > 1
            ):
                raise ValidationError(
                    self.env._("New Odoo events can go to one Outlook calendar only.")
                )

    @api.constrains("sync_past_days", "sync_future_days")
    def _check_window(self):
        for account in self:
            if not 0 <= account.sync_past_days <= MAX_WINDOW_DAYS:
                raise ValidationError(
                    self.env._(
                        "Days in the past must be between 0 and %(max)s.", max=MAX_WINDOW_DAYS
                    )
                )
            if not 1 <= account.sync_future_days <= MAX_WINDOW_DAYS:
                raise ValidationError(
                    self.env._(
                        "Days in the future must be between 1 and %(max)s.", max=MAX_WINDOW_DAYS
                    )
                )

    def init(self):
        self.env.cr.execute(
            """
            ALTER TABLE outlook_account
                ADD COLUMN IF NOT EXISTS token_cache TEXT,
                ADD COLUMN IF NOT EXISTS sign_in_flow TEXT
            """
        )

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        if accounts.event_tag_id:
            self.env.registry.clear_cache()
        accounts._rescan_user_events()
        return accounts

    def write(self, vals):
        if "user_id" in vals and not self.env.is_system():
            raise AccessError(self.env._("An Outlook account cannot be handed to another user."))
        if "event_tag_id" in vals:
            self.env.registry.clear_cache()
        if RESCAN_FIELDS.intersection(vals):
            self._rescan_user_events()
        result = super().write(vals)
        if "user_id" in vals:
            self._rescan_user_events()
        if {"sync_past_days", "sync_future_days"}.intersection(vals):
            # Another window: Outlook is read again in full (a delta link keeps its window).
            self.sudo().write({"delta_link": False, "delta_window_end": False})
        return result

    def unlink(self):
        users = self.user_id
        result = super().unlink()
        # Its links went with it: the user's events they held may now be another calendar's.
        self.sudo().search([("user_id", "in", users.ids)]).write({"unsent_scanned_at": False})
        return result

    def _rescan_user_events(self):
        """Have the next sync of each of these accounts' users' calendars look at all their
        unsent Odoo events: which calendar an event goes to changed."""
        self.sudo().search([("user_id", "in", self.user_id.ids)]).write(
            {"unsent_scanned_at": False}
        )

    # ------------------------------------------------------------------
    # Actions (the Calendar button, the account form and the overview)
    # ------------------------------------------------------------------

    @api.model
    def get_sync_status(self):
        """What the Calendar's Outlook button shows for the current user."""
        config = self._app_config()
        account = self._for_user(self.env.user, create=False)
        status = {
            "configured": bool(config),
            "is_admin": self.env.user.has_group("base.group_system"),
            "account_id": account.id or False,
            "state": account.state if account else "not_connected",
            "mailbox": account.mailbox_address or False,
            "last_sync_at": account.last_sync_at or False,
            "last_error": account.last_error or False,
            "pending_deletions": account.pending_deletions,
            "calendars": [
                {
                    "name": calendar.calendar_name,
                    "state": calendar.state,
                    "error": calendar.last_error,
                }
                for calendar in account.calendar_account_ids
                if calendar.state != "not_connected"
            ],
        }
        return status

    @api.model
    def action_start_sign_in(self, return_path="/odoo/calendar"):
        """Start the current user's Microsoft sign-in: returns the URL to send the browser to."""
        config = self._app_config()
        if not config:
            raise UserError(
                self.env._("Outlook Calendar is not configured yet: ask an administrator.")
            )
        account = self._for_user(self.env.user, create=True)
        state = account._sign_state(safe_return_path(return_path))
        with account._outlook_session(config) as (auth, _graph):
            auth_uri, flow = auth.start_sign_in(
                redirect_uri=self._redirect_uri(),
                state=state,
                extra_scopes=SHARED_CALENDAR_SCOPES if self._shared_calendars_allowed() else (),
            )
        account._token_store().write_flow(flow)
        return auth_uri

    def action_sync_now(self):
        """Sync these accounts now, in this request (the button's "Sync now"); an account that
        holds a mailbox's sign-in brings the mailbox's other calendars along."""
        accounts = self._own()
        accounts |= accounts.filtered(
            lambda account: not account.connection_id
        ).calendar_account_ids
        for account in accounts.filtered(lambda a: a.state in ("active", "error")):
            account.sudo()._sync()
        return True

    def action_schedule_sync(self):
        """Sync now, in the background (the overview's mass action): the cron serves these
        before the accounts merely due, first asked first served."""
        self._scheduler().request(self._own().filtered(lambda a: a.state in ("active", "error")))
        return True

    def action_pause(self):
        self._own().filtered(lambda a: a.state in ("active", "error")).write({"state": "paused"})
        return True

    def action_resume(self):
        accounts = self._own().filtered(lambda account: account.state == "paused")
        accounts.write({"state": "active", "last_error": False})
        return True

    def action_disconnect(self):
        """Stop syncing; events stay where they are on both sides. Disconnecting the account
        that holds the sign-in forgets the tokens, so its other calendars stop too."""
        accounts = self._own()
        signed_in = accounts.filtered(lambda account: not account.connection_id)
        accounts |= signed_in.calendar_account_ids
        self.env["outlook.subscription"]._remove_for(accounts)
        for account in signed_in:
            account._token_store().clear()
        accounts.write({"state": "not_connected", "last_error": False})
        return True

    def action_resync(self):
        """Re-match and resync: Outlook is read again in full and matched to Odoo through the
        links, which keep what they knew (so nothing is created twice)."""
        accounts = self._own()
        accounts.sudo().write({"delta_link": False, "delta_window_end": False})
        accounts.action_sync_now()
        return True

    def action_forget_links(self):
        """Forget links and re-import: the links forget every synced version and Outlook is read
        again as on a first sync, through the preview. Each link only keeps which Odoo event is
        which Outlook event, so nothing is created twice; differing fields take Outlook's value."""
        accounts = self._own().filtered(lambda account: account.state != "not_connected")
        accounts.sudo().link_ids.write(
            {
                "base": False,
                "change_key": False,
                "dirty": False,
                "local_modified_at": False,
                "last_error": False,
                "error_count": 0,
                "retry_at": False,
            }
        )
        accounts.sudo().write({**FIRST_SYNC_AGAIN, "state": "preview", "last_error": False})
        return True

    def action_confirm_deletions(self):
        """The user confirms the deletions the guard stopped: sync now and let them through."""
        accounts = self._own().filtered("pending_deletions")
        accounts.write({"confirm_mass_deletion": True, "state": "active"})
        for account in accounts:
            account.sudo()._sync()
        return True

    def action_open_first_sync_preview(self):
        """The first-sync preview of this (own) account, counted by a dry run."""
        self.ensure_one()
        account = self._own()
        if account.state != "preview":
            raise UserError(self.env._("This Outlook account already chose how to sync."))
        wizard = self.env["outlook.first.sync.wizard"].create(
            {"account_id": account.id, "counts": account.sudo()._first_sync_preview()}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Your first Outlook sync"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "views": [(False, "form")],
            "target": "new",
        }

    def action_choose_calendars(self):
        """The calendar picker of this account's mailbox: its Outlook calendars, and those other
        users shared with it and let it edit, each with what is synced of it now."""
        self.ensure_one()
        signed_in = self._own()._connection()
        if signed_in.state in ("not_connected", "needs_reauth"):
            raise UserError(self.env._("Connect Outlook first: the calendars are read from it."))
        config = self._app_config()
        if not config:
            raise UserError(self.env._("Outlook Calendar is off in Settings."))
        notice = False
        with signed_in.sudo()._graph_for_user(config) as graph:
            try:
                calendars = graph.list_calendars()
            except GraphError as error:
                _logger.warning("Outlook did not list the calendars of %s: %s", signed_in, error)
                calendars = [graph.get_default_calendar()]
                notice = self.env._(
                    "Outlook did not give the list of this mailbox's calendars (%(reason)s), "
                    "so only its default calendar is shown. Its other calendars, and those "
                    "shared with it, appear here once Outlook lists them again: try later.",
                    reason=error.message or error.code,
                )
        picker = self.env["outlook.calendar.picker"].create(
            {
                "account_id": signed_in.id,
                "list_notice": notice,
                "line_ids": [
                    fields.Command.create(vals) for vals in signed_in._calendar_lines(calendars)
                ],
            }
        )
        picker.new_events_line_id = picker.line_ids.filtered(
            lambda line: line.account_id.receives_new_events
        )[:1]
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Outlook calendars to sync"),
            "res_model": picker._name,
            "res_id": picker.id,
            "views": [(False, "form")],
            "target": "new",
        }

    # ------------------------------------------------------------------
    # The cron and the schedule (sync.scheduler)
    # ------------------------------------------------------------------

    @api.model
    def _cron_sync(self, time_budget=None):
        """The sync cron (each job running it is a lane): sync due accounts for ``time_budget``
        seconds (by default a share of Odoo's cron time limit); see ``sync.scheduler``."""
        self._scheduler().run_lane(time_budget)

    @api.model
    def _scheduler(self):
        return Scheduler(self)

    @api.model
    def _due_accounts(self):
        """Accounts to sync now, in the order the cron takes them."""
        return self._scheduler().due_accounts()

    @api.model
    def _sync_crons(self):
        """The sync's lanes: every active cron job that runs ``_cron_sync``."""
        return self._scheduler().lanes()

    @api.model
    def _wake_sync_crons(self, at=None):
        """Run every lane as soon as a cron worker is free (or at ``at``)."""
        self._scheduler().wake(at)

    def _lock(self):
        """Take this account's row and its sign-in's, or tell that another worker holds one."""
        return self._scheduler().lock(self)

    # ------------------------------------------------------------------
    # A run: its policy, its outcome, what the user is told
    # ------------------------------------------------------------------

    def _sync_in_turn(self):
        """The cron's sync of this account: an unexpected error (a defect, a conflict with an
        edit made meanwhile) is rolled back, logged and postpones this account only. What the
        run writes for the user (errors, notices) is in the user's language, not the cron's."""
        account = self.with_context(lang=self.user_id.lang or self.env.lang)
        started = fields.Datetime.now()
        try:
            with account.env.cr.savepoint():
                return account._sync()
        except Exception as error:  # isolates one account. pylint: disable=broad-except
            _logger.exception("Outlook account %s: the sync failed", account.id)
            account.env.invalidate_all()
            message = account.env._("The sync failed unexpectedly: %(error)s", error=str(error))
            log = {"account_id": account.id, "started_at": started}
            return account._finish_failed(message, started, log)

    def _sync(self):
        """Sync this account in the current transaction and record a log; never raises for
        Microsoft's errors (they become the account's state and the log). Nothing is synced
        before the user chose in the first-sync preview."""
        self.ensure_one()
        if self.state == "preview":
            return self.env["outlook.sync.log"]
        started = fields.Datetime.now()
        clock = time.monotonic()
        log = {"account_id": self.id, "started_at": started}
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM calendar_event")
        last_event_id = self.env.cr.fetchone()[0]
        config = self._app_config()
        if not config:
            failure = self.env._("Outlook Calendar is off in Settings.")
        elif not self._scheduler().lock(self):
            return self.env["outlook.sync.log"]
        elif self._connected_in_another_database():
            failure = self._stop_in_database_copy()
        else:
            self.env["outlook.subscription"]._consume_notices(self)
            failure = self._run_sync(config, started, log)
        log["duration"] = time.monotonic() - clock
        if failure:
            return self._finish_failed(failure, started, log)
        # The first sync is over once Outlook was read to the end and nothing it had to send
        # waits for Outlook's quota: until then the next runs finish it under the same choice.
        unfinished = log.get("deferred") or log.get("read_unfinished")
        self.write(
            {
                "state": "active",
                "first_synced_at": self.first_synced_at or (not unfinished and started),
                "pending_deletions": 0,
                "confirm_mass_deletion": False,
                "first_sync_last_event_id": self.first_sync_last_event_id
                if self.first_synced_at
                else (not unfinished and last_event_id),
                "last_sync_at": started,
                "last_sync_event_id": last_event_id,
                "last_error": False,
                "database_uuid": self.database_uuid or self._database_uuid(),
                **self._scheduler().after_run(self, started, log, failed=False),
            }
        )
        return (
            self.env["outlook.sync.log"].sudo().create({**log, "ended_at": fields.Datetime.now()})
        )

    def _finish_failed(self, failure, started, log):
        """Record a failed run: tell the user, and postpone the account with backoff (never
        before Microsoft's Retry-After) so that it does not hold the others back."""
        schedule = self._scheduler().after_run(self, started, log, failed=True)
        log.update(state="failed", errors=[{"event": "", "reason": failure}])
        self._notify_failure(failure)
        self.write(schedule)
        return (
            self.env["outlook.sync.log"].sudo().create({**log, "ended_at": fields.Datetime.now()})
        )

    def _run_sync(self, config, started, log):
        """Run the sync (rolled back on failure, the token cache kept) and fill ``log``;
        returns what went wrong, in words for the user, or None."""
        with self._outlook_session(config) as (_auth, graph):
            try:
                return self._run_sync_with(graph, started, log)
            finally:
                log["graph_requests"] = graph.requests_sent

    def _run_sync_with(self, graph, started, log):
        try:
            with self.env.cr.savepoint():
                run = SyncRun(self.sudo(), graph, now=started, policy=self._sync_policy())
                log.update(run.run())
        except MassDeletion as guard:
            return self._stop_for_mass_deletion(guard)
        except ReauthRequired as error:
            self._mark_needs_reauth(error)
            return self.last_error
        except AuthError:
            self.state = "error"
            return app_rejected_message(self.env)
        except Throttled as error:
            log["retry_after"] = error.retry_after
            next_try = self._scheduler().next_try(self, started, error.retry_after)
            return throttled_message(self.env, next_try)
        except SyncError as error:
            if not isinstance(error, WriteUnconfirmed):
                self.state = "error"
            return self._failure_message(error)
        log["retry_after"] = run.retry_after
        return None

    def _sync_policy(self, mode=None, push_attendees=None):
        """The planner's policy for this account's next sync, or for another first-sync choice
        (the preview plans each one): the mode, what private events become, and the first
        sync's safe scope: existing events only if still to come, with their attendees only
        when the user asked, and Outlook's version of an event found on both sides (e.g. a
        meeting imported through an attendee's mailbox) is never overwritten by Odoo's."""
        self.ensure_one()
        mode = mode or self.sync_mode
        if push_attendees is None:
            push_attendees = self.first_sync_push_attendees
        first = not self.first_synced_at
        if mode == "import_only":
            push = PushScope.NONE
        else:
            push = PushScope.FUTURE if first else PushScope.ALL
        return Policy(
            conflicts=Winner.FIRST_SYNC if first else Winner(self.conflict_winner),
            push=push,
            push_attendees=push_attendees or not first,
            pull=mode != "export_only",
            private=PrivateEvents(self.private_events),
            responses_tracked=not self.responses_untracked,
        )

    def _failure_message(self, error):
        """What went wrong when Microsoft failed or refused a run, in words a user can act on:
        a calendar another user shared may have been unshared, or not granted yet; writes
        Microsoft did not confirm are read back, not sent again."""
        if isinstance(error, WriteUnconfirmed):
            return unconfirmed_message(self.env, error)
        refused = isinstance(error, GraphError) and error.status in (403, 404)
        if not (self.calendar_owner and refused):
            return unreachable_message(self.env, error)
        return self.env._(
            "Microsoft refused access to %(calendar)s, shared by %(owner)s. Reconnect Outlook "
            "to grant access to calendars shared with you; if that does not help, ask "
            "%(owner)s whether the calendar is still shared with you and editable.",
            calendar=self.calendar_name or self.calendar_id,
            owner=self.calendar_owner,
        )

    def _notify_failure(self, message):
        """Record what went wrong; a new error of a failing account also reaches the user at
        once (the reconnect notice and the mass-deletion guard tell theirs themselves)."""
        news = self.state == "error" and self.last_error != message
        self.last_error = message
        if news:
            self.user_id._bus_send(
                "simple_notification",
                {
                    "title": self.env._("Outlook sync failed"),
                    "message": message,
                    "type": "warning",
                    "sticky": True,
                },
            )

    def _mark_needs_reauth(self, error):
        """Stop syncing until the user signs in again, and tell them (once); the other
        calendars of the mailbox share the sign-in, so they stop too."""
        self.ensure_one()
        if self.state == "needs_reauth":
            return
        message = self.env._(
            "Microsoft no longer accepts the sign-in of %(mailbox)s: "
            "reconnect Outlook. (%(reason)s)",
            mailbox=self.mailbox_address or self.user_id.name,
            reason=error.reason,
        )
        signed_in = self._connection()
        mailbox = (signed_in | signed_in.calendar_account_ids).filtered(
            lambda account: account.state in ("active", "error", "preview")
        )
        (mailbox | self).write({"state": "needs_reauth", "last_error": message})
        self.user_id._bus_send(
            "simple_notification",
            {"title": self.env._("Outlook sync stopped"), "message": message, "sticky": True},
        )

    # ------------------------------------------------------------------
    # Safety stops: mass deletion, a copy of the database
    # ------------------------------------------------------------------

    def _stop_for_mass_deletion(self, guard):
        """Pause with nothing deleted, and ask the user (once) to confirm."""
        message = self.env._(
            "This sync would delete %(outlook)s events in Outlook and archive %(odoo)s in Odoo, "
            "out of %(synced)s synced: nothing was deleted and the sync is paused. If this is "
            'what you want, choose "Delete them" in the Outlook menu of the Calendar.',
            outlook=guard.in_outlook,
            odoo=guard.in_odoo,
            synced=guard.synced,
        )
        self.write({"state": "paused", "pending_deletions": guard.in_outlook + guard.in_odoo})
        self.user_id._bus_send(
            "simple_notification",
            {"title": self.env._("Outlook sync paused"), "message": message, "sticky": True},
        )
        return message

    @api.model
    def _database_uuid(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.uuid")

    def _connected_in_another_database(self):
        """Whether this database is a copy (a staging copy, a restored backup: another uuid) of
        the one the account was connected in: the copy must not write to the real calendar."""
        self.ensure_one()
        return bool(self.database_uuid) and self.database_uuid != self._database_uuid()

    def _stop_in_database_copy(self):
        """Write nothing anywhere, forget the production database's tokens and sync state, and
        ask the user to connect again (here, deliberately) if this copy must sync."""
        message = self.env._(
            "This database is a copy of the one where %(mailbox)s was connected: to protect "
            "that calendar, this copy does not sync with Outlook. Reconnect Outlook here only "
            "if this copy is meant to sync.",
            mailbox=self.mailbox_address or self.user_id.name,
        )
        self._token_store().clear()
        self.write({"state": "needs_reauth", "delta_link": False, "delta_window_end": False})
        self.user_id._bus_send(
            "simple_notification",
            {"title": self.env._("Outlook sync stopped"), "message": message, "sticky": True},
        )
        return message

    # ------------------------------------------------------------------
    # Sign-in (called by the OAuth controller)
    # ------------------------------------------------------------------

    @api.model
    def _sign_in_returned(self, state, query):
        """Microsoft sent the browser back with ``query``: finish the sign-in. Returns the path
        inside Odoo to send the browser to, and None; or None and what to tell the user, once
        whatever the failed sign-in stored is rolled back and its state made unusable (a replay
        must fail too)."""
        try:
            return self._finish_sign_in(state, query), None
        except (UserError, SyncError) as error:
            self.env.cr.rollback()
            self._discard_sign_in(state)
            _logger.warning(
                "Outlook sign-in of user %s failed: %s", self.env.uid, type(error).__name__
            )
            return None, sign_in_failure_message(self.env, error)

    @api.model
    def _finish_sign_in(self, state, query):
        """Complete the sign-in whose ``state`` came back on the redirect.

        Returns the path inside Odoo to send the browser back to. Raises ``UserError`` when the
        state is unknown, tampered with, expired, replayed or of another user, and the services'
        ``SyncError`` when Microsoft refuses; the caller rolls back, so nothing is stored.
        """
        payload = self._verify_state(state)
        account = self._for_user(self.env.user, create=False)
        store = account._token_store() if account else None
        flow = store.read_flow() if store else None
        if not flow or not consteq(str(flow.get("state", "")), state):
            raise UserError(
                self.env._("This sign-in link was already used or replaced by a newer one.")
            )
        store.write_flow(None)
        config = self._app_config()
        if not config:
            raise UserError(self.env._("Outlook Calendar is not configured."))
        with account._outlook_session(config) as (auth, graph):
            identity = auth.finish_sign_in(flow, query)
            account.home_account_id = identity.home_account_id
            me = graph.get_me()
            calendar = graph.get_default_calendar()
        if account.graph_user_id and account.graph_user_id != me.id:
            account._forget_mailbox()
        account.write(
            {
                # A new connection waits for the user's choice in the first-sync preview.
                "state": "active" if account.first_synced_at else "preview",
                # The address Exchange writes as the user's own (organizer, own calendars):
                # a personal account's /me has no mail, its events an outlook_… alias.
                "mailbox_address": calendar.owner_address
                or me.mail
                or me.user_principal_name
                or identity.username,
                "graph_user_id": me.id or False,
                "tenant_id": identity.tenant_id,
                "calendar_id": calendar.id or False,
                "calendar_name": calendar.name or False,
                "connected_at": fields.Datetime.now(),
                "database_uuid": self._database_uuid(),
                "last_error": False,
                "categories_refused": False,
            }
        )
        account.calendar_account_ids.write({"categories_refused": False})
        account.calendar_account_ids.filtered(lambda cal: cal.state == "needs_reauth").write(
            {"state": "active", "last_error": False, "database_uuid": self._database_uuid()}
        )
        self.env["outlook.subscription"]._after_sign_in(account)
        return payload["r"]

    @api.model
    def _discard_sign_in(self, state):
        """Forget the current user's pending sign-in if ``state`` is its own, whatever became
        of it; a stale or forged state (a link an attacker made the browser open) leaves the
        sign-in in progress alone."""
        account = self._for_user(self.env.user, create=False)
        flow = account._token_store().read_flow() if account else None
        if flow and consteq(str(flow.get("state", "")), state or ""):
            account._token_store().write_flow(None)

    def _sign_state(self, return_path):
        """A state bound to this user and database, single use (its nonce), ten minutes long."""
        payload = {
            "u": self.env.uid,
            "d": self.env.cr.dbname,
            "n": secrets.token_urlsafe(16),
            "e": int(time.time()) + SIGN_IN_TTL_SECONDS,
            "r": return_path,
        }
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
        body = body.decode().rstrip("=")
        return f"{body}.{odoo_hmac(self.env(su=True), STATE_SCOPE, body)}"

    @api.model
    def _verify_state(self, state):
        body, _dot, signature = (state or "").partition(".")
        if (
            not body
            or not signature
            or not consteq(signature, odoo_hmac(self.env(su=True), STATE_SCOPE, body))
        ):
            raise UserError(self.env._("This sign-in link is not valid."))
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if payload.get("d") != self.env.cr.dbname:
            raise UserError(self.env._("This sign-in link belongs to another database."))
        if payload.get("u") != self.env.uid:
            raise UserError(
                self.env._("This sign-in link was started by another user: sign in again.")
            )
        if payload.get("e", 0) < time.time():
            raise UserError(self.env._("This sign-in link expired: sign in again."))
        return payload

    @api.model
    def _redirect_uri(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        return base_url.rstrip("/") + REDIRECT_PATH

    # ------------------------------------------------------------------
    # First sync and resets
    # ------------------------------------------------------------------

    def _first_sync_preview(self):
        """Dry run of the first sync under each choice the preview offers: what the real sync
        would do, counted from the planner's plans (Outlook is read, nothing is written)."""
        self.ensure_one()
        config = self._app_config()
        if not config:
            raise UserError(self.env._("Outlook Calendar is off in Settings."))
        choices = [
            (mode, attendees)
            for mode in ("two_way", "import_only", "export_only")
            for attendees in ((False,) if mode == "import_only" else (False, True))
        ]
        with self._graph_for_user(config) as graph:
            run = SyncRun(self.sudo(), graph, now=fields.Datetime.now(), policy=None)
            dry_runs = run.dry_run(
                [self._sync_policy(mode, attendees) for mode, attendees in choices]
            )
        return {
            preview_key(mode, attendees): dry_run_counts(dry_run)
            for (mode, attendees), dry_run in zip(choices, dry_runs, strict=True)
        }

    def _choose_first_sync(self, mode, push_attendees):
        """Store the user's choice of the first-sync preview: from now on the account syncs."""
        self._own().filtered(lambda account: account.state == "preview").write(
            {
                "sync_mode": mode,
                "first_sync_push_attendees": push_attendees,
                "state": "active",
                "next_sync_at": False,
                "last_error": False,
            }
        )

    def _forget_mailbox(self):
        """Another mailbox is being connected: the former one's links go (its events stay in
        Odoo as plain events and in that mailbox, nothing is deleted) and the new mailbox
        starts with a first sync, which pairs what it already holds."""
        self.ensure_one()
        # The former mailbox's other calendars go with it (their links and logs too).
        self.sudo().calendar_account_ids.unlink()
        self.sudo().link_ids.unlink()
        self.env["outlook.series.link"].sudo().search([("account_id", "=", self.id)]).unlink()
        self.sudo().write(FIRST_SYNC_AGAIN)

    # ------------------------------------------------------------------
    # Calendars: which ones a mailbox offers, which Odoo events go to each
    # ------------------------------------------------------------------

    @api.model
    def _shared_calendars_allowed(self):
        """Whether the administrator lets users sync calendars others shared with them."""
        params = self.env["ir.config_parameter"].sudo()
        return bool(params.get_param("outlook_calendar_sync.shared_calendars"))

    def _calendar_lines(self, calendars):
        """The picker's lines for the ``calendars`` (``services.graph.Calendar``) of this
        mailbox: those it may write to (a read-only shared calendar cannot sync both ways),
        default first, then its own, then the shared ones."""
        mailbox = (self.mailbox_address or "").casefold()
        synced = {account.calendar_id: account for account in self | self.calendar_account_ids}
        rows = []
        for calendar in calendars:
            shared = bool(calendar.owner_address) and calendar.owner_address.casefold() != mailbox
            if not calendar.id or not calendar.can_edit:
                continue
            if shared and not self._shared_calendars_allowed():
                continue
            rows.append((calendar, shared))
        rows.sort(key=lambda row: (not row[0].is_default, row[1], row[0].name))
        lines = []
        for sequence, (calendar, shared) in enumerate(rows):
            account = synced.get(calendar.id)
            lines.append(
                {
                    "sequence": sequence,
                    "calendar_id": calendar.id,
                    "name": calendar.name or calendar.id,
                    "owner": calendar.owner_address,
                    "owner_name": calendar.owner_name,
                    "shared": shared,
                    "is_default": calendar.is_default,
                    "tallies_responses": calendar.tallies_responses,
                    "account_id": account.id if account else False,
                    "selected": bool(account) and account.state not in ("paused", "not_connected"),
                    "sync_mode": account.sync_mode if account else "two_way",
                    "tag_id": account.event_tag_id.id if account else False,
                }
            )
        return lines

    @api.model
    @tools.ormcache()
    def _calendar_tag_ids(self):
        """The tags that mark an Outlook calendar (``event_tag_id``): never Outlook categories."""
        return frozenset(self.sudo().search([("event_tag_id", "!=", False)]).event_tag_id.ids)

    def _export_domain(self, path=""):
        """Which of the user's Odoo events go to this calendar (``path``: from the searched
        model to the event, e.g. ``base_event_id.``): those with its tag, and, for the calendar
        that receives new events, those with no other calendar's tag."""
        self.ensure_one()
        field = f"{path}categ_ids"
        others = (
            self.search([("user_id", "=", self.user_id.id), ("id", "!=", self.id)]).event_tag_id
            - self.event_tag_id
        )
        own = [(field, "in", self.event_tag_id.ids)] if self.event_tag_id else []
        if not self.receives_new_events:
            return own or expression.FALSE_DOMAIN
        untagged = [(field, "not in", others.ids)] if others else []
        if own and untagged:
            return expression.OR([own, untagged])
        return untagged

    def _user_account_ids(self):
        """Every account of this account's user: an event linked to one of them is that
        calendar's, never sent to another one."""
        self.ensure_one()
        return self.search([("user_id", "=", self.user_id.id)]).ids

    # ------------------------------------------------------------------
    # Plumbing: records, settings, the Graph client, the token columns
    # ------------------------------------------------------------------

    def _own(self):
        """The records among self the current user may act on (admins: all)."""
        if self.env.is_system():
            return self
        if any(account.user_id != self.env.user for account in self):
            raise AccessError(self.env._("You can only manage your own Outlook account."))
        return self

    @api.model
    def _for_user(self, user, create):
        """The user's account that holds their Microsoft sign-in (the default calendar's)."""
        account = self.search(
            [("user_id", "=", user.id), ("connection_id", "=", False)], order="id", limit=1
        )
        if not account and create:
            account = self.create({"user_id": user.id})
        return account

    def _connection(self):
        """The account holding this calendar's Microsoft sign-in: itself, or the one of the
        mailbox's default calendar."""
        self.ensure_one()
        return self.connection_id or self

    @api.model
    def _app_config(self):
        """The Azure app and endpoints from Settings, or None while Outlook sync is off."""
        params = self.env["ir.config_parameter"].sudo()
        client_id = params.get_param("outlook_calendar_sync.client_id")
        client_secret = params.get_param("outlook_calendar_sync.client_secret")
        if not params.get_param("outlook_calendar_sync.enabled") or not (
            client_id and client_secret
        ):
            return None
        return AppConfig(
            client_id=client_id,
            client_secret=client_secret,
            authority_host=params.get_param(
                "outlook_calendar_sync.authority_host", DEFAULT_AUTHORITY_HOST
            ),
            tenant=params.get_param("outlook_calendar_sync.tenant", DEFAULT_TENANT),
            graph_endpoint=params.get_param(
                "outlook_calendar_sync.graph_endpoint", DEFAULT_GRAPH_ENDPOINT
            ),
            quota=quota_from_settings(
                params.get_param("outlook_calendar_sync.quota_requests"),
                params.get_param("outlook_calendar_sync.quota_period"),
                params.get_param("outlook_calendar_sync.quota_burst"),
            ),
        )

    @contextmanager
    def _outlook_session(self, config):
        """msal and a Graph client for this account; the token cache is saved back on the way out,
        whatever happened (a rotated refresh token must never be lost)."""
        self.ensure_one()
        store = self._token_store()
        auth = OutlookAuth(
            client_id=config.client_id,
            client_credential=config.client_secret,
            authority=config.authority,
            cache_blob=store.read_cache(),
            http_client=GRAPH_CONNECTIONS.session(),
            home_account_id=self._connection().home_account_id or None,
            http_cache=MSAL_HTTP_CACHE,
        )
        pacer = Pacer(config.quota, full_at=self.graph_quota_full_at)
        # A cron worker waits out short throttling only; a longer Retry-After postpones the
        # account (Throttled) so that one mailbox never holds the others back.
        graph = GraphClient(
            GRAPH_CONNECTIONS.session,
            config.graph_endpoint,
            auth.access_token,
            max_wait=GRAPH_MAX_WAIT,
            calendar_scope=self.calendar_id if self.calendar_owner else None,
            pacer=pacer,
        )
        try:
            yield auth, graph
        finally:
            graph.close()
            store.write_cache(auth.cache_blob_if_changed())
            if kept := pacer.state_to_keep():
                self.sudo().graph_quota_full_at = kept

    @contextmanager
    def _graph_for_user(self, config):
        """``_outlook_session``'s Graph client for a call made in a user's request (the preview,
        the calendar picker): Microsoft's failures become ``UserError``s in words the user can
        act on, and a refused sign-in also asks the user to reconnect."""
        with self._outlook_session(config) as (_auth, graph):
            try:
                yield graph
            except ReauthRequired as error:
                self._mark_needs_reauth(error)
                raise UserError(self.last_error) from error
            except AuthError as error:
                raise UserError(app_rejected_message(self.env)) from error
            except SyncError as error:
                raise UserError(unreachable_message(self.env, error)) from error

    def _token_store(self):
        """THE sudo boundary for secrets: the only reader and writer of the token columns (of
        the account holding this calendar's sign-in)."""
        self.ensure_one()
        return TokenStore(self.env.cr, self._connection().id)
