"""The apps' import order (docs/architecture.md), checked on every module's imports, as pretalx's structure
document asks: an app imports only apps below it. Only the project's wiring imports every app.

    hall <- notifications <- appointments <- queueing <- homevisits, postal, consultations, webhooks
        <- video <- reports <- simulation

A module-level import, an import inside a function and a string given to import_module all count.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {
    "hall": 0,
    "notifications": 1,
    "appointments": 2,
    "queueing": 3,
    "homevisits": 4,
    "postal": 4,
    "consultations": 4,
    "webhooks": 4,
    "video": 5,
    "reports": 6,
    "simulation": 7,
}
WIRING = {"hall/settings.py", "hall/urls.py", "hall/api_v1.py", "hall/asgi.py", "hall/wsgi.py"}


def imported(tree: ast.AST):
    """(line, module) of every import in a module's syntax tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def violations(app: str, path: Path, source: str) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    if rel in WIRING:
        return []
    found = []
    for line, module in imported(ast.parse(source)):
        other = module.split(".")[0]
        if other in LAYERS and other != app and LAYERS[other] >= LAYERS[app]:
            found.append(f"{rel}:{line} imports {module}, but {other} is not below {app}")
    return found


def modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


@pytest.mark.parametrize("app", list(LAYERS))
def test_each_app_imports_only_apps_below_it(app):
    found = [v for path in modules(app) for v in violations(app, path, path.read_text())]

    assert found == []


def test_a_wrong_import_is_named_with_its_file_and_line():
    path = ROOT / "notifications" / "sweeper.py"
    source = "import datetime\n\nfrom appointments import housekeeping\n\n\n"
    source += "def f():\n    import reports.views\n"

    assert violations("notifications", path, source) == [
        "notifications/sweeper.py:3 imports appointments, but appointments is not below notifications",
        "notifications/sweeper.py:7 imports reports.views, but reports is not below notifications",
    ]


def test_peers_do_not_import_each_other_and_the_wiring_may_import_all():
    postal = ROOT / "postal" / "services.py"
    urls = ROOT / "hall" / "urls.py"

    assert violations("postal", postal, "from homevisits import services\n") == [
        "postal/services.py:1 imports homevisits, but homevisits is not below postal"
    ]
    assert violations("hall", urls, "from reports import views\n") == []


def test_every_app_is_in_the_order():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}

    assert apps == set(LAYERS)
