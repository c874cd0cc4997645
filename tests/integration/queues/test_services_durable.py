"""Report ingest and alert subscription are outermost transactions (``durable=True``): what they store is committed
when they return, and what they leave for after commit runs then. A caller that wraps either in its own
transaction is refused at once, before anything is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from queues import webhooks
from queues.models import AlertSubscription, Report
from queues.services import alerts
from queues.services.reports import report_batch_ingest
from tests.factories import DriverFactory
from tests.support.partner import issue_key
from tests.support.reports import report

pytestmark = pytest.mark.django_db(transaction=True)
URL = "https://hooks.example.com/kezek"


@pytest.fixture(autouse=True)
def _public_dns(monkeypatch):
    monkeypatch.setattr(webhooks, "resolve_host", lambda host, port: ["93.184.216.34"])


def test_a_report_batch_commits_on_its_own():
    item = report()

    results = report_batch_ingest(driver=DriverFactory(), items=[item], received_at=datetime.now(tz=UTC))

    assert not connection.in_atomic_block
    assert [result["status"] for result in results] == ["created"]
    assert Report.objects.filter(pk=item["id"]).exists()


def test_a_report_batch_inside_a_callers_transaction_is_refused_before_anything_is_stored():
    driver = DriverFactory()

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        report_batch_ingest(driver=driver, items=[report()], received_at=datetime.now(tz=UTC))

    assert not Report.objects.exists()


def test_an_alert_subscription_commits_on_its_own():
    key, _raw = issue_key()

    subscription = alerts.alert_subscription_create(
        key=key, crossing="syrym-mashtakovo", direction="KZ-RU", above_minutes=180, url=URL
    )

    assert not connection.in_atomic_block
    assert AlertSubscription.objects.filter(pk=subscription.pk, key=key).exists()


def test_an_alert_subscription_inside_a_callers_transaction_is_refused_before_anything_is_stored():
    key, _raw = issue_key()

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        alerts.alert_subscription_create(
            key=key, crossing="syrym-mashtakovo", direction="KZ-RU", above_minutes=180, url=URL
        )

    assert not AlertSubscription.objects.exists()
