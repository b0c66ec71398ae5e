"""``calendar.alarm``: which alarms the sync made for Outlook reminders."""

from odoo import fields, models


class CalendarAlarm(models.Model):
    _inherit = "calendar.alarm"

    outlook_reminder = fields.Boolean(
        "Outlook Reminder",
        readonly=True,
        help="Made by the Outlook sync for an Outlook reminder: the sync replaces this alarm on "
        "an event, never the others.",
    )
