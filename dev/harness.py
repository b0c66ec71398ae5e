"""What the dev tools (demo, bench, screenshots, the crash and switch checks) share to run things.

The checkout's paths; the private PostgreSQL of `make setup` (its environment, databases made
and dropped); free loopback ports; child processes in process groups of their own, stopped
with their group; Odoo itself (its command line, a server up until the block ends) and worker
processes: a fresh Odoo process that runs named steps of a worker script (``dev/worker.py``
says how) on a JSON request and answers in JSON; real sign-ins against an emulator in this
process; Outlook event bodies; which of the sync log's fields are its counts. Standard library,
psycopg2 and requests only: the demo imports it without Odoo.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
ADDON = "outlook_calendar_sync"
PYTHON = ROOT / ".venv" / "bin" / "python"
ODOO_CONF = DEV / "odoo.conf"
HEALTH_TIMEOUT = 300.0
STOP_TIMEOUT = 30.0
POLL_SECONDS = 0.02
HEALTH_POLL_SECONDS = 0.25
PR_SET_PDEATHSIG = 1
COUNT_PREFIXES = ("pulled_", "pushed_")
"""The sync log's counts of what a run changed, each way, are its fields with these prefixes."""

Json = dict[str, Any]

if str(ROOT) not in sys.path:
    # The tools import graph_emulator and services as top-level packages, never the addon.
    sys.path.insert(0, str(ROOT))


def count_fields(field_names: Any) -> list[str]:
    """The sync log's count fields among ``field_names`` (the model's, read where it runs)."""
    return [name for name in field_names if name.startswith(COUNT_PREFIXES)]


def graph_time(moment: datetime) -> Json:
    """A Graph ``dateTimeTimeZone`` in UTC (an aware time converted, a naive one taken as UTC)."""
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc)
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def graph_event(subject: str, start: datetime, minutes: float, **extra: Any) -> Json:
    """The body of an Outlook event of ``minutes`` from ``start``."""
    end = start + timedelta(minutes=minutes)
    return {"subject": subject, "start": graph_time(start), "end": graph_time(end), **extra}


# ----------------------------------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------------------------------


def start_postgres() -> None:
    """The private cluster that `make setup` uses (left running: `make test` shares it), and
    its PG* variables in this process's environment."""
    subprocess.run([str(ROOT / "dev" / "pg.sh"), "start"], check=True)
    load_pg_env()


def load_pg_env() -> None:
    """The PG* variables of the private PostgreSQL that `make setup` started (or of the server
    the PG* variables given name)."""
    exports = subprocess.run(
        [str(ROOT / "dev" / "pg.sh"), "env"], check=True, capture_output=True, text=True
    ).stdout
    for word in shlex.split(exports):
        if "=" in word:
            key, value = word.split("=", 1)
            os.environ[key] = value


def admin_sql(*statements: str) -> None:
    """Statements run on the ``postgres`` database, outside a transaction."""
    conn = psycopg2.connect(dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


def filestore(db: str) -> Path:
    return DEV / "data" / "filestore" / db


def drop_db(db: str) -> None:
    """The database and its filestore gone, if they were there."""
    admin_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    shutil.rmtree(filestore(db), ignore_errors=True)


def copy_db(template: str, db: str) -> None:
    """``db`` afresh as a copy of ``template``, filestore included."""
    drop_db(db)
    admin_sql(f'CREATE DATABASE "{db}" TEMPLATE "{template}"')
    if filestore(template).exists():
        shutil.copytree(filestore(template), filestore(db))


def one_value(db: str, query: str, params: tuple[Any, ...] = ()) -> Any:
    """The first column of the first row, on a connection of its own (autocommit)."""
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(query, params)
            row = cursor.fetchone()
        return row[0] if row else None
    finally:
        conn.close()


# ----------------------------------------------------------------------------------------------
# Ports and processes
# ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Free to listen on, as Odoo and the emulator bind (SO_REUSEADDR: TIME_WAIT is fine)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(
    ready: Callable[[], Any], timeout: float, what: str, poll: float = POLL_SECONDS
) -> Any:
    """Poll ``ready`` every ``poll`` seconds until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answer := ready():
            return answer
        time.sleep(poll)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")


def die_with_parent() -> None:
    """Runs in a child before exec: SIGTERM when its parent dies, even by SIGKILL."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_process(args: list[str], log: Path, **popen: Any) -> subprocess.Popen[bytes]:
    """A child in a process group of its own (a signal to the group reaches all it started),
    its output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as stream:
        return subprocess.Popen(
            args,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stderr=stream,
            start_new_session=True,
            **{"stdout": stream, **popen},
        )


def stop_group(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM to the child's process group, SIGKILL if it is still there after ``timeout``."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


class Children:
    """The long-running processes a tool started, each in its own process group, stopped in
    reverse order, and gone with the tool even when it is killed (no orphans).

    Own groups, so that Ctrl-C reaches only the tool, which then stops them in order (the
    demo stops Odoo before the emulator, which writes its state file when it stops).
    """

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, args: list[str], log: Path, **popen: Any) -> subprocess.Popen[bytes]:
        # preexec_fn runs between fork and exec: safe while the tool runs no other thread.
        process = start_process(args, log, preexec_fn=die_with_parent, **popen)
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
                self._say(f"stopping {name} (pid {process.pid})")
                stop_group(process)


class CheckFailed(AssertionError):
    """A property a check script's scenario must have does not hold."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def narrator(tool: str) -> Callable[[str], None]:
    """A ``say`` for ``tool``: one progress line, flushed, with the seconds since it started."""
    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{tool} {time.perf_counter() - started:5.1f} s] {message}", flush=True)

    return say


