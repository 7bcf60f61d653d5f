"""Validation once per document text, not once per request.

Strawberry's ``ValidationCache`` keys its cache by the parsed document (hashing the whole
AST on every request) and by the validation rules, which extensions such as the depth
limiter create afresh for each request, so it never hits here. The rules of one schema are
the same for every request, and validation depends on nothing but the schema and the text,
so this cache keys by exactly that: a bounded LRU of (schema, document text) -> errors.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_DOCUMENTS = 1000

_validated: OrderedDict[tuple[int, str], list[GraphQLError]] = OrderedDict()
_lock = threading.Lock()


class ValidationByText(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.query is not None and ec.graphql_document is not None and ec.pre_execution_errors is None:
            key = (id(ec.schema._schema), ec.query)
            with _lock:
                errors = _validated.get(key)
                if errors is not None:
                    _validated.move_to_end(key)
            if errors is None:
                errors = validate_document(ec.schema._schema, ec.graphql_document, ec.validation_rules)
                with _lock:
                    _validated[key] = errors
                    if len(_validated) > MAX_DOCUMENTS:
                        _validated.popitem(last=False)
            ec.pre_execution_errors = errors
        yield
