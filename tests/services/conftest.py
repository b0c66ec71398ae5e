"""Pure tests of ``services``: the hooks of ``tests/pure_conftest.py``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pure_conftest import (  # noqa: F401  (hooks and fixtures pytest finds here)
    enable_odoo_test_flag,
    load_registry,
    pytest_collection_modifyitems,
)
