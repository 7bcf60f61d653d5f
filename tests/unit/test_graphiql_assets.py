"""The vendored GraphiQL files are exactly what the manifest says, and all of them ship.

A hash in a ``<script integrity=...>`` tag that does not match its file makes the browser
refuse the file and GraphiQL stays blank; a file missing from the wheel does the same on an
installed service. Both are checked here, from the files themselves.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest

from customer360.graphiql import vendor
from customer360.graphiql.assets import (
    MANIFEST_PATH,
    PACKAGE_DIR,
    STATIC_DIR,
    VENDOR_DIR,
    manifest,
    page_assets,
    sri_hash,
)

REPO = Path(__file__).resolve().parents[2]


def test_every_vendored_file_has_the_hash_the_manifest_records() -> None:
    files = [file for package in manifest()["packages"] for file in package["files"]]
    assert files
    for file in files:
        assert file["integrity"] == sri_hash((STATIC_DIR / file["path"]).read_bytes()), file["path"]


def test_the_vendored_folder_holds_the_manifest_files_and_nothing_else() -> None:
    listed = {file["path"] for package in manifest()["packages"] for file in package["files"]}
    on_disk = {p.relative_to(STATIC_DIR).as_posix() for p in VENDOR_DIR.rglob("*") if p.is_file()}
    assert on_disk == listed


def test_every_package_the_page_needs_is_pinned_to_an_exact_version_from_the_registry() -> None:
    packages = {package["name"]: package for package in manifest()["packages"]}
    assert list(packages) == list(vendor.FILES)
    for name, package in packages.items():
        assert vendor.EXACT_VERSION.fullmatch(package["version"]), (name, package["version"])
        assert package["tarball_integrity"].startswith("sha512-"), name


def test_the_page_loads_react_before_graphiql_and_its_plugin_and_our_script_last() -> None:
    scripts = [asset.path for asset in page_assets() if asset.kind == "script"]
    order = ["/react-1", "/react-dom-", "/graphiql-4", "/graphiql-plugin-explorer-", "c360-graphiql.js"]
    assert [next(i for i, path in enumerate(scripts) if part in path) for part in order] == list(range(len(order)))


def _glob_matches(path: str, glob: str) -> bool:
    """setuptools' package-data globs: ``*`` stays within one folder."""
    parts, patterns = path.split("/"), glob.split("/")
    return len(parts) == len(patterns) and all(fnmatch.fnmatchcase(p, g) for p, g in zip(parts, patterns))


def test_the_wheel_includes_every_file_the_page_serves() -> None:
    """setuptools packs only the package-data globs of pyproject.toml."""
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["customer360"]
    needed = [p for p in STATIC_DIR.rglob("*") if p.is_file()] + [MANIFEST_PATH]
    for path in needed:
        relative = path.relative_to(PACKAGE_DIR.parent).as_posix()
        assert any(_glob_matches(relative, glob) for glob in globs), f"{relative} would be left out of the wheel"


@pytest.mark.parametrize("spec", ["graphiql", "left-pad@1.0.0", "graphiql@", "graphiql@4", "graphiql@latest"])
def test_the_vendoring_command_refuses_a_pin_it_cannot_use(spec: str) -> None:
    with pytest.raises(SystemExit, match="NAME@VERSION"):
        vendor.pinned_versions([spec])


def test_the_vendoring_command_moves_only_the_pins_it_is_given() -> None:
    versions = vendor.pinned_versions(["graphiql@9.9.9"])
    assert versions["graphiql"] == "9.9.9"
    assert versions["react"] == next(p["version"] for p in manifest()["packages"] if p["name"] == "react")
