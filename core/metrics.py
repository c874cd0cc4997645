"""Prometheus metrics: what a deployment watches, exposed on ``GET /metrics`` when ``METRICS_TOKEN`` is set.

Counted where it happens:
- ``kezek_http_requests_total{route, method, status}`` and ``kezek_http_request_duration_seconds{route, method}``
  (:class:`MetricsMiddleware`): ``route`` is the URL pattern that matched (``api/v1/crossings/<slug:slug>``),
  never the path, so no id, phone or key ever becomes a label; errors are the 5xx statuses;
- ``kezek_reports_ingested_total{status}``: report batch items by result (created, duplicate, conflict, rejected);
- ``kezek_task_runs_total{task, outcome}``, ``kezek_task_duration_seconds{task}`` and ``kezek_task_lag_seconds{task}``
  (time from when a task was due, sent or its countdown over, to when a worker started it), from Celery's signals;
- ``kezek_webhook_deliveries_total{outcome}``: alert delivery attempts (delivered, failed).

Read when scraped (:class:`StateCollector`): ``kezek_celery_queue_length{queue}`` (the Redis broker's list length)
and ``kezek_estimate_age_seconds{queue}`` (age of each border queue's published estimate; ``queue`` is the
crossing slug and direction, public names).

Several processes (gunicorn workers, Celery workers on the same machine) share their counts when
``PROMETHEUS_MULTIPROC_DIR`` names an empty folder that all of them can write, as prometheus_client documents;
gunicorn's ``child_exit`` hook (config/gunicorn.py) marks a dead worker's files. Without it each process counts
alone (fine for one process, e.g. ``make run``).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "kezek_http_requests", "HTTP requests answered, by URL pattern, method and status.", ["route", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "kezek_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL pattern and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REPORTS_INGESTED = Counter("kezek_reports_ingested", "Crowd report batch items, by result.", ["status"])
TASK_RUNS = Counter("kezek_task_runs", "Celery task runs, by task and outcome.", ["task", "outcome"])
TASK_DURATION = Histogram(
    "kezek_task_duration_seconds",
    "Celery task run time, by task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
TASK_LAG = Histogram(
    "kezek_task_lag_seconds",
    "Time from when a Celery task was due to when a worker started it, by task.",
    ["task"],
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
)
WEBHOOK_DELIVERIES = Counter(
    "kezek_webhook_deliveries", "Alert webhook delivery attempts, by outcome (delivered, failed).", ["outcome"]
)

UNMATCHED_ROUTE = "<unmatched>"
SENT_AT_HEADER = "kezek_sent_at"


# --- HTTP ---------------------------------------------------------------------------------------------------------
def request_route(request: HttpRequest) -> str:
    """The URL pattern that matched ``request`` (no value from the path), or ``<unmatched>``."""
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None) if match is not None else None
    return str(route) if route else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Counts and times every request by URL pattern, method and status (first in MIDDLEWARE: it sees the 413s,
    400s and 503s that the others answer)."""

    _METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in self._METHODS else "other"
        route = request_route(request)
        HTTP_REQUESTS.labels(route=route, method=method, status=str(response.status_code)).inc()
        HTTP_LATENCY.labels(route=route, method=method).observe(time.perf_counter() - started)
        return response


# --- Product counts -----------------------------------------------------------------------------------------------
def reports_ingested_count(results: Iterable[dict[str, Any]]) -> None:
    for result in results:
        REPORTS_INGESTED.labels(status=result["status"]).inc()


def webhook_delivery_count(*, delivered: bool) -> None:
    WEBHOOK_DELIVERIES.labels(outcome="delivered" if delivered else "failed").inc()


# --- Celery -------------------------------------------------------------------------------------------------------
def task_lag_seconds(*, sent_at: float | None, eta: Any, started_at: float) -> float | None:
    """Seconds between when a task was due (its ETA if it had one, else when it was sent) and ``started_at``."""
    due = sent_at
    if eta:
        try:
            eta_moment = eta if hasattr(eta, "timestamp") else _parse_iso(str(eta))
            due = max(due or 0.0, eta_moment.timestamp())
        except ValueError:
            pass
    if due is None:
        return None
    return max(started_at - due, 0.0)


