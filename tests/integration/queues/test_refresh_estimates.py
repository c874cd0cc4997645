"""``manage.py refresh_estimates``: the sweep once, in-process with the embedded default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command

from queues.models import Estimate, Queue
from queues.payloads import estimate_as_dict
from queues.services import estimates as estimation
from tests.factories import DriverFactory
from tests.support.estimates import report_store, transparent_estimate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "command"}}
    cache.clear()


def test_the_command_computes_the_estimates_of_the_queues_reported_on(monkeypatch):
    monkeypatch.setattr(estimation, "estimate_wait", transparent_estimate)
    queue = Queue.objects.order_by("pk").first()
    observed_at = datetime.now(tz=UTC) - timedelta(minutes=30)
    for driver in DriverFactory.create_batch(3):
        report_store(driver=driver, queue=queue, observed_at=observed_at)
    out = StringIO()

    call_command("refresh_estimates", stdout=out)

    assert out.getvalue().strip() == "1 queue estimate refreshes requested"
    assert estimate_as_dict(Estimate.objects.get(queue=queue))["drivers"] == 3
