"""`make bench`: this addon against Odoo's built-in `microsoft_calendar`, on one Graph emulator.

Scenarios, for each implementation in its own fresh database:
- ``import``: an Outlook calendar of N generated items (10 % series, 30 % with attendees, HTML
  bodies, seven time zones, all-day events) synced into an empty Odoo;
- ``quiet``: one more sync with nothing changed;
- ``incremental``: 10 changes in Outlook and 10 in Odoo, then one sync;
- ``export`` (N = 1,000, ``--export-n``): Alice's Odoo calendar synced into an empty Outlook
  calendar, once with the emulator's throttling off and once on, at Microsoft's numbers
  (a token bucket of 10,000 per 600 s: 1,000 items cannot take less than ~60 s);
- ``latency`` (this addon only, ``--latency-samples``): seconds from a change in Outlook to the
  Odoo record updated, change notifications on, on a real Odoo server with a cron thread
  (dev/bench_latency.py);
- ``early series`` (this addon only, ``--early-series``, default 20): an Outlook calendar of
  weekly series that began before the window, imported once as Graph sends it with their
  masters and once with the emulator leaving those masters out of delta (as other Graph
  integrations report): the second row counts what reading the masters by id costs;
- ``fleet`` (``--fleet``, default 1,000 mailboxes of 50 events; ``--only-fleet`` runs only
  these rows): the sync cron of real Odoo servers over many connected mailboxes, with 1 and 2
  cron workers, and the built-in's cron on part of them (dev/bench_fleet.py).

Writes bench/results.json (the rows), bench/results.md (the table, the targets) and
bench/results.png (the chart the README shows).

The emulator runs in this process; every Odoo step runs in a worker process
(dev/bench_worker.py), each measured sync in a cold one. Figures come from the emulator's
counters (diffed around the step) and from the worker (wall time, peak memory).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_calendar import BenchEvent, generate, to_graph
from bench_chart import draw
from bench_fleet import FleetRun, fleet_family
from bench_latency import measure, summary
from bench_report import Row, headlines, text_table, write_results
from bench_targets import goals
from harness import (
    DEV,
    ROOT,
    ProcessFailed,
    copy_db,
    drop_db,
    free_port,
    graph_event,
    install,
    load_pg_env,
    odoo_server,
    one_value,
    run_worker,
    wait_for,
)

from graph_emulator import GraphEmulator

WORK_DIR = DEV / "bench"
OUT_DIR = ROOT / "bench"
MPL_DIR = DEV / "mpl"
WORKER = ROOT / "dev" / "bench_worker.py"
OURS, BUILTIN = "outlook_calendar_sync", "microsoft_calendar"
DB_PREFIX = "ocs_bench"
ALICE = "alice@example.com"
EDITS_PER_SIDE = 10
WORKER_TIMEOUT = 1200
# Set-up of a fresh database: Settings, the user Alice, her Outlook connection.
CONNECT = ["prepare", "connect"]
# The early-series rows: with the masters in delta, then without them.
EARLY_SCENARIOS = ("early series", "early series, masters left out")

Json = dict[str, Any]


def say(message: str) -> None:
    """One progress line, flushed (make buffers otherwise)."""
    print(f"[bench] {message}", flush=True)


class BenchError(RuntimeError):
    """A step failed; the message says where its log is."""


# ----------------------------------------------------------------------
# Databases
# ----------------------------------------------------------------------


def template_of(impl: str) -> str:
    return f"{DB_PREFIX}_template_{impl}"


def build_templates(impls: list[str]) -> None:
    """A freshly installed database per implementation (both installs run in parallel)."""
    running = []
    for impl in impls:
        db = template_of(impl)
        drop_db(db)
        log = WORK_DIR / f"install-{impl}.log"
        line = [*install(db, impl), f"--logfile={log}"]
        running.append((impl, log, subprocess.Popen(line, cwd=ROOT)))
    for impl, log, process in running:
        if process.wait():
            raise BenchError(f"installing {impl} failed, see {log}")


def fresh_db(impl: str, scenario: str, n: int) -> str:
    """A copy of the implementation's template, for one scenario family."""
    db = f"{DB_PREFIX}_{impl}_{scenario}_{n}"
    copy_db(template_of(impl), db)
    return db


