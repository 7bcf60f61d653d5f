"""Where tests keep files for people to look at after the run: screenshots, audit reports.

``$C360_TEST_ARTIFACTS`` (CI points it at what it uploads), else ``test-artifacts/`` at the
top of the repository, which git ignores.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("C360_TEST_ARTIFACTS") or REPO / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
