"""The pure report rules: field validation, the content hash, visit grouping and plausibility flags."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queues.domain.reports import (
    HARD_RADIUS_KM,
    QueueRef,
    VisitReport,
    haversine_km,
    report_content_hash,
    report_flags,
    report_validate,
    visits_group,
)

RECEIVED_AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
QUEUE = QueueRef(
    queue_id=1,
    crossing_id=1,
    crossing_slug="bakhty-baketu",
    from_country="KZ",
    to_country="CN",
    lat=46.683333,
    lon=82.8,
    coord_kind="checkpoint",
)
QUEUES = {("bakhty-baketu", "KZ-CN"): QUEUE}
SLUGS = frozenset({"bakhty-baketu"})


def item(**fields):
    body = {
        "id": "6f1c1b0e-8a53-4a4e-9d83-1f0f6c1b2a10",
        "crossing": "bakhty-baketu",
        "direction": "KZ-CN",
        "kind": "position",
        "observed_at": "2026-11-21T11:50:00Z",
    }
    body.update(fields)
    return body


def validate(**fields):
    return report_validate(item(**fields), queues=QUEUES, crossing_slugs=SLUGS, received_at=RECEIVED_AT)


def test_a_complete_report_is_valid_and_normalised():
    valid, errors = validate(position=12, distance_m=240, waited_minutes=95, lat=46.69, lon=82.8)

    assert errors == {}
    assert valid.id == uuid.UUID("6f1c1b0e-8a53-4a4e-9d83-1f0f6c1b2a10")
    assert valid.queue is QUEUE
    assert valid.observed_at == datetime(2026, 11, 21, 11, 50, tzinfo=UTC)
    assert (valid.position, valid.distance_m, valid.waited_minutes) == (12, 240, 95)
    assert valid.km_from_crossing == pytest.approx(0.74, abs=0.05)
    assert not valid.far


def test_observed_at_exactly_five_minutes_ahead_or_seven_days_old_is_still_valid():
    _, errors_ahead = validate(observed_at="2026-11-21T12:05:00Z")
    _, errors_old = validate(observed_at="2026-11-14T12:00:00Z")

    assert errors_ahead == errors_old == {}


@pytest.mark.parametrize(
    ("observed_at", "rejected"),
    [
        ("2026-11-21T12:05:01Z", True),
        ("2026-11-14T11:59:59Z", True),
        ("2026-11-21T17:00:00+05:00", False),  # 12:00 UTC
        ("2026-11-21T17:06:00+05:00", True),
        ("2026-11-21 11:00:00", True),
        ("2026-02-30T10:00:00Z", True),
        ("", True),
        (1732180000, True),
        ("9999-12-31T23:59:59-05:00", True),  # beyond the last representable UTC moment
        ("0001-01-01T00:00:00+05:00", True),
        ("2026-W47", True),
    ],
)
def test_observed_at_must_be_aware_and_within_the_window(observed_at, rejected):
    _, errors = validate(observed_at=observed_at)

    assert ("observed_at" in errors) is rejected


@pytest.mark.parametrize("field", ["position", "distance_m", "waited_minutes"])
@pytest.mark.parametrize("value", [-1, True, False, 1.0, "3", [], {"n": 1}])
def test_counts_must_be_non_negative_whole_numbers(field, value):
    _, errors = validate(**{field: value})

    assert list(errors) == [field]


@pytest.mark.parametrize(
    ("field", "maximum"), [("position", 20_000), ("distance_m", 200_000), ("waited_minutes", 20160)]
)
def test_counts_have_sane_maxima(field, maximum):
    _, at_max = validate(**{field: maximum})
    _, over = validate(**{field: maximum + 1})

    assert at_max == {}
    assert list(over) == [field]


@pytest.mark.parametrize(
    ("coord_kind", "km_ok", "km_refused"),
    [("checkpoint", 4.5, 5.5), ("settlement", 39, 41), ("estimate", 59, 61)],
)
def test_the_distance_tolerance_follows_how_sure_the_coordinate_is(coord_kind, km_ok, km_refused):
    queue = QueueRef(
        queue_id=1,
        crossing_id=1,
        crossing_slug="bakhty-baketu",
        from_country="KZ",
        to_country="CN",
        lat=46.683333,
        lon=82.8,
        coord_kind=coord_kind,
    )
    degrees_per_km = 1 / 111.195

    def check(km):
        return report_validate(
            item(lat=46.683333 + km * degrees_per_km, lon=82.8),
            queues={("bakhty-baketu", "KZ-CN"): queue},
            crossing_slugs=SLUGS,
            received_at=RECEIVED_AT,
        )[1]

    assert check(km_ok) == {}
    assert list(check(km_refused)) == ["lat"]
    assert HARD_RADIUS_KM[coord_kind] < km_refused


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lat": 90.5, "lon": 82.8}, "lat"),
        ({"lat": 46.7, "lon": -180.5}, "lon"),
        ({"lat": float("nan"), "lon": 82.8}, "lat"),
        ({"lat": True, "lon": 82.8}, "lat"),
        ({"lat": 46.7}, "lon"),
        ({"lon": 82.8}, "lat"),
    ],
)
def test_coordinates_must_be_on_the_globe_and_come_in_pairs(fields, field):
    _, errors = validate(**fields)

    assert field in errors


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"crossing": "atlantis-avalon"}, "crossing"),
        ({"crossing": ["bakhty-baketu"]}, "crossing"),
        ({"direction": "CN-KZ-RU"}, "direction"),
        ({"direction": 7}, "direction"),
        ({"kind": "JOINED"}, "kind"),
        ({"id": "6f1c1b0e"}, "id"),
        ({"id": None}, "id"),
    ],
)
def test_identity_fields_must_name_something_real(fields, field):
    _, errors = validate(**fields)

    assert list(errors) == [field]


def test_every_broken_field_is_reported_at_once():
    _, errors = validate(kind="x", position=-3, lat=100, lon=82.8, observed_at="soon")

    assert set(errors) == {"kind", "position", "lat", "observed_at"}


def test_the_haversine_distance_of_one_degree_of_latitude_is_about_111_km():
    assert haversine_km(46.0, 82.8, 47.0, 82.8) == pytest.approx(111.2, abs=0.1)
    assert haversine_km(10.0, 179.9, 10.0, -179.9) == pytest.approx(21.9, abs=0.1)


# --- the content hash ---------------------------------------------------------------------------------------------
def test_the_hash_ignores_how_the_same_content_is_written():
    base = item(position=5, lat=46, lon=82.8)
    rewritten = {
        **base,
        "id": base["id"].upper(),
        "observed_at": "2026-11-21T16:50:00+05:00",
        "lat": 46.0,
        "extra": "ignored",
    }

    assert report_content_hash(base) == report_content_hash(rewritten)


@pytest.mark.parametrize("change", [{"position": 6}, {"kind": "joined"}, {"direction": "CN-KZ"}, {"lat": 46.1}])
def test_the_hash_changes_with_the_content(change):
    base = item(position=5, lat=46, lon=82.8)

    assert report_content_hash(base) != report_content_hash({**base, **change})


# --- visit grouping -----------------------------------------------------------------------------------------------
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def vr(kind, minutes, position=None, waited=None):
    return VisitReport(
        id=uuid.uuid4(),
        kind=kind,
        observed_at=T0 + timedelta(minutes=minutes),
        position=position,
        waited_minutes=waited,
    )


VISIT_REPORTS = st.lists(
    st.builds(
        vr,
        kind=st.sampled_from(["joined", "position", "crossed", "left"]),
        minutes=st.integers(min_value=0, max_value=5 * 24 * 60),
        position=st.none() | st.integers(min_value=0, max_value=500),
    ),
    max_size=25,
)


@given(reports=VISIT_REPORTS, seed=st.randoms(use_true_random=False))
def test_grouping_does_not_depend_on_arrival_order(reports, seed):
    shuffled = list(reports)
    seed.shuffle(shuffled)

    def shape(spans):
        return [([r.id for r in s.reports], s.status, s.joined_at, s.crossed_at, s.left_at) for s in spans]

    assert shape(visits_group(reports)) == shape(visits_group(shuffled))


@given(reports=VISIT_REPORTS)
def test_every_report_is_in_exactly_one_visit_and_only_the_last_report_can_close_it(reports):
    spans = visits_group(reports)

    assert sorted(r.id for s in spans for r in s.reports) == sorted(r.id for r in reports)
    for span in spans:
        assert all(r.kind not in ("crossed", "left") for r in span.reports[:-1])
        assert span.joined_at <= span.reports[0].observed_at
        assert sum(r.kind == "joined" for r in span.reports) <= 1


def test_a_second_joined_starts_a_new_visit():
    spans = visits_group([vr("joined", 0), vr("position", 30), vr("joined", 60)])

    assert [len(s.reports) for s in spans] == [2, 1]


def test_a_visit_seen_only_at_its_crossing_has_no_known_wait():
    (span,) = visits_group([vr("crossed", 300)])

    assert (span.status, span.wait_minutes) == ("crossed", None)


def test_a_crossed_report_with_its_own_wait_count_gives_the_wait():
    (span,) = visits_group([vr("crossed", 300, waited=0)])

    assert span.wait_minutes == 0


def test_a_visit_with_reports_before_its_crossing_waits_from_its_first_report():
    (span,) = visits_group([vr("joined", 0), vr("position", 60, position=5), vr("crossed", 125)])

    assert span.wait_minutes == 125


@pytest.mark.parametrize("kinds", [["joined"], ["joined", "position"], ["joined", "left"], ["left"]])
def test_a_visit_that_did_not_cross_has_no_wait(kinds):
    (span,) = visits_group([vr(kind, 10 * index) for index, kind in enumerate(kinds)])

    assert span.wait_minutes is None


def test_an_item_that_is_not_an_object_is_rejected_with_an_error_of_its_own():
    for item in ("x", 42, None, [{"id": "x"}]):
        valid, errors = report_validate(item, queues={}, crossing_slugs=frozenset(), received_at=RECEIVED_AT)

        assert valid is None
        assert list(errors) == ["report"]


# --- flags --------------------------------------------------------------------------------------------------------
def flags_for(reports, index):
    (span,) = visits_group(reports)
    return report_flags(report=reports[index], span=span)


def test_a_small_recount_upwards_is_not_a_jump():
    assert flags_for([vr("position", 0, position=100), vr("position", 10, position=120)], 1) == []


def test_a_rise_beyond_the_allowance_is_a_jump():
    assert flags_for([vr("position", 0, position=100), vr("position", 10, position=160)], 1) == [
        "implausible",
        "position_jump",
    ]


def test_a_queue_moving_at_120_trucks_an_hour_is_plausible_and_faster_is_not():
    assert flags_for([vr("position", 0, position=300), vr("position", 60, position=180)], 1) == []
    assert flags_for([vr("position", 0, position=300), vr("position", 60, position=170)], 1) == [
        "implausible",
        "impossible_speed",
    ]


def test_a_big_drop_within_a_minute_is_impossible_but_a_tiny_one_is_noise():
    assert "impossible_speed" in flags_for([vr("position", 0, position=300), vr("position", 1, position=250)], 1)
    assert flags_for([vr("position", 0, position=300), vr("position", 1, position=295)], 1) == []


def test_waited_minutes_is_checked_against_the_visit_joined_report():
    joined = vr("joined", 0)

    assert flags_for([joined, vr("position", 200, waited=190)], 1) == []
    assert flags_for([joined, vr("position", 200, waited=300)], 1) == ["implausible", "waited_inconsistent"]
