#!/usr/bin/env bash
# The private PostgreSQL cluster of this checkout: `pg.sh start|stop|env`.
# When PGHOST (or PGDATABASE/PGUSER/PGPORT) is set, that server is used and nothing is started.
# Otherwise a cluster lives in .dev/pg (git-ignored), listening only on a unix socket there, with
# fsync off: it holds throw-away test and demo databases.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/common.sh
source "$ROOT/dev/common.sh"

uses_external_server() { [ -n "${PGHOST:-}${PGPORT:-}${PGUSER:-}" ]; }

cluster_dir() {
    local dir="$DEV/pg"
    # A unix socket path must stay under ~107 bytes; deep checkouts fall back to /tmp.
    if [ $(( ${#dir} + 20 )) -gt 100 ]; then
        dir="/tmp/$ADDON-pg-$(echo "$ROOT" | sha1sum | cut -c1-10)"
    fi
    echo "$dir"
}

pg_bin() {
    local bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$bindir" ] && command -v initdb >/dev/null; then
        bindir=$(dirname "$(command -v initdb)")
    fi
    [ -n "$bindir" ] || die "PostgreSQL server binaries not found: install them (Debian: apt-get install postgresql) or set PGHOST/PGUSER for an existing server."
    echo "$bindir"
}

# initdb and pg_ctl refuse to run as root: as root, the cluster belongs to the postgres user.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    uses_external_server && return
    local dir bin
    dir=$(cluster_dir)
    bin=$(pg_bin)
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")" 2>/dev/null; then
        # The postgres user cannot reach this checkout (e.g. under /root): keep the cluster in /tmp.
        dir="/tmp/$ADDON-pg-$(echo "$ROOT" | sha1sum | cut -c1-10)"
    fi
    echo "$dir" >"$DEV/pg-dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        echo "[setup] creating a private PostgreSQL cluster in $dir"
        as_owner "$bin/initdb" -D "$dir/data" -U odoo --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        return
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
        start || die "PostgreSQL did not start; see $dir/server.log"
}

stop() {
    uses_external_server && return
    [ -f "$DEV/pg-dir" ] || return 0
    local dir
    dir=$(cat "$DEV/pg-dir")
    [ -f "$dir/data/PG_VERSION" ] || return 0
    as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -w -s -m fast stop 2>/dev/null || true
}

# Prints the PG* variables that reach the server, for `eval`.
# Prints the PG* variables to export; an empty one is unset instead, as Odoo 19 parses PGPORT and
# the other PG* variables as its db_* options and rejects an empty port.
env_vars() {
    local host port user password name
    if uses_external_server; then
        host=${PGHOST:-} port=${PGPORT:-} user=${PGUSER:-odoo} password=${PGPASSWORD:-}
    else
        host=$(cat "$DEV/pg-dir" 2>/dev/null || cluster_dir) port='' user=odoo password=''
    fi
    for name in host port user password; do
        local value=${!name} var="PG${name^^}"
        if [ -n "$value" ]; then
            printf 'export %s=%q\n' "$var" "$value"
        else
            printf 'unset %s\n' "$var"
        fi
    done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) env_vars ;;
*) die "usage: dev/pg.sh start|stop|env" ;;
esac
