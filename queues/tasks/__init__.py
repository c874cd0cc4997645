"""Celery tasks of the queues app, one module per area (Celery autodiscovers this package)."""

from queues.tasks.alerts import *  # noqa: F403
from queues.tasks.estimates import *  # noqa: F403
from queues.tasks.reports import *  # noqa: F403
