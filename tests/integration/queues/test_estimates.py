"""The estimate services and tasks: what a refresh reads and stores, how requests are coalesced, the sweep."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.db import OperationalError, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from kombu.exceptions import OperationalError as BrokerError

from queues.domain.estimator import SAMPLE_WINDOW
from queues.models import Estimate, EstimatePoint, Queue
from queues.payloads import estimate_as_dict
from queues.selectors import estimates as estimate_selectors
from queues.services import estimates as estimation
from queues.tasks import estimates as estimate_tasks
from tests.factories import DriverFactory
from tests.support.estimates import RecordingEstimator, report_store, transparent_estimate

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 11, 20, 12, 7, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """A private local-memory cache: pending flags never leak between tests or into a shared Redis."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "estimates"}}
    cache.clear()


@pytest.fixture
def estimator(monkeypatch) -> RecordingEstimator:
    recording = RecordingEstimator()
    monkeypatch.setattr(estimation, "estimate_wait", recording)
    return recording


@pytest.fixture
def queue() -> Queue:
    return Queue.objects.select_related("crossing").order_by("pk").first()


@pytest.fixture
def other_queue(queue) -> Queue:
    return Queue.objects.exclude(pk=queue.pk).order_by("pk").first()


@pytest.fixture
def drivers():
    return DriverFactory.create_batch(3)


def reports_from(drivers, queue, *, observed_at=AS_OF - timedelta(minutes=20)):
    return [report_store(driver=driver, queue=queue, observed_at=observed_at) for driver in drivers]


# --- the sample selector --------------------------------------------------------------------------------------------


def test_samples_are_the_trusted_reports_of_trusted_drivers_received_by_as_of_within_the_window(queue, other_queue):
    reporter, doubted, banned = DriverFactory.create_batch(3)
    banned.trusted = False
    banned.save()
    kept = report_store(driver=reporter, queue=queue, observed_at=AS_OF - timedelta(hours=1))
    report_store(driver=doubted, queue=queue, observed_at=AS_OF - timedelta(hours=1), trusted=False)
    report_store(driver=banned, queue=queue, observed_at=AS_OF - timedelta(hours=1))
    report_store(driver=reporter, queue=queue, observed_at=AS_OF - SAMPLE_WINDOW - timedelta(minutes=1))
    report_store(
        driver=reporter,
        queue=queue,
        observed_at=AS_OF - timedelta(minutes=5),
        received_at=AS_OF + timedelta(seconds=1),
    )
    report_store(driver=reporter, queue=other_queue, observed_at=AS_OF - timedelta(hours=1))

    samples = estimate_selectors.estimate_samples_list(queue_id=queue.pk, as_of=AS_OF)

    assert [(sample.driver_id, sample.observed_at) for sample in samples] == [(str(reporter.pk), kept.observed_at)]


def test_a_report_observed_long_ago_but_received_late_counts_while_its_observation_is_in_the_window(queue, driver):
    late = report_store(
        driver=driver, queue=queue, observed_at=AS_OF - timedelta(hours=5), received_at=AS_OF - timedelta(minutes=1)
    )

    samples = estimate_selectors.estimate_samples_list(queue_id=queue.pk, as_of=AS_OF)

    assert [(sample.observed_at, sample.received_at) for sample in samples] == [(late.observed_at, late.received_at)]


def test_sample_weight_is_the_drivers_reliability_and_ingest_flags_mark_it_suspect(queue):
    steady = DriverFactory(reliability=0.8)
    report_store(driver=steady, queue=queue, observed_at=AS_OF - timedelta(minutes=30), flags=["burst"])
    report_store(driver=steady, queue=queue, observed_at=AS_OF - timedelta(minutes=10))

    samples = estimate_selectors.estimate_samples_list(queue_id=queue.pk, as_of=AS_OF)

    assert [(sample.weight, sample.flagged) for sample in samples] == [(0.8, True), (0.8, False)]


