#!/usr/bin/env bash
# `make soak`: the property-based sync suite (tests/test_sync_properties.py) with Hypothesis'
# `soak` profile (at least 5,000 examples) in its own fresh database, then its figures:
# examples, syncs, faults injected, crashes, failed syncs, duplicates, lost edits.
# ARGS are passed to pytest (e.g. ARGS=-x). HYPOTHESIS_PROFILE=dev gives a short run;
# SOAK_EXAMPLES=n a bounded part of the soak profile (5,000 examples take hours).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/common.sh
source "$ROOT/dev/common.sh"

PY="$VENV/bin/python"
DB="${ADDON}_soak"
LOG="$DEV/soak.log"
eval "$("$ROOT/dev/pg.sh" env)"

echo "[soak] installing $ADDON in a fresh database $DB"
drop_database "$DB"
install_addon "$DB" "$DEV/soak-install.log"

echo "[soak] property-based sync suite, profile ${HYPOTHESIS_PROFILE:=soak} (log: $LOG)"
status=0
(cd "$DEV/addons" && HYPOTHESIS_PROFILE="$HYPOTHESIS_PROFILE" "$PY" -m pytest -p no:cacheprovider \
    -q -s --odoo-config="$ODOO_CONF" --odoo-database="$DB" --odoo-http --odoo-log-level=warn \
    ${ARGS:-} "$ADDON/tests/test_sync_properties.py") >"$LOG" 2>&1 || status=$?
tail -n 30 "$LOG"
echo
grep '^\[properties\]' "$LOG" || echo "[soak] no figures: the run stopped early (see $LOG)"
exit "$status"
