"""Change notifications end to end: Odoo's webhook, the Graph emulator's subscriptions and
deliveries over real HTTP, and the crons that act on them."""

import json
import logging
from datetime import timedelta
from urllib.parse import quote

from odoo import fields
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged

from odoo.addons.outlook_calendar_sync.models.outlook_subscription import (
    WEBHOOK_BASE_PARAM,
    WEBHOOK_PATH,
)

from .common import ALICE, BOB, SyncCase, outlook_event


@tagged("post_install", "-at_install")
class WebhookCase(SyncCase):
    """Alice connected, Odoo reachable by the emulator through the webhook URL override."""

    def setUp(self):
        self.env["ir.config_parameter"].sudo().set_param(WEBHOOK_BASE_PARAM, self.base_url())
        super().setUp()
        self.sync()
        self.subscriptions = self.env["outlook.subscription"]
        self.sync_cron = self.env.ref("outlook_calendar_sync.ir_cron_outlook_sync")
        self.maintenance_cron = self.env.ref("outlook_calendar_sync.ir_cron_outlook_subscriptions")

    def maintain(self):
        """Run the maintenance cron as its runner would: until nothing is left."""
        for _call in range(10):
            self.subscriptions._cron_maintain()
            todo = self.subscriptions._needing_work(self.subscriptions._notification_url()[0])
            if not todo:
                return
        self.fail("the maintenance cron never finished")

    def subscribe(self):
        self.maintain()
        sub = self.subscriptions.search([("account_id", "=", self.account.id)])
        self.assertEqual(sub.state, "active", sub.last_error)
        return sub

    def client_state(self, sub):
        return sub._client_states()[sub.id]

    def emulator_subscription(self):
        (found,) = self.emulator.subscriptions()
        return found

    def deliveries(self, kind):
        return [d for d in self.emulator.notifications() if d["kind"] == kind]

    def notices(self):
        return self.env["outlook.subscription.notice"].search_count(
            [("account_id", "=", self.account.id)]
        )

    def triggers(self, cron):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def post_notifications(self, items):
        return self.url_open(
            WEBHOOK_PATH,
            data=json.dumps({"value": items}),
            headers={"Content-Type": "application/json"},
        )

    def run_sync_cron(self):
        """Call the sync cron until it reports nothing left; returns the sync logs it made."""
        logs_before = self.env["outlook.sync.log"].search([])
        for _call in range(10):
            self.env["outlook.account"]._cron_sync()
            if not self.env["outlook.account"]._due_accounts():
                break
        return self.env["outlook.sync.log"].search([]) - logs_before

    def park_polling(self):
        """Put the account's next poll an hour away: whatever syncs it now is a notification."""
        self.account.next_sync_at = fields.Datetime.now() + timedelta(hours=1)
        self.assertFalse(self.env["outlook.account"]._due_accounts())


