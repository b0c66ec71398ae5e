from . import outlook_account, res_config_settings
