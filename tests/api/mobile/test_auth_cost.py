"""Driver token authentication: one query per request, revocation and expiry effective at once, the sliding
expiry written at most once an hour, expired tokens purged by a periodic task."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.sites import site
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from carriers import services, tasks
from carriers.models import Device
from tests.factories import CarrierFactory, DriverFactory, token_for
from tests.support.signin import ME_URL

pytestmark = pytest.mark.django_db


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_an_authenticated_get_me_costs_one_query(django_assert_max_num_queries):
    driver = DriverFactory(carrier=CarrierFactory())
    client = client_with(token_for(driver))
    client.get(ME_URL)  # the first use may renew the expiry

    with django_assert_max_num_queries(1):
        response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["carrier"]["id"] == driver.carrier_id


def test_a_driver_with_many_devices_still_costs_one_query(django_assert_max_num_queries):
    driver = DriverFactory()
    for index in range(10):
        token_for(driver, device=f"old phone {index}")
    client = client_with(token_for(driver))
    client.get(ME_URL)

    with django_assert_max_num_queries(1):
        assert client.get(ME_URL).status_code == 200


def test_the_expiry_is_written_at_most_once_an_hour(django_assert_num_queries):
    driver = DriverFactory()
    client = client_with(token_for(driver))
    start = timezone.now()

    with time_machine.travel(start + timedelta(minutes=90), tick=False):
        with django_assert_num_queries(3):  # the token, then the UPDATEs of its expiry and its device's last use
            assert client.get(ME_URL).status_code == 200
        renewed = AuthToken.objects.get(user=driver.user).expiry
    with time_machine.travel(start + timedelta(minutes=120), tick=False), django_assert_num_queries(1):
        assert client.get(ME_URL).status_code == 200

    assert AuthToken.objects.get(user=driver.user).expiry == renewed
    assert renewed >= start + timedelta(days=30, minutes=90)


def test_a_deleted_device_token_is_refused_on_the_next_request():
    driver = DriverFactory()
    client = client_with(token_for(driver, device="phone"))
    assert client.get(ME_URL).status_code == 200

    services.device_sign_out(auth_token=Device.objects.get(driver=driver).auth_token)

    assert client.get(ME_URL).status_code == 401


def test_a_device_deleted_in_the_admin_is_refused_on_the_next_request(rf, admin_user):
    driver = DriverFactory()
    client = client_with(token_for(driver, device="phone"))
    assert client.get(ME_URL).status_code == 200
    request = rf.post("/admin/carriers/device/")
    request.user = admin_user

    site._registry[Device].delete_queryset(request, Device.objects.filter(driver=driver))

    assert client.get(ME_URL).status_code == 401


def test_a_token_past_its_expiry_is_refused_even_if_it_was_used_a_minute_before():
    driver = DriverFactory()
    client = client_with(token_for(driver))
    expiry = AuthToken.objects.get(user=driver.user).expiry

    with time_machine.travel(expiry - timedelta(minutes=1), tick=False):
        assert client.get(ME_URL).status_code == 200
    AuthToken.objects.filter(user=driver.user).update(expiry=timezone.now() - timedelta(seconds=1))

    assert client.get(ME_URL).status_code == 401


def test_a_wrong_secret_with_a_known_prefix_is_refused():
    driver = DriverFactory()
    token = token_for(driver)
    forged = token[:15] + ("0" if token[15] != "0" else "1") + token[16:]

    assert client_with(forged).get(ME_URL).status_code == 401


def test_a_token_that_is_not_text_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token \xff\xfe")

    assert api_client.get(ME_URL).status_code == 401


def test_the_purge_deletes_expired_tokens_with_their_devices_and_keeps_live_ones():
    driver = DriverFactory()
    token_for(driver, device="old")
    token_for(driver, device="new")
    old = Device.objects.get(driver=driver, name="old").auth_token
    AuthToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - timedelta(days=1))

    purged = services.auth_tokens_purge(as_of=timezone.now())

    assert purged == 1
    assert list(Device.objects.filter(driver=driver).values_list("name", flat=True)) == ["new"]


def test_the_purge_runs_as_a_periodic_task(settings):
    driver = DriverFactory()
    token_for(driver)
    AuthToken.objects.filter(user=driver.user).update(expiry=timezone.now() - timedelta(days=1))

    tasks.auth_tokens_purge.delay()

    assert not AuthToken.objects.filter(user=driver.user).exists()
    assert any(entry["task"] == "carriers.auth_tokens_purge" for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_with_the_cache_down_a_driver_still_signs_in_through_the_database(settings, django_assert_max_num_queries):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    driver = DriverFactory()
    client = client_with(token_for(driver))
    client.get(ME_URL)

    with django_assert_max_num_queries(1):
        response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["id"] == driver.pk
