"""Time zone names the way Graph takes and gives them: Windows names plus IANA names.

Graph accepts any Windows zone name and a list of IANA names in ``dateTimeTimeZone.timeZone``,
and reports ``originalStartTimeZone`` with Windows names. The table is CLDR's windowsZones
"001" territory mapping for the zones calendar users commonly pick.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WINDOWS_TO_IANA: dict[str, str] = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "Dateline Standard Time": "Etc/GMT+12",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Alaskan Standard Time": "America/Anchorage",
    "Pacific Standard Time": "America/Los_Angeles",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Central Standard Time": "America/Chicago",
    "Central America Standard Time": "America/Guatemala",
    "Canada Central Standard Time": "America/Regina",
    "Central Standard Time (Mexico)": "America/Mexico_City",
    "Eastern Standard Time": "America/New_York",
    "SA Pacific Standard Time": "America/Bogota",
    "Atlantic Standard Time": "America/Halifax",
    "Newfoundland Standard Time": "America/St_Johns",
    "E. South America Standard Time": "America/Sao_Paulo",
    "Argentina Standard Time": "America/Buenos_Aires",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "W. Central Africa Standard Time": "Africa/Lagos",
    "GTB Standard Time": "Europe/Bucharest",
    "FLE Standard Time": "Europe/Kiev",
    "E. Europe Standard Time": "Europe/Chisinau",
    "Israel Standard Time": "Asia/Jerusalem",
    "Egypt Standard Time": "Africa/Cairo",
    "South Africa Standard Time": "Africa/Johannesburg",
    "Turkey Standard Time": "Europe/Istanbul",
    "Russian Standard Time": "Europe/Moscow",
    "Arab Standard Time": "Asia/Riyadh",
    "Arabian Standard Time": "Asia/Dubai",
    "Iran Standard Time": "Asia/Tehran",
    "Pakistan Standard Time": "Asia/Karachi",
    "India Standard Time": "Asia/Kolkata",
    "Nepal Standard Time": "Asia/Katmandu",
    "Bangladesh Standard Time": "Asia/Dhaka",
    "SE Asia Standard Time": "Asia/Bangkok",
    "China Standard Time": "Asia/Shanghai",
    "Singapore Standard Time": "Asia/Singapore",
    "Taipei Standard Time": "Asia/Taipei",
    "W. Australia Standard Time": "Australia/Perth",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Korea Standard Time": "Asia/Seoul",
    "Cen. Australia Standard Time": "Australia/Adelaide",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "E. Australia Standard Time": "Australia/Brisbane",
    "New Zealand Standard Time": "Pacific/Auckland",
}

IANA_TO_WINDOWS: dict[str, str] = {}
for _windows, _iana in WINDOWS_TO_IANA.items():
    IANA_TO_WINDOWS.setdefault(_iana, _windows)
IANA_TO_WINDOWS.update(
    {"Etc/UTC": "UTC", "Etc/GMT": "UTC", "GMT": "UTC", "Asia/Calcutta": "India Standard Time"}
)
IANA_TO_WINDOWS["UTC"] = "UTC"


class UnknownTimeZone(ValueError):
    """Raised for a zone name Graph would reject."""


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for a Windows or IANA name; ``UnknownTimeZone`` otherwise."""
    iana = WINDOWS_TO_IANA.get(name, name)
    if not iana or iana.startswith("/") or ".." in iana:
        raise UnknownTimeZone(name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZone(name) from exc


def windows_name(name: str) -> str:
    """The Windows name Graph reports for ``name`` (itself when it is already one, or unmapped)."""
    if name in WINDOWS_TO_IANA:
        return name
    return IANA_TO_WINDOWS.get(name, name)
