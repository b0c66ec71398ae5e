"""Real process crashes (issue H, #10): run by dev/test.sh, outside pytest.

An Odoo server process (``odoo-bin shell`` on a copy of the test database) runs the cron's sync
of one Outlook account against the Graph emulator (started here, in this process); the emulator
holds one request at a chosen phase and this script kills the Odoo process with SIGKILL there:

1. during import paging (the second delta page is held),
2. between export batches (one ``$batch`` held before it runs, the others applied),
3. after Graph applied a batch but before the commit (its reply held).

After each kill a new process syncs again: both sides must hold every event exactly once, with
the edits made before the crash, and a last sync must write nothing to Outlook.

    python dev/crash_check.py DATABASE_TEMPLATE   # the test database, left untouched
"""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph_emulator import GraphEmulator  # noqa: E402  (the repository root, just added)
from services.auth import OutlookAuth  # noqa: E402
from services.graph import GraphClient  # noqa: E402

MAILBOX = "crash@example.com"
OUTLOOK_EVENTS = 450  # three delta pages of 200
ODOO_EVENTS = 45  # three $batch of at most 20
EDITED = 5
HOLD = 60.0  # seconds the emulator holds the chosen request: the kill comes long before
WAIT = 90.0  # seconds to wait for a process to reach the held request
START = (datetime.now(timezone.utc) + timedelta(days=2)).replace(
    hour=6, minute=0, second=0, microsecond=0
)

SETUP = """
env["outlook.account"].search([]).write({{"state": "paused"}})  # only ours syncs here
params = env["ir.config_parameter"]
for key, value in {settings}.items():
    params.set_param(key, value)
admin = env.ref("base.user_admin")
admin.write({{"email": "{mailbox}", "tz": "UTC"}})
account = env["outlook.account"].create(
    {{
        "user_id": admin.id,
        "state": "active",
        "mailbox_address": "{mailbox}",
        "home_account_id": "{home}",
        "calendar_id": "{calendar}",
    }}
)
account._token_store().write_cache({cache!r})
env.cr.commit()
print("[crash] account", account.id)
"""

SYNC = """
env["outlook.account"].search([]).write({"next_sync_at": False})  # due now
env["outlook.account"]._cron_sync()
env.cr.commit()
print("[crash] synced")
"""

CREATE_ODOO_EVENTS = """
from datetime import datetime, timedelta
admin = env.ref("base.user_admin")
start = datetime.fromisoformat("{start}")
env["calendar.event"].create([
    {{
        "name": f"Odoo {{n}}",
        "start": start + timedelta(hours=n),
        "stop": start + timedelta(hours=n, minutes=30),
        "user_id": admin.id,
        "partner_ids": [(6, 0, admin.partner_id.ids)],
    }}
    for n in range({count})
])
env.cr.commit()
"""

EDIT_AND_ADD = """
from datetime import datetime, timedelta
admin = env.ref("base.user_admin")
events = env["calendar.event"].search([("name", "in", [f"Odoo {{n}}" for n in range({edited})])])
for event in events:
    event.write({{"name": event.name + " (edited)"}})
start = datetime.fromisoformat("{start}")
env["calendar.event"].create([
    {{
        "name": f"Late {{n}}",
        "start": start + timedelta(days=1, hours=n),
        "stop": start + timedelta(days=1, hours=n, minutes=30),
        "user_id": admin.id,
        "partner_ids": [(6, 0, admin.partner_id.ids)],
    }}
    for n in range({edited})
])
env.cr.commit()
"""


