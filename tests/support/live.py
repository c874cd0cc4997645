"""Helpers for the tests against real services (tests/live): PostgreSQL (DATABASE_URL), Redis (REDIS_URL), a live
Celery worker.

Outside CI a missing service skips these tests; with CI set, it fails them loudly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _missing_services() -> list[str]:
    missing = []
    if connection.vendor != "postgresql":
        missing.append("PostgreSQL (set DATABASE_URL)")
    if not settings.REDIS_URL:
        missing.append("Redis (set REDIS_URL)")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
        except redis.RedisError:
            missing.append(f"Redis at {settings.REDIS_URL}")
    return missing


def require_services() -> None:
    missing = _missing_services()
    if not missing:
        return
    message = "integration services missing: " + ", ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set: the integration suite must run against real services)")
    pytest.skip(message)


def _test_database_url() -> str:
    params = connection.settings_dict
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = params.get("HOST") or "127.0.0.1"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{params['NAME']}"


class WorkerProcess:
    """A ``celery worker`` subprocess on its own queue, pointed at the test database."""

    def __init__(self, queue: str, database_url: str) -> None:
        self.queue = queue
        self.database_url = database_url
        self.nodename = f"kezek-test-{queue}@localhost"
        self.log_path = PROJECT_DIR / "var" / f"worker-{queue}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        from config.celery import app

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": self.database_url,
            "CONN_MAX_AGE": "0",
            "CELERY_QUEUE": self.queue,
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.clock_run",  # plain `python -m celery`, on the suite's moved clock if any
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    self.queue,
                    "-n",
                    self.nodename,
                    "--pool=prefork",
                    "--concurrency=1",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                ],
                cwd=PROJECT_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{self.log_path.read_text()[-4000:]}")
            replies = app.control.ping(destination=[self.nodename], timeout=0.5)
            if replies:
                return
        raise RuntimeError(f"celery worker did not answer in {timeout}s:\n{self.log_path.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its pool child), as a crash would."""
        if self.process and self.process.poll() is None:
            subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
            self.process.kill()
            self.process.wait()


def _wait_until_idle(worker: WorkerProcess, timeout: float = 20.0) -> None:
    """Waits until the worker runs, holds and schedules nothing, so no task of this test touches the database
    while the next one flushes it (a TRUNCATE against a running task deadlocks)."""
    from config.celery import app

    inspector = app.control.inspect(destination=[worker.nodename], timeout=1.0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = 0
        for answer in (inspector.active(), inspector.reserved(), inspector.scheduled()):
            busy += sum(len(tasks) for tasks in (answer or {}).values())
        if busy == 0 and app.connection_for_write().default_channel.client.llen(worker.queue) == 0:
            return
        time.sleep(0.2)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Polls ``predicate`` until it returns a truthy value; fails the test with a clear message otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")
