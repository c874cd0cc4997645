"""The trip planner: who of the carrier may do a Russia run entering on a date for a number of days, the
earliest entry for those who may not, queue days at the exit crossing counted, sortable, exportable to CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from queues.models import Estimate
from stays.models import StayEvent
from tests.factories import DriverFactory
from tests.support.workplace import (
    many_drivers,
    queue_at,
)

pytestmark = pytest.mark.django_db

PLANNER = "/admin/workplace/planner/"
TODAY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(TODAY, tick=False):
        yield


def driver_with_days_in_russia(carrier, name: str, *, entry: date, exit: date | None):
    driver = DriverFactory(carrier=carrier, name=name, citizenship="KZ")
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=entry, source="driver")
    if exit:
        StayEvent.objects.create(driver=driver, country="RU", kind="exit", date=exit, source="driver")
    return driver


def rows_by_name(response) -> dict:
    return {item["row"].name: item["row"] for item in response.context["rows"]}


@pytest.fixture
def fleet(carrier, other_carrier):
    driver_with_days_in_russia(carrier, "Fresh Asel", entry=date(2026, 1, 10), exit=date(2026, 1, 19))  # 10 days
    driver_with_days_in_russia(carrier, "Used Bolat", entry=date(2026, 1, 10), exit=date(2026, 3, 30))  # 80 days
    DriverFactory(carrier=carrier, name="Stateless Dana", citizenship="")
    DriverFactory(carrier=other_carrier, name="Stranger Serik", citizenship="KZ")


def test_each_driver_is_allowed_or_given_the_earliest_entry(dispatcher_client, fleet):
    response = dispatcher_client.get(PLANNER, {"entry": "2026-07-01", "days": "30"})

    assert response.status_code == 200
    rows = rows_by_name(response)
    assert set(rows) == {"Fresh Asel", "Used Bolat", "Stateless Dana"}
    assert rows["Fresh Asel"].allowed is True
    assert rows["Fresh Asel"].spare_days == 50  # 80 days left, 30 of them used by the trip
    assert rows["Used Bolat"].allowed is False
    assert rows["Used Bolat"].max_days == 10
    # 10 days left in 2026: entering on 22 December spends them, the rest of the trip counts in 2027.
    assert rows["Used Bolat"].earliest_entry == date(2026, 12, 22)
    assert rows["Stateless Dana"].rule_missing is True
    assert rows["Stateless Dana"].allowed is False


def test_sorting_by_days_left_and_by_name(dispatcher_client, carrier):
    from tests.support.workplace import snapshot

    snapshot(DriverFactory(carrier=carrier, name="A few"), "high", days_left=3)
    snapshot(DriverFactory(carrier=carrier, name="B many"), "ok", days_left=70)

    by_days = dispatcher_client.get(PLANNER, {"sort": "days_left"})
    by_name_desc = dispatcher_client.get(PLANNER, {"sort": "-name"})

    assert [item["row"].name for item in by_days.context["rows"]] == ["A few", "B many"]
    assert [item["row"].name for item in by_name_desc.context["rows"]] == ["B many", "A few"]


def test_csv_export_holds_every_own_driver_and_no_other(dispatcher_client, fleet):
    response = dispatcher_client.get(PLANNER, {"entry": "2026-07-01", "days": "30", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(content)))
    names = {line[0]: line for line in table[1:]}
    assert set(names) == {"Fresh Asel", "Used Bolat", "Stateless Dana"}
    assert names["Used Bolat"][6:] == ["no", "", "2026-12-22"]
    assert names["Fresh Asel"][6:] == ["yes", "50", ""]


def test_a_past_entry_date_is_refused_plainly(dispatcher_client, fleet):
    response = dispatcher_client.get(PLANNER, {"entry": "2026-01-01", "days": "30"})

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "cannot be in the past" in response.content.decode()


def test_superuser_may_pick_a_carrier(superuser_client, fleet, other_carrier):
    response = superuser_client.get(PLANNER, {"carrier": other_carrier.pk})

    assert set(rows_by_name(response)) == {"Stranger Serik"}


def test_planner_needs_a_signed_in_staff_user(client):
    assert client.get(PLANNER).status_code == 302


def planner_queries(client, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(15) as captured:
        response = client.get(PLANNER, {"entry": "2026-07-01", "days": "30", "sort": "days_left"})
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_planner_reads_a_5000_driver_carrier_in_a_fixed_number_of_queries(
    dispatcher_client, carrier, other_carrier, django_assert_max_num_queries
):
    many_drivers(carrier, 3, prefix="small")
    few = planner_queries(dispatcher_client, django_assert_max_num_queries)
    many_drivers(carrier, 4997, prefix="big")
    many_drivers(other_carrier, 20, prefix="theirs")

    many = planner_queries(dispatcher_client, django_assert_max_num_queries)
    response = dispatcher_client.get(PLANNER, {"entry": "2026-07-01", "days": "30"})

    assert many == few
    assert response.context["page"].paginator.count == 5000
    assert len(response.context["rows"]) == 50
    assert "theirs" not in response.content.decode()


def board_queries(client, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(15) as captured:  # 12, and 3 for the page's exit plans
        response = client.get("/admin/")
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_board_reads_a_5000_driver_carrier_a_page_at_a_time_in_a_fixed_number_of_queries(
    dispatcher_client, carrier, other_carrier, django_assert_max_num_queries
):
    many_drivers(carrier, 3, prefix="small")
    few = board_queries(dispatcher_client, django_assert_max_num_queries)
    many_drivers(carrier, 4997, prefix="big")
    many_drivers(other_carrier, 20, prefix="theirs")

    many = board_queries(dispatcher_client, django_assert_max_num_queries)
    response = dispatcher_client.get("/admin/", {"page": "3"})

    assert many == few
    assert response.context["total"] == 5000
    assert response.context["page"].number == 3
    assert sum(len(group["rows"]) for group in response.context["groups"]) == 100
    assert "theirs" not in response.content.decode()


def test_superuser_board_is_paginated_and_filters_by_carrier(superuser_client, carrier, other_carrier):
    many_drivers(carrier, 120, prefix="ours")
    many_drivers(other_carrier, 5, prefix="theirs")

    everyone = superuser_client.get("/admin/")
    theirs = superuser_client.get("/admin/", {"carrier": other_carrier.pk})

    assert everyone.context["total"] == 125
    assert everyone.context["page"].paginator.num_pages == 2
    assert theirs.context["total"] == 5
    assert f"carrier={other_carrier.pk}" in theirs.content.decode() or theirs.context["page"].paginator.num_pages == 1


def test_sorting_by_the_plan_orders_the_whole_fleet(dispatcher_client, fleet, carrier):
    driver_with_days_in_russia(carrier, "Mid Chingis", entry=date(2026, 2, 1), exit=date(2026, 3, 12))  # 40 days
    trip = {"entry": "2026-07-01", "days": "30"}

    def names(sort: str) -> list[str]:
        response = dispatcher_client.get(PLANNER, {**trip, "sort": sort})
        assert response.status_code == 200
        return [item["row"].name for item in response.context["rows"]]

    # Allowed first (or last), ties by name; a driver no rule applies to always last.
    assert names("allowed") == ["Fresh Asel", "Mid Chingis", "Used Bolat", "Stateless Dana"]
    assert names("-allowed") == ["Used Bolat", "Fresh Asel", "Mid Chingis", "Stateless Dana"]
    # Most days to spare after the trip first: 50, 20, then the one who may not go.
    assert names("-spare") == ["Fresh Asel", "Mid Chingis", "Used Bolat", "Stateless Dana"]
    assert names("spare") == ["Used Bolat", "Mid Chingis", "Fresh Asel", "Stateless Dana"]
    # Earliest possible entry: the allowed on the trip's date, Used Bolat on 22 December.
    assert names("-earliest") == ["Used Bolat", "Fresh Asel", "Mid Chingis", "Stateless Dana"]
    html = dispatcher_client.get(PLANNER, {**trip, "sort": "-spare"}).content.decode()
    assert 'aria-sort="descending"' in html
    assert "sort=spare" in html  # the header toggles the order


def test_csv_export_follows_a_planned_sort(dispatcher_client, fleet):
    response = dispatcher_client.get(
        PLANNER, {"entry": "2026-07-01", "days": "30", "sort": "-allowed", "format": "csv"}
    )

    content = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(content)))
    assert [line[0] for line in table[1:]] == ["Used Bolat", "Fresh Asel", "Stateless Dana"]


def planned_queries(client, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(15) as captured:
        response = client.get(PLANNER, {"entry": "2026-07-01", "days": "30", "sort": "-spare", "page": "2"})
    assert response.status_code == 200
    return len(captured.captured_queries)


def with_histories(drivers) -> None:
    """Citizens of Kazakhstan, every other one with a 20-day stay in Russia this year."""
    from stays.models import StayEvent as Event

    Driver = type(drivers[0])
    Driver.objects.filter(pk__in=[driver.pk for driver in drivers]).update(citizenship="KZ")
    Event.objects.bulk_create(
        [
            Event(driver=driver, country="RU", kind=kind, date=on, source="driver")
            for driver in drivers[::2]
            for kind, on in (("entry", date(2026, 3, 1)), ("exit", date(2026, 3, 20)))
        ]
    )


def test_a_plan_sorted_5000_driver_fleet_is_read_in_a_fixed_number_of_queries(
    dispatcher_client, carrier, other_carrier, django_assert_max_num_queries
):
    with_histories(many_drivers(carrier, 60, prefix="small"))
    few = planned_queries(dispatcher_client, django_assert_max_num_queries)
    with_histories(many_drivers(carrier, 4940, prefix="big"))
    many_drivers(other_carrier, 20, prefix="theirs")

    many = planned_queries(dispatcher_client, django_assert_max_num_queries)
    response = dispatcher_client.get(PLANNER, {"entry": "2026-07-01", "days": "30", "sort": "-spare"})

    assert many == few
    assert response.context["page"].paginator.count == 5000
    spare = [item["row"].spare_days for item in response.context["rows"]]
    assert len(spare) == 50
    assert spare == sorted(spare, reverse=True)
    assert spare[0] == 60  # no stay this year: 90 days in 180, 30 of them used by the trip
    assert "theirs" not in response.content.decode()


def test_a_plan_sorted_fleet_is_planned_once_and_again_only_when_a_history_changes(
    dispatcher_client, fleet, carrier, monkeypatch
):
    from django.core.cache import cache

    from stays import domain

    cache.clear()  # plans kept by an earlier test of the same fleet and trip
    calls = []
    real_plan = domain.plan
    monkeypatch.setattr(domain, "plan", lambda **kwargs: calls.append(1) or real_plan(**kwargs))
    trip = {"entry": "2026-07-01", "days": "30"}

    dispatcher_client.get(PLANNER, {**trip, "sort": "-spare"})
    first = len(calls)
    again = dispatcher_client.get(PLANNER, {**trip, "sort": "earliest"})
    assert len(calls) == first == 2  # Fresh Asel and Used Bolat; Stateless Dana has no rule to plan by
    assert rows_by_name(again)["Used Bolat"].earliest_entry == date(2026, 12, 22)

    bolat = rows_by_name(again)["Used Bolat"].driver_id
    StayEvent.objects.filter(driver_id=bolat, kind="exit").update(date=date(2026, 1, 20))  # 11 days, not 80
    changed = dispatcher_client.get(PLANNER, {**trip, "sort": "earliest"})

    assert len(calls) > first
    assert rows_by_name(changed)["Used Bolat"].allowed is True


def publish(slug: str, direction: str, *, high: int) -> None:
    Estimate.objects.create(
        queue=queue_at(slug, direction),
        wait_minutes=high * 3 // 4,
        low_minutes=high // 2,
        high_minutes=high,
        reports=30,
        drivers=12,
        computed_at=TODAY,
        data_until=TODAY,
        confidence="medium",
        published=True,
    )


def test_the_entry_queue_forecast_delays_the_stay_and_the_exit_queue_forecast_lengthens_it(dispatcher_client, fleet):
    from queues.selectors.forecast import exit_queue_days

    publish("syrym-mashtakovo", "KZ-RU", high=3000)  # up to 50 h into Russia
    publish("syrym-mashtakovo", "RU-KZ", high=2000)
    entering = exit_queue_days(country="KZ", exit_day=date(2026, 7, 1), crossing="syrym-mashtakovo", now=TODAY)
    assert entering is not None
    assert entering > 0
    inside = date(2026, 7, 1) + timedelta(days=entering)
    leaving = exit_queue_days(
        country="RU", exit_day=inside + timedelta(days=29), crossing="syrym-mashtakovo", now=TODAY
    )
    assert leaving is not None
    assert leaving > 0

    response = dispatcher_client.get(
        PLANNER,
        {"entry": "2026-07-01", "days": "30", "crossing": "syrym-mashtakovo", "entry_crossing": "syrym-mashtakovo"},
    )

    trip = response.context["trip"]
    assert trip.entry_queue_days == entering
    assert trip.stay_entry == inside
    assert trip.stay_days == 30 + leaving
    assert rows_by_name(response)["Fresh Asel"].spare_days == 50 - leaving  # 80 days left, 30 used by the trip
    html = response.content.decode()
    assert f"each stay is planned from {inside:%Y-%m-%d}" in html
    assert "by its forecast for the last day of the trip" in html


def test_an_entry_crossing_without_an_estimate_plans_from_the_entry_date(dispatcher_client, fleet):
    response = dispatcher_client.get(
        PLANNER, {"entry": "2026-07-01", "days": "30", "entry_crossing": "syrym-mashtakovo"}
    )

    assert response.context["trip"].stay_entry == date(2026, 7, 1)
    assert "the stay is planned from the entry date" in response.content.decode()
