"""What ``make run`` prints with nothing configured: no warning a new user has to wonder about. Each check runs the
project's default settings in a subprocess (the suite's own settings differ)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from carriers.models import Notification
from carriers.push import LoggingPushBackend
from core.logging import JsonFormatter

PROJECT_DIR = Path(__file__).resolve().parents[3]


def _run_default_settings(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_", "CELERY_")) and key not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        }
    )
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_system_check_on_sqlite_finds_no_issue(tmp_path):
    # `migrate` runs the database checks, so a warning here is printed by every `make run`.
    result = _run_default_settings(["manage.py", "check", "--database", "default"], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "W040" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_an_in_process_task_logs_nothing_about_the_broker(tmp_path):
    # Without REDIS_URL tasks run in-process, yet Celery takes a producer from the broker pool for each one.
    script = (
        "import django; django.setup()\n"
        "from config.celery import app\n"
        "with app.producer_or_acquire() as producer:\n"
        "    print('producer', producer.connection.hostname)\n"
    )
    result = _run_default_settings(["-c", script], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "producer localhost" in result.stdout
    assert "No hostname" not in result.stdout + result.stderr


def test_each_push_is_one_line_that_names_its_notification_and_audience():
    # A stay alert pushes twice, to the driver and to their dispatchers: two lines that must not read as one
    # push logged twice.
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(JsonFormatter().format(record))
    push_logger = logging.getLogger("carriers.push")
    push_logger.addHandler(handler)
    previous_level = push_logger.level
    push_logger.setLevel(logging.INFO)
    try:
        LoggingPushBackend().send(Notification(pk=7, audience="driver", driver_id=3, kind="stay_risk"))
        LoggingPushBackend().send(Notification(pk=8, audience="dispatcher", carrier_id=5, kind="stay_risk"))
    finally:
        push_logger.removeHandler(handler)
        push_logger.setLevel(previous_level)

    records = [json.loads(line) for line in lines]
    assert [(r["notification_id"], r["audience"]) for r in records] == [(7, "driver"), (8, "dispatcher")]
    assert records[1]["carrier_id"] == 5
