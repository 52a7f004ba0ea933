"""The house's layers, read from every import (lazy ones too):

- the shared layer (`meetstream.shared`) imports no app and nothing of the project's glue;
- the apps (tenants, storageconfig, bots, media_fetch) never import the glue (`meetstream.*`
  outside `shared` and `tenants`), which may import every app;
- `storageconfig` imports neither `bots` nor `media_fetch`, and nothing imports `media_fetch`;
- nothing in the product imports the demo tooling (`meetstream.demo`);
- inside `bots`, tasks are the top: nothing below imports them, and no two modules import each
  other, even lazily.
"""

import ast
from functools import cache
from pathlib import Path

from tests.support.processes import ROOT

PRODUCT = ("meetstream", "storageconfig", "bots", "media_fetch")
APPS = ("meetstream.tenants", "storageconfig", "bots", "media_fetch")
ABOVE_TASKS = {"tasks", "admin"}  # and management commands, which are entry points too


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports, by its full name."""
    found = set()
    package = module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


@cache
def product_imports() -> dict[str, set[str]]:
    graph = {}
    for top in PRODUCT:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" not in path.parts:
                graph[module_name(path)] = imported(path)
    return graph


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def offenders(importer_in, imported_in) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, names in product_imports().items()
        if importer_in(module)
        for name in names
        if imported_in(name)
    )


def test_the_shared_layer_imports_no_app_and_no_glue():
    def outside_shared(name: str) -> bool:
        return within(name, "meetstream") and not within(name, "meetstream.shared")

    def app(name: str) -> bool:
        return any(within(name, top) for top in ("storageconfig", "bots", "media_fetch"))

    shared = lambda module: within(module, "meetstream.shared")  # noqa: E731
    assert offenders(shared, lambda name: outside_shared(name) or app(name)) == []


def test_no_app_imports_the_glue():
    def glue(name: str) -> bool:
        if not within(name, "meetstream") or name == "meetstream":
            return False
        return not any(within(name, f"meetstream.{part}") for part in ("shared", "tenants"))

    def app(module: str) -> bool:
        return any(within(module, top) for top in APPS)

    assert offenders(app, glue) == []


def test_storage_imports_neither_bots_nor_media_fetch():
    storage = lambda module: within(module, "storageconfig")  # noqa: E731
    above = lambda name: within(name, "bots") or within(name, "media_fetch")  # noqa: E731
    assert offenders(storage, above) == []


def test_nothing_imports_media_fetch():
    others = lambda module: not within(module, "media_fetch")  # noqa: E731
    assert offenders(others, lambda name: within(name, "media_fetch")) == []


def test_nothing_in_the_product_imports_the_demo_tooling():
    product = lambda module: not within(module, "meetstream.demo")  # noqa: E731
    assert offenders(product, lambda name: within(name, "meetstream.demo")) == []


def bots_imports() -> dict[str, set[str]]:
    """Each bots module (by its name inside the app) and the bots modules it imports."""
    graph = {}
    for module, names in product_imports().items():
        if within(module, "bots"):
            graph[module] = {
                name for name in names if within(name, "bots") and name in product_imports()
            }
    return graph


def test_nothing_below_the_tasks_imports_them():
    graph = bots_imports()
    importers = {module for module, found in graph.items() if "bots.tasks" in found}
    assert {module.rsplit(".", 1)[-1] for module in importers} <= ABOVE_TASKS


def test_the_bots_modules_import_no_circle():
    graph = bots_imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph.get(start, ()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    assert [name for name in graph if reaches(name, name, set())] == []


PROVIDER_FOLDERS = {
    path.name for path in (ROOT / "storageconfig" / "backends").iterdir() if path.is_dir()
} - {"__pycache__"}


def provider_module(name: str) -> bool:
    """A module of one provider's folder (storageconfig/backends/<provider>/...)."""
    parts = name.split(".")
    return parts[:2] == ["storageconfig", "backends"] and parts[2:3] in [
        [f] for f in PROVIDER_FOLDERS
    ]


def test_no_provider_module_is_imported_outside_the_providers_seam():
    outside = lambda module: not within(module, "storageconfig.backends")  # noqa: E731
    assert offenders(outside, provider_module) == []


def test_storage_drivers_import_neither_drf_nor_drf_spectacular():
    def driver(module: str) -> bool:
        return within(module, "storageconfig.backends") and not module.endswith(".fields")

    def api_framework(name: str) -> bool:
        return within(name, "rest_framework") or within(name, "drf_spectacular")

    assert offenders(driver, api_framework) == []
