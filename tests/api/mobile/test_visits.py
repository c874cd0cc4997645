"""GET /api/v1/visits and how ingest groups a driver's reports into visits, whatever the arrival order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from queues.models import Report, Visit
from queues.services.reports import report_batch_ingest
from tests.support.reports import after_commit, report

pytestmark = pytest.mark.django_db

RECEIVED_AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ingest(driver, *items, received_at=RECEIVED_AT):
    """Ingests, then lets the processing that follows the commit run (visits and flags come from it)."""
    with after_commit():
        return report_batch_ingest(driver=driver, items=list(items), received_at=received_at)


def only_visit(driver) -> Visit:
    visits = list(Visit.objects.filter(driver=driver))
    assert len(visits) == 1, visits
    return visits[0]


# --- grouping -----------------------------------------------------------------------------------------------------
def test_joined_positions_crossed_make_one_crossed_visit(driver):
    ingest(
        driver,
        report(kind="joined", observed_at=at(0), position=100),
        report(kind="position", observed_at=at(120), position=60),
        report(kind="crossed", observed_at=at(300)),
    )

    visit = only_visit(driver)
    assert (visit.status, visit.joined_at, visit.crossed_at, visit.wait_minutes) == ("crossed", at(0), at(300), 300)
    assert Report.objects.filter(visit=visit).count() == 3


def test_reports_in_separate_batches_join_the_open_visit(driver):
    ingest(driver, report(kind="joined", observed_at=at(0), position=100))
    ingest(driver, report(kind="position", observed_at=at(60), position=80))
    ingest(driver, report(kind="left", observed_at=at(90)))

    visit = only_visit(driver)
    assert (visit.status, visit.left_at, visit.crossed_at) == ("left", at(90), None)


def test_a_late_joined_earlier_than_the_visit_start_moves_joined_at_back(driver):
    ingest(driver, report(kind="position", observed_at=at(60), position=80))
    first = only_visit(driver)

    ingest(driver, report(kind="joined", observed_at=at(0), position=100))

    visit = only_visit(driver)
    assert visit.pk == first.pk
    assert visit.joined_at == at(0)


def test_a_crossed_arriving_before_the_positions_closes_the_visit_and_the_positions_attach_to_it(driver):
    ingest(driver, report(kind="joined", observed_at=at(0), position=100))
    ingest(driver, report(kind="crossed", observed_at=at(240)))
    ingest(
        driver,
        report(kind="position", observed_at=at(60), position=70),
        report(kind="position", observed_at=at(180), position=10),
    )

    visit = only_visit(driver)
    assert (visit.status, visit.joined_at, visit.crossed_at) == ("crossed", at(0), at(240))
    assert Report.objects.filter(visit=visit).count() == 4


def test_a_position_without_joined_opens_a_visit(driver):
    ingest(driver, report(kind="position", observed_at=at(30), position=40))

    visit = only_visit(driver)
    assert (visit.status, visit.joined_at, visit.crossed_at) == ("open", at(30), None)


def test_waited_minutes_on_a_crossed_report_without_joined_sets_joined_at(driver):
    ingest(driver, report(kind="crossed", observed_at=at(300), waited_minutes=280))

    visit = only_visit(driver)
    assert visit.joined_at == at(20)
    assert visit.wait_minutes == 280


def test_a_report_after_a_crossed_visit_starts_a_new_visit(driver):
    ingest(driver, report(kind="joined", observed_at=at(0)), report(kind="crossed", observed_at=at(100)))

    ingest(driver, report(kind="joined", observed_at=at(26 * 60)))

    assert list(Visit.objects.filter(driver=driver).order_by("joined_at").values_list("status", flat=True)) == [
        "crossed",
        "open",
    ]


def test_a_report_more_than_a_day_after_the_last_starts_a_new_visit(driver):
    ingest(driver, report(kind="position", observed_at=at(0), position=30))

    ingest(driver, report(kind="position", observed_at=at(25 * 60), position=30))

    assert Visit.objects.filter(driver=driver).count() == 2


def test_a_late_report_that_bridges_two_visits_merges_them(driver):
    ingest(driver, report(kind="position", observed_at=at(0), position=300))
    ingest(driver, report(kind="position", observed_at=at(40 * 60), position=10))
    assert Visit.objects.filter(driver=driver).count() == 2

    ingest(driver, report(kind="position", observed_at=at(20 * 60), position=150), received_at=at(41 * 60))

    visit = only_visit(driver)
    assert Report.objects.filter(visit=visit).count() == 3


def test_each_direction_is_its_own_queue_and_visit(driver):
    ingest(
        driver,
        report(kind="joined", observed_at=at(0), direction="KZ-RU"),
        report(kind="joined", observed_at=at(5), direction="RU-KZ"),
    )

    assert Visit.objects.filter(driver=driver).count() == 2


def test_drivers_in_the_same_queue_have_separate_visits(driver, other_driver):
    ingest(driver, report(kind="joined", observed_at=at(0)))
    ingest(other_driver, report(kind="crossed", observed_at=at(60)))

    assert only_visit(driver).status == "open"
    assert only_visit(other_driver).status == "crossed"


# --- flags --------------------------------------------------------------------------------------------------------
def flags_of(item) -> list[str]:
    return Report.objects.get(pk=item["id"]).flags


def test_a_position_jumping_up_is_flagged_and_kept(driver):
    jump = report(kind="position", observed_at=at(30), position=400)

    ingest(driver, report(kind="joined", observed_at=at(0), position=100), jump)

    assert flags_of(jump) == ["implausible", "position_jump"]


def test_a_position_falling_faster_than_a_queue_can_move_is_flagged(driver):
    fast = report(kind="position", observed_at=at(30), position=20)

    ingest(driver, report(kind="joined", observed_at=at(0), position=300), fast)

    assert flags_of(fast) == ["implausible", "impossible_speed"]


def test_a_plausible_visit_raises_no_flags(driver):
    items = [
        report(kind="joined", observed_at=at(0), position=300, waited_minutes=0),
        report(kind="position", observed_at=at(120), position=260, waited_minutes=120),
        report(kind="position", observed_at=at(240), position=230, waited_minutes=245),
        report(kind="crossed", observed_at=at(900), waited_minutes=900),
    ]

    ingest(driver, *items)

    assert [flags_of(item) for item in items] == [[], [], [], []]


def test_waited_minutes_far_from_the_time_since_joined_is_flagged(driver):
    odd = report(kind="position", observed_at=at(120), waited_minutes=1000)

    ingest(driver, report(kind="joined", observed_at=at(0)), odd)

    assert flags_of(odd) == ["implausible", "waited_inconsistent"]


def test_a_report_within_the_hard_radius_but_beyond_the_soft_one_is_flagged_far_and_keeps_its_coordinates(driver):
    # Zhaisan – Sagarchin is an "estimate" pin: refused beyond 60 km, flagged beyond 40 km.
    far = report(observed_at=at(0), lat=50.8 + 0.45, lon=56.05)  # ~50 km north
    near = report(observed_at=at(10), lat=50.81, lon=56.05)

    ingest(driver, far, near)

    far_report, near_report = Report.objects.get(pk=far["id"]), Report.objects.get(pk=near["id"])
    assert far_report.flags == ["far"]
    assert (far_report.lat, far_report.lon) == (50.8 + 0.45, 56.05)
    assert near_report.flags == []
    assert (near_report.lat, near_report.lon) == (None, None)


# --- the endpoint -------------------------------------------------------------------------------------------------
def test_the_driver_sees_only_their_own_visits_newest_first(driver_client, driver, other_driver):
    ingest(driver, report(kind="joined", observed_at=at(0)), report(kind="crossed", observed_at=at(90)))
    ingest(driver, report(kind="joined", observed_at=at(30 * 60), direction="RU-KZ"))
    ingest(other_driver, report(kind="joined", observed_at=at(10)))

    response = driver_client.get("/api/v1/visits")

    body = response.json()
    assert response.status_code == 200
    assert body["next"] is None
    assert [(v["crossing"], v["direction"], v["wait_minutes"]) for v in body["results"]] == [
        ("zhaisan-sagarchin", "RU-KZ", None),
        ("zhaisan-sagarchin", "KZ-RU", 90),
    ]
    assert body["results"][1]["joined_at"] == "2026-11-16T02:00:00Z"
    assert body["results"][1]["crossed_at"] == "2026-11-16T03:30:00Z"
    assert set(body["results"][0]) == {
        "id",
        "crossing",
        "direction",
        "joined_at",
        "crossed_at",
        "wait_minutes",
        "status",
        "left_at",
    }


def test_a_visit_known_only_from_its_crossed_report_has_an_unknown_wait(driver_client, driver):
    ingest(driver, report(kind="crossed", observed_at=at(300)))

    (visit,) = driver_client.get("/api/v1/visits").json()["results"]

    assert (visit["status"], visit["crossed_at"], visit["wait_minutes"]) == ("crossed", "2026-11-16T07:00:00Z", None)


def test_a_crossed_report_that_says_it_waited_zero_minutes_is_a_known_zero_wait(driver):
    ingest(driver, report(kind="crossed", observed_at=at(300), waited_minutes=0))

    assert only_visit(driver).wait_minutes == 0


def test_a_visit_that_ended_with_left_says_so_and_when(driver_client, driver):
    ingest(driver, report(kind="joined", observed_at=at(0)), report(kind="left", observed_at=at(45)))
    ingest(driver, report(kind="joined", observed_at=at(30 * 60)))

    left, open_visit = reversed(driver_client.get("/api/v1/visits").json()["results"])

    assert (left["status"], left["left_at"], left["crossed_at"], left["wait_minutes"]) == (
        "left",
        "2026-11-16T02:45:00Z",
        None,
        None,
    )
    assert (open_visit["status"], open_visit["left_at"]) == ("open", None)


def test_visits_are_cursor_paginated(driver_client, driver):
    for day in range(5):
        ingest(driver, report(kind="joined", observed_at=at(day * 26 * 60)), received_at=at(day * 26 * 60 + 1))

    first = driver_client.get("/api/v1/visits", {"limit": 3}).json()
    second = driver_client.get(first["next"]).json()

    assert len(first["results"]) == 3
    assert len(second["results"]) == 2
    assert second["next"] is None


def test_visits_need_a_signed_in_driver(api_client):
    assert api_client.get("/api/v1/visits").status_code == 401
