"""Hostile request bodies against every POST, PUT and PATCH operation of both APIs (found in their OpenAPI
schemas, so a new endpoint is covered without touching this file): always a 4xx problem+json, never a 5xx.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from config.api import partner_api
from queues.models import PartnerKey
from tests.factories import token_for

PARTNER_PREFIX = "/api/partner/v1"
WRITE_METHODS = ("post", "put", "patch")


def _operations() -> list[tuple[str, str, str]]:
    """(api, method, path with its parameters filled) for every operation of both schemas that reads a body."""
    driver = SchemaGenerator().get_schema(request=None, public=True)
    partner = partner_api.get_openapi_schema()
    found = []
    for api, schema in (("driver", driver), ("partner", partner)):
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                if method in WRITE_METHODS and "requestBody" in operation:
                    full = path if path.startswith("/api/") else PARTNER_PREFIX + path
                    found.append(
                        (api, method.upper(), re.sub(r"\{[^}]+\}", "0c1d5ad0-0000-4000-8000-000000000000", full))
                    )
    return found


OPERATIONS = _operations()


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


HOSTILE_BODIES = {
    "empty": (b"", "application/json"),
    "not JSON": (b"{'reports': [", "application/json"),
    "a JSON string, not an object": (b'"reports"', "application/json"),
    "deeply nested": (_nested(50_000), "application/json"),
    "deeply nested object": (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "application/json"),
    "invalid UTF-8": (b'{"reports": "\xff\xfe\xfd"}', "application/json"),
    "wrong content type": (b'{"reports": []}', "text/plain"),
    "form encoded": (b"reports=1&phone=2", "application/x-www-form-urlencoded"),
    "huge": (b'{"pad": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}', "application/json"),
}


@pytest.fixture
def credentials(driver, db) -> dict[str, dict[str, str]]:
    _, key = PartnerKey.objects.create_key(name="hostile", firm="Hostile Ltd")
    return {"driver": {"HTTP_AUTHORIZATION": f"Token {token_for(driver)}"}, "partner": {"HTTP_X_API_KEY": key}}


def test_every_write_operation_of_both_apis_is_found():
    paths = {path for _, _, path in OPERATIONS}
    assert "/api/v1/reports" in paths
    assert any(path.startswith(PARTNER_PREFIX) for path in paths)


@pytest.mark.parametrize("body_name", list(HOSTILE_BODIES))
@pytest.mark.parametrize(("api", "method", "path"), OPERATIONS, ids=[f"{m} {p}" for _, m, p in OPERATIONS])
def test_hostile_body_gets_a_4xx_problem_json(api_client, credentials, api, method, path, body_name):
    body, content_type = HOSTILE_BODIES[body_name]

    response = api_client.generic(method, path, data=body, content_type=content_type, **credentials[api])

    if method == "PATCH" and body_name == "empty" and response.status_code == 200:
        return  # an empty partial update changes nothing, and answering the resource is right

    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    assert response.json()["status"] == response.status_code
    if body_name == "huge":
        assert response.status_code == 413
