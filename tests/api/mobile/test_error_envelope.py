"""The problem+json envelope of the driver API, by Accept-Language (en, ru, kk).

The ru and kk catalogues are shipped separately; these tests hold the structure and the stable codes in every
language, and the English text exactly.
"""

import pytest

from tests.support.signin import (
    ME_CARRIER_URL,
    ME_URL,
    OTP_URL,
    PROBLEM,
    set_rates,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outbox")]
LANGUAGES = ["en", "ru", "kk"]


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"].strip()
    return body


@pytest.mark.parametrize("language", LANGUAGES)
def test_401_envelope(api_client, language):
    body = assert_problem(api_client.get(ME_URL, HTTP_ACCEPT_LANGUAGE=language), 401, "not_authenticated")

    assert set(body) == {"status", "code", "detail"}
    if language == "en":
        assert body["detail"] == "Authentication credentials were not provided or are not valid."


@pytest.mark.parametrize("language", LANGUAGES)
def test_validation_envelope_lists_fields(api_client, language):
    response = api_client.post(OTP_URL, {"phone": "12"}, format="json", HTTP_ACCEPT_LANGUAGE=language)

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["phone"]
    assert all(isinstance(message, str) and message for message in body["errors"]["phone"])
    if language == "en":
        assert body["detail"] == "The request has invalid fields."
        assert body["errors"]["phone"] == ["Enter a phone number in international format, e.g. +77011234567."]


@pytest.mark.parametrize("language", LANGUAGES)
def test_domain_error_envelope(driver_client, language):
    response = driver_client.post(
        ME_CARRIER_URL, {"invite_code": "NOSUCH"}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )

    body = assert_problem(response, 400, "invalid_invite_code")
    if language == "en":
        assert body["detail"] == "No carrier has this invite code. Check it with your dispatcher."


@pytest.mark.parametrize("language", LANGUAGES)
def test_throttled_envelope_has_retry_after(api_client, settings, language):
    set_rates(settings, otp_ip="1/hour")
    api_client.post(OTP_URL, {"phone": "+77012223344"}, format="json")

    response = api_client.post(OTP_URL, {"phone": "+77012223345"}, format="json", HTTP_ACCEPT_LANGUAGE=language)

    body = assert_problem(response, 429, "throttled")
    seconds = int(response["Retry-After"])
    assert 0 < seconds <= 3600
    if language == "en":
        assert body["detail"] == f"Too many requests. Try again in {seconds} seconds."


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_api_path_is_a_404_problem(api_client, language):
    assert_problem(api_client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE=language), 404, "not_found")


def test_codes_do_not_change_with_the_language(api_client):
    codes = {language: api_client.get(ME_URL, HTTP_ACCEPT_LANGUAGE=language).json()["code"] for language in LANGUAGES}

    assert set(codes.values()) == {"not_authenticated"}