class TestSubscriptionLifecycle(WebhookCase):
    def test_connect_asks_for_a_subscription_validated_by_odoo(self):
        """Signing in wakes the maintenance cron; it subscribes to the account's calendar, and
        Graph's validation call to Odoo is echoed."""
        self.assertTrue(self.triggers(self.maintenance_cron), "connect wakes the maintenance cron")

        sub = self.subscribe()

        remote = self.emulator_subscription()
        self.assertEqual(remote["id"], sub.graph_subscription_id)
        self.assertEqual(remote["notificationUrl"], self.base_url() + WEBHOOK_PATH)
        self.assertEqual(remote["lifecycleNotificationUrl"], self.base_url() + WEBHOOK_PATH)
        self.assertEqual(remote["resource"], f"/me/calendars/{self.account.calendar_id}/events")
        self.assertEqual(remote["clientState"], self.client_state(sub))
        self.assertGreaterEqual(len(self.client_state(sub)), 32)
        self.assertEqual([d["status"] for d in self.deliveries("validation")], [200])
        self.assertGreater(sub.expires_at, fields.Datetime.now() + timedelta(days=6))

    def test_signing_in_again_makes_a_new_subscription(self):
        """A reconnection may bring another mailbox or new tokens: the subscription is made
        again, the former one deleted, never two."""
        first = self.subscribe()
        old_id = first.graph_subscription_id

        self.connect("alice", ALICE)
        self.env.invalidate_all()
        self.assertEqual(first.state, "pending")
        self.maintain()

        remote = self.emulator_subscription()
        self.assertNotEqual(remote["id"], old_id)
        self.assertEqual(remote["id"], first.graph_subscription_id)

    def test_account_waiting_for_its_first_sync_choice_is_watched_not_synced(self):
        """Subscribed at connect, so that it is ready once the user chose in the preview; its
        notifications meanwhile make no sync."""
        self.connect("bob", BOB, choose_default=False)
        bob = self.account_of(self.user_bob)
        self.assertEqual(bob.state, "preview")

        self.maintain()
        self.emulator.create_event(BOB, outlook_event("Before the choice"))
        self.assertTrue(self.emulator.wait_for_notifications())

        self.assertEqual(sorted(s["mailbox"] for s in self.emulator.subscriptions()), [ALICE, BOB])
        self.assertEqual([d["status"] for d in self.deliveries("change")], [202])
        self.assertFalse(
            self.env["outlook.subscription.notice"].search([("account_id", "=", bob.id)])
        )
        self.assertNotIn(bob, self.env["outlook.account"]._due_accounts())

    def test_client_state_is_reachable_by_no_field(self):
        self.subscribe()
        self.assertNotIn("client_state", self.subscriptions._fields)
        self.assertFalse(
            self.env["ir.model.fields"].search_count(
                [("model", "=", "outlook.subscription"), ("name", "ilike", "client")]
            )
        )

    def test_renewal_before_expiry_keeps_the_subscription(self):
        sub = self.subscribe()
        soon = fields.Datetime.now() + timedelta(days=1)
        sub.write({"expires_at": soon, "next_check_at": fields.Datetime.now()})
        patches = self.emulator.counters()["by_path"].get("PATCH /subscriptions/{id}", 0)

        self.maintain()

        self.assertEqual(
            self.emulator.counters()["by_path"]["PATCH /subscriptions/{id}"], patches + 1
        )
        remote = self.emulator_subscription()
        self.assertEqual(remote["id"], sub.graph_subscription_id, "renewed, not recreated")
        self.assertGreater(sub.expires_at, soon + timedelta(days=4))
        self.assertEqual(remote["expirationDateTime"][:16], sub.expires_at.isoformat()[:16])
        self.assertGreater(sub.next_check_at, fields.Datetime.now() + timedelta(days=2))

    def test_a_tenant_refusing_the_documented_lifetime_gets_the_older_one_and_keeps_it(self):
        """A mailbox whose Graph still holds the 4,230 minutes of Microsoft's older docs answers
        400 to the 10,080 of the current ones: the subscription is asked for once more with
        4,230, this is logged, and its renewals ask for 4,230 straight away."""
        self.emulator.set_subscription_max_lifetime(4_230)
        posts = self.emulator.counters()["by_path"].get("POST /subscriptions", 0)

        with self.assertLogs(
            "odoo.addons.outlook_calendar_sync.models.outlook_subscription", logging.INFO
        ) as logged:
            sub = self.subscribe()

        self.assertEqual(self.emulator.counters()["by_path"]["POST /subscriptions"], posts + 2)
        self.assertIn("asking for 4230 minutes", "\n".join(logged.output))
        self.assertTrue(sub.older_lifetime)
        now = fields.Datetime.now()
        self.assertGreater(sub.expires_at, now + timedelta(days=2))
        self.assertLess(sub.expires_at, now + timedelta(minutes=4_230))
        self.assertEqual(self.emulator_subscription()["id"], sub.graph_subscription_id)

        sub.write({"expires_at": now + timedelta(days=1), "next_check_at": now})
        status_400 = self.emulator.counters()["by_status"].get("400", 0)
        self.maintain()

        self.assertEqual(sub.state, "active", sub.last_error)
        self.assertEqual(self.emulator.counters()["by_status"].get("400", 0), status_400)
        self.assertEqual(self.emulator.counters()["by_path"]["PATCH /subscriptions/{id}"], 1)
        self.assertGreater(sub.expires_at, now + timedelta(days=2))
        self.assertEqual(self.emulator_subscription()["id"], sub.graph_subscription_id)

    def test_renewal_is_not_sent_early(self):
        self.subscribe()
        writes = self.emulator.counters()["writes"]

        self.maintain()

        self.assertEqual(self.emulator.counters()["writes"], writes)

    def test_a_validation_failure_is_recorded_and_polling_goes_on(self):
        self.env["ir.config_parameter"].sudo().set_param(
            WEBHOOK_BASE_PARAM, self.base_url() + "/no-such-page"
        )

        self.subscriptions._cron_maintain()

        sub = self.subscriptions.search([("account_id", "=", self.account.id)])
        self.assertEqual(sub.state, "error")
        self.assertIn("ValidationError", sub.last_error)
        self.assertGreater(sub.next_check_at, fields.Datetime.now() + timedelta(minutes=50))
        self.assertEqual(self.emulator.subscriptions(), [])
        self.assertFalse(self.subscriptions._needing_work(sub.notification_url), "not retried now")
        self.account.next_sync_at = False
        self.assertTrue(self.run_sync_cron(), "polling still syncs")

    def test_disconnect_removes_the_subscription(self):
        self.subscribe()

        self.account.with_user(self.user_alice).action_disconnect()

        self.assertEqual(self.emulator.subscriptions(), [])
        self.assertFalse(self.subscriptions.search([]))

    def test_unreachable_url_turns_webhooks_off(self):
        """Without a public https URL there is no subscription, and Settings says why."""
        self.subscribe()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(WEBHOOK_BASE_PARAM, False)
        params.set_param("web.base.url", "http://localhost:8069")

        self.maintain()

        self.assertEqual(self.emulator.subscriptions(), [])
        self.assertFalse(self.subscriptions.search([]))
        status = self.env["res.config.settings"].create({}).outlook_webhook_status
        self.assertIn("off", status)
        self.assertIn("http://localhost:8069", status)
        params.set_param("web.base.url", "https://odoo.example.com")
        status = self.env["res.config.settings"].create({}).outlook_webhook_status
        self.assertIn(f"on. Microsoft calls https://odoo.example.com{WEBHOOK_PATH}", status)


