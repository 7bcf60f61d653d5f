"""How many operations each way of answering took, process-wide, for ``/metrics``.

The ways are keys: ``compiled`` and ``general`` (the executor that answered), and the
compiled answers' own ``lane`` (:mod:`customer360.execution.lane`) and ``tree``
(:mod:`customer360.execution.executor`, one response-tree query).
"""

from __future__ import annotations

import threading
from collections import Counter

PATHS: Counter[str] = Counter()
"""Operations answered per path, process-wide (``c360_operations_total`` and friends in /metrics)."""
_paths_lock = threading.Lock()


def count_path(path: str) -> None:
    with _paths_lock:
        PATHS[path] += 1
