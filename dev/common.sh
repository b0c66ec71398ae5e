# Shared names for the dev scripts; sourced, never run. Expects ROOT to be set.
ADDON=outlook_calendar_sync
VENV="$ROOT/.venv"
DEV="$ROOT/.dev"
SDK_VENV="$DEV/sdk-venv"
ODOO_CONF="$DEV/odoo.conf"
ODOO_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/$ADDON/odoo-18.0"

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}