def log_problems(log: Path) -> int:
    """WARNING/ERROR lines in a worker's Odoo log (the built-in logs its failed pushes there)."""
    if not log.exists():
        return 0
    lines = log.read_text(errors="replace").splitlines()
    return sum(" WARNING " in line or " ERROR " in line for line in lines)


@dataclass
class Bench:
    """Where the workers find the emulator, and how they are started."""

    emulator: GraphEmulator

    def worker(
        self, impl: str, db: str, steps: list[str], *, script: Path = WORKER, **extra: Any
    ) -> Json:
        """Run ``steps`` in one fresh Odoo process (``script``: dev/bench_worker.py or
        another with its request format); returns each step's answer."""
        log = WORK_DIR / f"{db}.log"
        problems_before = log_problems(log)
        try:
            answer = run_worker(
                script,
                self.emulator,
                {"impl": impl, "db": db, "steps": steps, **extra},
                log=log,
                work_dir=WORK_DIR,
                timeout=WORKER_TIMEOUT,
            )
        except ProcessFailed as failure:
            raise BenchError(f"{impl} {steps} failed (log {log}):\n{failure}") from failure
        if "sync" in answer:
            answer["sync"]["log_problems"] = log_problems(log) - problems_before
        return answer

    def traffic(self) -> Json:
        counters = self.emulator.counters()
        return {
            "requests": counters["total"],
            "writes": counters["writes"],
            "http_requests": counters["http_requests"],
            "throttled": counters["throttled"],
            "mails": len(self.emulator.sent_mail()),
        }

    def measure(self, impl: str, db: str, steps: list[str], **extra: Any) -> tuple[Json, Json]:
        """Run a worker and return its answer and the Graph traffic it caused, with the
        machine's load before and during it."""
        before = self.traffic()
        with LoadWatch() as load:
            answer = self.worker(impl, db, steps, **extra)
        after = self.traffic()
        return answer, {key: after[key] - before[key] for key in after} | load.figures()


class LoadWatch:
    """The 1-minute load average when entered, and the highest it reaches until left."""

    def __enter__(self) -> LoadWatch:
        self.before = self.highest = os.getloadavg()[0]
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._sampler.join()
        self.highest = max(self.highest, os.getloadavg()[0])

    def _sample(self) -> None:
        while not self._done.wait(0.5):
            self.highest = max(self.highest, os.getloadavg()[0])

    def figures(self) -> Json:
        return {"load_before": round(self.before, 2), "load_during": round(self.highest, 2)}


# ----------------------------------------------------------------------
# Scenarios
# ----------------------------------------------------------------------


def import_family(bench: Bench, impl: str, n: int, calendar: list[BenchEvent]) -> list[Row]:
    """import, then quiet, then incremental, in one database."""
    emulator = bench.emulator
    emulator.reset()
    say(f"{impl} n={n}: loading {n:,} items into Outlook")
    graph_ids = {ev.subject: emulator.create_event(ALICE, to_graph(ev))["id"] for ev in calendar}
    db = fresh_db(impl, "import", n)
    bench.worker(impl, db, CONNECT)
    rows = []
    say(f"{impl} n={n}: import")
    answer, traffic = bench.measure(impl, db, ["sync"])
    note = import_note(answer, calendar)
    imported = row("import", n, impl, answer["sync"], traffic, note=note)
    rows.append(imported)
    if impl == OURS:
        rows.append(floor_row(bench, db, imported))
    settle_first_read(bench, impl, db, answer["sync"])
    say(f"{impl} n={n}: quiet")
    answer, traffic = bench.measure(impl, db, ["sync"])
    rows.append(row("quiet", n, impl, answer["sync"], traffic, note=sync_note(answer["sync"])))
    say(f"{impl} n={n}: incremental (10 changes in Outlook, 10 in Odoo)")
    rows.append(incremental(bench, impl, db, calendar=calendar, graph_ids=graph_ids))
    return rows


