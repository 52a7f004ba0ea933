"""Tasks are the top of the bots app: services, uploads and webhooks never import them, and no
two modules import each other, even lazily."""

import ast

from tests.support.processes import ROOT

ABOVE_TASKS = {"tasks", "admin"}  # and management commands, which are entry points too


def bots_imports() -> dict[str, set[str]]:
    graph = {}
    for path in (ROOT / "bots").glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bots."):
                found.add(node.module.split(".")[1])
        graph[path.stem] = found
    return graph


def test_nothing_below_the_tasks_imports_them():
    graph = bots_imports()
    assert {name for name, found in graph.items() if "tasks" in found} <= ABOVE_TASKS


def test_the_bots_modules_import_no_circle():
    graph = bots_imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for step in graph.get(start, ()):
            if step == goal or (step not in seen and reaches(step, goal, seen | {step})):
                return True
        return False

    assert [name for name in graph if reaches(name, name, set())] == []
