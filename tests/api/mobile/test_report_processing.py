"""What follows a report's ingest, after commit: processing into visits (idempotent), the sweep that catches up
on lost tasks, and a request that stores reports whatever the broker's state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError as BrokerUnavailable

from queues.models import Report, Visit
from queues.selectors import estimates as estimate_selectors
from queues.services import reports as services
from queues.services.reports import report_batch_ingest, reports_process, reports_process_sweep
from queues.tasks import estimates as estimate_tasks
from queues.tasks import reports as report_tasks
from tests.support.reports import after_commit, report

pytestmark = pytest.mark.django_db

RECEIVED_AT = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
T0 = RECEIVED_AT - timedelta(hours=6)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def a_visit() -> list[dict]:
    return [
        report(kind="joined", observed_at=at(0), position=300),
        report(kind="position", observed_at=at(60), position=250),
        report(kind="position", observed_at=at(120), position=900),  # a jump: flagged by processing
        report(kind="crossed", observed_at=at(300)),
    ]


def ingest_without_processing(driver, items) -> list[dict]:
    """Ingest whose after-commit work is lost (a test transaction never commits: nothing is sent)."""
    return report_batch_ingest(driver=driver, items=items, received_at=RECEIVED_AT)


def visits_of(driver) -> list[tuple]:
    return list(
        Visit.objects.filter(driver=driver)
        .order_by("joined_at")
        .values_list("pk", "status", "joined_at", "crossed_at", "last_report_at")
    )


def report_state(driver) -> dict:
    return {
        str(pk): (visit_id, tuple(flags))
        for pk, visit_id, flags in Report.objects.filter(driver=driver).values_list("pk", "visit_id", "flags")
    }


@pytest.fixture
def broker_down(monkeypatch):
    """Every publish fails as it does when Redis is unreachable."""
    failing = mock.Mock(side_effect=BrokerUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused."))
    monkeypatch.setattr(report_tasks.reports_process, "apply_async", failing)
    monkeypatch.setattr(estimate_tasks.estimate_refresh, "apply_async", failing)
    return failing


@pytest.fixture
def processing_sent(monkeypatch, driver):
    """The processing task's publishing, recorded instead of sent; the driver's pending flag is cleared after."""
    recorder = mock.Mock()
    monkeypatch.setattr(report_tasks.reports_process, "apply_async", recorder)
    yield recorder
    cache.delete(services.reports_process_pending_key(driver.pk))


# --- the request stores, processing follows ---------------------------------------------------------------------
def test_ingest_answers_and_stores_the_reports_unprocessed(driver):
    items = a_visit()

    results = ingest_without_processing(driver, items)

    assert [result["status"] for result in results] == ["created"] * 4
    assert Report.objects.filter(driver=driver, processed_at__isnull=True).count() == 4
    assert visits_of(driver) == []


def test_a_new_batch_is_stored_by_one_statement(driver):
    items = a_visit()

    with CaptureQueriesContext(connection) as queries:
        ingest_without_processing(driver, items)

    statements = [q["sql"] for q in queries.captured_queries if "queues_report" in q["sql"]]
    assert len(statements) == 1
    assert statements[0].startswith("INSERT INTO")
    assert "ON CONFLICT" in statements[0]


def test_a_resent_batch_costs_the_insert_and_one_read(driver):
    items = a_visit()
    ingest_without_processing(driver, items)

    with CaptureQueriesContext(connection) as queries:
        results = ingest_without_processing(driver, items)

    statements = [q["sql"] for q in queries.captured_queries if "queues_report" in q["sql"]]
    assert [result["status"] for result in results] == ["duplicate"] * 4
    assert [sql.split()[0] for sql in statements] == ["INSERT", "SELECT"]


def test_after_commit_the_driver_sees_the_visit_with_its_flags(driver):
    items = a_visit()

    with after_commit():
        ingest_without_processing(driver, items)

    [(_, status, joined_at, crossed_at, _)] = visits_of(driver)
    assert (status, joined_at, crossed_at) == ("crossed", at(0), at(300))
    assert Report.objects.get(pk=items[2]["id"]).flags == ["implausible", "position_jump"]
    assert not Report.objects.filter(driver=driver, processed_at__isnull=True).exists()


def test_a_drivers_burst_of_batches_asks_for_processing_once(driver, processing_sent):
    with after_commit():
        ingest_without_processing(driver, a_visit()[:2])
    with after_commit():
        ingest_without_processing(driver, a_visit()[2:])

    processing_sent.assert_called_once_with(
        kwargs={"driver_id": driver.pk}, countdown=services.PROCESS_COALESCE_SECONDS, expires=None
    )


# --- processing ---------------------------------------------------------------------------------------------------
def test_processing_twice_gives_the_same_visits_and_flags(driver):
    ingest_without_processing(driver, a_visit())

    first_count = reports_process(driver_id=driver.pk, as_of=RECEIVED_AT)
    visits, reports = visits_of(driver), report_state(driver)
    second_count = reports_process(driver_id=driver.pk, as_of=RECEIVED_AT + timedelta(minutes=1))

    assert (first_count, second_count) == (4, 0)
    assert len(visits) == 1
    assert visits_of(driver) == visits
    assert report_state(driver) == reports


def test_processing_in_several_runs_gives_the_visits_of_one_run(driver, other_driver):
    items = a_visit()
    ingest_without_processing(driver, items)
    reports_process(driver_id=driver.pk, as_of=RECEIVED_AT)
    twin = [dict(item, id=str(uuid.uuid4())) for item in items]
    for item in reversed(twin):  # the other driver's phone sends the same visit one report at a time, backwards
        ingest_without_processing(other_driver, [item])
        reports_process(driver_id=other_driver.pk, as_of=RECEIVED_AT)

    def shape(visits):
        return [visit[1:] for visit in visits]

    assert shape(visits_of(other_driver)) == shape(visits_of(driver))
    assert sorted(flags for _, flags in report_state(other_driver).values()) == sorted(
        flags for _, flags in report_state(driver).values()
    )


def test_processing_a_crossed_report_records_its_stay_events_once(driver, monkeypatch):
    calls = []
    monkeypatch.setattr(services.stay_services, "stay_crossing_record", lambda **kwargs: calls.append(kwargs))
    items = a_visit()
    ingest_without_processing(driver, items)

    reports_process(driver_id=driver.pk, as_of=RECEIVED_AT)
    reports_process(driver_id=driver.pk, as_of=RECEIVED_AT)

    assert [str(call["report_id"]) for call in calls] == [items[3]["id"]]
    assert calls[0]["crossed_at"] == at(300)


def test_processing_that_flags_a_report_asks_for_the_estimate_again(driver, monkeypatch):
    calls = []
    monkeypatch.setattr(services.estimation, "estimate_refresh_request", lambda **kwargs: calls.append(kwargs))
    ingest_without_processing(driver, a_visit())
    calls.clear()

    reports_process(driver_id=driver.pk, as_of=RECEIVED_AT)

    assert calls == [{"queue_ids": [Report.objects.filter(driver=driver).first().queue_id]}]


def test_unprocessed_reports_count_for_the_estimate(driver):
    items = a_visit()[:2]
    ingest_without_processing(driver, items)
    queue_id = Report.objects.filter(driver=driver).first().queue_id

    samples = estimate_selectors.estimate_samples_list(queue_id=queue_id, as_of=RECEIVED_AT)

    assert len(samples) == 2


# --- the sweep and the broker -------------------------------------------------------------------------------------
def test_the_sweep_processes_reports_whose_task_was_lost(driver, other_driver):
    ingest_without_processing(driver, a_visit())
    ingest_without_processing(other_driver, a_visit()[:1])

    sent = reports_process_sweep(as_of=RECEIVED_AT + timedelta(minutes=1))

    assert sent == 2
    assert [visit[1] for visit in visits_of(driver)] == ["crossed"]
    assert [visit[1] for visit in visits_of(other_driver)] == ["open"]
    assert not Report.objects.filter(processed_at__isnull=True).exists()


def test_the_sweep_leaves_just_received_reports_to_their_own_task(driver):
    ingest_without_processing(driver, a_visit())

    sent = reports_process_sweep(as_of=RECEIVED_AT + timedelta(seconds=5))

    assert sent == 0
    assert visits_of(driver) == []


def test_with_the_broker_down_the_request_stores_the_reports_and_the_sweep_processes_them_later(
    driver, driver_client, broker_down, monkeypatch
):
    items = a_visit()

    with after_commit():
        response = driver_client.post("/api/v1/reports", {"reports": items}, format="json")

    assert response.status_code == 200
    assert [result["status"] for result in response.json()["results"]] == ["created"] * 4
    assert broker_down.called
    assert Report.objects.filter(driver=driver, processed_at__isnull=True).count() == 4
    assert visits_of(driver) == []
    assert not cache.get(services.reports_process_pending_key(driver.pk))  # the next batch will try again

    monkeypatch.undo()  # the broker is back
    reports_process_sweep(as_of=datetime.now(tz=UTC) + timedelta(minutes=1))

    assert [visit[1] for visit in visits_of(driver)] == ["crossed"]
    assert not Report.objects.filter(driver=driver, processed_at__isnull=True).exists()


def test_the_sweep_task_runs_the_sweep(driver):
    ingest_without_processing(driver, a_visit())

    report_tasks.reports_process_sweep.apply()  # received an hour ago: long past the sweep's age

    assert [visit[1] for visit in visits_of(driver)] == ["crossed"]


def test_without_returning_rows_from_an_insert_ingest_classifies_alike(driver, other_driver, monkeypatch):
    # SQLite before 3.35 has no INSERT ... RETURNING; ingest then reads what is stored before inserting.
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    mine, theirs = report(observed_at=at(10), position=10), report(observed_at=at(10), position=20)
    ingest_without_processing(other_driver, [theirs])
    ingest_without_processing(driver, [mine])

    results = ingest_without_processing(
        driver, [mine, dict(mine, position=11), theirs, report(observed_at=at(20), position=30)]
    )

    assert [result["status"] for result in results] == ["duplicate", "conflict", "rejected", "created"]
    assert Report.objects.filter(driver=driver).count() == 2
