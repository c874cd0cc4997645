"""Eight phones retrying the same batch at the same moment store each report exactly once.

Runs against a live server (real threads, real transactions) on whichever database the suite uses: the embedded
SQLite file by default, PostgreSQL when DATABASE_URL points at it (CI runs both).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from queues.models import Report, Visit
from tests.factories import DriverFactory, token_for
from tests.support.reports import report

CLIENTS = 8


def post_reports(url: str, token: str, reports: list[dict]) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/api/v1/reports",
        data=json.dumps({"reports": reports}).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {"body": error.read().decode(errors="replace")}


def at_once(calls) -> list:
    """Runs each call in its own thread, released together by a barrier; returns their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        answers[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def a_visit(size: int) -> list[dict]:
    start = datetime.now(tz=UTC) - timedelta(hours=6)
    items = [report(kind="joined", observed_at=start, position=400)]
    items += [report(observed_at=start + timedelta(minutes=5 * i), position=400 - 5 * i) for i in range(1, size - 1)]
    items.append(report(kind="crossed", observed_at=start + timedelta(hours=5)))
    return items


@pytest.mark.django_db(transaction=True)
def test_eight_clients_sending_the_same_batch_at_once_store_each_report_once(live_server):
    driver = DriverFactory()
    tokens = [token_for(driver, device=f"phone {n}") for n in range(CLIENTS)]
    batch = a_visit(20)

    answers = at_once([lambda token=token: post_reports(live_server.url, token, batch) for token in tokens])

    assert [status for status, _ in answers] == [200] * CLIENTS, answers
    per_report = Counter()
    for _, body in answers:
        for result in body["results"]:
            per_report[(result["id"], result["status"])] += 1
    for item in batch:
        assert per_report[(item["id"], "created")] == 1
        assert per_report[(item["id"], "duplicate")] == CLIENTS - 1
    assert Report.objects.filter(driver=driver).count() == len(batch)
    assert Visit.objects.filter(driver=driver).count() == 1
    assert Visit.objects.get(driver=driver).status == "crossed"


@pytest.mark.django_db(transaction=True)
def test_retries_in_shuffled_order_and_overlapping_batches_still_store_each_report_once(live_server):
    driver = DriverFactory()
    token = token_for(driver)
    batch = a_visit(30)
    halves = [batch[:20], batch[10:], list(reversed(batch)), batch[5:25]]

    answers = at_once([lambda part=part: post_reports(live_server.url, token, part) for part in halves * 2])

    assert all(status == 200 for status, _ in answers), answers
    created = Counter(
        result["id"] for _, body in answers for result in body["results"] if result["status"] == "created"
    )

    assert created == Counter({item["id"]: 1 for item in batch})
    assert Report.objects.filter(driver=driver).count() == len(batch)
    assert set(Report.objects.filter(driver=driver).values_list("visit_id", flat=True)) == {
        Visit.objects.get(driver=driver).pk
    }


@pytest.mark.django_db(transaction=True)
def test_two_drivers_racing_for_the_same_ids_each_id_goes_to_one_driver_only(live_server):
    drivers = [DriverFactory(), DriverFactory()]
    tokens = [token_for(d) for d in drivers]
    shared_ids = [str(uuid.uuid4()) for _ in range(10)]
    batch = [report(report_id=report_id, position=50) for report_id in shared_ids]

    answers = at_once([lambda token=token: post_reports(live_server.url, token, batch) for token in tokens * 4])

    assert all(status == 200 for status, _ in answers), answers
    owner_of = dict(Report.objects.filter(id__in=shared_ids).values_list("id", "driver_id"))
    assert len(owner_of) == len(shared_ids)
    for index, (_, body) in enumerate(answers):
        sender = drivers[index % 2].pk
        for result in body["results"]:
            if owner_of[uuid.UUID(result["id"])] == sender:
                assert result["status"] in {"created", "duplicate"}
            else:
                assert result["status"] == "rejected"
    created = Counter(
        result["id"] for _, body in answers for result in body["results"] if result["status"] == "created"
    )
    assert created == Counter(dict.fromkeys(shared_ids, 1))
