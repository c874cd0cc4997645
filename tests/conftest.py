"""Fixtures shared by the whole suite.

Unit tests need no database. API and service tests use the embedded default (SQLite) or, in CI, the real
PostgreSQL from DATABASE_URL. The tests against real services (tests/live) add a live Celery worker.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from tests.factories import CarrierFactory, DispatcherFactory, DriverFactory, token_for

# Property tests check rules, not speed (speed is measured in bench/): no per-example deadline and no "too slow"
# health check, so a busy machine (CI with a live worker beside it) cannot turn a correct rule into a failure.
settings.register_profile("kezek", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kezek")

# Fixtures shared by several directories: partner keys and clients, the SMS outbox, workplace sign-ins.
pytest_plugins = ["tests.support.partner", "tests.support.signin", "tests.support.workplace"]

_DB_FIXTURES = (
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
)


@pytest.fixture(autouse=True)
def _seeded_catalogue(request, _django_db_marker):
    """The crossings and stay rules a fresh database has from its data migrations.

    A transactional test (live server, live worker) flushes every table at its end; this puts the shipped
    catalogue back for the tests that run after it.
    """
    from queues.selectors.crossings import queue_catalogue_forget

    queue_catalogue_forget()  # report ingest keeps the catalogue in memory; a rolled-back edit must not linger
    uses_db = request.node.get_closest_marker("django_db") is not None
    for name in _DB_FIXTURES:
        if name in request.fixturenames:
            request.getfixturevalue(name)
            uses_db = True
    if not uses_db:
        return
    from queues.answers import crossing_answers_changed

    # A rolled-back test leaves its crossing answers stored under the current version: retire them.
    crossing_answers_changed()
    from queues.catalogue import load_crossings, schedules_fill
    from queues.models import Crossing, PlannedClosure, Queue

    if not Queue.objects.exists():
        load_crossings(crossing_model=Crossing, queue_model=Queue)
        schedules_fill(crossing_model=Crossing, closure_model=PlannedClosure)
    from stays.models import StayRule
    from stays.seed import stay_rules_seed

    if not StayRule.objects.exists():
        stay_rules_seed(rule_model=StayRule)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def carrier():
    return CarrierFactory(name="Steppe Freight")


@pytest.fixture
def other_carrier():
    return CarrierFactory(name="Irtysh Logistics")


@pytest.fixture
def driver(carrier):
    return DriverFactory(carrier=carrier, phone="+77011234567", name="Aidos")


@pytest.fixture
def other_driver(other_carrier):
    return DriverFactory(carrier=other_carrier, phone="+77017654321", name="Serik")


@pytest.fixture
def driver_client(driver) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(driver)}")
    return client


@pytest.fixture
def other_driver_client(other_driver) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(other_driver)}")
    return client


@pytest.fixture
def dispatcher(carrier):
    dispatcher = DispatcherFactory(carrier=carrier, user__username="dispatcher1", user__is_staff=True)
    dispatcher.user.set_password("dispatch-pass-1")
    dispatcher.user.save()
    return dispatcher


_moved_clock = None


def pytest_configure(config):
    """Runs the whole suite on a clock moved forward when ``KEZEK_TEST_CLOCK_SHIFT_DAYS`` is set.

    CI runs the suite twice, once on today's clock and once a year or more ahead, so a test that leans on the
    date it was written (fixed sample dates against a real clock) fails at once rather than months later. The
    clock moves before collection (module-level "now" moves too) and keeps ticking; tests that freeze or move
    time themselves nest inside it. Servers and workers the suite starts get the same shift (``tests.clock_run``).
    """
    global _moved_clock
    from tests.clock import clock_shift

    _moved_clock = clock_shift()
    _moved_clock.__enter__()


def pytest_unconfigure(config):
    if _moved_clock is not None:
        _moved_clock.__exit__(None, None, None)
