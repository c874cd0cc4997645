"""POST /api/v1/auth/otp: a code by SMS, throttled per phone and per IP."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from carriers.models import OneTimeCode
from tests.factories import DriverFactory
from tests.support.signin import OTP_URL, PROBLEM, TOKEN_URL, code_sent_to, set_rates

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox")]


def test_request_sends_a_six_digit_code_and_answers_202_with_its_lifetime(api_client, settings, outbox):
    settings.OTP_TTL_SECONDS = 300

    response = api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")

    assert response.status_code == 202
    assert response.json() == {"expires_in": 300}
    assert len(outbox) == 1
    assert outbox[0].phone == "+77012223344"
    assert re.fullmatch(r"\d{6}", code_sent_to("+77012223344"))


def test_only_a_hash_of_the_code_is_stored(api_client):
    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")

    stored = OneTimeCode.objects.get(phone="+77012223344")
    assert code_sent_to("+77012223344") not in stored.code_hash
    assert len(stored.code_hash) == 64


def test_phone_is_normalised_to_e164(api_client, outbox):
    response = api_client.post(OTP_URL, {"phone": "+7 701 222-33-44"}, format="json")

    assert response.status_code == 202
    assert outbox[0].phone == "+77012223344"


@pytest.mark.parametrize("phone", ["87012223344", "+7701", "not a phone", "", None])
def test_a_phone_that_is_not_e164_is_a_validation_error(api_client, phone, outbox):
    response = api_client.post(OTP_URL, {"phone": phone}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    assert "phone" in body["errors"]
    assert outbox == []


def test_a_missing_body_is_a_validation_error(api_client):
    response = api_client.post(OTP_URL, {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["phone"]


def test_malformed_json_is_a_problem_not_a_500(api_client):
    response = api_client.post(OTP_URL, data="{nope", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_an_earlier_code_stays_valid_after_a_new_request(api_client, monkeypatch):
    codes = iter(["111111", "222222"])
    monkeypatch.setattr("carriers.domain.otp_code_generate", lambda: next(codes))
    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")
    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")

    old = api_client.post(TOKEN_URL, {"phone": "+77012223344", "code": "111111", "device": "a"}, format="json")

    assert old.status_code == 201


def test_signing_in_with_one_code_ends_the_phones_other_codes(api_client, monkeypatch):
    codes = iter(["111111", "222222"])
    monkeypatch.setattr("carriers.domain.otp_code_generate", lambda: next(codes))
    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")
    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")
    assert (
        api_client.post(
            TOKEN_URL, {"phone": "+77012223344", "code": "222222", "device": "a"}, format="json"
        ).status_code
        == 201
    )

    other = api_client.post(TOKEN_URL, {"phone": "+77012223344", "code": "111111", "device": "b"}, format="json")

    assert other.status_code == 400
    assert other.json()["code"] == "invalid_code"


def test_the_sms_is_in_the_known_drivers_language(api_client, monkeypatch):
    DriverFactory(phone="+77012223344", language="kk")
    languages = []

    def recording_text(*, code, ttl_seconds, language):
        languages.append(language)
        return f"code {code}"

    monkeypatch.setattr("carriers.sms.otp_message_text", recording_text)

    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")
    api_client.post(OTP_URL, {"phone": "+77019998877"}, format="json")

    assert languages == ["kk", "en"]


def test_a_failing_sms_provider_answers_503_and_leaves_no_live_code(api_client, settings):
    settings.SMS_BACKEND = "tests.api.mobile.test_auth_otp.BrokenBackend"

    response = api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")

    assert response.status_code == 503
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "sms_unavailable"
    assert not OneTimeCode.objects.filter(phone="+77012223344", expires_at__gt=timezone.now()).exists()


class BrokenBackend:
    def send(self, *, phone, text):
        raise ConnectionError("provider down")


def test_requests_for_one_phone_from_one_address_are_throttled_with_retry_after(api_client, settings):
    set_rates(settings, otp_phone="2/hour")
    for _ in range(2):
        assert api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json").status_code == 202

    response = api_client.post(OTP_URL, {"phone": "+7 701 222 33 44"}, format="json")

    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_someone_elses_requests_for_a_phone_do_not_spend_its_owners_budget(settings):
    from rest_framework.test import APIClient

    set_rates(settings, otp_phone="5/hour")
    attacker, owner = APIClient(REMOTE_ADDR="198.51.100.66"), APIClient(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        attacker.post(OTP_URL, {"phone": "+77012223344"}, format="json")

    assert attacker.post(OTP_URL, {"phone": "+77012223344"}, format="json").status_code == 429
    assert owner.post(OTP_URL, {"phone": "+77012223344"}, format="json").status_code == 202


def test_codes_to_one_phone_are_spaced_by_a_growing_gap_whatever_the_address(settings):
    from rest_framework.test import APIClient

    settings.OTP_RESEND_BASE_SECONDS = 30
    settings.OTP_RESEND_MAX_SECONDS = 900
    start = timezone.now()
    statuses = []
    with time_machine.travel(start, tick=False) as clock:
        for index, step in enumerate([0, 10, 20, 40, 60]):
            clock.move_to(start + timedelta(seconds=step))
            response = APIClient(REMOTE_ADDR=f"198.51.100.{index}").post(
                OTP_URL, {"phone": "+77012223344"}, format="json"
            )
            statuses.append((response.status_code, response.get("Retry-After")))

    # 0 s: sent; 10 s: 20 s to wait; 20 s: 10 s; 40 s: sent (second code); 60 s: 60 s after the second, 40 s left.
    assert statuses == [(202, None), (429, "20"), (429, "10"), (202, None), (429, "40")]


def test_a_refused_request_leaves_the_owners_code_valid(api_client, settings):
    from rest_framework.test import APIClient

    settings.OTP_RESEND_BASE_SECONDS = 30
    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")
    code = code_sent_to("+77012223344")

    refused = APIClient(REMOTE_ADDR="198.51.100.66").post(OTP_URL, {"phone": "+77012223344"}, format="json")
    response = api_client.post(TOKEN_URL, {"phone": "+77012223344", "code": code, "device": "a"}, format="json")

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert response.status_code == 201


def test_someone_asking_all_hour_for_a_phone_never_walls_its_owner_off_for_an_hour(settings):
    from rest_framework.test import APIClient

    settings.OTP_RESEND_BASE_SECONDS = 30
    settings.OTP_RESEND_MAX_SECONDS = 900
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for second in range(0, 3600, 20):  # a different address every 20 s for an hour
            clock.move_to(start + timedelta(seconds=second))
            APIClient(REMOTE_ADDR=f"198.51.{second // 256}.{second % 256}").post(
                OTP_URL, {"phone": "+77012223344"}, format="json"
            )
        clock.move_to(start + timedelta(seconds=3600))
        refused = APIClient(REMOTE_ADDR="203.0.113.7").post(OTP_URL, {"phone": "+77012223344"}, format="json")
        clock.move_to(start + timedelta(seconds=3600 + int(refused["Retry-After"])))
        owner = APIClient(REMOTE_ADDR="203.0.113.7").post(OTP_URL, {"phone": "+77012223344"}, format="json")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) <= 900
    assert owner.status_code == 202
    assert OneTimeCode.objects.filter(phone="+77012223344").count() <= 10


def test_requests_from_one_ip_are_throttled_across_phones(settings):
    from rest_framework.test import APIClient

    set_rates(settings, otp_ip="3/hour")
    client = APIClient(REMOTE_ADDR="10.0.0.9")
    for index in range(3):
        assert client.post(OTP_URL, {"phone": f"+7701222330{index}"}, format="json").status_code == 202

    response = client.post(OTP_URL, {"phone": "+77012223309"}, format="json")

    assert response.status_code == 429
    assert "Retry-After" in response
    assert APIClient(REMOTE_ADDR="10.0.0.10").post(OTP_URL, {"phone": "+77012223309"}, format="json").status_code == 202


def test_the_sms_to_a_new_phone_follows_accept_language(api_client, monkeypatch):
    languages = []

    def recording_text(*, code, ttl_seconds, language):
        languages.append(language)
        return f"code {code}"

    monkeypatch.setattr("carriers.sms.otp_message_text", recording_text)

    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")

    assert languages == ["ru"]
