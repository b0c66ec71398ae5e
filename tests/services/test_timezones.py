"""Windows <-> IANA zone names."""

import pytest

from services.timezones import (
    ZoneName,
    canonical_iana,
    graph_zone,
    iana_to_windows,
    windows_to_iana,
)


@pytest.mark.parametrize(
    ("windows", "iana"),
    [
        ("Romance Standard Time", "Europe/Paris"),
        ("India Standard Time", "Asia/Kolkata"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("UTC", "UTC"),
        ("Europe/Berlin", "Europe/Berlin"),
    ],
)
def test_windows_names_map_to_canonical_iana(windows, iana):
    assert windows_to_iana(windows) == ZoneName(name=iana)


@pytest.mark.parametrize(
    "name",
    [
        "tzone://Microsoft/Custom",
        "Customized Time Zone",
        "",
        None,
        "../../etc/passwd",
        "Nowhere Standard Time",
    ],
)
def test_unknown_or_custom_zones_fall_back_to_utc_without_raising(name):
    assert windows_to_iana(name) == ZoneName(name="UTC", fallback=True)


@pytest.mark.parametrize(
    ("iana", "windows"),
    [
        ("Europe/Paris", "Romance Standard Time"),
        ("Europe/Brussels", "Romance Standard Time"),
        ("Asia/Calcutta", "India Standard Time"),
        ("Asia/Kolkata", "India Standard Time"),
        ("Europe/Kyiv", "FLE Standard Time"),
        ("Etc/UTC", "UTC"),
    ],
)
def test_iana_names_and_aliases_map_to_windows(iana, windows):
    assert iana_to_windows(iana) == ZoneName(name=windows)


def test_unknown_iana_name_falls_back_to_utc():
    assert iana_to_windows("Mars/Olympus") == ZoneName(name="UTC", fallback=True)


def test_old_alias_is_canonicalised():
    assert canonical_iana("US/Eastern").name == "America/New_York"


def test_a_custom_zone_is_the_mailboxs_own_and_the_mailbox_is_asked_only_then():
    """learn.microsoft.com event resource: ``tzone://Microsoft/Custom`` is a legacy custom zone
    set in desktop Outlook; it is read as the mailbox's zone, not UTC."""
    asked = []

    def mailbox_zone():
        asked.append(True)
        return "Europe/Brussels"

    assert graph_zone("Tokyo Standard Time", mailbox_zone) == "Asia/Tokyo"
    assert graph_zone("", mailbox_zone) == "UTC"
    assert not asked
    assert graph_zone("tzone://Microsoft/Custom", mailbox_zone) == "Europe/Brussels"
    assert graph_zone("tzone://Microsoft/Custom") == "UTC"
    assert len(asked) == 1
