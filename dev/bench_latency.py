"""The ``latency`` row of `make bench`: seconds from a change in Outlook to the Odoo record
updated, with change notifications on.

A real Odoo server (HTTP and one cron thread, as in production) serves the bench database on a
free loopback port; the emulator delivers its notifications there (the addon's
``outlook_calendar_sync.webhook_base_url`` points at it), Odoo's webhook wakes the sync cron,
and the cron syncs the account. Each sample is one change made in Outlook (creates and renames
in turn, one at a time); the clock runs from the change until a query on the database sees it
in Odoo. The polling cron (every 5 minutes) cannot be what answers: a sample that waits that
long fails the row.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg2
import requests

SAMPLE_TIMEOUT = 60.0
STARTUP_TIMEOUT = 120.0
POLL_SECONDS = 0.02
PAUSE_BETWEEN_SAMPLES = 0.3
ALICE = "alice@example.com"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def odoo_server(command: list[str], db: str, port: int, bundle: str, log: Path) -> Iterator[str]:
    """Odoo (``command``: python, odoo-bin, -c, the config) serving ``db`` on ``port`` with one
    cron thread; stopped on the way out."""
    args = [*command, "-d", db, f"--http-port={port}"]
    args += [f"--db-filter=^{db}$", "--max-cron-threads=1", f"--logfile={log}", "--log-level=info"]
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
        wait_for(lambda: _healthy(url, process), STARTUP_TIMEOUT, f"Odoo on {url} (log {log})")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _healthy(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"Odoo exited with {process.returncode} during start-up")
    try:
        return requests.get(f"{url}/web/health", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def wait_for(ready: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``ready`` until it returns something true; the time it took is the caller's."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answer := ready():
            return answer
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")


def one_value(db: str, query: str, params: tuple[Any, ...] = ()) -> Any:
    """The first column of the first row, on a connection of its own (autocommit)."""
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    try:
        cursor = conn.cursor()
        cursor.execute(query, params)
        row = cursor.fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def graph_time(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def measure(emulator: Any, db: str, samples: int) -> list[float]:
    """Seconds from each Outlook change to Odoo holding it: creates and renames in turn."""
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    cursor = conn.cursor()

    def odoo_has(name: str) -> bool:
        cursor.execute("SELECT 1 FROM calendar_event WHERE name = %s AND active", [name])
        return cursor.fetchone() is not None

    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    latencies, last_id = [], None
    try:
        for index in range(samples):
            name = f"Latency sample {index}"
            began = time.monotonic()
            if last_id is None:
                when = start + timedelta(days=1, hours=index)
                body = {"subject": name, "start": graph_time(when)}
                body["end"] = graph_time(when + timedelta(minutes=30))
                last_id = emulator.create_event(ALICE, body)["id"]
            else:
                emulator.update_event(ALICE, last_id, {"subject": name})
                last_id = None
            wait_for(lambda name=name: odoo_has(name), SAMPLE_TIMEOUT, f"{name!r} in Odoo")
            latencies.append(time.monotonic() - began)
            time.sleep(PAUSE_BETWEEN_SAMPLES)
    finally:
        conn.close()
    return latencies


def summary(latencies: list[float]) -> tuple[float, float]:
    """(median, p95) in seconds; p95 by the nearest-rank method."""
    ranked = sorted(latencies)
    p95 = ranked[max(math.ceil(0.95 * len(ranked)) - 1, 0)]
    return statistics.median(ranked), p95