class ProcessFailed(RuntimeError):
    """A command or worker exited with an error; the message ends with the end of its output."""


def run_logged(args: list[str], log: Path, what: str) -> None:
    """A short-lived command whose output goes to ``log``; its tail is in the error."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as stream:
        status = subprocess.run(args, cwd=ROOT, stdout=stream, stderr=stream, check=False)
    if status.returncode:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise ProcessFailed(f"{what} failed (see {log}):\n" + "\n".join(tail))


# ----------------------------------------------------------------------------------------------
# Odoo
# ----------------------------------------------------------------------------------------------


def odoo_command(*args: str, command: str | None = None) -> list[str]:
    """``odoo-bin [command] -c .dev/odoo.conf args...`` with the checkout's Python."""
    odoo_bin = (DEV / "odoo-dir").read_text().strip() + "/odoo-bin"
    return [str(PYTHON), odoo_bin, *([command] if command else []), "-c", str(ODOO_CONF), *args]


def addons_path_option(addons: Path | None) -> list[str]:
    """The option that makes Odoo take its addons from Odoo's own and ``addons`` (a folder
    holding another version of this addon) instead of .dev/odoo.conf's (none: those)."""
    if addons is None:
        return []
    odoo_addons = Path((DEV / "odoo-dir").read_text().strip()) / "addons"
    return [f"--addons-path={odoo_addons},{addons}"]


def install(
    db: str, modules: str, *, update: bool = False, addons: Path | None = None
) -> list[str]:
    """The ``odoo-bin`` line that installs (or updates) ``modules`` in ``db`` and stops, with
    the addons of ``addons_path_option(addons)``."""
    action = "-u" if update else "-i"
    line = odoo_command("-d", db, action, modules, "--stop-after-init", "--without-demo=all")
    return [*line, *addons_path_option(addons), "--no-http", "--log-level=warn"]


