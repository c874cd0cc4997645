"""Fixtures for the tests against real services: PostgreSQL (DATABASE_URL), Redis (REDIS_URL), a live Celery
worker.

Outside CI a missing service skips these tests; with CI set, it fails them loudly.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.support.live import WorkerProcess, _test_database_url, _wait_until_idle, require_services


@pytest.fixture(scope="session")
def real_services(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        require_services()


@pytest.fixture(scope="session")
def celery_worker_process(real_services):
    """A live worker for the session, on its own queue, pointed at the test database."""
    queue = f"test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    worker = WorkerProcess(queue=queue, database_url=_test_database_url())
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def live_worker(celery_worker_process, transactional_db, settings):
    """Per test: data is committed (the worker reads it) and tasks go through Redis to the live worker.

    In-process (eager) tasks come back after the test, so tests that run later in this process are unaffected.
    """
    from config.celery import app

    app.set_current()
    assert app.conf.broker_url == settings.CELERY_BROKER_URL, "the test process must publish to the project broker"
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.task_default_queue = celery_worker_process.queue
    try:
        yield celery_worker_process
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous
        _wait_until_idle(celery_worker_process)
