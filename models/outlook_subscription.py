"""``outlook.subscription``: Graph change-notification subscriptions of the accounts, their upkeep
and their payloads.
"""

import contextlib
import json
import logging
from datetime import timedelta, timezone

from odoo import api, fields, models

from ..services.errors import GraphError, NotFound, SyncError
from ..services.notifications import (
    MAX_LIFETIME,
    OLDER_MAX_LIFETIME,
    REAUTHORIZATION_REQUIRED,
    SUBSCRIPTION_REMOVED,
    client_state_matches,
    expiry,
    lifetime_refused,
    needs_renewal,
    new_client_state,
    read_notifications,
    unreachable_reason,
)

_logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/outlook_calendar_sync/notifications"
# Where Microsoft reaches this Odoo when web.base.url does not say it: behind a reverse proxy
# or a tunnel, and in tests (the Graph emulator calls a loopback test server). Taken as given,
# without the https/public check: Microsoft itself refuses anything but https.
WEBHOOK_BASE_PARAM = "outlook_calendar_sync.webhook_base_url"
# Accounts whose calendar is watched: one waiting for its first-sync choice or paused keeps its
# subscription (going on needs no new one; their notifications are not recorded meanwhile); one
# that is disconnected or must sign in again has none.
WATCHED_STATES = ("preview", "active", "error", "paused")
RETRY_AFTER_FAILURE = timedelta(hours=1)


