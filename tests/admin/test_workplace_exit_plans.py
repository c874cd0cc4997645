"""The dispatcher sees each driver's exit plan (the latest moment to join each exit queue) on the fleet board and
on the driver page, in the reader's language and on the clock of the queue's side."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from stays import services as stay_services
from tests.factories import DriverFactory
from tests.support.partner import NOW, isolate_cache, publish_estimate, queue_of
from tests.support.workplace import BOARD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen(settings):
    isolate_cache(settings)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def last_day_driver(carrier):
    """In Russia since 24 August: 21 November (today) is the 90th day of the year, the latest exit."""
    driver = DriverFactory(carrier=carrier, name="Last Day Arman", citizenship="KZ")
    stay_services.stay_event_record(
        driver=driver, country="RU", kind="entry", date=date(2026, 8, 24), crossing=None, source="driver", actor=None,
        as_of=timezone.now(),
    )  # fmt: skip
    stay_services.stay_statuses_refresh(driver_ids=[driver.pk], on=None, as_of=NOW)
    return driver


def _row(response, driver):
    return next(
        item for group in response.context["groups"] for item in group["rows"] if item["row"].driver_id == driver.pk
    )


def test_the_board_shows_the_join_by_per_exit_crossing_earliest_first(dispatcher_client, last_day_driver):
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=600, computed_at=NOW)
    publish_estimate(queue_of("syrym-mashtakovo", "RU-KZ"), wait=60, computed_at=NOW)

    response = dispatcher_client.get(BOARD)

    assert response.status_code == 200
    plan = _row(response, last_day_driver)["exit_plan"]
    assert [item["slug"] for item in plan] == ["taskala-ozinki", "syrym-mashtakovo"]  # the long queue first
    assert all(item["direction"] == "RU-KZ" for item in plan)
    html = response.content.decode()
    assert 'data-crossing="taskala-ozinki"' in html
    assert plan[0]["at"] in html
    assert plan[0]["at"].startswith("2026-11-21 ")  # on the side's clock, with its zone named
    assert plan[0]["at"].endswith(")")


def test_the_board_says_when_no_exit_has_a_published_wait(dispatcher_client, last_day_driver):
    response = dispatcher_client.get(BOARD)

    assert _row(response, last_day_driver)["exit_plan"] == []
    assert "no published wait at any exit" in response.content.decode()


def test_a_driver_out_of_the_country_has_no_plan_on_the_board(dispatcher_client, carrier):
    driver = DriverFactory(carrier=carrier, citizenship="KZ")
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=60, computed_at=NOW)

    response = dispatcher_client.get(BOARD)

    assert _row(response, driver)["exit_plan"] == []


def test_the_driver_page_shows_the_exit_plan_in_the_reader_s_language(dispatcher_client, last_day_driver, dispatcher):
    publish_estimate(queue_of("taskala-ozinki", "RU-KZ"), wait=120, computed_at=NOW)

    response = dispatcher_client.get(f"/admin/carriers/driver/{last_day_driver.pk}/change/")
    russia = next(card for card in response.context["driver_page"]["summary"] if card["country"] == "RU")

    assert [item["slug"] for item in russia["exit_plan"]] == ["taskala-ozinki"]
    assert "Join the RU-KZ queue at Taskala" in response.content.decode()

    dispatcher.language = "ru"
    dispatcher.save()
    response = dispatcher_client.get(f"/admin/carriers/driver/{last_day_driver.pk}/change/", HTTP_ACCEPT_LANGUAGE="ru")
    assert "Таскала" in response.content.decode()
