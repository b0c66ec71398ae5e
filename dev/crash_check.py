"""Real process crashes: run by dev/test.sh, outside pytest.

An Odoo process (dev/crash_worker.py, on a copy of the test database) runs the cron's sync of
one Outlook account against the Graph emulator (started here, in this process); the emulator
holds one request at a chosen phase and this script kills the Odoo process with SIGKILL there:

1. during import paging (the second delta page is held),
2. between export batches (one ``$batch`` held before it runs, the others applied),
3. after Graph applied a batch but before the commit (its reply held).

After each kill a new process syncs again: both sides must hold every event exactly once, with
the edits made before the crash, and a last sync must write nothing to Outlook.

    python dev/crash_check.py DATABASE_TEMPLATE   # the test database, left untouched
"""

import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    DEV,
    ROOT,
    ProcessFailed,
    copy_db,
    drop_db,
    graph_event,
    load_pg_env,
    run_worker,
    sign_in,
    start_worker,
    trusting,
)

from graph_emulator import GraphEmulator

MAILBOX = "crash@example.com"
OUTLOOK_EVENTS = 450  # three delta pages of 200
ODOO_EVENTS = 45  # three $batch of at most 20
EDITED = 5
HOLD = 60.0  # seconds the emulator holds the chosen request: the kill comes long before
WAIT = 90.0  # seconds to wait for a process to reach the held request
SYNC_TIMEOUT = 900.0  # seconds a process that is not killed may take
WORKER = ROOT / "dev" / "crash_worker.py"
WORK_DIR = DEV / "crash"
START = (datetime.now(timezone.utc) + timedelta(days=2)).replace(
    hour=6, minute=0, second=0, microsecond=0
)


