"""A threshold crossing is delivered by the live worker to a receiver on 127.0.0.1, signed, and logged."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.utils import timezone

from queues.domain.partner import signature_v2_verify, signature_verify
from queues.models import AlertDelivery
from queues.services.alerts import alert_subscription_create, alerts_evaluate
from queues.tasks.alerts import alert_deliveries_sweep
from tests.support.live import wait_for
from tests.support.partner import issue_key, publish_estimate, queue_of

pytestmark = pytest.mark.integration


def test_live_worker_delivers_a_signed_webhook_to_a_local_receiver(live_worker, receiver):
    key, _raw = issue_key()
    subscription = alert_subscription_create(
        key=key, crossing="syrym-mashtakovo", direction="KZ-RU", above_minutes=120, url=receiver.url
    )
    estimate = publish_estimate(queue_of(), wait=200, computed_at=timezone.now())

    with transaction.atomic():
        created = alerts_evaluate(queue_id=subscription.queue_id, estimate=estimate, as_of=timezone.now())

    assert created == 1
    delivery = wait_for(lambda: AlertDelivery.objects.filter(status=AlertDelivery.Status.DELIVERED).first(), timeout=60)
    (request,) = receiver.received
    assert signature_verify(secret=subscription.secret, body=request.body, header=request.headers["X-Kezek-Signature"])
    assert signature_v2_verify(
        secret=subscription.secret,
        body=request.body,
        header=request.headers["X-Kezek-Signature-V2"],
        now=int(timezone.now().timestamp()),
    )
    assert json.loads(request.body)["event"] == "threshold.above"
    assert delivery.attempts == 1
    assert delivery.attempt_log[0]["status_code"] == 200
    assert "queues.alert_deliver" in live_worker.log_path.read_text()


def test_live_worker_retries_a_failed_delivery_through_the_sweep(live_worker, receiver):
    receiver.statuses = [500, 200]
    key, _raw = issue_key()
    subscription = alert_subscription_create(
        key=key, crossing="syrym-mashtakovo", direction="KZ-RU", above_minutes=120, url=receiver.url
    )
    estimate = publish_estimate(queue_of(), wait=200, computed_at=timezone.now())
    with transaction.atomic():
        alerts_evaluate(queue_id=subscription.queue_id, estimate=estimate, as_of=timezone.now())
    delivery = wait_for(lambda: AlertDelivery.objects.filter(attempts=1).first(), timeout=60)
    assert delivery.status == AlertDelivery.Status.PENDING
    # The backoff is 30 s: make the retry due now rather than wait for it.
    AlertDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())

    alert_deliveries_sweep.delay()

    wait_for(lambda: AlertDelivery.objects.filter(pk=delivery.pk, status=AlertDelivery.Status.DELIVERED).exists())
    assert [r.headers["X-Kezek-Delivery"] for r in receiver.received] == [str(delivery.pk)] * 2
