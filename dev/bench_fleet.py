"""The ``fleet`` rows of `make bench`: many connected mailboxes, synced by Odoo's cron workers.

The emulator gets N mailboxes (default 1,000) of 50 single events each. This addon's side:
each mailbox is signed in for real (the addon's ``services.auth`` against the emulator's
identity endpoints, in this process, 8 at a time), and a worker process stores one user and
one connected account per mailbox with that token cache, as the sign-in does (the users are
created in one batch: clicking through 1,000 sign-ins in a browser would only measure the
browser). Then real Odoo servers (``odoo-bin``, one cron thread each, sharing the database)
run the sync cron:

- the first cycle imports every mailbox (2 workers); the database is then vacuumed and
  analysed, as autovacuum soon would after 50,000 inserts;
- a quiet cycle (no change), 2 workers: Graph requests per account;
- a cycle with 5 changes in Outlook (2 renames, a move, a create, a deletion) on 10 % of the
  mailboxes, with 2 workers, then another 10 % with 1 worker;
- a cycle where 1 % of the mailboxes are throttled (429, Retry-After 10 minutes) while 10 %
  changed, 2 workers: how long the others waited.

A cycle starts when every account is made due and the sync lanes are woken (as their
5-minute schedule does), and ends when every account has a sync log of that cycle; other
cron jobs are held back for the measurement. The built-in ``microsoft_calendar`` gets the
first M mailboxes (default 200: its first sync of 1,000 would take long), connected
through its own OAuth code, and runs its own cron method (one job, every user in turn): the
first cycle, then 5 changes on 10 % of them.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg2
from bench_report import Row
from harness import free_port, graph_event, graph_time, odoo_server, sign_in, trusting

OURS, BUILTIN = "outlook_calendar_sync", "microsoft_calendar"
FLEET_DOMAIN = "fleet.example.com"
CHANGED_SHARE = 0.10
CHANGES_PER_MAILBOX = 5
THROTTLED_SHARE = 0.01
THROTTLE_SECONDS = 600
SYNC_INTERVAL_S = 300
CYCLE_TIMEOUT = 1800.0
# How often the driver asks the database whether the cycle is over (each query takes a little
# of the CPU the workers share).
POLL_SECONDS = 0.25
SIGN_IN_THREADS = 8
WORKER = Path(__file__).resolve().parent / "bench_fleet_worker.py"

Json = dict[str, Any]


def mailbox_name(number: int) -> str:
    return f"user{number:04}@{FLEET_DOMAIN}"


def seed_mailboxes(emulator: Any, n: int, events: int) -> dict[str, list[str]]:
    """N mailboxes of ``events`` single events each, over the next weeks; their event ids."""
    today = datetime.now(timezone.utc).replace(hour=8, minute=0, second=0, microsecond=0)
    ids: dict[str, list[str]] = {}
    for number in range(n):
        mailbox = mailbox_name(number)
        emulator.add_mailbox(mailbox)
        ids[mailbox] = []
        for index in range(events):
            start = today + timedelta(days=1 + index // 4, hours=2 * (index % 4))
            subject = f"Meeting {index} of {mailbox.split('@')[0]}"
            body = graph_event(subject, start, 60, location={"displayName": f"Room {index % 7}"})
            ids[mailbox].append(emulator.create_event(mailbox, body)["id"])
    return ids


def sign_in_all(emulator: Any, mailboxes: list[str]) -> list[Json]:
    """A real sign-in per mailbox with the addon's ``services.auth``: what the account stores."""
    with trusting(emulator), ThreadPoolExecutor(SIGN_IN_THREADS) as pool:
        return list(pool.map(lambda mailbox: sign_in(emulator, mailbox), mailboxes))


