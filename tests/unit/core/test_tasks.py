"""A task that keeps coming back (its worker dies every time) is dropped after CELERY_TASK_MAX_DELIVERIES."""

import pytest
from celery.exceptions import Reject

from config.celery import app
from core import tasks


@app.task(name="tests.redelivery_probe", bind=True)
def redelivery_probe(self, **kwargs):
    return "ran"


@pytest.fixture
def deliveries(monkeypatch):
    counts: dict[str, int] = {}

    def count(task_id: str) -> int:
        counts[task_id] = counts.get(task_id, 0) + 1
        return counts[task_id]

    monkeypatch.setattr(tasks, "task_delivery_count", count)
    return counts


def run_as_worker(task_id: str):
    redelivery_probe.push_request(id=task_id, called_directly=False, is_eager=False)
    try:
        return redelivery_probe()
    finally:
        redelivery_probe.pop_request()


def test_task_runs_while_under_the_delivery_cap(deliveries, settings):
    settings.CELERY_TASK_MAX_DELIVERIES = 3

    results = [run_as_worker("task-1") for _ in range(3)]

    assert results == ["ran", "ran", "ran"]


def test_task_is_rejected_without_requeue_past_the_cap(deliveries, settings):
    settings.CELERY_TASK_MAX_DELIVERIES = 3
    for _ in range(3):
        run_as_worker("task-2")

    with pytest.raises(Reject) as rejected:
        run_as_worker("task-2")

    assert rejected.value.requeue is False


def test_eager_and_direct_calls_are_not_counted(deliveries):
    eager = redelivery_probe.apply()  # as with CELERY_TASK_ALWAYS_EAGER; read without .get(), which may refuse
    # to block when an earlier test in this process ran task code as a worker would

    assert eager.result == "ran"
    assert redelivery_probe() == "ran"
    assert deliveries == {}
