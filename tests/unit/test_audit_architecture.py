"""The audit package's boundaries (DESIGN.md, Layout): no Strawberry below the GraphQL layer,
sink packages independent of each other with imports at the top, no import cycles, and the
embedded default never loading the Cassandra driver."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "customer360" / "audit"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


AUDIT_FILES = sorted(AUDIT.rglob("*.py"))
MODULES = {module_name(p) for p in sorted((ROOT / "customer360").rglob("*.py"))}


def imports(path: Path, *, top_level_only: bool) -> list[tuple[str, int]]:
    """Imported module names; ``from package import submodule`` counts as the submodule only."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]
            found += [(name, node.lineno) for name in submodules or [node.module]]
    return found




@pytest.mark.parametrize("path", AUDIT_FILES, ids=lambda p: str(p.relative_to(AUDIT)))
def test_nothing_under_audit_imports_strawberry(path: Path):
    assert not [name for name, _ in imports(path, top_level_only=False) if name.split(".")[0] == "strawberry"]


@pytest.mark.parametrize("package", ["sqlite", "cassandra"])
def test_sink_packages_import_at_the_top_and_never_each_other(package: str):
    other = {"sqlite": "customer360.audit.cassandra", "cassandra": "customer360.audit.sqlite"}[package]
    for path in sorted((AUDIT / package).glob("*.py")):
        everywhere = imports(path, top_level_only=False)
        assert sorted(everywhere) == sorted(imports(path, top_level_only=True)), f"{path.name}: a function-local import"
        assert not [n for n, _ in everywhere if n.startswith(other)], f"{path.name} imports {other}"
        if package == "sqlite":
            assert not [n for n, _ in everywhere if n.split(".")[0] == "cassandra"], path.name


def test_the_audit_modules_have_no_import_cycles():
    graph: dict[str, set[str]] = {}
    modules = MODULES
    for path in AUDIT_FILES:
        targets = set()
        for name, _ in imports(path, top_level_only=True):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module_name(path):
                targets.add(name)
        graph[module_name(path)] = targets

    def visit(node: str, trail: list[str]) -> None:
        if node in trail:
            raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(node):] + [node]))
        for target in graph.get(node, ()):
            visit(target, trail + [node])

    for module in graph:
        visit(module, [])


def test_the_embedded_default_does_not_load_the_cassandra_driver():
    probe = ("import sys, customer360.audit.pipeline, customer360.audit.verify, customer360.audit.export; "
             "from customer360.audit import open_audit_sink; open_audit_sink('sqlite:///' + sys.argv[1]); "
             "print(any(m == 'cassandra' or m.startswith('cassandra.') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe, "/tmp/c360-arch-probe.db"], capture_output=True,
                            text=True, cwd=ROOT, timeout=60)
    Path("/tmp/c360-arch-probe.db").unlink(missing_ok=True)
    assert result.stdout.strip() == "False", result.stderr