def settle_first_read(bench: Bench, impl: str, db: str, sync: Json) -> None:
    """A first read of Outlook stops after a page budget and the next runs go on with it: on a
    big calendar those runs (unmeasured) finish the import, so that the quiet and incremental
    rows measure a synced calendar."""
    runs = 0
    while sync.get("read_unfinished"):
        runs += 1
        say(f"{impl}: the first read of Outlook goes on (run {runs + 1})")
        sync = bench.worker(impl, db, ["sync"])["sync"]


def floor_row(bench: Bench, db: str, imported: Row) -> Row:
    """Odoo's own cost of the records the import made (see bench_worker.floor); the import row
    gets its ratio to it."""
    say(f"floor n={imported.n}: the imported records created again by the ORM alone")
    answer, traffic = bench.measure(OURS, db, ["floor"])
    floor = answer["floor"]
    ratio = imported.wall_s / floor["wall_s"] if floor["wall_s"] else None
    imported.note += f"; {ratio:.2f}x the floor" if ratio else ""
    note = (
        f"{floor['created']} Odoo events from {floor['singles']} singles + {floor['series']} "
        "series, created by the ORM in Alice's context, no sync (rolled back)"
    )
    return row("floor", imported.n, OURS, floor, traffic, note=note)


def early_series_family(bench: Bench, count: int) -> list[Row]:
    """``count`` weekly series that began six weeks ago (before the 30-day window) imported,
    with their masters in delta, then without them."""
    emulator = bench.emulator
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    start -= timedelta(weeks=6)
    rows = []
    for masters_left_out in (False, True):
        emulator.reset()
        emulator.omit_early_series_masters(masters_left_out)
        for index in range(count):
            first = start + timedelta(days=index % 7, minutes=30 * (index // 7))
            emulator.create_event(ALICE, early_series(f"Early series {index}", first))
        db = fresh_db(OURS, "early_masters" if masters_left_out else "early", count)
        bench.worker(OURS, db, CONNECT)
        scenario = EARLY_SCENARIOS[masters_left_out]
        say(f"{OURS} n={count}: {scenario}")
        answer, traffic = bench.measure(OURS, db, ["sync"])
        rows.append(
            row(scenario, count, OURS, answer["sync"], traffic, note=sync_note(answer["sync"]))
        )
    return rows


def early_series(subject: str, first: datetime) -> Json:
    """A weekly series of 12 half-hour meetings from ``first`` (UTC)."""
    return graph_event(
        subject,
        first,
        30,
        recurrence={
            "pattern": {
                "type": "weekly",
                "interval": 1,
                "daysOfWeek": [first.strftime("%A").lower()],
            },
            "range": {
                "type": "numbered",
                "startDate": first.date().isoformat(),
                "numberOfOccurrences": 12,
            },
        },
    )


def incremental(
    bench: Bench, impl: str, db: str, *, calendar: list[BenchEvent], graph_ids: dict[str, str]
) -> Row:
    """4 edits, 3 creates, 3 deletes on each side, on distinct single events; then one sync.

    The Outlook edits are the user's (the emulator's API, not Graph requests); what they mail is
    left out. On the built-in, the Odoo edits are pushed by post-commit hooks at their commit:
    that traffic and time are added to the sync's.
    """
    singles = [ev for ev in calendar if not ev.series and not ev.all_day]
    outlook, odoo = [ev.subject for ev in singles[:7]], [ev.subject for ev in singles[-7:]]
    edit_outlook(bench.emulator, outlook, singles[7:10], graph_ids)
    edits = {
        "update": odoo[:4],
        "delete": odoo[4:7],
        "create": [f"New in Odoo {index}" for index in range(3)],
        "outlook_update": outlook[:4],
        "outlook_delete": outlook[4:7],
    }
    before = bench.traffic()
    edited = bench.worker(impl, db, ["edit_odoo"], odoo_edits=edits)
    pushed = bench.traffic()
    with LoadWatch() as load:
        answer = bench.worker(impl, db, ["sync", "check_edits"], odoo_edits=edits)
    after = bench.traffic()
    traffic = {key: after[key] - pushed[key] for key in after}
    hooks = {key: pushed[key] - before[key] for key in after}
    arrived = answer["check_edits"]["outlook_edits_in_odoo"]
    note = (
        f"Outlook→Odoo {arrived}/10, Odoo→Outlook {odoo_edits_in_outlook(bench.emulator, edits)}"
        f"/10 arrived; {sync_note(answer['sync'])}"
    )
    if impl == BUILTIN:
        answer["sync"]["wall_s"] += edited["edit_odoo"]["commit_s"]
        traffic = {key: traffic[key] + hooks[key] for key in traffic}
        note += f"; incl. the edit commit's hooks ({hooks['requests']} requests)"
    traffic |= load.figures()
    return row("incremental", len(calendar), impl, answer["sync"], traffic, note=note)


def edit_outlook(
    emulator: GraphEmulator,
    subjects: list[str],
    templates: list[BenchEvent],
    graph_ids: dict[str, str],
) -> None:
    """Alice in Outlook: renames 4 events, deletes 3, creates 3 (copies of other singles)."""
    for subject in subjects[:4]:
        emulator.update_event(
            ALICE, graph_ids[subject], {"subject": f"{subject} (edited in Outlook)"}
        )
    for subject in subjects[4:7]:
        emulator.delete_event(ALICE, graph_ids[subject])
    for index, event in enumerate(templates):
        emulator.create_event(ALICE, {**to_graph(event), "subject": f"New in Outlook {index}"})


def odoo_edits_in_outlook(emulator: GraphEmulator, edits: Json) -> int:
    """How many of the 10 Odoo edits Alice's Outlook calendar shows."""
    subjects = {event["subject"] for event in emulator.events(ALICE)}
    moved = sum(f"{name} (moved)" in subjects for name in edits["update"])
    created = sum(name in subjects for name in edits["create"])
    deleted = sum(name not in subjects for name in edits["delete"])
    return moved + created + deleted


def export_family(
    bench: Bench, impl: str, calendar: list[BenchEvent], unthrottled: Row | None = None
) -> Row:
    """Alice's Odoo calendar into an empty Outlook calendar; throttled when given the
    unthrottled run, whose request count is the work the bound is computed for."""
    throttled = unthrottled is not None
    emulator = bench.emulator
    emulator.reset()
    label = "export (throttled)" if throttled else "export"
    n = len(calendar)
    db = fresh_db(impl, "export_throttled" if throttled else "export", n)
    steps = CONNECT + (["first_sync"] if impl == BUILTIN else [])
    bench.worker(impl, db, steps)
    calendar_file = WORK_DIR / f"calendar-{n}.json"
    calendar_file.write_text(json.dumps([ev.as_json() for ev in calendar]))
    seeded = bench.worker(impl, db, ["seed_odoo"], calendar_file=str(calendar_file))["seed_odoo"]
    emulator.set_throttling(throttled)
    say(f"{impl} n={n}: {label}" + (" (paced by the token bucket: a minute or so)" * throttled))
    answer, traffic = bench.measure(impl, db, ["sync"])
    bound = throttle_bound(emulator, unthrottled.requests or 0) if unthrottled else None
    emulator.set_throttling(False)
    note = export_note(answer["sync"], seeded, traffic, throttled)
    note += f"; {len(emulator.events(ALICE))} items in Outlook after the sync"
    result = row("export", n, impl, answer["sync"], traffic, note=note, throttled=throttled)
    result.bound_s = bound
    return result


def throttle_bound(emulator: GraphEmulator, work: int) -> float:
    """The fewest seconds the emulator's token bucket lets ``work`` requests take (those of the
    same export unthrottled): all but a full bucket's worth wait for tokens refilled at the
    configured rate. Counting the throttled run's own admitted requests instead would let a run
    that gives up early look fast."""
    cfg = emulator.traffic.throttle
    return round(max(work - cfg.capacity, 0) / cfg.rate, 1)


def row(
    scenario: str,
    n: int,
    impl: str,
    sync: Json,
    traffic: Json,
    *,
    note: str,
    throttled: bool = False,
) -> Row:
    return Row.of_traffic(
        scenario,
        n,
        impl,
        sync["wall_s"],
        traffic,
        peak_mb=round(sync["peak_mb"], 1),
        throttled=throttled,
        note=note,
    )


def latency_family(bench: Bench, samples: int) -> Row:
    """Outlook changes one at a time, each timed until Odoo holds it (webhooks on)."""
    emulator = bench.emulator
    emulator.reset()
    db = fresh_db(OURS, "latency", samples)
    port = free_port()
    bench.worker(OURS, db, [*CONNECT, "enable_webhooks"], odoo_url=f"http://127.0.0.1:{port}")
    log = WORK_DIR / f"{db}.log"
    say(f"latency: Odoo with one cron thread on port {port}; {samples} changes in Outlook")
    with odoo_server(db, port, str(emulator.bundle_path), log):
        wait_for(emulator.subscriptions, 120, "Odoo's subscription")
        first_sync = "SELECT last_sync_at FROM outlook_account WHERE state = 'active'"
        wait_for(lambda: one_value(db, first_sync), 120, "the first sync")
        before = bench.traffic()
        latencies = measure(emulator, db, samples)
        after = bench.traffic()
    median, p95 = summary(latencies)
    traffic = {key: after[key] - before[key] for key in after}
    acks = [d["seconds"] for d in emulator.notifications() if d["kind"] == "change"]
    note = (
        f"median {median:.2f} s, p95 {p95:.2f} s, max {max(latencies):.2f} s over {samples} "
        f"Outlook changes (creates and renames in turn); {len(acks)} notifications, each "
        f"acknowledged (202) within {max(acks, default=0) * 1000:.0f} ms"
    )
    return Row.of_traffic("latency", samples, OURS, median, traffic, note=note, p95_s=round(p95, 2))


# ----------------------------------------------------------------------
# Notes: what each side did, in words
# ----------------------------------------------------------------------


def sync_note(sync: Json) -> str:
    """The sync's own counts (ours: its sync log), else how Alice's Odoo calendar changed."""
    counts = {key: value for key, value in sync.get("counts", {}).items() if value}
    parts = [f"{key}={value}" for key, value in counts.items()]
    before, after = sync["odoo_before"]["events"], sync["odoo_events"]["events"]
    if not counts and before != after:
        parts.append(f"Odoo events {before}→{after}")
    if sync.get("log_problems"):
        parts.append(f"{sync['log_problems']} warnings/errors in the Odoo log")
    if sync.get("errors"):
        parts.append(f"errors={sync['errors']}")
    if sync.get("state") not in (None, "done"):
        parts.append(f"state={sync['state']}")
    return ", ".join(parts) or "nothing to do"


def import_note(answer: Json, calendar: list[BenchEvent]) -> str:
    sync = answer["sync"]
    odoo = sync["odoo_events"]
    series = sum(1 for ev in calendar if ev.series)
    return (
        f"Odoo now has {odoo['events']} events ({odoo['recurring_events']} in "
        f"{odoo['recurrences']} recurrences) from {len(calendar) - series} singles "
        f"+ {series} series; {sync_note(sync)}"
    )


def export_note(sync: Json, seeded: Json, traffic: Json, throttled: bool) -> str:
    refused = len(seeded["refused"])
    parts = [f"{seeded['singles']} singles + {seeded['series']} series in Odoo"]
    if refused:
        parts.append(f"{refused} series refused at creation: {seeded['refused'][0]}")
    parts.append(sync_note(sync))
    if throttled:
        parts.append(f"{traffic['throttled']} answers 429")
    return "; ".join(parts)


# ----------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------


def run(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    impls = args.impls.split(",")
    only = args.only_latency or args.only_fleet
    say(f"installing fresh templates of {', '.join(impls)}")
    build_templates(impls)
    with GraphEmulator(seed="empty") as emulator:
        bench = Bench(emulator)
        for impl in [] if only else impls:
            for n in args.sizes:
                rows += import_family(bench, impl, n, generate(n))
            export_calendar = generate(args.export_n)
            rows.append(export_family(bench, impl, export_calendar))
            rows.append(export_family(bench, impl, export_calendar, unthrottled=rows[-1]))
            say(f"{impl} done:\n{text_table([r for r in rows if r.impl == impl])}")
        if OURS in impls and args.early_series and not only:
            rows += early_series_family(bench, args.early_series)
        if OURS in impls and args.latency_samples and not args.only_fleet:
            rows.append(latency_family(bench, args.latency_samples))
        if OURS in impls and args.fleet and not args.only_latency:
            fleet = FleetRun(bench=bench, fresh_db=fresh_db, work_dir=WORK_DIR, say=say)
            builtin_n = args.fleet_builtin if BUILTIN in impls else 0
            rows += fleet_family(fleet, args.fleet, args.fleet_events, builtin_n)
            say(f"fleet done:\n{text_table([r for r in rows if r.scenario == 'fleet'])}")
    return rows


def previous_rows() -> list[Row]:
    """The rows of the last full run (bench/results.json), but its fleet rows."""
    path = OUT_DIR / "results.json"
    if not path.exists():
        return []
    return [Row(**row) for row in json.loads(path.read_text()) if row["scenario"] != "fleet"]


def machine_line(took_s: float) -> str:
    """The chart's subtitle: when and how long."""
    return f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, whole run {took_s / 60:.1f} min"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="calendar sizes (default 1000,5000)")
    parser.add_argument("--export-n", type=int, default=1000, help="size of the export")
    parser.add_argument("--impls", default=f"{OURS},{BUILTIN}", help="which implementations")
    parser.add_argument(
        "--early-series",
        type=int,
        default=20,
        help="series begun before the window, imported with and without their masters in delta "
        "(0: no such rows)",
    )
    parser.add_argument(
        "--latency-samples", type=int, default=20, help="Outlook changes timed (0: no latency row)"
    )
    parser.add_argument(
        "--only-latency",
        action="store_true",
        help="only the latency row, printed (bench/results.* are left as they are)",
    )
    parser.add_argument(
        "--fleet", type=int, default=1000, help="mailboxes of the fleet rows (0: none)"
    )
    parser.add_argument("--fleet-events", type=int, default=50, help="events per fleet mailbox")
    parser.add_argument(
        "--fleet-builtin",
        type=int,
        default=200,
        help="mailboxes of the fleet the built-in syncs (0: none)",
    )
    parser.add_argument(
        "--only-fleet",
        action="store_true",
        help="only the fleet rows, merged into bench/results.json and results.md (the other "
        "rows and the chart are kept from the last run)",
    )
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    load_pg_env()
    rows = run(args)
    print(text_table(rows), flush=True)
    if args.only_latency:
        return 0
    if args.only_fleet:
        rows = previous_rows() + rows
    findings = headlines([r for r in rows if r.scenario != "fleet"])
    print("\n".join(findings), flush=True)
    sizes = args.sizes
    targets = goals(rows, big=max(sizes), small=min(sizes), export_n=args.export_n)
    print("\n".join(targets), flush=True)
    took = time.perf_counter() - started
    write_results(OUT_DIR, rows, findings, targets, took)
    if args.only_fleet:
        say(f"fleet rows merged into {OUT_DIR / 'results.json'} and results.md")
        return 0
    # The chart compares both implementations per scenario: latency, the floor and the early
    # series are ours only, the fleet rows have a table of their own.
    ours_only = ("latency", "fleet", "floor", *EARLY_SCENARIOS)
    compared = [r for r in rows if r.scenario not in ours_only]
    chart = draw(compared, OUT_DIR / "results.png", MPL_DIR, f" ({machine_line(took)})")
    say(f"written {OUT_DIR / 'results.json'}, results.md and {chart.name} in {took / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
