"""Windows <-> IANA time zone names.

Graph names zones the Windows way (``originalStartTimeZone: "Romance Standard Time"``) and
accepts Windows names on writes; Odoo uses IANA names. The tables are CLDR's ``windowsZones``
as kept by ``tzlocal``; CLDR still uses old IANA names (``Asia/Calcutta``), so results are
canonicalised with the IANA link table shipped in the ``tzdata`` package
(``Asia/Calcutta`` -> ``Asia/Kolkata``). The UTC family (``Etc/UTC``, ``Etc/GMT``, ``Zulu``...)
is named ``UTC``, the name both Odoo and Graph use.

Nothing here raises on an unknown zone: a legacy custom zone (``tzone://Microsoft/Custom``) or
a name neither table knows resolves to ``UTC`` with ``fallback=True``, so the caller can keep
the instant (Graph sends UTC anyway) and report the lost label. ``graph_zone`` is what the
sync reads a zone Graph reports with: such a zone is the mailbox's own.
"""

from __future__ import annotations

import functools
import importlib.resources
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tzlocal.windows_tz import tz_win, win_tz

UTC_NAME = "UTC"
CUSTOM_ZONE = "tzone://Microsoft/Custom"
"""What Graph reports (``originalStartTimeZone``, ``recurrenceTimeZone``) for a legacy custom
time zone set in desktop Outlook (learn.microsoft.com/graph/api/resources/event)."""
_UTC_FAMILY = frozenset(
    {
        "UTC",
        "Etc/UTC",
        "Etc/GMT",
        "GMT",
        "Etc/Zulu",
        "Zulu",
        "Etc/UCT",
        "UCT",
        "Etc/Universal",
        "Universal",
        "Etc/Greenwich",
        "Greenwich",
        "GMT0",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "GMT+0",
        "GMT-0",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneName:
    """A resolved zone name; ``fallback`` is true when the input was unknown and ``UTC`` used."""

    name: str
    fallback: bool = False


@functools.cache
def _links() -> Mapping[str, str]:
    """IANA alias -> canonical zone, from the ``L target alias`` lines of tzdata's ``tzdata.zi``."""
    text = importlib.resources.files("tzdata").joinpath("zoneinfo/tzdata.zi").read_text()
    links = {}
    for line in text.splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            links[alias] = target
    return MappingProxyType(links)


@functools.cache
def _aliases() -> Mapping[str, tuple[str, ...]]:
    """Canonical zone -> its aliases, to find a Windows name recorded under an old alias."""
    grouped: dict[str, list[str]] = {}
    for alias, target in _links().items():
        grouped.setdefault(target, []).append(alias)
    return MappingProxyType({target: tuple(sorted(names)) for target, names in grouped.items()})


def canonical_iana(name: str) -> ZoneName:
    """The canonical IANA name of ``name`` (an IANA zone or alias); unknown -> UTC fallback."""
    name = name.strip()
    if name in _UTC_FAMILY:
        return ZoneName(name=UTC_NAME)
    canonical = _links().get(name, name)
    if canonical in _UTC_FAMILY:
        return ZoneName(name=UTC_NAME)
    if not _is_iana(canonical):
        return ZoneName(name=UTC_NAME, fallback=True)
    return ZoneName(name=canonical)


def windows_to_iana(name: str | None) -> ZoneName:
    """IANA zone for a zone name as Graph sends it: a Windows name, or one of the IANA names
    Graph also accepts. ``None``, empty, custom or unknown names fall back to UTC."""
    if not name:
        return ZoneName(name=UTC_NAME, fallback=True)
    name = name.strip()
    if name in win_tz:
        return canonical_iana(win_tz[name])
    return canonical_iana(name)


def graph_zone(name: str | None, mailbox_zone: Callable[[], str] | None = None) -> str:
    """The IANA zone of a zone Graph reports (a missing one is UTC). A legacy custom zone, or
    any name neither table knows, is the rule the user's Outlook kept without a name: it is
    read as the mailbox's own zone (``mailbox_zone()``, asked only then), not as UTC, so a
    series does not drift at DST and a write never puts UTC over the user's zone."""
    resolved = windows_to_iana(name or UTC_NAME)
    if not resolved.fallback:
        return resolved.name
    return mailbox_zone() if mailbox_zone is not None else UTC_NAME


def iana_to_windows(name: str | None) -> ZoneName:
    """Windows zone name for an IANA zone (or alias); unknown zones fall back to ``UTC``."""
    if not name:
        return ZoneName(name=UTC_NAME, fallback=True)
    resolved = canonical_iana(name)
    if resolved.fallback or resolved.name == UTC_NAME:
        return ZoneName(name=UTC_NAME, fallback=resolved.fallback)
    for candidate in (name.strip(), resolved.name, *_aliases().get(resolved.name, ())):
        windows = tz_win.get(candidate)
        if windows:
            return ZoneName(name=windows)
    return ZoneName(name=UTC_NAME, fallback=True)


def _is_iana(name: str) -> bool:
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