class CrashCheck:
    def __init__(self, template, odoo_bin, config):
        self.database = f"{template}_crash"
        self.template = template
        self.odoo_bin = odoo_bin
        self.config = config
        self.emulator = GraphEmulator(seed="empty")
        self.figures = {"kills": 0, "processes": 0}

    def run(self):
        started = time.monotonic()
        self.copy_database()
        with self.emulator:
            self.emulator.add_mailbox(MAILBOX)
            # requests (here and in the Odoo processes) trusts the emulator's CA.
            os.environ["REQUESTS_CA_BUNDLE"] = str(self.emulator.bundle_path)
            self.environ = dict(os.environ)
            self.odoo(self.setup_script())
            for n in range(OUTLOOK_EVENTS):
                start = START + timedelta(minutes=15 * n)
                self.emulator.create_event(
                    MAILBOX,
                    {
                        "subject": f"Outlook {n}",
                        "start": graph_time(start),
                        "end": graph_time(start + timedelta(minutes=15)),
                    },
                )
            self.phase_import_paging()
            self.phase_between_export_batches()
            self.phase_after_graph_applied()
            self.quiet_sync()
        self.drop_database()
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
        self.odoo(CREATE_ODOO_EVENTS.format(start=START.replace(tzinfo=None), count=ODOO_EVENTS))
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
        self.odoo(EDIT_AND_ADD.format(start=START.replace(tzinfo=None), edited=EDITED))
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

    # --- Odoo processes ---------------------------------------------------------------------

    def odoo_process(self, script):
        self.figures["processes"] += 1
        process = subprocess.Popen(
            [
                sys.executable,
                self.odoo_bin,
                "shell",
                "-c",
                self.config,
                "-d",
                self.database,
                "--no-http",
                "--log-level=warn",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=self.environ,
            text=True,
        )
        process.stdin.write(script)
        process.stdin.close()
        return process

    def odoo(self, script):
        process = self.odoo_process(script)
        output = process.stdout.read()
        if process.wait() != 0 or "Traceback" in output:
            sys.exit(f"[crash] an Odoo process failed:\n{output}")
        return output

    def sync(self):
        output = self.odoo(SYNC)
        if "[crash] synced" not in output:
            sys.exit(f"[crash] the sync did not run:\n{output}")

    def kill_when(self, reached):
        """Start a sync and SIGKILL it once ``reached()`` (the held request is in flight)."""
        process = self.odoo_process(SYNC)
        deadline = time.monotonic() + WAIT
        while not reached():
            if process.poll() is not None:
                sys.exit(f"[crash] the sync ended before the kill:\n{process.stdout.read()}")
            if time.monotonic() > deadline:
                process.kill()
                sys.exit("[crash] the sync never reached the phase to kill it at")
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
        self.figures["kills"] += 1

    def setup_script(self):
        auth = OutlookAuth(
            client_id=self.emulator.client_id,
            client_credential=self.emulator.client_secret,
            authority=self.emulator.authority,
            cache_blob=None,
            http_client=requests.Session(),
        )
        authorize_url, flow = auth.start_sign_in(
            redirect_uri="http://localhost/microsoft_account/authentication", state="crash"
        )
        redirect = urlsplit(self.emulator.sign_in(MAILBOX, authorize_url))
        query = {key: values[0] for key, values in parse_qs(redirect.query).items()}
        identity = auth.finish_sign_in(flow, query)
        graph = GraphClient(requests.Session, self.emulator.graph, auth.access_token)
        calendar = next(cal for cal in graph.list_calendars() if cal.get("isDefaultCalendar"))
        graph.close()
        settings = {
            "outlook_calendar_sync.enabled": "True",
            "outlook_calendar_sync.client_id": self.emulator.client_id,
            "outlook_calendar_sync.client_secret": self.emulator.client_secret,
            "outlook_calendar_sync.authority_host": self.emulator.url,
            "outlook_calendar_sync.tenant": "common",
            "outlook_calendar_sync.graph_endpoint": self.emulator.graph,
        }
        return SETUP.format(
            settings=json.dumps(settings),
            mailbox=MAILBOX,
            home=identity.home_account_id,
            calendar=calendar["id"],
            cache=auth.cache_blob_if_changed(),
        )

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

    # --- the database -----------------------------------------------------------------------

    def copy_database(self):
        self._admin(
            f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)',
            f'CREATE DATABASE "{self.database}" TEMPLATE "{self.template}"',
        )

    def drop_database(self):
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    @staticmethod
    def _admin(*statements):
        conn = psycopg2.connect(dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cr:
            for statement in statements:
                cr.execute(statement)
        conn.close()


def graph_time(moment):
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


if __name__ == "__main__":
    template, odoo_dir, config = sys.argv[1:4]
    CrashCheck(template, str(Path(odoo_dir) / "odoo-bin"), config).run()
