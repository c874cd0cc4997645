"""Only aggregates leave through the partner API: no driver, phone, position, plate or carrier, anywhere."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from queues.models import Report, Visit
from queues.services.alerts import alert_delivery_attempt, alerts_evaluate
from tests.factories import CarrierFactory, DriverFactory
from tests.support.partner import (
    BASE,
    NOW,
    add_point,
    publish_estimate,
    queue_of,
)

pytestmark = pytest.mark.django_db

SECRETS = {
    "phone": "+77019998877",
    "phone_digits": "7019998877",
    "name": "Zhanibek Qwertyuiop",
    "plate": "777QWE02",
    "carrier": "Hushhush Freight LLP",
    "lat": "51.987654",
    "lon": "50.123456",
    "username": "driver-qwertyuiop",
}


@pytest.fixture
def private_world():
    """Three drivers with distinctive personal data, their reports and visits, and a published estimate."""
    carrier = CarrierFactory(name=SECRETS["carrier"])
    queue = queue_of()
    drivers = [
        DriverFactory(
            carrier=carrier,
            phone=f"{SECRETS['phone'][:-1]}{index}",
            name=f"{SECRETS['name']} {index}",
            vehicle_plate=SECRETS["plate"],
            user__username=f"{SECRETS['username']}-{index}",
        )
        for index in range(3)
    ]
    for index, driver in enumerate(drivers):
        visit = Visit.objects.create(
            driver=driver, queue=queue, joined_at=NOW - timedelta(hours=3), last_report_at=NOW - timedelta(minutes=5)
        )
        Report.objects.create(
            id=uuid.uuid4(),
            driver=driver,
            queue=queue,
            visit=visit,
            kind="position",
            observed_at=NOW - timedelta(minutes=5),
            received_at=NOW - timedelta(minutes=4),
            position=40 + index,
            lat=float(SECRETS["lat"]),
            lon=float(SECRETS["lon"]),
            content_hash="x" * 64,
        )
    estimate = publish_estimate(queue, wait=240, drivers=3)
    add_point(queue, NOW - timedelta(minutes=30), 230, drivers=3)
    return queue, estimate


def _assert_private_data_absent(text: str) -> None:
    leaked = {label: value for label, value in SECRETS.items() if value in text}
    assert leaked == {}


def test_no_partner_endpoint_reveals_a_drivers_data(partner_client, private_world, receiver):
    queue, estimate = private_world
    created = partner_client.post(
        f"{BASE}/alerts",
        data=json.dumps(
            {"crossing": "syrym-mashtakovo", "direction": "KZ-RU", "above_minutes": 60, "url": receiver.url}
        ),
        content_type="application/json",
    )
    window = {"since": (NOW - timedelta(days=1)).isoformat(), "until": (NOW + timedelta(hours=1)).isoformat()}
    responses = [
        created,
        partner_client.get(f"{BASE}/crossings", {"limit": 500}),
        partner_client.get(f"{BASE}/crossings/syrym-mashtakovo/estimate", {"direction": "KZ-RU"}),
        partner_client.get(f"{BASE}/crossings/syrym-mashtakovo/history", {"direction": "KZ-RU", **window}),
        partner_client.get(f"{BASE}/crossings/syrym-mashtakovo/history", {"direction": "KZ-RU", "interval": "15m"}),
        partner_client.get(f"{BASE}/alerts"),
        partner_client.get(f"{BASE}/openapi.json"),
    ]
    alerts_evaluate(queue_id=queue.pk, estimate=estimate, as_of=NOW)
    from queues.models import AlertDelivery

    alert_delivery_attempt(delivery_id=str(AlertDelivery.objects.get().pk), as_of=NOW)

    assert [r.status_code for r in responses] == [201, 200, 200, 200, 200, 200, 200]
    assert responses[2].json()["drivers"] == 3  # the aggregate is there ...
    for response in responses:
        _assert_private_data_absent(response.content.decode() + json.dumps(dict(response.items())))
    (webhook,) = receiver.received
    _assert_private_data_absent(webhook.body.decode() + json.dumps(webhook.headers))  # ... and nothing else