def test_samples_are_read_in_one_query(queue, drivers, django_assert_num_queries):
    for driver in drivers:
        reports_from([driver] * 4, queue)

    with django_assert_num_queries(1):
        samples = estimate_selectors.estimate_samples_list(queue_id=queue.pk, as_of=AS_OF)

    assert len(samples) == 12


# --- estimate_refresh -----------------------------------------------------------------------------------------------


def test_refresh_from_three_drivers_stores_a_published_estimate_and_a_history_point(queue, drivers, estimator):
    reports_from(drivers, queue)

    estimate = estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)

    assert estimate == Estimate.objects.get(queue=queue)
    assert estimate_as_dict(estimate) == {
        "wait_minutes": 30,
        "low_minutes": 25,
        "high_minutes": 35,
        "queue_length": 40,
        "throughput_per_hour": 12.5,
        "reports": 3,
        "drivers": 3,
        "computed_at": "2026-11-20T12:07:30Z",
        "data_until": "2026-11-20T11:47:30Z",
        "stale": False,
        "confidence": "high",
    }
    point = EstimatePoint.objects.get(queue=queue)
    assert (point.at, point.wait_minutes, point.low_minutes, point.high_minutes, point.drivers, point.published) == (
        datetime(2026, 11, 20, 12, 5, tzinfo=UTC),
        30,
        25,
        35,
        3,
        True,
    )


def test_refresh_passes_the_crossings_vehicle_spacing_to_the_estimator(queue, drivers, estimator, monkeypatch):
    seen = []
    monkeypatch.setattr(
        estimation,
        "estimate_wait",
        lambda *, samples, as_of, queue=None: seen.append(queue) or transparent_estimate(samples=samples, as_of=as_of),
    )
    queue.crossing.vehicle_spacing_m = 23.5
    queue.crossing.save()
    reports_from(drivers, queue)

    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)

    assert [params.vehicle_spacing_m for params in seen] == [23.5]


def test_refresh_from_two_drivers_stores_an_estimate_that_is_not_published(queue, drivers, estimator):
    reports_from(drivers[:2], queue)

    estimate = estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)

    assert (estimate.drivers, estimate.published) == (2, False)
    assert estimate_as_dict(estimate) is None
    assert EstimatePoint.objects.get(queue=queue).published is False


def test_refresh_run_twice_for_the_same_moment_changes_nothing(queue, drivers, estimator):
    reports_from(drivers, queue)
    first = estimate_as_dict(estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF))

    second = estimate_as_dict(estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF))

    assert second == first
    assert Estimate.objects.filter(queue=queue).count() == 1
    assert EstimatePoint.objects.filter(queue=queue).count() == 1


def test_refreshes_within_one_tick_update_its_point_and_the_next_tick_adds_one(queue, drivers, estimator):
    reports_from(drivers, queue)
    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)
    report_store(driver=drivers[0], queue=queue, observed_at=AS_OF)

    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF + timedelta(minutes=1))
    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF + timedelta(minutes=3))

    assert list(EstimatePoint.objects.filter(queue=queue).values_list("at", "wait_minutes")) == [
        (datetime(2026, 11, 20, 12, 5, tzinfo=UTC), 40),
        (datetime(2026, 11, 20, 12, 10, tzinfo=UTC), 40),
    ]


def test_a_late_refresh_for_an_earlier_moment_never_replaces_a_newer_estimate(queue, drivers, estimator):
    reports_from(drivers, queue)
    report_store(driver=drivers[0], queue=queue, observed_at=AS_OF)
    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF + timedelta(minutes=5))

    kept = estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF - timedelta(minutes=1))

    assert (kept.computed_at, kept.wait_minutes) == (AS_OF + timedelta(minutes=5), 40)
    assert Estimate.objects.get(queue=queue).wait_minutes == 40


