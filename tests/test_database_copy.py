"""A copy of the database (staging, restored backup) never syncs as if it were production."""

from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged

from .common import ALICE, PairingCase, outlook_event


@tagged("post_install", "-at_install")
class TestDatabaseCopy(PairingCase):
    def setUp(self):
        super().setUp()
        self.emulator.create_event(ALICE, outlook_event("Planning"))
        self.sync()
        self.assertTrue(self.account.delta_link)

    def test_neutralize_pauses_accounts_and_forgets_tokens(self):
        """``odoo-bin neutralize`` runs every installed module's data/neutralize.sql: ours,
        run here on this database, leaves no account able to reach Outlook."""
        bob = self.account_of(self.user_bob) or self.env["outlook.account"].create(
            {"user_id": self.user_bob.id}
        )
        queries = list(get_neutralization_queries(["outlook_calendar_sync"]))
        self.assertEqual(len(queries), 1)

        self.env.flush_all()
        self.env.cr.execute(queries[0])
        self.env.invalidate_all()

        self.assertEqual(self.account.state, "paused")
        self.assertEqual(bob.state, "not_connected")
        self.assertEqual(self.token_columns(self.account), (None, None))
        self.assertFalse(self.account.delta_link)
        self.assertFalse(self.account.next_sync_at)
        self.assertFalse(self.env["outlook.account"]._due_accounts(), "the cron syncs nobody")

        requests = self.emulator.counters()["total"]
        self.account.action_resume()
        self.account._sync()

        self.assertEqual(self.account.state, "needs_reauth", "without tokens: reconnect")
        self.assertEqual(self.emulator.counters()["total"], requests, "nothing reached Graph")

    def test_copy_with_another_uuid_writes_nothing_and_asks_to_reconnect(self):
        """A copy made without neutralizing, whose uuid Odoo renewed (the database manager's
        duplicate, a backup restored as a copy): its sync writes nothing to Outlook, forgets
        production's tokens and asks the user to reconnect; after a reconnection here it syncs."""
        event = self.odoo_event("Made in the copy")
        self.env["ir.config_parameter"].set_param("database.uuid", "another-database-uuid")
        requests = self.emulator.counters()["total"]

        log = self.account._sync()

        self.assertEqual(self.emulator.counters()["total"], requests, "nothing reached Graph")
        self.assertEqual(log.state, "failed")
        self.assertEqual(self.account.state, "needs_reauth")
        self.assertIn("copy", self.account.last_error)
        self.assertEqual(self.token_columns(self.account), (None, None))
        self.assertFalse(self.outlook_events("Made in the copy"))

        self.connect("alice", ALICE)
        self.assertEqual(self.account.database_uuid, "another-database-uuid")
        self.sync()

        self.assertEqual(len(self.outlook_events("Made in the copy")), 1)
        self.assertEqual(
            self.linked_graph_id(event), self.outlook_events("Made in the copy")[0]["id"]
        )
        self.assertEqual(len(self.odoo_events("Planning")), 1, "nothing imported twice")

    def test_the_database_it_was_connected_in_syncs(self):
        self.assertEqual(
            self.account.database_uuid,
            self.env["ir.config_parameter"].get_param("database.uuid"),
        )
        self.odoo_event("Made here")

        self.sync()

        self.assertEqual(len(self.outlook_events("Made here")), 1)
