"""Checks and regimes a dispatcher records belong to their carrier: when the driver moves to another carrier,
the new carrier's dispatchers see neither the old carrier's notes and sources nor who wrote them."""

from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from carriers.models import Driver
from stays import services
from stays.models import DriverRegime, RegistryCheck
from tests.factories import DispatcherFactory

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def moved_driver(driver, dispatcher, other_carrier):
    """Aidos, whose first carrier's dispatcher recorded a check and a regime, now drives for another carrier."""
    services.registry_check_record(
        driver=driver, status="clear", checked_on=date(2026, 3, 1), checked_by=dispatcher.user, note="OLD-CHECK-NOTE"
    )
    services.driver_regime_set(
        driver=driver,
        regime="ruID",
        valid_from=None,
        valid_to=None,
        note="OLD-REGIME-NOTE",
        source="OLD-REGIME-SOURCE",
        set_by=dispatcher.user,
    )
    Driver.objects.filter(pk=driver.pk).update(carrier=other_carrier)
    driver.refresh_from_db()
    return driver


@pytest.fixture
def new_dispatcher(other_carrier):
    return DispatcherFactory(carrier=other_carrier, user__username="newdispatcher", user__is_staff=True)


def test_records_carry_the_recording_dispatchers_carrier(moved_driver, carrier):
    assert list(RegistryCheck.objects.values_list("carrier_id", flat=True)) == [carrier.pk]
    assert list(DriverRegime.objects.values_list("carrier_id", flat=True)) == [carrier.pk]


def test_an_operators_record_belongs_to_the_drivers_carrier_at_the_time(driver, carrier, django_user_model):
    operator = django_user_model.objects.create_superuser("op", "op@example.com", "op-pass-1")

    check = services.registry_check_record(
        driver=driver, status="clear", checked_on=timezone.now().date(), checked_by=operator
    )

    assert check.carrier_id == carrier.pk


@pytest.mark.parametrize("url", ["/admin/stays/registrycheck/", "/admin/stays/driverregime/"])
def test_the_new_carriers_dispatcher_does_not_list_the_old_carriers_records(moved_driver, new_dispatcher, url):
    response = logged_in(new_dispatcher.user).get(url)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    content = response.content.decode()
    assert "OLD-" not in content
    assert "dispatcher1" not in content


def test_the_old_records_are_not_found_by_url(moved_driver, new_dispatcher):
    client = logged_in(new_dispatcher.user)

    for record in (RegistryCheck.objects.get(), DriverRegime.objects.get()):
        url = f"/admin/stays/{record._meta.model_name}/{record.pk}/change/"
        assert "OLD-" not in client.get(url, follow=True).content.decode()


def test_the_driver_page_shows_the_new_carrier_none_of_the_old_notes(moved_driver, new_dispatcher):
    response = logged_in(new_dispatcher.user).get(f"/admin/carriers/driver/{moved_driver.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Aidos" in content
    assert "OLD-" not in content
    assert "dispatcher1" not in content


def test_the_old_carriers_dispatcher_keeps_their_own_records(moved_driver, dispatcher):
    response = logged_in(dispatcher.user).get("/admin/stays/registrycheck/")

    assert [check.note for check in response.context["cl"].result_list] == ["OLD-CHECK-NOTE"]
