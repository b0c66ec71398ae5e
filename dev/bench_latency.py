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

import math
import statistics
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg2
from harness import graph_event, wait_for

SAMPLE_TIMEOUT = 60.0
PAUSE_BETWEEN_SAMPLES = 0.3
ALICE = "alice@example.com"


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
                last_id = emulator.create_event(ALICE, graph_event(name, when, 30))["id"]
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