class TestDatabaseCopies(WebhookCase):
    """A copy's subscription rows are production's Graph subscriptions: never touched there."""

    def setUp(self):
        super().setUp()
        self.sub = self.subscribe()
        self.production = self.emulator_subscription()

    def test_copy_with_another_uuid_forgets_them_without_calling_graph(self):
        self.env["ir.config_parameter"].set_param("database.uuid", "another-database-uuid")
        self.env["ir.config_parameter"].set_param(WEBHOOK_BASE_PARAM, "https://copy.example.com")
        writes = self.emulator.counters()["writes"]

        self.maintain()

        self.assertFalse(self.subscriptions.search([]))
        self.assertEqual(self.emulator.subscriptions(), [self.production], "production's stays")
        self.assertEqual(self.emulator.counters()["writes"], writes)
        self.subscriptions._cron_maintain()
        self.assertFalse(self.subscriptions.search([]), "none made for the copy before reconnect")

    def test_disconnect_in_a_copy_leaves_production_subscription(self):
        self.env["ir.config_parameter"].set_param("database.uuid", "another-database-uuid")

        self.account.action_disconnect()

        self.assertFalse(self.subscriptions.search([]))
        self.assertEqual(self.emulator.subscriptions(), [self.production])

    def test_neutralize_forgets_subscriptions_and_the_webhook_url(self):
        (query,) = get_neutralization_queries(["outlook_calendar_sync"])
        self.env.flush_all()

        self.env.cr.execute(query)
        self.env.invalidate_all()

        self.assertFalse(self.subscriptions.search([]))
        self.env.cr.execute(
            "SELECT 1 FROM ir_config_parameter WHERE key = %s", [WEBHOOK_BASE_PARAM]
        )
        self.assertFalse(self.env.cr.fetchall())
        self.assertEqual(self.emulator.subscriptions(), [self.production])


