"""Skip, or fail in CI, when a tool a test drives is not installed here.

Browser and JavaScript-tool tests need programs pip cannot install (Debian's Chromium,
Node.js and the npm packages of ``tests/js``). On a developer's machine without them the
test skips and says how to get them; with ``C360_REQUIRE_SERVICES=1`` (set by ``.ci/run``,
which installs them) a missing tool is a failure, so CI can never pass by skipping.
"""

from __future__ import annotations

import os

import pytest


def tool_missing(what: str, how_to_get_it: str) -> None:
    """Skip the calling test, or fail it when ``C360_REQUIRE_SERVICES=1``."""
    message = f"{what} is not installed; {how_to_get_it}"
    if os.environ.get("C360_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " -- C360_REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
    pytest.skip(message)