def test_when_no_report_is_left_the_last_estimate_is_kept_stale_and_unpublished(queue, drivers, estimator):
    reports_from(drivers, queue)
    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)
    later = AS_OF + SAMPLE_WINDOW + timedelta(hours=1)

    estimate = estimation.estimate_refresh(queue_id=queue.pk, as_of=later)

    assert (estimate.wait_minutes, estimate.computed_at, estimate.stale, estimate.published) == (30, AS_OF, True, False)
    assert estimate_as_dict(estimate) is None
    assert EstimatePoint.objects.filter(queue=queue).count() == 1


def test_a_queue_never_reported_on_gets_no_estimate(queue, estimator):
    assert estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF) is None
    assert not Estimate.objects.filter(queue=queue).exists()


def test_a_refresh_of_a_queue_that_no_longer_exists_does_nothing(estimator):
    assert estimation.estimate_refresh(queue_id=10**9, as_of=AS_OF) is None


def test_alerts_are_evaluated_with_the_stored_estimate(queue, drivers, estimator, monkeypatch):
    evaluated = []
    monkeypatch.setattr(
        "queues.services.alerts.alerts_evaluate",
        lambda *, queue_id, estimate, as_of: evaluated.append((queue_id, estimate.wait_minutes, as_of)) or 0,
    )
    reports_from(drivers, queue)

    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)

    assert evaluated == [(queue.pk, 30, AS_OF)]


def test_a_failing_alert_evaluation_does_not_lose_the_estimate(queue, drivers, estimator, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("alerts broke")

    monkeypatch.setattr("queues.services.alerts.alerts_evaluate", broken)
    reports_from(drivers, queue)

    with caplog.at_level(logging.ERROR, logger="queues.services.estimates"):
        estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)

    assert Estimate.objects.get(queue=queue).published is True
    assert "alert evaluation failed" in caplog.text


# --- estimate_refresh_request: after commit, coalesced, never failing ---------------------------------------------


@pytest.fixture
def sent(monkeypatch) -> mock.Mock:
    """The refresh task's publishing, recorded instead of sent."""
    recorder = mock.Mock()
    monkeypatch.setattr(estimate_tasks.estimate_refresh, "apply_async", recorder)
    return recorder


