#!/usr/bin/env bash
# Idempotent developer set-up, called by `make setup`, `make test` and `make demo`:
#   a .venv with Odoo 18's and our Python dependencies, Odoo 18 itself, the addon linked into an
#   addons path under its technical name, a private PostgreSQL (or the PG* variables), headless
#   Chromium for browser tours, and .dev/odoo.conf tying them together. ODOO_VERSION=19.0: the
#   same for Odoo 19, its venv and odoo.conf under .dev/odoo-19.0 and .dev/venv-19.0.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/common.sh
source "$ROOT/dev/common.sh"

step() { printf '[setup] %s\n' "$*"; }

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        step "creating $VENV with ${PYTHON:-python3}"
        "${PYTHON:-python3}" -m venv "$VENV"
    fi
    local max_minor
    max_minor=$([ "$ODOO_MAJOR" = 18 ] && echo 12 || echo 13)
    "$VENV/bin/python" - "$max_minor" <<'EOF' || die "Odoo $ODOO_VERSION needs Python 3.10 to 3.$max_minor; set PYTHON=python3.11 and run make setup again (remove $VENV first)."
import sys
sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, int(sys.argv[1])) else 1)
EOF
}

# Prints the Odoo source tree of ODOO_VERSION to use, or fails with the one line that says how
# to provide it: ODOO_SRC (18.0) or ODOO19_SRC (19.0), else the Odoo the venv imports, else the
# cache folder, else a shallow clone of Odoo's official branch into that folder.
find_odoo() {
    local given given_name
    given_name=$([ "$ODOO_MAJOR" = 18 ] && echo ODOO_SRC || echo "ODOO${ODOO_MAJOR}_SRC")
    given=${!given_name:-}
    if [ -n "$given" ]; then
        is_odoo_tree "$given" || die "$given_name=$given is not an Odoo $ODOO_VERSION source tree (odoo-bin, odoo/release.py with version $ODOO_MAJOR)."
        cd "$given" && pwd
        return
    fi
    local imported
    imported=$("$VENV/bin/python" -c "import odoo, os, odoo.release as r; assert r.version_info[0] == $ODOO_MAJOR; print(os.path.dirname(os.path.dirname(odoo.__file__)))" 2>/dev/null || true)
    if [ -n "$imported" ] && is_odoo_tree "$imported"; then
        echo "$imported"
        return
    fi
    if is_odoo_tree "$ODOO_CACHE"; then
        echo "$ODOO_CACHE"
        return
    fi
    step "no Odoo $ODOO_VERSION found: cloning the official $ODOO_VERSION branch into $ODOO_CACHE" >&2
    mkdir -p "$(dirname "$ODOO_CACHE")"
    rm -rf "$ODOO_CACHE.partial"
    if timeout 900 git clone --quiet --depth 1 --branch "$ODOO_VERSION" https://github.com/odoo/odoo.git "$ODOO_CACHE.partial" >&2 2>/dev/null \
        && is_odoo_tree "$ODOO_CACHE.partial"; then
        mv "$ODOO_CACHE.partial" "$ODOO_CACHE"
        echo "$ODOO_CACHE"
        return
    fi
    rm -rf "$ODOO_CACHE.partial"
    die "Odoo $ODOO_VERSION not found: set $given_name to an Odoo $ODOO_VERSION source tree, or put one in $ODOO_CACHE (the clone of https://github.com/odoo/odoo branch $ODOO_VERSION failed)."
}

is_odoo_tree() {
    [ -f "$1/odoo-bin" ] && [ -f "$1/odoo/release.py" ] && grep -q "^version_info = ($ODOO_MAJOR," "$1/odoo/release.py"
}

