"""The Gremlin wire format: GraphSON 3 parsed by orjson gives exactly the objects gremlinpython's
own GraphSON 3 reader gives, for the shapes our traversals return (value maps in projections,
lists, sets, longs, ints, doubles, text beyond ASCII, nulls, traversers with their bulk)."""

from __future__ import annotations

import json

from gremlin_python.driver.serializer import GraphSONSerializersV3d0

from customer360.graphstore.gremlin.wire_format import GraphSON3


def _map(*pairs):
    return {"@type": "g:Map", "@value": [item for pair in pairs for item in pair]}


def _long(value: int):
    return {"@type": "g:Int64", "@value": value}


ROW = _map(("transaction_id", "T0000001"), ("amount_cents", _long(123456)), ("timestamp", _long(1_700_000_000)),
           ("note", "Zoë – ünïcödé ✓"), ("missing", None), ("ratio", {"@type": "g:Double", "@value": 0.25}),
           ("count", {"@type": "g:Int32", "@value": 7}), ("flag", True))
RESPONSE = {
    "requestId": "5b3b4e5c-0000-4000-8000-000000000001",
    "status": {"message": "", "code": 200, "attributes": _map()},
    "result": {"data": {"@type": "g:List", "@value": [
        {"@type": "g:Traverser", "@value": {"bulk": _long(2), "value": _map(
            ("src", "A0000001"),
            ("rows", {"@type": "g:List", "@value": [ROW, ROW]}),
            ("total", _long(-1)),
            ("tags", {"@type": "g:Set", "@value": ["a", "b"]}),
            ("by_count", _map((_long(3), "three"), (_map(("k", "v")), "keyed by a map"))),
        )}},
        {"@type": "g:Traverser", "@value": {"bulk": _long(1), "value": _map(("src", "A0000002"),
                                                                            ("rows", {"@type": "g:List", "@value": []}))}},
    ]}, "meta": _map()},
}


def test_orjson_parsing_gives_the_objects_gremlinpythons_reader_gives():
    message = json.dumps(RESPONSE, ensure_ascii=False).encode()
    ours = GraphSON3().deserialize_message(message)
    theirs = GraphSONSerializersV3d0().deserialize_message(message)
    assert ours == theirs
    traversers = ours["result"]["data"]
    assert [t.bulk for t in traversers] == [2, 1]
    first = traversers[0].object
    assert first["rows"][0]["amount_cents"] == 123456 and first["rows"][0]["note"] == "Zoë – ünïcödé ✓"
    assert first["tags"] == {"a", "b"} and first["rows"][0]["missing"] is None
