"""What every resolver of one request shares: the store, the settings, the caller's access to
personal data, and the batching loaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from customer360.auth.access import RequestAccess
from customer360.config import Settings
from customer360.graphstore.protocol import GraphStore
from customer360.resolvers.loaders import RequestLoaders


@dataclass
class RequestContext:
    store: GraphStore
    settings: Settings
    access: RequestAccess
    explain: bool = False
    loaders: RequestLoaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = RequestLoaders(self.store, batching=self.settings.batching)
