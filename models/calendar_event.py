"""``calendar.event``: the sync's indexes, the writes that mark links to send, and the event's two
conversions (read for the sync, written from it).
"""

from datetime import datetime, time, timedelta, timezone

from odoo import api, fields, models
from odoo.tools import create_index, email_normalize

from ..services.details import odoo_privacy, odoo_show_as
from ..services.values import Attendee, EventValues

# Odoo fields whose change must reach Outlook.
SYNCED_EVENT_FIELDS = frozenset(
    {
        "name",
        "description",
        "start",
        "stop",
        "allday",
        "start_date",
        "stop_date",
        "location",
        "videocall_location",
        "show_as",
        "privacy",
        "alarm_ids",
        "categ_ids",
        "outlook_online_meeting",
        "partner_ids",
        "attendee_ids",
        "user_id",
        "active",
    }
)
# Fields of an event of a recurrence whose change the series' link must look at: the event
# joining or leaving the recurrence, archived or back, or moved. Other edits of an occurrence
# flag its own link, which names the series to the next run.
SERIES_EVENT_FIELDS = frozenset(
    {"recurrence_id", "recurrency", "follow_recurrence", "active", "start", "stop", "allday"}
)
# A local edit starts a sync this soon after (edits in a burst share one run).
SYNC_DEBOUNCE = timedelta(seconds=30)
# The context key naming the account whose sync is writing.
SYNCING_ACCOUNT = "outlook_syncing_account_id"


