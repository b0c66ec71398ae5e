from . import outlook_calendar_picker, outlook_first_sync_wizard
