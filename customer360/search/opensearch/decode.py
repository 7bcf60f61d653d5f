"""OpenSearch responses -> documents (the neutral scorer takes it from there)."""

from __future__ import annotations

from typing import Any

from customer360.search.documents import PersonDocument


def decode_hits(response: dict[str, Any]) -> list[PersonDocument]:
    return [PersonDocument.from_dict(hit["_source"]["doc"]) for hit in response["hits"]["hits"]]


def decode_multi(response: dict[str, Any]) -> list[list[PersonDocument]]:
    out: list[list[PersonDocument]] = []
    for item in response["responses"]:
        if "error" in item:
            raise RuntimeError(f"OpenSearch msearch item failed: {item['error']}")
        out.append(decode_hits(item))
    return out


def hit_count(response: dict[str, Any]) -> int:
    return len(response["hits"]["hits"])
