"""The crossings dashboard: the corridor map, the queues with an estimate first (each with a 72-hour chart in
the local time of its side), the rest folded into one line; in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from queues.models import Estimate, EstimatePoint, Queue
from tests.factories import DriverFactory
from tests.support.estimates import report_store
from tests.support.workplace import queue_at
from workplace.selectors import queue_dashboard_list

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/workplace/crossings/"


def estimate_for(queue: Queue, *, wait: int, published: bool = True, stale: bool = False, drivers: int = 5):
    return Estimate.objects.create(
        queue=queue,
        wait_minutes=wait,
        low_minutes=wait // 2,
        high_minutes=wait * 2,
        reports=drivers * 3,
        drivers=drivers,
        computed_at=timezone.now() - timedelta(minutes=4),
        data_until=timezone.now() - timedelta(minutes=5),
        stale=stale,
        confidence="medium",
        published=published,
    )


def history_for(queue: Queue, *, hours: int = 80, every_minutes: int = 30, wait: int = 240, published: bool = True):
    now = timezone.now().replace(second=0, microsecond=0)
    EstimatePoint.objects.bulk_create(
        [
            EstimatePoint(
                queue=queue,
                at=now - timedelta(minutes=step * every_minutes),
                wait_minutes=wait + step,
                low_minutes=wait // 2,
                high_minutes=wait * 2,
                drivers=4,
                published=published,
            )
            for step in range(hours * 60 // every_minutes)
        ]
    )


def card_for(response, queue: Queue) -> dict:
    return next(card for card in response.context["cards"] if card["row"].queue_id == queue.pk)


def test_dashboard_shows_every_queue_with_its_current_estimate(dispatcher_client):
    queue = queue_at("syrym-mashtakovo")
    estimate_for(queue, wait=200, stale=True)

    response = dispatcher_client.get(DASHBOARD)

    assert response.status_code == 200
    assert [card["row"].queue_id for card in response.context["cards"]] == [queue.pk]
    assert len(response.context["folded"]) == Queue.objects.filter(crossing__active=True).count() - 1
    card = card_for(response, queue)
    assert card["wait"] == "3 h 20 min"
    assert card["low"] == "1 h 40 min"
    assert card["high"] == "6 h 40 min"
    html = response.content.decode()
    assert "3 h 20 min" in html
    assert "stale" in html
    assert "Medium" in html or "medium" in html


def test_an_estimate_from_too_few_drivers_is_not_shown_as_a_wait(dispatcher_client):
    queue = queue_at("syrym-mashtakovo")
    estimate_for(queue, wait=999, published=False, drivers=2)

    response = dispatcher_client.get(DASHBOARD, {"crossing": "syrym-mashtakovo"})

    assert response.context["cards"] == []
    html = response.content.decode()
    assert "16 h 39 min" not in html
    assert "No estimate now at 2 queues:" in html
    assert "2 drivers reporting" in html


def test_each_queue_has_an_accessible_svg_chart_of_its_last_72_hours(dispatcher_client):
    queue = queue_at("syrym-mashtakovo")
    estimate_for(queue, wait=240)
    history_for(queue)

    response = dispatcher_client.get(DASHBOARD, {"crossing": "syrym-mashtakovo"})

    chart = str(card_for(response, queue)["chart"])
    assert chart.startswith("<svg")
    assert 'role="img"' in chart
    assert f'<title id="queue-{queue.pk}-title">Expected wait at ' in chart
    assert "last 72 hours" in chart
    assert "<polyline" in chart
    assert "<polygon" in chart
    assert chart in response.content.decode()


def test_chart_history_is_hourly_published_and_within_72_hours():
    queue = queue_at("syrym-mashtakovo")
    history_for(queue, hours=80, every_minutes=30)
    history_for(queue_at("syrym-mashtakovo", "RU-KZ"), hours=10, published=False)
    as_of = timezone.now()

    rows = {row.queue_id: row for row in queue_dashboard_list(as_of=as_of, crossing_slug="syrym-mashtakovo")}

    history = rows[queue.pk].history
    assert 72 <= len(history) <= 73
    assert all(point.at >= as_of - timedelta(hours=73) for point in history)
    assert all(point.at.minute == 0 for point in history)
    assert rows[queue_at("syrym-mashtakovo", "RU-KZ").pk].history == []


def test_dashboard_filters_by_crossing(dispatcher_client):
    response = dispatcher_client.get(DASHBOARD, {"crossing": "syrym-mashtakovo"})

    shown = [item["row"] for item in response.context["cards"] + response.context["folded"]]
    assert {row.crossing_slug for row in shown} == {"syrym-mashtakovo"}
    assert sorted(row.direction for row in shown) == ["KZ-RU", "RU-KZ"]


def count_queries(client, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(10) as captured:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_dashboard_query_count_does_not_grow_with_the_queues(dispatcher_client, django_assert_max_num_queries):
    queues = list(Queue.objects.order_by("pk"))
    for queue in queues[:2]:
        estimate_for(queue, wait=60)
        history_for(queue, hours=4)
        crossed(queue, at=timezone.now() - timedelta(minutes=30), waited=90)  # scored: its accuracy is read
    few = count_queries(dispatcher_client, django_assert_max_num_queries)
    for queue in queues[2:]:
        estimate_for(queue, wait=90)
        history_for(queue, hours=4)
        crossed(queue, at=timezone.now() - timedelta(minutes=30), waited=90)

    many = count_queries(dispatcher_client, django_assert_max_num_queries)

    assert many == few
    assert len(queues) == 42


def test_queues_with_estimates_come_first_longest_wait_first(dispatcher_client):
    estimate_for(queue_at("syrym-mashtakovo"), wait=120)
    estimate_for(queue_at("zhaisan-sagarchin"), wait=900)

    response = dispatcher_client.get(DASHBOARD)

    assert [card["row"].crossing_slug for card in response.context["cards"]] == [
        "zhaisan-sagarchin",
        "syrym-mashtakovo",
    ]


def test_each_chart_reads_in_the_local_time_of_its_side_and_names_the_zone(dispatcher_client):
    queue = queue_at("syrym-mashtakovo")  # the KZ side: Asia/Oral, UTC+5
    estimate_for(queue, wait=240)
    history_for(queue)

    response = dispatcher_client.get(DASHBOARD, {"crossing": "syrym-mashtakovo"})

    chart = str(card_for(response, queue)["chart"])
    assert "local time, Asia/Oral (UTC+05:00)" in chart
    assert "UTC</text>" not in chart
    assert " 00:00</text>" in chart  # ticks on the local midnight and noon


def test_a_wait_of_days_reads_in_days_and_is_explained(dispatcher_client):
    queue = queue_at("syrym-mashtakovo")
    estimate = estimate_for(queue, wait=336 * 60)
    estimate.queue_length = 1200
    estimate.throughput_per_hour = 3.6
    estimate.save()

    response = dispatcher_client.get(DASHBOARD)

    assert card_for(response, queue)["wait"] == "14 d 0 h"
    assert "about 1200 trucks ahead, and about 3.6 trucks an hour getting through" in response.content.decode()


def test_the_corridor_map_places_every_crossing_and_links_it_to_its_card(dispatcher_client):
    queue = queue_at("syrym-mashtakovo")
    estimate_for(queue, wait=900)

    html = dispatcher_client.get(DASHBOARD).content.decode()

    assert html.count('class="kezek-map-crossing"') == Queue.objects.values("crossing").distinct().count()
    assert 'href="#crossing-syrym-mashtakovo" data-crossing="syrym-mashtakovo" data-band="long"' in html
    assert 'id="crossing-syrym-mashtakovo"' in html
    assert 'id="crossing-zhaisan-sagarchin"' in html  # a crossing without an estimate: its place in the folded line


def test_accuracy_says_there_are_no_realised_waits_yet_when_no_truck_reported_its_wait(dispatcher_client):
    estimate_for(queue_at("syrym-mashtakovo"), wait=60)

    html = dispatcher_client.get(DASHBOARD).content.decode()

    assert "No realised waits yet: no truck has reported its crossing with the time it waited." in html


def crossed(queue: Queue, *, at, waited: int, trusted: bool = True) -> None:
    report = report_store(
        driver=DriverFactory(), queue=queue, observed_at=at, kind="crossed", position=None, trusted=trusted
    )
    report.waited_minutes = waited
    report.save(update_fields=["waited_minutes"])


def point(queue: Queue, at, wait: int) -> None:
    EstimatePoint.objects.create(
        queue=queue, at=at, wait_minutes=wait, low_minutes=wait - 30, high_minutes=wait + 30, drivers=4, published=True
    )


def test_accuracy_beside_the_estimate_in_plain_words_for_7_and_30_days(dispatcher_client):
    queue = queue_at("syrym-mashtakovo")
    estimate_for(queue, wait=600)
    now = timezone.now()
    recent = now - timedelta(days=2)
    point(queue, recent, 600)  # range 570 to 630
    for waited in (600, 620, 640, 660, 700, 580, 590, 610, 630, 650, 600, 800):
        crossed(queue, at=recent + timedelta(minutes=waited + 5), waited=waited)
    older = now - timedelta(days=20)
    point(queue, older, 300)
    for waited in (300, 310, 320):
        crossed(queue, at=older + timedelta(minutes=waited + 1), waited=waited)
    crossed(queue, at=recent + timedelta(minutes=700), waited=600, trusted=False)  # not counted

    response = dispatcher_client.get(DASHBOARD)

    card = card_for(response, queue)
    assert card["accuracy"] == [
        "Last 7 days: off by 45 min on average; 58% of 12 trucks waited within the range.",
        "Last 30 days: off by 38 min on average; 67% of 15 trucks waited within the range.",
    ]
    assert "off by 45 min on average; 58% of 12 trucks waited within the range." in response.content.decode()


def test_accuracy_with_too_few_trucks_says_so_instead_of_a_figure(dispatcher_client):
    queue = queue_at("syrym-mashtakovo")
    estimate_for(queue, wait=300)
    older = timezone.now() - timedelta(days=10)
    point(queue, older, 300)
    crossed(queue, at=older + timedelta(minutes=301), waited=300)

    card = card_for(dispatcher_client.get(DASHBOARD), queue)

    assert card["accuracy"] == [
        "Last 7 days: no realised waits yet.",
        "Last 30 days: 1 truck's wait measured, too few to judge.",
    ]


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_accuracy_reads_in_the_dispatchers_language(dispatcher_client, dispatcher, language):
    dispatcher.language = language
    dispatcher.save()
    queue = queue_at("syrym-mashtakovo")
    estimate_for(queue, wait=300)
    older = timezone.now() - timedelta(days=10)
    point(queue, older, 300)
    crossed(queue, at=older + timedelta(minutes=301), waited=300)

    dispatcher_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = dispatcher_client.get(DASHBOARD)
    lines = card_for(response, queue)["accuracy"]

    assert len(lines) == 2
    assert not any("Last" in line or "truck" in line for line in lines)
