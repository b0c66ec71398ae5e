"""``outlook.subscription.notice``: changes Microsoft announced that no sync has answered yet."""

from odoo import fields, models


class OutlookSubscriptionNotice(models.Model):
    """A change Microsoft announced for an account and no sync has answered yet.

    The webhook only ever inserts these rows and the sync deletes those it sees when it starts,
    so neither waits for the other's locks: a notification is acknowledged in milliseconds even
    while the account syncs, and one that arrives during a sync is still there after it.
    """

    _name = "outlook.subscription.notice"
    _description = "Outlook Change Notice"
    _log_access = False

    subscription_id = fields.Many2one(
        "outlook.subscription", required=True, ondelete="cascade", readonly=True
    )
    account_id = fields.Many2one(
        "outlook.account", required=True, ondelete="cascade", index=True, readonly=True
    )
