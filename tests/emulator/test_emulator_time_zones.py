"""Mailbox settings (the preferred time zone) and legacy custom time zones."""

from emulator_support import event_body

WINDOW = {"startDateTime": "2027-03-01T00:00:00Z", "endDateTime": "2027-04-30T00:00:00Z"}


def test_mailbox_settings_give_the_preferred_time_zone_as_it_was_set(g, alice):
    """learn.microsoft.com "Get user mailbox settings": the whole resource, or one setting;
    the zone in the format it was set in (Windows or IANA); PATCH changes it."""
    whole = alice.get(f"{g.graph}/me/mailboxSettings")
    assert whole.status_code == 200
    assert whole.json()["timeZone"] == "UTC"
    assert whole.json()["workingHours"]["timeZone"] == {"name": "UTC"}
    g.set_mailbox_time_zone("alice@example.com", "Tokyo Standard Time")
    one = alice.get(f"{g.graph}/me/mailboxSettings/timeZone").json()
    assert one["value"] == "Tokyo Standard Time"
    assert one["@odata.context"].endswith("/mailboxSettings/timeZone")
    patched = alice.patch(f"{g.graph}/me/mailboxSettings", json={"timeZone": "Europe/Brussels"})
    assert patched.status_code == 200 and patched.json()["timeZone"] == "Europe/Brussels"
    assert alice.get(f"{g.graph}/me/mailboxSettings").json()["timeZone"] == "Europe/Brussels"
    refused = alice.patch(f"{g.graph}/me/mailboxSettings", json={"timeZone": "Mars/Olympus"})
    assert refused.status_code == 400
    assert alice.get(f"{g.graph}/me/mailboxSettings/nothing").status_code == 400


def test_a_custom_zone_is_reported_as_such_and_keeps_its_rule_until_a_write_names_one(g, alice):
    """learn.microsoft.com event resource: ``tzone://Microsoft/Custom`` in
    originalStartTimeZone "indicates that a legacy custom time zone was set in desktop
    Outlook". The series still recurs on the zone's rule (10:00 Brussels across the DST change
    of 2027-03-28), and a PATCH naming a zone replaces the custom one."""
    master = g.create_event(
        "alice@example.com",
        {
            **event_body(
                start="2027-03-22T10:00:00", end="2027-03-22T11:00:00", tz="Europe/Brussels"
            ),
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
                "range": {"type": "numbered", "startDate": "2027-03-22", "numberOfOccurrences": 2},
            },
        },
        custom_zone=True,
    )
    read = alice.get(f"{g.graph}/me/events/{master['id']}").json()
    assert (
        read["originalStartTimeZone"] == read["originalEndTimeZone"] == "tzone://Microsoft/Custom"
    )
    assert read["recurrence"]["range"]["recurrenceTimeZone"] == "tzone://Microsoft/Custom"
    rows = alice.get(f"{g.graph}/me/events/{master['id']}/instances", params=WINDOW).json()["value"]
    assert [row["start"]["dateTime"][:16] for row in rows] == [
        "2027-03-22T09:00",
        "2027-03-29T08:00",
    ]
    alice.patch(
        f"{g.graph}/me/events/{master['id']}",
        json={
            "start": {"dateTime": "2027-03-22T11:00:00", "timeZone": "Romance Standard Time"},
            "end": {"dateTime": "2027-03-22T12:00:00", "timeZone": "Romance Standard Time"},
        },
    )
    after = alice.get(f"{g.graph}/me/events/{master['id']}").json()
    assert after["originalStartTimeZone"] == "Romance Standard Time"
