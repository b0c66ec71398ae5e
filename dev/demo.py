"""`make demo`: the whole product on one machine, on the built-in Graph emulator.

Starts the Graph emulator (seed ``demo``) and Odoo with this addon in the database
``outlook_calendar_sync_demo``, configured against the emulator, with users alice and bob; then
either waits for Ctrl-C (interactive) or, with ``--once``, runs the scripted two-way scenario of
dev/demo_scenario.py over real HTTP and exits non-zero when Odoo and Outlook disagree. Standard
library + requests only (processes and PostgreSQL through dev/harness.py, Odoo and the emulator
through dev/rpc.py), so it runs with the checkout's .venv and nothing else. `make setup` must
have run (the Makefile target depends on it): it writes .dev/odoo.conf and starts the private
PostgreSQL.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from demo_scenario import ADMIN, USERS, DemoError, DemoUser, Scenario, say
from harness import (
    ADDON,
    DEV,
    ODOO_CONF,
    PYTHON,
    ROOT,
    Children,
    ProcessFailed,
    free_port,
    install,
    odoo_command,
    port_is_free,
    run_logged,
    server_command,
    start_postgres,
    wait_until_healthy,
)
from rpc import EmulatorControl, OdooSession, RpcError

DEMO_DIR = DEV / "demo"
DB = f"{ADDON}_demo"
STATE_FILE = DEMO_DIR / "emulator-state.json"
PORTS_FILE = DEMO_DIR / "ports.json"
INSTALL_STAMP = DEMO_DIR / "installed"
RUNNING_FILE = DEMO_DIR / "running.json"
ODOO_LOG = DEMO_DIR / "odoo.log"
EMULATOR_LOG = DEMO_DIR / "emulator.log"
# Folders whose content is not the installed addon: a change there needs no module update.
NOT_ADDON = {".git", ".dev", ".venv", "dev", "docs", "tests", "graph_emulator", "__pycache__"}
PARIS = ZoneInfo("Europe/Paris")


# ----------------------------------------------------------------------------------------------
# Ports, the demo database
# ----------------------------------------------------------------------------------------------


def demo_ports() -> dict[str, int]:
    """The last run's ports when still free: stable URLs keep web.base.url, the redirect URI and
    the msal token caches (keyed by the authority's host:port) valid across restarts."""
    names = ("odoo", "emulator_https", "emulator_http")
    try:
        previous = json.loads(PORTS_FILE.read_text())
    except (OSError, ValueError):
        previous = {}
    ports = {
        name: previous[name]
        if isinstance(previous.get(name), int) and port_is_free(previous[name])
        else free_port()
        for name in names
    }
    PORTS_FILE.write_text(json.dumps(ports))
    return ports


def addon_fingerprint() -> str:
    """Changes whenever a file Odoo loads from the addon changes (sizes and mtimes)."""
    digest = hashlib.sha1(DB.encode())
    for path in sorted(_addon_files()):
        stat = path.stat()
        digest.update(f"{path.relative_to(ROOT)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _addon_files() -> Iterator[Path]:
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in NOT_ADDON and not d.startswith(".")]
        yield from (Path(folder) / name for name in files if not name.endswith(".pyc"))


def drop_database(why: str) -> None:
    say(f"{why}: dropping the database {DB} and the emulator's saved state")
    STATE_FILE.unlink(missing_ok=True)
    INSTALL_STAMP.unlink(missing_ok=True)
    subprocess.run(
        odoo_command("drop", DB, command="db"), cwd=ROOT, capture_output=True, check=False
    )


def install_or_update() -> None:
    """Creates the database with the addon (no Odoo demo data: .dev/odoo.conf says so), or
    updates the addon when its files changed since the last install, or does nothing."""
    fingerprint = addon_fingerprint()
    stamp = INSTALL_STAMP.read_text().strip() if INSTALL_STAMP.exists() else ""
    if stamp == fingerprint:
        say(f"reusing the database {DB} (make demo ARGS=--reset recreates it)")
        return
    started = time.monotonic()
    if stamp:
        say(f"the addon changed: updating it in {DB}")
    else:
        say(f"creating the database {DB} with {ADDON} installed (a minute or two)")
    run_logged(
        install(DB, ADDON, update=bool(stamp)),
        DEMO_DIR / "install.log",
        f"installing {ADDON} in {DB} (try make demo ARGS=--reset)",
    )
    INSTALL_STAMP.write_text(fingerprint)
    say(f"database ready in {time.monotonic() - started:.0f} s")


# ----------------------------------------------------------------------------------------------
# The emulator and Odoo
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmulatorInfo:
    """The JSON line ``python -m graph_emulator`` prints first."""

    url: str
    http_url: str
    graph: str
    bundle: str
    client_id: str
    client_secret: str

    @classmethod
    def parse(cls, line: str) -> EmulatorInfo:
        data = json.loads(line)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def start_emulator(children: Children, ports: dict[str, int]) -> EmulatorInfo:
    """The emulator with the demo week. Its state file keeps Outlook's events and refresh tokens
    across runs, so a restarted demo (--once's end state included) carries on connected."""
    args = [
        str(PYTHON),
        "-m",
        "graph_emulator",
        "--seed",
        "demo",
        "--port",
        str(ports["emulator_https"]),
        "--http-port",
        str(ports["emulator_http"]),
        "--state",
        str(STATE_FILE),
    ]
    say(f"starting the Graph emulator (state in {STATE_FILE.relative_to(ROOT)})")
    process = children.start("the Graph emulator", args, EMULATOR_LOG, stdout=subprocess.PIPE)
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line:
        raise DemoError(f"the Graph emulator did not start (see {EMULATOR_LOG})")
    return EmulatorInfo.parse(line)


def start_odoo(children: Children, port: int, bundle: str, cron: bool) -> str:
    """Odoo on the demo database only. With ``cron``, one cron thread runs the sync cron as in
    production; --once goes without, so that no cron sync holds an account's lock while the
    script asks for a sync and the run is the same every time."""
    url = f"http://127.0.0.1:{port}"
    say(f"starting Odoo on {url} (log: {ODOO_LOG.relative_to(ROOT)})")
    started = time.monotonic()
    children.start(
        "Odoo",
        server_command(DB, port, ODOO_LOG, cron_threads=int(cron)),
        DEMO_DIR / "odoo-stdout.log",
        env={**os.environ, "REQUESTS_CA_BUNDLE": bundle},
    )
    try:
        wait_until_healthy(url, lambda: children.dead() is None)
    except (ProcessFailed, TimeoutError) as error:
        raise DemoError(f"{error} (see {ODOO_LOG})") from error
    say(f"Odoo answers after {time.monotonic() - started:.0f} s")
    return url


# ----------------------------------------------------------------------------------------------
# Configuration through Odoo (as admin)
# ----------------------------------------------------------------------------------------------


def configure(url: str, emulator: EmulatorInfo) -> None:
    """Settings against the emulator, web.base.url (the redirect URI), and the demo users."""
    admin = OdooSession(url, DB, "admin", "admin")
    params = {
        "outlook_calendar_sync.enabled": "True",
        "outlook_calendar_sync.client_id": emulator.client_id,
        "outlook_calendar_sync.client_secret": emulator.client_secret,
        "outlook_calendar_sync.authority_host": emulator.url,
        "outlook_calendar_sync.tenant": "common",
        "outlook_calendar_sync.graph_endpoint": emulator.graph,
        # Users may also pick the calendars others shared with them (Calendars… in the menu).
        "outlook_calendar_sync.shared_calendars": "True",
        "web.base.url": url,
        # Outlook changes made on the emulator reach Odoo within seconds (with the cron running):
        # the emulator calls this http URL, which Microsoft would refuse (README, near-real-time).
        "outlook_calendar_sync.webhook_base_url": url,
        # An admin logging in through another host name would rewrite web.base.url otherwise.
        "web.base.url.freeze": "True",
    }
    for key, value in params.items():
        admin.call("ir.config_parameter", "set_param", key, value)
    admin.call("res.users", "write", [admin.uid], {"tz": ADMIN.tz})
    _, internal = admin.call("ir.model.data", "check_object_reference", "base", "group_user")
    for user in USERS:
        ensure_user(admin, user, internal)
    say("configured: Outlook settings → emulator, web.base.url, webhooks, users alice and bob")


def ensure_user(admin: OdooSession, user: DemoUser, internal_group: int) -> None:
    values = {
        "name": user.name,
        "email": user.email,
        "tz": user.tz,
        "password": user.login,
        "groups_id": [(4, internal_group)],
    }
    found = admin.call("res.users", "search", [("login", "=", user.login)])
    if found:
        admin.call("res.users", "write", found, values)
    else:
        admin.call("res.users", "create", {**values, "login": user.login})


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------


def print_welcome(odoo_url: str, emulator: EmulatorInfo) -> None:
    coffee = (datetime.now(PARIS) + timedelta(days=1)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    event = {
        "subject": "Coffee with Bob",
        "start": {"dateTime": f"{coffee:%Y-%m-%dT%H:%M}", "timeZone": "Europe/Paris"},
        "end": {
            "dateTime": f"{coffee + timedelta(minutes=30):%Y-%m-%dT%H:%M}",
            "timeZone": "Europe/Paris",
        },
    }
    lines = [
        "",
        "  The demo is running. Ctrl-C stops it (the database and Outlook edits are kept).",
        "",
        f"  Odoo              {odoo_url}/odoo/calendar",
        "    logins          alice / alice (Europe/Brussels), bob / bob (America/New_York),",
        "                    admin / admin (Settings → Outlook Calendar points at the emulator)",
        f"  Graph emulator    {emulator.http_url}/   (Alice's and Bob's Outlook, mail sent)",
        f"    control API     {emulator.http_url}/_emulator/   (see graph_emulator/README.md)",
        "",
        "  Try this:",
        "    1. Log in as alice, open Calendar, click 'Outlook sync'.",
        "    2. At the emulator's sign-in page choose Alice Martin and Accept.",
        "    3. Back in Calendar, the first-sync preview says what would happen each way;",
        "       press 'Start syncing': Alice's week arrives (offsite, New York review, ...).",
        "    4. Edit on either side, then 'Sync now' again (or wait for the sync cron).",
        "       In Odoo: rename, move or create an event. In Outlook, through the control API:",
        f"       curl -X POST {emulator.http_url}/_emulator/mailboxes/alice@example.com/events \\",
        f"         -H 'Content-Type: application/json' -d '{json.dumps(event)}'",
        "       (PATCH or DELETE .../events/<id> edit or delete one; GET .../events lists the ids)",
        "       and reload the emulator page to see the events and the mail Exchange sent.",
        "    5. Do the same as bob (America/New_York): Alice's meetings with him appear once.",
        "",
    ]
    print("\n".join(lines), flush=True)
    RUNNING_FILE.write_text(
        json.dumps({"pid": os.getpid(), "odoo": odoo_url, "emulator": emulator.http_url})
    )


def wait_for_interrupt(children: Children) -> None:
    while True:
        if dead := children.dead():
            raise DemoError(f"{dead} stopped unexpectedly (see {DEMO_DIR.relative_to(ROOT)}/)")
        time.sleep(1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make demo ARGS=...", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--reset",
        action="store_true",
        help="drop the demo database and the emulator's saved state first",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="run the scripted scenario headless on a fresh database and exit",
    )
    return parser.parse_args(argv)


def running_demo() -> dict[str, Any] | None:
    """The pid and URLs of a demo whose process is still alive, if any."""
    try:
        running = json.loads(RUNNING_FILE.read_text())
        os.kill(running["pid"], 0)
    except (OSError, ValueError, KeyError):
        return None
    return running


def refuse_second_instance() -> None:
    """Two demos would share the database, the ports and the emulator's state file."""
    if running := running_demo():
        pid = running["pid"]
        raise DemoError(f"a demo is already running (pid {pid}): stop it first (Ctrl-C there)")


def run(args: argparse.Namespace, children: Children) -> int:
    started = time.monotonic()
    if not ODOO_CONF.exists():
        raise DemoError("run make setup first (.dev/odoo.conf is missing)")
    refuse_second_instance()
    start_postgres()
    if args.reset or args.once:
        drop_database("--once starts afresh" if args.once else "--reset")
    install_or_update()
    ports = demo_ports()
    emulator = start_emulator(children, ports)
    odoo_url = start_odoo(children, ports["odoo"], emulator.bundle, cron=not args.once)
    configure(odoo_url, emulator)
    say(f"ready in {time.monotonic() - started:.0f} s")
    if args.once:
        control = EmulatorControl(emulator.http_url)
        passed = Scenario(odoo_url, DB, control, ODOO_LOG.relative_to(ROOT)).run()
        say(f"--once finished in {time.monotonic() - started:.0f} s")
        return 0 if passed else 1
    print_welcome(odoo_url, emulator)
    wait_for_interrupt(children)
    return 0


def main(argv: list[str]) -> int:
    """Whatever happens, the children are stopped before the exit status is returned."""
    args = parse_args(argv)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    # Explicit, because Python leaves SIGINT ignored when it was started with it ignored
    # (a background job of a script): Ctrl-C and `kill -INT` must always stop the demo.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    children = Children(say)
    try:
        return run(args, children)
    except (DemoError, ProcessFailed) as error:
        say(f"FAILED: {error}")
        return 2
    except (RpcError, requests.RequestException) as error:
        say(f"FAILED: {type(error).__name__}: {error}")
        return 2
    except KeyboardInterrupt:
        say("Ctrl-C")
        return 130 if args.once else 0
    finally:
        if children.started_any():
            RUNNING_FILE.unlink(missing_ok=True)
            children.stop_all()
            say("stopped (PostgreSQL keeps running for make test; make db-stop stops it)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
