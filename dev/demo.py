"""`make demo`: the whole product on one machine, on the built-in Graph emulator.

Starts the Graph emulator (seed ``demo``) and Odoo with this addon in the database
``outlook_calendar_sync_demo``, configured against the emulator, with users alice and bob; then
either waits for Ctrl-C (interactive) or, with ``--once``, runs a scripted two-way scenario over
real HTTP and exits non-zero when Odoo and Outlook disagree. Standard library + requests only,
so it runs with the checkout's .venv and nothing else. `make setup` must have run (the Makefile
target depends on it): it writes .dev/odoo.conf and starts the private PostgreSQL.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
DEMO_DIR = DEV / "demo"
ADDON = "outlook_calendar_sync"
DB = f"{ADDON}_demo"
PYTHON = ROOT / ".venv" / "bin" / "python"
ODOO_CONF = DEV / "odoo.conf"
STATE_FILE = DEMO_DIR / "emulator-state.json"
PORTS_FILE = DEMO_DIR / "ports.json"
INSTALL_STAMP = DEMO_DIR / "installed"
RUNNING_FILE = DEMO_DIR / "running.json"
ODOO_LOG = DEMO_DIR / "odoo.log"
EMULATOR_LOG = DEMO_DIR / "emulator.log"
# Folders whose content is not the installed addon: a change there needs no module update.
NOT_ADDON = {".git", ".dev", ".venv", "dev", "docs", "tests", "graph_emulator", "__pycache__"}
STARTUP_TIMEOUT = 300
STOP_TIMEOUT = 20
SYNC_TIMEOUT = 300
PR_SET_PDEATHSIG = 1
PARIS = ZoneInfo("Europe/Paris")


def say(message: str) -> None:
    """One progress line; flushed, because make and CI logs buffer otherwise."""
    print(f"[demo] {message}", flush=True)


class DemoError(Exception):
    """A failure the user can act on: printed as one line, exit status 2."""


@dataclass(frozen=True)
class DemoUser:
    """An Odoo login of the demo and the emulator mailbox it connects to."""

    login: str
    name: str
    email: str
    tz: str


ADMIN = DemoUser("admin", "Mitchell Admin", "admin@example.com", "Europe/Brussels")
USERS = (
    DemoUser("alice", "Alice Martin", "alice@example.com", "Europe/Brussels"),
    DemoUser("bob", "Bob Jones", "bob@example.com", "America/New_York"),
)


# ----------------------------------------------------------------------------------------------
# Child processes
# ----------------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM when demo.py dies, even by SIGKILL (no orphans)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Children:
    """The processes this run started, each in its own process group, stopped in reverse order.

    Own groups, so that Ctrl-C reaches only demo.py, which then stops Odoo before the emulator
    (the emulator writes its state file when it stops) instead of every process at once.
    """

    def __init__(self) -> None:
        self._started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, args: list[str], log: Path, **popen: Any) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as stream:
            process = subprocess.Popen(
                args,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stderr=stream,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 (no threads run at this point)
                **{"stdout": stream, **popen},
            )
        self._started.append((name, process))
        return process

    def started_any(self) -> bool:
        return bool(self._started)

    def dead(self) -> str | None:
        """The name of a child that exited on its own, if any."""
        return next((name for name, proc in self._started if proc.poll() is not None), None)

    def stop_all(self) -> None:
        while self._started:
            name, process = self._started.pop()
            if process.poll() is None:
                say(f"stopping {name} (pid {process.pid})")
                _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the child's process group, SIGKILL if it is still there after a while."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def run_quietly(args: list[str], log: Path, what: str) -> None:
    """A short-lived command whose output goes to ``log``; its tail is shown when it fails."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as stream:
        status = subprocess.run(args, cwd=ROOT, stdout=stream, stderr=stream, check=False)
    if status.returncode:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise DemoError(f"{what} failed (see {log}):\n" + "\n".join(tail))


def odoo_bin() -> list[str]:
    odoo_dir = (DEV / "odoo-dir").read_text().strip()
    return [str(PYTHON), f"{odoo_dir}/odoo-bin"]


# ----------------------------------------------------------------------------------------------
# PostgreSQL, ports, the demo database
# ----------------------------------------------------------------------------------------------


