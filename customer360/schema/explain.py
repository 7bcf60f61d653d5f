"""``X-C360-Explain: 1`` → ``extensions.explain``: every backend call of the request.

Analysts see in GraphiQL how many calls a query cost and what each one sent (query text
with its parameters apart, rows, milliseconds); tests use the same log to prove batching.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from customer360.backend_calls import CallLog, capture_calls


class ExplainExtension(SchemaExtension):
    log: CallLog | None = None

    def on_operation(self) -> Iterator[None]:
        with capture_calls() as log:
            self.log = log
            yield

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if self.log is None or not getattr(context, "explain", False):
            return {}
        return {
            "explain": {
                "path": getattr(context, "execution_path", "general"),
                "totalCalls": self.log.total,
                "calls": [call.explained() for call in self.log.calls],
            }
        }
