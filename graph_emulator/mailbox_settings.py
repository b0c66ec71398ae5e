"""``/me/mailboxSettings``: the mailbox's preferred time zone and the settings beside it.

Shapes follow learn.microsoft.com/graph/api/user-get-mailboxsettings and
user-update-mailboxsettings: the whole object, or one setting (a string setting as
``{"value": ...}``); ``timeZone`` is returned in the format it was set in (Windows or IANA).
Only ``timeZone`` can be changed here; the other settings are fixed example values.
"""

from __future__ import annotations

from typing import Any

from . import timezones
from .errors import GraphError, bad_request

WRITABLE = ("timeZone",)


def settings(time_zone: str) -> dict[str, Any]:
    """The mailboxSettings resource of a mailbox whose preferred zone is ``time_zone``."""
    return {
        "archiveFolder": "",
        "timeZone": time_zone,
        "automaticRepliesSetting": {
            "status": "disabled",
            "externalAudience": "all",
            "internalReplyMessage": "",
            "externalReplyMessage": "",
            "scheduledStartDateTime": {
                "dateTime": "0001-01-01T00:00:00.0000000",
                "timeZone": "UTC",
            },
            "scheduledEndDateTime": {"dateTime": "0001-01-01T00:00:00.0000000", "timeZone": "UTC"},
        },
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": time_zone},
        },
        "userPurpose": {"value": "user"},
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
    }


def one_setting(time_zone: str, name: str) -> Any:
    """One setting by its (case-insensitive) name; 400 for a name the resource lacks."""
    found = {key.lower(): value for key, value in settings(time_zone).items()}
    if name.lower() not in found:
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{name}'.")
    return found[name.lower()]


def updated_zone(body: Any) -> str:
    """The new preferred zone a PATCH body carries (a Windows or IANA name Graph knows)."""
    if not isinstance(body, dict) or not body:
        raise bad_request("The mailbox settings to update are missing.", "RequestBodyRead")
    unknown = sorted(set(body) - set(WRITABLE))
    if unknown:
        raise bad_request(
            f"The property '{unknown[0]}' can't be updated here.", "ErrorInvalidRequest"
        )
    name = body["timeZone"]
    try:
        timezones.zone(name if isinstance(name, str) else "")
    except timezones.UnknownTimeZone as exc:
        raise bad_request(
            f"The time zone '{name}' is not supported.", "ErrorInvalidTimeZone"
        ) from exc
    return name
