"""Run by `make test`: upgrading a database from the previous release keeps every link.

The base is the newest commit whose ``__manifest__.py`` version differs from the checkout's
(``UPGRADE_FROM=<commit>`` names another). Its tree, exported with ``git archive`` into
.dev/upgrade/<commit>/outlook_calendar_sync, is installed in a fresh database and served by Odoo
against the Graph emulator (in this process). Alice and Bob connect through the Outlook
button's calls and sync: Alice's Outlook holds a weekly series with a moved occurrence, Bob and
an outsider invited, and a tagged meeting; she adds a second calendar of hers from the
calendar picker; Bob's Odoo holds a meeting with Alice and an outsider and a weekly series with
one occurrence renamed. Once a round of syncs changes nothing, Odoo stops, ``odoo-bin -u`` runs
with the checkout's addons, Odoo starts again and every account syncs.

The checks, printed with their figures: the upgrade logs no warning; the same number of events
in Odoo and in Outlook before and after, no mail (Odoo's mail.mail, Exchange's sent items), the
same links, every account still connected with its tokens and its delta link, and the sync
after the upgrade is one Graph request per account that writes nothing; the migrations ran
(Alice's second calendar no longer takes Outlook's answers). What the new version asks of a
user is asked once: Bob tags a meeting, Outlook refuses the category list to a token signed in
before the version asked for MailboxSettings, the event still goes, and one notice, on the
first sync only, asks him to reconnect.

Exits non-zero when a check fails; the logs are in .dev/upgrade/.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    ADDON,
    COUNT_PREFIXES,
    DEV,
    ROOT,
    CheckFailed,
    ProcessFailed,
    check,
    drop_db,
    free_port,
    graph_event,
    graph_time,
    install,
    load_pg_env,
    narrator,
    odoo_server,
    one_value,
    run_logged,
)
from rpc import OdooSession

from graph_emulator import GraphEmulator

WORK_DIR = DEV / "upgrade"
DB = f"{ADDON}_upgrade"
SYNC_TIMEOUT = 300
SETTLE_ROUNDS = 4
ALICE, BOB = "alice@example.com", "bob@example.com"
USERS = {"alice": ALICE, "bob": BOB}
SECOND_CALENDAR = "Projects"
CATEGORIES = ("Planning", "Finance")
MAILBOX_SETTINGS = "MailboxSettings.ReadWrite"
LOG_PROBLEM = re.compile(r"^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ", re.MULTILINE)
STATE = "SELECT state FROM outlook_account WHERE id = %s"
DELTA_LINK = "SELECT delta_link FROM outlook_account WHERE id = %s"
UNTRACKED = "SELECT responses_untracked FROM outlook_account WHERE id = %s"
# Whether the account holds tokens: its own, or those of the account it signs in through.
TOKENS = """
    SELECT COALESCE(connection.token_cache, account.token_cache) IS NOT NULL
      FROM outlook_account account
      LEFT JOIN outlook_account connection ON connection.id = account.connection_id
     WHERE account.id = %s
"""
LOG_FIELDS = ["account_id", "state", "graph_requests", "errors", "notices"]

Json = dict[str, Any]
say = narrator("upgrade")


# ----------------------------------------------------------------------------------------------
# The base release, from git
# ----------------------------------------------------------------------------------------------


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, check=False, capture_output=True, text=True)
    if done.returncode:
        raise CheckFailed(
            f"git {' '.join(args)}: {done.stderr.strip()} (the check needs the history: "
            "a clone, not a shallow one or an export)"
        )
    return done.stdout.strip()


def manifest_version(commit: str | None = None) -> str:
    """The manifest's version at ``commit`` (None: in the checkout)."""
    path = ROOT / "__manifest__.py"
    text = path.read_text() if commit is None else git("show", f"{commit}:__manifest__.py")
    return ast.literal_eval(text)["version"]


