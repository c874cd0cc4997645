"""The workplace driver page's "Stay record (PDF)" button, per country, for the dispatcher's own drivers only."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from stays.models import StayEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher_client(client, dispatcher):
    client.force_login(dispatcher.user)
    return client


def record_url(driver, **query) -> str:
    url = reverse("admin:stays_driver_record", args=[driver.pk])
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def test_the_driver_page_has_a_record_button_per_country(dispatcher_client, driver):
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 5, 1), source="driver")

    content = dispatcher_client.get(reverse("admin:carriers_driver_change", args=[driver.pk])).content.decode()

    assert f'href="{record_url(driver, country="RU")}" data-country="RU"' in content


def test_a_dispatcher_gets_the_record_of_their_own_driver_as_a_pdf_in_their_language(dispatcher_client, driver):
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 5, 1), source="driver")
    StayEvent.objects.create(driver=driver, country="RU", kind="exit", date=date(2025, 5, 9), source="driver")

    response = dispatcher_client.get(
        record_url(driver, country="RU", **{"from": "2025-01-01", "to": "2025-06-30"}), HTTP_ACCEPT_LANGUAGE="ru"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Учёт пребывания: Россия" in text
    assert "2025-05-09" in text
    assert driver.name in text


def test_another_carriers_driver_is_not_found(dispatcher_client, other_driver):
    StayEvent.objects.create(driver=other_driver, country="RU", kind="entry", date=date(2025, 5, 1), source="driver")

    response = dispatcher_client.get(record_url(other_driver, country="RU"))

    assert response.status_code == 404


def test_signed_out_the_record_leads_to_the_sign_in(client, driver):
    response = client.get(record_url(driver, country="RU"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize(
    "query",
    [{"country": "XX"}, {"country": "RU", "from": "0001-01-01"}, {"country": "RU", "to": "9999-12-31"},
     {"country": "RU", "from": "2025-02-30"}, {"country": "RU", "from": "2025-05-02", "to": "2025-05-01"}],
)  # fmt: skip
def test_a_bad_query_is_a_400_not_a_500(dispatcher_client, driver, query):
    assert dispatcher_client.get(record_url(driver, **query)).status_code == 400


def test_the_pdf_names_only_this_carriers_dispatchers_as_who_recorded(dispatcher_client, dispatcher, driver):
    from tests.factories import DispatcherFactory

    own = dispatcher.user
    own.first_name, own.last_name = "Aigerim", "Owncarrier"
    own.save()
    former = DispatcherFactory().user  # a dispatcher of the driver's former carrier
    former.first_name, former.last_name = "Boris", "Formercarrier"
    former.save()
    StayEvent.objects.create(
        driver=driver, country="RU", kind="entry", date=date(2025, 5, 1), source="dispatcher", created_by=former
    )
    StayEvent.objects.create(
        driver=driver, country="RU", kind="exit", date=date(2025, 5, 9), source="dispatcher", created_by=own
    )

    response = dispatcher_client.get(record_url(driver, country="RU", **{"from": "2025-01-01", "to": "2025-06-30"}))

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Owncarrier" in text
    assert "Formercarrier" not in text
    assert "2025-05-01" in text  # the entry still counts, with its source


def test_the_pdf_lists_only_the_regimes_this_carrier_recorded(dispatcher_client, dispatcher, driver, other_carrier):
    from stays.models import DriverRegime

    DriverRegime.objects.create(
        driver=driver, regime="own-permit", valid_from=date(2025, 1, 1), carrier=dispatcher.carrier
    )
    DriverRegime.objects.create(
        driver=driver, regime="former-permit", valid_from=date(2025, 1, 1), carrier=other_carrier
    )
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 5, 1), source="driver")

    response = dispatcher_client.get(record_url(driver, country="RU", **{"from": "2025-01-01", "to": "2025-06-30"}))

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "own-permit" in text
    assert "former-permit" not in text
