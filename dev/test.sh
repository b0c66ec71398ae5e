#!/usr/bin/env bash
# `make test`: the pure tests (services/, the Graph emulator, and Microsoft's msgraph-sdk as its
# client in .dev/sdk-venv), then the Odoo tests with pytest-odoo in a fresh database where the
# addon was installed. Fails on any failure or error, on a warning in the install log, on a
# skipped Odoo test (a skipped browser tour proves nothing) and when no Odoo test ran.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/common.sh
source "$ROOT/dev/common.sh"

PY="$VENV/bin/python"
DB="${ADDON}_test"
ODOO_DIR=$(cat "$ODOO_STATE/odoo-dir")
eval "$("$ROOT/dev/pg.sh" env)"

run_pure_tests() {
    echo "[test] pure tests: services/ and the Graph emulator"
    (cd "$ROOT" && "$PY" -m pytest -p no:odoo -p no:cacheprovider -q tests/services tests/emulator)
    echo "[test] Microsoft's msgraph-sdk against the Graph emulator ($SDK_VENV)"
    (cd "$ROOT" && "$SDK_VENV/bin/python" -m pytest -p no:cacheprovider -q -W ignore::DeprecationWarning \
        tests/emulator/test_msgraph_sdk.py)
}

install_fresh() {
    local log="$DEV/install.log" started=$SECONDS
    echo "[test] installing $ADDON in a fresh database $DB"
    drop_database "$DB"
    install_addon "$DB" "$log"
    if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$log"; then
        die "the install log above has warnings or errors ($log)"
    fi
    echo "[test] installed in $((SECONDS - started)) s"
}

check_uninstall() {
    local copy="${DB}_uninstall" log="$DEV/uninstall.log"
    echo "[test] uninstall and reinstall on a copy of $DB"
    drop_database "$copy"
    postgres_sql "CREATE DATABASE \"$copy\" TEMPLATE \"$DB\""
    "$PY" "$ODOO_DIR/odoo-bin" shell -c "$ODOO_CONF" -d "$copy" --no-http --log-level=warn \
        <"$ROOT/dev/uninstall_check.py" >"$log" 2>&1 || { cat "$log"; die "the uninstall check failed"; }
    grep '^\[test\]' "$log" || { cat "$log"; die "the uninstall check did not finish"; }
}

check_switch() {
    echo "[test] switching from the built-in microsoft_calendar, reinstalling, neutralizing"
    "$PY" "$ROOT/dev/switch_check.py" || die "the switching check failed (.dev/switch/)"
}

check_upgrade() {
    echo "[test] upgrading a database of the previous release (UPGRADE_FROM=<commit>: another) to the checkout"
    "$PY" "$ROOT/dev/upgrade_check.py" || die "the upgrade check failed (.dev/upgrade/)"
}

check_crashes() {
    echo "[test] SIGKILL of an Odoo process mid-sync at each phase, on a copy of $DB"
    "$PY" "$ROOT/dev/crash_check.py" "$DB" 2>&1 | grep '^\[crash\]' ||
        die "the crash check failed (run: .venv/bin/python dev/crash_check.py $DB)"
}

run_odoo_tests() {
    local report="$DEV/odoo-tests.xml"
    echo "[test] Odoo tests (pytest-odoo, real PostgreSQL, browser tours)"
    rm -f "$report"
    # The property-based suite runs its short, derandomized profile (as in CI); `make soak` the long.
    (cd "$DEV/addons" && HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" "$PY" -m pytest -p no:cacheprovider -q -rs \
        --odoo-config="$ODOO_CONF" --odoo-database="$DB" --odoo-http --odoo-log-level=warn \
        --junitxml="$report" \
        --ignore="$ADDON/tests/services" --ignore="$ADDON/tests/emulator" \
        "$ADDON/tests")
    "$PY" - "$report" <<'EOF'
import sys
import xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
ran, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
if ran == 0:
    sys.exit("error: no Odoo test ran")
if skipped:
    sys.exit(f"error: {skipped} Odoo test(s) were skipped (a missing browser or a missing --odoo-http?)")
print(f"[test] Odoo tests: {ran} ran, none skipped")
EOF
}

run_pure_tests
[ "${1:-}" = "--pure-only" ] && exit 0
install_fresh
check_uninstall
check_switch
check_upgrade
check_crashes
run_odoo_tests
