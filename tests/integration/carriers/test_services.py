"""carriers.services against the database (SQLite by default, PostgreSQL in CI)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from knox.models import AuthToken

from carriers import services, sms
from carriers.models import Carrier, Device, Dispatcher, Driver, OneTimeCode
from core.errors import Conflict, ValidationFailed
from tests.factories import DriverFactory, token_for

pytestmark = pytest.mark.django_db
PHONE = "+77012223344"


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()


def issued_code(phone: str = PHONE) -> str:
    return sms.outbox[-1].text.split(": ")[1][:6]


def test_otp_request_stores_a_hash_that_expires_after_the_ttl(settings):
    settings.OTP_TTL_SECONDS = 120
    as_of = timezone.now()

    result = services.otp_request(phone=" +7 701 222 33 44", as_of=as_of)

    stored = OneTimeCode.objects.get()
    assert result.phone == PHONE
    assert result.expires_in == 120
    assert stored.expires_at == as_of + timedelta(seconds=120)
    assert issued_code() not in stored.code_hash


def test_sign_in_never_reuses_a_staff_account_named_like_the_phone():
    get_user_model().objects.create_user(f"driver:{PHONE}", password="x-pass-123", is_staff=True)
    as_of = timezone.now()
    services.otp_request(phone=PHONE, as_of=as_of)

    with pytest.raises(services.AccountDisabled):
        services.otp_verify_and_sign_in(phone=PHONE, code=issued_code(), device="x", as_of=as_of)
    assert not Driver.objects.filter(phone=PHONE).exists()


def test_a_staff_user_named_as_the_bare_phone_is_left_alone():
    staff = get_user_model().objects.create_user(PHONE, password="x-pass-123", is_staff=True)
    as_of = timezone.now()
    services.otp_request(phone=PHONE, as_of=as_of)

    _token, driver = services.otp_verify_and_sign_in(phone=PHONE, code=issued_code(), device="x", as_of=as_of)

    assert driver.user_id != staff.pk
    assert not driver.user.is_staff


def test_sign_in_beyond_the_device_limit_signs_out_the_oldest_device(settings):
    driver = DriverFactory(phone=PHONE)
    for index in range(20):
        token_for(driver, device=f"old {index}")
    as_of = timezone.now()
    services.otp_request(phone=PHONE, as_of=as_of)

    services.otp_verify_and_sign_in(phone=PHONE, code=issued_code(), device="newest", as_of=as_of)

    assert AuthToken.objects.filter(user=driver.user).count() == 20
    assert Device.objects.filter(driver=driver, name="newest").exists()
    assert not Device.objects.filter(driver=driver, name="old 0").exists()


def test_device_sign_out_deletes_the_token_and_its_device(driver):
    token_for(driver, device="phone")
    instance = AuthToken.objects.get(user=driver.user)

    services.device_sign_out(auth_token=instance)

    assert not AuthToken.objects.exists()
    assert not Device.objects.exists()


def test_one_time_codes_purge_keeps_recent_codes():
    as_of = timezone.now()
    OneTimeCode.objects.create(phone=PHONE, code_hash="a", expires_at=as_of - timedelta(days=2))
    recent = OneTimeCode.objects.create(phone=PHONE, code_hash="b", expires_at=as_of - timedelta(hours=1))

    assert services.one_time_codes_purge(as_of=as_of) == 1
    assert list(OneTimeCode.objects.all()) == [recent]


def test_driver_update_refuses_fields_outside_the_profile(driver, other_carrier):
    with pytest.raises(ValidationFailed) as raised:
        services.driver_update(driver=driver, carrier=other_carrier, name="X")

    assert set(raised.value.errors) == {"carrier"}
    driver.refresh_from_db()
    assert driver.name == "Aidos"


def test_driver_trust_set_changes_only_the_flag(driver, dispatcher):
    services.driver_trust_set(driver=driver, trusted=False, actor=dispatcher.user)

    driver.refresh_from_db()
    assert driver.trusted is False
    assert driver.name == "Aidos"


def test_carrier_create_gives_an_unambiguous_invite_code():
    carrier = services.carrier_create(name="  Steppe Freight ")

    assert carrier.name == "Steppe Freight"
    assert len(carrier.invite_code) == 10
    assert not set(carrier.invite_code) & set("01IO")


def test_carrier_invite_rotate_replaces_the_code(carrier):
    old = carrier.invite_code

    services.carrier_invite_rotate(carrier=carrier)

    assert Carrier.objects.get(pk=carrier.pk).invite_code not in ("", old)


def test_dispatcher_create_refuses_a_taken_username(carrier):
    services.dispatcher_create(carrier=carrier, username="aigerim", password="long-pass-123")

    with pytest.raises(Conflict):
        services.dispatcher_create(carrier=carrier, username="aigerim", password="long-pass-123")
    assert Dispatcher.objects.count() == 1