def start_postgres() -> None:
    """The private cluster that `make setup` uses; shared with `make test`, so left running."""
    subprocess.run([str(ROOT / "dev" / "pg.sh"), "start"], check=True)
    exports = subprocess.run(
        [str(ROOT / "dev" / "pg.sh"), "env"], check=True, capture_output=True, text=True
    ).stdout
    for word in shlex.split(exports):
        if "=" in word:
            key, value = word.split("=", 1)
            os.environ[key] = value


def port_is_free(port: int) -> bool:
    """Free to listen on, as Odoo and the emulator bind (SO_REUSEADDR: TIME_WAIT is fine)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        [*odoo_bin()[:2], "db", "-c", str(ODOO_CONF), "drop", DB],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )


def install_or_update() -> None:
    """Creates the database with the addon (no Odoo demo data: .dev/odoo.conf says so), or
    updates the addon when its files changed since the last install, or does nothing."""
    fingerprint = addon_fingerprint()
    stamp = INSTALL_STAMP.read_text().strip() if INSTALL_STAMP.exists() else ""
    if stamp == fingerprint:
        say(f"reusing the database {DB} (make demo ARGS=--reset recreates it)")
        return
    action = ["-u", ADDON] if stamp else ["-i", ADDON]
    started = time.monotonic()
    if stamp:
        say(f"the addon changed: updating it in {DB}")
    else:
        say(f"creating the database {DB} with {ADDON} installed (a minute or two)")
    run_quietly(
        [
            *odoo_bin(),
            "-c",
            str(ODOO_CONF),
            "-d",
            DB,
            *action,
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
        ],
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
    children.start(
        "Odoo",
        [
            *odoo_bin(),
            "-c",
            str(ODOO_CONF),
            "-d",
            DB,
            f"--http-port={port}",
            f"--db-filter=^{DB}$",
            f"--max-cron-threads={int(cron)}",
            f"--logfile={ODOO_LOG}",
        ],
        DEMO_DIR / "odoo-stdout.log",
        env={**os.environ, "REQUESTS_CA_BUNDLE": bundle},
    )
    wait_until_up(children, url)
    return url


def wait_until_up(children: Children, url: str) -> None:
    started = time.monotonic()
    while time.monotonic() - started < STARTUP_TIMEOUT:
        if dead := children.dead():
            raise DemoError(f"{dead} exited during start-up (see {ODOO_LOG})")
        try:
            if requests.get(f"{url}/web/health", timeout=5).status_code == 200:
                say(f"Odoo answers after {time.monotonic() - started:.0f} s")
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise DemoError(f"Odoo did not answer within {STARTUP_TIMEOUT} s (see {ODOO_LOG})")


# ----------------------------------------------------------------------------------------------
# HTTP clients
# ----------------------------------------------------------------------------------------------


class RpcError(Exception):
    """An error returned by Odoo's JSON-RPC, with Odoo's own message."""


class OdooSession:
    """A browser-like session logged in to Odoo as one user (cookies, JSON-RPC)."""

    def __init__(self, url: str, login: str, password: str) -> None:
        self.url, self.login = url, login
        self.http = requests.Session()
        result = self._json(
            "/web/session/authenticate", {"db": DB, "login": login, "password": password}
        )
        self.uid: int = result["uid"]
        self.partner_id: int = result["partner_id"]

    def _json(self, path: str, params: dict[str, Any], timeout: float = 60) -> Any:
        reply = self.http.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=timeout,
        )
        reply.raise_for_status()
        body = reply.json()
        if "error" in body:
            error = body["error"].get("data", {}).get("message") or body["error"].get("message")
            raise RpcError(f"{self.login}: {error}")
        return body["result"]

    def call(self, model: str, method: str, *args: Any, timeout: float = 60, **kwargs: Any) -> Any:
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self._json("/web/dataset/call_kw", params, timeout=timeout)


class EmulatorControl:
    """The emulator's control API (plain http, JSON)."""

    def __init__(self, http_url: str) -> None:
        self.base = f"{http_url}/_emulator"
        self.http = requests.Session()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        reply = self.http.request(method, self.base + path, json=body, timeout=30)
        if reply.status_code >= 400:
            raise DemoError(f"emulator {method} {path}: {reply.status_code} {reply.text[:300]}")
        return reply.json() if reply.content else None

    def events(self, mailbox: str) -> list[dict[str, Any]]:
        return self.request("GET", f"/mailboxes/{mailbox}/events")["value"]

    def event_named(self, mailbox: str, subject: str) -> dict[str, Any]:
        found = [e for e in self.events(mailbox) if e["subject"] == subject]
        if not found:
            raise DemoError(f"no event {subject!r} in the emulator's {mailbox}")
        return found[0]


