"""OpenAPI post-processing for both APIs' schemas (a drf-spectacular hook for the driver API, a function for the
ninja partner API): the error answers every operation can give, documented once, as ``application/problem+json``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from core.errors import PROBLEM_CONTENT_TYPE

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_BODY_METHODS = ("post", "put", "patch")


def _problem(description: str) -> dict:
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": _PROBLEM}}}


# The driver API's cursor pages (core.pagination.CursorPagination), as its views document them.
CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", str, description="Opaque cursor from the previous page's `next`."),
    OpenApiParameter("limit", int, description="Page size (default 50, at most 200)."),
]


def page_of(item_serializer: type[serializers.Serializer], name: str) -> serializers.Serializer:
    """The OpenAPI shape of a cursor page: ``{"results": [...], "next": "<url or null>"}``."""
    return inline_serializer(
        name=name,
        fields={
            "results": item_serializer(many=True),
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last one."),
        },
    )


def problem_json_media_type(result: dict, generator, request, public) -> dict:
    """Every error answer (4xx, 5xx) is ``application/problem+json``, and the ones any operation may give are
    listed on each: 401 where a token is required, 404 where the path names an object, 400 where a cursor pages
    (a cursor the API did not make is a ``validation_error`` on ``cursor``) or a body is read, 413 and 415 where
    a body is read, 503 everywhere (database outage).

    drf-spectacular derives the media type from the renderer (``application/json``) and knows only the
    statuses a view declares; the exception handler and the middleware answer these as problem+json.
    """
    if "Problem" not in result.get("components", {}).get("schemas", {}):
        return result
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, response in responses.items():
                if str(status)[:1] not in ("4", "5") or not isinstance(response, dict):
                    continue
                content = response.get("content")
                if content and "application/json" in content and PROBLEM_CONTENT_TYPE not in content:
                    content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
            security = operation.get("security")
            if security and {} not in security:
                responses.setdefault("401", _problem("not_authenticated: missing, expired or revoked token."))
            cursor = any(p.get("name") == "cursor" and p.get("in") == "query" for p in operation.get("parameters", []))
            if "{" in path:
                responses.setdefault("404", _problem("not_found: no such object (or not yours)."))
            if cursor:
                responses.setdefault("400", _problem("validation_error: see `errors` (e.g. a `cursor` not made here)."))
            if method in _BODY_METHODS:
                responses.setdefault("400", _problem("validation_error or malformed_request: see `errors`."))
                responses.setdefault("413", _problem("payload_too_large: the body is over the documented size."))
                responses.setdefault("415", _problem("unsupported_media_type: send `Content-Type: application/json`."))
            responses.setdefault("503", _problem("service_unavailable: a dependency is down; retry later."))
    return result


# The partner API's (ninja) problem schema; the driver API's ("Problem") comes from drf-spectacular.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemOut",
    "type": "object",
    "required": ["status", "code", "detail"],
    "properties": {
        "status": {"type": "integer", "example": 400},
        "code": {"type": "string", "example": "validation_error"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}


def ninja_problem_responses(schema: dict[str, Any], *, common: dict[str, str]) -> dict[str, Any]:
    """A ninja API's schema with every 4xx/5xx answer as ``application/problem+json`` (``ProblemOut``) and the
    ``common`` answers (status → description) added to each operation that does not list them."""
    problem_ref = {"$ref": "#/components/schemas/ProblemOut"}
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault("ProblemOut", PROBLEM_SCHEMA)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", ()):
                _parameter_examples_as_map(parameter)
            responses = operation.setdefault("responses", {})
            for status, description in common.items():
                if status not in responses and int(status) not in responses:
                    responses[int(status)] = {"description": str(description)}
            for status, response in responses.items():
                if str(status)[0] in "45":
                    response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": problem_ref}}
    return schema


def _parameter_examples_as_map(parameter: dict[str, Any]) -> None:
    """ninja copies a field's JSON Schema ``examples`` (a list) onto the parameter, where OpenAPI 3.1 wants a map
    of Example objects: the list goes back into the parameter's schema, and the first one becomes ``example``."""
    examples = parameter.get("examples")
    if isinstance(examples, list):
        del parameter["examples"]
        if examples:
            parameter["example"] = examples[0]
            parameter.setdefault("schema", {}).setdefault("examples", examples)
