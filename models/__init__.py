from . import (
    calendar_alarm,
    calendar_attendee,
    calendar_event,
    outlook_account,
    outlook_event_link,
    outlook_series_link,
    outlook_subscription,
    outlook_subscription_notice,
    outlook_sync_log,
    res_config_settings,
)
