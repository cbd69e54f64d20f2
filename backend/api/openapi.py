"""The OpenAPI 3.1 document, built from the endpoint table and its pydantic models."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from backend.api.endpoint import Endpoint
from backend.api.routes import ENDPOINTS
from backend.api.schemas import Error
from backend.bounds import INTEGER_MAX
from backend.json_input import MAX_BYTES
from backend.monitoring.push import SIGNATURE_HEADER, TIMESTAMP_HEADER

_REF = "#/components/schemas/{model}"


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    """Each model once, in the mode it is used in: request bodies validated, responses serialised."""
    found: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {"Error": (Error, "serialization")}
    for endpoint in ENDPOINTS:
        if endpoint.body is not None:
            found[endpoint.body.__name__] = (endpoint.body, "validation")
        if endpoint.response is not None:
            found[endpoint.response.__name__] = (endpoint.response, "serialization")
    return list(found.values())


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(schema: Mapping[str, object]) -> dict[str, object]:
    return {"application/json": {"schema": schema}}


def _operation(endpoint: Endpoint, query_schemas: Mapping[str, dict[str, Any]]) -> dict[str, object]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _PATH_SCHEMAS.get(name, {"type": "string"})}
        for name in re.findall(r"{(\w+)}", endpoint.path)
    ]
    if endpoint.query is not None:
        schema = query_schemas[endpoint.query.__name__]
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]
    if endpoint.signed:
        parameters += [
            {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
             "description": "The time of signing, unix seconds (five minutes of tolerance)"},
            {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
             "description": "Hex HMAC-SHA256 of timestamp + '.' + raw body, keyed with the department's key"},
        ]
    if endpoint.path == "/api/v1/applications" and endpoint.method == "POST":
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "maxLength": 128},
                           "description": "Retries with the same key get the first response back"})
    response = endpoint.response
    ok_schema = (
        {"type": "array", "items": _ref(response)} if endpoint.many and response
        else (_ref(response) if response else {})
    )
    responses: dict[str, object] = {str(endpoint.status): {"description": "OK", "content": _json(ok_schema)}}
    refusals = {400, 401, 403, *endpoint.errors} | ({413} if endpoint.body is not None else set())
    for status in sorted(refusals):
        responses[str(status)] = {"description": _REASONS[status], "content": _json(_ref(Error))}
    operation: dict[str, object] = {
        "summary": endpoint.summary,
        "operationId": endpoint.handler.__name__,
        "description": "Roles: " + ", ".join(sorted(r.value for r in endpoint.roles)),
        "parameters": parameters,
        "responses": responses,
    }
    if endpoint.signed:
        operation["description"] = "No token: signed with the department's key ('yimen monitor key SOURCE')"
        operation["security"] = []
    if endpoint.body is not None:
        operation["requestBody"] = {"required": True, "content": _json(_ref(endpoint.body))}
    return operation


# Ids that are database rows: a number outside this range names no row (404).
_PATH_SCHEMAS = {
    name: {"type": "integer", "minimum": 1, "maximum": INTEGER_MAX} for name in ("task", "volunteer", "alert")
}

_REASONS = {400: "Bad JSON: not UTF-8, not JSON, nested too deep, a number too long, NUL or a lone surrogate in a "
            "string, or a malformed request line or header",
            413: f"The body is larger than {MAX_BYTES} bytes",
            401: "No or bad token (or signature)", 403: "Not allowed for this role or office",
            404: "Not found", 409: "Conflict: the case's or alert's state, a duplicate, or a replayed push",
            422: "A field is invalid (named)"}


def openapi_document() -> dict[str, object]:
    _, definitions = models_json_schema(_models(), ref_template=_REF)
    query_models = {e.query.__name__: e.query.model_json_schema() for e in ENDPOINTS if e.query is not None}
    paths: dict[str, dict[str, object]] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, query_models)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Yimen API", "version": "1", "description": "Applications, cases and assessments."},
        "servers": [{"url": "/"}],
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
