"""The refresh remembers the queue's normal pace, from its stored history, exactly as replay does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from queues.domain.estimator import EstimateResult, QueueParams, estimate_wait, pace_memory_start
from queues.models import EstimatePoint, Queue, Report
from queues.payloads import estimate_as_dict
from queues.selectors import estimates as estimate_selectors
from queues.services import estimates as estimation
from queues.tools.replay import parse_timestamp, replay, sample_from_line
from queues.tools.simulation import scenario_config, simulate_run
from tests.factories import CarrierFactory, DriverFactory
from tests.support.estimates import report_store, transparent_estimate

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 11, 20, 12, 7, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _own_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "memory"}}
    cache.clear()


@pytest.fixture
def queue() -> Queue:
    return Queue.objects.select_related("crossing").order_by("pk").first()


@pytest.fixture
def given_params(monkeypatch) -> list[QueueParams]:
    """The QueueParams each refresh hands the estimator (a transparent estimator with pace level 17.5)."""
    seen: list[QueueParams] = []

    def estimator(*, samples, as_of, queue=None) -> EstimateResult | None:
        seen.append(queue)
        result = transparent_estimate(samples=samples, as_of=as_of)
        return None if result is None else EstimateResult(**{**_fields(result), "pace_level_per_hour": 17.5})

    monkeypatch.setattr(estimation, "estimate_wait", estimator)
    return seen


def _fields(result: EstimateResult) -> dict:
    return {name: getattr(result, name) for name in EstimateResult.__slots__}


def points_store(queue: Queue, paces: dict[datetime, float | None]) -> None:
    EstimatePoint.objects.bulk_create(
        EstimatePoint(queue=queue, at=at, wait_minutes=600, low_minutes=500, high_minutes=700, pace_per_hour=pace)
        for at, pace in paces.items()
    )


def reports_from_three_drivers(queue: Queue) -> None:
    for driver in DriverFactory.create_batch(3):
        report_store(driver=driver, queue=queue, observed_at=AS_OF - timedelta(minutes=20))


def test_a_refresh_stores_the_pace_level_on_its_history_point(queue, given_params):
    reports_from_three_drivers(queue)

    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)

    assert EstimatePoint.objects.get(queue=queue).pace_per_hour == 17.5


def test_with_a_week_of_history_the_refresh_gives_the_estimator_the_queues_normal_pace(queue, given_params):
    week = [AS_OF - timedelta(minutes=5 * step) for step in range(2, 7 * 24 * 12)]
    # Normal hours at 20 an hour, the last 30 hours a slowdown at 5 (an event, left out), some points unknown.
    points_store(queue, {at: (5.0 if at > AS_OF - timedelta(hours=30) else 20.0) for at in week})
    points_store(queue, {AS_OF - timedelta(days=8): 90.0, AS_OF - timedelta(minutes=5): None})
    reports_from_three_drivers(queue)

    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)

    assert [(params.normal_per_hour, params.vehicle_spacing_m) for params in given_params] == [
        (20.0, queue.crossing.vehicle_spacing_m)
    ]


def test_a_new_queue_with_less_than_twelve_hours_of_history_falls_back_to_the_past_days_pace(queue, given_params):
    points_store(queue, {AS_OF - timedelta(hours=hours): 20.0 for hours in range(1, 12)})
    reports_from_three_drivers(queue)

    estimation.estimate_refresh(queue_id=queue.pk, as_of=AS_OF)

    assert [params.normal_per_hour for params in given_params] == [None]


def test_the_memory_is_read_in_one_query_and_leaves_out_the_point_of_the_current_tick(queue, django_assert_num_queries):
    tick = estimate_selectors.estimate_tick(AS_OF)
    points_store(queue, {tick - timedelta(minutes=5 * step): 20.0 + step % 12 for step in range(1, 7 * 24 * 12 + 24)})
    points_store(queue, {tick: 99.0})

    with django_assert_num_queries(1):
        paces = estimate_selectors.estimate_pace_history_list(queue_id=queue.pk, as_of=AS_OF)

    assert len(paces) == 7 * 24
    assert 99.0 not in paces
    assert paces[0] == 20.0 + (tick - pace_memory_start(tick)) // timedelta(minutes=5) % 12


# --- The real estimator over a simulated slowdown -------------------------------------------------------------------

SLOWDOWN = scenario_config(scenario="slowdown", hours=40, seed=3, slowdown_at_hours=26, app_share=0.2)


@pytest.fixture(scope="module")
def slowdown_reports() -> list[dict]:
    return simulate_run(SLOWDOWN).reports


def reports_store(queue: Queue, lines: list[dict]) -> None:
    """The simulated reports as stored reports of fully reliable drivers (what replay assumes: weight 1)."""
    carrier = CarrierFactory()
    drivers = {name: DriverFactory(carrier=carrier) for name in sorted({line["driver"] for line in lines})}
    Report.objects.bulk_create(
        Report(
            id=uuid.UUID(line["id"]),
            driver=drivers[line["driver"]],
            queue=queue,
            kind=line["kind"],
            observed_at=parse_timestamp(line["observed_at"]),
            received_at=parse_timestamp(line["received_at"]),
            position=line.get("position"),
            distance_m=line.get("distance_m"),
            waited_minutes=line.get("waited_minutes"),
            content_hash=line["id"].replace("-", "") * 2,
        )
        for line in lines
    )


def test_during_a_slowdown_the_refresh_forecasts_the_pace_fading_back_to_the_remembered_normal(queue, slowdown_reports):
    as_of = SLOWDOWN.start_at + timedelta(hours=38)
    reports_store(queue, slowdown_reports)
    # A week of history at the simulated border's normal pace.
    points_store(queue, {as_of - timedelta(hours=hours): 20.0 for hours in range(1, 7 * 24)})
    samples = [sample_from_line(line) for line in slowdown_reports]
    spacing = queue.crossing.vehicle_spacing_m

    estimate = estimation.estimate_refresh(queue_id=queue.pk, as_of=as_of)

    # The stored points are the queue's track too (a previous estimate of 600 minutes an hour ago).
    track = estimate_selectors.estimate_track_list(queue_id=queue.pk, as_of=as_of)
    fading = estimate_wait(samples=samples, as_of=as_of, queue=QueueParams(spacing, normal_per_hour=20.0, track=track))
    forgetful = estimate_wait(samples=samples, as_of=as_of, queue=QueueParams(spacing))
    unsmoothed = estimate_wait(samples=samples, as_of=as_of, queue=QueueParams(spacing, normal_per_hour=20.0))
    assert estimate.wait_minutes == fading.wait_minutes
    assert unsmoothed.wait_minutes < forgetful.wait_minutes


def test_the_service_refreshing_tick_by_tick_estimates_exactly_what_replay_does(queue, slowdown_reports):
    reports_store(queue, slowdown_reports)
    replayed = list(
        replay(
            slowdown_reports, every=timedelta(hours=1), spacing_m={SLOWDOWN.crossing: queue.crossing.vehicle_spacing_m}
        )
    )

    served = []
    for line in replayed:
        estimate = estimation.estimate_refresh(queue_id=queue.pk, as_of=parse_timestamp(line["at"]))
        served.append(estimate_as_dict(estimate))

    assert served == [line["estimate"] for line in replayed]
    assert sum(estimate is not None for estimate in served) > len(served) / 2
    # The memory was in play: replay without it differs once a day of paces has been remembered.
    forgetful = replay(
        slowdown_reports,
        every=timedelta(hours=1),
        spacing_m={SLOWDOWN.crossing: queue.crossing.vehicle_spacing_m},
        remember_normal=False,
    )
    assert [line["estimate"] for line in forgetful] != served
    assert EstimatePoint.objects.filter(queue=queue, pace_per_hour__isnull=False).count() >= 12