def base_commit() -> str | None:
    """``UPGRADE_FROM``, else the newest commit whose manifest version differs from the
    checkout's, along first parents (the branch's own history: once a branch that changed the
    version is merged, the state just before the merge): the parent of the oldest of the newest
    manifest changes that kept the checkout's version (HEAD itself when the checkout changed
    the version). None: the version never changed."""
    if chosen := os.environ.get("UPGRADE_FROM"):
        return git("rev-parse", "--verify", f"{chosen}^{{commit}}")
    current = manifest_version()
    if manifest_version("HEAD") != current:
        return git("rev-parse", "HEAD")
    same = None
    for commit in git("log", "--first-parent", "--format=%H", "--", "__manifest__.py").split():
        if manifest_version(commit) != current:
            break
        same = commit
    else:
        return None
    base = git("rev-parse", f"{same}^")
    check(manifest_version(base) != current, f"{base} has the checkout's version {current}")
    return base


def export(commit: str) -> Path:
    """The addon's tree at ``commit`` in an addons folder of its own (git-ignored .dev/)."""
    addons = WORK_DIR / commit[:12]
    shutil.rmtree(addons, ignore_errors=True)
    (addons / ADDON).mkdir(parents=True)
    tree = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tree)) as archive:
        archive.extractall(addons / ADDON, filter="data")
    return addons


def sign_in_scopes(addons: Path | None = None) -> set[str]:
    """The permissions the addon asks for at sign-in: the exported base's in ``addons``, else
    the checkout's (each ``services`` package loaded under a name of its own)."""
    if addons is None:
        return set(importlib.import_module("services.auth").SCOPES)
    package = addons / ADDON / "services"
    name = "base_release_services"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules[name])
    return set(importlib.import_module(f"{name}.auth").SCOPES)


# ----------------------------------------------------------------------------------------------
# The scenario, through Odoo's JSON-RPC as its users, and the emulator
# ----------------------------------------------------------------------------------------------


def odoo_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def attendee(address: str, name: str) -> Json:
    return {"emailAddress": {"address": address, "name": name}, "type": "required"}


def column_exists(table: str, column: str) -> bool:
    query = "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s"
    return bool(one_value(DB, query, (table, column)))