class TestNotifications(WebhookCase):
    def setUp(self):
        super().setUp()
        self.sub = self.subscribe()
        self.park_polling()

    def test_validation_handshake_echoes_the_token_as_text(self):
        token = "Validation: Testing <b>reachability</b> & Request-Id: 42"

        reply = self.opener.post(
            f"{self.base_url()}{WEBHOOK_PATH}?validationToken={quote(token)}",
            data=b"",
            headers={"Content-Type": "text/plain"},
            timeout=10,
        )

        self.assertEqual(reply.status_code, 200)
        self.assertEqual(reply.text, token)
        self.assertTrue(reply.headers["Content-Type"].startswith("text/plain"))
        self.assertEqual(reply.headers["X-Content-Type-Options"], "nosniff")

    def test_outlook_change_reaches_odoo_through_a_notification(self):
        lanes = self.env["outlook.account"]._sync_crons()
        self.assertEqual(len(lanes), 2)
        triggers = [self.triggers(lane) for lane in lanes]
        self.emulator.create_event(ALICE, outlook_event("Announced"))
        self.assertTrue(self.emulator.wait_for_notifications())

        self.assertEqual([d["status"] for d in self.deliveries("change")], [202])
        self.assertEqual(
            [self.triggers(lane) for lane in lanes],
            [count + 1 for count in triggers],
            "every lane of the sync cron is woken",
        )
        self.assertEqual(self.env["outlook.account"]._due_accounts(), self.account)
        logs = self.run_sync_cron()

        self.assertEqual(len(logs), 1)
        self.assertEqual(len(self.odoo_events("Announced")), 1)
        self.assertFalse(self.env["outlook.account"]._due_accounts(), "the doorbell is answered")
        self.assertEqual(self.notices(), 0)

    def test_forged_client_state_is_ignored_and_logged_without_secrets(self):
        forged = "forged-" + "x" * 30
        triggers = self.triggers(self.sync_cron)
        with self.assertLogs(
            "odoo.addons.outlook_calendar_sync.models.outlook_subscription", "WARNING"
        ) as logs:
            reply = self.post_notifications(
                [
                    {
                        "subscriptionId": self.sub.graph_subscription_id,
                        "changeType": "created",
                        "clientState": forged,
                        "resource": "Users/x/Events/y",
                    }
                ]
            )

        self.assertEqual(reply.status_code, 202)
        self.assertEqual(reply.content, b"")
        self.assertEqual(self.notices(), 0)
        self.assertFalse(self.env["outlook.account"]._due_accounts())
        self.assertEqual(self.triggers(self.sync_cron), triggers)
        output = "\n".join(logs.output)
        self.assertIn(self.sub.graph_subscription_id, output)
        self.assertNotIn(forged, output)
        self.assertNotIn(self.client_state(self.sub), output)

    def test_unknown_subscription_and_junk_are_acknowledged_and_ignored(self):
        triggers = self.triggers(self.sync_cron)
        for body in (
            json.dumps({"value": [{"subscriptionId": "nope", "changeType": "created"}]}),
            "not json",
            json.dumps({"value": "x"}),
        ):
            reply = self.url_open(WEBHOOK_PATH, data=body)
            self.assertEqual(reply.status_code, 202)
        self.assertEqual(self.notices(), 0)
        self.assertEqual(self.triggers(self.sync_cron), triggers)

    def test_burst_of_notifications_coalesces_into_few_syncs(self):
        """100 Outlook changes, 100 notifications: the first half arrives before a sync, the
        second half while it would be running; two syncs import all of them."""
        for number in range(50):
            self.emulator.create_event(ALICE, outlook_event(f"Burst {number}"))
        self.assertTrue(self.emulator.wait_for_notifications(timeout=60))
        first = self.run_sync_cron()
        for number in range(50, 100):
            self.emulator.create_event(ALICE, outlook_event(f"Burst {number}"))
        self.assertTrue(self.emulator.wait_for_notifications(timeout=60))
        second = self.run_sync_cron()

        changes = self.deliveries("change")
        self.assertEqual(len(changes), 100)
        self.assertEqual({d["status"] for d in changes}, {202})
        self.assertEqual((len(first), len(second)), (1, 1))
        imported = self.env["calendar.event"].search_count([("name", "=like", "Burst %")])
        self.assertEqual(imported, 100)

    def test_failing_account_keeps_its_retry_schedule(self):
        """Microsoft's Retry-After is obeyed even when a notification comes in."""
        self.account.last_error = "Microsoft asked us to slow down"
        self.emulator.create_event(ALICE, outlook_event("While throttled"))
        self.assertTrue(self.emulator.wait_for_notifications())

        self.assertEqual(self.notices(), 1, "recorded for later")
        self.assertFalse(self.env["outlook.account"]._due_accounts())


