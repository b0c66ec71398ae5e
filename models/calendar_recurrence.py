"""``calendar.recurrence``: a changed rule marks the series' Outlook links to send."""

from odoo import api, fields, models
from odoo.tools import create_index

from .calendar_event import SYNCING_ACCOUNT

# The recurrence's fields that make its rule (``rrule`` is computed from them, and back).
RULE_FIELDS = frozenset(
    {
        "rrule",
        "rrule_type",
        "end_type",
        "interval",
        "count",
        "until",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "month_by",
        "day",
        "weekday",
        "byday",
        "event_tz",
        "base_event_id",
        "calendar_event_ids",
    }
)


class CalendarRecurrence(models.Model):
    _inherit = "calendar.recurrence"

    def init(self):
        # A sync looks for the recurrences written since the last one.
        create_index(
            self.env.cr, "calendar_recurrence_write_date_index", self._table, ["write_date"]
        )
        return super().init()

    @api.model_create_multi
    def create(self, vals_list):
        recurrences = super().create(vals_list)
        # Odoo replaces a series' recurrence by a new one on the same first event.
        recurrences._outlook_mark_series_dirty(recurrences.base_event_id)
        return recurrences

    def write(self, vals):
        result = super().write(vals)
        if RULE_FIELDS.intersection(vals):
            self._outlook_mark_series_dirty()
        return result

    def unlink(self):
        self._outlook_mark_series_dirty()
        return super().unlink()

    def _outlook_mark_series_dirty(self, events=None):
        """Flag the series links of these recurrences (and of the series whose first event is
        one of ``events``) for the next sync, and bring that sync forward: the sync looks only
        at the series Outlook or Odoo changed. A sync's own writes do not flag its account's
        links (its run settles them)."""
        events = events or self.env["calendar.event"]
        if not (self or events):
            return
        domain = [
            "|",
            ("recurrence_id", "in", self.ids),
            ("base_event_id", "in", events.ids),
        ]
        if syncing := self.env.context.get(SYNCING_ACCOUNT):
            domain.append(("account_id", "!=", syncing))
        links = self.env["outlook.series.link"].sudo().search(domain)
        if not links:
            return
        links.write({"dirty": True, "local_modified_at": fields.Datetime.now()})
        self.env["calendar.event"]._outlook_bring_sync_forward()