class Upgrade:
    """The emulator, the sessions and the figures of one run."""

    def __init__(self, emulator: GraphEmulator) -> None:
        self.emulator = emulator
        self.start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(
            hour=9, minute=0, second=0, microsecond=0, tzinfo=None
        )
        self.admin: OdooSession
        self.sessions: dict[str, OdooSession] = {}
        self.log_fields: list[str] = []
        self.accounts: dict[str, int] = {}

    def login(self, url: str) -> None:
        """Sessions of the administrator and the users on the Odoo at ``url``."""
        self.admin = OdooSession(url, DB, "admin", "admin")
        self.sessions = {login: OdooSession(url, DB, login, login) for login in USERS}
        self.log_fields = [*LOG_FIELDS, *self.admin.sync_log_counts()]

    # --- set-up, at the base release ------------------------------------------------------
    def configure(self, url: str) -> None:
        """Settings pointed at the emulator, the redirect URI, the tags, Alice and Bob."""
        admin = OdooSession(url, DB, "admin", "admin")
        params = {
            "enabled": "True",
            "client_id": self.emulator.client_id,
            "client_secret": self.emulator.client_secret,
            "authority_host": self.emulator.url,
            "tenant": "common",
            "graph_endpoint": self.emulator.graph,
        }
        for key, value in params.items():
            admin.call("ir.config_parameter", "set_param", f"{ADDON}.{key}", value)
        admin.call("ir.config_parameter", "set_param", "web.base.url", url)
        admin.call("ir.config_parameter", "set_param", "web.base.url.freeze", "True")
        _, internal = admin.call("ir.model.data", "check_object_reference", "base", "group_user")
        # Outlook's categories are Odoo tags already: the first 18.0.1.0.0 builds read Outlook's
        # category list to colour a new tag, which Microsoft refuses to a token without
        # MailboxSettings (the whole sync failed).
        admin.call("calendar.event.type", "create", [{"name": name} for name in CATEGORIES])
        for login, email in USERS.items():
            admin.call(
                "res.users",
                "create",
                {
                    "login": login,
                    "password": login,
                    "name": login.title(),
                    "email": email,
                    "tz": "UTC",
                    "groups_id": [(4, internal)],
                },
            )
        self.login(url)

    def connect(self, login: str) -> None:
        """What the Outlook sync button does, the emulator's Accept in the middle."""
        session = self.sessions[login]
        authorize_url = session.call("outlook.account", "action_start_sign_in")
        redirect = self.emulator.sign_in(USERS[login], authorize_url)
        reply = session.http.get(redirect, allow_redirects=False, timeout=60)
        check(reply.status_code == 303, f"{login}'s sign-in answered {reply.status_code}")
        status = session.call("outlook.account", "get_sync_status")
        check(status["state"] == "preview", f"{login}'s account is {status['state']}")
        self.accounts[login] = status["account_id"]

    def first_sync(self, login: str) -> Json:
        """The first sync, started from the first-sync preview with its default choice."""
        session, account = self.sessions[login], self.accounts[login]
        action = session.call("outlook.account", "action_open_first_sync_preview", [account])
        return self.sync(
            login,
            lambda: session.call(
                action["res_model"], "action_start", [action["res_id"]], timeout=SYNC_TIMEOUT
            ),
        )

    def add_second_calendar(self) -> None:
        """Alice picks her second calendar in the calendar picker and saves."""
        session = self.sessions["alice"]
        action = session.call(
            "outlook.account", "action_choose_calendars", [self.accounts["alice"]]
        )
        lines = session.call(
            "outlook.calendar.picker.line",
            "search_read",
            [("picker_id", "=", action["res_id"]), ("name", "=", SECOND_CALENDAR)],
            ["id"],
        )
        check(len(lines) == 1, f"the picker lists {SECOND_CALENDAR} {len(lines)} times")
        session.call(
            "outlook.calendar.picker",
            "write",
            [action["res_id"]],
            {"line_ids": [(1, lines[0]["id"], {"selected": True})]},
        )
        session.call("outlook.calendar.picker", "action_apply", [action["res_id"]])
        (second,) = self.admin.call(
            "outlook.account", "search", [("connection_id", "=", self.accounts["alice"])]
        )
        self.accounts["alice/" + SECOND_CALENDAR] = second

    def fill_outlook(self) -> None:
        """Alice's Outlook: a weekly series (Bob and Carol invited, a category) with its second
        occurrence moved an hour, a tagged meeting with Carol, an event in her second
        calendar."""
        weekly = {
            "pattern": {
                "type": "weekly",
                "interval": 1,
                "daysOfWeek": [self.start.strftime("%A").lower()],
            },
            "range": {
                "type": "numbered",
                "startDate": str(self.start.date()),
                "numberOfOccurrences": 4,
            },
        }
        bob, carol = attendee(BOB, "Bob"), attendee("carol@example.net", "Carol Outsider")
        self.emulator.create_event(
            ALICE,
            graph_event(
                "Weekly planning",
                self.start,
                60,
                recurrence=weekly,
                attendees=[bob, carol],
                categories=[CATEGORIES[0]],
            ),
        )
        window = (self.start - timedelta(days=1)).replace(tzinfo=timezone.utc)
        occurrences = sorted(
            (
                row
                for row in self.emulator.calendar_view(ALICE, window, window + timedelta(weeks=6))
                if row["subject"] == "Weekly planning"
            ),
            key=lambda row: row["start"]["dateTime"],
        )
        moved = self.start + timedelta(weeks=1, hours=1)
        self.emulator.update_event(
            ALICE,
            occurrences[1]["id"],
            {"start": graph_time(moved), "end": graph_time(moved + timedelta(hours=1))},
        )
        self.emulator.create_event(
            ALICE,
            graph_event(
                "Budget review",
                self.start + timedelta(days=1, hours=5),
                45,
                attendees=[carol],
                categories=[CATEGORIES[1]],
            ),
        )
        second = self.emulator.add_calendar(ALICE, SECOND_CALENDAR)
        roadmap = graph_event("Roadmap", self.start + timedelta(days=2, hours=1), 90)
        self.emulator.create_event(ALICE, roadmap, calendar_id=second)

    def fill_odoo(self) -> None:
        """Bob's Odoo: a meeting with Alice and Dana (not in Outlook), and a weekly series of
        three with Dana whose second occurrence he renamed."""
        bob = self.sessions["bob"]
        alice = self.sessions["alice"]
        dana = self.admin.call(
            "res.partner", "create", {"name": "Dana Outsider", "email": "dana@example.net"}
        )
        meeting = self.start + timedelta(days=1, hours=2)
        bob.call(
            "calendar.event",
            "create",
            {
                "name": "Bob's one-to-one",
                "start": odoo_time(meeting),
                "stop": odoo_time(meeting + timedelta(minutes=30)),
                "partner_ids": [(6, 0, [bob.partner_id, alice.partner_id, dana])],
            },
        )
        first = self.start + timedelta(days=3, hours=-1)
        bob.call(
            "calendar.event",
            "create",
            {
                "name": "Bob's stand-up",
                "start": odoo_time(first),
                "stop": odoo_time(first + timedelta(minutes=15)),
                "partner_ids": [(6, 0, [bob.partner_id, dana])],
                "recurrency": True,
                "rrule_type": "weekly",
                first.strftime("%a").lower(): True,
                "interval": 1,
                "end_type": "count",
                "count": 3,
                "event_tz": "UTC",
            },
        )
        occurrences = bob.call(
            "calendar.event", "search", [("name", "=", "Bob's stand-up")], order="start"
        )
        bob.call(
            "calendar.event",
            "write",
            [occurrences[1]],
            {"name": "Bob's stand-up (demo day)", "recurrence_update": "self_only"},
        )

    # --- syncing ---------------------------------------------------------------------------
    def sync(self, login: str, start_sync: Any = None) -> Json:
        """One "Sync now" of the user (the account that holds the sign-in brings the mailbox's
        other calendars along), or ``start_sync()``: the logs it wrote by account, and the
        Graph requests and writes the emulator counted."""
        (last,) = self.admin.call("outlook.sync.log", "search", [], order="id desc", limit=1) or [0]
        before = self.emulator.counters()
        if start_sync is None:
            self.sessions[login].call(
                "outlook.account", "action_sync_now", [self.accounts[login]], timeout=SYNC_TIMEOUT
            )
        else:
            start_sync()
        after = self.emulator.counters()
        keys = {account: key for key, account in self.accounts.items()}
        logs = {
            keys[log["account_id"][0]]: log
            for log in self.admin.call(
                "outlook.sync.log", "search_read", [("id", ">", last)], self.log_fields, order="id"
            )
        }
        for key, log in logs.items():
            check(log["state"] == "done", f"{key}'s sync ended {log['state']}: {log['errors']}")
        return {
            "logs": logs,
            "requests": after["total"] - before["total"],
            "writes": after["writes"] - before["writes"],
            "paths": {
                path: count - before["by_path"].get(path, 0)
                for path, count in after["by_path"].items()
                if count != before["by_path"].get(path, 0)
            },
        }

    def settle(self) -> None:
        """Rounds of syncs until one changes nothing on either side."""
        for _ in range(SETTLE_ROUNDS):
            runs = [self.sync(login) for login in USERS]
            if not any(run["writes"] or changes(run) for run in runs):
                return
        raise CheckFailed(f"the syncs did not settle in {SETTLE_ROUNDS} rounds")

    def quiet_round(self, label: str) -> Json:
        """Each user's "Sync now", as it found nothing to do: the Graph requests of each
        account's run (its log's count; the emulator must have counted as many in all)."""
        requests: Json = {}
        for login in USERS:
            run = self.sync(login)
            check(not changes(run), f"{label}: {login}'s sync changed {changes(run)}")
            check(not run["writes"], f"{label}: {login}'s sync wrote {run['writes']} times")
            counted = {key: log["graph_requests"] for key, log in run["logs"].items()}
            check(
                sum(counted.values()) == run["requests"],
                f"{label}: {login}'s logs count {counted}, the emulator {run['paths']}",
            )
            requests.update(counted)
        say(f"quiet sync {label}, Graph requests by account: {json.dumps(requests)}")
        return requests

    # --- the state both sides hold ---------------------------------------------------------
    def state(self) -> Json:
        """What must not change: events on both sides, mails, links, each account's state,
        whether it holds tokens, its delta link, whether it tracks Outlook's answers (not
        marked in a version without the column)."""
        untracked = column_exists("outlook_account", "responses_untracked")
        accounts = {}
        for key, aid in self.accounts.items():
            accounts[key] = {
                "state": one_value(DB, STATE, (aid,)),
                "tokens": one_value(DB, TOKENS, (aid,)),
                "delta_link": one_value(DB, DELTA_LINK, (aid,)),
                "responses_untracked": untracked and bool(one_value(DB, UNTRACKED, (aid,))),
            }
        return {
            "odoo_events": one_value(DB, "SELECT count(*) FROM calendar_event"),
            "odoo_active_events": one_value(DB, "SELECT count(*) FROM calendar_event WHERE active"),
            "outlook_events": sum(len(self.emulator.events(box)) for box in USERS.values()),
            "outlook_occurrences": sum(self.occurrences(box) for box in USERS.values()),
            "links": one_value(DB, "SELECT count(*) FROM outlook_event_link"),
            "odoo_mails": one_value(DB, "SELECT count(*) FROM mail_mail"),
            "outlook_mails": len(self.emulator.sent_mail()),
            "accounts": accounts,
        }

    def occurrences(self, mailbox: str) -> int:
        window = (self.start - timedelta(days=7)).replace(tzinfo=timezone.utc)
        return len(self.emulator.calendar_view(mailbox, window, window + timedelta(weeks=10)))


