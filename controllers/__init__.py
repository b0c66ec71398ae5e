from . import outlook_calendar_sync
