"""`make screenshots`: the README's pictures, taken by headless Chromium on the demo.

Uses the demo that `make demo` runs (.dev/demo/running.json) as it is, or starts a fresh one
(`demo.py --reset`, so the pictures show a first visit) and stops it at the end. Drives Debian's
/usr/bin/chromium through Playwright (never `playwright install`: the browser is the system's)
as Alice: Calendar with the Outlook sync button, the emulator's sign-in page, the first-sync
preview, Calendar connected (after the first sync), the button's menu, her account's settings,
the calendar picker (her "Projects" calendar and Bob's, shared with her), the button paused,
failing and asking to reconnect (through the emulator's faults, with the notice the user gets),
and the emulator's overview; then, as admin, the accounts overview (Bob connected too), the
"Outlook Calendar" block of General Settings in English, French and German (each language
installed as Settings → Languages installs it, the addon's i18n/*.po with it, and made the
admin's; the admin ends in English, the languages as active as they were) and the
addon in Apps: its card among the "Outlook" modules and its whole description page, after the
pictures that page shows were copied into static/description/ (Odoo serves a description's
pictures from there only). Alice's Outlook connection is reset first (links forgotten,
disconnected), so the first picture shows the button unconnected and the preview a first
sync; a few Odoo events of hers give it something to send.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from demo import DB, DEMO_DIR, ODOO_LOG, running_demo
from demo_scenario import USERS, Scenario, odoo_utc, say, this_monday
from harness import PYTHON, ROOT
from PIL import Image
from playwright.sync_api import Page, sync_playwright
from rpc import EmulatorControl, OdooSession, RpcError

OUT = ROOT / "docs" / "screenshots"
DESCRIPTION = ROOT / "static" / "description"
# The pictures static/description/index.html shows, copied from OUT.
DESCRIPTION_PICTURES = (
    "outlook-menu.png",
    "first-sync-preview.png",
    "calendar-picker.png",
    "account-settings.png",
    "settings-fr.png",
    "settings-de.png",
)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
# Alice's time zone: Odoo's Calendar shows times in the browser's.
TIMEZONE = "Europe/Brussels"
DEMO_START_TIMEOUT = 300
SETTLE_MS = 1500
ALICE = "alice@example.com"
BOB = "bob@example.com"
# The addon's block of General Settings, and the languages it is shown in, with their pictures.
SETTING = "#outlook_calendar_sync_setting"
SETTINGS_PICTURES = (
    ("en_US", "settings.png"),
    ("fr_FR", "settings-fr.png"),
    ("de_DE", "settings-de.png"),
)
# Room around a block cropped out of a page.
CROP_MARGIN = 16
# Installing a language loads the terms of every installed module.
LANGUAGE_INSTALL_TIMEOUT = 600


@contextmanager
def demo() -> Iterator[dict[str, str]]:
    """The running demo, or one started for the pictures and stopped afterwards."""
    if running := running_demo():
        say(f"using the running demo (pid {running['pid']})")
        yield running
        return
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    log = DEMO_DIR / "screenshots-demo.log"
    say(f"no demo running: starting a fresh one (log: {log.relative_to(ROOT)})")
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [str(PYTHON), str(ROOT / "dev" / "demo.py"), "--reset"],
            cwd=ROOT,
            stdout=stream,
            stderr=stream,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield wait_for_demo(process)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def wait_for_demo(process: subprocess.Popen[bytes]) -> dict[str, str]:
    started = time.monotonic()
    while time.monotonic() - started < DEMO_START_TIMEOUT:
        running = running_demo()
        if running and running["pid"] == process.pid:
            return running
        if process.poll() is not None:
            raise SystemExit("the demo did not start: see .dev/demo/screenshots-demo.log")
        time.sleep(1)
    raise SystemExit(f"the demo was not ready within {DEMO_START_TIMEOUT} s")


def disconnect_alice(odoo_url: str) -> None:
    """Back to 'not connected', ready for a first sync, with Odoo events for the preview."""
    alice = OdooSession(odoo_url, DB, "alice", "alice")
    status = alice.call("outlook.account", "get_sync_status")
    if status["account_id"] and status["state"] != "not_connected":
        say("resetting Alice's Outlook account for the 'not connected' and preview pictures")
        if status["state"] != "preview":
            alice.call("outlook.account", "action_forget_links", [status["account_id"]])
        alice.call("outlook.account", "action_disconnect", [status["account_id"]])
    seed_alice_events(alice, OdooSession(odoo_url, DB, "admin", "admin"))


# Alice's own Odoo events (name, days after this Monday, hour UTC, guests): next week's meeting
# with guests and a focus block go to Outlook, last week's review stays in Odoo.
ALICE_EVENTS = (
    ("Budget review", 8, 13, ("carol@example.org", "dave@example.org")),
    ("Focus: quarterly report", 10, 8, ()),
    ("Kick-off retrospective", -5, 14, ("carol@example.org",)),
)


def seed_alice_events(alice: OdooSession, admin: OdooSession) -> None:
    for name, days, hour, guests in ALICE_EVENTS:
        if alice.call("calendar.event", "search_count", [("name", "=", name)]):
            continue
        start = this_monday() + timedelta(days=days, hours=hour)
        partners = [partner_of(admin, email) for email in guests]
        me = alice.call("res.users", "read", [alice.uid], ["partner_id"])[0]["partner_id"][0]
        alice.call(
            "calendar.event",
            "create",
            {
                "name": name,
                "start": odoo_utc(start),
                "stop": odoo_utc(start + timedelta(hours=1)),
                "partner_ids": [(6, 0, [me, *partners])],
            },
        )


def shoot(page: Page, name: str, full_page: bool = False) -> None:
    """After the page loaded and settled: Odoo's bus never lets the network go idle."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(SETTLE_MS)
    path = OUT / name
    page.screenshot(path=str(path), full_page=full_page)
    say(f"wrote {path.relative_to(ROOT)}")


