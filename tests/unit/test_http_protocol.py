"""The GraphQL-over-HTTP rules alone: content negotiation, request parameters, status codes."""

from __future__ import annotations

import pytest
from graphql import ExecutionResult, GraphQLError

from customer360.http_protocol import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    HTTPRefusal,
    is_request_error,
    negotiate,
    read_get,
    read_post,
    response_status,
)

JSON = "application/json"


@pytest.mark.parametrize(("accept", "expected"), [
    (None, APPLICATION_JSON),  # no Accept: an older client
    ("", APPLICATION_JSON),
    ("*/*", APPLICATION_JSON),  # a wildcard never opts into the new media type
    ("application/*", APPLICATION_JSON),
    ("application/json", APPLICATION_JSON),
    ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
    ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),  # Apollo Client 4
    ("application/json, application/graphql-response+json;q=0.5", APPLICATION_JSON),
    ("application/graphql-response+json;charset=utf-8", GRAPHQL_RESPONSE_JSON),
    ("application/graphql-response+json;charset=latin-1, application/json", APPLICATION_JSON),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", APPLICATION_JSON),  # a browser
    ("application/json;q=0, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
    ("text/xml", None),
    ("application/json;q=0", None),
])
def test_negotiation(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(("content_type", "body", "status", "says"), [
    (None, b'{"query": "{ __typename }"}', 415, "no Content-Type was sent"),
    ("text/plain;charset=UTF-8", b'{"query": "{ __typename }"}', 415, "got 'text/plain;charset=UTF-8'"),
    ("application/json; charset=latin-1", b'{"query": "{ __typename }"}', 415, "must be UTF-8"),
    (JSON, b"", 400, "the request body is empty"),
    (JSON, b'{ "not a JSON', 400, "the request body is not JSON"),
    (JSON, b"\xff\xfe{}", 400, "not UTF-8"),
    (JSON, b'[{"query": "{ __typename }"}]', 400, "batched requests"),
    (JSON, b'"{ __typename }"', 400, "must be a JSON object with a `query` string, got a string"),
    (JSON, b'{"query": {"obj": "ect"}}', 400, "`query` must be a string"),
    (JSON, b'{"query": 0}', 400, "`query` must be a string (the GraphQL document), got a number"),
    (JSON, b'{"query": "{ a }", "variables": "string"}', 400, "`variables` must be an object"),
    (JSON, b'{"query": "{ a }", "variables": ["array"]}', 400, "`variables` must be an object"),
    (JSON, b'{"query": "{ a }", "operationName": false}', 400, "`operationName` must be a string, got a boolean"),
    (JSON, b'{"query": "{ a }", "extensions": 0}', 400, "`extensions` must be an object"),
    (JSON, b'{"documentId": 12}', 400, "`documentId` must be a non-empty string"),
])
def test_a_malformed_post_is_refused_naming_the_problem(content_type, body, status, says) -> None:
    with pytest.raises(HTTPRefusal) as refused:
        read_post(content_type, body)
    assert refused.value.status == status and says in refused.value.message


def test_a_well_formed_post_keeps_every_parameter() -> None:
    parameters = read_post("application/json; charset=utf-8", (
        b'{"query": "query Q { a }", "variables": {"x": 1}, "operationName": "Q", "extensions": {"e": true}}'
    ))
    assert (parameters.query, parameters.variables, parameters.operation_name, parameters.extensions) == (
        "query Q { a }", {"x": 1}, "Q", {"e": True})
    nulls = read_post(JSON, b'{"query": "{ a }", "variables": null, "operationName": null, "extensions": null}')
    assert (nulls.variables, nulls.operation_name, nulls.extensions) == (None, None, None)
    assert read_post(JSON, b'{"documentId": "sha256:ab"}').document_id == "sha256:ab"
    assert read_post(JSON, b'{"doc_id": "relay-1"}').document_id == "relay-1"  # Relay's documented network layer


def test_get_parameters_are_url_encoded_json() -> None:
    parameters = read_get({"query": "{ a }", "variables": '{"x": 1}', "extensions": '{"persistedQuery": {}}'})
    assert parameters.variables == {"x": 1} and parameters.extensions == {"persistedQuery": {}}
    with pytest.raises(HTTPRefusal, match="`variables` must be a URL-encoded JSON object"):
        read_get({"query": "{ a }", "variables": "{x"})
    with pytest.raises(HTTPRefusal, match="`extensions` must be an object"):
        read_get({"query": "{ a }", "extensions": "[1]"})


def test_a_request_error_is_one_with_no_data_and_no_field_path() -> None:
    parse_error = ExecutionResult(data=None, errors=[GraphQLError("Syntax Error")])
    field_error = ExecutionResult(data=None, errors=[GraphQLError("no person", path=["customer"])])
    partial = ExecutionResult(data={"customer": None}, errors=[GraphQLError("no person", path=["customer"])])
    assert is_request_error(parse_error)
    assert not is_request_error(field_error) and not is_request_error(partial)
    assert response_status(parse_error, GRAPHQL_RESPONSE_JSON) == 400
    assert response_status(parse_error, APPLICATION_JSON) == 200  # older clients: 200, errors in the body
    assert response_status(field_error, GRAPHQL_RESPONSE_JSON) == 200  # it ran: a partial response


@pytest.mark.parametrize(("code", "status"), [
    ("FORBIDDEN", 403), ("OPERATION_NOT_TRUSTED", 403), ("PERSISTED_QUERY_NOT_FOUND", 404),
    ("UNAUTHENTICATED", 401), ("BACKEND_UNAVAILABLE", 503), ("SOMETHING_ELSE", 400),
])
def test_a_request_errors_status_follows_its_code(code: str, status: int) -> None:
    result = ExecutionResult(data=None, errors=[GraphQLError("refused", extensions={"code": code})])
    assert response_status(result, GRAPHQL_RESPONSE_JSON) == status
