"""POST /api/v1/me/carrier: join the carrier that issued the invite code."""

import pytest

from carriers import services
from tests.factories import CarrierFactory
from tests.support.signin import ME_CARRIER_URL, PROBLEM

pytestmark = pytest.mark.django_db


def test_joining_with_an_invite_code_answers_200_with_me(driver_client, driver, other_carrier):
    response = driver_client.post(ME_CARRIER_URL, {"invite_code": other_carrier.invite_code}, format="json")

    assert response.status_code == 200
    assert response.json()["carrier"] == {"id": other_carrier.pk, "name": "Irtysh Logistics"}
    assert response.json()["id"] == driver.pk
    driver.refresh_from_db()
    assert driver.carrier_id == other_carrier.pk


def test_the_code_is_accepted_as_typed(driver_client, driver):
    carrier = CarrierFactory(invite_code="K7M9P2QRST")

    response = driver_client.post(ME_CARRIER_URL, {"invite_code": " k7m-9p2-qrst "}, format="json")

    assert response.status_code == 200
    assert response.json()["carrier"]["id"] == carrier.pk


def test_joining_the_own_carrier_again_changes_nothing(driver_client, driver, carrier):
    response = driver_client.post(ME_CARRIER_URL, {"invite_code": carrier.invite_code}, format="json")

    assert response.status_code == 200
    assert response.json()["carrier"]["id"] == carrier.pk


def test_an_unknown_code_is_400_invalid_invite_code(driver_client, driver, carrier):
    response = driver_client.post(ME_CARRIER_URL, {"invite_code": "NOSUCHCODE"}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "invalid_invite_code"
    assert response.json()["errors"]["invite_code"]
    driver.refresh_from_db()
    assert driver.carrier_id == carrier.pk


def test_a_rotated_code_no_longer_works(driver_client, other_carrier):
    old_code = other_carrier.invite_code
    services.carrier_invite_rotate(carrier=other_carrier)

    old = driver_client.post(ME_CARRIER_URL, {"invite_code": old_code}, format="json")
    new = driver_client.post(ME_CARRIER_URL, {"invite_code": other_carrier.invite_code}, format="json")

    assert old.status_code == 400
    assert new.status_code == 200


@pytest.mark.parametrize("body", [{}, {"invite_code": ""}, {"invite_code": "x" * 40}])
def test_a_missing_or_malformed_code_is_a_validation_error(driver_client, body):
    response = driver_client.post(ME_CARRIER_URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_joining_needs_a_driver_token(api_client, carrier):
    response = api_client.post(ME_CARRIER_URL, {"invite_code": carrier.invite_code}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
