"""POST /api/v1/reports: batch ingest as the contract says."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from queues.models import Crossing, Queue, Report, Visit
from queues.services import reports as services
from queues.services.reports import report_batch_ingest
from tests.support.reports import (
    CHECKPOINT_CROSSING,
    CHECKPOINT_LAT,
    CHECKPOINT_LON,
    CROSSING,
    CROSSING_LAT,
    CROSSING_LON,
    after_commit,
    report,
)
from tests.support.signin import set_rates

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports"


def post(client, reports, **extra):
    return client.post(URL, {"reports": reports}, format="json", **extra)


def statuses(response) -> list[str]:
    return [result["status"] for result in response.json()["results"]]


# --- created, duplicate, conflict -------------------------------------------------------------------------------
def test_a_valid_report_is_created_and_stored_for_the_driver(driver_client, driver):
    item = report(kind="joined", position=120, distance_m=2400, waited_minutes=0)

    response = post(driver_client, [item])

    assert response.status_code == 200
    assert response.json() == {"results": [{"id": item["id"], "status": "created"}]}
    stored = Report.objects.get(pk=item["id"])
    assert stored.driver == driver
    assert stored.queue.direction == "KZ-RU"
    assert stored.queue.crossing.slug == CROSSING
    assert (stored.kind, stored.position, stored.distance_m, stored.waited_minutes) == ("joined", 120, 2400, 0)


def test_a_resent_report_is_a_duplicate_and_stores_nothing_new(driver_client):
    item = report(position=80)
    post(driver_client, [item])

    response = post(driver_client, [item])

    assert statuses(response) == ["duplicate"]
    assert Report.objects.count() == 1


def test_a_resend_with_observed_at_in_another_offset_is_still_a_duplicate(driver):
    received_at = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    item = report(observed_at=datetime(2026, 1, 1, tzinfo=UTC), position=80)
    resent = {**item, "observed_at": "2026-01-01T05:00:00+05:00", "id": item["id"].upper()}

    first = report_batch_ingest(driver=driver, items=[item], received_at=received_at)
    second = report_batch_ingest(driver=driver, items=[resent], received_at=received_at)

    assert [r["status"] for r in first + second] == ["created", "duplicate"]


def test_a_report_resent_after_it_became_too_old_is_still_a_duplicate(driver):
    item = report(observed_at=datetime(2026, 1, 1, tzinfo=UTC), position=80)
    report_batch_ingest(driver=driver, items=[item], received_at=datetime(2026, 1, 1, 0, 5, tzinfo=UTC))

    results = report_batch_ingest(driver=driver, items=[item], received_at=datetime(2026, 1, 20, tzinfo=UTC))

    assert [r["status"] for r in results] == ["duplicate"]


def test_the_same_id_with_other_content_is_a_conflict_and_keeps_the_stored_report(driver_client):
    item = report(position=80)
    post(driver_client, [item])

    response = post(driver_client, [{**item, "position": 79}])

    assert statuses(response) == ["conflict"]
    assert Report.objects.get(pk=item["id"]).position == 80


def test_one_id_twice_in_a_batch_is_created_then_duplicate_or_conflict(driver_client):
    item = report(position=50)

    response = post(driver_client, [item, item, {**item, "position": 49}])

    assert statuses(response) == ["created", "duplicate", "conflict"]
    assert Report.objects.count() == 1


def test_an_id_of_another_driver_is_refused_like_an_invalid_id_and_reveals_nothing(driver_client, other_driver_client):
    item = report(position=80)
    post(other_driver_client, [item])

    same_content = post(driver_client, [item]).json()["results"][0]
    other_content = post(driver_client, [{**item, "position": 3}]).json()["results"][0]
    invalid = post(driver_client, [{**item, "id": "not-a-uuid"}]).json()["results"][0]

    assert same_content["status"] == other_content["status"] == "rejected"
    assert same_content["errors"] == other_content["errors"] == invalid["errors"]
    assert Report.objects.get(pk=item["id"]).position == 80
    assert Report.objects.count() == 1


@pytest.mark.parametrize("invalid", [{"kind": "teleported"}, {"position": -4}, {"observed_at": "yesterday"}])
def test_an_invalid_item_with_another_drivers_id_answers_like_one_with_a_fresh_id(
    driver_client, other_driver_client, invalid
):
    taken = report(position=10)
    post(other_driver_client, [taken])
    fresh = report(position=10)

    with_taken = post(driver_client, [{**taken, **invalid}]).json()["results"][0]
    with_fresh = post(driver_client, [{**fresh, **invalid}]).json()["results"][0]

    assert with_taken["status"] == with_fresh["status"] == "rejected"
    assert with_taken["errors"] == with_fresh["errors"]
    assert "id" not in with_taken["errors"]


def test_a_bad_item_never_stops_the_good_ones(driver_client):
    good_before, good_after = report(position=10), report(position=9)
    bad = report(kind="teleported")

    response = post(driver_client, [good_before, bad, good_after])

    assert statuses(response) == ["created", "rejected", "created"]
    assert set(Report.objects.values_list("id", flat=True)) == {
        uuid.UUID(good_before["id"]),
        uuid.UUID(good_after["id"]),
    }


def test_an_empty_batch_answers_no_results(driver_client):
    response = post(driver_client, [])

    assert response.status_code == 200
    assert response.json() == {"results": []}


# --- rejection rules ----------------------------------------------------------------------------------------------
NOW = datetime.now(tz=UTC)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": 12345}, "id"),
        ({"crossing": "atlantis-avalon"}, "crossing"),
        ({"crossing": None}, "crossing"),
        ({"direction": "KZ-CN"}, "direction"),
        ({"direction": "kz-ru"}, "direction"),
        ({"kind": "teleported"}, "kind"),
        ({"kind": None}, "kind"),
        ({"observed_at": "yesterday"}, "observed_at"),
        ({"observed_at": "2026-11-21T09:30:00"}, "observed_at"),  # no offset
        ({"observed_at": (NOW + timedelta(minutes=6)).isoformat()}, "observed_at"),
        ({"observed_at": (NOW - timedelta(days=7, minutes=1)).isoformat()}, "observed_at"),
        ({"position": -1}, "position"),
        ({"position": 20_001}, "position"),
        ({"position": True}, "position"),
        ({"position": 3.5}, "position"),
        ({"position": "12"}, "position"),
        ({"distance_m": -5}, "distance_m"),
        ({"distance_m": 200_001}, "distance_m"),
        ({"waited_minutes": -1}, "waited_minutes"),
        ({"waited_minutes": 14 * 24 * 60 + 1}, "waited_minutes"),
        ({"lat": 91.0, "lon": CROSSING_LON}, "lat"),
        ({"lat": CROSSING_LAT, "lon": 181.0}, "lon"),
        ({"lat": "50.8", "lon": CROSSING_LON}, "lat"),
        ({"lat": CROSSING_LAT}, "lon"),  # lat without lon
        ({"lon": CROSSING_LON}, "lat"),  # lon without lat
        ({"lat": CROSSING_LAT + 1.0, "lon": CROSSING_LON}, "lat"),  # ~111 km from an estimate pin
    ],
)
def test_an_invalid_field_is_rejected_with_its_error_under_the_field_name(driver_client, fields, field):
    with time_machine.travel(NOW, tick=True):  # the cases are dated from NOW, taken when the module loaded
        response = post(driver_client, [report(**fields)])

    result = response.json()["results"][0]
    assert response.status_code == 200
    assert result["status"] == "rejected"
    assert field in result["errors"]
    assert all(isinstance(message, str) for message in result["errors"][field])
    assert Report.objects.count() == 0


def test_a_report_on_an_inactive_crossing_is_rejected(driver_client):
    crossing = Crossing.objects.get(slug=CROSSING)
    crossing.active = False
    crossing.save()

    response = post(driver_client, [report()])

    assert response.json()["results"][0]["errors"].keys() == {"crossing"}


def test_a_checkpoint_crossing_refuses_a_report_ten_km_away_that_a_settlement_would_take(driver_client):
    ten_km_north = CHECKPOINT_LAT + 0.09

    response = post(
        driver_client,
        [report(crossing=CHECKPOINT_CROSSING, direction="KZ-CN", lat=ten_km_north, lon=CHECKPOINT_LON)],
    )

    assert response.json()["results"][0]["errors"].keys() == {"lat"}


def test_errors_follow_accept_language(driver_client):
    response = post(driver_client, [report(kind="teleported")], HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    assert response.json()["results"][0]["errors"]["kind"]


# --- the body's shape -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        [report()],
        "reports",
        {"reports": "all of them"},
        {"reports": {"0": report()}},
        {"items": [report()]},
        {"reports": [report() for _ in range(101)]},
    ],
)
def test_a_body_of_the_wrong_shape_is_a_400_and_stores_nothing(driver_client, body):
    response = driver_client.post(URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"
    assert "reports" in response.json()["errors"]
    assert Report.objects.count() == 0


@pytest.mark.parametrize("bad_item", ["not an object", [{"id": "x"}], 42, None, True])
def test_an_item_that_is_not_an_object_is_rejected_alone_and_the_good_ones_are_stored(driver_client, bad_item):
    good = [report(position=90), report(position=80)]

    response = driver_client.post(
        URL, json.dumps({"reports": [good[0], bad_item, good[1]]}), content_type="application/json"
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["created", "rejected", "created"]
    assert results[1]["id"] is None
    assert list(results[1]["errors"]) == ["report"]
    assert "errors" not in results[0]
    assert set(Report.objects.values_list("id", flat=True)) == {uuid.UUID(item["id"]) for item in good}


def test_a_body_that_is_not_json_is_a_400_problem(driver_client):
    response = driver_client.post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_body_over_the_size_limit_is_a_413_problem(driver_client):
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = driver_client.post(URL, json.dumps({"reports": [], "padding": padding}), content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    assert Report.objects.count() == 0


def test_a_batch_of_one_hundred_reports_is_accepted(driver_client):
    start = datetime.now(tz=UTC) - timedelta(hours=3)
    items = [report(observed_at=start + timedelta(minutes=i), position=500 - i) for i in range(100)]

    response = post(driver_client, items)

    assert statuses(response) == ["created"] * 100
    assert Report.objects.count() == 100


def test_reports_need_a_signed_in_driver(api_client):
    response = post(api_client, [report()])

    assert response.status_code == 401
    assert Report.objects.count() == 0


# --- what ingest sets off ---------------------------------------------------------------------------------------
def test_a_crossed_report_records_the_crossing_through_the_stays_service(
    driver_client, driver, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(services.stay_services, "stay_crossing_record", lambda **kwargs: calls.append(kwargs))
    observed = datetime.now(tz=UTC) - timedelta(minutes=2)
    crossed = report(kind="crossed", observed_at=observed)

    with django_capture_on_commit_callbacks(execute=True):
        post(driver_client, [report(kind="joined", observed_at=observed - timedelta(hours=5)), crossed])
    with django_capture_on_commit_callbacks(execute=True):
        post(driver_client, [crossed])  # a resend records nothing again

    queue = Queue.objects.get(crossing__slug=CROSSING, from_country="KZ")
    assert calls == [
        {
            "driver": driver,
            "report_id": uuid.UUID(crossed["id"]),
            "crossing_id": queue.crossing_id,
            "from_country": "KZ",
            "to_country": "RU",
            "crossed_at": observed,
        }
    ]


def test_ingest_asks_once_for_the_estimates_of_the_touched_queues(
    driver_client, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(services.estimation, "estimate_refresh_sends", lambda **kwargs: calls.append(kwargs) or [])

    with django_capture_on_commit_callbacks(execute=True):
        post(driver_client, [report(direction="KZ-RU"), report(direction="RU-KZ"), report(direction="KZ-RU")])

    expected = sorted(Queue.objects.filter(crossing__slug=CROSSING).values_list("id", flat=True))
    assert calls == [{"queue_ids": expected}]


def test_a_batch_with_nothing_new_asks_for_no_refresh(driver_client, monkeypatch, django_capture_on_commit_callbacks):
    item = report()
    post(driver_client, [item])
    calls = []
    monkeypatch.setattr(services.estimation, "estimate_refresh_sends", lambda **kwargs: calls.append(kwargs) or [])

    with django_capture_on_commit_callbacks(execute=True):
        post(driver_client, [item, report(kind="bogus")])

    assert calls == []


def test_the_after_commit_flags_of_an_ingest_are_set_in_one_round_trip(
    driver_client, monkeypatch, django_capture_on_commit_callbacks
):
    from core import tasks

    cache.clear()
    rounds = []
    original = tasks.cache_add_many
    monkeypatch.setattr(tasks, "cache_add_many", lambda flags: rounds.append(sorted(flags)) or original(flags))

    with django_capture_on_commit_callbacks(execute=True):
        post(driver_client, [report(direction="KZ-RU"), report(direction="RU-KZ")])

    assert len(rounds) == 1
    assert len(rounds[0]) == 3  # the driver's processing and both queues' refreshes
    cache.clear()


# --- throttling ---------------------------------------------------------------------------------------------------
def test_report_batches_are_throttled_per_driver_with_retry_after(driver_client, other_driver_client, settings):
    cache.clear()
    set_rates(settings, reports="2/minute")

    answers = [post(driver_client, [report()]).status_code for _ in range(3)]
    throttled = post(driver_client, [report()])
    other = post(other_driver_client, [report()])

    assert answers == [200, 200, 429]
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) >= 1
    assert other.status_code == 200
    cache.clear()


# --- the property: any number of resends, in any order ------------------------------------------------------------
@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    size=st.integers(min_value=1, max_value=8),
    orders=st.lists(st.randoms(use_true_random=False), min_size=1, max_size=4),
)
def test_ingesting_a_batch_any_number_of_times_in_any_order_stores_each_report_once(driver, size, orders):
    start = datetime.now(tz=UTC) - timedelta(hours=2)
    batch = [report(observed_at=start + timedelta(minutes=7 * i), position=200 - i) for i in range(size)]
    ids = {uuid.UUID(item["id"]) for item in batch}

    with after_commit():
        first = report_batch_ingest(driver=driver, items=batch, received_at=datetime.now(tz=UTC))
    resends = []
    for rng in orders:
        shuffled = list(batch)
        rng.shuffle(shuffled)
        with after_commit():
            resends.append(report_batch_ingest(driver=driver, items=shuffled, received_at=datetime.now(tz=UTC)))

    assert [r["status"] for r in first] == ["created"] * size
    assert all(r["status"] == "duplicate" for results in resends for r in results)
    assert Report.objects.filter(id__in=ids).count() == size
    visit_ids = set(Report.objects.filter(id__in=ids).values_list("visit_id", flat=True))
    assert len(visit_ids) == 1
    assert Visit.objects.filter(pk__in=visit_ids).count() == 1


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["2026-11-21T11:50:00Z", "9999-12-31T23:59:59-05:00", CROSSING, "KZ-RU", "crossed"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=st.lists(
        st.fixed_dictionaries(
            {},
            optional=dict.fromkeys(
                (
                    "id",
                    "crossing",
                    "direction",
                    "kind",
                    "observed_at",
                    "position",
                    "distance_m",
                    "waited_minutes",
                    "lat",
                    "lon",
                ),
                JSON_VALUES,
            ),
        ),
        max_size=5,
    )
)
def test_any_json_items_get_a_result_each_and_never_a_server_error(driver, items):
    results = report_batch_ingest(driver=driver, items=items, received_at=datetime.now(tz=UTC))

    assert len(results) == len(items)
    assert all(r["status"] in {"created", "rejected"} for r in results)
    assert all(r["errors"] for r in results if r["status"] == "rejected")