def partner_of(session: OdooSession, email: str) -> int:
    found = session.call("res.partner", "search", [("email", "=", email)], limit=1)
    return (
        found[0]
        if found
        else session.call("res.partner", "create", {"name": email, "email": email})
    )


def log_in(page: Page, odoo_url: str, login: str = "alice") -> None:
    page.goto(f"{odoo_url}/web/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", login)
    page.click("button[type=submit]")
    page.wait_for_url("**/odoo**")


def take_pictures(page: Page, odoo_url: str, emulator_url: str) -> None:
    log_in(page, odoo_url)
    page.goto(f"{odoo_url}/odoo/calendar")
    page.wait_for_selector(".o_outlook_sync_connect")
    shoot(page, "calendar-outlook-button.png")

    page.click(".o_outlook_sync_connect")
    page.wait_for_selector("#signin")
    page.check("input[name=mailbox][value='alice@example.com']")
    shoot(page, "emulator-sign-in.png")

    page.click("#accept")
    page.wait_for_selector(".modal .o_outlook_first_sync")
    shoot(page, "first-sync-preview.png")
    page.click(".modal div[name='push_attendees'] input")
    page.wait_for_selector(".modal .o_outlook_preview_invited .text-danger, .modal .alert-danger")
    shoot(page, "first-sync-preview-attendees.png")
    page.click(".modal div[name='push_attendees'] input")
    page.click(".modal .o_outlook_preview_start")
    page.wait_for_selector(".o_outlook_sync[data-state='active']", timeout=120_000)
    page.reload()
    page.wait_for_selector(".o_outlook_sync_menu")
    if "Synced" not in page.inner_text(".o_outlook_sync_menu"):
        say("WARNING: the first sync did not complete (see .dev/demo/odoo.log)")
    shoot(page, "calendar-connected.png")

    page.click(".o_outlook_sync_menu")
    page.wait_for_selector(".o_outlook_sync_disconnect")
    shoot(page, "outlook-menu.png")
    page.click(".o_outlook_sync_settings")
    page.wait_for_selector(".o_form_view div[name='private_events']")
    shoot(page, "account-settings.png")
    page.goto(f"{odoo_url}/odoo/calendar")
    page.wait_for_selector(".o_outlook_sync_menu")
    take_calendar_picker(page)
    take_button_states(page, EmulatorControl(emulator_url))

    page.goto(f"{emulator_url}/")
    shoot(page, "emulator-overview.png", full_page=True)


def give_alice_calendars(control: EmulatorControl) -> None:
    """A calendar of her own besides the default one, and Bob's calendar shared with her."""
    control.request("POST", f"/mailboxes/{ALICE}/calendars", {"name": "Projects"})
    control.request("POST", f"/mailboxes/{BOB}/shares", {"recipient": ALICE, "can_edit": True})


def take_calendar_picker(page: Page) -> None:
    """Calendars… with Projects ticked, then left unsaved (the demo keeps one calendar)."""
    page.click(".o_outlook_sync_menu")
    page.click(".o_outlook_sync_calendars")
    page.wait_for_selector(".modal .o_outlook_calendar_picker .o_data_row")
    page.click(".modal .o_data_row:has-text('Projects') .o_boolean_toggle input")
    shoot(page, "calendar-picker.png")
    page.click(".modal .modal-footer button:has-text('Cancel')")
    page.wait_for_selector(".o_outlook_sync_menu")


