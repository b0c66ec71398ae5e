"""One Odoo process of `make bench`: set-up steps, or the one measured sync.

Run by dev/bench.py as ``python dev/bench_worker.py REQUEST.json``; it writes its answer to the
request's ``result_file``. Each measured sync gets a process of its own, started cold like a
cron worker, so that its wall time and memory are the sync's alone: the registry is loaded and
the peak-RSS counter reset before the clock starts. Every step commits, as the cron does.

``impl`` is ``outlook_calendar_sync`` (this addon) or ``microsoft_calendar`` (Odoo's built-in,
pointed at the Graph emulator by patching its endpoint constants in this process only).
"""

from __future__ import annotations

import cProfile
import json
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from odoo import Command
from odoo.exceptions import UserError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_calendar import BenchEvent, Series, attendee_pool, end_of, utc_naive
from rpc import EmulatorControl
from worker import Step, point_ours_at_emulator, serve, sync_counts

OURS, BUILTIN = "outlook_calendar_sync", "microsoft_calendar"
ALICE = "alice@example.com"
# What Odoo would otherwise do on each create: chatter messages, tracking and invitation mail.
QUIET = {"mail_create_nolog": True, "tracking_disable": True, "no_mail_to_attendees": True}
ODOO_RRULE = {"daily": "daily", "weekly": "weekly", "absoluteMonthly": "monthly"}
ODOO_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Json = dict[str, Any]


def point_builtin_at_emulator(base_url: str) -> None:
    """Send the built-in's OAuth and Graph calls to the emulator (this process only).

    Its endpoints are module constants (read at call time, also by the host assertion of
    ``_do_request``) plus one default argument (``preuri``) bound when the module loaded.
    """
    # odoo.addons.* resolves only once the registry set the addons path up.
    from odoo.addons.microsoft_account.models import microsoft_service as service  # noqa: PLC0415

    graph = service.DEFAULT_MICROSOFT_GRAPH_ENDPOINT
    service.DEFAULT_MICROSOFT_AUTH_ENDPOINT = f"{base_url}/common/oauth2/v2.0/authorize"
    service.DEFAULT_MICROSOFT_TOKEN_ENDPOINT = f"{base_url}/common/oauth2/v2.0/token"
    service.DEFAULT_MICROSOFT_GRAPH_ENDPOINT = base_url
    do_request = service.MicrosoftService._do_request
    do_request.__defaults__ = tuple(
        base_url if value == graph else value for value in do_request.__defaults__
    )


# ----------------------------------------------------------------------
# Set-up steps
# ----------------------------------------------------------------------


def create_alice(env: Any, request: Json) -> Json:
    """The syncing user, an internal user whose mailbox is alice@example.com."""
    env["res.users"].with_context(no_reset_password=True).create(
        {
            "name": "Alice",
            "login": "alice",
            "email": ALICE,
            "tz": "Europe/Paris",
            "groups_id": [Command.set([env.ref("base.group_user").id])],
        }
    )
    return {}


def alice_of(env: Any) -> Any:
    return env["res.users"].search([("login", "=", "alice")])


def prepare_ours(env: Any, request: Json) -> Json:
    """Settings pointed at the emulator, and Alice."""
    point_ours_at_emulator(env, request["emulator"])
    return create_alice(env, request)


def prepare_builtin(env: Any, request: Json) -> Json:
    """The built-in's Settings: the Azure app is the emulator's default app."""
    emulator = request["emulator"]
    params = env["ir.config_parameter"].sudo()
    params.set_param("microsoft_calendar_client_id", emulator["client_id"])
    params.set_param("microsoft_calendar_client_secret", emulator["client_secret"])
    return create_alice(env, request)


def consent(request: Json, authorize_url: str) -> Json:
    """What Alice's browser does at Microsoft: sign in, accept; the redirect's query."""
    return EmulatorControl(request["emulator"]["url"]).consent(ALICE, authorize_url)


def connect_ours(env: Any, request: Json) -> Json:
    """Alice presses "Connect Outlook", consents and takes the first-sync preview's default,
    through the addon's own code."""
    alice_env = env(user=alice_of(env).id)
    accounts = alice_env["outlook.account"]
    query = consent(request, accounts.action_start_sign_in("/odoo/calendar"))
    accounts._finish_sign_in(query["state"], query)
    # The first-sync preview's default choice: both ways, attendees not sent.
    accounts.search([("user_id", "=", alice_of(env).id)])._choose_first_sync("two_way", False)
    return {}


