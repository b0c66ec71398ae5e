"""Run by `make test`: arriving with a calendar already on both sides duplicates nothing.

``--scenario switch`` (the default), in a database of its own, against the Graph emulator (in
this process), every Odoo step in a worker process (dev/switch_worker.py):

1. Odoo's built-in ``microsoft_calendar`` is installed and pointed at the emulator, as
   `make bench` does; Alice connects it; N/2 events from her Outlook calendar are synced into
   Odoo and N/2 events of her Odoo calendar into Outlook (single events only).
2. The built-in is uninstalled (``microsoft_account`` with it), this addon installed; Alice
   connects; one sync.
3. This addon is uninstalled and installed again; Alice connects; one sync.
4. ``odoo-bin neutralize`` runs on the database: no account may sync any more.

After 2 and 3: no event created in Outlook, nobody mailed, all N events paired (none imported
or exported), no subject at the same start twice on either side, and a second sync writes
nothing. ``--scenario present`` measures the first sync of this addon on a calendar kept on
both sides by hand (see ``Switch.present``): pairs, imports, exports, ambiguities, mail.

Prints a line per step and the figures; exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_calendar import BenchEvent, end_of, generate, to_graph, utc_naive
from harness import (
    DEV,
    ROOT,
    CheckFailed,
    ProcessFailed,
    check,
    drop_db,
    load_pg_env,
    narrator,
    odoo_command,
    run_worker,
)

from graph_emulator import GraphEmulator

OURS, BUILTIN = "outlook_calendar_sync", "microsoft_calendar"
ALICE = "alice@example.com"
WORK_DIR = DEV / "switch"
WORKER = ROOT / "dev" / "switch_worker.py"
DB = "outlook_calendar_sync_switch"
WORKER_TIMEOUT = 900

Json = dict[str, Any]
say = narrator("switch")


class Switch:
    """The emulator, the database and the figures of one run."""

    def __init__(self, emulator: GraphEmulator, n: int):
        self.emulator = emulator
        self.n = n
        calendar = [event for event in generate(n * 2) if not event.series][:n]
        self.from_outlook = calendar[: n // 2]
        self.from_odoo = calendar[n // 2 :]
        self.figures: dict[str, Json] = {}

    def odoo_bin(self, *args: str, command: str = "server") -> None:
        log = WORK_DIR / f"{DB}.log"
        line = odoo_command("-d", DB, *args, command=command)
        if command == "server":
            line += ["--no-http", "--log-level=warn", f"--logfile={log}"]
        if subprocess.run(line, cwd=ROOT, capture_output=True, check=False).returncode:
            raise CheckFailed(f"odoo-bin {command} {' '.join(args)} failed, see {log}")

    def worker(self, *steps: str, **extra: Any) -> Json:
        log = WORK_DIR / f"{DB}.log"
        try:
            return run_worker(
                WORKER,
                self.emulator,
                {"db": DB, "steps": steps, **extra},
                log=log,
                work_dir=WORK_DIR,
                timeout=WORKER_TIMEOUT,
            )
        except ProcessFailed as failure:
            raise CheckFailed(f"{list(steps)} failed (log {log}):\n{failure}") from failure

    def seed_odoo(self, events: list[BenchEvent]) -> None:
        calendar_file = WORK_DIR / "odoo_calendar.json"
        calendar_file.write_text(json.dumps([event.as_json() for event in events]))
        self.worker("seed_odoo", calendar_file=str(calendar_file))

    def traffic(self) -> Json:
        counters = self.emulator.counters()
        creates = sum(
            count
            for path, count in counters["by_path"].items()
            if path.startswith("POST ") and path.endswith("/events")
        )
        return {
            "creates": creates,
            "writes": counters["writes"],
            "mails": len(self.emulator.sent_mail()),
        }

    def outlook_duplicates(self) -> list[str]:
        seen = Counter(
            (ev["subject"], ev["start"]["dateTime"]) for ev in self.emulator.events(ALICE)
        )
        return [f"{subject} {start}" for (subject, start), n in seen.items() if n > 1]

    def connect_and_sync(self, label: str, expect: Json | None = None) -> None:
        """Alice connects this addon and syncs twice; the checks of the module docstring.
        ``expect``: other figures than "all N paired" (the mixed calendar of ``present``)."""
        expect = {
            "paired": self.n,
            "pulled_created": 0,
            "pushed_created": 0,
            "ambiguous": 0,
            "links": self.n,
            "twins": 0,
            **(expect or {}),
        }
        before = self.traffic()
        answer = self.worker("configure_ours", "connect_ours", "sync_ours", "inspect")
        first = answer["sync_ours"]
        after = self.traffic()
        self.worker("sync_ours")
        figures = {
            **{key: first[key] for key in ("paired", "pulled_created", "pushed_created")},
            "pulled_updated": first["pulled_updated"],
            "pushed_updated": first["pushed_updated"],
            "first_sync_s": first["wall_s"],
            "conflicts": first["conflicts"],
            "conflict_fields": first["conflict_fields"],
            "ambiguous": len(first["ambiguous"] or []),
            "links": first["links"],
            "outlook_creates": after["creates"] - before["creates"],
            "mails": after["mails"] - before["mails"],
            "writes": after["writes"] - before["writes"],
            "second_sync_writes": self.traffic()["writes"] - after["writes"],
            "odoo_events": answer["inspect"]["events"],
            "outlook_events": len(self.emulator.events(ALICE)),
        }
        self.figures[label] = figures
        say(f"{label}: {json.dumps(figures)}")
        check(
            first["state"] == "done", f"{label}: the sync ended {first['state']}: {first['errors']}"
        )
        for key in ("paired", "pulled_created", "pushed_created", "ambiguous", "links"):
            check(figures[key] == expect[key], f"{label}: {key} {figures[key]}, not {expect[key]}")
        check(
            figures["outlook_creates"] == expect["pushed_created"],
            f"{label}: events created in Outlook for events it had",
        )
        check(figures["mails"] == 0, f"{label}: attendees were mailed")
        duplicates = answer["inspect"]["duplicates"]
        check(len(duplicates) == expect["twins"], f"{label}: Odoo duplicates {duplicates}")
        check(not self.outlook_duplicates(), f"{label}: Outlook duplicates")
        check(figures["second_sync_writes"] == 0, f"{label}: the second sync wrote to Outlook")

    def switch(self) -> None:
        say(f"installing {BUILTIN} in {DB}")
        self.odoo_bin("-i", BUILTIN, "--stop-after-init", "--without-demo=all")
        say(
            f"built-in: Alice connects, {len(self.from_outlook)} Outlook events in, "
            f"{len(self.from_odoo)} Odoo events out"
        )
        self.worker("prepare_builtin", "connect_builtin")
        for event in self.from_outlook:
            self.emulator.create_event(ALICE, to_graph(event))
        self.worker("sync_builtin")
        self.seed_odoo(self.from_odoo)
        before = self.traffic()
        self.worker("sync_builtin")
        after = self.traffic()
        synced = self.worker("inspect")["inspect"]
        self.figures["built-in"] = {
            "odoo_events": synced["events"],
            "outlook_events": len(self.emulator.events(ALICE)),
            "outlook_creates": after["creates"] - before["creates"],
            "mails": after["mails"] - before["mails"],
        }
        say(f"built-in: {json.dumps(self.figures['built-in'])}")
        check(synced["events"] == self.n, f"the built-in left {synced['events']} events in Odoo")
        check(len(self.emulator.events(ALICE)) == self.n, "the built-in did not sync everything")

        say(f"uninstalling {BUILTIN}, installing {OURS}")
        self.worker("uninstall", modules=["microsoft_account", BUILTIN])
        self.worker("install", modules=[OURS])
        self.connect_and_sync("switched")

        say(f"uninstalling and reinstalling {OURS}")
        self.worker("uninstall", modules=[OURS])
        self.worker("install", modules=[OURS])
        self.connect_and_sync("reinstalled")

        say("odoo-bin neutralize")
        self.odoo_bin(command="neutralize")
        accounts = self.worker("accounts")["accounts"]["accounts"]
        say(f"neutralized accounts (state, has tokens, has delta link): {accounts}")
        check(
            all(row == ["paused", False, False] for row in accounts) and accounts,
            "neutralize left an account able to sync",
        )

    def present(self) -> None:
        """A calendar kept by hand on both sides, then connected: 90 % of it on both sides (a
        few of those edited in Outlook since), 5 % only in Outlook, 5 % only in Odoo, and one
        event twice in Odoo (an ambiguity: left alone)."""
        calendar = self.from_outlook + self.from_odoo
        shared_n = self.n * 9 // 10
        only_odoo_n = (self.n - shared_n) // 2
        shared = calendar[:shared_n]
        only_odoo = calendar[shared_n : shared_n + only_odoo_n]
        only_outlook = calendar[shared_n + only_odoo_n :]
        edited = shared[1 : 1 + max(1, self.n // 50)]
        twin = shared[0]
        say(
            f"installing {OURS} in {DB}; {len(shared)} events on both sides ({len(edited)} "
            f"edited in Outlook), {len(only_outlook)} only in Outlook, {len(only_odoo)} only in "
            f"Odoo, one twice in Odoo"
        )
        self.odoo_bin("-i", OURS, "--stop-after-init", "--without-demo=all")
        self.worker("configure_ours")
        self.seed_odoo([*shared, *only_odoo, twin])
        for event in [*shared, *only_outlook]:
            moved = replace(event, location="Atrium (moved in Outlook)")
            self.emulator.create_event(ALICE, to_graph(moved if event in edited else event))
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        exported = sum(utc_naive(end_of(event), event.zone) > now for event in only_odoo)
        self.connect_and_sync(
            "present",
            {
                "paired": len(shared) - 1,
                "pulled_created": len(only_outlook),
                "pushed_created": exported,
                "ambiguous": 1,
                "links": len(shared) - 1 + len(only_outlook) + exported,
                "twins": 1,
            },
        )
        figures = self.figures["present"]
        check(
            figures["conflict_fields"] == {"location": len(edited)},
            f"present: the Outlook edits are not the conflicts {figures['conflict_fields']}",
        )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="events in the calendar (default 40)")
    parser.add_argument("--scenario", choices=("switch", "present"), default="switch")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    (WORK_DIR / f"{DB}.log").unlink(missing_ok=True)
    load_pg_env()
    drop_db(DB)
    try:
        with GraphEmulator(seed="empty") as emulator:
            run = Switch(emulator, args.n)
            getattr(run, args.scenario)()
    except CheckFailed as failure:
        say(f"FAILED: {failure}")
        return 1
    finally:
        if not args.keep:
            drop_db(DB)
    (WORK_DIR / f"{args.scenario}-{args.n}.json").write_text(json.dumps(run.figures, indent=2))
    say(f"{args.scenario} n={args.n}: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