class OutlookSubscription(models.Model):
    """A Microsoft Graph change-notification subscription to one account's calendar.

    Graph calls ``WEBHOOK_PATH`` when an event of the calendar is created, updated or deleted;
    the controller checks the subscription's ``clientState`` and records a notice
    (``outlook.subscription.notice``) that makes the account due for a sync — the notification
    is only a doorbell, the delta sync reads what changed. The polling cron stays on whatever
    happens here.

    ``clientState``, the secret Graph echoes in every notification, is kept in a column no field
    exposes (as the account's token cache): only ``_client_states`` and ``_create_at_graph``
    read or write it, and it is never logged. The hourly cron ``_cron_maintain`` creates,
    renews, recreates and removes subscriptions, one per call (each call its own transaction).
    """

    _name = "outlook.subscription"
    _description = "Outlook Change Notification Subscription"
    _order = "id"

    account_id = fields.Many2one(
        "outlook.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    graph_subscription_id = fields.Char(readonly=True, index=True, copy=False)
    resource = fields.Char(readonly=True, help="What Graph watches, e.g. /me/calendars/{id}/events")
    notification_url = fields.Char(readonly=True)
    expires_at = fields.Datetime(readonly=True, copy=False)
    state = fields.Selection(
        [
            ("pending", "To create"),
            ("active", "Active"),
            ("renew", "To renew"),
            ("error", "Failed"),
        ],
        required=True,
        default="pending",
        readonly=True,
    )
    last_error = fields.Text(readonly=True)
    older_lifetime = fields.Boolean(
        "Shorter Lifetime",
        readonly=True,
        copy=False,
        help="Microsoft refused the 10,080-minute lifetime of its current documentation for "
        "this mailbox: the subscription and its renewals ask for the 4,230 minutes of the older "
        "one.",
    )
    next_check_at = fields.Datetime(
        readonly=True, index=True, copy=False, help="When the maintenance cron looks at it next."
    )

    _sql_constraints = [
        ("account_uniq", "unique(account_id)", "One subscription per Outlook account."),
        (
            "graph_subscription_id_uniq",
            "unique(graph_subscription_id)",
            "This Graph subscription is already recorded.",
        ),
    ]

    def init(self):
        self.env.cr.execute(
            "ALTER TABLE outlook_subscription ADD COLUMN IF NOT EXISTS client_state TEXT"
        )

    # ------------------------------------------------------------------
    # Where Microsoft calls us
    # ------------------------------------------------------------------

    @api.model
    def _notification_url(self):
        """(url, reason): the URL Graph must call, or None and why it cannot call this Odoo
        (``services.notifications.unreachable_reason``)."""
        params = self.env["ir.config_parameter"].sudo()
        override = params.get_param(WEBHOOK_BASE_PARAM)
        if override:
            return override.rstrip("/") + WEBHOOK_PATH, None
        base_url = params.get_param("web.base.url", "")
        reason = unreachable_reason(base_url)
        if reason:
            return None, reason
        return base_url.rstrip("/") + WEBHOOK_PATH, None

    @api.model
    def _status_message(self):
        """One sentence for Settings: are near-real-time updates on, and if not, why."""
        url, _reason = self._notification_url()
        if url:
            return self.env._(
                "Near-real-time updates: on. Microsoft calls %(url)s when an Outlook event "
                "changes and the account syncs within seconds; the sync every 5 minutes stays "
                "on as a safety net.",
                url=url,
            )
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        return self.env._(
            "Near-real-time updates: off. Microsoft can only notify a public https address, "
            "and this database's URL is %(url)s: Outlook changes arrive with the sync every "
            "5 minutes.",
            url=base_url or "-",
        )

    # ------------------------------------------------------------------
    # Notifications (called by the webhook controller, as superuser)
    # ------------------------------------------------------------------

    @api.model
    def _receive_payload(self, body):
        """The raw body Graph POSTed (bytes, any of them): its notifications handled by
        ``_receive``; a body holding none (malformed, empty, not JSON) is logged and ignored."""
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = None
        notifications = list(read_notifications(payload))
        if not notifications:
            _logger.info("Outlook notification endpoint: a POST without notifications ignored")
            return 0
        return self._receive(notifications)

    @api.model
    def _receive(self, notifications):
        """Handle what Graph POSTed: mark notified accounts and wake the crons; never calls
        Graph, never syncs. Returns how many notifications were accepted."""
        by_graph_id = {
            sub.graph_subscription_id: sub
            for sub in self.search(
                [("graph_subscription_id", "in", [n.subscription_id for n in notifications])]
            )
        }
        secrets_by_id = self.browse(sub.id for sub in by_graph_id.values())._client_states()
        notified, to_renew, to_recreate = self.browse(), self.browse(), self.browse()
        for notification in notifications:
            sub = by_graph_id.get(notification.subscription_id)
            if sub is None:
                _logger.info(
                    "Outlook notification for unknown subscription %s ignored",
                    notification.subscription_id,
                )
                continue
            if not client_state_matches(secrets_by_id.get(sub.id), notification.client_state):
                _logger.warning(
                    "Outlook notification for subscription %s (account %s) ignored: its "
                    "clientState does not match",
                    notification.subscription_id,
                    sub.account_id.id,
                )
                continue
            if notification.lifecycle_event == REAUTHORIZATION_REQUIRED:
                to_renew |= sub
            elif notification.lifecycle_event == SUBSCRIPTION_REMOVED:
                to_recreate |= sub
                notified |= sub  # what changed meanwhile was not announced: sync anyway
            else:  # a change, or "missed" (changes were not announced): a delta sync covers both
                notified |= sub
        now = fields.Datetime.now()
        listening = notified.filtered(lambda sub: sub.account_id.state in ("active", "error"))
        if listening:
            self.env["outlook.subscription.notice"].create(
                [{"subscription_id": sub.id, "account_id": sub.account_id.id} for sub in listening]
            )
            # Every lane: one busy with a long run must not hold the notified accounts back.
            self.env["outlook.account"]._wake_sync_crons()
        if to_renew or to_recreate:
            (to_renew - to_recreate).write({"state": "renew", "next_check_at": now})
            to_recreate.write({"state": "pending", "next_check_at": now})
            self._trigger_maintenance()
        return sum(1 for n in notifications if n.subscription_id in by_graph_id)

    @api.model
    def _accounts_notified(self):
        """Healthy accounts with a notice waiting: Microsoft announced a change after their last
        sync started. A failing account (error, or waiting for Microsoft's Retry-After) keeps
        its retry schedule."""
        self.env["outlook.account"].flush_model(["state", "last_error"])
        self.env["outlook.subscription.notice"].flush_model(["account_id"])
        self.env.cr.execute(
            """
            SELECT a.id
              FROM outlook_account a
             WHERE a.state = 'active'
               AND a.last_error IS NULL
               AND EXISTS (SELECT 1 FROM outlook_subscription_notice n WHERE n.account_id = a.id)
             ORDER BY a.id
            """
        )
        return self.env["outlook.account"].sudo().browse(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _consume_notices(self, account):
        """Sync hook, before the sync reads anything from Graph: the notices seen now are
        answered by this sync. Notices committed later stay, and bring one more sync."""
        self.env["outlook.subscription.notice"].flush_model(["account_id"])
        self.env.cr.execute(
            "DELETE FROM outlook_subscription_notice WHERE account_id = %s", [account.id]
        )

    # ------------------------------------------------------------------
    # Maintenance: create, renew, recreate, remove
    # ------------------------------------------------------------------

    @api.model
    def _after_sign_in(self, account):
        """Sign-in hook: the account may now be another mailbox or calendar, with new tokens:
        its subscription is made again (the former one deleted first when Graph still knows
        it), by the maintenance cron, outside the sign-in request."""
        self.sudo().search([("account_id", "=", account.id)]).write(
            {"state": "pending", "next_check_at": fields.Datetime.now()}
        )
        self._trigger_maintenance()

    @api.model
    def _trigger_maintenance(self):
        self.env.ref("outlook_calendar_sync.ir_cron_outlook_subscriptions").sudo()._trigger()

    @api.model
    def _cron_maintain(self):
        """Bring one subscription in line with its account and the URL (the runner calls again,
        each call its own transaction, while others need it)."""
        url, _reason = self._notification_url()
        todo = self._needing_work(url)
        if todo:
            todo[0]._maintain(url)
        self.env["ir.cron"]._notify_progress(done=len(todo[:1]), remaining=len(todo[1:]))

    @api.model
    def _needing_work(self, url):
        """Rows to act on now, after adding a row for every watched account without one."""
        now = fields.Datetime.now()
        subs = self.sudo()
        if url:
            unwatched = (
                self.env["outlook.account"]
                .sudo()
                .search(
                    [
                        ("state", "in", WATCHED_STATES),
                        ("id", "not in", subs.search([]).account_id.ids),
                        # Graph sends no notifications of a calendar shared by another user:
                        # the cron polls it.
                        ("calendar_owner", "=", False),
                    ]
                )
                .filtered(lambda account: not account._connected_in_another_database())
            )
            subs.create([{"account_id": account.id, "next_check_at": now} for account in unwatched])
            return subs.search(
                [
                    "|",
                    "|",
                    "|",
                    ("next_check_at", "<=", now),
                    ("notification_url", "!=", url),
                    ("notification_url", "=", False),
                    ("account_id.state", "not in", WATCHED_STATES),
                ],
                order="next_check_at, id",
            )
        return subs.search([], order="id")

    def _maintain(self, url):
        """Create, renew or remove this subscription at Graph, then record the outcome; a
        failure is recorded and retried in an hour."""
        self.ensure_one()
        account = self.account_id
        config = account._app_config()
        if (
            not url
            or not config
            or account.state not in WATCHED_STATES
            or account._connected_in_another_database()
        ):
            self._remove(config)
            return
        now = fields.Datetime.now()
        if (
            self.state == "active"
            and self.notification_url == url
            and self.expires_at
            and not needs_renewal(self.expires_at, now)
        ):
            self.next_check_at = self.expires_at - (self.expires_at - now) / 2
            return
        # A failed attempt (error) tries a renewal first: Graph says NotFound when the
        # subscription is gone, and a new one is made.
        renewing = (
            bool(self.graph_subscription_id)
            and self.notification_url == url
            and self.state != "pending"
        )
        try:
            with account._outlook_session(config) as (_auth, graph):
                answer = None
                if renewing:
                    with contextlib.suppress(NotFound):
                        answer = self._within_lifetime(
                            lambda expiration: graph.renew_subscription(
                                self.graph_subscription_id, expiration
                            ),
                            now,
                        )
                if answer is None:
                    answer = self._within_lifetime(
                        lambda expiration: self._create_at_graph(graph, url, expiration), now
                    )
        except SyncError as error:
            _logger.info(
                "Outlook subscription of account %s not created or renewed: %s",
                account.id,
                type(error).__name__,
            )
            self.write(
                {
                    "state": "error",
                    "notification_url": url,
                    "last_error": str(error),
                    "next_check_at": now + RETRY_AFTER_FAILURE,
                }
            )
            return
        expires_at = (
            answer.expires_at.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
            if answer.expires_at
            else expiry(now, self._max_lifetime())
        )
        self.write(
            {
                "state": "active",
                "graph_subscription_id": answer.id or self.graph_subscription_id,
                "expires_at": expires_at,
                "notification_url": url,
                "last_error": False,
                "next_check_at": expires_at - (expires_at - now) / 2,
            }
        )

    def _max_lifetime(self):
        return OLDER_MAX_LIFETIME if self.older_lifetime else MAX_LIFETIME

    def _within_lifetime(self, call, now):
        """``call(expiration)`` with the lifetime this subscription asks for; when Graph refuses
        the current docs' maximum as too long, once more with the older docs' one, which this
        row then keeps for its renewals."""
        try:
            return call(_aware(expiry(now, self._max_lifetime())))
        except GraphError as error:
            if self.older_lifetime or not lifetime_refused(error):
                raise
        _logger.info(
            "Microsoft refused a %s-minute subscription for Outlook account %s; asking for %s "
            "minutes, as its older documentation says",
            int(MAX_LIFETIME.total_seconds() // 60),
            self.account_id.id,
            int(OLDER_MAX_LIFETIME.total_seconds() // 60),
        )
        self.older_lifetime = True
        return call(_aware(expiry(now, OLDER_MAX_LIFETIME)))

    def _create_at_graph(self, graph, url, expiration):
        """A new Graph subscription (the previous one, if any, deleted first) with a new
        clientState, expiring at ``expiration``; Graph calls ``url`` to validate it before it
        answers."""
        if self.graph_subscription_id:
            graph.delete_subscription(self.graph_subscription_id)
            self.graph_subscription_id = False
        resource = graph.events_path(self.account_id.calendar_id)
        client_state = new_client_state()
        answer = graph.create_subscription(
            resource=resource,
            notification_url=url,
            client_state=client_state,
            expiration=expiration,
        )
        self.env.cr.execute(
            "UPDATE outlook_subscription SET client_state = %s, resource = %s WHERE id = %s",
            [client_state, resource, self.id],
        )
        return answer

    def _remove(self, config=None):
        """Delete these subscriptions at Graph when the account can still talk to it, and forget
        them. A failure only leaves a Graph subscription that expires within 7 days and whose
        notifications are ignored (unknown id). In a copy of the database the subscription is
        the original database's: it is only forgotten here, never touched at Graph."""
        for sub in self.sudo():
            account = sub.account_id
            config = config or account._app_config()
            if (
                sub.graph_subscription_id
                and config
                and account._token_store().read_cache()
                and not account._connected_in_another_database()
            ):
                try:
                    with account._outlook_session(config) as (_auth, graph):
                        graph.delete_subscription(sub.graph_subscription_id)
                except SyncError as error:
                    _logger.info(
                        "Outlook subscription of account %s not deleted at Microsoft: %s",
                        account.id,
                        type(error).__name__,
                    )
        self.sudo().unlink()

    @api.model
    def _remove_for(self, accounts):
        """Disconnect hook: remove the accounts' subscriptions (before their tokens go)."""
        self.sudo().search([("account_id", "in", accounts.ids)])._remove()

    def _client_states(self):
        """{id: clientState} of these rows: THE reader of the secret column."""
        if not self:
            return {}
        self.flush_recordset()
        self.env.cr.execute(
            "SELECT id, client_state FROM outlook_subscription WHERE id = ANY(%s)", [self.ids]
        )
        return dict(self.env.cr.fetchall())


def _aware(moment):
    """Odoo's naive UTC datetime as the aware one the Graph client wants."""
    return moment.replace(tzinfo=timezone.utc)
