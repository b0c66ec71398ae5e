"""The delegated permissions each route needs, after the "Permissions" table of its page on
learn.microsoft.com (any permission of a row's least or higher privileged column serves it).

``route_name`` names a ``/me`` (or ``/users/{id}``) path the way these tables do, whichever
calendar it goes through; ``require`` answers Graph's 403 when the access token's scopes hold
none of the permissions the route needs. A route reached through a calendar another user
shared needs a ``.Shared`` permission instead (Calendars.Read.Shared reads,
Calendars.ReadWrite.Shared reads and writes): the own-mailbox ones never reach it.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import GraphError

USER_READ = frozenset(
    {
        "User.Read",
        "User.ReadWrite",
        "User.ReadBasic.All",
        "User.Read.All",
        "User.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    }
)
CALENDARS_READ = frozenset({"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"})
CALENDARS_WRITE = frozenset({"Calendars.ReadWrite"})
MAILBOX_SETTINGS_READ = frozenset({"MailboxSettings.Read", "MailboxSettings.ReadWrite"})
MAILBOX_SETTINGS_WRITE = frozenset({"MailboxSettings.ReadWrite"})
SHARED_READ = frozenset({"Calendars.Read.Shared", "Calendars.ReadWrite.Shared"})
SHARED_WRITE = frozenset({"Calendars.ReadWrite.Shared"})
# Subscriptions to event resources: the least privileged is Calendars.Read. The Outlook sharing
# permissions (.Shared) do not support change notifications (Microsoft's answer,
# learn.microsoft.com/answers/questions/1166400, after the permissions reference).
EVENT_SUBSCRIPTIONS = frozenset({"Calendars.Read", "Calendars.ReadWrite"})

ACTIONS = ("accept", "decline", "tentativelyaccept", "cancel")

# (method, route name): the permissions that serve it.
PERMISSIONS: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "me"): USER_READ,
    ("GET", "calendars"): CALENDARS_READ | {"Calendars.Read.Shared"},
    ("POST", "calendars"): CALENDARS_WRITE,
    ("GET", "calendar"): CALENDARS_READ,
    ("GET", "events"): CALENDARS_READ,
    ("POST", "events"): CALENDARS_WRITE,
    ("GET", "event"): CALENDARS_READ,
    ("PATCH", "event"): CALENDARS_WRITE,
    ("DELETE", "event"): CALENDARS_WRITE,
    ("GET", "instances"): CALENDARS_READ,
    ("GET", "calendarView"): CALENDARS_READ,
    ("GET", "calendarView/delta"): CALENDARS_READ,
    **{("POST", action): CALENDARS_WRITE for action in ACTIONS},
    ("GET", "masterCategories"): MAILBOX_SETTINGS_READ,
    ("POST", "masterCategories"): MAILBOX_SETTINGS_WRITE,
    ("GET", "masterCategory"): MAILBOX_SETTINGS_READ,
    ("PATCH", "masterCategory"): MAILBOX_SETTINGS_WRITE,
    ("DELETE", "masterCategory"): MAILBOX_SETTINGS_WRITE,
    ("GET", "mailboxSettings"): MAILBOX_SETTINGS_READ,
    ("PATCH", "mailboxSettings"): MAILBOX_SETTINGS_WRITE,
}


def access_denied() -> GraphError:
    """Graph's refusal of a token that lacks the permission a request needs."""
    return GraphError(
        403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
    )


def route_name(segments: Iterable[str]) -> str | None:
    """The route of the path after ``/me`` (its segments), as the permission tables name it;
    None for a path no table covers (the router then answers it)."""
    lower = [s.lower() for s in segments]
    if not lower:
        return "me"
    if lower[:2] == ["outlook", "mastercategories"]:
        return "masterCategories" if len(lower) == 2 else "masterCategory"
    if lower == ["mailboxsettings"]:
        return "mailboxSettings"
    if lower == ["calendars"]:
        return "calendars"
    if lower[0] == "calendar":
        lower = lower[1:]
    elif lower[0] == "calendars":
        lower = lower[2:]
    if not lower:
        return "calendar"
    if lower == ["events"]:
        return "events"
    if lower in (["calendarview"], ["calendarview", "delta"]):
        return "calendarView" + "/delta" * (len(lower) == 2)
    if lower[0] == "events" and len(lower) == 2:
        return "event"
    if lower[0] == "events" and len(lower) == 3:
        return "instances" if lower[2] == "instances" else lower[2]
    return None


def needed(method: str, route: str | None, shared: bool = False) -> frozenset[str] | None:
    """The permissions that serve ``method`` on ``route`` (through a shared calendar when
    ``shared``); None when no table lists it (the router answers 400 or 405)."""
    own = PERMISSIONS.get((method, route or ""))
    if own is None or not shared:
        return own
    return SHARED_READ if method == "GET" else SHARED_WRITE


def require(scopes: frozenset[str], method: str, route: str | None, shared: bool = False) -> None:
    """Raise Graph's 403 unless ``scopes`` hold one of the permissions the route needs."""
    allowed = needed(method, route, shared)
    if allowed is not None and not allowed & scopes:
        raise access_denied()
