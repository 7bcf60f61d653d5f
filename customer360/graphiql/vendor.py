"""Re-fetch GraphiQL's browser files from the npm registry into this package: one command.

Why vendored: on a bank's locked-down network (and in CI) there is no route to a CDN, and a
GraphiQL page that loads its scripts from one stays blank at "Loading...". So the exact files
the page needs are copied from the published npm tarballs into ``static/vendor/`` and shipped
as package data; ``vendor-manifest.json`` records each package's pinned version, the tarball's
integrity as the registry publishes it, and each file's SRI hash, which the page writes into
its ``<script>``/``<link>`` tags.

The manifest is where the versions are pinned. To re-fetch them, or to move a pin::

    python -m customer360.graphiql.vendor                   # the pinned versions, again
    python -m customer360.graphiql.vendor graphiql@4.1.3    # move one pin, re-fetch everything

It needs ``npm`` (``npm view`` and ``npm pack``; nothing is installed) and rewrites
``static/vendor/`` and the manifest whole, so no file of an old version stays behind. Run the
tests afterwards: the browser test is what says the new versions still work together.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from customer360.graphiql.assets import MANIFEST_PATH, STATIC_DIR, VENDOR_DIR, sri_hash


@dataclass(frozen=True)
class Wanted:
    """One file the page loads, by its path inside the npm package."""

    source: str
    kind: str  # "script" or "style"; the page loads them in the order listed here


# What the page needs from each package, in load order: React first (GraphiQL's UMD build
# expects the React and ReactDOM globals), then GraphiQL, then the explorer plugin (which
# expects GraphiQL's globals). graphql-js is inside GraphiQL's bundle; js-cookie, which
# Strawberry's page loads for Django's CSRF cookie, is not needed here.
FILES: dict[str, tuple[Wanted, ...]] = {
    "react": (Wanted("umd/react.production.min.js", "script"),),
    "react-dom": (Wanted("umd/react-dom.production.min.js", "script"),),
    "graphiql": (Wanted("graphiql.min.js", "script"), Wanted("graphiql.min.css", "style")),
    "@graphiql/plugin-explorer": (Wanted("dist/index.umd.js", "script"), Wanted("dist/style.css", "style")),
}
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt")
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?")  # a pin, never a range or a tag


def folder_name(package: str, version: str) -> str:
    """``@graphiql/plugin-explorer`` 4.0.6 -> ``graphiql-plugin-explorer-4.0.6``."""
    return f"{package.lstrip('@').replace('/', '-')}-{version}"


def npm_json(*args: str, cwd: Path | None = None) -> object:
    """Run ``npm ARGS --json`` and decode what it printed; npm's own message on failure."""
    result = subprocess.run(
        ["npm", *args, "--json", "--loglevel=error"], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"npm {' '.join(args)} failed:\n{result.stderr or result.stdout}")
    return json.loads(result.stdout)


def pinned_versions(overrides: list[str]) -> dict[str, str]:
    """The manifest's versions, with ``name@version`` arguments taking their place."""
    versions: dict[str, str] = {}
    if MANIFEST_PATH.exists():
        for package in json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["packages"]:
            versions[package["name"]] = package["version"]
    for spec in overrides:
        name, _, version = spec.rpartition("@")
        if not name or name not in FILES or not EXACT_VERSION.fullmatch(version):
            raise SystemExit(f"{spec!r}: expected NAME@VERSION with an exact VERSION (like 4.1.2) "
                             f"and NAME one of {', '.join(FILES)}")
        versions[name] = version
    missing = [name for name in FILES if name not in versions]
    if missing:
        raise SystemExit(f"no pinned version for {', '.join(missing)}: pass NAME@VERSION for each")
    return versions


def fetch_package(name: str, version: str, work: Path, out: Path) -> dict:
    """``npm pack`` one pinned package, check its tarball against the registry, copy its files."""
    spec = f"{name}@{version}"
    published = npm_json("view", spec, "dist.integrity", "license", "peerDependencies")
    if not isinstance(published, dict) or "dist.integrity" not in published:
        raise SystemExit(f"{spec}: the registry has no such version")
    packed = npm_json("pack", spec, "--pack-destination", str(work), cwd=work)
    assert isinstance(packed, list) and len(packed) == 1
    if packed[0]["integrity"] != published["dist.integrity"]:
        raise SystemExit(f"{spec}: tarball integrity {packed[0]['integrity']} differs from the registry's "
                         f"{published['dist.integrity']}")
    unpacked = work / folder_name(name, version)
    with tarfile.open(work / packed[0]["filename"]) as tarball:
        tarball.extractall(unpacked, filter="data")
    root = unpacked / "package"

    folder = out / folder_name(name, version)
    folder.mkdir(parents=True)
    files = []
    wanted = list(FILES[name]) + [Wanted(n, "license") for n in LICENSE_NAMES if (root / n).is_file()]
    for item in wanted:
        source = root / item.source
        if not source.is_file():
            raise SystemExit(f"{spec}: the package has no {item.source}; update FILES in {__name__}")
        target = folder / PurePosixPath(item.source).name
        shutil.copyfile(source, target)
        files.append({
            "source": item.source,
            "path": f"{VENDOR_DIR.name}/{folder.name}/{target.name}",
            "kind": item.kind,
            "integrity": sri_hash(target.read_bytes()),
        })
    return {
        "name": name,
        "version": version,
        "license": published.get("license"),
        "tarball_integrity": published["dist.integrity"],
        "peer_dependencies": published.get("peerDependencies") or {},
        "files": files,
    }


def vendor(overrides: list[str]) -> list[dict]:
    """Replace ``static/vendor/`` and the manifest with the pinned versions' files."""
    versions = pinned_versions(overrides)
    staging = STATIC_DIR / ".vendor-staging"  # beside the real folder, so the swap is one rename
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with tempfile.TemporaryDirectory(prefix="c360-vendor-") as work:
            packages = [fetch_package(name, versions[name], Path(work), staging) for name in FILES]
        shutil.rmtree(VENDOR_DIR, ignore_errors=True)
        staging.rename(VENDOR_DIR)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    manifest = {
        "about": "GraphiQL's vendored browser files. Written by `python -m customer360.graphiql.vendor`; "
                 "do not edit by hand. 'integrity' is each file's SRI hash (sha384, computed from the file); "
                 "'tarball_integrity' is the npm registry's dist.integrity of the package it came from.",
        "packages": packages,
    }
    MANIFEST_PATH.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return packages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m customer360.graphiql.vendor",
        description="Re-fetch GraphiQL's pinned browser files from the npm registry into package data.",
    )
    parser.add_argument("pins", nargs="*", metavar="NAME@VERSION", help="move these pins first")
    args = parser.parse_args(argv)
    for package in vendor(args.pins):
        peers = ", ".join(f"{k} {v}" for k, v in package["peer_dependencies"].items()) or "none"
        print(f"{package['name']}@{package['version']} ({package['tarball_integrity'][:20]}...; peers: {peers})")
        for file in package["files"]:
            print(f"  {file['path']}  {file['integrity']}")
    print(f"wrote {MANIFEST_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
