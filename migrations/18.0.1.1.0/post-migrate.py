"""Mark the accounts whose Outlook calendar does not track attendees' answers.

Outlook tracks the answers to meetings sent from a mailbox's default calendar only. The account
made at sign-in syncs that calendar; the mailbox's other own calendars were added from the
calendar picker (``connection_id`` set, no ``calendar_owner``). The picker marks those
``responses_untracked`` when it saves them and nothing else sets it, so the accounts an earlier
version saved are marked here: otherwise the planner would take Outlook's "no answer" over the
answers Odoo knows.
"""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE outlook_account
           SET responses_untracked = TRUE
         WHERE connection_id IS NOT NULL
           AND COALESCE(calendar_owner, '') = ''
           AND responses_untracked IS NOT TRUE
        """
    )
