"""The Odoo side of a worker process (``harness.start_worker`` starts one): steps on a request.

A worker script (dev/bench_worker.py, dev/switch_worker.py, dev/bench_fleet_worker.py,
dev/crash_worker.py) is run as ``python SCRIPT REQUEST.json``. The request names the database,
Odoo's config, the log file, the emulator's settings, the ``steps`` to run and their inputs;
each step is a function of ``(env, request)`` run in its own transaction, committed, and the
answers (step name to what it returned) go to the request's ``result_file`` as JSON. Steps
shared by several scripts are here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import count_fields

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

Json = dict[str, Any]
Step = Callable[[Any, Json], Json]


def serve(request_path: str, steps_of: Callable[[Json], dict[str, Step]]) -> None:
    """Load the registry, run the requested steps, write the answers. ``steps_of(request)``,
    called once the registry is loaded, prepares the process and returns the steps by name."""
    request = json.loads(Path(request_path).read_text())
    env_factory = open_registry(request)
    steps = steps_of(request)
    answer: Json = {}
    for step in request["steps"]:
        answer[step] = run_step(steps[step], env_factory, request)
    Path(request["result_file"]).write_text(json.dumps(answer))


def open_registry(request: Json) -> Callable[[], Any]:
    """Odoo's config and registry for the request's database; returns a cursor+env factory."""
    config.parse_config(
        [
            "-c",
            request["odoo_conf"],
            "-d",
            request["db"],
            "--no-http",
            "--log-level=warn",
            f"--logfile={request['log_file']}",
        ]
    )
    registry = Registry(request["db"])

    def factory() -> Any:
        cr = registry.cursor()
        return api.Environment(cr, SUPERUSER_ID, {})

    return factory


def run_step(step: Step, env_factory: Callable[[], Any], request: Json) -> Json:
    """One step in its own transaction, committed at the end."""
    env = env_factory()
    try:
        result = step(env, request)
        env.cr.commit()
        return result
    finally:
        env.cr.close()


def sync_counts(log: Any) -> Json:
    """What one sync log says the run changed, by count field of the model."""
    return {name: log[name] for name in count_fields(log._fields)}


def point_ours_at_emulator(env: Any, emulator: Json) -> None:
    """This addon's settings pointed at the emulator, as tests/common.py does."""
    params = env["ir.config_parameter"].sudo()
    for key, value in {
        "enabled": "True",
        "client_id": emulator["client_id"],
        "client_secret": emulator["client_secret"],
        "authority_host": emulator["url"],
        "tenant": "common",
        "graph_endpoint": emulator["graph"],
    }.items():
        params.set_param(f"outlook_calendar_sync.{key}", value)


def create_accounts(env: Any, users: Any, signed_in: list[Json], **values: Any) -> Any:
    """One connected account per user, stored as the sign-in stores it (``signed_in``: what
    ``harness.sign_in`` returned for each, in the same order), synced both ways."""
    accounts = env["outlook.account"].create(
        [
            {
                "user_id": user.id,
                "state": "active",
                "sync_mode": "two_way",
                "mailbox_address": account["mailbox"],
                "home_account_id": account["home_account_id"],
                "calendar_id": account["calendar_id"],
                **values,
            }
            for user, account in zip(users, signed_in, strict=True)
        ]
    )
    for record, account in zip(accounts, signed_in, strict=True):
        record._token_store().write_cache(account["cache"])
    return accounts
