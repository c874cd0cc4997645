"""Estimate refresh on the real stack: PostgreSQL row locks, Redis as broker and cache, a live Celery worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from queues.models import Estimate, EstimatePoint, Queue
from queues.payloads import estimate_as_dict
from queues.selectors import estimates as estimate_selectors
from queues.services import estimates as estimation
from queues.tasks import estimates as estimate_tasks
from tests.factories import DriverFactory
from tests.support.estimates import report_store, transparent_estimate
from tests.support.live import PROJECT_DIR, require_services, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def queue(transactional_db) -> Queue:
    queue = Queue.objects.select_related("crossing").order_by("pk").first()
    cache.delete(estimation.estimate_refresh_pending_key(queue.pk))
    yield queue
    cache.delete(estimation.estimate_refresh_pending_key(queue.pk))


def queue_reported_on(queue: Queue, *, drivers: int = 5, since: datetime) -> list:
    """Each driver joined at ``since`` and reported a falling position every ten minutes for an hour."""
    reports = []
    for offset, driver in enumerate(DriverFactory.create_batch(drivers)):
        start = since + timedelta(minutes=offset)
        reports.append(report_store(driver=driver, queue=queue, observed_at=start, kind="joined", position=60 + offset))
        for step in range(1, 7):
            reports.append(
                report_store(
                    driver=driver,
                    queue=queue,
                    observed_at=start + timedelta(minutes=10 * step),
                    position=max(0, 60 + offset - 8 * step),
                )
            )
    return reports


def ran_in_worker(worker, task_id: str) -> bool:
    return f"queues.estimate_refresh[{task_id}] succeeded" in worker.log_path.read_text()


def test_reports_then_a_request_make_the_live_worker_store_the_estimate(live_worker, queue):
    queue_reported_on(queue, since=timezone.now() - timedelta(hours=2))

    with transaction.atomic():
        estimation.estimate_refresh_request(queue_ids=[queue.pk])

    estimate = wait_for(lambda: Estimate.objects.filter(queue=queue).first())
    assert estimate.drivers == 5
    assert EstimatePoint.objects.filter(queue=queue, at=estimate_selectors.estimate_tick(estimate.computed_at)).exists()


def test_a_burst_of_ingest_transactions_becomes_a_few_tasks_and_the_last_one_sees_every_report(live_worker, queue):
    drivers = DriverFactory.create_batch(40)
    first_seen = timezone.now() - timedelta(hours=3)
    sender = estimate_tasks.estimate_refresh
    publish = sender.apply_async
    sent = []

    def publish_and_record(*args, **kwargs):
        sent.append(publish(*args, **kwargs))
        return sent[-1]

    with mock.patch.object(sender, "apply_async", publish_and_record):
        for number in range(200):
            with transaction.atomic():
                newest = report_store(
                    driver=drivers[number % 40],
                    queue=queue,
                    observed_at=first_seen + timedelta(seconds=30 * number),
                    position=200 - number,
                )
                estimation.estimate_refresh_request(queue_ids=[queue.pk])

    task_ids = [result.id for result in sent]
    assert 1 <= len(task_ids) < 20
    wait_for(lambda: all(ran_in_worker(live_worker, task_id) for task_id in task_ids))
    estimate = Estimate.objects.get(queue=queue)
    assert estimate.data_until == newest.received_at
    assert estimate.drivers == 40


def test_a_refresh_sent_twice_for_one_moment_leaves_one_identical_estimate_and_point(live_worker, queue):
    queue_reported_on(queue, since=timezone.now() - timedelta(hours=2))
    as_of = timezone.now().isoformat()

    first = estimate_tasks.estimate_refresh.delay(queue_id=queue.pk, as_of=as_of)
    wait_for(lambda: ran_in_worker(live_worker, first.id))
    stored = estimate_as_dict(Estimate.objects.get(queue=queue))
    point = EstimatePoint.objects.get(queue=queue)
    second = estimate_tasks.estimate_refresh.delay(queue_id=queue.pk, as_of=as_of)
    wait_for(lambda: ran_in_worker(live_worker, second.id))

    assert estimate_as_dict(Estimate.objects.get(queue=queue)) == stored
    assert list(EstimatePoint.objects.filter(queue=queue).values_list("pk", "at", "wait_minutes")) == [
        (point.pk, point.at, point.wait_minutes)
    ]


def test_concurrent_refreshes_of_one_queue_on_postgresql_run_one_after_the_other(transactional_db, queue, monkeypatch):
    require_services()
    assert connection.vendor == "postgresql"
    as_of = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    queue_reported_on(queue, since=as_of - timedelta(hours=2))
    guard = threading.Lock()
    inside, most_inside = [0], [0]

    def slow_estimator(*, samples, as_of, queue=None):
        with guard:
            inside[0] += 1
            most_inside[0] = max(most_inside[0], inside[0])
        time.sleep(0.05)  # widen the window in which an unlocked second refresh would overlap
        with guard:
            inside[0] -= 1
        return transparent_estimate(samples=samples, as_of=as_of)

    monkeypatch.setattr(estimation, "estimate_wait", slow_estimator)
    moments = [as_of + timedelta(seconds=seconds) for seconds in range(8)]
    start = threading.Barrier(len(moments))
    errors = []

    def refresh(moment):
        try:
            start.wait()
            estimation.estimate_refresh(queue_id=queue.pk, as_of=moment)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh, args=(moment,)) for moment in moments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert most_inside[0] == 1
    estimate = Estimate.objects.get(queue=queue)
    assert (estimate.computed_at, estimate.reports, estimate.wait_minutes) == (moments[-1], 35, 350)
    assert list(EstimatePoint.objects.filter(queue=queue).values_list("at", "wait_minutes")) == [(as_of, 350)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_REQUEST_WITH_BROKER_DOWN = textwrap.dedent(
    """
    import django
    django.setup()
    from django.db import transaction
    from django.test import override_settings
    from config.celery import app
    from queues.services.estimates import estimate_refresh_request

    app.conf.task_always_eager = False  # the test settings run tasks in-process; here they go to the broker

    # The cache in local memory, so the request gets as far as publishing to the dead broker.
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        with transaction.atomic():
            estimate_refresh_request(queue_ids=[1, 2])
    # Everything on the dead Redis: the cache degrades to a miss and nothing is sent.
    with transaction.atomic():
        estimate_refresh_request(queue_ids=[3])
    print("request returned")
    """
)


def test_a_request_with_the_broker_down_returns_and_leaves_the_work_to_the_sweep(tmp_path):
    dead_redis = f"redis://127.0.0.1:{_free_port()}/0"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "REDIS_URL": dead_redis,
    }

    finished = subprocess.run(
        [sys.executable, "-c", _REQUEST_WITH_BROKER_DOWN],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "request returned"
    assert finished.stderr.count("estimate refresh not sent; the sweep will catch up") == 2


def test_reports_are_stored_while_a_refresh_of_their_queue_holds_its_lock(transactional_db, queue, monkeypatch):
    require_services()
    as_of = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    queue_reported_on(queue, drivers=3, since=as_of - timedelta(hours=2))
    reporter = DriverFactory()
    computing, report_stored = threading.Event(), threading.Event()

    def estimator_waiting_for_the_report(*, samples, as_of, queue=None):
        computing.set()
        report_stored.wait(timeout=30)
        return transparent_estimate(samples=samples, as_of=as_of)

    monkeypatch.setattr(estimation, "estimate_wait", estimator_waiting_for_the_report)
    errors = []

    def refresh():
        try:
            estimation.estimate_refresh(queue_id=queue.pk, as_of=as_of)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    refreshing = threading.Thread(target=refresh)
    refreshing.start()
    assert computing.wait(timeout=30)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")  # blocked by the refresh: fail, do not hang
            report_store(driver=reporter, queue=queue, observed_at=as_of - timedelta(minutes=1))
    finally:
        report_stored.set()
        refreshing.join()

    assert errors == []
    assert queue.reports.filter(driver=reporter).count() == 1
    assert Estimate.objects.get(queue=queue).reports == 21