def change_mailboxes(emulator: Any, ids: dict[str, list[str]], mailboxes: list[str]) -> None:
    """Five changes in each mailbox's Outlook: two renames, a move, a create, a deletion."""
    tomorrow = datetime.now(timezone.utc).replace(hour=7, minute=0, second=0, microsecond=0)
    for mailbox in mailboxes:
        events = ids[mailbox]
        for event_id in events[:2]:
            emulator.update_event(mailbox, event_id, {"subject": f"Renamed {event_id[-6:]}"})
        moved = tomorrow + timedelta(days=2)
        emulator.update_event(
            mailbox,
            events[2],
            {"start": graph_time(moved), "end": graph_time(moved + timedelta(minutes=30))},
        )
        emulator.delete_event(mailbox, events.pop(3))
        created = emulator.create_event(
            mailbox, graph_event("New in Outlook", tomorrow + timedelta(days=3), 60)
        )
        events.append(created["id"])


class FleetDb:
    """The bench database, seen as the cron workers' shared state (autocommit)."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.conn = psycopg2.connect(dbname=db)
        self.conn.autocommit = True

    def close(self) -> None:
        self.conn.close()

    def rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def value(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        return self.rows(query, params)[0][0]

    def lanes(self) -> list[int]:
        return [
            lane
            for (lane,) in self.rows(
                "SELECT c.id FROM ir_cron c JOIN ir_act_server s ON s.id = c.ir_actions_server_id"
                " WHERE c.active AND s.code LIKE '%%_cron_sync()%%'"
            )
        ]

    def hold_crons(self) -> None:
        """No cron job is ready until a cycle wakes the sync lanes (nothing else runs in the
        measured window)."""
        self.rows("UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 day'")
        self.rows("DELETE FROM ir_cron_trigger")

    def start_cycle(self) -> tuple[int, datetime]:
        """Every account due, the lanes ready and the cron workers woken; returns the last log
        id before the cycle and the database's time it started."""
        last_log = self.value("SELECT COALESCE(MAX(id), 0) FROM outlook_sync_log")
        started = self.value("SELECT now() AT TIME ZONE 'UTC'")
        # Odoo's "now" has whole seconds: due a second ago is due for it at once.
        due = started.replace(microsecond=0) - timedelta(seconds=1)
        self.rows(
            "UPDATE outlook_account SET next_sync_at = %s WHERE state IN ('active', 'error')",
            (due,),
        )
        self.rows("UPDATE ir_cron SET nextcall = %s WHERE id = ANY(%s)", (due, self.lanes()))
        self.wake()
        return last_log, started

    def settle(self) -> None:
        """What autovacuum does soon after the first sync's bulk insert: no cycle pays it."""
        self.rows("VACUUM ANALYZE")

    def wake(self) -> None:
        """What ``ir.cron._notifydb`` does: a NOTIFY on the postgres database."""
        conn = psycopg2.connect(dbname="postgres")
        conn.autocommit = True
        try:
            conn.cursor().execute("SELECT pg_notify('cron_trigger', %s)", (self.db,))
        finally:
            conn.close()

    def waiting(self, last_log: int) -> int:
        """Active accounts without a sync log of this cycle yet."""
        return self.value(
            "SELECT count(*) FROM outlook_account a WHERE a.state IN ('active', 'error')"
            " AND NOT EXISTS (SELECT 1 FROM outlook_sync_log l"
            " WHERE l.account_id = a.id AND l.id > %s)",
            (last_log,),
        )

    def cycle_logs(self, last_log: int) -> list[tuple[Any, ...]]:
        return self.rows(
            "SELECT l.account_id, l.state, l.graph_requests, l.started_at, a.next_sync_at,"
            " l.pulled_created + l.pulled_updated + l.pulled_archived"
            " FROM outlook_sync_log l JOIN outlook_account a ON a.id = l.account_id"
            " WHERE l.id > %s",
            (last_log,),
        )


