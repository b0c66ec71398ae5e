from . import outlook_first_sync_wizard
