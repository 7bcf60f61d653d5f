"""The operation as one response tree, for a store that answers it in one query.

The executor (:mod:`customer360.execution.executor`) first asks here whether the whole
operation can be described as a :class:`~customer360.graphstore.response_tree.ResponseTree`:
plain stored properties, links, lists and pages of connections read forward (cursors,
``pageInfo``, ``totalCount`` and filters included), personal fields in clear or masked as
this caller may see them. When it can, and the store builds trees (SQLite does), one
statement returns the response's ``data``; otherwise the executor goes level by level, and
asks here for each level's object fields that are whole trees (:meth:`TreePlanner.subtrees`).
The tree is planned per request, from the same merged fields (aliases, fragments,
``@skip``/``@include``) the level path executes, with the same argument checks
(:func:`~customer360.resolvers.paging.page_request`) and the same access decisions.

Anything outside the tree raises :class:`NotInTree`: pages read backward, an SSN in clear,
a masked phone number, the computed insights, ``node``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_composite_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from customer360.auth.policy import Access
from customer360.execution.fields import (
    ACCOUNT,
    ADDRESS,
    NODE_TYPES,
    PERSON,
    PHONE,
    TRANSACTION,
    customer_query,
    page_args,
    transaction_filter,
)
from customer360.field_collection import Grouped
from customer360.graphstore.plan import Hop, VertexLabel
from customer360.graphstore.response_tree import (
    ByKey,
    Constant,
    Count,
    Cursor,
    EachOf,
    EndCursor,
    Enumerated,
    Fields,
    Flag,
    Format,
    Joined,
    Linked,
    Mask,
    Masked,
    More,
    Nested,
    Persons,
    Property,
    Reach,
    ResponseTree,
    Rows,
    Source,
    Value,
)
from customer360.resolvers import graph
from customer360.resolvers.context import RequestContext
from customer360.resolvers.paging import PageRequest, page_request
from customer360.schema.enums import (
    ACCOUNT_STATUSES,
    ACCOUNT_TYPES,
    PHONE_TYPES,
    EnumMap,
)

log = logging.getLogger("customer360.execution")

Args = dict[str, Any]
Collect = Callable[[GraphQLObjectType, list[Any]], Grouped]


class NotInTree(Exception):
    """This operation is answered level by level (the message says which field or argument).
    ``by_field``: because of a field the tree never holds, whatever the variables and the
    caller, so the document need not be planned again."""

    def __init__(self, reason: str, *, by_field: bool = False) -> None:
        super().__init__(reason)
        self.by_field = by_field


class TreePlanner:
    """Plans one run of one operation: its variables, its caller's access."""

    def __init__(self, schema: GraphQLSchema, collect: Collect, variables: VariableValues,
                 ctx: RequestContext) -> None:
        self.schema = schema
        self.collect = collect
        self.variables = variables
        self.ctx = ctx

    def plan(self, root_fields: Grouped) -> ResponseTree:
        return ResponseTree(self._fields(self.schema.query_type, root_fields))

    def fields(self, gtype: GraphQLObjectType, nodes: list[FieldNode]) -> Fields:
        """The fields selected under ``nodes`` (one response key's field nodes) on ``gtype``."""
        return self._fields(gtype, self.collect(gtype, [n.selection_set for n in nodes if n.selection_set]))

    def _fields(self, gtype: GraphQLObjectType, grouped: Grouped) -> Fields:
        return tuple((key, self.field(gtype, nodes)) for key, nodes in grouped.items())

    def field(self, gtype: GraphQLObjectType, nodes: list[FieldNode]) -> Value:
        """One response key's value on ``gtype`` (``nodes``: its merged field nodes)."""
        name = nodes[0].name.value
        if name == "__typename":
            return Constant(gtype.name)
        build = TREE.get(gtype.name, {}).get(name)
        if build is None:
            raise NotInTree(f"{gtype.name}.{name}", by_field=True)
        field_def = gtype.fields[name]
        args = get_argument_values(field_def, nodes[0], self.variables) if field_def.args else {}
        return build(self, field_def, nodes, args)

    def subtrees(self, gtype: GraphQLObjectType, keys: tuple[str, ...], grouped: Grouped) -> ResponseTree | None:
        """For a level the executor goes through by levels: the object fields of ``grouped``
        that are whole trees, for every parent vertex at once (``keys``: the parents' business
        keys, in order). None when the level's type is not a vertex or no such field is there."""
        label = LABELS.get(gtype.name)
        if label is None:
            return None
        planned: list[tuple[str, Value]] = []
        for key, nodes in grouped.items():
            name = nodes[0].name.value
            if name not in TREE.get(gtype.name, {}) or not is_composite_type(get_named_type(gtype.fields[name].type)):
                continue  # a leaf costs less read from the parent than sent to the store
            try:
                planned.append((key, self.field(gtype, nodes)))
            except Exception as reason:  # noqa: BLE001 - NotInTree, or an error the level reports
                log.debug("%s.%s level by level: %r", gtype.name, name, reason)
        if not planned:
            return None
        return ResponseTree(((EACH, EachOf(label, keys, tuple(planned))),))

    def present(self, policy_field: str, in_clear: Value | None) -> Value:
        """A personal field as this caller may see it: ``in_clear``, or masked as
        :data:`MASKED` says. A mask the tree cannot write (``Phone.number``), or a clear value
        it cannot read (``Person.ssn``, decrypted in Python), goes level by level. A field
        the caller may not see raises the access error here, and the level path raises it again."""
        access = self.ctx.access.access(policy_field)
        value = in_clear if access is Access.CLEAR else MASKED.get(policy_field)
        if value is None:
            raise NotInTree(f"{policy_field}: {access.name.lower()} for this caller")
        return value

    def connection(self, field_def: GraphQLField, nodes: list[FieldNode], source: Source, ordering: str,
                   request: PageRequest) -> Nested:
        """A connection's page read forward: its edges (cursors, nodes), ``pageInfo`` and
        ``totalCount``, each from the same ``source``."""
        first, after = request.limit, request.keyset
        connection_type = _object_type(field_def)
        edge_type = _object_type(connection_type.fields["edges"])
        node_type = _object_type(edge_type.fields["node"])
        page_info_type = _object_type(connection_type.fields["pageInfo"])
        planned: list[tuple[str, Value]] = []
        for key, connection_nodes in self.collect(connection_type, _sets(nodes)).items():
            name = connection_nodes[0].name.value
            if name == "__typename":
                planned.append((key, Constant(connection_type.name)))
            elif name == "totalCount":
                planned.append((key, Count(source)))
            elif name == "pageInfo":
                page_info: list[tuple[str, Value]] = []
                for info_key, info_nodes in self.collect(page_info_type, _sets(connection_nodes)).items():
                    page_info.append((info_key, {
                        "__typename": Constant(page_info_type.name),
                        "hasNextPage": More(source, first, after),
                        "hasPreviousPage": Flag(after is not None),  # as connection_data says for pages read forward
                        "startCursor": EndCursor(source, first, ordering, last=False, after=after),
                        "endCursor": EndCursor(source, first, ordering, last=True, after=after),
                    }[info_nodes[0].name.value]))
                planned.append((key, Nested(tuple(page_info))))
            elif name == "edges":
                edge_fields: list[tuple[str, Value]] = []
                for edge_key, edge_nodes in self.collect(edge_type, _sets(connection_nodes)).items():
                    edge_name = edge_nodes[0].name.value
                    if edge_name == "__typename":
                        edge_fields.append((edge_key, Constant(edge_type.name)))
                    elif edge_name == "cursor":
                        edge_fields.append((edge_key, Cursor(source, ordering)))
                    else:  # node
                        edge_fields.append((edge_key, Nested(self.fields(node_type, edge_nodes))))
                planned.append((key, Rows(source, first, tuple(edge_fields), after)))
            else:
                raise NotInTree(f"{connection_type.name}.{name}", by_field=True)
        return Nested(tuple(planned))

    def page(self, field: str, ordering: str, args: Args) -> PageRequest:
        """The page a connection's arguments ask for; only pages read forward are in the tree."""
        settings = self.ctx.settings
        request = page_request(field, ordering, page_args(args), settings.max_page_size, settings.default_page_size)
        if request.backward:
            raise NotInTree(f"{field}: a page read backward")
        return request