class CronServers:
    """The Odoo servers of a cycle, found by their port in /proc: the CPU time they used."""

    def __init__(self) -> None:
        self.ports: list[int] = []

    def pids(self) -> list[int]:
        wanted = {f"--http-port={port}".encode() for port in self.ports}
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                arguments = set((entry / "cmdline").read_bytes().split(b"\0"))
            except OSError:  # the process ended meanwhile
                continue
            if arguments & wanted:
                found.append(int(entry.name))
        return found

    def cpu_seconds(self) -> float:
        """User + system time of every thread of the servers so far (/proc/<pid>/stat)."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime and stime, the 14th and 15th fields (the 12th and 13th after the name).
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Cycle:
    """What one cycle of the cron workers did."""

    seconds: float
    logs: list[tuple[Any, ...]]
    traffic: Json
    started: datetime
    emulator_cpu_s: float
    workers_cpu_s: float

    def cpu_ms_per_account(self) -> float:
        return self.workers_cpu_s * 1000 / max(self.accounts, 1)

    @property
    def accounts(self) -> int:
        return len(self.logs)

    def per_second(self) -> float:
        return self.accounts / self.seconds if self.seconds else 0.0

    def failed(self) -> list[tuple[Any, ...]]:
        return [log for log in self.logs if log[1] == "failed"]

    def longest_wait(self, skip: set[int] = frozenset()) -> float:
        """Seconds the last account (among those not in ``skip``) waited for its sync to
        start, from the moment all were due (log times are whole seconds)."""
        waits = [(log[3] - self.started).total_seconds() for log in self.logs if log[0] not in skip]
        return max(waits, default=0.0)

    def pulled(self) -> int:
        return sum(log[5] or 0 for log in self.logs)


def run_cycle(fleet: FleetDb, traffic: Callable[[], Json], servers: CronServers) -> Cycle:
    """Start a cycle and wait until every account has a log of it."""
    before = traffic()
    workers_cpu = servers.cpu_seconds()
    cpu = time.process_time()
    clock = time.monotonic()
    last_log, started = fleet.start_cycle()
    next_wake = clock + POLL_SECONDS
    while waiting := fleet.waiting(last_log):
        now = time.monotonic()
        if now - clock > CYCLE_TIMEOUT:
            raise TimeoutError(f"{waiting} accounts still waiting after {CYCLE_TIMEOUT:.0f} s")
        if (
            now >= next_wake
            and fleet.value("SELECT count(*) FROM outlook_sync_log WHERE id > %s", (last_log,)) == 0
        ):
            fleet.wake()  # a cron thread that was not listening yet missed the first one
            next_wake = now + POLL_SECONDS
        time.sleep(POLL_SECONDS)
    seconds = time.monotonic() - clock
    emulator_cpu_s = time.process_time() - cpu
    workers_cpu_s = servers.cpu_seconds() - workers_cpu
    after = traffic()
    fleet.hold_crons()
    return Cycle(
        seconds=seconds,
        logs=fleet.cycle_logs(last_log),
        traffic={key: after[key] - before[key] for key in after},
        started=started,
        emulator_cpu_s=emulator_cpu_s,
        workers_cpu_s=workers_cpu_s,
    )


def cron_servers(stack: ExitStack, run: FleetRun, db: str, workers: int) -> CronServers:
    """``workers`` Odoo servers on the database, one cron thread each."""
    bundle = str(run.bench.emulator.bundle_path)
    servers = CronServers()
    for number in range(workers):
        log = run.work_dir / f"{db}-server{number}-of-{workers}.log"
        port = free_port()
        stack.enter_context(odoo_server(db, port, bundle, log))
        servers.ports.append(port)
    return servers


@dataclass
class FleetRun:
    """What the fleet scenario needs from dev/bench.py."""

    bench: Any  # bench.Bench: the emulator, worker processes, traffic counters
    fresh_db: Callable[[str, str, int], str]
    work_dir: Path
    say: Callable[[str], None]


def fleet_family(run: FleetRun, n: int, events: int, builtin_n: int) -> list[Row]:
    """This addon's cycles on ``n`` mailboxes, then the built-in's on the first ``builtin_n``."""
    emulator = run.bench.emulator
    emulator.reset()
    run.say(f"fleet: {n:,} mailboxes of {events} events in Outlook")
    ids = seed_mailboxes(emulator, n, events)
    mailboxes = list(ids)
    run.say(f"fleet: signing {n:,} mailboxes in")
    signed_in = sign_in_all(emulator, mailboxes)
    accounts_file = run.work_dir / f"fleet-{n}-accounts.json"
    accounts_file.write_text(json.dumps(signed_in))
    db = run.fresh_db(OURS, "fleet", n)
    run.bench.worker(OURS, db, ["setup_ours"], script=WORKER, accounts_file=str(accounts_file))
    rows = ours_cycles(run, db, ids)
    if builtin_n:
        rows += builtin_cycles(run, ids, min(builtin_n, n))
    return rows


def ours_cycles(run: FleetRun, db: str, ids: dict[str, list[str]]) -> list[Row]:
    """First sync, then (2 workers) a quiet cycle and one with changes, (1 worker) one with
    changes, (2 workers) one with throttled mailboxes. The 1-worker cycle comes after the
    2-worker ones, on a settled database, so that warming up does not favour either."""
    emulator = run.bench.emulator
    mailboxes = list(ids)
    n = len(mailboxes)
    picker = random.Random(15)
    changed = round(n * CHANGED_SHARE)
    fleet = FleetDb(db)
    fleet.hold_crons()
    try:
        with ExitStack() as stack:
            servers = cron_servers(stack, run, db, 2)
            run.say(f"fleet: first sync of {n:,} mailboxes, 2 cron workers")
            first = run_cycle(fleet, run.bench.traffic, servers)
            fleet.settle()
            run.say("fleet: quiet cycle, 2 cron workers")
            quiet = run_cycle(fleet, run.bench.traffic, servers)
            two_workers = picker.sample(mailboxes, changed)
            change_mailboxes(emulator, ids, two_workers)
            run.say(f"fleet: cycle with changes on {changed} mailboxes, 2 cron workers")
            double = run_cycle(fleet, run.bench.traffic, servers)
        others = [mailbox for mailbox in mailboxes if mailbox not in two_workers]
        change_mailboxes(emulator, ids, picker.sample(others, changed))
        with ExitStack() as stack:
            servers = cron_servers(stack, run, db, 1)
            run.say(f"fleet: cycle with changes on {changed} mailboxes, 1 cron worker")
            single = run_cycle(fleet, run.bench.traffic, servers)
        with ExitStack() as stack:
            servers = cron_servers(stack, run, db, 2)
            throttled = throttled_cycle(run, fleet, ids, picker, n, servers=servers)
    finally:
        fleet.close()
    per_account = quiet.traffic["requests"] / max(quiet.accounts, 1)
    ratio = single.seconds / double.seconds
    return [
        ours_row(first, n, 2, "first sync", f"{first.pulled():,} events imported"),
        ours_row(single, n, 1, "changes", changes_note(single, changed)),
        ours_row(
            double,
            n,
            2,
            "changes",
            f"{changes_note(double, changed)}; {ratio:.2f}x the speed of 1 worker",
        ),
        ours_row(quiet, n, 2, "quiet", f"{per_account:.2f} Graph requests per account"),
        throttled,
    ]


def throttled_cycle(
    run: FleetRun,
    fleet: FleetDb,
    ids: dict[str, list[str]],
    picker: random.Random,
    n: int,
    *,
    servers: CronServers,
) -> Row:
    """1 % of the mailboxes answer 429 (Retry-After 10 minutes) while 10 % changed."""
    emulator = run.bench.emulator
    mailboxes = list(ids)
    throttled = picker.sample(mailboxes, max(round(n * THROTTLED_SHARE), 1))
    calendars = {
        next(cal.id for cal in emulator.store.mailboxes[m].calendars.values() if cal.is_default)
        for m in throttled
    }
    for calendar in calendars:
        emulator.inject_fault(
            "status", count=1000, status=429, retry_after=THROTTLE_SECONDS, path_contains=calendar
        )
    others = [mailbox for mailbox in mailboxes if mailbox not in throttled]
    changed = round(n * CHANGED_SHARE)
    change_mailboxes(emulator, ids, picker.sample(others, changed))
    run.say(f"fleet: {len(throttled)} mailboxes throttled, changes on {changed}, 2 cron workers")
    faults_before = emulator.counters()["faults_applied"]
    cycle = run_cycle(fleet, run.bench.traffic, servers)
    asked = emulator.counters()["faults_applied"] - faults_before
    emulator.clear_faults()
    failed = {log[0] for log in cycle.failed()}
    postponed = min(
        ((log[4] - cycle.started).total_seconds() for log in cycle.logs if log[0] in failed),
        default=0.0,
    )
    wait = round(cycle.longest_wait(skip=failed))
    note = (
        f"{len(throttled)} mailboxes throttled: {len(failed)} runs failed, {asked} requests "
        f"answered 429, postponed by ≥ {postponed:.0f} s (Retry-After {THROTTLE_SECONDS} s); "
        f"the {cycle.accounts - len(failed)} others synced, the last one started {wait:.0f} s "
        f"after all were due (two intervals: {2 * SYNC_INTERVAL_S} s)"
    )
    row = ours_row(cycle, n, 2, "throttled", note)
    row.throttled = True
    row.longest_wait_s = wait
    return row


def builtin_cycles(run: FleetRun, ids: dict[str, list[str]], m: int) -> list[Row]:
    emulator = run.bench.emulator
    mailboxes = list(ids)[:m]
    db = run.fresh_db(BUILTIN, "fleet", m)
    run.say(f"fleet: the built-in on {m:,} mailboxes (connecting them through its OAuth code)")
    run.bench.worker(BUILTIN, db, ["setup_builtin"], script=WORKER, mailboxes=mailboxes)
    rows = []
    run.say(f"fleet: the built-in's first sync of {m:,} mailboxes (its cron method)")
    answer, traffic = run.bench.measure(BUILTIN, db, ["cycle_builtin"], script=WORKER)
    rows.append(builtin_row(answer, traffic, m, "first sync", "its cron job, every user in turn"))
    changed = round(m * CHANGED_SHARE)
    change_mailboxes(emulator, ids, random.Random(15).sample(mailboxes, changed))
    run.say(f"fleet: the built-in's cycle with changes on {changed} mailboxes")
    answer, traffic = run.bench.measure(BUILTIN, db, ["cycle_builtin"], script=WORKER)
    note = f"5 changes in Outlook on {changed} mailboxes; its cron job, every user in turn"
    rows.append(builtin_row(answer, traffic, m, "changes", note))
    return rows


def changes_note(cycle: Cycle, changed: int) -> str:
    failed = len(cycle.failed())
    text = (
        f"5 changes in Outlook on {changed} mailboxes: {cycle.pulled()} changes applied in Odoo; "
        f"{cycle.per_second():.1f} accounts/s"
    )
    return text + (f"; {failed} failed runs" if failed else "")


def ours_row(cycle: Cycle, n: int, workers: int, label: str, note: str) -> Row:
    return Row.of_traffic(
        "fleet",
        n,
        OURS,
        cycle.seconds,
        cycle.traffic,
        note=f"{cycle.accounts:,} accounts synced; {note}; the Odoo servers used "
        f"{cycle.workers_cpu_s:.1f} s of CPU ({cycle.cpu_ms_per_account():.1f} ms per account), "
        f"the emulator (this process) {cycle.emulator_cpu_s:.1f} s",
        workers=workers,
        cycle=label,
        accounts_per_s=round(cycle.per_second(), 1),
        cpu_ms_per_account=round(cycle.cpu_ms_per_account(), 2),
    )


def builtin_row(answer: Json, traffic: Json, m: int, label: str, note: str) -> Row:
    seconds = answer["cycle_builtin"]["cycle_s"]
    return Row.of_traffic(
        "fleet",
        m,
        BUILTIN,
        seconds,
        traffic,
        note=f"{m:,} accounts; {note}; {m / seconds:.1f} accounts/s",
        workers=1,
        cycle=label,
        accounts_per_s=round(m / seconds, 1),
    )
