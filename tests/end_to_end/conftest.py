"""A small live service shared by the browser and JavaScript-tool tests of one session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.end_to_end.live_service import SMALL_BANK_PERSONS, running_service


@pytest.fixture(scope="session")
def small_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``c360 serve`` on a fresh 300-customer demo bank; yields its base URL."""
    with running_service(tmp_path_factory.mktemp("small-service"), SMALL_BANK_PERSONS) as base:
        yield base
