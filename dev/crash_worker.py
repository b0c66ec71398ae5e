"""The Odoo steps of dev/crash_check.py, each in a process of its own (dev/worker.py's protocol).

``setup``: only the crash mailbox's account may sync (the others paused), the addon pointed at
the emulator, the admin user signed in to the mailbox (``account``: what ``harness.sign_in``
returned). ``sync``: what the cron does, every account made due first (the process the check
kills). ``create_events``: ``count`` events of the admin's from ``start``. ``edit_and_add``: the
first ``edited`` of those renamed, as many new ones the next day.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from worker import Step, create_accounts, point_ours_at_emulator, serve

Json = dict[str, Any]


def setup(env: Any, request: Json) -> Json:
    env["outlook.account"].search([]).write({"state": "paused"})
    point_ours_at_emulator(env, request["emulator"])
    admin = env.ref("base.user_admin")
    admin.write({"email": request["account"]["mailbox"], "tz": "UTC"})
    account = create_accounts(env, admin, [request["account"]])
    return {"account": account.id}


def sync(env: Any, request: Json) -> Json:
    env["outlook.account"].search([]).write({"next_sync_at": False})
    env["outlook.account"]._cron_sync()
    return {}


def admin_events(env: Any, names: list[str], start: datetime) -> Json:
    """Half-hour events of the admin's, one an hour from ``start``."""
    admin = env.ref("base.user_admin")
    env["calendar.event"].create(
        [
            {
                "name": name,
                "start": start + timedelta(hours=n),
                "stop": start + timedelta(hours=n, minutes=30),
                "user_id": admin.id,
                "partner_ids": [(6, 0, admin.partner_id.ids)],
            }
            for n, name in enumerate(names)
        ]
    )
    return {"created": len(names)}


def create_events(env: Any, request: Json) -> Json:
    names = [f"Odoo {n}" for n in range(request["count"])]
    return admin_events(env, names, datetime.fromisoformat(request["start"]))


def edit_and_add(env: Any, request: Json) -> Json:
    edited = request["edited"]
    events = env["calendar.event"].search([("name", "in", [f"Odoo {n}" for n in range(edited)])])
    for event in events:
        event.write({"name": event.name + " (edited)"})
    start = datetime.fromisoformat(request["start"]) + timedelta(days=1)
    return admin_events(env, [f"Late {n}" for n in range(edited)], start)


STEPS: dict[str, Step] = {
    "setup": setup,
    "sync": sync,
    "create_events": create_events,
    "edit_and_add": edit_and_add,
}

if __name__ == "__main__":
    serve(sys.argv[1], lambda request: STEPS)
