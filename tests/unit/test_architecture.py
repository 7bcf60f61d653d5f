"""The layout's rules, read from the code's own imports (every import, function-local ones too).

- no import cycle between the package's modules;
- no function-local import inside a backend package (they hide cycles);
- no backend package imports another backend package;
- ``schema/`` imports no backend package and no driver;
- ``graphstore/``, ``ingest/`` and the audit and search backends import no Strawberry or GraphQL;
- ``resolvers/`` imports no driver (``sqlite3``, ``gremlin_python``, ...).

A backend package is any package directly under a backend family (``graphstore/``,
``audit/``, ``search/``): ``graphstore/sqlite``, ``graphstore/gremlin`` and those to come.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "customer360"
BACKEND_FAMILIES = ("graphstore", "audit", "search")
DRIVERS = ("sqlite3", "gremlin_python", "cassandra", "opensearchpy")
GRAPHQL = ("strawberry", "graphql")


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported module or name, dotted and absolute
    line: int
    local: bool  # inside a function


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _imports(name: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend(Import(name, alias.name, child.lineno, local) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in child.names:
                    candidate = f"{base}.{alias.name}"
                    found.append(Import(name, candidate if candidate in MODULES else base, child.lineno, local))
            visit(child, inner)

    visit(tree, False)
    return found


IMPORTS = [imp for name, path in MODULES.items() for imp in _imports(name, path)]


def _backend_package(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] in BACKEND_FAMILIES:
        package = ".".join(parts[:3])
        if (PACKAGE / parts[1] / parts[2] / "__init__.py").exists():
            return package
    return None


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _internal_graph() -> dict[str, set[str]]:
    """Module -> the modules it makes Python run: the target, and every package ``__init__``
    above the target that the importer is not itself inside (importing ``a.b.c`` from outside
    ``a.b`` runs ``a/b/__init__.py`` first, so a cycle through it fails at import time)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for imp in IMPORTS:
        target = imp.target
        while target and target not in MODULES:
            target = target.rpartition(".")[0]
        if not target or target == imp.source:
            continue
        graph[imp.source].add(target)
        package = target.rpartition(".")[0] if not _is_package_init(target) else target
        while package and package in MODULES:
            if not imp.source.startswith(package + ".") and package != imp.source:
                graph[imp.source].add(package)
            package = package.rpartition(".")[0]
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _is_package_init(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def test_the_rules_see_the_code() -> None:
    """The checks below would pass vacuously if the walk found nothing."""
    assert {"customer360.graphstore.sqlite.store", "customer360.graphstore.gremlin.store"} <= set(MODULES)
    assert any(imp.target == "customer360.graphstore.sqlite.emit" for imp in IMPORTS)
    assert _backend_package("customer360.graphstore.gremlin.emit") == "customer360.graphstore.gremlin"


def test_no_import_cycles() -> None:
    graph = _internal_graph()
    # A package's __init__ re-exporting its own modules is not a cycle between modules.
    for name in graph:
        if _is_package_init(name):
            graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    assert _cycles(graph) == []


def test_cycle_detection_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_function_local_imports_in_backend_packages() -> None:
    local = [f"{i.source}:{i.line} imports {i.target}" for i in IMPORTS if i.local and _backend_package(i.source)]
    assert local == []


def test_no_backend_package_imports_another() -> None:
    crossing = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _backend_package(i.source) and _backend_package(i.target)
        and _backend_package(i.source) != _backend_package(i.target)
    ]
    assert crossing == []


def test_schema_imports_no_backend_and_no_driver() -> None:
    bad = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _under(i.source, "customer360.schema") and (_backend_package(i.target) or _under(i.target, *DRIVERS))
    ]
    assert bad == []


@pytest.mark.parametrize("layer", ["customer360.graphstore", "customer360.ingest", "backends of audit and search"])
def test_storage_layers_import_no_strawberry(layer: str) -> None:
    def in_layer(module: str) -> bool:
        if layer.startswith("customer360."):
            return _under(module, layer)
        backend = _backend_package(module)
        return backend is not None and not backend.startswith("customer360.graphstore")

    bad = [f"{i.source}:{i.line} imports {i.target}" for i in IMPORTS if in_layer(i.source) and _under(i.target, *GRAPHQL)]
    assert bad == []


def test_resolvers_import_no_driver() -> None:
    bad = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _under(i.source, "customer360.resolvers") and (_under(i.target, *DRIVERS) or _backend_package(i.target))
    ]
    assert bad == []