def connect_bob(odoo_url: str, emulator_url: str) -> None:
    """Bob connected and synced, so that the overview lists more than Alice."""
    bob = next(user for user in USERS if user.login == "bob")
    status = OdooSession(odoo_url, DB, "bob", "bob").call("outlook.account", "get_sync_status")
    if status["state"] in ("not_connected", "preview"):
        scenario = Scenario(odoo_url, DB, EmulatorControl(emulator_url), ODOO_LOG)
        if status["state"] == "not_connected":
            scenario.connect(bob)
        else:
            scenario.accounts["bob"] = status["account_id"]
            scenario.waiting_for_choice.add("bob")
        scenario.sync(bob, "first sync")


def take_overview(page: Page, odoo_url: str) -> None:
    """The accounts overview a Settings administrator gets, with its mass actions."""
    page.goto(f"{odoo_url}/web/session/logout")
    log_in(page, odoo_url, "admin")
    page.goto(f"{odoo_url}/odoo/action-outlook_calendar_sync.outlook_account_action")
    page.wait_for_selector(".o_outlook_account_list .o_data_row")
    page.click(".o_outlook_account_list thead .o_list_record_selector input")
    page.wait_for_selector(".o_control_panel button[name='action_pause']")
    shoot(page, "accounts-overview.png")


def take_settings(page: Page, odoo_url: str) -> None:
    """As admin (logged in on ``page``): the Outlook block of General Settings in each of
    SETTINGS_PICTURES' languages, cropped to the block."""
    admin = OdooSession(odoo_url, DB, "admin", "admin")
    activated = []
    try:
        for code, name in SETTINGS_PICTURES:
            if install_language(admin, code):
                activated.append(code)
            admin.call("res.users", "write", [admin.uid], {"lang": code})
            page.goto(f"{odoo_url}/odoo/settings")
            page.wait_for_selector(f"{SETTING} div[name='outlook_graph_endpoint'] input")
            shoot_block(page, SETTING, name)
    finally:
        admin.call("res.users", "write", [admin.uid], {"lang": "en_US"})
        if activated:
            langs = admin.call("res.lang", "search", [("code", "in", activated)])
            admin.call("res.lang", "write", langs, {"active": False})
            say(f"deactivated again: {', '.join(activated)}")


def install_language(admin: OdooSession, code: str) -> bool:
    """``code`` active with the terms of every installed module, this addon's i18n/*.po as the
    checkout has them (overwriting what an earlier run loaded); whether it was inactive.
    English, Odoo's source language, is always active."""
    if code == "en_US":
        return False
    [lang] = admin.call(
        "res.lang", "search_read", [("code", "=", code)], ["active"], context={"active_test": False}
    )
    say(f"installing {code}")
    wizard = admin.call(
        "base.language.install", "create", {"lang_ids": [(6, 0, [lang["id"]])], "overwrite": True}
    )
    admin.call("base.language.install", "lang_install", [wizard], timeout=LANGUAGE_INSTALL_TIMEOUT)
    return not lang["active"]


def shoot_block(page: Page, selector: str, name: str) -> None:
    """The block ``selector`` with a margin around it, scrolled to the top of the page's
    content, the viewport made tall enough for all of it."""
    page.wait_for_load_state("load")
    block = page.locator(selector)
    to_top = "(block) => block.scrollIntoView({block: 'start'})"
    block.evaluate(to_top)
    box = block.bounding_box()
    height = int(box["y"] + box["height"]) + CROP_MARGIN
    if height > VIEWPORT["height"]:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        block.evaluate(to_top)
    page.wait_for_timeout(SETTLE_MS)
    box = block.bounding_box()
    path = OUT / name
    page.screenshot(
        path=str(path),
        clip={
            "x": box["x"] - CROP_MARGIN,
            "y": box["y"] - CROP_MARGIN,
            "width": box["width"] + 2 * CROP_MARGIN,
            "height": box["height"] + 2 * CROP_MARGIN,
        },
    )
    page.set_viewport_size(VIEWPORT)
    say(f"wrote {path.relative_to(ROOT)}")


def copy_description_pictures() -> None:
    for name in DESCRIPTION_PICTURES:
        shutil.copyfile(OUT / name, DESCRIPTION / name)
    say(f"copied {len(DESCRIPTION_PICTURES)} pictures into {DESCRIPTION.relative_to(ROOT)}")


