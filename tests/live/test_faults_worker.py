"""A worker is killed (SIGKILL) in the middle of an estimate refresh: the unacknowledged task comes back
after the visibility timeout (acks_late + reject_on_worker_lost), another worker runs it, and the estimate
converges. The broker is a private Redis with a short visibility timeout, so the test takes seconds.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import psycopg
import pytest
import redis
from celery import Celery
from django.utils import timezone

from queues.models import Estimate, Queue
from queues.services import estimates as estimation
from queues.services.reports import report_batch_ingest
from tests.factories import DriverFactory
from tests.support.faults import PrivateRedis, Worker, app_env, database_url
from tests.support.live import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]

CROSSING, DIRECTION = "alimbet-orsk", "KZ-RU"
VISIBILITY_TIMEOUT = 3


def visit(start) -> list[dict]:
    items = [
        {
            "id": str(uuid.uuid4()),
            "crossing": CROSSING,
            "direction": DIRECTION,
            "kind": "joined" if step == 0 else "position",
            "observed_at": (start + timedelta(minutes=15 * step)).isoformat(),
            "position": 40 - 8 * step,
        }
        for step in range(5)
    ]
    items.append(
        {
            "id": str(uuid.uuid4()),
            "crossing": CROSSING,
            "direction": DIRECTION,
            "kind": "crossed",
            "observed_at": (start + timedelta(minutes=80)).isoformat(),
        }
    )
    return items


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def blocked_backends() -> int:
    with psycopg.connect(database_url(), autocommit=True) as probe:
        return probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]


def test_worker_killed_mid_task_gets_the_task_redelivered_and_the_estimate_converges(
    real_services, transactional_db, redis_server, monkeypatch
):
    queue = Queue.objects.get(crossing__slug=CROSSING, from_country="KZ", to_country="RU")
    # The reports are stored without asking for a refresh: this test sends the one refresh task itself.
    monkeypatch.setattr(estimation, "estimate_refresh_request", lambda **kwargs: None)
    monkeypatch.setattr(estimation, "estimate_refresh_sends", lambda **kwargs: [])
    start = timezone.now() - timedelta(hours=3)
    for index in range(3):
        report_batch_ingest(
            driver=DriverFactory(), items=visit(start + timedelta(minutes=9 * index)), received_at=timezone.now()
        )
    env = app_env(
        database_url=database_url(),
        redis_url=redis_server.url,
        CONN_MAX_AGE="0",
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
    )
    # Holding this lock parks the refresh where it writes the estimate: "mid-task", deterministically.
    lock = psycopg.connect(database_url())
    lock.execute("LOCK TABLE queues_estimate IN ACCESS EXCLUSIVE MODE")
    first = Worker("killed", env)
    first.start()
    # Not the current app: shared tasks sent later in this process must keep using the project's broker.
    sender = Celery("faults", broker=redis_server.url, set_as_current=False)
    try:
        task_id = sender.send_task("queues.estimate_refresh", kwargs={"queue_id": queue.id}, queue="kezek").id
        wait_for(lambda: blocked_backends() > 0, timeout=60)

        first.kill()
        lock.rollback()
    finally:
        lock.close()
        first.kill()
    assert not Estimate.objects.filter(queue=queue).exists()
    # The broker hands an unacknowledged task out again once it is older than the visibility timeout (kombu
    # scans for such tasks when a worker starts and then every unacked_restore_interval x throttle seconds).
    broker = redis.Redis.from_url(redis_server.url)
    wait_for(
        lambda: broker.zcount("unacked_index", 0, time.time() - VISIBILITY_TIMEOUT) > 0,
        timeout=VISIBILITY_TIMEOUT + 30,
    )

    second = Worker("redelivered", env)
    second.start()
    try:
        estimate = wait_for(lambda: Estimate.objects.filter(queue=queue, published=True).first(), timeout=60)
    finally:
        second.stop()
    assert estimate.drivers == 3
    assert f"queues.estimate_refresh[{task_id}]" in second.log_path.read_text()
    deliveries = broker.get(f"kezek:task-deliveries:{task_id}")
    assert int(deliveries) == 2  # counted against the redelivery cap (CELERY_TASK_MAX_DELIVERIES)
