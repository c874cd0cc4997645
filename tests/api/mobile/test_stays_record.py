"""GET /api/v1/stays/record: the driver's own stay record of a country, as JSON or PDF."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from pypdf import PdfReader

from queues.models import Crossing
from stays import services
from stays.models import StayEvent

URL = "/api/v1/stays/record"

pytestmark = pytest.mark.django_db


def record(driver, kind, on, *, source="driver", actor=None, crossing=None, country="RU"):
    return services.stay_event_record(
        driver=driver, country=country, kind=kind, date=on, crossing=crossing, source=source, actor=actor,
        as_of=timezone.now(),
    )  # fmt: skip


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def history(driver):
    """Two stays in Russia (one from a crossing report at a named crossing, one entered by a dispatcher), and a
    third stay still open, entered on the day the second ended."""
    crossing = Crossing.objects.get(slug="syrym-mashtakovo")
    dispatcher = get_user_model().objects.create_user(username="aigul", first_name="Aigul", last_name="Sarsen")
    record(driver, "entry", date(2025, 3, 1), source="report", crossing=crossing)
    record(driver, "exit", date(2025, 3, 20), source="report", crossing=crossing)
    record(driver, "entry", date(2025, 5, 1), source="dispatcher", actor=dispatcher)
    record(driver, "exit", date(2025, 5, 10), source="dispatcher", actor=dispatcher)
    record(driver, "entry", date(2025, 5, 10), actor=driver.user)
    return crossing


@time_machine.travel("2025-06-01T09:00:00Z", tick=False)
def test_the_record_lists_stays_with_their_sources_and_the_counts_of_the_status(driver_client, history):
    response = driver_client.get(URL, {"country": "RU", "from": "2025-01-01", "to": "2025-05-31"})

    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert (body["country"], body["from"], body["to"]) == ("RU", "2025-01-01", "2025-05-31")
    assert body["driver"] == {"name": "Aidos", "citizenship": "KZ"}
    first, second, third = body["stays"]
    assert first["entry"]["source"] == "report"
    assert first["entry"]["crossing"] == "syrym-mashtakovo"
    assert first["entry"]["crossing_name"]
    assert first["exit"]["date"] == "2025-03-20"
    assert first["days"] == 20
    assert second["entry"]["source"] == "dispatcher"
    assert second["entry"]["recorded_by"] == "Aigul Sarsen"
    assert second["days"] == 10
    assert third["entry"]["recorded_by"] is None  # the driver themself
    assert third["continues_previous"] is True
    assert third["exit"] is None
    assert third["last_day"] == "2025-05-31"
    assert third["days"] == 21  # 10 May counted once, with the stay before
    assert body["days_in_period"] == 20 + 10 + 21
    assert [event["date"] for event in body["events"]] == [
        "2025-03-01",
        "2025-03-20",
        "2025-05-01",
        "2025-05-10",
        "2025-05-10",
    ]
    assert third["rule"]["limit_days"] == 90
    assert body["rule"]["source"]
    # The status is the one GET /stays gives on the period's last day.
    status = driver_client.get("/api/v1/stays", {"on": "2025-05-31"}).json()
    [russia] = [item for item in status["countries"] if item["country"] == "RU"]
    assert body["status"] == russia
    assert body["status"]["days_used"] == 51


@time_machine.travel("2025-06-01T09:00:00Z", tick=False)
def test_the_period_cuts_the_days_and_defaults_to_the_year_up_to_today(driver_client, history):
    cut = driver_client.get(URL, {"country": "RU", "from": "2025-03-15", "to": "2025-05-05"}).json()
    default = driver_client.get(URL, {"country": "RU"}).json()

    assert [stay["days_in_period"] for stay in cut["stays"]] == [6, 5]
    assert cut["days_in_period"] == 11
    assert cut["status"]["in_country"] is True
    assert (default["from"], default["to"]) == ("2024-06-02", "2025-06-01")
    assert default["days_in_period"] == 20 + 10 + 22


@time_machine.travel("2025-06-01T09:00:00Z", tick=False)
def test_another_drivers_events_never_show(driver_client, history, other_driver):
    record(other_driver, "entry", date(2025, 4, 1))

    body = driver_client.get(URL, {"country": "RU", "from": "2025-04-01", "to": "2025-04-30"}).json()

    assert body["stays"] == []
    assert body["events"] == []
    assert body["days_in_period"] == 0


@time_machine.travel("2025-06-01T09:00:00Z", tick=False)
def test_a_corrected_event_is_left_out_and_an_unplaceable_one_is_listed(driver_client, driver):
    wrong = record(driver, "entry", date(2025, 4, 1))
    services.stay_event_delete(event=wrong, actor=None, as_of=timezone.now())
    StayEvent.objects.create(driver=driver, country="RU", kind="exit", date=date(2025, 4, 5), source="driver")

    body = driver_client.get(URL, {"country": "RU", "from": "2025-01-01", "to": "2025-05-31"}).json()

    assert body["stays"] == []
    assert [(item["date"], item["reason"]) for item in body["not_counted"]] == [("2025-04-05", "exit_without_entry")]


@pytest.mark.parametrize(
    "query",
    [
        {"country": "RU", "from": "0001-01-01"},
        {"country": "RU", "to": "9999-12-31"},
        {"country": "RU", "from": "2025-13-01"},
        {"country": "RU", "from": "yesterday"},
        {"country": "RU", "from": "2025-05-02", "to": "2025-05-01"},
        {"country": "XX"},
        {},
    ],
)
def test_bad_queries_are_400_problems(driver_client, query):
    response = driver_client.get(URL, query)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "validation_error"


def test_a_bad_query_is_a_json_problem_even_when_a_pdf_is_asked_for(driver_client):
    response = driver_client.get(
        URL, {"country": "RU", "from": "2025-05-02", "to": "2025-05-01"}, HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "from" in response.json()["errors"]


@pytest.mark.parametrize("accept", ["text/html", "image/png", "application/xml"])
def test_an_unsupported_media_type_is_406(driver_client, accept):
    response = driver_client.get(URL, {"country": "RU"}, HTTP_ACCEPT=accept)

    assert response.status_code == 406
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_acceptable"


def test_without_a_token_it_is_401(client):
    response = client.get(URL, {"country": "RU"}, HTTP_ACCEPT="application/pdf")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


@time_machine.travel("2025-06-01T09:00:00Z", tick=False)
def test_the_pdf_is_in_the_language_asked_for_with_the_records_facts(driver_client, history):
    response = driver_client.get(
        URL,
        {"country": "RU", "from": "2025-01-01", "to": "2025-05-31"},
        HTTP_ACCEPT="application/pdf",
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert "Aidos" in text
    assert "Россия" in text
    assert "2025-01-01" in text
    assert "2025-05-31" in text
    assert "Aigul Sarsen" in text
    assert "не является официальным документом" in text


@time_machine.travel("2025-06-01T09:00:00Z", tick=False)
def test_the_pdf_defaults_to_the_drivers_language(driver_client, driver, history):
    driver.language = "kk"
    driver.save(update_fields=["language"])

    response = driver_client.get(URL, {"country": "RU"}, HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Ресей" in text  # Russia in Kazakh
