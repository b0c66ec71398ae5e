"""Calendars as ``/me/calendars`` renders them, and calendars another user shared.

An owner shares one of their calendars (the default one or another) with a recipient, as a
writer or a reader; the share counts as accepted at once. The recipient's ``/me/calendars`` then
lists it under an id of the recipient's own mailbox, ``owner`` = the owner, ``canShare`` false,
``canEdit`` per role. Routes under that id act on the owner's events, so each side sees the
other's writes (delta included). Unsharing removes it from the list; its id then answers 404.
"""

from __future__ import annotations

from typing import Any

from . import categories as cat
from . import events as ev
from .errors import GraphError, bad_request, not_found
from .store import Calendar, Mailbox, SharedCalendar, Store


def _same(owner: Mailbox, share: SharedCalendar, calendar: Calendar) -> bool:
    return share.owner.lower() == owner.address.lower() and share.calendar_id == calendar.id


def share_calendar(
    store: Store,
    owner: Mailbox,
    calendar_id: str | None,
    recipient: Mailbox,
    can_edit: bool,
) -> SharedCalendar:
    """Share ``calendar_id`` (None: the default calendar) of ``owner`` with ``recipient``;
    sharing it again keeps the recipient's id and changes the role."""
    with store.lock:
        calendar = store.calendar(owner, calendar_id)
        if owner is recipient:
            raise bad_request("A calendar can't be shared with its owner.")
        for share in recipient.shared_calendars.values():
            if _same(owner, share, calendar):
                share.can_edit = can_edit
                return share
        share = SharedCalendar(ev.new_id(), owner.address, calendar.id, can_edit)
        recipient.shared_calendars[share.id] = share
        return share


def unshare_calendar(
    store: Store, owner: Mailbox, calendar_id: str | None, recipient: Mailbox
) -> None:
    """The owner stops sharing: the calendar leaves the recipient's list (404 if not shared)."""
    with store.lock:
        calendar = store.calendar(owner, calendar_id)
        found = [k for k, s in recipient.shared_calendars.items() if _same(owner, s, calendar)]
        if not found:
            raise not_found("The calendar is not shared with this user.")
        for key in found:
            del recipient.shared_calendars[key]


def _resolve(store: Store, share: SharedCalendar) -> tuple[Mailbox, Calendar]:
    owner = store.find_mailbox(share.owner)
    calendar = owner.calendars.get(share.calendar_id) if owner else None
    if owner is None or calendar is None:
        raise not_found()
    return owner, calendar


def open_shared(
    store: Store, box: Mailbox, calendar_id: str
) -> tuple[SharedCalendar, Mailbox, Calendar] | None:
    """(share, owner's mailbox, owner's calendar) when ``calendar_id`` is a calendar shared
    with ``box``; None when it is not a shared one."""
    share = box.shared_calendars.get(calendar_id)
    if share is None:
        return None
    return (share, *_resolve(store, share))


def render_own(box: Mailbox, calendar: Calendar) -> dict[str, Any]:
    """One of the mailbox's own calendars, as Graph returns it."""
    return {
        "id": calendar.id,
        "name": calendar.name,
        "color": calendar.color,
        "hexColor": "",
        "isDefaultCalendar": calendar.is_default,
        "changeKey": calendar.change_key,
        "canShare": True,
        "canViewPrivateItems": True,
        "canEdit": True,
        "allowedOnlineMeetingProviders": cat.allowed_online_providers(box.personal),
        "defaultOnlineMeetingProvider": "unknown" if box.personal else "teamsForBusiness",
        "isTallyingResponses": calendar.is_default,
        "isRemovable": not calendar.is_default,
        "owner": {"name": box.display_name, "address": box.own_address},
    }


def render_shared(share: SharedCalendar, owner: Mailbox, calendar: Calendar) -> dict[str, Any]:
    """A calendar shared with the mailbox: its id there, the owner's name for it, the role."""
    return {
        **render_own(owner, calendar),
        "id": share.id,
        "color": "auto",
        "isDefaultCalendar": False,
        "canShare": False,
        "canViewPrivateItems": False,
        "canEdit": share.can_edit,
        "isTallyingResponses": False,
        "isRemovable": True,
    }


LIST_ERRORS = {
    500: ("ErrorInternalServerError", "An internal server error occurred. The operation failed."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
}
"""What ``GET /me/calendars`` answered outlook.com accounts while ``/me/calendar`` still worked
(microsoft-graph-explorer-v4 issues #3879, #3861, #3884)."""


def check_list(box: Mailbox) -> None:
    """Raise the error the mailbox's ``GET /me/calendars`` is set to fail with, if any."""
    if box.calendar_list_error is not None:
        raise GraphError(box.calendar_list_error, *LIST_ERRORS[box.calendar_list_error])


def calendar_list(store: Store, box: Mailbox) -> list[dict[str, Any]]:
    """``GET /me/calendars``: the mailbox's own calendars, then those shared with it."""
    with store.lock:
        rows = [render_own(box, c) for c in box.calendars.values()]
        rows.extend(
            render_shared(share, *_resolve(store, share)) for share in box.shared_calendars.values()
        )
        return rows
