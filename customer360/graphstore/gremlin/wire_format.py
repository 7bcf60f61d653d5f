"""How traversal results travel from the Gremlin server: GraphSON 3, parsed by orjson.

GraphSON rather than GraphBinary: gremlinpython decodes GraphBinary byte by byte in Python,
while GraphSON's JSON is parsed in C and only its typed values are unpacked in Python (on a
traversal returning 500 value maps, 8.8 ms of client CPU for GraphBinary against 5.0 ms).
gremlinpython parses that JSON with the standard library, after decoding the bytes to text;
:class:`GraphSON3` hands the bytes to orjson instead and unpacks plain JSON values (property
names, strings) without the three type tests each one otherwise goes through. The result is
the same objects gremlinpython's own reader makes (a test holds the two equal).
"""

from __future__ import annotations

from typing import Any

import orjson
from gremlin_python.driver.serializer import GraphSONSerializersV3d0
from gremlin_python.structure.io.graphsonV3d0 import GraphSONReader

_PLAIN = (str, int, float, bool, type(None))


class _Reader(GraphSONReader):
    def to_object(self, obj: Any) -> Any:
        if type(obj) in _PLAIN:
            return obj
        return super().to_object(obj)


class GraphSON3(GraphSONSerializersV3d0):
    """gremlinpython's GraphSON 3 serializer, with the response parsed as described above."""

    def __init__(self) -> None:
        super().__init__()
        self._graphson_reader = _Reader()

    def deserialize_message(self, message: bytes | str) -> Any:
        return self._graphson_reader.to_object(orjson.loads(message))