def _object_type(field_def: GraphQLField) -> GraphQLObjectType:
    named = get_named_type(field_def.type)
    if not isinstance(named, GraphQLObjectType):
        raise NotInTree(f"{named} is not an object type")
    return named


def _sets(nodes: list[FieldNode]) -> list[Any]:
    return [n.selection_set for n in nodes if n.selection_set]


# ------------------------------------------------------------------ what each field becomes

Build = Callable[[TreePlanner, GraphQLField, list[FieldNode], Args], Value]


def stored(name: str, format: Format = Format.AS_STORED) -> Build:
    return lambda planner, field_def, nodes, args: Property(name, format)


def personal(policy_field: str, in_clear: Value | None) -> Build:
    return lambda planner, field_def, nodes, args: planner.present(policy_field, in_clear)


def enumerated(name: str, table: EnumMap) -> Build:
    names = tuple((member.value, table.to_public(member).name) for member in table.inner)
    return lambda planner, field_def, nodes, args: Enumerated(name, names)


def linked(label: VertexLabel, via: str) -> Build:
    def build(planner: TreePlanner, field_def: GraphQLField, nodes: list[FieldNode], args: Args) -> Value:
        return Linked(label, via, planner.fields(_object_type(field_def), nodes),
                      required=isinstance(field_def.type, GraphQLNonNull))

    return build


