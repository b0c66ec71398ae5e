"""The sync's scheduler: which accounts are due and in what order, the cron lanes that share
them, how long one cron call may run, the row locks that keep two workers off one mailbox, and
when an account syncs again after a run. The rules are ``services.schedule``'s; this applies
them to the ``outlook.account`` table.

Every cron job that runs ``outlook.account._cron_sync`` is a lane: Odoo runs a job on one
worker at a time, so each lane lets one more cron worker (thread or server) sync. The lanes
share the due accounts: each takes the next one that no worker holds.
"""

import time

from psycopg2 import errors as pg_errors

from odoo import fields
from odoo.tools import config as odoo_config

from odoo.addons.base.models.ir_cron import MAX_BATCH_PER_CRON_JOB

from ..services import schedule

# An account due for longer than this many intervals is late: the cron workers fall behind.
LATE_AFTER_INTERVALS = 2
# How far past the accounts it already took a cron call looks for one nobody holds: more than
# the accounts the other workers can hold at once.
TAKE_WINDOW = 20


class Scheduler:
    """The schedule of the ``outlook.account`` records of ``accounts``' environment."""

    def __init__(self, accounts):
        self.accounts = accounts.browse()
        self.env = accounts.env

    # ------------------------------------------------------------------
    # Due order
    # ------------------------------------------------------------------

    def due_domain(self):
        """Accounts whose turn came: asked for, never scheduled, or past their next sync."""
        return [
            ("state", "in", ("active", "error")),
            "|",
            "|",
            ("sync_requested_at", "!=", False),
            ("next_sync_at", "=", False),
            ("next_sync_at", "<=", fields.Datetime.now()),
        ]

    def late_domain(self):
        """Accounts due for longer than ``LATE_AFTER_INTERVALS`` sync intervals."""
        behind = fields.Datetime.now() - LATE_AFTER_INTERVALS * schedule.SYNC_INTERVAL
        return [*self.due_domain(), ("next_sync_at", "<", behind)]

    def backoff_domain(self):
        """Accounts waiting after a failed or throttled run."""
        return [("sync_failures", ">", 0), ("next_sync_at", ">", fields.Datetime.now())]

    def due_accounts(self, limit=None, edited=None):
        """Accounts to sync now, in the order the cron takes them: those Microsoft notified of
        a change (see outlook.subscription), those whose user changed Odoo (``edited``, else
        read now), those asked for (first asked, first served), then the longest-waiting."""
        if edited is None:
            edited = self.accounts_with_local_changes()
        return (
            self.env["outlook.subscription"]._accounts_notified()
            | edited
            | self.accounts.sudo().search(
                self.due_domain(),
                order="sync_requested_at asc nulls last, next_sync_at asc nulls first, id",
                limit=limit,
            )
        )

    def accounts_with_local_changes(self):
        """Accounts whose user changed Odoo since their last sync started: an event the user
        created that the account's sync did not link, or a synced one edited (its link dirty,
        not waiting for a retry), or a synced series changed (its series link dirty). They sync
        at the next cron call instead of their next interval; a failing account keeps its
        backoff. Plain SQL, once per cron call: three EXISTS per account over indexes (the
        partial indexes of dirty links, events by id)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT account.id
              FROM outlook_account account
             WHERE account.state IN ('active', 'error')
               AND account.sync_failures = 0
               AND account.last_sync_at IS NOT NULL
               AND (EXISTS (SELECT 1
                              FROM outlook_event_link link
                             WHERE link.account_id = account.id
                               AND link.dirty
                               -- Datetimes keep whole seconds: an edit in the second
                               -- the sync started may have come after it read Odoo.
                               AND link.local_modified_at >= account.last_sync_at
                               AND (link.retry_at IS NULL
                                    OR link.retry_at <= now() at time zone 'UTC'))
                    OR EXISTS (SELECT 1
                                 FROM outlook_series_link series
                                WHERE series.account_id = account.id
                                  AND series.dirty
                                  AND series.local_modified_at >= account.last_sync_at)
                    OR EXISTS (SELECT 1
                                 FROM calendar_event event
                                WHERE event.id > account.last_sync_event_id
                                  AND event.user_id = account.user_id
                                  AND event.create_uid = account.user_id
                                  -- Linked: the last sync created or sent it itself.
                                  AND NOT EXISTS (SELECT 1
                                                    FROM outlook_event_link link
                                                   WHERE link.event_id = event.id
                                                     AND link.account_id = account.id)))
             ORDER BY account.last_sync_at, account.id
            """
        )
        return self.accounts.sudo().browse([row[0] for row in self.env.cr.fetchall()])

    def take_due_account(self, taken=(), edited=None):
        """Lock and return the next due account no worker holds (none: an empty recordset).
        ``taken``: the accounts this call already synced, never taken twice; ``edited``: see
        ``due_accounts``."""
        for account in self.due_accounts(limit=len(taken) + TAKE_WINDOW, edited=edited):
            if account.id not in taken and self.lock(account):
                return account
        return self.accounts

    def request(self, accounts):
        """Sync ``accounts`` as soon as a lane is free, before the accounts merely due (first
        asked, first served)."""
        accounts.filtered(lambda a: not a.sync_requested_at).sudo().write(
            {"sync_requested_at": fields.Datetime.now()}
        )
        if accounts:
            self.wake()

    # ------------------------------------------------------------------
    # Locking
    # ------------------------------------------------------------------

    def lock(self, account):
        """Take ``account``'s row and its sign-in's, or tell that another worker holds one of
        them or synced it since this transaction began (its new row version is not ours to
        lock). The calendars of one mailbox thus sync one at a time: they share its token cache
        and Microsoft's throttling."""
        account.ensure_one()
        return self._lock_row(account.id) and (
            not account.connection_id or self._lock_row(account.connection_id.id)
        )

    def _lock_row(self, account_id):
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM outlook_account WHERE id = %s FOR UPDATE SKIP LOCKED",
                    [account_id],
                    log_exceptions=False,
                )
                return bool(self.env.cr.fetchone())
        except pg_errors.SerializationFailure:
            return False

    # ------------------------------------------------------------------
    # Lanes and budget
    # ------------------------------------------------------------------

    def lanes(self):
        """Every active cron job that runs ``_cron_sync`` (duplicate the job in Settings >
        Technical > Scheduled Actions to add one)."""
        return (
            self.env["ir.cron"]
            .sudo()
            .search(
                [("model_id.model", "=", self.accounts._name), ("code", "ilike", "_cron_sync()")]
            )
        )

    def wake(self, at=None):
        """Run every lane as soon as a cron worker is free (or at ``at``)."""
        for cron in self.lanes():
            cron._trigger(at)

    def call_budget(self):
        """Seconds one cron call may keep taking accounts, from Odoo's real-time limit of cron
        workers (``limit_time_real_cron``, else ``limit_time_real``)."""
        limit = odoo_config["limit_time_real_cron"]
        if not limit or limit < 0:
            limit = odoo_config["limit_time_real"]
        return schedule.call_budget(
            limit or 0, calls_per_run=MAX_BATCH_PER_CRON_JOB, lanes=len(self.lanes())
        )

    def run_lane(self, time_budget=None):
        """One cron call: sync due accounts, asked-for ones first, then the longest-waiting,
        until ``time_budget`` seconds are spent (by default ``call_budget``); then tell the
        cron runner how many are left, so that it calls again, and wake the other lanes, while
        some are due. Under the cron runner every account is committed on its own, so a
        failure or a crash loses one account's run only and releases its row at once."""
        in_cron_runner = bool(self.env.context.get("ir_cron_progress_id"))
        if time_budget is None:
            time_budget = self.call_budget()
        deadline = time.monotonic() + time_budget
        taken = []
        # Read once per call: a change made meanwhile wakes the cron again.
        edited = self.accounts_with_local_changes()
        while account := self.take_due_account(taken, edited):
            taken.append(account.id)
            account._sync_in_turn()
            if in_cron_runner:
                # One transaction per account, as the runner gives one per call.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if time.monotonic() >= deadline:
                break
        remaining = len(self.due_accounts(edited=edited) - self.accounts.browse(taken))
        self.env["ir.cron"]._notify_progress(done=len(taken), remaining=remaining)
        if remaining:
            self.wake()

    # ------------------------------------------------------------------
    # Run outcome
    # ------------------------------------------------------------------

    def next_try(self, account, started, retry_after=0.0):
        """When ``account``, whose run started at ``started`` failed, tries again
        (``retry_after``: the seconds Microsoft asked to wait)."""
        return schedule.next_sync_at(
            started, failures=account.sync_failures + 1, retry_after=retry_after
        )

    def after_run(self, account, started, log, *, failed):
        """The schedule fields of ``account`` after its run started at ``started``: when it
        syncs again (``services.schedule.next_sync_at``), its failures in a row, what the run
        took. Takes the run's ``retry_after`` out of ``log``."""
        failures = account.sync_failures + 1 if failed else 0
        return {
            "next_sync_at": schedule.next_sync_at(
                started,
                failures=failures,
                retry_after=log.pop("retry_after", 0.0),
                read_unfinished=bool(log.get("read_unfinished")),
            ),
            "sync_requested_at": False,
            "sync_failures": failures,
            "last_sync_duration": log.get("duration", 0.0),
            "last_sync_requests": log.get("graph_requests", 0),
        }
