"""The Celery application. Without REDIS_URL, tasks run in-process (eager); with it, Redis is the broker."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("kezek", task_cls="core.tasks:KezekTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _count_tasks() -> None:
    """Task runs, failures, run time and lag go to the Prometheus metrics (core/metrics.py)."""
    from core.metrics import celery_signals_connect

    celery_signals_connect()


_count_tasks()


@setup_logging.connect
def _log_like_django(**kwargs) -> None:
    """Workers and beat write the same JSON lines as the web (task id included, secrets redacted)."""
    from core.logging import configure_celery_logging

    configure_celery_logging(**kwargs)
