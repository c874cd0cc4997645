"""Sign-in writes are outermost transactions (``durable=True``): a code is stored, and a code is claimed with its
token issued, in a transaction that commits when the service returns. A caller that wraps either in its own
transaction is refused at once, before anything is written or sent."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone
from knox.models import AuthToken

from carriers import services, sms
from carriers.models import Driver, OneTimeCode

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "+77012223355"


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def issued_code() -> str:
    return sms.outbox[-1].text.split(": ")[1][:6]


def test_a_code_request_commits_on_its_own():
    services.otp_request(phone=PHONE, as_of=timezone.now())

    assert not connection.in_atomic_block
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 1
    assert len(sms.outbox) == 1


def test_a_code_request_inside_a_callers_transaction_is_refused_before_anything_is_stored_or_sent():
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.otp_request(phone=PHONE, as_of=timezone.now())

    assert not OneTimeCode.objects.filter(phone=PHONE).exists()
    assert sms.outbox == []


def test_a_sign_in_commits_on_its_own():
    services.otp_request(phone=PHONE, as_of=timezone.now())

    _token, driver = services.otp_verify_and_sign_in(phone=PHONE, code=issued_code(), device="x", as_of=timezone.now())

    assert not connection.in_atomic_block
    assert Driver.objects.filter(pk=driver.pk).exists()
    assert AuthToken.objects.filter(user=driver.user).count() == 1


def test_a_sign_in_inside_a_callers_transaction_is_refused_and_leaves_the_code_unclaimed():
    services.otp_request(phone=PHONE, as_of=timezone.now())
    code = issued_code()

    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.otp_verify_and_sign_in(phone=PHONE, code=code, device="x", as_of=timezone.now())

    assert not Driver.objects.filter(phone=PHONE).exists()
    assert OneTimeCode.objects.get(phone=PHONE).used_at is None
    _token, driver = services.otp_verify_and_sign_in(phone=PHONE, code=code, device="x", as_of=timezone.now())
    assert driver.phone == PHONE