def enable_webhooks(env: Any, request: Json) -> Json:
    """Tell the addon where the bench's Odoo server listens, for the emulator's notifications."""
    params = env["ir.config_parameter"].sudo()
    params.set_param("outlook_calendar_sync.webhook_base_url", request["odoo_url"])
    return {}


def connect_builtin(env: Any, request: Json) -> Json:
    """The built-in's OAuth dance (authorize URI, code, token exchange) against the emulator."""
    service = env["microsoft.service"]
    base_url = env["ir.config_parameter"].sudo().get_param("web.base.url")
    redirect_uri = f"{base_url}/microsoft_account/authentication"
    authorize_url = service._get_authorize_uri(
        "/odoo/calendar", "calendar", service._get_calendar_scope(), redirect_uri
    )
    query = consent(request, authorize_url)
    access, refresh, ttl = service._get_microsoft_tokens(query["code"], "calendar", redirect_uri)
    alice_of(env)._set_microsoft_auth_tokens(access, refresh, ttl)
    return {}


def seed_odoo(env: Any, request: Json) -> Json:
    """Alice creates the calendar in Odoo: singles in one batch, each series on its own (the
    built-in refuses series from a synced user: that refusal is reported, not worked around)."""
    alice = alice_of(env)
    events = [load_event(raw) for raw in json.loads(Path(request["calendar_file"]).read_text())]
    partners = attendee_partners(env)
    Event = env(user=alice.id)["calendar.event"].with_context(**QUIET, no_calendar_sync=True)
    singles = [odoo_values(ev, alice, partners) for ev in events if not ev.series]
    Event.create(singles)
    refused = []
    for event in (ev for ev in events if ev.series):
        try:
            with env.cr.savepoint():
                Event.create(odoo_values(event, alice, partners))
        except UserError as error:
            refused.append(str(error))
    return {"singles": len(singles), "series": len(events) - len(singles), "refused": refused}


def load_event(raw: Json) -> BenchEvent:
    """A generated item back from its JSON copy (see ``BenchEvent.as_json``)."""
    return BenchEvent(
        **{
            **raw,
            "start": datetime.fromisoformat(raw["start"]),
            "series": Series(**raw["series"]) if raw["series"] else None,
            "attendees": [tuple(pair) for pair in raw["attendees"]],
        }
    )


def attendee_partners(env: Any) -> dict[str, int]:
    """The external attendees as partners (created once, by email)."""
    Partner = env["res.partner"].with_context(**QUIET)
    pool = attendee_pool()
    existing = {
        p.email: p.id for p in Partner.search([("email", "in", [email for _n, email in pool])])
    }
    missing = [{"name": name, "email": email} for name, email in pool if email not in existing]
    existing.update({p.email: p.id for p in Partner.create(missing)})
    return existing


def odoo_values(event: BenchEvent, alice: Any, partners: dict[str, int]) -> Json:
    """``calendar.event`` values of a generated item, owned by Alice."""
    attendee_ids = [alice.partner_id.id] + [partners[email] for _n, email in event.attendees]
    values: Json = {
        "name": event.subject,
        "description": event.body_html,
        "location": event.location,
        "user_id": alice.id,
        "partner_ids": [Command.set(attendee_ids)],
    }
    if event.all_day:
        last_day: date = end_of(event).date() - timedelta(days=1)
        values.update(
            allday=True,
            start=event.start.replace(hour=8),
            stop=datetime.combine(last_day, datetime.min.time()).replace(hour=18),
            start_date=event.start.date(),
            stop_date=last_day,
        )
    else:
        values.update(
            start=utc_naive(event.start, event.zone), stop=utc_naive(end_of(event), event.zone)
        )
    if event.series:
        values.update(odoo_recurrence(event))
    return values


def odoo_recurrence(event: BenchEvent) -> Json:
    series = event.series
    assert series is not None
    values: Json = {
        "recurrency": True,
        "rrule_type": ODOO_RRULE[series.pattern],
        "interval": series.interval,
        "end_type": "count",
        "count": series.count,
        "event_tz": event.zone,
    }
    if series.pattern == "weekly":
        values[ODOO_WEEKDAYS[event.start.weekday()]] = True
    elif series.pattern == "absoluteMonthly":
        values.update(month_by="date", day=event.start.day)
    return values


