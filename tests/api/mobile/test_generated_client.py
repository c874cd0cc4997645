"""The driver API through a client generated from its own OpenAPI document, against a live server: sign-in,
a report batch with every item status, crossings with a typed estimate, stays and a plan. A document that
disagrees with what the server sends (a field it leaves out, a wrong type) fails here as it would in the app."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.openapi_clients import client_generate
from tests.support.partner import publish_estimate, queue_of
from tests.support.signin import code_sent_to

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("outbox")]
PHONE = "+77015550101"


@pytest.fixture(scope="module")
def kezek(tmp_path_factory):
    return client_generate("driver", tmp_path_factory.mktemp("driver-client"))


@pytest.fixture
def signed_in(kezek, live_server):
    """An authenticated generated client of a new driver, signed in the way the app does it."""
    from kezek_driver_client.api.auth import auth_otp_request, auth_token_create
    from kezek_driver_client.models import OtpRequestInputRequest, TokenCreateInputRequest

    anonymous = kezek.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    sent = auth_otp_request.sync_detailed(client=anonymous, body=OtpRequestInputRequest(phone=PHONE))
    assert sent.status_code == 202
    assert sent.parsed.expires_in > 0
    token = auth_token_create.sync(
        client=anonymous, body=TokenCreateInputRequest(phone=PHONE, code=code_sent_to(PHONE), device="Pixel 7")
    )
    assert token.driver.phone == PHONE
    return kezek.AuthenticatedClient(
        base_url=live_server.url, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )


def test_a_report_batch_answers_each_status_through_the_generated_client(signed_in):
    from kezek_driver_client.api.reports import reports_create
    from kezek_driver_client.models import ReportBatchInputRequest, ReportKindEnum, ReportRequest
    from kezek_driver_client.types import UNSET

    observed = timezone.now() - timedelta(minutes=5)
    first = ReportRequest(
        id=uuid.uuid4(),
        crossing="zhaisan-sagarchin",
        direction="KZ-RU",
        kind=ReportKindEnum.JOINED,
        observed_at=observed,
        position=40,
    )
    reports_create.sync(client=signed_in, body=ReportBatchInputRequest(reports=[first]))
    changed = ReportRequest.from_dict({**first.to_dict(), "position": 41})
    unknown = ReportRequest(
        id=uuid.uuid4(), crossing="nowhere", direction="KZ-RU", kind=ReportKindEnum.POSITION, observed_at=observed
    )
    new = ReportRequest(
        id=uuid.uuid4(),
        crossing="zhaisan-sagarchin",
        direction="KZ-RU",
        kind=ReportKindEnum.POSITION,
        observed_at=observed + timedelta(minutes=1),
        position=38,
    )

    answer = reports_create.sync(client=signed_in, body=ReportBatchInputRequest(reports=[new, first, changed, unknown]))

    assert [result.status.value for result in answer.results] == ["created", "duplicate", "conflict", "rejected"]
    assert [result.errors is UNSET for result in answer.results] == [True, True, True, False]
    assert list(answer.results[3].errors.to_dict()) == ["crossing"]


def test_crossings_come_with_a_typed_estimate_through_the_generated_client(signed_in):
    from kezek_driver_client.api.crossings import crossings_get, crossings_list

    publish_estimate(queue_of("syrym-mashtakovo", "KZ-RU"), wait=240, computed_at=timezone.now())

    page = crossings_list.sync(client=signed_in, limit=100)
    crossing = crossings_get.sync("syrym-mashtakovo", client=signed_in)

    assert "syrym-mashtakovo" in {item.slug for item in page.results}
    (estimate,) = [queue.estimate for queue in crossing.queues if queue.direction == "KZ-RU"]
    assert estimate.wait_minutes == 240
    assert estimate.confidence.value == "medium"
    assert estimate.computed_at.tzinfo is not None


def test_stays_and_a_plan_through_the_generated_client(signed_in):
    from kezek_driver_client.api.me import me_update
    from kezek_driver_client.api.stays import stays_events_create, stays_plan, stays_status
    from kezek_driver_client.models import PatchedMeUpdateInputRequest, StayEventInputRequest

    today = timezone.now().date()
    me = me_update.sync(client=signed_in, body=PatchedMeUpdateInputRequest.from_dict({"citizenship": "KZ"}))
    assert me.citizenship == "KZ"
    created = stays_events_create.sync_detailed(
        client=signed_in,
        body=StayEventInputRequest.from_dict(
            {"country": "RU", "kind": "entry", "date": str(today - timedelta(days=10))}
        ),
    )
    assert created.status_code == 201

    status = stays_status.sync(client=signed_in, on=today)
    plan = stays_plan.sync(client=signed_in, country="RU", entry=today + timedelta(days=30), days=20)

    (russia,) = [country for country in status.countries if country.country == "RU"]
    assert russia.in_country is True
    assert russia.days_used == 11
    assert plan.days == 20
    assert isinstance(plan.allowed, bool)


def test_the_stay_record_through_the_generated_client(signed_in):
    from kezek_driver_client.api.me import me_update
    from kezek_driver_client.api.stays import stays_events_create, stays_record
    from kezek_driver_client.models import PatchedMeUpdateInputRequest, StayEventInputRequest

    today = timezone.now().date()
    me_update.sync(client=signed_in, body=PatchedMeUpdateInputRequest.from_dict({"citizenship": "KZ"}))
    stays_events_create.sync(
        client=signed_in,
        body=StayEventInputRequest.from_dict(
            {"country": "RU", "kind": "entry", "date": str(today - timedelta(days=4))}
        ),
    )

    record = stays_record.sync(client=signed_in, country="RU", from_=today - timedelta(days=30), to=today)

    assert record.country == "RU"
    assert record.days_in_period == 5
    (stay,) = record.stays
    assert stay.entry.source.value == "driver"
    assert stay.exit_ is None
    assert record.status.days_used == 5
    assert record.status.in_country is True
