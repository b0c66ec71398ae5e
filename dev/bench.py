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
import io
import json
import os
import pstats
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
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
    profile: bool = False
    # --profile: the size whose import is profiled again, and what that profile found.
    profile_import_n: int = 0
    import_steps: list[str] = field(default_factory=list)

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
        floor = rows[-1]
    if more_runs := settle_first_read(bench, impl, db, answer["sync"]):
        imported.note += (
            f"; this first run read Outlook up to its page budget, {more_runs} more runs "
            "(not measured) finished the import before the next rows"
        )
    rows += quiet_rows(bench, impl, db, n)
    if impl == OURS and bench.profile:
        profile_quiet(bench, db, n)
    say(f"{impl} n={n}: incremental (10 changes in Outlook, 10 in Odoo)")
    rows.append(incremental(bench, impl, db, calendar=calendar, graph_ids=graph_ids))
    if impl == OURS and bench.profile and n == bench.profile_import_n:
        bench.import_steps = profile_import(bench, n, calendar, imported, floor)
    return rows


def settle_first_read(bench: Bench, impl: str, db: str, sync: Json) -> int:
    """A first read of Outlook stops after a page budget and the next runs go on with it: on a
    big calendar those runs (unmeasured) finish the import, so that the quiet and incremental
    rows measure a synced calendar. Returns how many runs it took."""
    runs = 0
    while sync.get("read_unfinished"):
        runs += 1
        say(f"{impl}: the first read of Outlook goes on (run {runs + 1})")
        sync = bench.worker(impl, db, ["sync"])["sync"]
    return runs


def quiet_rows(bench: Bench, impl: str, db: str, n: int) -> list[Row]:
    """On this addon: the first sync after the import (``quiet, after import``: it looks again
    at the events the import created, see the README), then a quiet sync as the first of a
    fresh process (``quiet``: the registry loaded, nothing else warm yet) and a second one in
    the same process (``quiet, warm``: what each account costs a cron worker that syncs many in
    turn). On the built-in: its first sync after the import."""
    if impl != OURS:
        say(f"{impl} n={n}: quiet")
        answer, traffic = bench.measure(impl, db, ["sync"])
        return [row("quiet", n, impl, answer["sync"], traffic, note=sync_note(answer["sync"]))]
    say(f"{impl} n={n}: the first sync after the import")
    answer, traffic = bench.measure(impl, db, ["sync"])
    after_import = answer["sync"]
    rows = [
        row(
            AFTER_IMPORT,
            n,
            impl,
            after_import,
            traffic,
            note=process_note(after_import, sync_note(after_import)),
        )
    ]
    say(f"{impl} n={n}: quiet, then quiet again in the same process")
    answer, traffic = bench.measure(impl, db, ["sync", "sync_warm"])
    warm = answer["sync_warm"]
    warm_traffic = {**own_traffic(warm), **{key: traffic[key] for key in LOAD_KEYS}}
    cold_traffic = {key: value - warm_traffic.get(key, 0) for key, value in traffic.items()}
    cold_traffic |= {key: traffic[key] for key in LOAD_KEYS}
    cold = answer["sync"]
    return [
        *rows,
        row("quiet", n, impl, cold, cold_traffic, note=process_note(cold, sync_note(cold))),
        row(WARM_QUIET, n, impl, warm, warm_traffic, note=process_note(warm, sync_note(warm))),
    ]


LOAD_KEYS = ("load_before", "load_during")
AFTER_IMPORT, WARM_QUIET = "quiet, after import", "quiet, warm"


def own_traffic(sync: Json) -> Json:
    """The Graph traffic a measured sync counted itself (the emulator's counters around it)."""
    graph = sync["graph"]
    return {
        "requests": graph["total"],
        "writes": graph["writes"],
        "http_requests": graph["http_requests"],
        "throttled": graph["throttled"],
        "mails": 0,
    }


def process_note(sync: Json, note: str) -> str:
    """The sync's CPU time and SQL queries, after its note."""
    return f"{note}; {sync['cpu_s'] * 1000:.0f} ms CPU, {sync['queries']} SQL queries"


def profile_quiet(bench: Bench, db: str, n: int) -> None:
    """cProfile of a fresh process's first quiet sync and of the next one (``--profile``):
    the heaviest functions of each printed, the stats kept beside the logs."""
    prefix = WORK_DIR / f"quiet-{n}"
    answer = bench.worker(OURS, db, ["profile_cold", "profile_warm"], profile_prefix=str(prefix))
    for step in ("profile_cold", "profile_warm"):
        path = answer[step]["profile"]
        say(f"{step} n={n}: {answer[step]['wall_s'] * 1000:.0f} ms under cProfile ({path})")
        out = io.StringIO()
        pstats.Stats(path, stream=out).sort_stats("cumulative").print_stats(PROFILE_LINES)
        print(out.getvalue(), flush=True)


# Functions of a profile printed, by cumulative time.
PROFILE_LINES = 40
# The steps of an import, each a function of the sync (file, name) whose cumulative time the
# import's profile gives; in the order a run calls them. What Odoo itself does on create (the
# floor) happens inside "series" (the recurrences and their events) and "create singles".
IMPORT_STEPS = (
    ("read Outlook (delta pages, series masters)", "sync/run.py", "_pull"),
    ("series: recurrences created, occurrences paired", "sync/series.py", "sync"),
    ("links of the events read", "sync/run.py", "_links_for"),
    ("items: Outlook mapped to Odoo values, unlinked ones paired", "sync/run.py", "_items"),
    ("planner", "services/reconcile.py", "plan"),
    ("push (nothing to send on an import)", "sync/run.py", "_push"),
    ("attendees' partners and tags", "sync/run.py", "_partners_for"),
    ("attendees' partners and tags", "sync/run.py", "_tags_for"),
    ("create singles (the ORM)", "sync/run.py", "_create_local"),
    ("update and archive (the ORM)", "sync/run.py", "_update_local"),
    ("update and archive (the ORM)", "sync/run.py", "_archive_local"),
    ("links stored", "sync/run.py", "_store_links"),
)


