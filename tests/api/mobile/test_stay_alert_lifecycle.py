"""Stay alerts follow the truth: active while the status says so, resolved (when, why) once it does not, pushed once
per level per stay; assessed after a history settles; rendered in the reader's language."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from carriers.models import Notification
from carriers.push import LocmemPushBackend
from stays import services, tasks
from stays.models import StayEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox():
    LocmemPushBackend.outbox.clear()
    yield LocmemPushBackend.outbox
    LocmemPushBackend.outbox.clear()


def run_daily_check(day: str, capture):
    with time_machine.travel(f"{day}T02:00:00Z", tick=False), capture(execute=True):
        tasks.daily_check.delay()


def record(driver, kind, on, capture, *, at):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return services.stay_event_record(
            driver=driver, country="RU", kind=kind, date=on, crossing=None, source="driver", actor=None,
            as_of=timezone.now(),
        )  # fmt: skip


def test_an_alert_is_resolved_with_when_and_why_once_the_history_is_corrected(
    driver, dispatcher, django_capture_on_commit_callbacks, outbox
):
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 1, 1), source="driver")
    run_daily_check("2025-03-21", django_capture_on_commit_callbacks)  # 11 days left: watch
    assert set(Notification.objects.values_list("audience", "level", "active")) == {
        ("driver", "watch", True),
        ("dispatcher", "watch", True),
    }

    # The entry was wrong: the driver came in on 1 March.
    event = StayEvent.objects.get(driver=driver)
    with time_machine.travel("2025-03-21T08:00:00Z", tick=False), django_capture_on_commit_callbacks(execute=True):
        services.stay_event_delete(event=event, actor=None, as_of=timezone.now())
    record(driver, "entry", date(2025, 3, 1), django_capture_on_commit_callbacks, at="2025-03-21T08:01:00Z")

    for notification in Notification.objects.all():
        # The stay now begins on 1 March: the alert's stay (from 1 January) is no more.
        assert (notification.active, notification.resolution) == (False, "stay_changed")
        assert notification.resolved_at is not None
    assert len(outbox) == 2  # nothing pushed for a resolution


def test_a_resolved_alert_stands_again_without_a_second_push(driver, django_capture_on_commit_callbacks, outbox):
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 1, 1), source="driver")
    run_daily_check("2025-03-21", django_capture_on_commit_callbacks)
    alert = Notification.objects.get(audience="driver")
    event = StayEvent.objects.get(driver=driver)
    with time_machine.travel("2025-03-21T08:00:00Z", tick=False), django_capture_on_commit_callbacks(execute=True):
        services.stay_event_delete(event=event, actor=None, as_of=timezone.now())
    alert.refresh_from_db()
    assert (alert.active, alert.resolution) == (False, "stay_changed")

    record(driver, "entry", date(2025, 1, 1), django_capture_on_commit_callbacks, at="2025-03-21T09:00:00Z")

    alert.refresh_from_db()
    assert (alert.active, alert.resolved_at, alert.resolution) == (True, None, "")
    assert Notification.objects.filter(audience="driver").count() == 1
    assert len(outbox) == 2  # the first raise, to the driver and the dispatchers; never again


def test_an_alert_of_a_stay_that_ended_is_resolved_as_such(driver, django_capture_on_commit_callbacks):
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 1, 1), source="driver")
    run_daily_check("2025-03-21", django_capture_on_commit_callbacks)
    record(driver, "exit", date(2025, 3, 21), django_capture_on_commit_callbacks, at="2025-03-21T10:00:00Z")
    record(driver, "entry", date(2026, 1, 10), django_capture_on_commit_callbacks, at="2026-01-10T10:00:00Z")

    alert = Notification.objects.get(audience="driver", level="watch")
    assert (alert.active, alert.resolution) == (False, "stay_changed")
    assert alert.resolved_at.date() == date(2026, 1, 10)


def test_a_burst_of_changes_is_assessed_once_after_it_settles(driver, django_capture_on_commit_callbacks, settings):
    sent = []
    original = tasks.driver_status_refresh.apply_async

    def spy(*args, **kwargs):
        sent.append(kwargs.get("countdown"))
        return None  # held back: the burst is still going on

    tasks.driver_status_refresh.apply_async = spy
    try:
        record(driver, "entry", date(2025, 3, 1), django_capture_on_commit_callbacks, at="2025-03-21T10:00:00Z")
        record(driver, "exit", date(2025, 3, 21), django_capture_on_commit_callbacks, at="2025-03-21T10:01:00Z")
    finally:
        tasks.driver_status_refresh.apply_async = original

    assert sent == [settings.STAY_REFRESH_DELAY_SECONDS]  # one task for the driver, delayed
    assert not Notification.objects.exists()


def test_the_app_reads_alerts_in_its_language_with_their_state(
    driver, driver_client, django_capture_on_commit_callbacks
):
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 1, 1), source="driver")
    run_daily_check("2025-03-21", django_capture_on_commit_callbacks)

    english = driver_client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    kazakh = driver_client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="kk").json()["results"][0]

    assert english["title"] == "10 days left in Russia"
    assert kazakh["title"] != english["title"]
    assert "10" in kazakh["title"]
    assert (english["active"], english["resolved_at"], english["resolution"]) == (True, None, None)
