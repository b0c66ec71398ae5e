# Shared names for the dev scripts; sourced, never run. Expects ROOT to be set.
ADDON=outlook_calendar_sync
DEV="$ROOT/.dev"
SDK_VENV="$DEV/sdk-venv"

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# The Odoo series the scripts work on (ODOO_VERSION=19.0 make setup): 18.0 keeps .venv and .dev
# itself; 19.0 has its own venv (Odoo 19 pins other packages) and its own odoo.conf, Odoo source
# path and filestore under .dev/odoo-19.0. Both share the addon link and the PostgreSQL cluster.
ODOO_VERSION="${ODOO_VERSION:-18.0}"
case "$ODOO_VERSION" in
    18.0)
        VENV="$ROOT/.venv"
        ODOO_STATE="$DEV"
        ;;
    19.0)
        VENV="$DEV/venv-19.0"
        ODOO_STATE="$DEV/odoo-19.0"
        ;;
    *) die "ODOO_VERSION=$ODOO_VERSION: this addon supports 18.0 and 19.0." ;;
esac
ODOO_MAJOR="${ODOO_VERSION%%.*}"
ODOO_CONF="$ODOO_STATE/odoo.conf"
ODOO_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/$ADDON/odoo-$ODOO_VERSION"

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
    rm -rf "$ODOO_STATE/data/filestore/$1"
}

# install_addon DB LOG: the addon installed in a new database DB, Odoo's log in LOG (shown when
# the install fails).
install_addon() {
    "$VENV/bin/python" "$(cat "$ODOO_STATE/odoo-dir")/odoo-bin" -c "$ODOO_CONF" -d "$1" -i "$ADDON" \
        --stop-after-init --log-level=warn --logfile="$2" || { cat "$2"; die "installing $ADDON in $1 failed"; }
}