def by_key(label: VertexLabel) -> Build:
    def build(planner: TreePlanner, field_def: GraphQLField, nodes: list[FieldNode], args: Args) -> Value:
        return ByKey(label, args["id"], planner.fields(_object_type(field_def), nodes))

    return build


def neighbours(path: tuple[Hop, ...]) -> Build:
    """A short list, as the level path reads it: by key, at most a page of the largest size."""
    def build(planner: TreePlanner, field_def: GraphQLField, nodes: list[FieldNode], args: Args) -> Value:
        return Rows(Reach(path, None), planner.ctx.settings.max_page_size, planner.fields(_object_type(field_def), nodes))

    return build


def transactions(field: str, path: tuple[Hop, ...]) -> Build:
    def build(planner: TreePlanner, field_def: GraphQLField, nodes: list[FieldNode], args: Args) -> Value:
        ordering = graph.PAYMENTS_ORDERING
        request = planner.page(field, ordering, args)
        where = graph.transaction_predicates(field, transaction_filter(args))
        return planner.connection(field_def, nodes, Reach(path, graph.NEWEST_FIRST, where), ordering, request)

    return build


def _customers(planner: TreePlanner, field_def: GraphQLField, nodes: list[FieldNode], args: Args) -> Value:
    query = customer_query(args)
    ordering = query.ordering
    request = planner.page("customers", ordering, args)
    source = Persons(query.order, query.descending, graph.customer_filter(query))
    return planner.connection(field_def, nodes, source, ordering, request)


MASKED: dict[str, Value] = {
    "Person.ssn": Masked("ssn_last4", Mask.SSN_FROM_LAST_FOUR),
    "Person.dateOfBirth": Masked("date_of_birth", Mask.YEAR_OF_BIRTH),
    "Address.street": Masked("street", Mask.HIDDEN),
    "Address.zipCode": Masked("zip_code", Mask.ZIP_PREFIX),
}
"""The masks of :data:`customer360.auth.masking.MASKS` a tree can write, by policy field."""

LABELS: dict[str, VertexLabel] = {type_name: label for label, type_name in NODE_TYPES.items()}
"""The GraphQL types that are vertices: a level of them can have its subtrees built at once."""

EACH = "each"
"""The key of :meth:`TreePlanner.subtrees`' one root value: a list, one object per parent."""

LOOKUPS: dict[str, VertexLabel] = {
    "customer": PERSON,
    "account": ACCOUNT,
    "transaction": TRANSACTION,
    "address": ADDRESS,
    "phone": PHONE,
}
"""The root fields that find one vertex by its ``id`` argument (a :class:`ByKey` each)."""

TREE: dict[str, dict[str, Build]] = {
    "Query": {
        **{name: by_key(label) for name, label in LOOKUPS.items()},
        "customers": _customers,
    },
    "Person": {
        "id": stored("person_id"),
        "firstName": personal("Person.firstName", Property("first_name")),
        "lastName": personal("Person.lastName", Property("last_name")),
        "name": personal("Person.name", Joined(("first_name", "last_name"), " ")),
        "dateOfBirth": personal("Person.dateOfBirth", Property("date_of_birth")),
        "ssn": personal("Person.ssn", None),
        "accounts": neighbours(graph.PERSON_ACCOUNTS),
        "addresses": neighbours(graph.PERSON_ADDRESSES),
        "phones": neighbours(graph.PERSON_PHONES),
        "transactions": transactions("Person.transactions", graph.PERSON_TRANSACTIONS),
    },
    "Account": {
        "id": stored("account_id"),
        "type": enumerated("account_type", ACCOUNT_TYPES),
        "balance": stored("balance_cents", Format.MONEY),
        "status": enumerated("status", ACCOUNT_STATUSES),
        "owner": linked(PERSON, "owner_person_id"),
        "sent": transactions("Account.sent", graph.ACCOUNT_SENT),
        "received": transactions("Account.received", graph.ACCOUNT_RECEIVED),
    },
    "Transaction": {
        "id": stored("transaction_id"),
        "amount": stored("amount_cents", Format.MONEY),
        "timestamp": stored("timestamp", Format.TIMESTAMP),
        "from": linked(ACCOUNT, "from_account_id"),
        "to": linked(ACCOUNT, "to_account_id"),
    },
    "Address": {
        "id": stored("address_id"),
        "street": personal("Address.street", Property("street")),
        "city": personal("Address.city", Property("city")),
        "state": personal("Address.state", Property("state")),
        "zipCode": personal("Address.zipCode", Property("zip_code")),
        "residents": neighbours(graph.ADDRESS_RESIDENTS),
    },
    "Phone": {
        "id": stored("phone_id"),
        "number": personal("Phone.number", Property("number")),
        "type": enumerated("phone_type", PHONE_TYPES),
        "owners": neighbours(graph.PHONE_OWNERS),
    },
}
"""Per GraphQL type, the fields a response tree holds; the rest go level by level."""