def changes(run: Json) -> dict[str, int]:
    """What a sync's logs say it changed, by account and count, the zeros left out."""
    return {
        f"{key} {name}": log[name]
        for key, log in run["logs"].items()
        for name in log
        if name.startswith(COUNT_PREFIXES) and log[name]
    }


# ----------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------


def upgrade_database() -> float:
    """``odoo-bin -u`` with the checkout's addons, Odoo stopped; fails on a logged warning.
    Returns how long it took."""
    started = time.perf_counter()
    log = WORK_DIR / "upgrade.log"
    run_logged(install(DB, ADDON, update=True), log, f"odoo-bin -u {ADDON}")
    problems = LOG_PROBLEM.findall(log.read_text(errors="replace"))
    check(not problems, f"the upgrade logged {len(problems)} warnings or errors ({log})")
    return round(time.perf_counter() - started, 1)


def compare(before: Json, after: Json) -> None:
    for key in before:
        if key != "accounts":
            check(after[key] == before[key], f"{key}: {before[key]} before, {after[key]} after")
    for key, account in after["accounts"].items():
        check(account["state"] == "active", f"{key} is {account['state']} after the upgrade")
        check(account["tokens"], f"{key} lost its tokens")
        check(account["delta_link"], f"{key} lost its delta link")


