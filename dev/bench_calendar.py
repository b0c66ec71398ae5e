"""The benchmark's calendars: one seeded generator, rendered for Outlook (Graph JSON) and Odoo.

Both sides get the same items so that `import` (Outlook → Odoo) and `export` (Odoo → Outlook)
move the same data. The content is reproducible from the seed; the dates are placed relative to
the Monday of the current week, because both implementations only sync a window around *now*
(ours: 30 days back, 365 ahead; the built-in: 365 back, 730 ahead), so a calendar frozen on
fixed dates would drift out of the window.

Standard library only: the orchestrator and the Odoo worker both import it.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SEED = 20240618
SERIES_SHARE = 0.10
ATTENDEE_SHARE = 0.30
ALL_DAY_SHARE = 0.08
# Within both implementations' windows, with a margin of a week on each side.
FIRST_DAY, LAST_DAY = -21, 300
ZONES = (
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
)
FIRST_NAMES = ("Ana", "Bruno", "Chloé", "Dmitri", "Emeka", "Fatima", "Gustav", "Hana", "Iris")
LAST_NAMES = ("Okafor", "Schmidt", "Dubois", "Tanaka", "García", "Novak", "Rossi", "Kowalski")
COMPANIES = ("northwind", "contoso", "fabrikam", "adatum", "litware", "tailspin")
TOPICS = (
    "Budget review",
    "Sprint planning",
    "Customer call",
    "Design critique",
    "1:1",
    "Vendor negotiation",
    "Quarterly business review",
    "Hiring panel",
    "Release go/no-go",
    "Training",
)
ROOMS = ("Room 4.12", "Atrium", "Board room", "Lisbon office", "", "", "")
PATTERNS = ("daily", "weekly", "weekly", "absoluteMonthly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Series:
    """A simple recurrence: every ``interval`` days/weeks/months, ``count`` occurrences."""

    pattern: str
    count: int
    interval: int = 1


@dataclass(frozen=True)
class BenchEvent:
    """One calendar item, in its own time zone (wall-clock start, duration)."""

    key: str
    subject: str
    zone: str
    start: datetime
    minutes: int
    all_day: bool
    body_html: str
    location: str
    attendees: list[tuple[str, str]] = field(default_factory=list)
    series: Series | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-able copy for the Odoo worker (datetimes as ISO strings)."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        return data


def attendee_pool(size: int = 240) -> list[tuple[str, str]]:
    """External people (never emulator mailboxes, so Exchange would really mail them)."""
    people = []
    for index in range(size):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
        company = COMPANIES[index % len(COMPANIES)]
        email = f"{first.lower()}.{last.lower()}{index}@{company}.example.com"
        people.append((f"{first} {last}", email))
    return people


def generate(n: int, today: date | None = None, seed: int = SEED) -> list[BenchEvent]:
    """``n`` items: 10 % series, 30 % with attendees, some all-day, seven time zones."""
    rng = random.Random(seed * 1_000_003 + n)
    today = today or date.today()
    monday = today - timedelta(days=today.weekday())
    pool = attendee_pool()
    series_keys = set(rng.sample(range(n), round(n * SERIES_SHARE)))
    return [_event(rng, index, monday, pool, index in series_keys) for index in range(n)]


def _event(
    rng: random.Random, index: int, monday: date, pool: list[tuple[str, str]], is_series: bool
) -> BenchEvent:
    day = monday + timedelta(days=rng.randint(FIRST_DAY, LAST_DAY))
    all_day = not is_series and rng.random() < ALL_DAY_SHARE
    hour = rng.choice((8, 9, 10, 11, 13, 14, 15, 16, 17))
    attendees = rng.sample(pool, rng.randint(1, 6)) if rng.random() < ATTENDEE_SHARE else []
    topic = rng.choice(TOPICS)
    return BenchEvent(
        key=f"bench-{index:05d}",
        subject=f"{topic} #{index:05d}",
        zone="UTC" if all_day else rng.choice(ZONES),
        start=datetime.combine(day, datetime.min.time()).replace(
            hour=0 if all_day else hour, minute=0 if all_day else rng.choice((0, 15, 30))
        ),
        minutes=1440 * rng.randint(1, 3) if all_day else rng.choice((15, 30, 45, 60, 90, 120)),
        all_day=all_day,
        body_html=_body(rng, topic, attendees),
        location=rng.choice(ROOMS),
        attendees=attendees,
        series=_series(rng) if is_series else None,
    )


def _series(rng: random.Random) -> Series:
    pattern = rng.choice(PATTERNS)
    return Series(pattern=pattern, count=rng.randint(4, 12), interval=rng.choice((1, 1, 2)))


def _body(rng: random.Random, topic: str, attendees: list[tuple[str, str]]) -> str:
    """An Outlook-like HTML body: paragraphs, an agenda list, a link, sometimes a table."""
    items = "".join(
        f"<li>{rng.choice(TOPICS)}: {rng.randint(5, 30)} min</li>" for _ in range(rng.randint(2, 6))
    )
    table = ""
    if rng.random() < 0.3:
        rows = "".join(
            f"<tr><td>{name}</td><td>{rng.choice(('yes', 'no', 'maybe'))}</td></tr>"
            for name, _email in attendees[:4] or [("Team", "")]
        )
        table = f'<table border="1"><tr><th>Who</th><th>Confirmed</th></tr>{rows}</table>'
    link = f"https://intranet.example.com/wiki/{topic.lower().replace(' ', '-')}"
    return (
        '<div style="font-family: Calibri, sans-serif; font-size: 11pt">'
        f"<p>Hello all,</p><p>Here is the agenda for <b>{topic}</b>:</p><ol>{items}</ol>"
        f'<p>Notes from last time: <a href="{link}">{link}</a></p>{table}'
        "<p>Thanks,<br>Alice</p></div>"
    )


def end_of(event: BenchEvent) -> datetime:
    """The wall-clock end (all-day: the exclusive midnight)."""
    return event.start + timedelta(minutes=event.minutes)


def utc_naive(moment: datetime, zone: str) -> datetime:
    """A wall-clock time in ``zone`` as the naive UTC datetime Odoo stores."""
    aware = moment.replace(tzinfo=ZoneInfo(zone))
    return aware.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def to_graph(event: BenchEvent) -> dict[str, Any]:
    """The item as Outlook would hold it (what ``GraphEmulator.create_event`` takes)."""
    body = f"<html><head><meta charset='utf-8'></head><body>{event.body_html}</body></html>"
    graph: dict[str, Any] = {
        "subject": event.subject,
        "body": {"contentType": "html", "content": body},
        "start": {"dateTime": event.start.isoformat(), "timeZone": event.zone},
        "end": {"dateTime": end_of(event).isoformat(), "timeZone": event.zone},
        "isAllDay": event.all_day,
        "location": {"displayName": event.location},
        "attendees": [
            {"emailAddress": {"address": email, "name": name}, "type": "required"}
            for name, email in event.attendees
        ],
    }
    if event.series:
        graph["recurrence"] = _graph_recurrence(event)
    return graph


def _graph_recurrence(event: BenchEvent) -> dict[str, Any]:
    series = event.series
    assert series is not None
    pattern: dict[str, Any] = {"type": series.pattern, "interval": series.interval}
    if series.pattern == "weekly":
        pattern["daysOfWeek"] = [WEEKDAYS[event.start.weekday()]]
    elif series.pattern == "absoluteMonthly":
        pattern["dayOfMonth"] = event.start.day
    return {
        "pattern": pattern,
        "range": {
            "type": "numbered",
            "startDate": event.start.date().isoformat(),
            "numberOfOccurrences": series.count,
            "recurrenceTimeZone": event.zone,
        },
    }
