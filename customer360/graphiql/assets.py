"""GraphiQL's browser files, served by the service itself, and their SRI hashes.

The page writes each file's hash into its ``<script>``/``<link>`` tag, so a browser refuses a
file that changed on disk or on the way. Vendored files take their hash from the manifest
written when they were fetched (a test checks it against the files); the service's own
start-up script is hashed here, from the file, since it changes with the code.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
MANIFEST_PATH = PACKAGE_DIR / "vendor-manifest.json"
START_SCRIPT = "c360-graphiql.js"


@dataclass(frozen=True)
class Asset:
    """One file under ``static/``; ``path`` (with ``/``) is also its URL below the static route."""

    path: str
    kind: str  # "script", "style" or "license"
    integrity: str  # "sha384-<base64>", as Subresource Integrity wants it


def sri_hash(data: bytes) -> str:
    """The Subresource Integrity value of some bytes (sha384, the strength CDNs publish)."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


@functools.cache
def manifest() -> dict:
    """The vendoring record: packages, versions, tarball integrity, files and their hashes."""
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


def vendored_assets() -> tuple[Asset, ...]:
    """Every vendored file in load order, with the hash recorded when it was fetched."""
    return tuple(
        Asset(path=file["path"], kind=file["kind"], integrity=file["integrity"])
        for package in manifest()["packages"]
        for file in package["files"]
    )


@functools.cache
def page_assets() -> tuple[Asset, ...]:
    """What the page loads, in order: the vendored scripts and styles, then our start-up script."""
    start = Asset(START_SCRIPT, "script", sri_hash((STATIC_DIR / START_SCRIPT).read_bytes()))
    return tuple(a for a in vendored_assets() if a.kind in {"script", "style"}) + (start,)