def _parse_iso(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


def celery_signals_connect() -> None:
    """Counts task runs, failures, run time and lag (a header carries the time a task was sent)."""
    from celery import signals

    started: dict[str, float] = {}

    @signals.before_task_publish.connect(weak=False)
    def _stamp(headers=None, **kwargs):
        if headers is not None:
            headers.setdefault(SENT_AT_HEADER, time.time())

    @signals.task_prerun.connect(weak=False)
    def _prerun(task_id=None, task=None, **kwargs):
        now = time.time()
        started[task_id] = time.perf_counter()
        request = getattr(task, "request", None)
        if request is None or request.is_eager:
            return
        sent_at = getattr(request, SENT_AT_HEADER, None)
        if sent_at is None and isinstance(getattr(request, "headers", None), dict):
            sent_at = request.headers.get(SENT_AT_HEADER)
        lag = task_lag_seconds(sent_at=float(sent_at) if sent_at else None, eta=request.eta, started_at=now)
        if lag is not None:
            TASK_LAG.labels(task=task.name).observe(lag)

    @signals.task_postrun.connect(weak=False)
    def _postrun(task_id=None, task=None, state=None, **kwargs):
        began = started.pop(task_id, None)
        if began is not None:
            TASK_DURATION.labels(task=task.name).observe(time.perf_counter() - began)
        if state == "SUCCESS":
            TASK_RUNS.labels(task=task.name, outcome="success").inc()

    @signals.task_failure.connect(weak=False)
    def _failure(sender=None, **kwargs):
        TASK_RUNS.labels(task=getattr(sender, "name", "unknown"), outcome="failure").inc()

    @signals.task_retry.connect(weak=False)
    def _retry(sender=None, **kwargs):
        TASK_RUNS.labels(task=getattr(sender, "name", "unknown"), outcome="retry").inc()


# --- Read when scraped --------------------------------------------------------------------------------------------
def broker_queue_names() -> list[str]:
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names)


class StateCollector(Collector):
    """Broker queue lengths (Redis only) and the age of each published estimate, read at each scrape."""

    def describe(self) -> list:
        return []  # nothing is read when it is registered, only when scraped

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._queue_lengths()
        yield from self._estimate_ages()

    def _queue_lengths(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "kezek_celery_queue_length", "Tasks waiting in a Celery queue (Redis broker).", labels=["queue"]
        )
        if settings.REDIS_URL:
            import redis

            try:
                client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
                for name in broker_queue_names():
                    family.add_metric([name], float(client.llen(name)))
            except redis.RedisError:
                logger.warning("metrics: the broker's queue lengths could not be read", exc_info=True)
        yield family

    def _estimate_ages(self) -> Iterator[GaugeMetricFamily]:
        from queues.models import Estimate

        family = GaugeMetricFamily(
            "kezek_estimate_age_seconds",
            "Seconds since the published estimate of a border queue was computed.",
            labels=["queue"],
        )
        now = timezone.now()
        rows = Estimate.objects.filter(published=True).values_list(
            "queue__crossing__slug", "queue__from_country", "queue__to_country", "computed_at"
        )
        for slug, origin, destination, computed_at in rows:
            family.add_metric([f"{slug} {origin}-{destination}"], max((now - computed_at).total_seconds(), 0.0))
        yield family


STATE_COLLECTOR = StateCollector()
REGISTRY.register(STATE_COLLECTOR)


def metrics_registry() -> CollectorRegistry:
    """This process's registry, or (``PROMETHEUS_MULTIPROC_DIR`` set) one that reads every process's files; both
    with the state read at scrape time."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(STATE_COLLECTOR)
    return registry


def metrics_authorized(request: HttpRequest, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and bool(given) and secrets.compare_digest(given.strip(), token)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics``: 404 while ``METRICS_TOKEN`` is unset, 401 without ``Authorization: Bearer <token>``."""
    from core.errors import problem_response

    token = settings.METRICS_TOKEN
    if not token:
        return problem_response(404, "not_found", _("Not found."))
    if not metrics_authorized(request, token):
        return problem_response(
            401,
            "not_authenticated",
            _("Send the metrics token as Authorization: Bearer <token>."),
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
