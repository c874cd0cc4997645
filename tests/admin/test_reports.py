"""The admin for crossings, reports and visits; trust marks; the coordinate retention purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client

from queues.models import Crossing, Report
from queues.services import reports as services
from queues.services.reports import report_batch_ingest, report_locations_purge, report_trust_set
from queues.tasks.reports import report_locations_purge as report_locations_purge_task
from tests.support.reports import CROSSING_LAT, CROSSING_LON, after_commit, report

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def stored(driver, **fields) -> Report:
    item = report(observed_at=NOW - timedelta(minutes=5), **fields)
    with after_commit():
        report_batch_ingest(driver=driver, items=[item], received_at=NOW)
    return Report.objects.get(pk=item["id"])


@pytest.fixture
def dispatcher_client(dispatcher) -> Client:
    client = Client()
    client.force_login(dispatcher.user)
    return client


@pytest.fixture
def superuser_client() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "root-pass-1")
    client = Client()
    client.force_login(user)
    return client


# --- trust --------------------------------------------------------------------------------------------------------
def test_marking_reports_untrusted_keeps_them_and_asks_for_fresh_estimates(driver, dispatcher, monkeypatch):
    kept = stored(driver, position=10)
    calls = []
    monkeypatch.setattr(services.estimation, "estimate_refresh_request", lambda **kwargs: calls.append(kwargs))

    changed = report_trust_set(report_ids=[kept.pk], trusted=False, actor=dispatcher.user)

    kept.refresh_from_db()
    assert changed == 1
    assert kept.trusted is False
    assert calls == [{"queue_ids": [kept.queue_id]}]


@pytest.mark.parametrize("admin_list", ["report", "visit"])
def test_only_an_operator_may_trust_a_report_again(dispatcher_client, superuser_client, driver, admin_list):
    untrusted = stored(driver, position=10)
    Report.objects.filter(pk=untrusted.pk).update(trusted=False)
    selected = str(untrusted.pk if admin_list == "report" else untrusted.visit_id)
    body = {"action": "mark_trusted", "_selected_action": [selected]}

    dispatcher_client.post(f"/admin/queues/{admin_list}/", body)
    untrusted.refresh_from_db()
    assert untrusted.trusted is False
    assert "mark_trusted" not in dispatcher_client.get(f"/admin/queues/{admin_list}/").content.decode()

    superuser_client.post(f"/admin/queues/{admin_list}/", body)
    untrusted.refresh_from_db()
    assert untrusted.trusted is True


def test_the_service_refuses_a_dispatcher_trusting_a_report_again(driver, dispatcher):
    untrusted = stored(driver, position=10)
    Report.objects.filter(pk=untrusted.pk).update(trusted=False)

    with pytest.raises(PermissionDenied):
        report_trust_set(report_ids=[untrusted.pk], trusted=True, actor=dispatcher.user)

    untrusted.refresh_from_db()
    assert untrusted.trusted is False


def test_the_dispatcher_sees_only_their_own_drivers_reports(dispatcher_client, driver, other_driver):
    own, foreign = stored(driver, position=10), stored(other_driver, position=20)

    listing = dispatcher_client.get("/admin/queues/report/")
    foreign_page = dispatcher_client.get(f"/admin/queues/report/{foreign.pk}/change/")

    assert listing.status_code == 200
    assert str(own.pk) in listing.content.decode()
    assert str(foreign.pk) not in listing.content.decode()
    assert foreign_page.status_code in (302, 404)


def test_the_untrusted_action_touches_only_the_dispatchers_own_drivers(dispatcher_client, driver, other_driver):
    own, foreign = stored(driver, position=10), stored(other_driver, position=20)

    response = dispatcher_client.post(
        "/admin/queues/report/",
        {"action": "mark_untrusted", "_selected_action": [str(own.pk), str(foreign.pk)]},
    )

    own.refresh_from_db()
    foreign.refresh_from_db()
    assert response.status_code == 302
    assert own.trusted is False
    assert foreign.trusted is True


def test_the_visit_action_marks_the_visits_reports(dispatcher_client, driver):
    first = stored(driver, position=10)

    dispatcher_client.post(
        "/admin/queues/visit/", {"action": "mark_untrusted", "_selected_action": [str(first.visit_id)]}
    )

    assert list(Report.objects.filter(visit_id=first.visit_id).values_list("trusted", flat=True)) == [False]


def test_a_dispatcher_cannot_edit_a_report_by_hand(dispatcher_client, driver):
    own = stored(driver, position=10)

    dispatcher_client.post(f"/admin/queues/report/{own.pk}/change/", {"position": 999, "kind": "crossed"})

    own.refresh_from_db()
    assert (own.position, own.kind) == (10, "position")


def test_a_dispatcher_cannot_open_the_crossings(dispatcher_client):
    assert dispatcher_client.get("/admin/queues/crossing/").status_code == 403


def test_a_superuser_corrects_a_crossings_coordinates(superuser_client):
    crossing = Crossing.objects.get(slug="alimbet-orsk")
    page = superuser_client.get(f"/admin/queues/crossing/{crossing.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "lat": "51.1",
            "lon": "58.6",
            "coord_kind": "checkpoint",
            "queues-TOTAL_FORMS": "2",
            "queues-INITIAL_FORMS": "2",
            "queues-MIN_NUM_FORMS": "0",
            "queues-MAX_NUM_FORMS": "1000",
            "planned_closures-TOTAL_FORMS": "0",
            "planned_closures-INITIAL_FORMS": "0",
            "planned_closures-MIN_NUM_FORMS": "0",
            "planned_closures-MAX_NUM_FORMS": "1000",
        }
    )
    for index, queue in enumerate(crossing.queues.order_by("pk")):
        data.update(
            {
                f"queues-{index}-id": str(queue.pk),
                f"queues-{index}-crossing": str(crossing.pk),
                f"queues-{index}-from_country": str(queue.from_country),
                f"queues-{index}-to_country": str(queue.to_country),
            }
        )

    response = superuser_client.post(f"/admin/queues/crossing/{crossing.pk}/change/", data)

    crossing.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert (crossing.lat, crossing.lon, crossing.coord_kind) == (51.1, 58.6, "checkpoint")


# --- privacy ------------------------------------------------------------------------------------------------------
def test_a_plausible_report_keeps_no_coordinates(driver):
    near = stored(driver, lat=CROSSING_LAT + 0.01, lon=CROSSING_LON)

    assert (near.lat, near.lon) == (None, None)


def test_the_purge_clears_coordinates_older_than_the_retention_and_keeps_the_rest(driver, settings):
    settings.REPORT_LOCATION_RETENTION_HOURS = 72
    far = stored(driver, lat=CROSSING_LAT + 0.45, lon=CROSSING_LON)  # flagged "far": coordinates kept for review
    assert far.lat is not None

    early = report_locations_purge(as_of=NOW + timedelta(hours=71))
    late = report_locations_purge(as_of=NOW + timedelta(hours=73))
    again = report_locations_purge(as_of=NOW + timedelta(hours=74))

    far.refresh_from_db()
    assert (early, late, again) == (0, 1, 0)
    assert (far.lat, far.lon) == (None, None)
    assert far.flags == ["far"]


def test_the_purge_task_runs_the_purge_now(driver, settings, monkeypatch):
    settings.REPORT_LOCATION_RETENTION_HOURS = 72
    calls = []
    monkeypatch.setattr(services, "report_locations_purge", lambda **kwargs: calls.append(kwargs))

    report_locations_purge_task.delay()

    assert len(calls) == 1
    assert calls[0]["as_of"].tzinfo is not None
