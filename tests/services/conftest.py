"""Pure tests: load ``services`` as a top-level package, never through the addon.

The repository root is the addon, so pytest sees it (and ``tests/``) as packages and, before
the first test, imports their ``__init__.py`` to look for ``setup_module``; that would import
Odoo. Those package set-ups are skipped for the tests here: nothing in them concerns
``services``.
"""

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def _no_setup() -> None:
    """Stands in for the set-up of the addon's packages above this directory."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in item.path.parents:
            continue
        for node in item.listchain():
            if isinstance(node, pytest.Package) and HERE not in (node.path, *node.path.parents):
                node.setup = _no_setup


@pytest.fixture(scope="session", autouse=True)
def load_registry() -> None:
    """pytest-odoo's session fixture of the same name loads an Odoo registry (and needs a
    database); the pure tests need neither, so it is overridden for them."""


@pytest.fixture(autouse=True)
def enable_odoo_test_flag() -> None:
    """pytest-odoo's fixture of the same name flips Odoo's ``test_enable``: not needed here."""
