"""The daily check: snapshots per country, one notification per risk level and stay period, pushed after commit."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from carriers.models import Notification
from carriers.push import LocmemPushBackend
from stays import services, tasks
from stays.models import StayEvent, StayStatusSnapshot
from tests.factories import DispatcherFactory, DriverFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox():
    LocmemPushBackend.outbox.clear()
    yield LocmemPushBackend.outbox
    LocmemPushBackend.outbox.clear()


def entered_russia(driver, on):
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=on, source="driver")


def run_daily_check(day: str, capture):
    with time_machine.travel(f"{day}T02:00:00Z", tick=False), capture(execute=True):
        tasks.daily_check.delay()


def test_running_the_daily_check_twice_stores_one_notification_per_level(
    driver, dispatcher, django_capture_on_commit_callbacks, outbox
):
    entered_russia(driver, date(2025, 1, 1))  # day 80 on 21 March: 11 days left

    run_daily_check("2025-03-21", django_capture_on_commit_callbacks)
    run_daily_check("2025-03-21", django_capture_on_commit_callbacks)

    notifications = Notification.objects.order_by("audience")
    assert [(item.audience, item.level) for item in notifications] == [("dispatcher", "watch"), ("driver", "watch")]
    assert notifications.get(audience="dispatcher").carrier == driver.carrier
    assert len(outbox) == 2
    snapshot = StayStatusSnapshot.objects.get(driver=driver, country="RU")
    assert (snapshot.days_used, snapshot.days_left, snapshot.risk, snapshot.risk_rank) == (80, 10, "watch", 1)


def test_each_rise_of_the_level_is_notified_once(driver, django_capture_on_commit_callbacks):
    entered_russia(driver, date(2025, 1, 1))

    for day in ("2025-03-21", "2025-03-22", "2025-03-27", "2025-03-28", "2025-04-01", "2025-04-01"):
        run_daily_check(day, django_capture_on_commit_callbacks)

    notified = Notification.objects.filter(audience="driver").order_by("created_at", "id")
    levels = list(notified.values_list("level", flat=True))
    assert levels == ["watch", "high", "overstay"]


def test_a_lower_level_after_a_drop_is_not_notified_again_in_the_same_year(driver, django_capture_on_commit_callbacks):
    entered_russia(driver, date(2025, 1, 1))
    run_daily_check("2025-03-21", django_capture_on_commit_callbacks)
    StayStatusSnapshot.objects.filter(driver=driver).update(risk="ok", risk_rank=0)

    run_daily_check("2025-03-22", django_capture_on_commit_callbacks)

    assert Notification.objects.filter(audience="driver").count() == 1


def test_each_driver_is_notified_in_their_language(django_capture_on_commit_callbacks, carrier):
    russian_reader = DriverFactory(carrier=carrier, language="ru")
    english_reader = DriverFactory(carrier=carrier, language="en")
    entered_russia(russian_reader, date(2025, 1, 1))
    entered_russia(english_reader, date(2025, 1, 1))

    run_daily_check("2025-03-21", django_capture_on_commit_callbacks)

    in_russian = Notification.objects.get(audience="driver", driver=russian_reader)
    in_english = Notification.objects.get(audience="driver", driver=english_reader)
    assert "Россия" in in_russian.title
    assert in_english.title == "10 days left in Russia"
    assert in_english.data["days_left"] == 10


def test_a_listed_check_notifies_the_listed_level(driver, dispatcher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.registry_check_record(
            driver=driver, status="listed", checked_on=timezone.now().date(), checked_by=dispatcher.user
        )

    assert sorted(Notification.objects.values_list("audience", "level")) == [
        ("dispatcher", "listed"),
        ("driver", "listed"),
    ]


def test_a_driver_gets_snapshots_only_where_a_rule_applies_to_them(django_capture_on_commit_callbacks, carrier):
    russian = DriverFactory(carrier=carrier, citizenship="RU")
    DispatcherFactory(carrier=carrier)

    run_daily_check("2025-03-21", django_capture_on_commit_callbacks)

    assert list(StayStatusSnapshot.objects.filter(driver=russian).values_list("country", flat=True)) == ["KZ"]
