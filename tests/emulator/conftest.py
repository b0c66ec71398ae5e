"""Pure tests: load ``graph_emulator`` as a top-level package, never through the addon.

One emulator (with a fake clock) serves the whole session; every test starts from a reset.
The repository root is the addon, so pytest sees it (and ``tests/``) as packages and would
import their ``__init__.py`` (hence Odoo) before the first test: those set-ups are skipped
here, and pytest-odoo's session fixtures are overridden, as in ``tests/services``.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from emulator_support import START, graph_session  # noqa: E402

from graph_emulator import FakeClock, GraphEmulator  # noqa: E402

HERE = Path(__file__).resolve().parent
# Microsoft's SDK lives in its own venv (.dev/sdk-venv), where dev/test.sh runs this file.
collect_ignore = [] if importlib.util.find_spec("msgraph") else ["test_msgraph_sdk.py"]


def _no_setup() -> None:
    """Stands in for the set-up of the addon's packages above this directory."""


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE not in item.path.parents:
            continue
        for node in item.listchain():
            if isinstance(node, pytest.Package) and HERE not in (node.path, *node.path.parents):
                node.setup = _no_setup


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """pytest-odoo's fixture of this name loads an Odoo registry; the emulator needs none."""


@pytest.fixture(autouse=True)
def enable_odoo_test_flag():
    """pytest-odoo's fixture of this name flips Odoo's ``test_enable``: not needed here."""


@pytest.fixture(scope="session")
def emulator_session():
    clock = FakeClock(START)
    with GraphEmulator(seed="empty", clock=clock) as g:
        yield g


@pytest.fixture
def g(emulator_session, monkeypatch):
    """A freshly reset emulator; requests/msal trust it through REQUESTS_CA_BUNDLE."""
    emulator_session.reset()
    emulator_session.clock.set(START)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator_session.bundle_path)
    return emulator_session


@pytest.fixture
def alice(g):
    return graph_session(g, "alice@example.com")


@pytest.fixture
def bob(g):
    return graph_session(g, "bob@example.com")
