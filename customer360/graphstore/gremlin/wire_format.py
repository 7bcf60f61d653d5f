"""How traversal results travel from the Gremlin server: GraphSON 3, parsed by orjson.

GraphSON rather than GraphBinary: gremlinpython decodes GraphBinary byte by byte in Python,
while GraphSON's JSON is parsed in C and only its typed values are unpacked in Python (on a
traversal returning 500 value maps, 8.8 ms of client CPU for GraphBinary against 5.0 ms).
gremlinpython parses that JSON with the standard library, after decoding the bytes to text;
:class:`GraphSON3` hands the bytes to orjson instead, unpacks plain JSON values (property
names, strings) without the three type tests each one otherwise goes through, and maps, lists
and numbers without the per-type class dispatch. The result is the same objects
gremlinpython's own reader makes (a test holds the two equal).
"""

from __future__ import annotations

from typing import Any

import orjson
from gremlin_python.driver.serializer import GraphSONSerializersV3d0
from gremlin_python.structure.io.graphsonV3d0 import GraphSONReader, Int32IO, Int64IO
from gremlin_python.structure.io.util import HashableDict

_PLAIN = (str, int, float, bool, type(None))
_NUMBERS = {"g:Int64": Int64IO.python_type, "g:Int32": Int32IO.python_type}


class _Reader(GraphSONReader):
    """gremlinpython's reader, with the shapes our traversals return (maps, lists, longs, ints)
    unpacked in one function each; anything else goes to gremlinpython's own deserializers."""

    def to_object(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _PLAIN:
            return obj
        if kind is dict:
            tag = obj.get("@type")
            if tag == "g:Map":
                return self._map(obj["@value"])
            if tag == "g:List":
                return [self.to_object(item) for item in obj["@value"]]
            number = _NUMBERS.get(tag)
            if number is not None:
                return number(obj["@value"])
        return super().to_object(obj)

    def _map(self, flat: list[Any]) -> dict[Any, Any]:
        made = {}
        for index in range(0, len(flat), 2):
            key = self.to_object(flat[index])
            made[key if type(key) is str else HashableDict.of(key)] = self.to_object(flat[index + 1])
        return made


class GraphSON3(GraphSONSerializersV3d0):
    """gremlinpython's GraphSON 3 serializer, with the response parsed as described above."""

    def __init__(self) -> None:
        super().__init__()
        self._graphson_reader = _Reader()

    def deserialize_message(self, message: bytes | str) -> Any:
        return self._graphson_reader.to_object(orjson.loads(message))
