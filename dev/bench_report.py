"""The benchmark's rows and how they are shown: a table on stdout, bench/results.md and
bench/results.json, and the targets (dev/bench_targets.py) checked against them."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

IMPL_LABELS = {"outlook_calendar_sync": "this addon", "microsoft_calendar": "built-in"}
COLUMNS = (
    "scenario",
    "n",
    "impl",
    "wall s",
    "requests",
    "http",
    "writes",
    "mails",
    "peak MB",
    "load",
    "note",
)

MEASURED = """\
- **wall s**: the sync alone, commit included, in a fresh Odoo process whose registry was loaded
  first (the cron's situation). `incremental` on the built-in adds the commit of the 10 Odoo
  edits, when its post-commit hooks push them.
- **quiet, after import**: the first sync after the import (and after the runs that finished
  its first read): nothing changed, but the events the import created count as new for it
  (they were created after the import's start), so it reads them once.
- **quiet, warm**: a second quiet sync in the same process, right after the `quiet` row's (the
  process's first): a cron worker syncs account after account in one process, so this is what
  each account costs it; the `quiet` row adds what a fresh process pays once (Odoo's caches of
  the models and queries the sync touches, the first HTTPS connection). Their notes give the
  sync's CPU time (the process's user + system time) and its SQL queries.
- **requests**: Graph requests counted by the emulator between the step's start and end, `$batch`
  items one by one (the envelope not counted); the token endpoint is not a Graph request.
- **http**: requests on the wire (a `$batch` envelope counts once, its items not at all; token
  endpoint included): the round trips, where **requests** is what Microsoft's quotas count.
- **writes**: POST/PATCH/DELETE among them. **mails**: the mail Exchange would have sent for
  those writes (invitations, updates, cancellations; the emulator's `sent_mail`).
- **peak MB**: the syncing process's peak resident memory above its resident memory when the
  sync started: the kernel's peak-RSS mark (`VmHWM`, the figure `ru_maxrss` reports) is reset
  through `/proc/self/clear_refs` just before the sync, so the registry load does not count.
- **throttled**: the emulator's throttling on at Microsoft's numbers: a token bucket per app and
  mailbox refilled at 10,000 / 600 s (16.7 a second) holding one `$batch` (20), 4 concurrent.
  The bound is (R - 20) / 16.7 s, R being the requests of the same export unthrottled: the
  fewest seconds the bucket allows for that work. 429 answers are counted by the emulator
  (`$batch` items one by one); a 429 is also a Graph request in **requests**.
- **latency**: seconds from a change made in Outlook (the emulator's API, creates and renames in
  turn, one at a time) until a query on Odoo's database sees it, with change notifications on:
  a real Odoo server (HTTP and one cron thread) receives the emulator's notifications on
  loopback and its cron syncs the account. **wall s** is the median; the note gives the 95th
  percentile. Requests are those of all the samples' syncs.
- **fleet**: one cycle of the sync cron over many connected mailboxes (n), run by real Odoo
  servers with one cron thread each (**workers**), sharing the database: every account made
  due at once, the lanes woken, until every account has a sync log of the cycle. **wall s** is
  that cycle; requests and writes are the emulator's counts over it. The built-in's row runs
  its own cron method (one job: every user in turn) in a worker process on fewer mailboxes.
- **load**: the machine's 1-minute load average just before the measured step, then the highest
  it reached while the step ran (sampled every half second): with 2 cores, a figure above 2 before
  the step means something else was running, and its times are not to be trusted. The
  1-minute average trails: a step of a fraction of a second barely moves it.
- One emulator for everything, reset between scenarios; each implementation gets its own fresh
  database (a copy of a freshly installed template) per scenario family. The Odoo process, the
  emulator and PostgreSQL share the machine's cores.
"""


@dataclass
class Row:
    """One line of the results, as bench/results.json holds it."""

    scenario: str
    n: int
    impl: str
    wall_s: float | None
    requests: int | None
    writes: int | None
    mails: int | None
    peak_mb: float | None
    throttled: bool
    note: str
    answers_429: int = 0
    http_requests: int | None = None
    # Throttled rows: the fewest seconds the emulator's token bucket allows for the requests it
    # admitted (see graph_emulator/traffic.py), the yardstick for ``wall_s``.
    bound_s: float | None = None
    # The latency row: ``wall_s`` is the median seconds from an Outlook change to Odoo, this
    # the 95th percentile.
    p95_s: float | None = None
    # The fleet rows: one cycle of the sync cron over ``n`` mailboxes (``wall_s``), by this
    # many cron workers; which cycle; and, throttled, how long the last other account waited.
    workers: int | None = None
    cycle: str | None = None
    accounts_per_s: float | None = None
    longest_wait_s: float | None = None
    # The fleet rows of this addon: the Odoo servers' CPU time (user + system, every thread) over
    # the cycle, per account synced.
    cpu_ms_per_account: float | None = None
    # The machine's 1-minute load average before the measured step, and its highest during it.
    load_before: float | None = None
    load_during: float | None = None

    @classmethod
    def of_traffic(
        cls, scenario: str, n: int, impl: str, wall_s: float, traffic: dict[str, int], **rest: Any
    ) -> Row:
        """A row whose Graph figures are ``traffic`` (the emulator's counters, diffed around
        what was measured); ``rest``: the other fields (``note`` at least)."""
        return cls(
            scenario=scenario,
            n=n,
            impl=impl,
            wall_s=round(wall_s, 3),
            requests=traffic["requests"],
            writes=traffic["writes"],
            mails=traffic["mails"],
            answers_429=traffic["throttled"],
            http_requests=traffic["http_requests"],
            load_before=traffic.get("load_before"),
            load_during=traffic.get("load_during"),
            **{"peak_mb": None, "throttled": False, **rest},
        )

    def cells(self) -> tuple[str, ...]:
        return (
            self.label(),
            f"{self.n:,}",
            IMPL_LABELS[self.impl],
            _fmt(self.wall_s, "{:.3f}" if (self.wall_s or 0) < 1 else "{:.1f}"),
            _fmt(self.requests, "{:,}"),
            _fmt(self.http_requests, "{:,}"),
            _fmt(self.writes, "{:,}"),
            _fmt(self.mails, "{:,}"),
            _fmt(self.peak_mb, "{:.0f}"),
            self.load_text(),
            self.note,
        )

    def load_text(self) -> str:
        if self.load_before is None or self.load_during is None:
            return "n/a"
        return f"{self.load_before:.1f}→{self.load_during:.1f}"

    def label(self) -> str:
        if self.workers:
            plural = "s" if self.workers > 1 else ""
            return f"{self.scenario}: {self.cycle}, {self.workers} cron worker{plural}"
        return self.scenario + (" (throttled)" if self.throttled else "")


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def text_table(rows: list[Row]) -> str:
    """A fixed-width table for the terminal."""
    lines = [COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS) - 1)]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)))
        out[-1] += "  " + line[-1]
        if index == 0:
            out.append("-" * (sum(widths) + 2 * len(widths) + 4))
    return "\n".join(out)


def markdown_table(rows: list[Row]) -> str:
    head = "| " + " | ".join(COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join(cell.replace("|", "\\|") for cell in r.cells()) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def machine() -> str:
    """What the figures were measured on."""
    return (
        f"{platform.node()}: {os.cpu_count()} cores (nproc), "
        f"{platform.system()} {platform.release()}, Python {sys.version.split()[0]}"
    )


def headlines(rows: list[Row]) -> list[str]:
    """This addon against the built-in, scenario by scenario, in one line each."""
    by_key = {(r.scenario, r.n, r.impl, r.throttled): r for r in rows}
    lines = []
    for (scenario, n, impl, throttled), ours in sorted(by_key.items()):
        if impl != "outlook_calendar_sync":
            continue
        theirs = by_key.get((scenario, n, "microsoft_calendar", throttled))
        label = f"{scenario}{' (throttled)' if throttled else ''} of {n:,}"
        line = (
            f"{label}: this addon {ours.wall_s:.1f} s, {ours.requests:,} requests "
            f"({ours.http_requests:,} on the wire), {ours.mails} mails"
        )
        if theirs and theirs.wall_s and ours.wall_s:
            line += (
                f"; built-in {theirs.wall_s:.1f} s, {theirs.requests:,} requests "
                f"({theirs.http_requests:,} on the wire), {theirs.mails} mails "
                f"({theirs.wall_s / ours.wall_s:.1f}x our time)"
            )
        if throttled:
            line += f"; {throttled_summary(ours)}"
            if theirs:
                line += f"; built-in: {throttled_summary(theirs)}"
        lines.append(line)
    return lines


def throttled_summary(row: Row) -> str:
    """Seconds against the bucket's bound, and the 429s it cost."""
    text = f"{row.wall_s:.1f} s"
    if row.bound_s:
        text += f" vs a bound of {row.bound_s:.1f} s ({row.wall_s / row.bound_s:.2f}x)"
    return f"{text}, {row.answers_429} answers 429"


def write_results(
    out_dir: Path,
    rows: list[Row],
    findings: list[str],
    goals: list[str],
    took_s: float,
    *,
    import_steps: list[str] | None = None,
) -> None:
    """results.md (for people) and results.json (one object per row) in ``out_dir``;
    ``import_steps``: where the import's time went (a profile of it), if measured."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    findings_md = "\n".join(f"- {line}" for line in findings) or "- none"
    goals_md = "\n".join(f"- {line}" for line in goals) or "- none"
    (out_dir / "results.md").write_text(
        f"# `make bench` results\n\n"
        f"Measured {when} on {machine()}; the whole run took {took_s / 60:.1f} min.\n\n"
        f"![this addon vs the built-in](results.png)\n\n"
        f"{markdown_table(rows)}\n\n## What was measured\n\n{MEASURED}\n"
        f"## Targets\n\n{goals_md}\n\n"
        f"## Findings of this run\n\n{findings_md}\n"
        + (
            "\n## The import's steps (cProfile, `--profile`), ms per Odoo event\n\n"
            + "\n".join(f"- {line}" for line in import_steps)
            + "\n"
            if import_steps
            else ""
        )
    )
