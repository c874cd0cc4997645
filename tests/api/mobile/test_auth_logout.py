"""POST /api/v1/auth/logout: the calling token dies; other devices stay signed in."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from carriers.models import Device
from tests.factories import token_for
from tests.support.signin import LOGOUT_URL, ME_URL, PROBLEM

pytestmark = pytest.mark.django_db


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_logout_answers_204_and_the_token_no_longer_works(driver):
    token = token_for(driver, device="phone")
    client = client_with(token)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 204
    after = client.get(ME_URL)
    assert after.status_code == 401
    assert after["Content-Type"] == PROBLEM
    assert after.json()["code"] == "not_authenticated"
    assert not Device.objects.filter(driver=driver, name="phone").exists()


def test_logout_leaves_the_drivers_other_devices_signed_in(driver):
    phone, tablet = token_for(driver, device="phone"), token_for(driver, device="tablet")

    client_with(phone).post(LOGOUT_URL)

    assert client_with(tablet).get(ME_URL).status_code == 200
    assert list(Device.objects.filter(driver=driver).values_list("name", flat=True)) == ["tablet"]


def test_logout_without_a_token_is_401(api_client):
    response = api_client.post(LOGOUT_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_a_made_up_token_is_401(api_client):
    response = client_with("f" * 64).post(LOGOUT_URL)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_an_expired_token_is_401_and_is_removed(driver):
    token = token_for(driver)

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = client_with(token).get(ME_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not AuthToken.objects.filter(user=driver.user).exists()


def test_using_the_token_extends_its_life(driver):
    token = token_for(driver)
    created_expiry = AuthToken.objects.get(user=driver.user).expiry

    with time_machine.travel(timezone.now() + timedelta(days=20)):
        assert client_with(token).get(ME_URL).status_code == 200

    assert AuthToken.objects.get(user=driver.user).expiry > created_expiry + timedelta(days=19)


def test_a_token_of_a_deactivated_user_is_401(driver):
    token = token_for(driver)
    driver.user.is_active = False
    driver.user.save()

    assert client_with(token).get(ME_URL).status_code == 401
