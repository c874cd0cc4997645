"""The fleet risk board: the dispatcher's admin home, cut to their carrier, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from carriers.models import Driver
from tests.factories import DriverFactory
from tests.support.workplace import (
    BOARD,
    many_drivers,
    open_visit,
    queue_at,
    report,
    snapshot,
)
from workplace.selectors import fleet_risk_board

pytestmark = pytest.mark.django_db


def board_names(response) -> list[str]:
    return [item["row"].name for group in response.context["groups"] for item in group["rows"]]


def test_board_is_the_dispatchers_home_with_the_most_urgent_drivers_first(dispatcher_client, carrier):
    for name, risk, days_left in [
        ("Ok Olzhas", "ok", 70),
        ("Watch Asel", "watch", 12),
        ("Listed Bolat", "listed", 20),
        ("High Dana", "high", 4),
        ("Overstay Erlan", "overstay", -3),
        ("High Ainur", "high", 2),
    ]:
        snapshot(DriverFactory(carrier=carrier, name=name), risk, days_left=days_left)
    DriverFactory(carrier=carrier, name="Fresh Timur")

    response = dispatcher_client.get(BOARD)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/workplace/fleet_board.html"
    assert board_names(response) == [
        "Listed Bolat",
        "Overstay Erlan",
        "High Ainur",
        "High Dana",
        "Watch Asel",
        "Ok Olzhas",
        "Fresh Timur",
    ]
    assert [group["risk"] for group in response.context["groups"]] == [
        "listed",
        "overstay",
        "high",
        "watch",
        "ok",
        "unknown",
    ]


def test_board_never_shows_another_carriers_drivers(dispatcher_client, driver, other_driver):
    snapshot(other_driver, "overstay", days_left=-10)

    response = dispatcher_client.get(BOARD)

    assert board_names(response) == [driver.name]
    assert other_driver.name not in response.content.decode()
    assert response.context["summary"][1] == {"risk": "overstay", "label": "Overstay", "count": 0, "selected": False}


def test_another_carriers_drivers_stay_hidden_whatever_the_filters_say(dispatcher_client, driver, other_driver):
    response = dispatcher_client.get(BOARD, {"carrier": other_driver.carrier_id, "risk": "unknown"})

    assert board_names(response) == [driver.name]


def test_staff_without_a_carrier_sees_no_drivers(driver):
    user = get_user_model().objects.create_user("staff-only", password="x-pass-123", is_staff=True)
    client = Client()
    client.force_login(user)

    response = client.get(BOARD)

    assert response.status_code == 200
    assert board_names(response) == []


def test_board_shows_days_left_and_latest_exit_or_unknown(dispatcher_client, carrier, driver):
    latest_exit = timezone.now().date() + timedelta(days=9)
    snapshot(driver, "watch", days_left=9, latest_exit=latest_exit)
    DriverFactory(carrier=carrier, name="No Status")

    response = dispatcher_client.get(BOARD)

    rows = {item["row"].name: item["row"] for group in response.context["groups"] for item in group["rows"]}
    assert rows[driver.name].days_left == 9
    assert rows[driver.name].latest_exit == latest_exit
    assert rows["No Status"].risk == "unknown"
    assert rows["No Status"].days_left is None
    assert latest_exit.isoformat() in response.content.decode()
    assert "unknown" in response.content.decode()


def test_board_shows_the_current_queue_visit_and_last_report(dispatcher_client, driver):
    now = timezone.now()
    queue = queue_at("syrym-mashtakovo")
    open_visit(driver, queue, joined_at=now - timedelta(hours=5))
    report(driver, queue, observed_at=now - timedelta(minutes=7))
    report(driver, queue, observed_at=now - timedelta(hours=2))

    response = dispatcher_client.get(BOARD)

    row = response.context["groups"][0]["rows"][0]["row"]
    assert row.visit.crossing_slug == "syrym-mashtakovo"
    assert row.visit.direction == "KZ-RU"
    assert row.visit.joined_at == now - timedelta(hours=5)
    assert row.last_report_at == now - timedelta(minutes=7)
    assert "KZ-RU" in response.content.decode()


def test_board_links_each_driver_to_their_change_page(dispatcher_client, driver):
    response = dispatcher_client.get(BOARD)

    assert f'href="/admin/carriers/driver/{driver.pk}/change/"' in response.content.decode()


def test_board_filters_by_risk_level(dispatcher_client, carrier):
    snapshot(DriverFactory(carrier=carrier, name="Risky"), "high", days_left=3)
    snapshot(DriverFactory(carrier=carrier, name="Calm"), "ok", days_left=80)

    response = dispatcher_client.get(BOARD, {"risk": "high"})

    assert board_names(response) == ["Risky"]
    assert response.context["summary"][2]["count"] == 1
    assert response.context["summary"][2]["selected"] is True


def test_board_filters_by_the_crossing_a_driver_queues_at(dispatcher_client, carrier):
    now = timezone.now()
    open_visit(DriverFactory(carrier=carrier, name="At Syrym"), queue_at("syrym-mashtakovo"), joined_at=now)
    open_visit(DriverFactory(carrier=carrier, name="Elsewhere"), queue_at("kairak-bugristoye"), joined_at=now)
    DriverFactory(carrier=carrier, name="Home")

    response = dispatcher_client.get(BOARD, {"crossing": "syrym-mashtakovo"})

    assert board_names(response) == ["At Syrym"]


def test_an_unknown_filter_value_is_ignored(dispatcher_client, driver):
    response = dispatcher_client.get(BOARD, {"risk": "catastrophic", "crossing": "nowhere"})

    assert response.status_code == 200
    assert board_names(response) == [driver.name]


def test_superuser_sees_every_carrier_and_can_pick_one(superuser_client, driver, other_driver):
    everyone = superuser_client.get(BOARD)
    one = superuser_client.get(BOARD, {"carrier": other_driver.carrier_id})

    assert sorted(board_names(everyone)) == sorted([driver.name, other_driver.name])
    assert board_names(one) == [other_driver.name]
    assert "Irtysh Logistics" in one.content.decode()


def test_the_list_of_all_sections_stays_reachable(dispatcher_client):
    response = dispatcher_client.get("/admin/apps/")

    assert response.status_code == 200
    assert "app_list" in response.context
    assert 'href="/admin/apps/"' in dispatcher_client.get(BOARD).content.decode()


def test_board_needs_a_signed_in_staff_user(client):
    response = client.get(BOARD)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def query_count(client, django_assert_max_num_queries, limit: int) -> int:
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(BOARD)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_board_reads_a_500_driver_carrier_in_a_fixed_number_of_queries(
    dispatcher_client, carrier, other_carrier, django_assert_max_num_queries
):
    many_drivers(carrier, 3, prefix="small")
    few = query_count(dispatcher_client, django_assert_max_num_queries, 13)  # 10, and 3 for the exit plans
    many_drivers(carrier, 497, prefix="big")
    many_drivers(other_carrier, 50, prefix="theirs")

    many = query_count(dispatcher_client, django_assert_max_num_queries, 13)
    response = dispatcher_client.get(BOARD)

    assert many == few
    assert response.context["total"] == 500
    assert "theirs" not in response.content.decode()


def test_a_status_computed_before_today_says_when(dispatcher_client, driver):
    old = snapshot(driver, "watch", days_left=10)
    old.on = timezone.now().date() - timedelta(days=3)
    old.save()

    html = dispatcher_client.get(BOARD).content.decode()

    assert f"as of {old.on.isoformat()}" in html


def test_board_selector_refuses_an_unknown_risk_level():
    with pytest.raises(ValueError, match="unknown risk level"):
        fleet_risk_board(drivers=Driver.objects.all(), risk="catastrophic")
