"""The JanusGraph store over Gremlin: ``schema`` (labels, keys, indexes), ``emit`` (plan step ->
bytecode and its decoder), ``decode`` (results -> records), ``network`` (the network steps,
emitter beside decoder), ``bulk`` (upserts) and ``store`` (:class:`GremlinStore`)."""

from customer360.graphstore.gremlin.store import GremlinStore, reachable

__all__ = ["GremlinStore", "reachable"]
