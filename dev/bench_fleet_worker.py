"""Odoo-side steps of the ``fleet`` rows of `make bench` (dev/bench_fleet.py drives them).

Run as ``python dev/bench_fleet_worker.py REQUEST.json`` (dev/worker.py's protocol, with the
request's ``impl`` as in dev/bench_worker.py); each step commits.

- ``setup_ours``: Settings pointed at the emulator; one internal user per mailbox and its
  connected account, stored as the sign-in stores it (the token caches come from real
  sign-ins, done by the driver with the addon's ``services.auth``), the first-sync choice
  made (both ways).
- ``setup_builtin``: the built-in's Settings, one user per mailbox, connected through its own
  OAuth code (authorize URL, the emulator's consent, the token exchange).
- ``cycle_builtin``: the built-in's cron method, ``_sync_all_microsoft_calendar``: every user
  one after another, timed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from odoo import Command, fields

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_worker import QUIET, for_impl
from rpc import EmulatorControl
from worker import create_accounts, point_ours_at_emulator, serve

Json = dict[str, Any]


def create_users(env: Any, mailboxes: list[str]) -> Any:
    """One internal user per mailbox, created in one batch."""
    return (
        env["res.users"]
        .with_context(no_reset_password=True, **QUIET)
        .create(
            [
                {
                    "name": mailbox.split("@")[0],
                    "login": mailbox,
                    "email": mailbox,
                    "tz": "Europe/Paris",
                    "groups_id": [Command.set([env.ref("base.group_user").id])],
                }
                for mailbox in mailboxes
            ]
        )
    )


def setup_ours(env: Any, request: Json) -> Json:
    point_ours_at_emulator(env, request["emulator"])
    params = env["ir.config_parameter"].sudo()
    connected = json.loads(Path(request["accounts_file"]).read_text())
    started = time.perf_counter()
    users = create_users(env, [account["mailbox"] for account in connected])
    database_uuid = params.get_param("database.uuid")
    accounts = create_accounts(
        env, users, connected, connected_at=fields.Datetime.now(), database_uuid=database_uuid
    )
    return {"accounts": len(accounts), "setup_s": time.perf_counter() - started}


def setup_builtin(env: Any, request: Json) -> Json:
    emulator = request["emulator"]
    params = env["ir.config_parameter"].sudo()
    params.set_param("microsoft_calendar_client_id", emulator["client_id"])
    params.set_param("microsoft_calendar_client_secret", emulator["client_secret"])
    started = time.perf_counter()
    users = create_users(env, request["mailboxes"])
    service = env["microsoft.service"]
    base_url = params.get_param("web.base.url")
    redirect_uri = f"{base_url}/microsoft_account/authentication"
    control = EmulatorControl(emulator["url"])
    for user in users:
        authorize_url = service._get_authorize_uri(
            "/odoo/calendar", "calendar", service._get_calendar_scope(), redirect_uri
        )
        query = control.consent(user.login, authorize_url)
        tokens = service._get_microsoft_tokens(query["code"], "calendar", redirect_uri)
        user._set_microsoft_auth_tokens(*tokens)
    return {"accounts": len(users), "setup_s": time.perf_counter() - started}


def cycle_builtin(env: Any, request: Json) -> Json:
    """What the built-in's cron job runs: every connected user, one after another."""
    started = time.perf_counter()
    env["res.users"]._sync_all_microsoft_calendar()
    return {"cycle_s": time.perf_counter() - started}


STEPS = {"setup_ours": setup_ours, "setup_builtin": setup_builtin, "cycle_builtin": cycle_builtin}


if __name__ == "__main__":
    serve(sys.argv[1], lambda request: for_impl(request, STEPS))