def printable(state: Json) -> Json:
    """``state`` with each delta link as whether it is there."""
    accounts = {
        key: {**values, "delta_link": bool(values["delta_link"])}
        for key, values in state["accounts"].items()
    }
    return {**state, "accounts": accounts}


def asked_once(run: Upgrade, new_scopes: set[str]) -> Json:
    """Bob tags his meeting twice, a sync after each. When the base did not ask for
    MailboxSettings at sign-in, Outlook refuses the category list to his token; the event still
    goes, and the first sync's log alone asks him to reconnect. Otherwise nothing is asked."""
    unknown = new_scopes - {MAILBOX_SETTINGS}
    check(not unknown, f"the checkout asks for {unknown} at sign-in: check how users are asked")
    refusal = bool(new_scopes)
    bob = run.sessions["bob"]
    (meeting,) = bob.call("calendar.event", "search", [("name", "=", "Bob's one-to-one")])
    logs = []
    for name in ("Upgraded", "Reviewed"):
        tag = run.admin.call("calendar.event.type", "create", {"name": name})
        bob.call("calendar.event", "write", [meeting], {"categ_ids": [(4, tag)]})
        logs.append(run.sync("bob")["logs"]["bob"])
    asks = [
        sum(MAILBOX_SETTINGS in (notice.get("reason") or "") for notice in log["notices"] or [])
        for log in logs
    ]
    refused = one_value(
        DB, "SELECT categories_refused FROM outlook_account WHERE id = %s", (run.accounts["bob"],)
    )
    figures = {
        "pushed_updated": [log["pushed_updated"] for log in logs],
        "new_sign_in_scopes": sorted(new_scopes),
        "reconnect_notices": asks,
        "categories_refused": refused,
    }
    check(all(log["pushed_updated"] == 1 for log in logs), f"the tagged meeting: {figures}")
    expected = [1, 0] if refusal else [0, 0]
    check(
        asks == expected and bool(refused) == refusal,
        f"the reconnect is not asked {'once' if refusal else 'at all'}: {figures}",
    )
    return figures


