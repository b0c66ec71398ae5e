"""One Odoo process of dev/switch_check.py: set-up steps and syncs, or a module (un)install.

Run as ``python dev/switch_worker.py REQUEST.json`` (dev/worker.py's protocol; it reuses the
set-up steps of dev/bench_worker.py). Each step runs in its own transaction, committed. A module
is installed or uninstalled alone in its process: the registry after it is another one.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_worker import (
    alice_of,
    connect_builtin,
    connect_ours,
    point_builtin_at_emulator,
    prepare_builtin,
    prepare_ours,
    seed_odoo,
)
from worker import Step, point_ours_at_emulator, serve, sync_counts

Json = dict[str, Any]


def configure_ours(env: Any, request: Json) -> Json:
    """This addon's settings pointed at the emulator (as tests/common.py does); Alice exists
    already when she switches from the built-in, not when she starts with this addon."""
    if not alice_of(env):
        return prepare_ours(env, request)
    point_ours_at_emulator(env, request["emulator"])
    return {}


def sync_builtin(env: Any, request: Json) -> Json:
    """What the built-in's cron does for Alice."""
    alice = alice_of(env)
    alice.with_user(alice).sudo()._sync_microsoft_calendar()
    return {}


def sync_ours(env: Any, request: Json) -> Json:
    account = env["outlook.account"].search([("user_id", "=", alice_of(env).id)])
    started = time.perf_counter()
    log = account._sync()
    env.cr.commit()
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "state": log.state,
        "errors": log.errors,
        "conflicts": len(log.conflicts or []),
        "conflict_fields": dict(Counter(c["field"] for c in log.conflicts or [])),
        "ambiguous": log.ambiguous,
        "links": len(account.link_ids),
        "paired": log.paired,
        **sync_counts(log),
    }


def accounts(env: Any, request: Json) -> Json:
    """Each account's state, and whether it still holds tokens or a delta link."""
    env.cr.execute(
        "SELECT state, token_cache IS NOT NULL, delta_link IS NOT NULL FROM outlook_account"
    )
    return {"accounts": [list(row) for row in env.cr.fetchall()]}


def inspect(env: Any, request: Json) -> Json:
    """Alice's Odoo calendar: how many events, and which subject and start appear twice."""
    alice = alice_of(env)
    events = env["calendar.event"].search(
        ["|", ("user_id", "=", alice.id), ("partner_ids", "in", alice.partner_id.ids)]
    )
    twice = Counter((event.name, str(event.start)) for event in events)
    return {
        "events": len(events),
        "duplicates": [f"{name} {start}" for (name, start), n in twice.items() if n > 1],
    }


def uninstall(env: Any, request: Json) -> Json:
    modules = env["ir.module.module"].search([("name", "in", request["modules"])])
    modules.button_immediate_uninstall()
    return {"states": modules.mapped("state")}


def install(env: Any, request: Json) -> Json:
    modules = env["ir.module.module"].search([("name", "in", request["modules"])])
    modules.button_immediate_install()
    return {"states": modules.mapped("state")}


def steps_of(request: Json) -> dict[str, Step]:
    """The steps, once the built-in is pointed at the emulator when a step is the built-in's."""
    if any(step.endswith("_builtin") for step in request["steps"]):
        point_builtin_at_emulator(request["emulator"]["url"])
    return STEPS


STEPS: dict[str, Step] = {
    "prepare_builtin": prepare_builtin,
    "connect_builtin": connect_builtin,
    "sync_builtin": sync_builtin,
    "seed_odoo": seed_odoo,
    "uninstall": uninstall,
    "install": install,
    "configure_ours": configure_ours,
    "connect_ours": connect_ours,
    "sync_ours": sync_ours,
    "inspect": inspect,
    "accounts": accounts,
}

if __name__ == "__main__":
    serve(sys.argv[1], steps_of)