def edit_odoo(env: Any, request: Json) -> Json:
    """Ten changes in Alice's Odoo calendar: 4 moves + renames, 3 new events, 3 deletions.

    Timed up to and including the commit, which is when the built-in pushes (post-commit hooks).
    """
    alice = alice_of(env)
    Event = env(user=alice.id)["calendar.event"].with_context(**QUIET)
    edits = request["odoo_edits"]
    started = time.perf_counter()
    for event in Event.search([("name", "in", edits["update"])]):
        event.write(
            {
                "name": f"{event.name} (moved)",
                "start": event.start + timedelta(hours=1),
                "stop": event.stop + timedelta(hours=1),
            }
        )
    tomorrow = datetime.utcnow().replace(hour=9, minute=0, second=0, microsecond=0)
    Event.create(
        [
            {
                "name": name,
                "start": tomorrow + timedelta(days=index + 1),
                "stop": tomorrow + timedelta(days=index + 1, hours=1),
                "user_id": alice.id,
                "partner_ids": [(6, 0, alice.partner_id.ids)],
            }
            for index, name in enumerate(edits["create"])
        ]
    )
    Event.search([("name", "in", edits["delete"])]).unlink()
    env.cr.commit()
    return {"commit_s": time.perf_counter() - started}


# ----------------------------------------------------------------------
# The measured sync
# ----------------------------------------------------------------------


def measured(sync: Callable[[Any], Json]) -> Callable[[Any, Json], Json]:
    """Time ``sync`` (commit included) and its peak RSS above the RSS it started with."""

    def step(env: Any, request: Json) -> Json:
        odoo_before = odoo_event_counts(env)
        graph_before = emulator_counters(request)
        baseline_kb = reset_peak_rss()
        queries_before = env.cr.sql_log_count
        cpu_before = time.process_time()
        started = time.perf_counter()
        details = sync(env)
        env.cr.commit()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        queries = env.cr.sql_log_count - queries_before
        peak_kb = proc_status_kb("VmHWM")
        graph_after = emulator_counters(request)
        return {
            "wall_s": wall,
            "cpu_s": cpu,
            "queries": queries,
            "peak_mb": max(peak_kb - baseline_kb, 0) / 1024,
            "odoo_before": odoo_before,
            "odoo_events": odoo_event_counts(env),
            "graph": {key: graph_after[key] - graph_before[key] for key in GRAPH_COUNTERS},
            **details,
        }

    return step


# The emulator's counters a measured sync reports the difference of (see Bench.traffic).
GRAPH_COUNTERS = ("total", "writes", "http_requests", "throttled")


def emulator_counters(request: Json) -> Json:
    """The emulator's traffic counters now (its control API, outside the timed part)."""
    return EmulatorControl(request["emulator"]["url"]).request("GET", "/counters")


def reset_peak_rss() -> int:
    """Reset the kernel's peak-RSS mark (VmHWM, what ru_maxrss reports) and return the RSS now.

    Without the reset the peak would be the registry load's, not the sync's.
    """
    Path("/proc/self/clear_refs").write_text("5")
    return proc_status_kb("VmRSS")


def proc_status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{key} missing from /proc/self/status")


@measured
def sync_ours(env: Any) -> Json:
    """One run of Alice's account, exactly what the cron calls."""
    account = env["outlook.account"].search([("user_id", "=", alice_of(env).id)])
    log = account._sync()
    return {
        "state": log.state,
        "errors": log.error_count,
        "counts": sync_counts(log),
        "read_unfinished": log.read_unfinished,
    }


@measured
def sync_builtin(env: Any) -> Json:
    """What the built-in's cron does for one user (``_sync_all_microsoft_calendar``)."""
    alice = alice_of(env)
    alice.with_user(alice).sudo()._sync_microsoft_calendar()
    return {"state": "done", "errors": 0, "counts": {}}


def profiled(name: str) -> Step:
    """A sync of this addon under cProfile, its stats written to the request's
    ``profile_prefix``-``name``.pstats: run as the first and then the second sync of one
    process, the two profiles show what a fresh process pays once and what every sync pays."""

    def step(env: Any, request: Json) -> Json:
        profile = cProfile.Profile()
        profile.enable()
        answer = sync_ours(env, request)
        profile.disable()
        path = f"{request['profile_prefix']}-{name}.pstats"
        profile.dump_stats(path)
        return answer | {"profile": path}

    return step


