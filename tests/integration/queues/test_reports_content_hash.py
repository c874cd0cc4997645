"""A report's content hash is keyed with the server's secret: the stored hash cannot be tested against guessed
coordinates, nobody sees it in the admin, and reports stored before keying are still recognised when resent."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.test import Client

from queues.domain.reports import report_content_hash, report_content_hash_keyed
from queues.models import Report
from queues.services.reports import report_batch_ingest
from tests.support.reports import CROSSING_LAT, CROSSING_LON, after_commit, report

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
keying = importlib.import_module("queues.migrations.0011_report_content_hash_keyed")


def far_report() -> dict:
    """A report flagged far (its coordinates kept for review), at a time an admin filter would show."""
    return report(
        observed_at=NOW - timedelta(minutes=5), position=12, lat=round(CROSSING_LAT + 0.3, 5), lon=CROSSING_LON
    )


def ingest(driver, item) -> str:
    with after_commit():
        return report_batch_ingest(driver=driver, items=[item], received_at=NOW)[0]["status"]


def test_the_stored_hash_is_not_the_plain_digest_of_the_content(driver):
    item = far_report()

    ingest(driver, item)

    stored = Report.objects.get(pk=item["id"]).content_hash
    assert stored != report_content_hash(item)
    assert len(stored) == 64


def test_the_stored_hash_is_the_keyed_digest(driver, settings):
    settings.REPORT_HASH_KEY = "a key of this deployment"
    item = far_report()

    ingest(driver, item)

    stored = Report.objects.get(pk=item["id"]).content_hash
    assert stored == report_content_hash_keyed(report_content_hash(item), key="a key of this deployment")
    assert stored != report_content_hash_keyed(report_content_hash(item), key="another key")


def test_a_resend_is_still_a_duplicate_and_a_changed_one_a_conflict(driver):
    item = far_report()
    ingest(driver, item)

    assert ingest(driver, item) == "duplicate"
    assert ingest(driver, {**item, "position": 13}) == "conflict"


def test_a_report_stored_before_keying_is_a_duplicate_when_retried_after(driver):
    item = far_report()
    ingest(driver, item)
    Report.objects.filter(pk=item["id"]).update(content_hash=report_content_hash(item))  # as stored before

    keying.key_the_hashes(apps, None)

    assert ingest(driver, item) == "duplicate"
    assert ingest(driver, {**item, "position": 13}) == "conflict"


def test_the_plain_digest_no_longer_recovers_coordinates(driver):
    """The attack: try coordinates around the crossing until the SHA-256 of the report matches the stored hash."""
    item = far_report()
    ingest(driver, item)
    stored = Report.objects.get(pk=item["id"]).content_hash

    guesses = {report_content_hash({**item, "lat": round(CROSSING_LAT + step / 10, 5)}) for step in range(-5, 6)}

    assert report_content_hash(item) in guesses
    assert stored not in guesses


@pytest.mark.parametrize("superuser", [False, True])
def test_nobody_sees_the_hash_in_the_admin(driver, dispatcher, django_user_model, superuser):
    item = far_report()
    ingest(driver, item)
    stored = Report.objects.get(pk=item["id"])
    user = (
        django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-1")
        if superuser
        else dispatcher.user
    )
    client = Client()
    client.force_login(user)

    page = client.get(f"/admin/queues/report/{stored.pk}/change/")
    listing = client.get("/admin/queues/report/")

    assert page.status_code == 200
    for response in (page, listing):
        content = response.content.decode()
        assert stored.content_hash not in content
        assert "content_hash" not in content
        assert "content hash" not in content.lower()
