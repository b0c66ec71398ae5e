"""The comparison chart of `make bench`: wall seconds and Graph requests per scenario, this addon
beside the built-in, on log scales (the figures span three orders of magnitude).

matplotlib is imported only here and only when drawing, headless (``MPLBACKEND=Agg``) and with
its font cache under .dev/mpl, so that it neither needs a display nor writes to $HOME.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench_report import IMPL_LABELS, Row

OURS, BUILTIN = "outlook_calendar_sync", "microsoft_calendar"
COLOURS = {OURS: "#2b6cb0", BUILTIN: "#c05621"}
SCENARIO_ORDER = ("import", "quiet", "incremental", "export")
WIDTH = 0.38


def label(row: Row) -> str:
    """The x-axis label of a row's scenario: ``import 5k``, ``export 1k throttled``."""
    size = f"{row.n // 1000}k" if row.n % 1000 == 0 else f"{row.n:,}"
    return f"{row.scenario} {size}" + ("\nthrottled" if row.throttled else "")


def scenarios(rows: list[Row]) -> list[tuple[str, int, bool]]:
    """Scenario keys in reading order: by scenario, then size, unthrottled first."""
    keys = {(r.scenario, r.n, r.throttled) for r in rows}
    return sorted(keys, key=lambda k: (SCENARIO_ORDER.index(k[0]), k[1], k[2]))


def setup_matplotlib(config_dir: Path) -> Any:
    """pyplot, headless, with its cache in ``config_dir``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("MPLCONFIGDIR", str(config_dir))
    config_dir.mkdir(parents=True, exist_ok=True)
    import matplotlib.pyplot as plt  # noqa: PLC0415 (heavy, and needs the environment above)

    return plt


def draw(rows: list[Row], path: Path, config_dir: Path, subtitle: str = "") -> Path:
    """Write the two-panel PNG to ``path`` and return it."""
    plt = setup_matplotlib(config_dir)
    keys = scenarios(rows)
    by_key = {(r.scenario, r.n, r.throttled, r.impl): r for r in rows}
    figure, (seconds, requests) = plt.subplots(2, 1, figsize=(12, 8.5), sharex=True)
    for offset, impl in ((-WIDTH / 2, OURS), (WIDTH / 2, BUILTIN)):
        placed = [(i + offset, r) for i, key in enumerate(keys) if (r := by_key.get((*key, impl)))]
        xs, picked = [x for x, _ in placed], [r for _, r in placed]
        bars(seconds, xs, [r.wall_s for r in picked], impl, "{:.1f}")
        bars(requests, xs, [r.requests for r in picked], impl, "{:,}")
        wire = [r.http_requests for r in picked]
        requests.scatter(xs, wire, marker="_", s=500, color="black", zorder=3)
        for x, r in placed:
            if r.bound_s:
                seconds.scatter([x], [r.bound_s], marker="_", s=700, color="crimson", zorder=3)
    requests.scatter([], [], marker="_", color="black", label="round trips on the wire")
    seconds.scatter([], [], marker="_", color="crimson", label="throttling bound (s)")
    seconds.set_ylabel("wall seconds (log)")
    requests.set_ylabel("Graph requests, $batch items one by one (log)")
    requests.set_xticks(range(len(keys)))
    requests.set_xticklabels([label(by_key_row(by_key, key)) for key in keys])
    for axis in (seconds, requests):
        axis.set_yscale("log")
        axis.grid(axis="y", which="major", alpha=0.3)
        axis.set_ylim(top=axis.get_ylim()[1] * 6)  # room for the labels and the legend
        axis.legend(loc="upper center", ncol=3, fontsize=9)
    seconds.set_title(f"outlook_calendar_sync vs Odoo's microsoft_calendar{subtitle}")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def by_key_row(by_key: dict[tuple[str, int, bool, str], Row], key: tuple[str, int, bool]) -> Row:
    """Any row of a scenario key (for its label)."""
    return by_key.get((*key, OURS)) or by_key[(*key, BUILTIN)]


def bars(axis: Any, xs: list[float], values: list[Any], impl: str, fmt: str) -> None:
    """One implementation's bars, each with its figure on top (0 drawn as a stub on log axes)."""
    heights = [max(value or 0, 0.01) for value in values]
    drawn = axis.bar(xs, heights, WIDTH, color=COLOURS[impl], label=IMPL_LABELS[impl])
    texts = ["n/a" if value is None else fmt.format(value) for value in values]
    axis.bar_label(drawn, labels=texts, fontsize=7, padding=2)
