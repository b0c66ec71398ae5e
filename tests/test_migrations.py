"""The migrations: each moves the stored values its version needs, once, whatever it finds."""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, new_test_user

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def migration(version, script):
    """The module of ``migrations/<version>/<script>.py``, as Odoo loads it for an update."""
    path = MIGRATIONS / version / f"{script}.py"
    spec = importlib.util.spec_from_file_location(f"outlook_calendar_sync_{script}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestMigrations(TransactionCase):
    def test_own_secondary_calendars_keep_odoo_answers_after_18_0_1_1_0(self):
        """Alice synced her default calendar, her own Projects calendar and Bob's shared one
        before 18.0.1.1.0: the update marks Projects alone as not tracking answers (Outlook
        tracks them for the default calendar only; a shared one is its owner's); run again,
        it changes nothing."""
        alice = new_test_user(self.env, "migrated_alice")
        Account = self.env["outlook.account"]
        common = {"user_id": alice.id, "state": "active", "mailbox_address": "alice@example.com"}
        default = Account.create({**common, "calendar_id": "default"})
        own = Account.create(
            {
                **common,
                "calendar_id": "projects",
                "connection_id": default.id,
                "receives_new_events": False,
            }
        )
        shared = Account.create(
            {
                **common,
                "calendar_id": "bobs",
                "connection_id": default.id,
                "calendar_owner": "bob@example.com",
                "receives_new_events": False,
            }
        )
        (default | own | shared).write({"responses_untracked": False})
        post_migrate = migration("18.0.1.1.0", "post-migrate")

        post_migrate.migrate(self.env.cr, "18.0.1.0.0")
        self.assertEqual(self.env.cr.rowcount, 1)
        post_migrate.migrate(self.env.cr, "18.0.1.0.0")
        self.assertEqual(self.env.cr.rowcount, 0, "a second run changes nothing")

        self.env.invalidate_all()
        self.assertEqual(
            (default | own | shared).mapped("responses_untracked"), [False, True, False]
        )