# Installs a requirements file only when its content changed since the last install.
pip_install_once() {
    local name=$1 file=$2 stamp
    stamp="$VENV/.installed-$name-$(sha1sum "$file" | cut -c1-12)"
    [ -f "$stamp" ] && return
    step "installing $name Python requirements"
    # Odoo's pinned cbor2 sdist imports pkg_resources, which setuptools 81 removed.
    local constraint="$VENV/.pip-constraint.txt"
    echo 'setuptools<81' >"$constraint"
    PIP_CONSTRAINT="$constraint" "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$file" 2>&1 \
        | grep -v -E "is ignored: it is neither a file nor a directory" || true
    [ "${PIPESTATUS[0]}" -eq 0 ] || die "pip could not install the $name requirements ($file)."
    rm -f "$VENV/.installed-$name-"*
    touch "$stamp"
}

install_python_deps() {
    local odoo_dir=$1 odoo_req="$ODOO_STATE/odoo-requirements.txt"
    mkdir -p "$ODOO_STATE"
    # python-ldap needs libldap headers and only serves auth_ldap, which we never install.
    grep -v -i '^python-ldap' "$odoo_dir/requirements.txt" >"$odoo_req"
    pip_install_once odoo "$odoo_req"
    pip_install_once addon "$ROOT/requirements.txt"
    pip_install_once dev "$ROOT/requirements-dev.txt"
    local site
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$odoo_dir" >"$site/odoo$ODOO_MAJOR-source.pth"
}

# Microsoft's msgraph-sdk (tests/emulator/test_msgraph_sdk.py) in a venv of its own: its httpx
# stack and pins must not change the packages Odoo pins in $VENV.
ensure_sdk_venv() {
    local file="$ROOT/tests/emulator/requirements-sdk.txt" stamp
    stamp="$SDK_VENV/.installed-sdk-$(sha1sum "$file" | cut -c1-12)"
    [ -f "$stamp" ] && return
    [ -x "$SDK_VENV/bin/python" ] || "$VENV/bin/python" -m venv "$SDK_VENV"
    step "installing Microsoft's msgraph-sdk into $SDK_VENV"
    "$SDK_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$file" 2>&1 \
        | grep -v -E "is ignored: it is neither a file nor a directory" || true
    [ "${PIPESTATUS[0]}" -eq 0 ] || die "pip could not install the msgraph-sdk test's requirements ($file)."
    rm -f "$SDK_VENV/.installed-sdk-"*
    touch "$stamp"
}

link_addon() {
    mkdir -p "$DEV/addons"
    ln -sfn "$ROOT" "$DEV/addons/$ADDON"
}

ensure_chromium() {
    if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
        return
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        step "installing Debian's chromium for browser tours"
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
            || die "could not install chromium with apt-get; install it (Debian package chromium) and run make setup again."
        return
    fi
    die "headless Chromium is needed for the browser tours: install Debian's chromium package (sudo apt-get install chromium)."
}

write_odoo_conf() {
    local odoo_dir=$1
    # shellcheck disable=SC2046
    eval "$("$ROOT/dev/pg.sh" env)"
    mkdir -p "$ODOO_STATE/data"
    cat >"$ODOO_CONF" <<EOF
[options]
addons_path = $odoo_dir/addons,$DEV/addons
data_dir = $ODOO_STATE/data
db_host = ${PGHOST:-False}
db_port = ${PGPORT:-False}
db_user = ${PGUSER:-odoo}
db_password = ${PGPASSWORD:-False}
list_db = True
http_port = ${ODOO_HTTP_PORT:-8069}
without_demo = all
max_cron_threads = 0
EOF
    echo "$odoo_dir" >"$ODOO_STATE/odoo-dir"
}

main() {
    local started=$SECONDS odoo_dir
    ensure_venv
    odoo_dir=$(find_odoo)
    step "Odoo $ODOO_VERSION: $odoo_dir"
    install_python_deps "$odoo_dir"
    ensure_sdk_venv
    link_addon
    "$ROOT/dev/pg.sh" start
    ensure_chromium
    write_odoo_conf "$odoo_dir"
    step "ready in $((SECONDS - started)) s ($ODOO_CONF)"
}

main "$@"
