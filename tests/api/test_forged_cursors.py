"""A cursor the API did not make is a 400 problem+json on ``cursor``, never a 404 or a 500."""

import base64
import json
import urllib.parse

import pytest

from tests.support.signin import PROBLEM

pytestmark = pytest.mark.django_db

DRIVER_LISTS = ["/api/v1/notifications", "/api/v1/visits", "/api/v1/stays/events", "/api/v1/me/devices"]


def drf_cursor(position: str, offset: int = 0) -> str:
    """A cursor in DRF's format (base64 of a query string) holding a forged position."""
    return base64.b64encode(urllib.parse.urlencode({"o": offset, "p": position}).encode()).decode()


FORGED = [
    drf_cursor("not a date"),
    drf_cursor("2026-13-45T99:00:00Z"),
    drf_cursor("2026-01-01T00:00:00\x00"),
    drf_cursor("1" + "0" * 400),
    drf_cursor("0001-01-01T00:00:00+23:59"),
    drf_cursor("9999-12-31T23:59:59-23:59"),
    "not base64!",
    "%00",
]


@pytest.mark.parametrize("url", DRIVER_LISTS)
@pytest.mark.parametrize("cursor", FORGED)
def test_a_forged_cursor_on_a_driver_list_is_400(driver_client, url, cursor):
    response = driver_client.get(url, {"cursor": cursor})

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "validation_error"
    assert "cursor" in response.json()["errors"]


def partner_cursor(*values: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


PARTNER_FORGED = [
    partner_cursor("not a date", "1"),
    partner_cursor("2026-01-01T00:00:00+00:00", "1\x00"),
    partner_cursor("2026-01-01T00:00:00+00:00", "1" + "0" * 400),
    partner_cursor("9999-12-31T23:59:59+00:00", "x"),
    partner_cursor("0001-01-01T00:00:00+23:59", "1"),
    partner_cursor("9999-12-31T23:59:59-23:59", "1"),
    "%00",
]


@pytest.mark.parametrize("cursor", PARTNER_FORGED)
def test_a_forged_cursor_on_the_partner_alerts_is_400(partner_client, cursor):
    response = partner_client.get("/api/partner/v1/alerts", {"cursor": cursor})

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("cursor", [drf_cursor("khorgos\x00"), "not base64!"])
def test_a_forged_cursor_on_the_crossing_list_is_400(driver_client, cursor):
    response = driver_client.get("/api/v1/crossings", {"cursor": cursor})

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"


def test_a_cursor_the_api_made_still_pages(driver_client):
    first = driver_client.get("/api/v1/crossings", {"limit": 2}).json()

    second = driver_client.get(first["next"])

    assert second.status_code == 200
    assert {c["slug"] for c in second.json()["results"]}.isdisjoint({c["slug"] for c in first["results"]})
