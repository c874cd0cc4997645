"""The daily stay check on PostgreSQL with a live Celery worker: idempotent, and safe when runs race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from carriers.models import Notification
from stays import services
from stays.models import StayEvent, StayRule, StayStatusSnapshot
from stays.seed import stay_rules_seed
from stays.tasks import daily_check
from tests.factories import CarrierFactory, DispatcherFactory, DriverFactory
from tests.support.live import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _seeded_rules(live_worker):
    """A transactional test before this one flushed the rules that the data migration seeded."""
    if not StayRule.objects.exists():
        stay_rules_seed(rule_model=StayRule)


def driver_on_day_80_in_russia():
    """Day 80 of a continuous stay: 10 days left whatever the calendar says (the 90-day continuous cap)."""
    carrier = CarrierFactory()
    DispatcherFactory(carrier=carrier)
    driver = DriverFactory(carrier=carrier, citizenship="KZ")
    today = timezone.now().date()
    StayEvent.objects.create(
        driver=driver, country="RU", kind="entry", date=today - timedelta(days=79), source="driver"
    )
    return driver


def chunk_runs(worker) -> int:
    log = worker.log_path.read_text() if worker.log_path.exists() else ""
    return sum(1 for line in log.splitlines() if "stays.status_refresh_chunk[" in line and "succeeded" in line)


def test_the_daily_check_run_twice_by_the_worker_notifies_each_level_once(live_worker):
    driver = driver_on_day_80_in_russia()
    runs_before = chunk_runs(live_worker)

    first = daily_check.delay()
    wait_for(lambda: chunk_runs(live_worker) >= runs_before + 1, timeout=60)
    second = daily_check.delay()
    wait_for(lambda: chunk_runs(live_worker) >= runs_before + 2, timeout=60)

    assert first.id != second.id  # both went through Redis to the worker
    snapshot = StayStatusSnapshot.objects.get(driver=driver, country="RU")
    assert (snapshot.risk, snapshot.days_left) == ("watch", 10)
    notifications = sorted(Notification.objects.values_list("audience", "level"))
    assert notifications == [("dispatcher", "watch"), ("driver", "watch")]


def test_two_refreshes_racing_store_one_notification_per_level(live_worker):
    driver = driver_on_day_80_in_russia()
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def refresh():
        try:
            barrier.wait(timeout=10)
            now = timezone.now()
            services.stay_statuses_refresh(driver_ids=[driver.pk], on=now.date(), as_of=now)
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(Notification.objects.values_list("audience", "level")) == [
        ("dispatcher", "watch"),
        ("driver", "watch"),
    ]
    assert StayStatusSnapshot.objects.filter(driver=driver).count() == 1
