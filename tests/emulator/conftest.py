"""Pure tests of ``graph_emulator``: the hooks of ``tests/pure_conftest.py``, and one emulator
(with a fake clock) for the whole session, every test starting from a reset.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator_support import START, graph_session
from pure_conftest import (  # noqa: F401  (hooks and fixtures pytest finds here)
    enable_odoo_test_flag,
    load_registry,
    pytest_collection_modifyitems,
)

from graph_emulator import FakeClock, GraphEmulator

# Microsoft's SDK lives in its own venv (.dev/sdk-venv), where dev/test.sh runs this file.
collect_ignore = [] if importlib.util.find_spec("msgraph") else ["test_msgraph_sdk.py"]


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
