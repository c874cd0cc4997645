"""The driver's reminder to join an exit queue, and the dispatcher's view of the fleet's exit plans."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from carriers.models import Notification
from stays import services as stay_services
from stays.exit_plans import driver_exit_plans_list, join_by_reminders_send
from tests.factories import DriverFactory
from tests.support.partner import NOW, isolate_cache, publish_estimate, queue_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(settings):
    isolate_cache(settings)
    settings.JOIN_BY_REMINDER_HOURS = 24
    with time_machine.travel(NOW, tick=False):
        yield


def _in_russia_since(driver, on: date) -> None:
    stay_services.stay_event_record(
        driver=driver, country="RU", kind="entry", date=on, crossing=None, source="driver", actor=None,
        as_of=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def last_day_driver():
    """In Russia since 24 August: 21 November is the 90th day of the year, the latest exit."""
    driver = DriverFactory(language="kk")
    _in_russia_since(driver, date(2026, 8, 24))
    return driver


def test_a_driver_near_the_join_by_is_reminded_once_in_their_language(last_day_driver):
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)

    first = join_by_reminders_send(driver_ids=[last_day_driver.pk], now=NOW)
    again = join_by_reminders_send(driver_ids=[last_day_driver.pk], now=NOW + timedelta(hours=1))

    assert len(first) == 1
    assert again == []
    (notice,) = Notification.objects.filter(driver=last_day_driver, kind="join_by_reminder")
    assert notice.data["crossing"] == "taskala-ozinki"
    assert notice.data["direction"] == "RU-KZ"
    assert notice.title.startswith("Тасқала – Озинки")  # the crossing's Kazakh name, in the driver's language
    assert "2026-11-21" in notice.title


def test_a_driver_with_days_to_spare_is_not_reminded_yet():
    driver = DriverFactory()
    _in_russia_since(driver, date(2026, 11, 1))
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)

    assert join_by_reminders_send(driver_ids=[driver.pk], now=NOW) == []


def test_no_estimate_at_any_exit_means_no_reminder_but_a_plan_without_crossings(last_day_driver):
    assert join_by_reminders_send(driver_ids=[last_day_driver.pk], now=NOW) == []

    (plan,) = driver_exit_plans_list(driver_ids=[last_day_driver.pk], now=NOW)
    assert plan.country == "RU"
    assert plan.latest_exit == date(2026, 11, 21)
    assert plan.plan == ()


def test_a_driver_without_a_stay_rule_has_no_exit_plan():
    driver = DriverFactory(citizenship="")
    _in_russia_since(driver, date(2026, 8, 24))
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)

    assert driver_exit_plans_list(driver_ids=[driver.pk], now=NOW) == []


def test_the_board_selector_gives_each_driver_the_earliest_join_by(last_day_driver):
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=600, computed_at=NOW)
    publish_estimate(queue_of("syrym-mashtakovo", "RU-KZ"), wait=60, computed_at=NOW)
    other = DriverFactory()
    _in_russia_since(other, date(2026, 8, 24))

    plans = driver_exit_plans_list(driver_ids=[last_day_driver.pk, other.pk], now=NOW)

    assert {plan.driver_id for plan in plans} == {last_day_driver.pk, other.pk}
    for plan in plans:
        assert plan.earliest.crossing == "taskala-ozinki"  # the long queue must be joined first
        assert plan.stay_start == date(2026, 8, 24)


def _client_of(driver):
    from rest_framework.test import APIClient

    from tests.factories import token_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(driver)}")
    return client


def test_the_app_reads_the_reminder_in_the_reader_s_language_from_its_facts(last_day_driver):
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)
    join_by_reminders_send(driver_ids=[last_day_driver.pk], now=NOW)
    (stored,) = Notification.objects.filter(driver=last_day_driver, kind="join_by_reminder")
    assert stored.data["crossing_names"]["ru"] == "Таскала – Озинки"
    client = _client_of(last_day_driver)

    as_set = client.get("/api/v1/notifications").json()["results"][0]  # no Accept-Language: the driver's (kk)
    in_russian = client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="ru").json()["results"][0]
    in_english = client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]

    assert as_set["title"] == stored.title
    assert "Таскала – Озинки" in in_russian["title"]
    assert in_english["title"].startswith("Join the queue at Taskala – Ozinki by ")
    assert in_english["data"] == as_set["data"] == stored.data
    marked = client.post(f"/api/v1/notifications/{stored.pk}/read", HTTP_ACCEPT_LANGUAGE="en").json()
    assert marked["title"] == in_english["title"]


def test_a_stay_alert_is_read_in_the_reader_s_language(last_day_driver):
    stay_services.stay_statuses_refresh(driver_ids=[last_day_driver.pk], on=None, as_of=NOW)
    stored = Notification.objects.filter(driver=last_day_driver, kind="stay_risk").first()
    assert stored is not None
    assert stored.data["country"] == "RU"
    client = _client_of(last_day_driver)

    in_english = client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    as_set = client.get("/api/v1/notifications").json()["results"][0]

    assert in_english["title"].endswith("left in Russia")
    assert as_set["title"] == stored.title != in_english["title"]
