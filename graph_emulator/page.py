"""``/``: each mailbox's events (this week and next, expanded) and the mail Exchange sent."""

from __future__ import annotations

import html
from datetime import timedelta

from . import events as ev
from .store import Store
from .wire import Request, Response

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}"
)


def render_page(store: Store, request: Request) -> Response:
    """The overview page (UTC times)."""
    start = store.week_start()
    end = start + timedelta(days=14)
    opts = ev.RenderOptions()
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Graph emulator</title><style>{STYLE}</style></head><body>",
        f"<h1>Graph emulator</h1><p>Events from {start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC).</p>",
    ]
    with store.lock:
        for box in store.mailboxes.values():
            parts.append(
                f"<h2 id='{html.escape(box.address)}'>{html.escape(box.display_name)} &lt;{html.escape(box.address)}&gt;</h2>"
            )
            parts.append(
                "<table class='events'><tr><th>Start</th><th>End</th><th>Subject</th><th>Type</th><th>Attendees</th><th>Response</th></tr>"
            )
            for row in store.calendar_view(box, None, start, end):
                data = ev.render(row, opts)
                attendees = ", ".join(
                    f"{a['emailAddress']['address']} ({a['status']['response']})"
                    for a in data["attendees"]
                )
                parts.append(
                    "<tr>"
                    + "".join(
                        f"<td>{html.escape(str(v))}</td>"
                        for v in (
                            data["start"]["dateTime"][:16],
                            data["end"]["dateTime"][:16],
                            data["subject"] + (" [cancelled]" if data["isCancelled"] else ""),
                            data["type"] + (" all-day" if data["isAllDay"] else ""),
                            attendees,
                            data["responseStatus"]["response"],
                        )
                    )
                    + "</tr>"
                )
            parts.append(
                "</table><h3>Sent mail</h3><table class='mail'><tr><th>Sent</th><th>Kind</th><th>To</th><th>Subject</th></tr>"
            )
            for mail in box.sent:
                parts.append(
                    "<tr>"
                    + "".join(
                        f"<td>{html.escape(str(v))}</td>"
                        for v in (
                            mail["sentDateTime"][:19],
                            mail["kind"],
                            ", ".join(mail["toRecipients"]),
                            mail["subject"],
                        )
                    )
                    + "</tr>"
                )
            parts.append("</table>")
    parts.append("</body></html>")
    return Response.html(200, "".join(parts))