# ----------------------------------------------------------------------------------------------
# Configuration through Odoo (as admin)
# ----------------------------------------------------------------------------------------------


def configure(url: str, emulator: EmulatorInfo) -> None:
    """Settings against the emulator, web.base.url (the redirect URI), and the demo users."""
    admin = OdooSession(url, "admin", "admin")
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
# The scripted scenario (--once)
# ----------------------------------------------------------------------------------------------


@dataclass
class SyncTotals:
    """What the sync logs of one account say, summed."""

    pulled: Counter[str] = field(default_factory=Counter)
    pushed: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    errors: int = 0


LOG_FIELDS = (
    "account_id",
    "pulled_created",
    "pulled_updated",
    "pulled_archived",
    "pushed_created",
    "pushed_updated",
    "pushed_deleted",
    "conflict_count",
    "error_count",
)


class Scenario:
    """Connect both users, sync, edit both sides, sync, then compare both sides."""

    def __init__(self, odoo_url: str, control: EmulatorControl) -> None:
        self.control = control
        self.admin = OdooSession(odoo_url, "admin", "admin")
        self.sessions = {u.login: OdooSession(odoo_url, u.login, u.login) for u in USERS}
        self.accounts: dict[str, int] = {}
        self.previews: dict[str, int] = {}
        self.waiting_for_choice: set[str] = set()
        self.problems: list[str] = []
        self.compared = 0

    def run(self) -> bool:
        for user in USERS:
            self.connect(user)
        self.require_sync()
        self.sync_all("first sync")
        self.edit_odoo()
        self.edit_outlook()
        self.sync_all("after the edits")
        self.sync_all("settling")
        self.check_edits_arrived()
        self.compare_linked_events()
        self.print_summary()
        return not self.problems

    # --- connecting ---------------------------------------------------------------------------
    def connect(self, user: DemoUser) -> None:
        """What the Outlook sync button does, with the emulator's Accept in the middle."""
        session = self.sessions[user.login]
        authorize_url = session.call(
            "outlook.account", "action_start_sign_in", return_path="/odoo/calendar"
        )
        redirect = self.control.request(
            "POST", "/sign_in", {"mailbox": user.email, "authorize_url": authorize_url}
        )["redirect_url"]
        reply = session.http.get(redirect, allow_redirects=False, timeout=60)
        if reply.status_code != 303:
            raise DemoError(
                f"{user.login}'s sign-in callback answered {reply.status_code}: {reply.text[:300]}"
            )
        status = session.call("outlook.account", "get_sync_status")
        if status["state"] != "preview":
            raise DemoError(f"{user.login}'s account is {status['state']}: {status['last_error']}")
        self.accounts[user.login] = status["account_id"]
        say(f"{user.login} connected to {status['mailbox']}")
        self.waiting_for_choice.add(user.login)

    def preview(self, user: DemoUser) -> None:
        """What the Calendar opens after the sign-in: the first-sync preview (a dry run), here
        taken just before that user's first sync so that its counts are what the sync does."""
        session = self.sessions[user.login]
        action = session.call(
            "outlook.account", "action_open_first_sync_preview", [self.accounts[user.login]]
        )
        (counts,) = session.call(
            action["res_model"],
            "read",
            [action["res_id"]],
            [
                "to_odoo_count",
                "to_outlook_count",
                "odoo_updated_count",
                "outlook_updated_count",
                "invited_count",
            ],
        )
        self.previews[user.login] = action["res_id"]
        say(
            f"{user.login}'s first-sync preview (both ways, no attendees): "
            f"Outlook→Odoo +{counts['to_odoo_count']} ~{counts['odoo_updated_count']}, "
            f"Odoo→Outlook +{counts['to_outlook_count']} ~{counts['outlook_updated_count']}, "
            f"{counts['invited_count']} emails to attendees"
        )

    # --- syncing ------------------------------------------------------------------------------
    def require_sync(self) -> None:
        """Fails with one clear line while the event sync (issue D) has not landed."""
        missing = [
            model
            for model in ("outlook.sync.log", "outlook.event.link")
            if not self.admin.call("ir.model", "search_count", [("model", "=", model)])
        ]
        if missing:
            raise DemoError(
                "the event sync (issue D) has not landed: model(s) "
                + ", ".join(missing)
                + " missing, so action_sync_now only checks the connection. "
                "Both users connected; stopping before the first sync."
            )

    def sync_all(self, label: str) -> None:
        for user in USERS:
            self.sync(user, label)

    def sync(self, user: DemoUser, label: str) -> None:
        account = self.accounts[user.login]
        before = self.log_ids(account)
        started = time.monotonic()
        if user.login in self.waiting_for_choice:
            self.waiting_for_choice.discard(user.login)
            self.preview(user)
        try:
            if user.login in self.previews:
                # The first sync starts from the preview, with its default choice.
                self.sessions[user.login].call(
                    "outlook.first.sync.wizard",
                    "action_start",
                    [self.previews.pop(user.login)],
                    timeout=SYNC_TIMEOUT,
                )
            else:
                self.sessions[user.login].call(
                    "outlook.account", "action_sync_now", [account], timeout=SYNC_TIMEOUT
                )
        except RpcError as error:
            raise DemoError(
                f"{user.login}'s sync ({label}) crashed in Odoo: {error} "
                f"(traceback in {ODOO_LOG.relative_to(ROOT)})"
            ) from error
        new = [i for i in self.log_ids(account) if i not in before]
        if not new:
            raise DemoError(f"{user.login}'s sync ({label}) wrote no outlook.sync.log record")
        totals = self.totals(new)
        say(
            f"sync {user.login} ({label}, {time.monotonic() - started:.1f} s): "
            f"Outlook→Odoo +{totals.pulled['created']} ~{totals.pulled['updated']} "
            f"-{totals.pulled['archived']}, Odoo→Outlook +{totals.pushed['created']} "
            f"~{totals.pushed['updated']} -{totals.pushed['deleted']}, "
            f"conflicts {totals.conflicts}, errors {totals.errors}"
        )

    def log_ids(self, account: int) -> list[int]:
        return self.admin.call("outlook.sync.log", "search", [("account_id", "=", account)])

    def totals(self, log_ids: list[int]) -> SyncTotals:
        totals = SyncTotals()
        for log in self.admin.call("outlook.sync.log", "read", log_ids, list(LOG_FIELDS)):
            for kind in ("created", "updated", "archived"):
                totals.pulled[kind] += log[f"pulled_{kind}"]
            for kind in ("created", "updated", "deleted"):
                totals.pushed[kind] += log[f"pushed_{kind}"]
            totals.conflicts += log["conflict_count"]
            totals.errors += log["error_count"]
        return totals

    # --- edits on both sides ------------------------------------------------------------------
    def odoo_event(self, login: str, name: str) -> dict[str, Any]:
        found = self.sessions[login].call(
            "calendar.event",
            "search_read",
            [("name", "=", name)],
            ["start", "stop"],
            order="start",
        )
        if not found:
            raise DemoError(f"the first sync brought no {name!r} into {login}'s Odoo calendar")
        return found[0]

    def edit_odoo(self) -> None:
        alice, bob = self.sessions["alice"], self.sessions["bob"]
        offsite = self.odoo_event("alice", "Company offsite")
        alice.call("calendar.event", "write", [offsite["id"]], {"name": "Company offsite in Ghent"})
        focus = self.odoo_event("bob", "Focus time")
        later = {key: shift(focus[key], hours=1) for key in ("start", "stop")}
        bob.call("calendar.event", "write", [focus["id"]], later)
        lunch_start = this_monday() + timedelta(days=2, hours=12, minutes=30)
        alice.call(
            "calendar.event",
            "create",
            {
                "name": "Lunch with Bob",
                "start": odoo_utc(lunch_start),
                "stop": odoo_utc(lunch_start + timedelta(hours=1)),
                "partner_ids": [(6, 0, [alice.partner_id, bob.partner_id])],
            },
        )
        say(
            "Odoo edits: renamed 'Company offsite', moved Bob's 'Focus time' +1 h, "
            "created 'Lunch with Bob'"
        )

    def edit_outlook(self) -> None:
        bob_call = this_monday() + timedelta(days=1, hours=16)
        self.control.request(
            "POST",
            "/mailboxes/bob@example.com/events",
            {
                "subject": "Call with the accountant",
                "start": graph_utc(bob_call),
                "end": graph_utc(bob_call + timedelta(minutes=30)),
            },
        )
        roadmap = self.control.event_named("alice@example.com", "Roadmap review with New York")
        self.control.request(
            "PATCH",
            f"/mailboxes/alice@example.com/events/{roadmap['id']}",
            {
                "start": {
                    "dateTime": shift(roadmap["start"]["dateTime"], minutes=30),
                    "timeZone": "UTC",
                },
                "end": {
                    "dateTime": shift(roadmap["end"]["dateTime"], minutes=30),
                    "timeZone": "UTC",
                },
            },
        )
        dentist = self.control.event_named("alice@example.com", "Dentist")
        self.control.request("DELETE", f"/mailboxes/alice@example.com/events/{dentist['id']}")
        say(
            "Outlook edits: created Bob's 'Call with the accountant', moved 'Roadmap review with "
            "New York' +30 min, deleted Alice's 'Dentist'"
        )

    # --- checks -------------------------------------------------------------------------------
    def check_edits_arrived(self) -> None:
        """Each scripted edit must be visible on the side it did not happen on."""
        expectations = [
            ("alice@example.com", "Company offsite in Ghent", True),
            ("alice@example.com", "Lunch with Bob", True),
            ("bob@example.com", "Lunch with Bob", True),
            ("alice@example.com", "Company offsite", False),
        ]
        for mailbox, subject, wanted in expectations:
            present = any(
                e["subject"] == subject and not e["isCancelled"]
                for e in self.control.events(mailbox)
            )
            if present != wanted:
                self.problems.append(
                    f"Outlook {mailbox}: {subject!r} {'missing' if wanted else 'still there'}"
                )
        odoo_expectations = [
            ("bob", "Call with the accountant", True),
            ("alice", "Dentist", False),
        ]
        for login, name, wanted in odoo_expectations:
            present = bool(
                self.sessions[login].call("calendar.event", "search_count", [("name", "=", name)])
            )
            if present != wanted:
                self.problems.append(
                    f"Odoo {login}: {name!r} {'missing' if wanted else 'still there'}"
                )

    def compare_linked_events(self) -> None:
        """Every linked Odoo event against its Outlook event, fetched by graph_id."""
        for user in USERS:
            account = self.accounts[user.login]
            links = self.admin.call(
                "outlook.event.link",
                "search_read",
                [("account_id", "=", account)],
                ["event_id", "graph_id"],
            )
            outlook = {e["id"]: e for e in self.control.events(user.email)}
            odoo = self.odoo_events(
                user.login, [link["event_id"][0] for link in links if link["event_id"]]
            )
            for link in links:
                event = odoo.get(link["event_id"][0]) if link["event_id"] else None
                self.problems += compare(user.login, event, outlook, link["graph_id"])
            self.compared += len(links)

    def odoo_events(self, login: str, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Read as the user: private events are masked for anyone else, admin included."""
        rows = self.sessions[login].call(
            "calendar.event",
            "read",
            ids,
            ["name", "start", "stop", "allday", "start_date", "stop_date", "active"],
            context={"active_test": False},
        )
        return {row["id"]: row for row in rows}

    # --- summary ------------------------------------------------------------------------------
    def print_summary(self) -> None:
        counters = self.control.request("GET", "/counters")
        header = (
            "",
            "Outlook→Odoo +/~/-",
            "Odoo→Outlook +/~/-",
            "conflicts",
            "errors",
            "Graph requests",
            "mail sent",
            "duplicates",
        )
        rows = [header]
        for user in USERS:
            totals = self.totals(self.log_ids(self.accounts[user.login]))
            mail = self.control.request("GET", f"/sent_mail?mailbox={user.email}")["value"]
            duplicates = self.duplicates(user)
            self.problems += duplicates
            if totals.errors:
                self.problems.append(f"{user.login}: {totals.errors} sync error(s)")
            rows.append(
                (
                    user.login,
                    "/".join(str(totals.pulled[k]) for k in ("created", "updated", "archived")),
                    "/".join(str(totals.pushed[k]) for k in ("created", "updated", "deleted")),
                    str(totals.conflicts),
                    str(totals.errors),
                    str(counters["by_mailbox"].get(user.email, 0)),
                    str(len(mail)),
                    str(len(duplicates)),
                )
            )
        print_table(rows)
        say(
            f"Graph requests in all: {counters['total']} ({counters['writes']} writes), "
            f"HTTP requests on the wire: {counters['http_requests']}"
        )
        say(f"compared {self.compared} linked Odoo/Outlook event pairs and the 6 scripted edits")
        for problem in self.problems:
            say(f"PROBLEM {problem}")
        say(
            "PASS: both sides agree, no duplicates"
            if not self.problems
            else f"FAIL: {len(self.problems)} problem(s)"
        )

    def duplicates(self, user: DemoUser) -> list[str]:
        """The same event twice on either side: by iCalUId and by subject + start."""
        found = []
        outlook = [e for e in self.control.events(user.email) if not e["isCancelled"]]
        for key, label in (
            (lambda e: e["iCalUId"], "iCalUId"),
            (lambda e: (e["subject"], e["start"]["dateTime"]), "subject+start"),
        ):
            for value, count in Counter(map(key, outlook)).items():
                if count > 1:
                    found.append(f"Outlook {user.email}: {count} x {label} {value}")
        session = self.sessions[user.login]
        events = session.call(
            "calendar.event",
            "search_read",
            [("partner_ids", "in", [session.partner_id])],
            ["name", "start"],
        )
        for (name, start), count in Counter((e["name"], e["start"]) for e in events).items():
            if count > 1:
                found.append(f"Odoo {user.login}: {count} x {name!r} at {start}")
        return found


def compare(
    login: str, event: dict[str, Any] | None, outlook: dict[str, dict[str, Any]], graph_id: str
) -> list[str]:
    """The differences between one linked Odoo event and its Outlook event."""
    remote = outlook.get(graph_id)
    odoo_alive = bool(event and event["active"])
    name = event["name"] if event else None
    if remote is None:
        master = outlook.get(graph_id.rsplit("_", 1)[0])
        if master is not None:
            # An occurrence: the control API lists series masters only, so compare the name.
            same = name == master["subject"]
            return [] if same else [f"{login}: occurrence {name!r} vs {master['subject']!r}"]
        if odoo_alive:
            return [f"{login}: Odoo {name!r} is linked to an Outlook event that is gone"]
        return []
    if not odoo_alive:
        if remote["isCancelled"]:
            return []
        return [f"{login}: Outlook {remote['subject']!r} is linked to a gone Odoo event"]
    assert event is not None
    mismatches = []
    if name != remote["subject"]:
        mismatches.append(f"name {name!r} vs {remote['subject']!r}")
    if bool(event["allday"]) != remote["isAllDay"]:
        mismatches.append(f"all-day {event['allday']} vs {remote['isAllDay']}")
    elif remote["type"] != "seriesMaster":
        mismatches += _compare_times(event, remote)
    return [f"{login}: {remote['subject']!r}: {m}" for m in mismatches]


def _compare_times(event: dict[str, Any], remote: dict[str, Any]) -> list[str]:
    start, end = remote["start"]["dateTime"], remote["end"]["dateTime"]
    if event["allday"]:
        odoo_end = (date.fromisoformat(event["stop_date"]) + timedelta(days=1)).isoformat()
        odoo_span, graph_span = (event["start_date"], odoo_end), (start[:10], end[:10])
    else:
        odoo_span = (event["start"], event["stop"])
        graph_span = (start[:19].replace("T", " "), end[:19].replace("T", " "))
    return [] if odoo_span == graph_span else [f"time {odoo_span} vs {graph_span}"]


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print(
            "  "
            + "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if number == 0:
            print("  " + "  ".join("-" * w for w in widths))
    sys.stdout.flush()


def this_monday() -> datetime:
    """Monday 00:00 of this week in Paris, as the emulator's demo seed computes it."""
    now = datetime.now(PARIS)
    return (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def odoo_utc(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")


def graph_utc(moment: datetime) -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S"),
        "timeZone": "UTC",
    }


def shift(stamp: str, **delta: float) -> str:
    """An Odoo ('2026-11-24 16:00:00') or Graph ('2026-11-24T16:00:00.0000000') UTC time, moved."""
    separator = "T" if "T" in stamp else " "
    moved = datetime.fromisoformat(stamp[:19]) + timedelta(**delta)
    return moved.isoformat(sep=separator)


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


def refuse_second_instance() -> None:
    """Two demos would share the database, the ports and the emulator's state file."""
    try:
        pid = json.loads(RUNNING_FILE.read_text())["pid"]
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError):
        return
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
        passed = Scenario(odoo_url, EmulatorControl(emulator.http_url)).run()
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
    children = Children()
    try:
        return run(args, children)
    except DemoError as error:
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