# The fields of an imported event the floor creates again (its recurrence's rule aside).
FLOOR_FIELDS = (
    "name",
    "description",
    "location",
    "user_id",
    "allday",
    "start",
    "stop",
    "start_date",
    "stop_date",
    "privacy",
    "show_as",
)


def floor(env: Any, request: Json) -> Json:
    """What Odoo alone costs to create the records an import made: the imported events read
    back, then created again with the ORM in Alice's context, singles in one batch and each
    series from its first event with its rule (Odoo making the occurrences), attendees, alarms
    and tags included; timed to the last flush, then rolled back (nothing kept)."""
    alice = alice_of(env)
    Event = env(user=alice.id)["calendar.event"].with_context(**QUIET, no_calendar_sync=True)
    imported = Event.search([("user_id", "=", alice.id)])
    recurrent = Event._get_recurrent_fields() - {"rrule"}

    def values(event: Any) -> Json:
        return {
            **{name: event[name] for name in FLOOR_FIELDS},
            "user_id": event.user_id.id,
            "partner_ids": [Command.set(event.partner_ids.ids)],
            "alarm_ids": [Command.set(event.alarm_ids.ids)],
            "categ_ids": [Command.set(event.categ_ids.ids)],
        }

    singles = [values(event) for event in imported if not event.recurrence_id]
    series = [
        values(recurrence.base_event_id or recurrence.calendar_event_ids[:1])
        | {"recurrency": True}
        | {name: recurrence[name] for name in recurrent if name in recurrence._fields}
        for recurrence in imported.recurrence_id
    ]
    baseline_kb = reset_peak_rss()
    started = time.perf_counter()
    Event.create(singles)
    for vals in series:
        Event.create(vals)
    env.flush_all()
    wall = time.perf_counter() - started
    peak_kb = proc_status_kb("VmHWM")
    created = Event.search_count([("user_id", "=", alice.id)]) - len(imported)
    env.cr.rollback()
    return {
        "wall_s": wall,
        "peak_mb": max(peak_kb - baseline_kb, 0) / 1024,
        "created": created,
        "singles": len(singles),
        "series": len(series),
    }


def odoo_event_counts(env: Any) -> Json:
    Event = env["calendar.event"]
    domain = [("user_id", "=", alice_of(env).id)]
    return {
        "events": Event.search_count(domain),
        "recurring_events": Event.search_count([*domain, ("recurrency", "=", True)]),
        "recurrences": env["calendar.recurrence"].search_count([]),
    }


def check_edits(env: Any, request: Json) -> Json:
    """How many of the 10 Outlook edits Alice's Odoo calendar shows."""
    edits = request["odoo_edits"]
    names = set(env["calendar.event"].search([("user_id", "=", alice_of(env).id)]).mapped("name"))
    edited = sum(f"{name} (edited in Outlook)" in names for name in edits["outlook_update"])
    created = sum(f"New in Outlook {index}" in names for index in range(3))
    deleted = sum(name not in names for name in edits["outlook_delete"])
    return {"outlook_edits_in_odoo": edited + created + deleted}


def first_sync_builtin(env: Any, request: Json) -> Json:
    """An unmeasured first sync (on an empty Outlook calendar): the built-in records then its
    first-sync date, and only pushes events created after it."""
    return sync_builtin(env, request)


STEPS: dict[str, dict[str, Step]] = {
    OURS: {
        "prepare": prepare_ours,
        "connect": connect_ours,
        "enable_webhooks": enable_webhooks,
        "seed_odoo": seed_odoo,
        "edit_odoo": edit_odoo,
        "sync": sync_ours,
        "sync_warm": sync_ours,
        "profile_cold": profiled("cold"),
        "profile_warm": profiled("warm"),
        "profile_import": profiled("import"),
        "check_edits": check_edits,
        "floor": floor,
    },
    BUILTIN: {
        "prepare": prepare_builtin,
        "connect": connect_builtin,
        "first_sync": first_sync_builtin,
        "seed_odoo": seed_odoo,
        "edit_odoo": edit_odoo,
        "sync": sync_builtin,
        "check_edits": check_edits,
    },
}


def for_impl(request: Json, steps: dict[str, Step]) -> dict[str, Step]:
    """``steps``, once the built-in (when the request is for it) is pointed at the emulator."""
    if request["impl"] == BUILTIN:
        point_builtin_at_emulator(request["emulator"]["url"])
    return steps


if __name__ == "__main__":
    serve(sys.argv[1], lambda request: for_impl(request, STEPS[request["impl"]]))
