"""GET /api/v1/schema documents the sign-in and profile operations, with their problem answers."""

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/auth/otp", "post", {"202", "400", "429"}),
        ("/api/v1/auth/token", "post", {"201", "400", "429"}),
        ("/api/v1/auth/logout", "post", {"204", "401"}),
        ("/api/v1/me", "get", {"200", "401"}),
        ("/api/v1/me", "patch", {"200", "400", "401"}),
        ("/api/v1/me/carrier", "post", {"200", "400", "401"}),
    ],
)
def test_operation_is_documented_with_its_answers(schema, path, method, codes):
    operation = schema["paths"][path][method]

    assert codes <= set(operation["responses"])
    assert operation.get("description") or operation.get("summary")


def test_sign_in_operations_need_no_token_and_the_others_do(schema):
    assert schema["paths"]["/api/v1/auth/otp"]["post"].get("security") in (None, [], [{}])
    assert {"driverToken": []} in schema["paths"]["/api/v1/me"]["get"]["security"]


def test_me_update_accepts_only_the_profile_fields(schema):
    body = schema["components"]["schemas"]["PatchedMeUpdateInputRequest"]["properties"]

    assert set(body) == {"name", "citizenship", "language", "vehicle_plate"}
