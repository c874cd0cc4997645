"""GET/PATCH /api/v1/me: the driver's own profile; id, phone and carrier are read-only."""

import pytest

from carriers.models import Driver
from tests.support.signin import ME_URL, PROBLEM

pytestmark = pytest.mark.django_db


def test_get_me_answers_the_contracts_shape(driver_client, driver, carrier):
    response = driver_client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": driver.pk,
        "phone": "+77011234567",
        "name": "Aidos",
        "citizenship": "KZ",
        "language": "ru",
        "vehicle_plate": driver.vehicle_plate,
        "carrier": {"id": carrier.pk, "name": "Steppe Freight"},
    }


def test_a_driver_without_a_carrier_has_carrier_null(driver_client, driver):
    driver.carrier = None
    driver.save()

    assert driver_client.get(ME_URL).json()["carrier"] is None


def test_get_me_without_a_token_is_401_problem(api_client):
    response = api_client.get(ME_URL)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_authenticated"


def test_patch_updates_the_editable_fields(driver_client, driver):
    response = driver_client.patch(
        ME_URL,
        {"name": "Aidos Serikuly", "citizenship": "kg", "language": "kk", "vehicle_plate": " 123abc02 "},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["citizenship"], body["language"], body["vehicle_plate"]) == (
        "Aidos Serikuly",
        "KG",
        "kk",
        "123ABC02",
    )
    driver.refresh_from_db()
    assert (driver.name, driver.citizenship.code, driver.language, driver.vehicle_plate) == (
        "Aidos Serikuly",
        "KG",
        "kk",
        "123ABC02",
    )


def test_patch_is_partial(driver_client, driver):
    driver_client.patch(ME_URL, {"vehicle_plate": "777KZA01"}, format="json")

    driver.refresh_from_db()
    assert driver.name == "Aidos"
    assert driver.vehicle_plate == "777KZA01"


def test_patch_ignores_read_only_fields(driver_client, driver, carrier, other_carrier):
    response = driver_client.patch(
        ME_URL,
        {"id": 999, "phone": "+77019999999", "carrier": {"id": other_carrier.pk}, "trusted": False, "name": "New"},
        format="json",
    )

    assert response.status_code == 200
    driver.refresh_from_db()
    assert (driver.pk, str(driver.phone), driver.carrier_id, driver.trusted) == (
        response.json()["id"],
        "+77011234567",
        carrier.pk,
        True,
    )
    assert driver.name == "New"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("citizenship", "XX"),
        ("citizenship", "KAZ"),
        ("citizenship", "Kazakhstan"),
        ("language", "de"),
        ("name", "x" * 201),
        ("vehicle_plate", "x" * 21),
        ("name", None),
    ],
)
def test_patch_refuses_invalid_values(driver_client, driver, field, value):
    response = driver_client.patch(ME_URL, {field: value}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["errors"]) == [field]
    assert Driver.objects.get(pk=driver.pk).name == "Aidos"


def test_citizenship_can_be_cleared(driver_client, driver):
    response = driver_client.patch(ME_URL, {"citizenship": ""}, format="json")

    assert response.status_code == 200
    assert response.json()["citizenship"] is None


def test_a_driver_sees_only_their_own_profile(driver_client, other_driver_client, driver, other_driver):
    assert driver_client.get(ME_URL).json()["id"] == driver.pk
    assert other_driver_client.get(ME_URL).json()["id"] == other_driver.pk


def test_put_is_not_allowed(driver_client):
    response = driver_client.put(ME_URL, {"name": "x"}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