def sync_writes_context(account_id):
    """The context of a sync's own Odoo writes: no Odoo mail nor chatter (Exchange mails the
    attendees), and the syncing account's links are not flagged as edited (its run settles
    them); other accounts' links of the same meeting still are."""
    return {
        "no_mail_to_attendees": True,
        "mail_create_nolog": True,
        "tracking_disable": True,
        SYNCING_ACCOUNT: account_id,
    }


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    # Every sync looks up its user's events: unindexed, that scans every user's events.
    user_id = fields.Many2one(index=True)
    # The series links follow their recurrence's events (a recurrence's events, a link's
    # recurrence): unindexed, each look scans every event.
    recurrence_id = fields.Many2one(index=True)
    # A sync looks for the events that may have become its calendar's since the last one:
    # created, written, or entered the window's end (``sync.run.SyncRun.changed_events``).
    start = fields.Datetime(index=True)
    outlook_link_ids = fields.One2many(
        "outlook.event.link", "event_id", string="Outlook Links", readonly=True, copy=False
    )
    outlook_online_meeting = fields.Boolean(
        "Teams Meeting",
        copy=False,
        help="Ask Outlook for a Teams meeting (work or school accounts). Outlook cannot turn a "
        "Teams meeting back into a plain event.",
    )

    def init(self):
        create_index(self.env.cr, "calendar_event_write_date_index", self._table, ["write_date"])
        return super().init()

    @api.model
    def default_get(self, fields_list):
        # Not a field default: installing on a database with events would evaluate it for
        # every existing row before the account table exists.
        defaults = super().default_get(fields_list)
        if "outlook_online_meeting" in fields_list and "outlook_online_meeting" not in defaults:
            account = (
                self.env["outlook.account"].sudo().search([("user_id", "=", self.env.uid)], limit=1)
            )
            defaults["outlook_online_meeting"] = account.online_meeting_default
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        # The default looked up once per create, not by default_get for each event: Odoo creates
        # a recurrence's events in one call, all without this field (it is not copied).
        if any("outlook_online_meeting" not in vals for vals in vals_list):
            default = self.default_get(["outlook_online_meeting"]).get("outlook_online_meeting")
            vals_list = [{"outlook_online_meeting": default, **vals} for vals in vals_list]
        events = super().create(vals_list)
        events._outlook_mark_series_dirty()
        if not self.env.su:
            # A user's new event (the sync's own run as superuser): sent at the next cron call.
            events._outlook_bring_sync_forward()
        return events

    def write(self, vals):
        series_before = self.recurrence_id if SERIES_EVENT_FIELDS.intersection(vals) else None
        result = super().write(vals)
        if SYNCED_EVENT_FIELDS.intersection(vals):
            self._outlook_mark_dirty()
        if series_before is not None:
            self._outlook_mark_series_dirty(series_before)
        return result

    def unlink(self):
        # The links stay (event_id set null): they carry the deletion to Outlook.
        self._outlook_mark_dirty()
        self._outlook_mark_series_dirty()
        return super().unlink()

    def _outlook_mark_dirty(self):
        """Flag the events' links for the next sync, and bring that sync forward."""
        links = self.sudo().outlook_link_ids
        if syncing := self.env.context.get(SYNCING_ACCOUNT):
            links = links.filtered(lambda link: link.account_id.id != syncing)
        if not links:
            return
        links.write({"dirty": True, "local_modified_at": fields.Datetime.now()})
        self._outlook_bring_sync_forward()

    def _outlook_mark_series_dirty(self, recurrences=None):
        """Flag the series links of these events' recurrences and of ``recurrences`` (the
        series the events were in before a write: joined, left, or changed in)."""
        recurrences = self.recurrence_id | (recurrences or self.recurrence_id.browse())
        if recurrences:
            recurrences._outlook_mark_series_dirty(self)

    def _outlook_bring_sync_forward(self):
        """Run the sync cron shortly (every lane): an account whose user changed Odoo since
        its last sync is due (``sync.scheduler.Scheduler.accounts_with_local_changes``)."""
        self.env["outlook.account"].sudo()._wake_sync_crons(fields.Datetime.now() + SYNC_DEBOUNCE)

    def _outlook_read_values(self):
        """This event read for the sync (Odoo to the core): its synced fields as the pure core's
        ``EventValues``. ``_outlook_vals_to_write`` goes the other way."""
        self.ensure_one()
        if self.allday:
            when = {"allday": True, "start_date": self.start_date, "stop_date": self.stop_date}
        else:
            when = {
                "start": self.start.replace(tzinfo=timezone.utc),
                "stop": self.stop.replace(tzinfo=timezone.utc),
            }
        reminder = self._outlook_reminder_alarm()
        # As in Graph, the organizer is not one of the attendees (Odoo lists them too).
        organizer = self.user_id
        organizer_email = email_normalize(organizer.email or "") or ""
        calendar_tags = self.env["outlook.account"]._calendar_tag_ids()
        return EventValues(
            name=self.name or "",
            description_html=str(self.description or ""),
            timezone=organizer.tz or "UTC",
            location=self.location or "",
            videocall_url=self.videocall_location or "",
            show_as=self.show_as or "busy",
            privacy=self.privacy or organizer.calendar_default_privacy or "public",
            reminder_minutes=reminder.duration_minutes if reminder else None,
            attendees=tuple(
                Attendee(email=email, name=attendee.partner_id.name or "", response=attendee.state)
                for attendee in self.attendee_ids
                if (email := email_normalize(attendee.partner_id.email or ""))
                and attendee.partner_id != organizer.partner_id
            ),
            organizer_email=organizer_email,
            categories=tuple(tag.name for tag in self.categ_ids if tag.id not in calendar_tags),
            online_meeting=self.outlook_online_meeting,
            **when,
        )

    def _outlook_reminder_alarm(self):
        """The alarm that is the syncing user's Outlook reminder: the one the sync manages
        (``outlook_reminder``), else the earliest notification alarm. Odoo's alarms belong to
        the event, so every attendee who is an Odoo user sees it."""
        notifications = self.alarm_ids.filtered(lambda alarm: alarm.alarm_type == "notification")
        managed = notifications.filtered("outlook_reminder")
        candidates = managed or notifications
        return candidates.sorted("duration_minutes")[:1]

    def _outlook_vals_to_write(
        self, values, field_names, partners, alarm_for, organizer, *, tags=None
    ):
        """The core's ``values`` written into Odoo: ``calendar.event`` values for ``field_names``
        (on an event: what to write to it; on the empty model: what to create).

        ``partners`` maps emails to partner ids; ``alarm_for(minutes)`` gives the id of the
        alarm the sync manages for a reminder, which replaces only the event's current reminder
        alarm (other alarms stay); ``tags`` maps category names (case-folded) to tag ids; the
        ``organizer`` user stays among the attendees, as Odoo has it. Attendees' answers are
        applied afterwards by ``_outlook_set_responses``.
        """
        field_names = frozenset(field_names)
        vals = {}
        if "name" in field_names:
            vals["name"] = values.name or self.env._("(No title)")
        if "description_html" in field_names:
            vals["description"] = values.description_html
        if field_names & {"allday", "start", "stop", "start_date", "stop_date", "timezone"}:
            vals.update(when_vals(values))
        if "location" in field_names:
            vals["location"] = values.location
        if "videocall_url" in field_names:
            vals["videocall_location"] = values.videocall_url or False
        if "show_as" in field_names:
            vals["show_as"] = odoo_show_as(values.show_as)
        if "privacy" in field_names:
            vals["privacy"] = odoo_privacy(values.privacy)
        if "categories" in field_names and tags is not None:
            ids = [tags[name.casefold()] for name in values.categories if name.casefold() in tags]
            # The tags that mark an Outlook calendar are not categories: they stay.
            calendar_tags = self.env["outlook.account"]._calendar_tag_ids()
            ids += [tag for tag in self[:1].categ_ids.ids if tag in calendar_tags]
            vals["categ_ids"] = [fields.Command.set(ids)]
        if "online_meeting" in field_names:
            vals["outlook_online_meeting"] = values.online_meeting
        if "reminder_minutes" in field_names:
            current = self[:1]._outlook_reminder_alarm()
            minutes = values.reminder_minutes
            commands = [fields.Command.unlink(current.id)] if current else []
            if minutes is not None:
                commands.append(fields.Command.link(alarm_for(minutes)))
            vals["alarm_ids"] = commands
        if "attendees" in field_names:
            ids = [partners[a.email] for a in values.attendees if a.email in partners]
            ids += organizer.partner_id.ids
            vals["partner_ids"] = [fields.Command.set(list(dict.fromkeys(ids)))]
        return vals

    def _outlook_remove_for(self, user, *, shared):
        """Gone from ``user``'s Outlook: the events are archived, or, while other mailboxes still
        hold them (``shared``), only ``user`` leaves them."""
        if shared:
            self.write({"partner_ids": [fields.Command.unlink(user.partner_id.id)]})
        else:
            self.write({"active": False})

    def _outlook_set_responses(self, values_by_event):
        """Give each attendee the answer the values say, and the organizer "accepted" (grouped:
        one write per answer)."""
        by_state = {}
        for event in self:
            answers = {a.email: a.response for a in values_by_event[event.id].attendees}
            for attendee in event.attendee_ids:
                if attendee.partner_id == event.user_id.partner_id:
                    state = "accepted"  # the organizer attends their own meeting
                else:
                    state = answers.get(email_normalize(attendee.partner_id.email or "") or "")
                if state and attendee.state != state:
                    by_state.setdefault(state, self.env["calendar.attendee"])
                    by_state[state] |= attendee
        for state, attendees in by_state.items():
            attendees.write({"state": state})


def when_vals(values):
    """Odoo's start/stop for the time of ``values``. A single event has no zone of its own in
    Odoo (``event_tz`` belongs to recurrences): the instants are UTC, the zone stays in the base.
    All-day events follow Odoo's convention: the dates at 08:00 and 18:00."""
    if values.allday:
        return {
            "allday": True,
            "start": datetime.combine(values.start_date, time(8)),
            "stop": datetime.combine(values.stop_date, time(18)),
        }
    return {
        "allday": False,
        "start": values.start.astimezone(timezone.utc).replace(tzinfo=None),
        "stop": values.stop.astimezone(timezone.utc).replace(tzinfo=None),
    }
