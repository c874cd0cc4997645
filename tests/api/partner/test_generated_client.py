"""The partner API through a client generated from its own OpenAPI document, against a live server: crossings,
one queue's estimate, its history and webhook alerts, as an integrator following the docs would use them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.openapi_clients import client_generate
from tests.support.partner import add_point, issue_key, publish_estimate, queue_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def kezek(tmp_path_factory):
    return client_generate("partner", tmp_path_factory.mktemp("partner-client"))


@pytest.fixture
def partner(kezek, live_server):
    _, raw_key = issue_key()
    return kezek.AuthenticatedClient(
        base_url=live_server.url,
        token=raw_key,
        prefix="",
        auth_header_name="X-API-Key",
        raise_on_unexpected_status=True,
    )


def test_crossings_estimate_and_history_through_the_generated_client(partner):
    from kezek_partner_client.api.crossings import crossing_estimate_get, crossing_history_get, crossings_list
    from kezek_partner_client.models import CrossingHistoryGetInterval, EstimateOut

    now = timezone.now()
    queue = queue_of("syrym-mashtakovo", "KZ-RU")
    publish_estimate(queue, wait=180, computed_at=now)
    for hours in (3, 2, 1):
        add_point(queue, now - timedelta(hours=hours), wait=150 + hours)

    page = crossings_list.sync(client=partner, limit=100)
    estimate = crossing_estimate_get.sync("syrym-mashtakovo", client=partner, direction="KZ-RU")
    history = crossing_history_get.sync(
        "syrym-mashtakovo",
        client=partner,
        direction="KZ-RU",
        since=now - timedelta(hours=4),
        until=now,
        interval=CrossingHistoryGetInterval.ONE_HOUR,
    )

    assert "syrym-mashtakovo" in {crossing.slug for crossing in page.results}
    assert isinstance(estimate, EstimateOut)
    assert (estimate.wait_minutes, estimate.data_until.tzinfo is not None) == (180, True)
    assert [point.wait_minutes for point in history.points] == [153, 152, 151]


def test_an_unpublished_estimate_is_a_typed_problem(partner, kezek):
    from kezek_partner_client.api.crossings import crossing_estimate_get
    from kezek_partner_client.models import ProblemOut

    answer = crossing_estimate_get.sync_detailed("zhaisan-sagarchin", client=partner, direction="KZ-RU")

    assert answer.status_code == 404
    assert isinstance(answer.parsed, ProblemOut)
    assert answer.parsed.code == "insufficient_data"


def test_alerts_through_the_generated_client(partner):
    from kezek_partner_client.api.alerts import alerts_create, alerts_delete, alerts_list
    from kezek_partner_client.models import AlertIn

    created = alerts_create.sync(
        client=partner,
        body=AlertIn(
            crossing="syrym-mashtakovo", direction="KZ-RU", above_minutes=240, url="https://localhost:8443/kezek"
        ),
    )
    assert not hasattr(created, "code"), created
    listed = alerts_list.sync(client=partner)
    deleted = alerts_delete.sync_detailed(created.id, client=partner)

    assert created.secret
    assert [alert.id for alert in listed.results] == [created.id]
    assert deleted.status_code == 204
    assert alerts_list.sync(client=partner).results == []
