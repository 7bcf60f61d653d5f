"""The search package keeps the shape every backend family has (DESIGN.md): no Strawberry
below the schema, implementations that do not know each other, no imports hidden in
functions of a backend package, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

SEARCH = Path(__file__).resolve().parents[2] / "customer360" / "search"
PACKAGES = ("embedded", "opensearch")
MODULES = ("__init__", "schema", "emit", "decode", "index")


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, imported inside a function?) for every import of a file."""
    tree = ast.parse(path.read_text())
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, inner))
            visit(child, inner)

    visit(tree, False)
    return found


def test_both_implementations_have_the_same_modules() -> None:
    for package in PACKAGES:
        assert sorted(p.stem for p in (SEARCH / package).glob("*.py")) == sorted(MODULES)


def test_nothing_under_search_imports_strawberry_or_the_schema() -> None:
    for path in SEARCH.rglob("*.py"):
        for module, _ in _imports(path):
            assert not module.startswith(("strawberry", "customer360.schema", "customer360.resolvers")), (path, module)


def test_implementations_do_not_know_each_other_and_import_at_the_top() -> None:
    for package in PACKAGES:
        other = next(p for p in PACKAGES if p != package)
        for path in (SEARCH / package).glob("*.py"):
            for module, nested in _imports(path):
                assert not module.startswith(f"customer360.search.{other}"), (path, module)
                assert not nested, f"{path.name} imports {module} inside a function"


def test_neutral_modules_import_no_implementation() -> None:
    for path in SEARCH.glob("*.py"):
        if path.name == "__init__.py":
            continue  # open_search_index picks one
        for module, _ in _imports(path):
            assert not module.startswith(tuple(f"customer360.search.{p}" for p in PACKAGES)), (path, module)


def test_no_import_cycles_in_search() -> None:
    graph: dict[str, set[str]] = {}
    for path in SEARCH.rglob("*.py"):
        name = "customer360." + ".".join(path.relative_to(SEARCH.parent).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        graph[name] = {m for m, nested in _imports(path) if m.startswith("customer360.search") and not nested}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in graph.get(node, ()):
            if target == node or target not in graph:
                continue
            assert state.get(target) != 1, " -> ".join(trail + [target])
            if target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