def wait_until_healthy(
    url: str, alive: Callable[[], bool], timeout: float = HEALTH_TIMEOUT
) -> None:
    """Until Odoo at ``url`` answers its health check; fails as soon as ``alive()`` is false."""

    def healthy() -> bool:
        if not alive():
            raise ProcessFailed(f"Odoo on {url} exited during start-up")
        try:
            return requests.get(f"{url}/web/health", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    wait_for(healthy, timeout, f"Odoo on {url}", poll=HEALTH_POLL_SECONDS)


def server_command(
    db: str, port: int, log: Path, cron_threads: int = 1, addons: Path | None = None
) -> list[str]:
    """The ``odoo-bin`` line of an Odoo server for ``db`` only, on ``port``, logging to
    ``log``, with ``cron_threads`` cron threads and the addons of ``addons_path_option``."""
    args = odoo_command("-d", db, f"--http-port={port}", f"--db-filter=^{db}$")
    args += addons_path_option(addons)
    return [*args, f"--max-cron-threads={cron_threads}", f"--logfile={log}"]


@contextlib.contextmanager
def odoo_server(
    db: str,
    port: int,
    bundle: str,
    log: Path,
    *,
    cron_threads: int = 1,
    addons: Path | None = None,
) -> Iterator[str]:
    """Odoo serving only ``db`` on ``port`` with ``cron_threads`` cron threads and the addons
    of ``addons_path_option(addons)``, trusting the emulator's CA (``bundle``); yields its URL
    and is stopped on the way out."""
    args = [*server_command(db, port, log, cron_threads, addons), "--log-level=info"]
    process = subprocess.Popen(
        args,
        env={**os.environ, "REQUESTS_CA_BUNDLE": bundle},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, lambda: process.poll() is None)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            stop_group(process)


# ----------------------------------------------------------------------------------------------
# Worker processes and sign-ins
# ----------------------------------------------------------------------------------------------


def emulator_settings(emulator: Any) -> Json:
    """What a worker needs to point Odoo at the emulator (``GraphEmulator`` in this process)."""
    return {
        "url": emulator.url,
        "graph": emulator.graph,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
    }


@dataclass
class Worker:
    """One Odoo process running a worker script on a request, started by ``start_worker``."""

    process: subprocess.Popen[str]
    folder: Path

    def wait(self, timeout: float) -> Json:
        """Its answer; ``ProcessFailed`` with the end of its output when it failed."""
        try:
            output, _ = self.process.communicate(timeout=timeout)
            if self.process.returncode:
                raise ProcessFailed("\n".join(output.splitlines()[-15:]))
            return json.loads((self.folder / "result.json").read_text())
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing runs after it, not even Python's clean-up."""
        self.process.kill()
        self.process.communicate()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_worker(
    script: Path, emulator: Any, request: Json, *, log: Path, work_dir: Path
) -> Worker:
    """Start ``script`` (dev/bench_worker.py, dev/switch_worker.py...) in a fresh Odoo process
    on ``request``, plus the emulator's settings, Odoo's config and the log file; it trusts the
    emulator's CA."""
    work_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=work_dir))
    full_request = {
        **request,
        "odoo_conf": str(ODOO_CONF),
        "log_file": str(log),
        "result_file": str(folder / "result.json"),
        "emulator": emulator_settings(emulator),
    }
    (folder / "request.json").write_text(json.dumps(full_request))
    process = subprocess.Popen(
        [str(PYTHON), str(script), str(folder / "request.json")],
        cwd=ROOT,
        env={**os.environ, "REQUESTS_CA_BUNDLE": str(emulator.bundle_path)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return Worker(process, folder)


def run_worker(
    script: Path, emulator: Any, request: Json, *, log: Path, work_dir: Path, timeout: float
) -> Json:
    """Run a worker script to its end (see ``start_worker``) and return its answer."""
    return start_worker(script, emulator, request, log=log, work_dir=work_dir).wait(timeout)


def sign_in(emulator: Any, mailbox: str) -> Json:
    """A real sign-in of ``mailbox`` with the addon's ``services.auth`` against the emulator in
    this process: what an account stores (identity, default calendar, token cache)."""
    from services.auth import OutlookAuth  # noqa: PLC0415 (only the tools that sign in need msal)

    auth = OutlookAuth(
        client_id=emulator.client_id,
        client_credential=emulator.client_secret,
        authority=emulator.authority,
        cache_blob=None,
        http_client=requests.Session(),
    )
    url, flow = auth.start_sign_in(
        redirect_uri="http://localhost/microsoft_account/authentication", state=mailbox
    )
    redirect = urlsplit(emulator.sign_in(mailbox, url))
    identity = auth.finish_sign_in(flow, dict(parse_qsl(redirect.query)))
    box = emulator.store.mailboxes[mailbox.lower()]
    return {
        "mailbox": mailbox,
        "home_account_id": identity.home_account_id,
        "calendar_id": next(cal.id for cal in box.calendars.values() if cal.is_default),
        "cache": auth.cache_blob_if_changed(),
    }


@contextlib.contextmanager
def trusting(emulator: Any) -> Iterator[None]:
    """requests (and msal through it) in this process trust the emulator's CA for the block."""
    previous = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(emulator.bundle_path)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["REQUESTS_CA_BUNDLE"]
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = previous
