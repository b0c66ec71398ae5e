"""The scripted two-way scenario of `make demo ARGS=--once`, and its report.

Both demo users connect through the Outlook sync button's own calls (the emulator's Accept in
the middle), sync, edit both sides (in Odoo as the users, in Outlook through the emulator's
control API), sync until settled; then every linked Odoo event is compared with its Outlook
event, each scripted edit is looked for on the other side, duplicates are counted on both, and
a table says what each user's syncs did. ``make screenshots`` reuses its steps.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from harness import graph_time
from rpc import EmulatorControl, OdooSession, RpcError

SYNC_TIMEOUT = 300
PARIS = ZoneInfo("Europe/Paris")


def say(message: str) -> None:
    """One progress line; flushed, because make and CI logs buffer otherwise."""
    print(f"[demo] {message}", flush=True)


class DemoError(Exception):
    """A failure the user can act on: printed as one line, exit status 2."""


@dataclass(frozen=True)
class DemoUser:
    """An Odoo login of the demo and the emulator mailbox it connects to."""

    login: str
    name: str
    email: str
    tz: str


ADMIN = DemoUser("admin", "Mitchell Admin", "admin@example.com", "Europe/Brussels")
USERS = (
    DemoUser("alice", "Alice Martin", "alice@example.com", "Europe/Brussels"),
    DemoUser("bob", "Bob Jones", "bob@example.com", "America/New_York"),
)


@dataclass
class SyncTotals:
    """What the sync logs of one account say, summed: the counts by field of the model."""

    counts: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    errors: int = 0

    def pulled(self) -> str:
        """Outlook → Odoo, as +created ~updated -archived."""
        c = self.counts
        return f"+{c['pulled_created']} ~{c['pulled_updated']} -{c['pulled_archived']}"

    def pushed(self) -> str:
        """Odoo → Outlook, as +created ~updated -deleted."""
        c = self.counts
        return f"+{c['pushed_created']} ~{c['pushed_updated']} -{c['pushed_deleted']}"


class Scenario:
    """Connect both users, sync, edit both sides, sync, then compare both sides."""

    def __init__(self, odoo_url: str, db: str, control: EmulatorControl, odoo_log: Path) -> None:
        self.odoo_log = odoo_log
        self.control = control
        self.admin = OdooSession(odoo_url, db, "admin", "admin")
        self.sessions = {u.login: OdooSession(odoo_url, db, u.login, u.login) for u in USERS}
        self.count_fields = self.admin.sync_log_counts()
        self.accounts: dict[str, int] = {}
        self.previews: dict[str, int] = {}
        self.waiting_for_choice: set[str] = set()
        self.problems: list[str] = []
        self.compared = 0

    def run(self) -> bool:
        for user in USERS:
            self.connect(user)
        self.sync_all("first sync")
        self.edit_odoo()
        self.edit_outlook()
        self.sync_all("after the edits")
        self.sync_all("settling")
        self.check_edits_arrived()
        self.compare_linked_events()
        self.print_summary()
        return not self.problems

    # --- connecting ---------------------------------------------------------------------------
    def connect(self, user: DemoUser) -> None:
        """What the Outlook sync button does, with the emulator's Accept in the middle."""
        session = self.sessions[user.login]
        authorize_url = session.call(
            "outlook.account", "action_start_sign_in", return_path="/odoo/calendar"
        )
        redirect = self.control.request(
            "POST", "/sign_in", {"mailbox": user.email, "authorize_url": authorize_url}
        )["redirect_url"]
        reply = session.http.get(redirect, allow_redirects=False, timeout=60)
        if reply.status_code != 303:
            raise DemoError(
                f"{user.login}'s sign-in callback answered {reply.status_code}: {reply.text[:300]}"
            )
        status = session.call("outlook.account", "get_sync_status")
        if status["state"] != "preview":
            raise DemoError(f"{user.login}'s account is {status['state']}: {status['last_error']}")
        self.accounts[user.login] = status["account_id"]
        say(f"{user.login} connected to {status['mailbox']}")
        self.waiting_for_choice.add(user.login)

    def preview(self, user: DemoUser) -> None:
        """What the Calendar opens after the sign-in: the first-sync preview (a dry run), here
        taken just before that user's first sync so that its counts are what the sync does."""
        session = self.sessions[user.login]
        action = session.call(
            "outlook.account", "action_open_first_sync_preview", [self.accounts[user.login]]
        )
        (counts,) = session.call(
            action["res_model"],
            "read",
            [action["res_id"]],
            [
                "to_odoo_count",
                "to_outlook_count",
                "odoo_updated_count",
                "outlook_updated_count",
                "invited_count",
            ],
        )
        self.previews[user.login] = action["res_id"]
        say(
            f"{user.login}'s first-sync preview (both ways, no attendees): "
            f"Outlook→Odoo +{counts['to_odoo_count']} ~{counts['odoo_updated_count']}, "
            f"Odoo→Outlook +{counts['to_outlook_count']} ~{counts['outlook_updated_count']}, "
            f"{counts['invited_count']} emails to attendees"
        )

    # --- syncing ------------------------------------------------------------------------------
    def sync_all(self, label: str) -> None:
        for user in USERS:
            self.sync(user, label)

    def sync(self, user: DemoUser, label: str) -> None:
        account = self.accounts[user.login]
        before = self.log_ids(account)
        started = time.monotonic()
        if user.login in self.waiting_for_choice:
            self.waiting_for_choice.discard(user.login)
            self.preview(user)
        try:
            if user.login in self.previews:
                # The first sync starts from the preview, with its default choice.
                self.sessions[user.login].call(
                    "outlook.first.sync.wizard",
                    "action_start",
                    [self.previews.pop(user.login)],
                    timeout=SYNC_TIMEOUT,
                )
            else:
                self.sessions[user.login].call(
                    "outlook.account", "action_sync_now", [account], timeout=SYNC_TIMEOUT
                )
        except RpcError as error:
            raise DemoError(
                f"{user.login}'s sync ({label}) crashed in Odoo: {error} "
                f"(traceback in {self.odoo_log})"
            ) from error
        new = [i for i in self.log_ids(account) if i not in before]
        if not new:
            raise DemoError(f"{user.login}'s sync ({label}) wrote no outlook.sync.log record")
        totals = self.totals(new)
        say(
            f"sync {user.login} ({label}, {time.monotonic() - started:.1f} s): "
            f"Outlook→Odoo {totals.pulled()}, Odoo→Outlook {totals.pushed()}, "
            f"conflicts {totals.conflicts}, errors {totals.errors}"
        )

    def log_ids(self, account: int) -> list[int]:
        return self.admin.call("outlook.sync.log", "search", [("account_id", "=", account)])

    def totals(self, log_ids: list[int]) -> SyncTotals:
        totals = SyncTotals()
        names = [*self.count_fields, "conflict_count", "error_count"]
        for log in self.admin.call("outlook.sync.log", "read", log_ids, names):
            totals.counts.update({name: log[name] for name in self.count_fields})
            totals.conflicts += log["conflict_count"]
            totals.errors += log["error_count"]
        return totals

    # --- edits on both sides ------------------------------------------------------------------
    def odoo_event(self, login: str, name: str) -> dict[str, Any]:
        found = self.sessions[login].call(
            "calendar.event",
            "search_read",
            [("name", "=", name)],
            ["start", "stop"],
            order="start",
        )
        if not found:
            raise DemoError(f"the first sync brought no {name!r} into {login}'s Odoo calendar")
        return found[0]

    def edit_odoo(self) -> None:
        alice, bob = self.sessions["alice"], self.sessions["bob"]
        offsite = self.odoo_event("alice", "Company offsite")
        alice.call("calendar.event", "write", [offsite["id"]], {"name": "Company offsite in Ghent"})
        focus = self.odoo_event("bob", "Focus time")
        later = {key: shift(focus[key], hours=1) for key in ("start", "stop")}
        bob.call("calendar.event", "write", [focus["id"]], later)
        lunch_start = this_monday() + timedelta(days=2, hours=12, minutes=30)
        alice.call(
            "calendar.event",
            "create",
            {
                "name": "Lunch with Bob",
                "start": odoo_utc(lunch_start),
                "stop": odoo_utc(lunch_start + timedelta(hours=1)),
                "partner_ids": [(6, 0, [alice.partner_id, bob.partner_id])],
            },
        )
        say(
            "Odoo edits: renamed 'Company offsite', moved Bob's 'Focus time' +1 h, "
            "created 'Lunch with Bob'"
        )

    def edit_outlook(self) -> None:
        bob_call = this_monday() + timedelta(days=1, hours=16)
        self.control.request(
            "POST",
            "/mailboxes/bob@example.com/events",
            {
                "subject": "Call with the accountant",
                "start": graph_time(bob_call),
                "end": graph_time(bob_call + timedelta(minutes=30)),
            },
        )
        roadmap = self.control.event_named("alice@example.com", "Roadmap review with New York")
        self.control.request(
            "PATCH",
            f"/mailboxes/alice@example.com/events/{roadmap['id']}",
            {
                "start": {
                    "dateTime": shift(roadmap["start"]["dateTime"], minutes=30),
                    "timeZone": "UTC",
                },
                "end": {
                    "dateTime": shift(roadmap["end"]["dateTime"], minutes=30),
                    "timeZone": "UTC",
                },
            },
        )
        dentist = self.control.event_named("alice@example.com", "Dentist")
        self.control.request("DELETE", f"/mailboxes/alice@example.com/events/{dentist['id']}")
        say(
            "Outlook edits: created Bob's 'Call with the accountant', moved 'Roadmap review with "
            "New York' +30 min, deleted Alice's 'Dentist'"
        )

    # --- checks -------------------------------------------------------------------------------
    def check_edits_arrived(self) -> None:
        """Each scripted edit must be visible on the side it did not happen on."""
        expectations = [
            ("alice@example.com", "Company offsite in Ghent", True),
            ("alice@example.com", "Lunch with Bob", True),
            ("bob@example.com", "Lunch with Bob", True),
            ("alice@example.com", "Company offsite", False),
        ]
        for mailbox, subject, wanted in expectations:
            present = any(
                e["subject"] == subject and not e["isCancelled"]
                for e in self.control.events(mailbox)
            )
            if present != wanted:
                self.problems.append(
                    f"Outlook {mailbox}: {subject!r} {'missing' if wanted else 'still there'}"
                )
        odoo_expectations = [
            ("bob", "Call with the accountant", True),
            ("alice", "Dentist", False),
        ]
        for login, name, wanted in odoo_expectations:
            present = bool(
                self.sessions[login].call("calendar.event", "search_count", [("name", "=", name)])
            )
            if present != wanted:
                self.problems.append(
                    f"Odoo {login}: {name!r} {'missing' if wanted else 'still there'}"
                )

    def compare_linked_events(self) -> None:
        """Every linked Odoo event against its Outlook event, fetched by graph_id."""
        for user in USERS:
            account = self.accounts[user.login]
            links = self.admin.call(
                "outlook.event.link",
                "search_read",
                [("account_id", "=", account)],
                ["event_id", "graph_id"],
            )
            outlook = {e["id"]: e for e in self.control.events(user.email)}
            odoo = self.odoo_events(
                user.login, [link["event_id"][0] for link in links if link["event_id"]]
            )
            for link in links:
                event = odoo.get(link["event_id"][0]) if link["event_id"] else None
                self.problems += compare(user.login, event, outlook, link["graph_id"])
            self.compared += len(links)

    def odoo_events(self, login: str, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Read as the user: private events are masked for anyone else, admin included."""
        rows = self.sessions[login].call(
            "calendar.event",
            "read",
            ids,
            ["name", "start", "stop", "allday", "start_date", "stop_date", "active"],
            context={"active_test": False},
        )
        return {row["id"]: row for row in rows}

    # --- summary ------------------------------------------------------------------------------
    def print_summary(self) -> None:
        counters = self.control.request("GET", "/counters")
        header = (
            "",
            "Outlook→Odoo",
            "Odoo→Outlook",
            "conflicts",
            "errors",
            "Graph requests",
            "mail sent",
            "duplicates",
        )
        rows = [header]
        for user in USERS:
            totals = self.totals(self.log_ids(self.accounts[user.login]))
            mail = self.control.request("GET", f"/sent_mail?mailbox={user.email}")["value"]
            duplicates = self.duplicates(user)
            self.problems += duplicates
            if totals.errors:
                self.problems.append(f"{user.login}: {totals.errors} sync error(s)")
            rows.append(
                (
                    user.login,
                    totals.pulled(),
                    totals.pushed(),
                    str(totals.conflicts),
                    str(totals.errors),
                    str(counters["by_mailbox"].get(user.email, 0)),
                    str(len(mail)),
                    str(len(duplicates)),
                )
            )
        print_table(rows)
        say(
            f"Graph requests in all: {counters['total']} ({counters['writes']} writes), "
            f"HTTP requests on the wire: {counters['http_requests']}"
        )
        say(f"compared {self.compared} linked Odoo/Outlook event pairs and the 6 scripted edits")
        for problem in self.problems:
            say(f"PROBLEM {problem}")
        say(
            "PASS: both sides agree, no duplicates"
            if not self.problems
            else f"FAIL: {len(self.problems)} problem(s)"
        )

    def duplicates(self, user: DemoUser) -> list[str]:
        """The same event twice on either side: by iCalUId and by subject + start."""
        found = []
        outlook = [e for e in self.control.events(user.email) if not e["isCancelled"]]
        for key, label in (
            (lambda e: e["iCalUId"], "iCalUId"),
            (lambda e: (e["subject"], e["start"]["dateTime"]), "subject+start"),
        ):
            for value, count in Counter(map(key, outlook)).items():
                if count > 1:
                    found.append(f"Outlook {user.email}: {count} x {label} {value}")
        session = self.sessions[user.login]
        events = session.call(
            "calendar.event",
            "search_read",
            [("partner_ids", "in", [session.partner_id])],
            ["name", "start"],
        )
        for (name, start), count in Counter((e["name"], e["start"]) for e in events).items():
            if count > 1:
                found.append(f"Odoo {user.login}: {count} x {name!r} at {start}")
        return found


def compare(
    login: str, event: dict[str, Any] | None, outlook: dict[str, dict[str, Any]], graph_id: str
) -> list[str]:
    """The differences between one linked Odoo event and its Outlook event."""
    remote = outlook.get(graph_id)
    odoo_alive = bool(event and event["active"])
    name = event["name"] if event else None
    if remote is None:
        master = outlook.get(graph_id.rsplit("_", 1)[0])
        if master is not None:
            # An occurrence: the control API lists series masters only, so compare the name.
            same = name == master["subject"]
            return [] if same else [f"{login}: occurrence {name!r} vs {master['subject']!r}"]
        if odoo_alive:
            return [f"{login}: Odoo {name!r} is linked to an Outlook event that is gone"]
        return []
    if not odoo_alive:
        if remote["isCancelled"]:
            return []
        return [f"{login}: Outlook {remote['subject']!r} is linked to a gone Odoo event"]
    assert event is not None
    mismatches = []
    if name != remote["subject"]:
        mismatches.append(f"name {name!r} vs {remote['subject']!r}")
    if bool(event["allday"]) != remote["isAllDay"]:
        mismatches.append(f"all-day {event['allday']} vs {remote['isAllDay']}")
    elif remote["type"] != "seriesMaster":
        mismatches += _compare_times(event, remote)
    return [f"{login}: {remote['subject']!r}: {m}" for m in mismatches]


def _compare_times(event: dict[str, Any], remote: dict[str, Any]) -> list[str]:
    start, end = remote["start"]["dateTime"], remote["end"]["dateTime"]
    if event["allday"]:
        odoo_end = (date.fromisoformat(event["stop_date"]) + timedelta(days=1)).isoformat()
        odoo_span, graph_span = (event["start_date"], odoo_end), (start[:10], end[:10])
    else:
        odoo_span = (event["start"], event["stop"])
        graph_span = (start[:19].replace("T", " "), end[:19].replace("T", " "))
    return [] if odoo_span == graph_span else [f"time {odoo_span} vs {graph_span}"]


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print(
            "  "
            + "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if number == 0:
            print("  " + "  ".join("-" * w for w in widths))
    sys.stdout.flush()


def this_monday() -> datetime:
    """Monday 00:00 of this week in Paris, as the emulator's demo seed computes it."""
    now = datetime.now(PARIS)
    return (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def odoo_utc(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")


def shift(stamp: str, **delta: float) -> str:
    """An Odoo ('2026-11-24 16:00:00') or Graph ('2026-11-24T16:00:00.0000000') UTC time, moved."""
    separator = "T" if "T" in stamp else " "
    moved = datetime.fromisoformat(stamp[:19]) + timedelta(**delta)
    return moved.isoformat(sep=separator)
