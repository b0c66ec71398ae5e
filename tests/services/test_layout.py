"""Where code lives: ``services/`` is pure, only ``services/`` speaks HTTP, ``sync/`` holds the
engine's plain classes and ``models/`` Odoo models only (no plain class), each module listed."""

import ast
import re
import textwrap
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


GRAPH_KEY = re.compile(r"@?[a-z]+(?:[A-Z][a-z0-9]*)+")
"""A camelCase string, as Graph's JSON keys and values are (``transactionId``, ``seriesMaster``)."""
GRAPH_PATH_PARTS = ("/me/", "/events", "$batch", "If-Match", "@odata")
"""What a string building a Graph URL or header holds."""


def graph_strings(path: Path) -> list[tuple[str, str]]:
    """(enclosing ``Class.function``, string) for every string literal of ``path`` that reads
    a Graph key or builds a Graph path. Docstrings and the labels of Odoo fields (their
    ``string`` and ``help``, such as ``fields.Char("iCalUId")``) are words for people, not
    Graph reads."""
    found = []

    def visit(node: ast.AST, scope: tuple[str, ...], words: set[int]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = (*scope, node.name)
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            words.add(id(body[0].value))
        if isinstance(node, ast.Call) and ast.unparse(node.func).startswith("fields."):
            words.update(id(arg) for arg in node.args[:1])
            words.update(id(kw.value) for kw in node.keywords if kw.arg in ("string", "help"))
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in words
            and (
                GRAPH_KEY.fullmatch(node.value)
                or any(part in node.value for part in GRAPH_PATH_PARTS)
            )
        ):
            found.append((".".join(scope), node.value))
        for child in ast.iter_child_nodes(node):
            visit(child, scope, words)

    visit(ast.parse(path.read_text()), (), set())
    return found


def test_graph_strings_are_found_in_reads_and_paths_not_in_labels(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        textwrap.dedent(
            '''
            """Reads ``transactionId`` from /me/events."""
            class Link:
                ical_uid = fields.Char("iCalUId", help="e.g. /me/calendars/{id}/events")
                def read(self, item, calendar):
                    """Its ``seriesMasterId``."""
                    url = f"/me/calendars/{calendar}/events"
                    return item.get("seriesMasterId"), {"If-Match": "*"}, url
            '''
        )
    )
    assert graph_strings(sample) == [
        ("Link.read", "/me/calendars/"),
        ("Link.read", "/events"),
        ("Link.read", "seriesMasterId"),
        ("Link.read", "If-Match"),
    ]


@pytest.mark.parametrize("path", ODOO_SHELL, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_only_services_read_graph_json_or_build_graph_paths(path):
    assert graph_strings(path) == []


@pytest.mark.parametrize(
    "path",
    [path for path in MODULES + ODOO_SHELL if path.name != "__init__.py"],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_every_module_says_what_it_is_for(path):
    assert ast.get_docstring(ast.parse(path.read_text()))


@pytest.mark.parametrize(
    "path", MODULES + ODOO_SHELL, ids=lambda path: f"{path.parent.name}/{path.name}"
)
def test_the_addon_never_imports_the_emulator(path):
    assert not [name for _, name in imported_names(path) if "graph_emulator" in name.split(".")]