def run_check(emulator: GraphEmulator, base: str) -> Json:
    run = Upgrade(emulator)
    bundle = str(emulator.bundle_path)
    addons = export(base)
    say(f"installing {ADDON} {manifest_version(base)} ({base[:12]}) from {addons}")
    run_logged(install(DB, ADDON, addons=addons), WORK_DIR / "install.log", "the base install")
    base_log = WORK_DIR / "odoo-base.log"
    with odoo_server(DB, free_port(), bundle, base_log, cron_threads=0, addons=addons) as url:
        run.configure(url)
        for login in USERS:
            run.connect(login)
        run.fill_outlook()
        for login in USERS:
            run.first_sync(login)
        run.add_second_calendar()
        run.fill_odoo()
        say("Alice and Bob connected; syncing until nothing changes")
        run.settle()
        requests_before = run.quiet_round("before the upgrade")
    before = run.state()
    say(f"before: {json.dumps(printable(before))}")

    say(f"odoo-bin -u {ADDON} with the checkout's {manifest_version()}")
    upgrade_s = upgrade_database()
    migrated = run.state()
    for key, account in before["accounts"].items():
        check(
            migrated["accounts"][key]["delta_link"] == account["delta_link"],
            f"the upgrade changed {key}'s delta link",
        )
    untracked = {key: acc["responses_untracked"] for key, acc in migrated["accounts"].items()}
    second = "alice/" + SECOND_CALENDAR
    check(
        untracked == {key: key == second for key in untracked},
        f"answers untracked after the upgrade: {untracked}, expected for {second} only",
    )

    with odoo_server(DB, free_port(), bundle, WORK_DIR / "odoo.log", cron_threads=0) as url:
        run.login(url)
        requests_after = run.quiet_round("after the upgrade")
        after = run.state()
        say(f"after: {json.dumps(printable(after))}")
        compare(before, after)
        check(
            set(requests_after) == set(run.accounts)
            and all(count == 1 for count in requests_after.values()),
            f"the quiet sync after the upgrade is not one request per account: {requests_after}",
        )
        ask = asked_once(run, sign_in_scopes() - sign_in_scopes(addons))
    return {
        "base": base,
        "from": manifest_version(base),
        "to": manifest_version(),
        "upgrade_s": upgrade_s,
        "before": printable(before),
        "after": printable(after),
        "requests_before": requests_before,
        "requests_after": requests_after,
        "asked_once": ask,
    }


def main(argv: list[str]) -> int:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    load_pg_env()
    drop_db(DB)
    try:
        base = base_commit()
        if base is None:
            say(f"the manifest never had another version than {manifest_version()}: no upgrade")
            return 0
        with GraphEmulator(seed="empty") as emulator:
            figures = run_check(emulator, base)
    except (CheckFailed, ProcessFailed, TimeoutError) as failure:
        say(f"FAILED: {failure}")
        return 1
    finally:
        if "--keep" not in argv:
            drop_db(DB)
    (WORK_DIR / "figures.json").write_text(json.dumps(figures, indent=2))
    before, after = figures["before"], figures["after"]
    for key in ("odoo_events", "outlook_events", "outlook_occurrences", "links", "odoo_mails"):
        say(f"{key}: {before[key]} before, {after[key]} after")
    say(f"outlook_mails: {before['outlook_mails']} before, {after['outlook_mails']} after")
    say(
        f"Graph requests of a quiet sync, per account: {figures['requests_before']} before, "
        f"{figures['requests_after']} after"
    )
    say(f"what the upgrade asks of Bob: {figures['asked_once']}")
    say(
        f"{figures['from']} ({base[:12]}) -> {figures['to']}: all checks passed "
        f"(the -u took {figures['upgrade_s']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
