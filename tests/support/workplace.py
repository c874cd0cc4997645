"""Helpers for the workplace tests: signed-in clients and rows the board and dashboard read."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from carriers.models import Carrier, Driver
from queues.models import Queue, Report, Visit
from stays.models import StayStatusSnapshot

RISK_RANKS = {"ok": 0, "watch": 1, "high": 2, "overstay": 3, "listed": 4}
BOARD = "/admin/"
_phone_serial = itertools.count(1)


@pytest.fixture(name="dispatcher_client")
def dispatcher_client_fixture(client, dispatcher):
    dispatcher.language = "en"
    dispatcher.save()
    client.force_login(dispatcher.user)
    return client


@pytest.fixture(name="superuser_client")
def superuser_client_fixture():
    user = get_user_model().objects.create_superuser("root", "root@example.com", "root-pass-1")
    client = Client()
    client.force_login(user)
    return client


def snapshot(
    driver: Driver,
    risk: str,
    *,
    days_left: int,
    country: str = "RU",
    latest_exit: date | None = None,
    in_country: bool = True,
) -> StayStatusSnapshot:
    return StayStatusSnapshot.objects.create(
        driver=driver,
        country=country,
        on=timezone.now().date(),
        in_country=in_country,
        days_used=max(0, 90 - days_left),
        days_left=days_left,
        latest_exit=latest_exit,
        overstay_days=max(0, -days_left),
        risk=risk,
        risk_rank=RISK_RANKS[risk],
        computed_at=timezone.now(),
    )


def queue_at(slug: str, direction: str = "KZ-RU") -> Queue:
    from_country, to_country = direction.split("-")
    return Queue.objects.get(crossing__slug=slug, from_country=from_country, to_country=to_country)


def open_visit(driver: Driver, queue: Queue, *, joined_at: datetime) -> Visit:
    return Visit.objects.create(
        driver=driver, queue=queue, status=Visit.Status.OPEN, joined_at=joined_at, last_report_at=joined_at
    )


def report(driver: Driver, queue: Queue, *, observed_at: datetime) -> Report:
    return Report.objects.create(
        id=uuid.uuid4(),
        driver=driver,
        queue=queue,
        kind="position",
        observed_at=observed_at,
        received_at=observed_at + timedelta(seconds=5),
        content_hash=hashlib.sha256(str(uuid.uuid4()).encode()).hexdigest(),
    )


def many_drivers(carrier: Carrier, count: int, *, prefix: str) -> list[Driver]:
    """``count`` drivers of ``carrier`` made in bulk, each with a stay snapshot, every tenth in a queue and
    every third with a report, so the board has every kind of row to show."""
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"{prefix}-{index}") for index in range(count)]
    )
    drivers = Driver.objects.bulk_create(
        [
            Driver(user=user, phone=f"+7702{next(_phone_serial):07d}", name=f"{prefix} {index}", carrier=carrier)
            for index, user in enumerate(users)
        ]
    )
    drivers = list(Driver.objects.filter(carrier=carrier, name__startswith=prefix))
    now = timezone.now()
    levels = list(RISK_RANKS)
    StayStatusSnapshot.objects.bulk_create(
        [
            StayStatusSnapshot(
                driver=driver,
                country="RU",
                on=now.date(),
                in_country=True,
                days_used=30,
                days_left=60 - index % 70,
                latest_exit=now.date() + timedelta(days=60 - index % 70),
                risk=levels[index % 5],
                risk_rank=index % 5,
                computed_at=now,
            )
            for index, driver in enumerate(drivers)
        ]
    )
    queues = list(Queue.objects.order_by("pk")[:5])
    Visit.objects.bulk_create(
        [
            Visit(
                driver=driver,
                queue=queues[index % len(queues)],
                status=Visit.Status.OPEN,
                joined_at=now - timedelta(hours=3),
                last_report_at=now - timedelta(minutes=20),
            )
            for index, driver in enumerate(drivers)
            if index % 10 == 0
        ]
    )
    Report.objects.bulk_create(
        [
            Report(
                driver=driver,
                queue=queues[0],
                kind="position",
                observed_at=now - timedelta(minutes=index % 60),
                received_at=now - timedelta(minutes=index % 60),
                content_hash=f"{index:064d}",
            )
            for index, driver in enumerate(drivers)
            if index % 3 == 0
        ]
    )
    return drivers
