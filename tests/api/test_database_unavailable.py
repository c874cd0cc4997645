"""A database that cannot be reached answers 503 problem+json in both APIs, never a 500."""

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

from core.errors import database_unavailable_response
from core.middleware import DatabaseUnavailableMiddleware
from queues.models import PartnerKey
from tests.factories import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    def cut():
        monkeypatch.setattr(CursorWrapper, "execute", refuse)
        monkeypatch.setattr(CursorWrapper, "executemany", refuse)

    return cut


def assert_service_unavailable(response):
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["Retry-After"]
    assert response.json()["code"] == "service_unavailable"


def test_driver_api_answers_503_when_the_database_is_unreachable(api_client, driver, database_down):
    token = token_for(driver)
    database_down()

    response = api_client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}")

    assert_service_unavailable(response)


def test_partner_api_answers_503_when_the_database_is_unreachable(client, database_down):
    _, key = PartnerKey.objects.create_key(name="down", firm="Down Ltd")
    database_down()

    response = client.get("/api/partner/v1/crossings", HTTP_X_API_KEY=key)

    assert_service_unavailable(response)


def test_middleware_turns_a_database_error_of_any_view_into_503(rf):
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    response = middleware.process_exception(rf.get("/admin/"), OperationalError("gone"))

    assert response.status_code == database_unavailable_response().status_code == 503


def test_middleware_leaves_other_errors_to_django(rf):
    middleware = DatabaseUnavailableMiddleware(lambda request: None)

    assert middleware.process_exception(rf.get("/admin/"), ValueError("bug")) is None
