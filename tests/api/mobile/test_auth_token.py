"""POST /api/v1/auth/token: a code for a device token; single use, 5 tries, expiry, concurrency."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken

from carriers import services
from carriers.models import Device, Driver, OneTimeCode
from core.errors import DomainError
from tests.factories import CarrierFactory, DriverFactory
from tests.support.signin import (
    ME_URL,
    OTP_URL,
    PROBLEM,
    TOKEN_URL,
    code_sent_to,
    set_rates,
    sign_in,
    wrong_code,
)

pytestmark = pytest.mark.usefixtures("outbox")
PHONE = "+77012223344"


def request_code(client, phone=PHONE) -> str:
    assert client.post(OTP_URL, {"phone": phone}, format="json").status_code == 202
    return code_sent_to(phone)


def exchange(client, code, phone=PHONE, device="Pixel 7"):
    return client.post(TOKEN_URL, {"phone": phone, "code": code, "device": device}, format="json")


@pytest.mark.django_db
def test_first_sign_in_creates_the_driver_and_answers_201_with_token_and_me(api_client):
    code = request_code(api_client)

    response = exchange(api_client, code, device="Redmi Note 12")

    assert response.status_code == 201
    body = response.json()
    driver = Driver.objects.get(phone=PHONE)
    assert body["driver"] == {
        "id": driver.pk,
        "phone": PHONE,
        "name": "",
        "citizenship": None,
        "language": driver.language,
        "vehicle_plate": "",
        "carrier": None,
    }
    assert body["token"]
    assert Device.objects.get(driver=driver).name == "Redmi Note 12"
    assert not driver.user.has_usable_password()


@pytest.mark.django_db
def test_the_token_authenticates_the_driver(api_client):
    token = sign_in(api_client, PHONE)["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    response = api_client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["phone"] == PHONE


@pytest.mark.django_db
def test_a_known_driver_signs_in_to_the_same_account_with_a_token_per_device(api_client):
    carrier = CarrierFactory(name="Steppe Freight")
    existing = DriverFactory(phone=PHONE, name="Aidos", carrier=carrier)

    first = sign_in(api_client, PHONE, device="phone")
    second = sign_in(api_client, PHONE, device="tablet")

    assert first["driver"]["id"] == second["driver"]["id"] == existing.pk
    assert first["driver"]["carrier"] == {"id": carrier.pk, "name": "Steppe Freight"}
    assert first["token"] != second["token"]
    assert sorted(Device.objects.filter(driver=existing).values_list("name", flat=True)) == ["phone", "tablet"]
    assert Driver.objects.count() == 1


@pytest.mark.django_db
def test_the_token_lives_thirty_days(api_client):
    sign_in(api_client, PHONE)

    token = AuthToken.objects.get(user__driver__phone=PHONE)

    assert timedelta(days=29, hours=23) < token.expiry - timezone.now() <= timedelta(days=30)


@pytest.mark.django_db
def test_a_wrong_code_is_400_invalid_code(api_client):
    code = request_code(api_client)

    response = exchange(api_client, wrong_code(code))

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "invalid_code"
    assert response.json()["detail"]


@pytest.mark.django_db
def test_a_phone_that_never_asked_gets_the_same_answer_as_a_wrong_code(api_client):
    code = request_code(api_client)
    wrong = exchange(api_client, wrong_code(code)).json()

    unknown = exchange(api_client, "123456", phone="+77019990000").json()

    assert unknown == wrong


@pytest.mark.django_db
def test_a_code_works_only_once(api_client):
    code = request_code(api_client)
    assert exchange(api_client, code).status_code == 201

    again = exchange(api_client, code)

    assert again.status_code == 400
    assert again.json()["code"] == "invalid_code"


@pytest.mark.django_db
def test_a_code_dies_after_five_wrong_tries(api_client):
    code = request_code(api_client)
    for _ in range(5):
        assert exchange(api_client, wrong_code(code)).status_code == 400

    response = exchange(api_client, code)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"
    assert OneTimeCode.objects.get(phone=PHONE).attempts == 5


@pytest.mark.django_db
def test_four_wrong_tries_still_leave_the_right_code_usable(api_client):
    code = request_code(api_client)
    for _ in range(4):
        exchange(api_client, wrong_code(code))

    assert exchange(api_client, code).status_code == 201


@pytest.mark.django_db
def test_an_expired_code_is_refused(api_client, settings):
    settings.OTP_TTL_SECONDS = 300
    code = request_code(api_client)

    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        response = exchange(api_client, code)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"


@pytest.mark.django_db
def test_a_code_is_accepted_just_before_it_expires(api_client, settings):
    settings.OTP_TTL_SECONDS = 300
    code = request_code(api_client)

    with time_machine.travel(timezone.now() + timedelta(seconds=290)):
        response = exchange(api_client, code)

    assert response.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["phone", "code", "device"])
def test_each_field_is_required(api_client, missing):
    body = {"phone": PHONE, "code": "123456", "device": "phone"}
    del body[missing]

    response = api_client.post(TOKEN_URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["errors"]) == [missing]


@pytest.mark.django_db
def test_sign_in_attempts_from_one_ip_are_throttled(api_client, settings):
    set_rates(settings, token_ip="3/hour")
    for _ in range(3):
        exchange(api_client, "000000")

    response = exchange(api_client, "000000")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sign_ins_with_one_code_get_exactly_one_token():
    as_of = timezone.now()
    sent = services.otp_request(phone=PHONE, as_of=as_of)
    assert sent.expires_in > 0
    code = code_sent_to(PHONE)
    barrier = threading.Barrier(4)
    outcomes: list = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait()
            token, _driver = services.otp_verify_and_sign_in(
                phone=PHONE, code=code, device=f"device {index}", as_of=as_of
            )
            result = ("token", token)
        except DomainError as exc:
            result = ("error", exc.code)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(kind for kind, _value in outcomes) == ["error", "error", "error", "token"]
    assert {value for kind, value in outcomes if kind == "error"} == {"invalid_code"}
    assert AuthToken.objects.count() == 1
    assert Device.objects.count() == 1
    assert Driver.objects.filter(phone=PHONE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_guesses_never_exceed_five_comparisons():
    as_of = timezone.now()
    services.otp_request(phone=PHONE, as_of=as_of)
    code = code_sent_to(PHONE)
    barrier = threading.Barrier(8)

    def guess(index: int) -> None:
        try:
            barrier.wait()
            services.otp_verify_and_sign_in(phone=PHONE, code=wrong_code(code), device="x", as_of=as_of)
        except DomainError:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert OneTimeCode.objects.get(phone=PHONE).attempts == 5
    with pytest.raises(DomainError):
        services.otp_verify_and_sign_in(phone=PHONE, code=code, device="x", as_of=as_of)


@pytest.mark.django_db
def test_a_new_driver_speaks_the_language_the_app_asked_for(api_client):
    api_client.post(OTP_URL, {"phone": PHONE}, format="json", HTTP_ACCEPT_LANGUAGE="kk")

    response = api_client.post(
        TOKEN_URL,
        {"phone": PHONE, "code": code_sent_to(PHONE), "device": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="kk-KZ,kk;q=0.9",
    )

    assert response.json()["driver"]["language"] == "kk"


@pytest.mark.django_db
def test_a_new_driver_without_accept_language_is_stored_in_the_language_of_the_sms_they_got(api_client, outbox):
    api_client.post(OTP_URL, {"phone": PHONE}, format="json")

    response = api_client.post(TOKEN_URL, {"phone": PHONE, "code": code_sent_to(PHONE), "device": "x"}, format="json")

    assert outbox[-1].text.startswith("Kezek sign-in code")
    assert response.json()["driver"]["language"] == "en"
    assert Driver.objects.get(phone=PHONE).language == "en"


@pytest.mark.django_db
def test_a_new_driver_keeps_the_language_of_the_sms_when_the_sign_in_names_none(api_client, outbox):
    api_client.post(OTP_URL, {"phone": PHONE}, format="json", HTTP_ACCEPT_LANGUAGE="kk")

    response = api_client.post(TOKEN_URL, {"phone": PHONE, "code": code_sent_to(PHONE), "device": "x"}, format="json")

    assert response.json()["driver"]["language"] == "kk"


@pytest.mark.django_db
def test_signing_in_again_keeps_the_drivers_chosen_language(api_client):
    DriverFactory(phone=PHONE, language="ru")
    api_client.post(OTP_URL, {"phone": PHONE}, format="json")

    response = api_client.post(
        TOKEN_URL,
        {"phone": PHONE, "code": code_sent_to(PHONE), "device": "x"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.json()["driver"]["language"] == "ru"
