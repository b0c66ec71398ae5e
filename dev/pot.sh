#!/usr/bin/env bash
# `make pot`: regenerate i18n/outlook_calendar_sync.pot, then merge it into each i18n/<lang>.po
# and report the terms left to translate. Odoo's exporter walks the module folder following
# links; a checkout holds .venv and .dev (which links back to the checkout), so it exports from a
# clean copy of the tracked files instead, against the test database.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=dev/common.sh
source "$ROOT/dev/common.sh"
eval "$("$ROOT/dev/pg.sh" env)"
ODOO_DIR=$(cat "$ODOO_STATE/odoo-dir")
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
mkdir "$copy/$ADDON"
git -C "$ROOT" archive HEAD | tar -x -C "$copy/$ADDON"
"$VENV/bin/python" "$ODOO_DIR/odoo-bin" shell -c "$ODOO_CONF" -d "${ADDON}_test" --no-http \
    --addons-path="$ODOO_DIR/addons,$copy" --log-level=warn >/dev/null <<PYTHON
import io
from odoo.tools.translate import trans_export
buffer = io.BytesIO()
trans_export(False, ["$ADDON"], buffer, "po", env.cr)
open("$ROOT/i18n/$ADDON.pot", "wb").write(buffer.getvalue())
PYTHON
# Each i18n/<lang>.po in step with the new .pot (msgmerge), and what is left to translate.
"$VENV/bin/python" "$ROOT/dev/po_merge.py" "$ROOT/i18n" "$ADDON.pot"
