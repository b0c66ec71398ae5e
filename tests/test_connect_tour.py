"""Browser tour: Alice connects Outlook from the Calendar's button, then disconnects."""

import json
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from .common import ALICE, OutlookHttpCase

AUTHORIZE = "/common/oauth2/v2.0/authorize"

# What the user does on the emulator's sign-in page, where no tour runs: choose the mailbox and
# press Accept. Chrome runs it in every page it loads, so it only acts on that page.
ACCEPT_SIGN_IN = """
if (location.origin === %(origin)s && location.pathname === %(path)s) {
    document.addEventListener("DOMContentLoaded", () => {
        document.querySelector(%(radio)s).click();
        document.querySelector("#accept").click();
    });
}
"""


@tagged("post_install", "-at_install")
class TestOutlookConnectTour(OutlookHttpCase):
    @contextmanager
    def accepting_sign_in_as(self, mailbox):
        """Tours started inside accept the emulator's sign-in page as ``mailbox``."""
        script = ACCEPT_SIGN_IN % {
            "origin": json.dumps(self.emulator.http_url),
            "path": json.dumps(AUTHORIZE),
            "radio": json.dumps(f'input[name="mailbox"][value="{mailbox}"]'),
        }
        navigate_to = ChromeBrowser.navigate_to

        def navigate_to_with_user(browser, url, wait_stop=False):
            browser._websocket_request(
                "Page.addScriptToEvaluateOnNewDocument", params={"source": script}
            )
            return navigate_to(browser, url, wait_stop=wait_stop)

        with patch.object(ChromeBrowser, "navigate_to", navigate_to_with_user):
            yield

    def test_connect_and_disconnect_from_the_calendar(self):
        """Outlook sync → the sign-in page → back in Calendar, connected; then Disconnect."""
        with self.accepting_sign_in_as(ALICE):
            self.start_tour("/odoo/calendar", "outlook_calendar_sync_connect_tour", login="alice")

        signed_in = self.emulator.counters()["identity_by_path"]
        self.assertEqual(signed_in.get(f"GET {AUTHORIZE}"), 1, "the browser opened the page")
        self.assertEqual(signed_in.get(f"POST {AUTHORIZE}"), 1, "the browser pressed Accept")
        account = self.account_of(self.user_alice)
        self.assertEqual(account.state, "active")
        self.assertEqual(account.mailbox_address, ALICE)
        self.assertTrue(self.token_columns(account)[0])

        self.start_tour("/odoo/calendar", "outlook_calendar_sync_disconnect_tour", login="alice")

        account.invalidate_recordset()
        self.assertEqual(account.state, "not_connected")
        self.assertEqual(self.token_columns(account), (None, None))
