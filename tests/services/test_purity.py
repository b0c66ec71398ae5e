"""services/ stays pure: no Odoo, only relative imports among its own modules."""

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"
MODULES = sorted(SERVICES.glob("*.py"))


def imported_names(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import statement of ``path``."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append((node.level, node.module or ""))
    return names


def test_services_has_modules():
    assert len(MODULES) >= 7


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_module_does_not_import_odoo(path):
    assert not [name for _, name in imported_names(path) if name.split(".")[0] == "odoo"]


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_module_imports_its_siblings_relatively(path):
    siblings = {module.stem for module in MODULES} | {"services"}
    absolute = [name for level, name in imported_names(path) if level == 0]
    assert not [name for name in absolute if name.split(".")[0] in siblings]