def take_apps(page: Page, odoo_url: str) -> None:
    """As admin: the "Outlook" modules in Apps (the filter "Apps" removed: the addon is not an
    application), then the addon's page with its whole description in one tall picture."""
    page.goto(f"{odoo_url}/odoo/apps")
    page.wait_for_selector(".o_searchview_facet")
    page.click(".o_searchview_facet .o_facet_remove")
    page.fill(".o_searchview_input", "Outlook")
    page.keyboard.press("Enter")
    card = ".o_kanban_record:has-text('Outlook Calendar Sync')"
    page.wait_for_selector(card)
    shoot(page, "apps-list.png")

    page.click(f"{card} .o_dropdown_kanban .dropdown-toggle")
    page.click(".dropdown-menu .dropdown-item:has-text('Module Info')")
    page.wait_for_selector(".o_module_form .oe_styling_v8 section img")
    page.wait_for_function(
        "[...document.querySelectorAll('.o_module_form .oe_styling_v8 img')]"
        ".every((img) => img.complete && img.naturalHeight)"
    )
    height = page.evaluate("document.querySelector('.o_content').scrollHeight")
    top = page.evaluate("document.querySelector('.o_content').getBoundingClientRect().top")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": int(top + height)})
    shoot(page, "apps-module.png")
    page.set_viewport_size(VIEWPORT)
    shrink(OUT / "apps-module.png")


def shrink(path: Path) -> None:
    """A tall picture in 256 colours: a third of the size, no visible change on a UI."""
    image = Image.open(path).convert("RGB")
    image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def from_the_menu(page: Page, item: str, state: str) -> None:
    """Open the Outlook menu (unless open), pick ``item``, wait for the button's ``state``."""
    if not page.is_visible(item):
        page.click(".o_outlook_sync_menu")
    page.click(item)
    page.wait_for_selector(f".o_outlook_sync[data-state='{state}']", timeout=120_000)


def take_button_states(page: Page, control: EmulatorControl) -> None:
    """The button paused, failing and asking to reconnect; Alice ends connected again."""
    from_the_menu(page, ".o_outlook_sync_pause", "paused")
    shoot(page, "button-paused.png")
    from_the_menu(page, ".o_outlook_sync_resume", "active")

    control.request(
        "POST", "/faults", {"kind": "status", "status": 500, "count": 50, "path_contains": "/v1.0/"}
    )
    from_the_menu(page, ".o_outlook_sync_now", "error")
    page.click(".o_notification .o_notification_close")  # the sticky "sync failed" notice
    page.click(".o_outlook_sync_menu")
    page.wait_for_selector(".o_outlook_sync_error")
    shoot(page, "button-error.png")
    control.request("DELETE", "/faults")
    from_the_menu(page, ".o_outlook_sync_now", "active")

    control.request("POST", "/refresh_tokens/revoke", {"mailbox": ALICE})
    control.request("POST", "/access_tokens/expire", {"mailbox": ALICE})
    from_the_menu(page, ".o_outlook_sync_now", "needs_reauth")
    shoot(page, "needs-reauth-notice.png")
    page.click(".o_notification .o_notification_close")  # the sticky "reconnect" notice
    shoot(page, "button-needs-reauth.png")
    page.click(".o_outlook_sync_reconnect")
    page.wait_for_selector("#signin")
    page.check(f"input[name=mailbox][value='{ALICE}']")
    page.click("#accept")
    page.wait_for_selector(".o_outlook_sync[data-state='active']")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--apps-only",
        action="store_true",
        help="only the two Apps pictures, with the pictures static/description/ already holds",
    )
    only.add_argument(
        "--settings-only",
        action="store_true",
        help="only the Settings block's pictures (English, French, German), copied into "
        "static/description/ with the others it shows",
    )
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with demo() as running, tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        if not (args.apps_only or args.settings_only):
            try:
                disconnect_alice(running["odoo"])
                give_alice_calendars(EmulatorControl(running["emulator"]))
                connect_bob(running["odoo"], running["emulator"])
            except RpcError as error:
                raise SystemExit(f"Odoo refused: {error}") from error
        browser = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
            timezone_id=TIMEZONE,
        )
        try:
            page = browser.new_page()
            if args.apps_only:
                log_in(page, running["odoo"], "admin")
                take_apps(page, running["odoo"])
            elif args.settings_only:
                log_in(page, running["odoo"], "admin")
                take_settings(page, running["odoo"])
                copy_description_pictures()
            else:
                take_pictures(page, running["odoo"], running["emulator"])
                take_overview(page, running["odoo"])
                take_settings(page, running["odoo"])
                copy_description_pictures()
                take_apps(page, running["odoo"])
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