def profile_import(
    bench: Bench, n: int, calendar: list[BenchEvent], imported: Row, floor: Row
) -> list[str]:
    """The import of ``n`` once more, in a fresh database, under cProfile: its steps in ms per
    Odoo event created, beside the floor's ms per event (``--profile``, smallest size)."""
    emulator = bench.emulator
    emulator.reset()
    for event in calendar:
        emulator.create_event(ALICE, to_graph(event))
    db = fresh_db(OURS, "import_profiled", n)
    bench.worker(OURS, db, CONNECT)
    prefix = WORK_DIR / f"import-{n}"
    say(f"{OURS} n={n}: the import again, under cProfile")
    sync = bench.worker(OURS, db, ["profile_import"], profile_prefix=str(prefix))
    sync = sync["profile_import"]
    events = sync["odoo_events"]["events"] or 1
    lines = import_steps(pstats.Stats(sync["profile"]), sync["wall_s"], events)
    import_ms, floor_ms = ((r.wall_s or 0) * 1000 / events for r in (imported, floor))
    lines.append(
        f"without the profiler (the rows above): the import {import_ms:.2f} ms/event, the floor "
        f"{floor_ms:.2f} ms/event, the sync's own work {import_ms - floor_ms:.2f} ms/event"
    )
    say(f"import of {n:,} under cProfile, ms per Odoo event ({events:,} events):")
    print("\n".join(lines), flush=True)
    return lines


def import_steps(stats: pstats.Stats, wall_s: float, events: int) -> list[str]:
    """One line per step of ``IMPORT_STEPS``: ms per event, and the rest of the run."""
    cumulative = {
        (path, name): entry[3]
        for (path, _line, name), entry in stats.stats.items()  # type: ignore[attr-defined]
    }
    steps: dict[str, float] = {}
    for label, suffix, name in IMPORT_STEPS:
        seconds = sum(
            ct for (path, func), ct in cumulative.items() if func == name and path.endswith(suffix)
        )
        steps[label] = steps.get(label, 0.0) + seconds
    steps["the rest (log, account, commit)"] = wall_s - sum(steps.values())
    lines = [
        f"{label}: {seconds * 1000 / events:.2f} ms/event under cProfile ({seconds / wall_s:.0%})"
        for label, seconds in steps.items()
    ]
    lines.append(f"the whole import under cProfile: {wall_s * 1000 / events:.2f} ms/event")
    return lines


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


def run(args: argparse.Namespace, import_steps: list[str]) -> list[Row]:
    """Every row of the run; ``import_steps`` gets the import's profile (``--profile``)."""
    rows: list[Row] = []
    impls = args.impls.split(",")
    only = args.only_latency or args.only_fleet
    say(f"installing fresh templates of {', '.join(impls)}")
    build_templates(impls)
    with GraphEmulator(seed="empty") as emulator:
        bench = Bench(emulator, profile=args.profile, profile_import_n=min(args.sizes))
        for impl in [] if only else impls:
            for n in sizes_of(impl, args):
                rows += import_family(bench, impl, n, generate(n))
            if args.export_n:
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
        import_steps += bench.import_steps
    return rows


def sizes_of(impl: str, args: argparse.Namespace) -> list[int]:
    """The calendar sizes ``impl`` is measured on: the built-in's stop at ``--builtin-max``
    (its import grows faster than ours; the targets of the bigger sizes are this addon's)."""
    return [n for n in args.sizes if impl == OURS or n <= args.builtin_max]


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
    parser.add_argument(
        "--sizes", default="1000,5000,20000", help="calendar sizes (default 1000,5000,20000)"
    )
    parser.add_argument(
        "--builtin-max",
        type=int,
        default=5000,
        help="the biggest calendar size the built-in is measured on (default 5000)",
    )
    parser.add_argument(
        "--export-n", type=int, default=1000, help="size of the export (0: no export rows)"
    )
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
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile (cProfile) a fresh process's first quiet sync and the next, per size",
    )
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    load_pg_env()
    import_steps: list[str] = []
    rows = run(args, import_steps)
    print(text_table(rows), flush=True)
    if args.only_latency:
        return 0
    if args.only_fleet:
        rows = previous_rows() + rows
    findings = headlines([r for r in rows if r.scenario != "fleet"])
    print("\n".join(findings), flush=True)
    # The import targets are those of the biggest size the built-in is measured on (a 20k
    # import row is the first run of several, see settle_first_read).
    big = max(sizes_of(BUILTIN, args) or args.sizes)
    targets = goals(rows, big=big, small=min(args.sizes), export_n=args.export_n)
    print("\n".join(targets), flush=True)
    took = time.perf_counter() - started
    write_results(OUT_DIR, rows, findings, targets, took, import_steps=import_steps)
    if args.only_fleet:
        say(f"fleet rows merged into {OUT_DIR / 'results.json'} and results.md")
        return 0
    # The chart compares both implementations per scenario: latency, the floor, the quiet syncs
    # after the import and in a warm process, and the early series are ours only, the fleet
    # rows have a table of their own.
    ours_only = ("latency", "fleet", "floor", AFTER_IMPORT, WARM_QUIET, *EARLY_SCENARIOS)
    compared = [r for r in rows if r.scenario not in ours_only]
    chart = draw(compared, OUT_DIR / "results.png", MPL_DIR, f" ({machine_line(took)})")
    say(f"written {OUT_DIR / 'results.json'}, results.md and {chart.name} in {took / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
