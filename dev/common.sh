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

# postgres_sql STATEMENT...: each run on the postgres database, outside a transaction (the PG*
# variables of `dev/pg.sh env` set).
postgres_sql() {
    "$VENV/bin/python" - "$@" <<'EOF'
import sys
import psycopg2
conn = psycopg2.connect(dbname="postgres")
conn.autocommit = True
for statement in sys.argv[1:]:
    conn.cursor().execute(statement)
EOF
}

# drop_database DB: the database and its filestore gone.
drop_database() {
    postgres_sql "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
    rm -rf "$DEV/data/filestore/$1"
}

# install_addon DB LOG: the addon installed in a new database DB, Odoo's log in LOG (shown when
# the install fails).
install_addon() {
    "$VENV/bin/python" "$(cat "$DEV/odoo-dir")/odoo-bin" -c "$ODOO_CONF" -d "$1" -i "$ADDON" \
        --stop-after-init --log-level=warn --logfile="$2" || { cat "$2"; die "installing $ADDON in $1 failed"; }
}
