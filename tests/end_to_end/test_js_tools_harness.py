"""The front-end teams' own tools, run against the live service (``c360 serve``):

- ``graphql-http``'s server audit (``tests/js/audit-graphql-http.mjs``): its report is kept as
  an artifact and printed; every MUST and every SHOULD passes (the service speaks
  ``application/graphql-response+json``, with 4xx and no ``data`` for request errors).
- ``relay-compiler`` 21: compiles and ``--validate``s the repository's Relay documents
  (``tests/js/relay``: ``@connection`` both ways, ``@refetchable`` fragments, ``node`` and
  ``nodes`` lookups) against the schema the service serves (introspected over HTTP), and
  refuses a document with a wrong field.

The tools come from ``tests/js`` (``make js-tools``, i.e. ``npm ci``); without Node.js or
those packages the tests skip, and fail under ``C360_REQUIRE_SERVICES=1`` as in CI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import httpx
import pytest
from graphql import build_client_schema, get_introspection_query, print_schema

from tests.artifacts import artifacts_dir
from tests.external_tools import tool_missing

JS_DIR = Path(__file__).resolve().parents[1] / "js"
TOOL_LIMIT_S = 300  # an upper bound so a hung tool fails the run, not a performance claim


RELAY_DOCUMENTS = Path(__file__).resolve().parents[1] / "js" / "relay"


@pytest.fixture(scope="session")
def node_bin() -> Path:
    """``node`` and the ``tests/js`` packages, or a skip (a failure in CI) saying how to get them."""
    if shutil.which("node") is None:
        tool_missing("Node.js (node)", "apt-get install -y nodejs npm, then make js-tools")
    for package in ("graphql-http", "relay-compiler", "graphql"):
        if not (JS_DIR / "node_modules" / package / "package.json").is_file():
            tool_missing(f"the npm package {package} in tests/js", "run make js-tools (npm ci in tests/js)")
    return JS_DIR / "node_modules" / ".bin"


def run_tool(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=TOOL_LIMIT_S, check=False)


def test_graphql_http_audit_passes_every_must_and_every_should(
    node_bin: Path, small_service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = run_tool(["node", "audit-graphql-http.mjs", f"{small_service}/graphql"], cwd=JS_DIR)
    assert audit.returncode == 0, audit.stderr
    report = json.loads(audit.stdout)
    saved = artifacts_dir() / "graphql-http-audit.json"
    saved.write_text(audit.stdout, encoding="utf-8")

    counts = Counter((item["requirement"], item["status"]) for item in report)
    failing = [item for item in report if item["status"] != "ok"]
    with capsys.disabled():
        print(f"\ngraphql-http audit of {small_service}/graphql ({len(report)} audits; report: {saved}):")
        print("  " + ", ".join(f"{req} {status}: {n}" for (req, status), n in sorted(counts.items())))
        for item in failing:
            print(f"  {item['status']:5} {item['id']} {item['name']}: {item['reason']}")

    assert len(report) >= 50, "the audit did not run its checks"
    must_failures = [item for item in report if item["requirement"] == "MUST" and item["status"] != "ok"]
    assert not must_failures, must_failures
    should_warnings = [item for item in report if item["requirement"] == "SHOULD" and item["status"] != "ok"]
    assert not should_warnings, should_warnings


def served_sdl(base: str) -> str:
    """The schema the running service serves, as SDL, from an introspection query over HTTP."""
    answer = httpx.post(f"{base}/graphql", json={"query": get_introspection_query()}, timeout=60).json()
    return print_schema(build_client_schema(answer["data"]))


def relay_project(folder: Path, sdl: str, documents: dict[str, str]) -> Path:
    """A minimal Relay project: config, schema and JavaScript files holding ``graphql`` tags."""
    (folder / "src").mkdir(parents=True)
    (folder / "schema.graphql").write_text(sdl, encoding="utf-8")
    config = {"src": "./src", "schema": "./schema.graphql", "language": "javascript"}
    (folder / "relay.config.json").write_text(json.dumps(config), encoding="utf-8")
    for name, document in documents.items():
        (folder / "src" / f"{name}.js").write_text(
            f'import {{ graphql }} from "react-relay";\nexport default graphql`\n{document}\n`;\n', encoding="utf-8"
        )
    return folder


def test_relay_compiler_checks_documents_against_the_served_schema(
    node_bin: Path, small_service: str, tmp_path: Path
) -> None:
    relay = str(node_bin / "relay-compiler")
    sdl = served_sdl(small_service)

    good = relay_project(tmp_path / "good", sdl, {
        "CustomerScreen": "query CustomerScreenQuery($id: ID!) { customer(id: $id) { id name accounts { id balance } } }",
    })
    compiled = run_tool([relay], cwd=good)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert (good / "src" / "__generated__" / "CustomerScreenQuery.graphql.js").is_file()
    validated = run_tool([relay, "--validate"], cwd=good)
    assert validated.returncode == 0, validated.stdout + validated.stderr

    wrong = relay_project(tmp_path / "wrong", sdl, {
        "Typo": "query TypoQuery($id: ID!) { customer(id: $id) { id nickname } }",
    })
    refused = run_tool([relay], cwd=wrong)
    assert refused.returncode != 0 and "nickname" in refused.stdout + refused.stderr

    # The repository's Relay documents (tests/js/relay: @connection both ways, @refetchable
    # fragments refetched through node(id:), node and nodes lookups) against the served schema.
    project = tmp_path / "repository-documents"
    shutil.copytree(RELAY_DOCUMENTS, project, ignore=shutil.ignore_patterns("__generated__", "schema.graphql"))
    (project / "schema.graphql").write_text(sdl, encoding="utf-8")
    compiled = run_tool([relay], cwd=project)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    documents = run_tool([relay, "--validate"], cwd=project)
    assert documents.returncode == 0, documents.stdout + documents.stderr
    generated = {path.name for path in (project / "src" / "__generated__").iterdir()}
    assert {"CustomerListPaginationQuery.graphql.js", "CustomerPaymentsPaginationQuery.graphql.js",
            "NodeLookupQuery.graphql.js"} <= generated
