"""GET /api/v1/me/devices and DELETE /api/v1/me/devices/{id}: a driver sees and signs out their own devices."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from carriers.models import Device
from tests.factories import token_for
from tests.support.signin import ME_URL, PROBLEM, sign_in

pytestmark = pytest.mark.django_db

DEVICES_URL = "/api/v1/me/devices"


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_the_list_shows_each_signed_in_device_newest_first_and_marks_the_calling_one(driver):
    phone = token_for(driver, device="Pixel 7")
    token_for(driver, device="Galaxy Tab")

    response = client_with(phone).get(DEVICES_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [(item["name"], item["current"]) for item in body["results"]] == [
        ("Galaxy Tab", False),
        ("Pixel 7", True),
    ]
    assert set(body["results"][0]) == {"id", "name", "created_at", "last_used_at", "current"}


def test_the_list_holds_only_the_drivers_own_devices(driver, other_driver):
    token = token_for(driver, device="mine")
    token_for(other_driver, device="theirs")

    names = [item["name"] for item in client_with(token).get(DEVICES_URL).json()["results"]]

    assert names == ["mine"]


def test_deleting_a_device_signs_it_out_and_leaves_the_others(driver):
    phone, tablet = token_for(driver, device="phone"), token_for(driver, device="tablet")
    tablet_id = Device.objects.get(name="tablet").pk

    response = client_with(phone).delete(f"{DEVICES_URL}/{tablet_id}")

    assert response.status_code == 204
    assert client_with(tablet).get(ME_URL).status_code == 401
    assert client_with(phone).get(ME_URL).status_code == 200
    assert not Device.objects.filter(pk=tablet_id).exists()


def test_deleting_the_calling_device_signs_it_out(driver):
    phone = token_for(driver, device="phone")

    response = client_with(phone).delete(f"{DEVICES_URL}/{Device.objects.get().pk}")

    assert response.status_code == 204
    assert client_with(phone).get(ME_URL).status_code == 401


def test_another_drivers_device_is_404_and_stays_signed_in(driver, other_driver):
    mine = token_for(driver, device="mine")
    theirs = token_for(other_driver, device="theirs")

    response = client_with(mine).delete(f"{DEVICES_URL}/{Device.objects.get(name='theirs').pk}")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"
    assert client_with(theirs).get(ME_URL).status_code == 200


def test_an_unknown_device_is_404(driver):
    response = client_with(token_for(driver)).delete(f"{DEVICES_URL}/987654321")

    assert response.status_code == 404


def test_the_devices_need_a_token(api_client):
    assert api_client.get(DEVICES_URL).status_code == 401
    assert api_client.delete(f"{DEVICES_URL}/1").status_code == 401


@pytest.mark.usefixtures("outbox")
def test_last_used_moves_when_the_token_is_used_later(api_client):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = client_with(sign_in(api_client, "+77015550022")["token"])
        first = client.get(DEVICES_URL).json()["results"][0]["last_used_at"]
        clock.move_to(start + timedelta(hours=3))
        client.get(ME_URL)
        later = client.get(DEVICES_URL).json()["results"][0]["last_used_at"]

    assert first is not None
    assert later > first


@pytest.mark.usefixtures("outbox")
def test_signing_in_again_with_the_same_device_name_replaces_that_devices_token(api_client):
    old = sign_in(api_client, "+77015550011", device="Pixel 7")["token"]
    other = sign_in(api_client, "+77015550011", device="Galaxy Tab")["token"]

    new = sign_in(api_client, "+77015550011", device="Pixel 7")["token"]

    assert client_with(old).get(ME_URL).status_code == 401
    assert client_with(new).get(ME_URL).status_code == 200
    assert client_with(other).get(ME_URL).status_code == 200
    names = sorted(Device.objects.filter(driver__phone="+77015550011").values_list("name", flat=True))
    assert names == ["Galaxy Tab", "Pixel 7"]
    assert AuthToken.objects.filter(user__driver__phone="+77015550011").count() == 2
