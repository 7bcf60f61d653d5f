"""What every resolver of one request shares: the store, the batching loaders, the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from customer360.config import Settings
from customer360.graphstore.protocol import GraphStore
from customer360.resolvers.loaders import RequestLoaders


@dataclass
class RequestContext:
    store: GraphStore
    settings: Settings
    explain: bool = False
    loaders: RequestLoaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = RequestLoaders(self.store, batching=self.settings.batching)
