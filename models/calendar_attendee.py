"""``calendar.attendee``: an attendee's new answer marks the event's Outlook links to send."""

from odoo import models


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            self.event_id._outlook_mark_dirty()
        return result
