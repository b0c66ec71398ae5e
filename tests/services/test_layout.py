"""Where code lives: ``services/`` is pure, only ``services/`` speaks HTTP, ``sync/`` holds the
engine's plain classes and ``models/`` Odoo models only (no plain class), each module listed."""

import ast
from pathlib import Path

import pytest

ADDON = Path(__file__).resolve().parents[2]
SERVICES = ADDON / "services"
MODULES = sorted(SERVICES.glob("*.py"))
ODOO_SHELL = sorted(
    path
    for folder in ("models", "sync", "controllers", "wizard")
    for path in (ADDON / folder).glob("*.py")
)


def imported_names(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import statement of ``path``."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append((node.level, node.module or ""))
    return names


def odoo_model_classes(path: Path) -> list[str]:
    """Top-level classes of ``path`` that derive from ``models.Model`` or a sibling kind."""
    return [
        node.name
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).startswith("models.") for base in node.bases)
    ]


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


@pytest.mark.parametrize("path", ODOO_SHELL, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_only_services_speak_http(path):
    assert not [name for _, name in imported_names(path) if name.split(".")[0] == "requests"]


def test_every_module_of_models_is_an_odoo_model_and_is_loaded():
    modules = {path.stem for path in (ADDON / "models").glob("*.py")} - {"__init__"}
    init = ast.parse((ADDON / "models" / "__init__.py").read_text())
    loaded = {
        alias.name
        for node in ast.walk(init)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert modules <= loaded
    assert not [name for name in modules if not odoo_model_classes(ADDON / "models" / f"{name}.py")]


@pytest.mark.parametrize(
    "path", sorted((ADDON / "models").glob("*.py")), ids=lambda path: path.name
)
def test_models_define_no_plain_class(path):
    classes = [
        node.name for node in ast.parse(path.read_text()).body if isinstance(node, ast.ClassDef)
    ]
    assert classes == odoo_model_classes(path)


@pytest.mark.parametrize("path", sorted((ADDON / "sync").glob("*.py")), ids=lambda path: path.name)
def test_the_engine_defines_no_odoo_model(path):
    assert not odoo_model_classes(path)


@pytest.mark.parametrize(
    "path", sorted((ADDON / "controllers").glob("*.py")), ids=lambda path: path.name
)
def test_the_controllers_go_through_the_models(path):
    reached = {name.split(".")[0] for level, name in imported_names(path) if level == 2}
    assert reached <= {"models"}
