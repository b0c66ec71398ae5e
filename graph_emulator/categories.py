"""A mailbox's master category list (``/me/outlook/masterCategories``) and its online-meeting
capability.

``outlookCategory`` = {``id``, ``displayName``, ``color``}: ``color`` is ``none`` or
``preset0``..``preset24``; ``displayName`` is unique in the mailbox (case-insensitively) and
cannot be changed after creation (only ``color`` can be PATCHed), as Graph documents. Events
may carry category names that are not in the list (Outlook shows them without a colour).

Personal Microsoft accounts (outlook.com) cannot create Teams meetings through Graph: their
calendars allow no online meeting provider, and a request for one is not honoured: the event is
saved as a plain event (``isOnlineMeeting`` false, no ``onlineMeeting``). A work mailbox whose
tenant refuses Teams meetings to the user (``teams_refused``) answers 400 to a create or PATCH
asking for one instead, and saves nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from .errors import GraphError, bad_request

COLORS = ("none", *(f"preset{index}" for index in range(25)))


def category_list(categories: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The list as Graph returns it, in creation order."""
    return [dict(category) for category in categories.values()]


def add_category(categories: dict[str, dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    """POST: a new category; 409 when the name is taken."""
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("displayName is required.", "ErrorInvalidParameter")
    color = body.get("color", "none")
    _check_color(color)
    if any(c["displayName"].casefold() == name.casefold() for c in categories.values()):
        raise GraphError(409, "ErrorDuplicateCategory", "A category with this name already exists.")
    category = {"id": str(uuid.uuid4()), "displayName": name, "color": color}
    categories[category["id"]] = category
    return dict(category)


def update_category(
    categories: dict[str, dict[str, Any]], category_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """PATCH: only the colour can change."""
    category = find_category(categories, category_id)
    if "displayName" in body and body["displayName"] != category["displayName"]:
        raise bad_request("The displayName of a category can't be changed.")
    if "color" in body:
        _check_color(body["color"])
        category["color"] = body["color"]
    return dict(category)


def find_category(categories: dict[str, dict[str, Any]], category_id: str) -> dict[str, Any]:
    if category_id not in categories:
        raise GraphError(
            404, "ErrorItemNotFound", "The specified object was not found in the store."
        )
    return categories[category_id]


def allowed_online_providers(personal: bool) -> list[str]:
    """What a calendar of this kind of mailbox can create."""
    return [] if personal else ["teamsForBusiness"]


def check_online_meeting_allowed(refused: bool, body: Any) -> None:
    """400 for a request asking for an online meeting where the tenant refuses it."""
    if refused and isinstance(body, dict) and body.get("isOnlineMeeting") is True:
        raise bad_request(
            "The online meeting can't be created: the user isn't allowed to create Teams meetings.",
            "ErrorInvalidRequest",
        )


def drop_online_meeting(props: dict[str, Any]) -> None:
    """A personal mailbox saves the event without the online meeting it was asked for."""
    props["isOnlineMeeting"] = False
    props["onlineMeetingProvider"] = "unknown"


def _check_color(color: Any) -> None:
    if color not in COLORS:
        raise bad_request(
            f"The value '{color}' is not valid for the property 'color'.", "RequestBodyRead"
        )
