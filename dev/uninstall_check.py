"""Run by dev/test.sh through `odoo-bin shell` on a copy of the test database.

Uninstalls the addon and fails loudly if it leaves its settings, views or models behind, then
installs it again (an admin who tries it, removes it and comes back must find a working addon).
"""

import sys

ADDON = "outlook_calendar_sync"
module = env["ir.module.module"].search([("name", "=", ADDON)])
env["ir.config_parameter"].set_param(f"{ADDON}.client_secret", "to-be-removed")
env.cr.commit()
module.button_immediate_uninstall()

leftovers = []
env.cr.execute("SELECT key FROM ir_config_parameter WHERE key LIKE %s", [f"{ADDON}.%"])
leftovers += [f"system parameter {key}" for (key,) in env.cr.fetchall()]
env.cr.execute("SELECT model, name FROM ir_model_data WHERE module = %s", [ADDON])
leftovers += [f"{model} {name}" for model, name in env.cr.fetchall()]
if module.state != "uninstalled":
    leftovers.append(f"module state {module.state}")
if leftovers:
    sys.exit("uninstall left behind: " + ", ".join(leftovers))

module.button_immediate_install()
if module.state != "installed":
    sys.exit(f"reinstall after uninstall failed: state {module.state}")
print("[test] uninstall removed everything; reinstall works")