def test_a_refresh_is_requested_only_once_the_transaction_commits(queue, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        estimation.estimate_refresh_request(queue_ids=[queue.pk])
        assert sent.call_count == 0

    assert len(callbacks) == 1
    sent.assert_called_once_with(
        kwargs={"queue_id": queue.pk}, countdown=estimation.REFRESH_COALESCE_SECONDS, expires=None
    )


def test_a_rolled_back_transaction_requests_nothing(queue, sent, django_capture_on_commit_callbacks):
    def ingest_that_fails():
        with transaction.atomic():
            estimation.estimate_refresh_request(queue_ids=[queue.pk])
            raise RuntimeError("ingest failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        ingest_that_fails()

    assert callbacks == []
    assert sent.call_count == 0


def test_a_burst_of_requests_sends_one_task_per_queue(queue, other_queue, sent, django_capture_on_commit_callbacks):
    for _ in range(1000):
        with django_capture_on_commit_callbacks(execute=True):
            estimation.estimate_refresh_request(queue_ids=[queue.pk, other_queue.pk, queue.pk])

    assert sorted(call.kwargs["kwargs"]["queue_id"] for call in sent.call_args_list) == sorted(
        [queue.pk, other_queue.pk]
    )


def test_reports_arriving_once_the_refresh_started_ask_for_another(
    queue, sent, estimator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        estimation.estimate_refresh_request(queue_ids=[queue.pk])
    estimation.estimate_refresh_pending(queue_id=queue.pk, as_of=AS_OF)

    with django_capture_on_commit_callbacks(execute=True):
        estimation.estimate_refresh_request(queue_ids=[queue.pk])

    assert sent.call_count == 2


def test_a_broker_that_is_down_is_logged_and_the_request_still_succeeds(
    queue, sent, caplog, django_capture_on_commit_callbacks
):
    sent.side_effect = BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with caplog.at_level(logging.WARNING, logger="queues.services.estimates"):
        with django_capture_on_commit_callbacks(execute=True):
            estimation.estimate_refresh_request(queue_ids=[queue.pk])
        with django_capture_on_commit_callbacks(execute=True):
            estimation.estimate_refresh_request(queue_ids=[queue.pk])

    assert "estimate refresh not sent; the sweep will catch up" in caplog.text
    assert sent.call_count == 2  # the flag was dropped, so the next report tried again


def test_in_process_tasks_refresh_synchronously_after_commit(
    queue, drivers, estimator, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(AS_OF, tick=False)  # the task reads the clock: keep the reports inside its window
    reports_from(drivers, queue)

    with django_capture_on_commit_callbacks(execute=True):
        estimation.estimate_refresh_request(queue_ids=[queue.pk])

    assert estimate_as_dict(Estimate.objects.get(queue=queue))["drivers"] == 3


def test_a_failing_in_process_refresh_never_reaches_the_request(
    queue, drivers, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise ValueError("estimator broke")

    monkeypatch.setattr(estimation, "estimate_wait", broken)
    reports_from(drivers, queue)

    with (
        caplog.at_level(logging.WARNING, logger="queues.services.estimates"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        estimation.estimate_refresh_request(queue_ids=[queue.pk])

    assert not Estimate.objects.filter(queue=queue).exists()
    assert "the sweep will catch up" in caplog.text


# --- estimate_sweep and retention ---------------------------------------------------------------------------------


def test_the_sweep_refreshes_each_queue_with_reports_or_a_shown_estimate_by_id(queue, drivers, sent):
    queues = list(Queue.objects.order_by("pk")[:5])
    reports_from(drivers[:1], queues[0])
    report_store(driver=drivers[0], queue=queues[1], observed_at=AS_OF - timedelta(hours=2), trusted=False)
    estimate_fields = {
        "wait_minutes": 9,
        "low_minutes": 5,
        "high_minutes": 15,
        "computed_at": AS_OF - timedelta(days=2),
    }
    Estimate.objects.create(queue=queues[2], published=True, **estimate_fields)
    Estimate.objects.create(queue=queues[3], published=False, stale=True, **estimate_fields)

    sent_count = estimation.estimate_sweep(as_of=AS_OF)

    assert sent_count == 2
    assert [call.kwargs["kwargs"] for call in sent.call_args_list] == [
        {"queue_id": queues[0].pk, "as_of": "2026-11-20T12:07:30+00:00"},
        {"queue_id": queues[2].pk, "as_of": "2026-11-20T12:07:30+00:00"},
    ]
    assert {call.kwargs["expires"] for call in sent.call_args_list} == {estimation.SWEEP_TASK_EXPIRES_SECONDS}


def test_the_sweep_makes_an_estimate_whose_reports_aged_out_stale(queue, drivers, estimator):
    reports_from(drivers, queue)
    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)

    estimation.estimate_sweep(as_of=AS_OF + SAMPLE_WINDOW + timedelta(minutes=30))

    assert Estimate.objects.get(queue=queue).published is False


def test_history_points_older_than_400_days_are_purged(queue):
    point_fields = {"wait_minutes": 9, "low_minutes": 5, "high_minutes": 15}
    EstimatePoint.objects.create(queue=queue, at=AS_OF - timedelta(days=401), **point_fields)
    kept = EstimatePoint.objects.create(queue=queue, at=AS_OF - timedelta(days=399), **point_fields)

    assert estimation.estimate_points_purge(as_of=AS_OF) == 1
    assert list(EstimatePoint.objects.values_list("pk", flat=True)) == [kept.pk]


# --- the tasks ----------------------------------------------------------------------------------------------------


def test_the_refresh_task_takes_an_iso_as_of_and_clears_the_pending_flag(queue, drivers, estimator):
    reports_from(drivers, queue)
    cache.add(estimation.estimate_refresh_pending_key(queue.pk), 1)

    estimate_tasks.estimate_refresh.apply(kwargs={"queue_id": queue.pk, "as_of": "2026-11-20T12:07:30Z"})

    assert Estimate.objects.get(queue=queue).computed_at == AS_OF
    assert cache.get(estimation.estimate_refresh_pending_key(queue.pk)) is None


def test_the_refresh_task_without_as_of_uses_the_time_it_runs(queue, estimator):
    before = datetime.now(tz=UTC)

    estimate_tasks.estimate_refresh.apply(kwargs={"queue_id": queue.pk, "unknown_future_argument": 1})

    assert [as_of >= before for _, as_of in estimator.calls] == [True]


def test_the_refresh_task_refuses_a_naive_as_of(queue, estimator):
    with pytest.raises(ValueError, match="UTC offset"):
        estimate_tasks.estimate_refresh.apply(kwargs={"queue_id": queue.pk, "as_of": "2026-11-20T12:07:30"})

    assert estimator.calls == []


def test_the_refresh_task_retries_a_transient_database_error(queue, monkeypatch):
    def disconnected(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(estimation, "estimate_refresh_pending", disconnected)

    with pytest.raises(Retry):
        estimate_tasks.estimate_refresh.apply(kwargs={"queue_id": queue.pk})


def test_the_refresh_task_does_not_retry_other_errors(queue, monkeypatch):
    def broken(**kwargs):
        raise ValueError("estimator broke")

    monkeypatch.setattr(estimation, "estimate_refresh_pending", broken)

    with pytest.raises(ValueError, match="estimator broke"):
        estimate_tasks.estimate_refresh.apply(kwargs={"queue_id": queue.pk})


def test_the_tasks_are_named_idempotent_and_bounded():
    refresh, sweep, purge = (
        estimate_tasks.estimate_refresh,
        estimate_tasks.estimate_sweep,
        estimate_tasks.estimate_points_purge,
    )

    assert (refresh.name, sweep.name, purge.name) == (
        "queues.estimate_refresh",
        "queues.estimate_sweep",
        "queues.estimate_points_purge",
    )
    assert all(task.ignore_result and task.time_limit and task.soft_time_limit for task in (refresh, sweep, purge))
    assert refresh.acks_late is True
    assert refresh.autoretry_for == (OperationalError,)


def test_the_beat_schedules_the_sweep_every_minute_and_the_purge_daily(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["estimate-sweep"]["task"] == "queues.estimate_sweep"
    assert schedule["estimate-sweep"]["schedule"] == timedelta(minutes=1)
    assert schedule["estimate-points-purge"]["task"] == "queues.estimate_points_purge"


# --- invariants -----------------------------------------------------------------------------------------------------


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(6)), repeats=st.lists(st.integers(min_value=0, max_value=5), max_size=4))
def test_whatever_order_refreshes_run_in_the_stored_estimate_is_that_of_the_latest_moment(
    queue, drivers, estimator, order, repeats
):
    Estimate.objects.filter(queue=queue).delete()
    EstimatePoint.objects.filter(queue=queue).delete()
    if not queue.reports.exists():
        for minutes in range(6):
            report_store(driver=drivers[minutes % 3], queue=queue, observed_at=AS_OF + timedelta(minutes=minutes))
    moments = [AS_OF + timedelta(minutes=minutes, seconds=30) for minutes in range(6)]

    for index in [*order, *repeats]:
        estimation.estimate_refresh(queue_id=queue.pk, as_of=moments[index])

    estimate = Estimate.objects.get(queue=queue)
    assert (estimate.computed_at, estimate.reports) == (moments[-1], 6)
    assert EstimatePoint.objects.get(queue=queue, at=datetime(2026, 11, 20, 12, 10, tzinfo=UTC)).wait_minutes == 60
