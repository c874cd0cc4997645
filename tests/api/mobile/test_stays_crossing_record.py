"""stay_crossing_record: the stay events a ``crossed`` crowd report records (called by the report ingest)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from queues.models import Queue, Report
from stays import services
from stays.models import StayEvent
from tests.factories import DriverFactory

pytestmark = pytest.mark.django_db


def crossed(driver, direction: str, on: date) -> list[StayEvent]:
    origin, destination = direction.split("-")
    queue = Queue.objects.filter(from_country=origin, to_country=destination).select_related("crossing").first()
    at = datetime(on.year, on.month, on.day, 12, tzinfo=UTC)
    report = Report.objects.create(
        driver=driver, queue=queue, kind="crossed", observed_at=at, received_at=at, content_hash="x"
    )
    return services.stay_crossing_record(
        driver=driver, report_id=report.pk, crossing_id=queue.crossing_id, from_country=origin,
        to_country=destination, crossed_on=on,
    )  # fmt: skip


def test_a_kazakh_driver_crossing_into_russia_records_only_the_entry_into_russia(driver):
    events = crossed(driver, "KZ-RU", date(2025, 5, 1))

    assert [(str(event.country), event.kind, event.source) for event in events] == [("RU", "entry", "report")]
    assert events[0].crossing is not None


def test_a_kyrgyz_driver_records_the_exit_from_kazakhstan_and_the_entry_into_russia(carrier):
    kyrgyz = DriverFactory(carrier=carrier, citizenship="KG")
    crossed(kyrgyz, "RU-KZ", date(2025, 4, 1))  # entered Kazakhstan (no Russian entry known: exit skipped)

    events = crossed(kyrgyz, "KZ-RU", date(2025, 5, 1))

    assert [(str(event.country), event.kind) for event in events] == [("KZ", "exit"), ("RU", "entry")]


def test_the_same_report_recorded_twice_stores_its_events_once(driver):
    origin_queue = Queue.objects.filter(from_country="KZ", to_country="RU").first()
    at = datetime(2025, 5, 1, 12, tzinfo=UTC)
    report = Report.objects.create(
        driver=driver, queue=origin_queue, kind="crossed", observed_at=at, received_at=at, content_hash="x"
    )
    arguments = {
        "driver": driver, "report_id": report.pk, "crossing_id": origin_queue.crossing_id, "from_country": "KZ",
        "to_country": "RU", "crossed_on": date(2025, 5, 1),
    }  # fmt: skip

    first = services.stay_crossing_record(**arguments)
    second = services.stay_crossing_record(**arguments)

    assert len(first) == 1
    assert second == []
    assert StayEvent.objects.filter(report=report).count() == 1


def test_an_inconsistent_crossing_is_skipped_without_raising(driver):
    crossed(driver, "KZ-RU", date(2025, 5, 1))

    again = crossed(driver, "KZ-RU", date(2025, 5, 3))  # a second entry without an exit between

    assert again == []
    assert StayEvent.objects.filter(driver=driver).count() == 1


def test_an_exit_from_russia_without_a_known_entry_is_skipped(driver):
    assert crossed(driver, "RU-KZ", date(2025, 5, 1)) == []


def test_a_round_trip_closes_the_stay(driver):
    crossed(driver, "KZ-RU", date(2025, 5, 1))

    events = crossed(driver, "RU-KZ", date(2025, 5, 9))

    assert [(str(event.country), event.kind, event.date) for event in events] == [("RU", "exit", date(2025, 5, 9))]


def test_a_crossing_after_midnight_on_one_side_is_dated_by_each_country_own_calendar(db):
    from datetime import UTC, date, datetime

    from queues.models import Crossing
    from stays.models import StayEvent
    from stays.services import stay_crossing_record
    from tests.factories import DriverFactory

    driver = DriverFactory(citizenship="UZ")  # rules apply on both sides: KZ (other visa-free) and RU
    crossing = Crossing.objects.get(slug="sharbakty-kulunda")  # Pavlodar UTC+5, Altai Krai UTC+7
    crossed_at = datetime(2026, 3, 31, 18, 30, tzinfo=UTC)
    stay_crossing_record(
        driver=driver,
        report_id=None,
        crossing_id=crossing.pk,
        from_country="KZ",
        to_country="RU",
        crossed_at=crossed_at,
    )
    stay_events = {event.country: event.date for event in StayEvent.objects.filter(driver=driver)}

    assert stay_events.get("RU") == date(2026, 4, 1)


def test_a_crossed_report_after_local_midnight_records_the_entry_on_the_local_date(
    driver_client, driver, django_capture_on_commit_callbacks
):
    import uuid
    from datetime import UTC, datetime, time, timedelta

    from django.utils import timezone

    from stays.models import StayEvent

    driver.citizenship = "UZ"
    driver.save(update_fields=["citizenship"])
    yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)
    # 19:30 UTC is 00:30 in Pavlodar (UTC+5) and 02:30 in Altai Krai (UTC+7): already the next day in Russia.
    crossed_at = datetime.combine(yesterday, time(19, 30), tzinfo=UTC)
    report = {
        "id": str(uuid.uuid4()),
        "crossing": "sharbakty-kulunda",
        "direction": "KZ-RU",
        "kind": "crossed",
        "observed_at": crossed_at.isoformat(),
        "waited_minutes": 300,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = driver_client.post("/api/v1/reports", {"reports": [report]}, format="json")

    assert response.status_code == 200
    entry = StayEvent.objects.get(driver=driver, country="RU", kind="entry")
    assert entry.date == yesterday + timedelta(days=1)
