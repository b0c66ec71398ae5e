"""The benchmark's targets, checked against a run's rows: one line each, met or missed, with
numbers.

Graph request targets are checked on both counts the emulator keeps: ``requests`` (what
Microsoft's quota counts, ``$batch`` items one by one) and ``http_requests`` (round trips). A
write is one quota request however it is batched, so a target of "≤ 55 requests" for 1,000
writes can only hold for round trips; the line says which count meets it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench_report import Row

OURS, BUILTIN = "outlook_calendar_sync", "microsoft_calendar"
# The quiet sync that follows another in the same process (dev/bench.py's quiet_rows).
WARM_QUIET = "quiet, warm"


@dataclass(frozen=True)
class Goal:
    """One target: what is asked, what was measured, and the verdict."""

    target: str
    measured: str
    verdict: str  # "met", "met on the wire only", "missed" or "not measured"

    def line(self) -> str:
        return f"**{self.verdict}**: {self.target}: {self.measured}"


Finder = Callable[..., Row | None]


def finder(rows: list[Row]) -> Finder:
    """Look a row up by scenario, n and implementation (unthrottled unless asked)."""
    by_key = {(r.scenario, r.n, r.impl, r.throttled): r for r in rows}

    def find(scenario: str, n: int, impl: str = OURS, throttled: bool = False) -> Row | None:
        return by_key.get((scenario, n, impl, throttled))

    return find


def request_verdict(row: Row, limit: int) -> str:
    """Met on quota requests, else on round trips only, else missed."""
    if row.requests is not None and row.requests <= limit:
        return "met"
    if row.http_requests is not None and row.http_requests <= limit:
        return "met on the wire only"
    return "missed"


def requests_text(row: Row) -> str:
    return f"{row.requests:,} Graph requests ({row.http_requests:,} round trips)"


def goals(rows: list[Row], big: int = 5000, small: int = 1000, export_n: int = 1000) -> list[str]:
    """Every target, in its order; missing rows are reported as not measured."""
    find = finder(rows)
    sizes = sorted({r.n for r in rows if r.scenario == "quiet" and r.impl == OURS}) or [small, big]
    checks = (
        import_speed(find, big),
        import_floor(find, big),
        *(quiet_time(find, n) for n in sizes),
        flat(find, WARM_QUIET, sizes[0], sizes[-1]),
        incremental_round_trips(find, sizes[-1]),
        flat(find, "incremental", sizes[0], sizes[-1]),
        requests_goal(find, "import", big),
        requests_goal(find, "export", export_n),
        throttled_export(find, export_n),
        incremental(find, big),
        *(quiet(find, n) for n in (small, big)),
        import_memory(find, big),
        import_scaling(find, small, big),
        latency(rows),
        *fleet(rows),
    )
    return [goal.line() for goal in checks]


def missing(target: str) -> Goal:
    return Goal(target, "no such row in this run", "not measured")


def import_speed(find: Finder, n: int) -> Goal:
    target = f"import of {n:,} ≥ 10x faster than the built-in"
    ours, theirs = find("import", n), find("import", n, BUILTIN)
    if not (ours and theirs and ours.wall_s and theirs.wall_s):
        return missing(target)
    ratio = theirs.wall_s / ours.wall_s
    measured = f"{ratio:.1f}x ({ours.wall_s:.1f} s vs {theirs.wall_s:.1f} s)"
    return Goal(target, measured, "met" if ratio >= 10 else "missed")


def import_floor(find: Finder, n: int) -> Goal:
    target = f"import of {n:,} ≤ 1.5x the floor (Odoo creating the same records alone)"
    return ratio_goal(target, find("import", n), find("floor", n), 1.5)


def quiet_time(find: Finder, n: int) -> Goal:
    """Checked on the warm quiet sync (what each account costs a cron worker); the first sync
    of a fresh process is shown beside it."""
    target = f"quiet sync of a {n:,} calendar ≤ 50 ms (warm process)"
    ours, cold = find(WARM_QUIET, n), find("quiet", n)
    if not (ours and ours.wall_s is not None):
        return missing(target)
    measured = f"{ours.wall_s * 1000:.0f} ms"
    if cold and cold.wall_s is not None:
        measured += f" (a fresh process's first: {cold.wall_s * 1000:.0f} ms)"
    return Goal(target, measured, "met" if ours.wall_s <= 0.05 else "missed")


def flat(find: Finder, scenario: str, small: int, big: int) -> Goal:
    """The ``scenario``'s time on the biggest calendar at most 1.5x the smallest's."""
    target = f"{scenario} sync of {big:,} ≤ 1.5x that of {small:,}"
    if small == big:
        return missing(target)
    return ratio_goal(target, find(scenario, big), find(scenario, small), 1.5, in_ms=True)


def ratio_goal(
    target: str, top: Row | None, bottom: Row | None, limit: float, *, in_ms: bool = False
) -> Goal:
    """``top``'s time over ``bottom``'s, met at ``limit`` or less."""
    if not (top and bottom and top.wall_s and bottom.wall_s):
        return missing(target)
    ratio = top.wall_s / bottom.wall_s
    shown = (
        f"{row.wall_s * 1000:.0f} ms" if in_ms else f"{row.wall_s:.1f} s" for row in (top, bottom)
    )
    measured = f"{ratio:.2f}x ({' vs '.join(shown)})"
    return Goal(target, measured, "met" if ratio <= limit else "missed")


def incremental_round_trips(find: Finder, n: int) -> Goal:
    target = f"incremental 10+10 changes on {n:,}: ≤ 4 round trips"
    ours = find("incremental", n)
    if not (ours and ours.http_requests is not None):
        return missing(target)
    met = ours.http_requests <= 4
    return Goal(target, requests_text(ours), "met" if met else "missed")


def requests_goal(find: Finder, scenario: str, n: int) -> Goal:
    """The ``scenario`` (import or export) of ``n`` items with at most 55 Graph requests."""
    target = f"{scenario} of {n:,} with ≤ 55 requests"
    ours = find(scenario, n)
    if not ours:
        return missing(target)
    return Goal(target, requests_text(ours), request_verdict(ours, 55))


def throttled_export(find: Finder, n: int) -> Goal:
    target = f"export of {n:,}, throttled, ≤ 1.15x the bound with at most one 429"
    ours = find("export", n, throttled=True)
    if not (ours and ours.bound_s and ours.wall_s):
        return missing(target)
    ratio = ours.wall_s / ours.bound_s
    seconds = f"{ours.wall_s:.1f} s vs {ours.bound_s:.1f} s ({ratio:.2f}x)"
    measured = f"{seconds}, {ours.answers_429} answers 429"
    met = ratio <= 1.15 and ours.answers_429 <= 1
    return Goal(target, measured, "met" if met else "missed")


def incremental(find: Finder, n: int) -> Goal:
    target = f"incremental on {n:,}: ≤ 4 requests and < 2 s"
    ours = find("incremental", n)
    if not (ours and ours.wall_s is not None):
        return missing(target)
    verdict = request_verdict(ours, 4) if ours.wall_s < 2 else "missed"
    return Goal(target, f"{requests_text(ours)}, {ours.wall_s:.1f} s", verdict)


def quiet(find: Finder, n: int) -> Goal:
    target = f"quiet on {n:,}: 1 request, 0 writes"
    ours = find("quiet", n)
    if not ours:
        return missing(target)
    met = ours.requests == 1 and ours.writes == 0
    return Goal(target, f"{requests_text(ours)}, {ours.writes} writes", "met" if met else "missed")


def import_memory(find: Finder, n: int) -> Goal:
    target = f"import of {n:,}: peak ≤ 200 MB above baseline"
    ours = find("import", n)
    if not (ours and ours.peak_mb is not None):
        return missing(target)
    return Goal(target, f"{ours.peak_mb:.0f} MB", "met" if ours.peak_mb <= 200 else "missed")


def import_scaling(find: Finder, small: int, big: int) -> Goal:
    target = f"import time {big:,} / {small:,} ≤ 6"
    return ratio_goal(target, find("import", big), find("import", small), 6)


def latency(rows: list[Row]) -> Goal:
    """The latency target: an Outlook change reaches Odoo within seconds."""
    target = "latency from an Outlook change to Odoo, webhooks on: median ≤ 10 s"
    found = next((r for r in rows if r.scenario == "latency"), None)
    if not (found and found.wall_s is not None):
        return missing(target)
    measured = f"median {found.wall_s:.2f} s, p95 {found.p95_s:.2f} s over {found.n} changes"
    return Goal(target, measured, "met" if found.wall_s <= 10 else "missed")


def fleet(rows: list[Row]) -> list[Goal]:
    """The targets of many accounts on the sync cron, from the fleet rows."""

    def find(cycle: str, impl: str = OURS, workers: int | None = None) -> Row | None:
        return next(
            (
                r
                for r in rows
                if r.scenario == "fleet"
                and r.cycle == cycle
                and r.impl == impl
                and (workers is None or r.workers == workers)
            ),
            None,
        )

    return [
        fleet_quiet(find("quiet")),
        fleet_cpu(find("quiet")),
        fleet_scaling(find("changes", workers=1), find("changes", workers=2)),
        fleet_throttled(find("throttled")),
        fleet_builtin(find("changes", workers=2), find("changes", BUILTIN)),
    ]


def fleet_quiet(quiet: Row | None) -> Goal:
    target = "a quiet cycle of the fleet costs 1 Graph request per account"
    if not (quiet and quiet.requests is not None):
        return missing(target)
    per_account = quiet.requests / quiet.n
    measured = f"{quiet.requests:,} requests for {quiet.n:,} accounts ({per_account:.2f} each)"
    return Goal(target, measured, "met" if per_account <= 1 else "missed")


def fleet_cpu(quiet: Row | None) -> Goal:
    target = "a quiet cycle of the fleet costs ≤ 5 ms of Odoo worker CPU per account"
    if not (quiet and quiet.cpu_ms_per_account is not None):
        return missing(target)
    measured = f"{quiet.cpu_ms_per_account:.1f} ms per account ({quiet.n:,} accounts)"
    return Goal(target, measured, "met" if quiet.cpu_ms_per_account <= 5 else "missed")


def fleet_scaling(one: Row | None, two: Row | None) -> Goal:
    target = "2 cron workers finish a cycle ≥ 1.6x faster than 1"
    if not (one and two and one.wall_s and two.wall_s):
        return missing(target)
    ratio = one.wall_s / two.wall_s
    measured = f"{ratio:.2f}x ({one.wall_s:.1f} s with 1, {two.wall_s:.1f} s with 2)"
    return Goal(target, measured, "met" if ratio >= 1.6 else "missed")


def fleet_throttled(cycle: Row | None) -> Goal:
    target = "no account waits more than two intervals (600 s) while another is throttled"
    if not (cycle and cycle.longest_wait_s is not None):
        return missing(target)
    measured = f"the last of the others started {cycle.longest_wait_s:.0f} s after all were due"
    return Goal(target, measured, "met" if cycle.longest_wait_s <= 600 else "missed")


def fleet_builtin(ours: Row | None, builtin: Row | None) -> Goal:
    target = "a fleet cycle ≥ 10x faster than the built-in's (accounts per second)"
    if not (ours and builtin and ours.accounts_per_s and builtin.accounts_per_s):
        return missing(target)
    ratio = ours.accounts_per_s / builtin.accounts_per_s
    measured = (
        f"{ratio:.1f}x ({ours.accounts_per_s:.1f} accounts/s with 2 workers on {ours.n:,} "
        f"mailboxes, built-in {builtin.accounts_per_s:.1f} on {builtin.n:,})"
    )
    return Goal(target, measured, "met" if ratio >= 10 else "missed")
