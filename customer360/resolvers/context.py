"""What every resolver of one request shares: the store, the search index, the settings, the
caller's access to personal data, the audit record, and the batching loaders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from customer360.auth.access import RequestAccess
from customer360.config import Settings
from customer360.graphstore.protocol import GraphStore
from customer360.resolvers.loaders import RequestLoaders
from customer360.search.protocol import SearchIndex

if TYPE_CHECKING:
    from customer360.audit.pipeline import AuditPipeline


@dataclass
class RequestContext:
    store: GraphStore
    settings: Settings
    access: RequestAccess
    search: SearchIndex
    explain: bool = False
    audit: "AuditPipeline | None" = None  # None: no audit record (a schema used without the app)
    request_id: str | None = None
    client_address: str | None = None
    execution_path: str = "general"  # or "compiled": which executor answered (explain shows it)
    loaders: RequestLoaders = field(init=False)
    shared: dict[Any, asyncio.Future] = field(default_factory=dict)  # compiled path: one call, several fields

    def __post_init__(self) -> None:
        self.loaders = RequestLoaders(self.store, batching=self.settings.batching)
