"""The pytest hooks of the pure test folders, ``tests/services`` and ``tests/emulator``.

Their tests load ``services`` and ``graph_emulator`` as top-level packages, never through the
addon. The repository root is the addon, so pytest sees it (and ``tests/``) as packages and,
before the first test, imports their ``__init__.py`` to look for ``setup_module``; that would
import Odoo. Those package set-ups are skipped for the pure tests: nothing in them concerns
``services`` or the emulator. Each folder's ``conftest.py`` imports what is here; the Odoo tests
(``dev/test.sh`` runs them with pytest-odoo, ignoring both folders) never load this module.
"""

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent
PURE_FOLDERS = (TESTS / "services", TESTS / "emulator")
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def _no_setup() -> None:
    """Stands in for the set-up of the addon's packages above the pure folders."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each pure folder's conftest registers this hook: what it does is the same every time."""
    for item in items:
        folder = next((f for f in PURE_FOLDERS if f in item.path.parents), None)
        if folder is None:
            continue
        for node in item.listchain():
            if isinstance(node, pytest.Package) and folder not in (node.path, *node.path.parents):
                node.setup = _no_setup


@pytest.fixture(scope="session", autouse=True)
def load_registry() -> None:
    """pytest-odoo's session fixture of the same name loads an Odoo registry (and needs a
    database); the pure tests need neither, so it is overridden for them."""


@pytest.fixture(autouse=True)
def enable_odoo_test_flag() -> None:
    """pytest-odoo's fixture of the same name flips Odoo's ``test_enable``: not needed here."""