class TestLifecycleNotifications(WebhookCase):
    def setUp(self):
        super().setUp()
        self.sub = self.subscribe()
        self.park_polling()

    def lifecycle(self, event):
        self.emulator.send_lifecycle(self.sub.graph_subscription_id, event)
        self.assertTrue(self.emulator.wait_for_notifications())
        self.assertEqual([d["status"] for d in self.deliveries("lifecycle")], [202])
        self.env.invalidate_all()  # written by Odoo's request, not through this environment

    def test_reauthorization_required_renews(self):
        graph_id = self.sub.graph_subscription_id
        triggers = self.triggers(self.maintenance_cron)

        self.lifecycle("reauthorizationRequired")

        self.assertEqual(self.sub.state, "renew")
        self.assertEqual(self.triggers(self.maintenance_cron), triggers + 1)
        self.maintain()
        self.assertEqual(self.sub.state, "active")
        self.assertEqual(self.sub.graph_subscription_id, graph_id)
        self.assertEqual(self.emulator.counters()["by_path"]["PATCH /subscriptions/{id}"], 1)

    def test_subscription_removed_recreates_and_syncs(self):
        old_id, old_secret = self.sub.graph_subscription_id, self.client_state(self.sub)
        self.emulator.create_event(ALICE, outlook_event("Unannounced"))
        self.assertTrue(self.emulator.wait_for_notifications())
        self.env["outlook.subscription.notice"].search([]).unlink()  # as if it was lost

        self.lifecycle("subscriptionRemoved")

        self.assertEqual(self.sub.state, "pending")
        self.assertEqual(self.env["outlook.account"]._due_accounts(), self.account)
        self.maintain()
        remote = self.emulator_subscription()
        self.assertNotEqual(remote["id"], old_id)
        self.assertEqual(remote["id"], self.sub.graph_subscription_id)
        self.assertNotEqual(self.client_state(self.sub), old_secret, "a new secret")
        self.run_sync_cron()
        self.assertEqual(len(self.odoo_events("Unannounced")), 1)

    def test_missed_notifications_bring_a_delta_sync(self):
        self.emulator.create_event(ALICE, outlook_event("Missed"))
        self.assertTrue(self.emulator.wait_for_notifications())
        self.env["outlook.subscription.notice"].search([]).unlink()  # as if it was lost

        self.lifecycle("missed")

        self.assertEqual(self.env["outlook.account"]._due_accounts(), self.account)
        self.run_sync_cron()
        self.assertEqual(len(self.odoo_events("Missed")), 1)

    def test_forged_lifecycle_notification_changes_nothing(self):
        triggers = self.triggers(self.maintenance_cron)
        reply = self.post_notifications(
            [
                {
                    "subscriptionId": self.sub.graph_subscription_id,
                    "lifecycleEvent": "subscriptionRemoved",
                    "clientState": "guess",
                }
            ]
        )

        self.assertEqual(reply.status_code, 202)
        self.assertEqual(self.sub.state, "active")
        self.assertEqual(self.notices(), 0)
        self.assertEqual(self.triggers(self.maintenance_cron), triggers)