class CrashCheck:
    def __init__(self, template):
        self.database = f"{template}_crash"
        self.template = template
        self.emulator = GraphEmulator(seed="empty")
        self.figures = {"kills": 0, "processes": 0}

    def run(self):
        started = time.monotonic()
        copy_db(self.template, self.database)
        with self.emulator, trusting(self.emulator):
            self.emulator.add_mailbox(MAILBOX)
            self.odoo("setup", account=sign_in(self.emulator, MAILBOX))
            for n in range(OUTLOOK_EVENTS):
                start = START + timedelta(minutes=15 * n)
                self.emulator.create_event(MAILBOX, graph_event(f"Outlook {n}", start, 15))
            self.phase_import_paging()
            self.phase_between_export_batches()
            self.phase_after_graph_applied()
            self.quiet_sync()
        drop_db(self.database)
        print(
            f"[crash] {self.figures['kills']} SIGKILLs at 3 phases, {self.figures['processes']} "
            f"Odoo processes, converged without duplicates in {time.monotonic() - started:.0f} s"
        )

    # --- the phases -------------------------------------------------------------------------

    def phase_import_paging(self):
        self.emulator.inject_fault("delay", delay=HOLD, path_contains="skiptoken")
        self.kill_when(lambda: self.emulator.counters()["faults_applied"] >= 1)
        self.emulator.clear_faults()
        self.expect(odoo=0, outlook=OUTLOOK_EVENTS, why="the killed import committed nothing")
        self.sync()
        self.expect(odoo=OUTLOOK_EVENTS, outlook=OUTLOOK_EVENTS, why="import after the kill")
        print("[crash] killed during import paging: converged")

    def phase_between_export_batches(self):
        self.odoo("create_events", start=self.odoo_start(), count=ODOO_EVENTS)
        writes = self.emulator.counters()["writes"]
        self.emulator.inject_fault("delay", delay=HOLD, method="POST", path_contains="$batch")
        # Every batch but the held one has been applied in Outlook.
        self.kill_when(lambda: self.emulator.counters()["writes"] - writes >= ODOO_EVENTS - 20)
        self.emulator.clear_faults()
        self.sync()
        total = OUTLOOK_EVENTS + ODOO_EVENTS
        self.expect(odoo=total, outlook=total, why="export after a kill between batches")
        print("[crash] killed between export batches: converged")

    def phase_after_graph_applied(self):
        self.odoo("edit_and_add", start=self.odoo_start(), edited=EDITED)
        self.emulator.inject_fault("delay_after", delay=HOLD, method="POST", path_contains="$batch")
        self.kill_when(
            lambda: sum(s.startswith("Late ") for s in self.outlook_subjects()) == EDITED
        )
        self.emulator.clear_faults()
        self.sync()
        total = OUTLOOK_EVENTS + ODOO_EVENTS + EDITED
        self.expect(odoo=total, outlook=total, why="sync after a kill once Graph applied")
        edited = {f"Odoo {n} (edited)" for n in range(EDITED)}
        missing = edited - set(self.outlook_subjects()) | edited - set(self.odoo_names())
        if missing:
            sys.exit(f"[crash] edits lost after the kill: {sorted(missing)}")
        print("[crash] killed after Graph applied a batch, before the commit: converged")

    def quiet_sync(self):
        writes = self.emulator.counters()["writes"]
        self.sync()
        if self.emulator.counters()["writes"] != writes:
            sys.exit("[crash] the sync after convergence wrote to Outlook")

    # --- Odoo processes -------------------------------------------------------------------

    def request(self, *steps, **extra):
        return {"db": self.database, "steps": steps, **extra}

    @staticmethod
    def odoo_start():
        """``START`` as Odoo stores times: naive UTC."""
        return START.replace(tzinfo=None).isoformat()

    def odoo(self, *steps, **extra):
        """Run ``steps`` in a new Odoo process, to their end."""
        self.figures["processes"] += 1
        log = WORK_DIR / f"{self.database}.log"
        try:
            return run_worker(
                WORKER,
                self.emulator,
                self.request(*steps, **extra),
                log=log,
                work_dir=WORK_DIR,
                timeout=SYNC_TIMEOUT,
            )
        except ProcessFailed as failure:
            sys.exit(f"[crash] an Odoo process failed (log {log}):\n{failure}")

    def sync(self):
        self.odoo("sync")

    def kill_when(self, reached):
        """Start a sync and SIGKILL it once ``reached()`` (the held request is in flight)."""
        self.figures["processes"] += 1
        log = WORK_DIR / f"{self.database}.log"
        worker = start_worker(
            WORKER, self.emulator, self.request("sync"), log=log, work_dir=WORK_DIR
        )
        deadline = time.monotonic() + WAIT
        while not reached():
            if worker.process.poll() is not None:
                sys.exit(f"[crash] the sync ended before the kill:\n{worker.process.stdout.read()}")
            if time.monotonic() > deadline:
                worker.kill()
                sys.exit("[crash] the sync never reached the phase to kill it at")
            time.sleep(0.05)
        worker.kill()
        self.figures["kills"] += 1

    # --- both sides -------------------------------------------------------------------------

    def outlook_subjects(self):
        return [
            event["subject"]
            for event in self.emulator.events(MAILBOX)
            if not event.get("isCancelled")
        ]

    def odoo_names(self):
        with psycopg2.connect(dbname=self.database) as conn, conn.cursor() as cr:
            cr.execute(
                "SELECT name FROM calendar_event WHERE active AND user_id = "
                "(SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'user_admin')"
            )
            names = [row[0] for row in cr.fetchall()]
        conn.close()
        return names

    def expect(self, *, odoo, outlook, why):
        names, subjects = self.odoo_names(), self.outlook_subjects()
        duplicates = {name for name in names if names.count(name) > 1}
        duplicates |= {subject for subject in subjects if subjects.count(subject) > 1}
        if duplicates:
            sys.exit(f"[crash] {why}: duplicates {sorted(duplicates)[:5]}")
        if (len(names), len(subjects)) != (odoo, outlook):
            sys.exit(
                f"[crash] {why}: Odoo has {len(names)} events (expected {odoo}), Outlook "
                f"{len(subjects)} (expected {outlook})"
            )


if __name__ == "__main__":
    load_pg_env()
    CrashCheck(sys.argv[1]).run()
