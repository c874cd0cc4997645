"""Admin sign-in: wrong passwords lock one username out from one address; an operator can unlock it."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN_URL = "/admin/login/?next=/admin/"


def sign_in(password: str, address: str = "203.0.113.7", **headers) -> int:
    """One admin sign-in attempt as ``dispatcher1``; 302 is a success."""
    response = Client(REMOTE_ADDR=address, **headers).post(
        LOGIN_URL, {"username": "dispatcher1", "password": password, "next": "/admin/"}
    )
    return response.status_code


def guess_wrong(times: int, address: str = "203.0.113.7", **headers) -> list[int]:
    return [sign_in(f"guess-{index}", address, **headers) for index in range(times)]


@pytest.mark.usefixtures("dispatcher")
def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one(settings):
    settings.AXES_FAILURE_LIMIT = 5

    wrong = guess_wrong(5)
    right = sign_in("dispatch-pass-1")

    assert wrong[:4] == [200, 200, 200, 200]
    assert right == 429


@pytest.mark.usefixtures("dispatcher")
def test_four_wrong_passwords_still_let_the_right_one_in(settings):
    settings.AXES_FAILURE_LIMIT = 5
    guess_wrong(4)

    assert sign_in("dispatch-pass-1") == 302


@pytest.mark.usefixtures("dispatcher")
def test_the_lock_holds_for_one_address_only(settings):
    settings.AXES_FAILURE_LIMIT = 5
    guess_wrong(5, address="198.51.100.66")

    assert sign_in("dispatch-pass-1", address="203.0.113.7") == 302


@pytest.mark.usefixtures("dispatcher")
def test_behind_a_proxy_the_lock_follows_the_client_not_the_proxy(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.NUM_PROXIES = 1
    guess_wrong(5, address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")

    locked = sign_in("dispatch-pass-1", address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
    other = sign_in("dispatch-pass-1", address="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")

    assert locked == 429
    assert other == 302


@pytest.mark.usefixtures("dispatcher")
def test_the_lock_ends_after_the_cool_off(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        guess_wrong(5)
        clock.move_to(start + timedelta(minutes=31))
        status = sign_in("dispatch-pass-1")

    assert status == 302


@pytest.mark.usefixtures("dispatcher")
def test_an_operator_unlocks_a_user_in_the_admin(settings, admin_user):
    settings.AXES_FAILURE_LIMIT = 5
    guess_wrong(5)
    attempt = AccessAttempt.objects.get(username="dispatcher1")
    operator = Client()
    operator.force_login(admin_user)

    page = operator.get("/admin/axes/accessattempt/")
    response = operator.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert response.status_code == 302
    assert sign_in("dispatch-pass-1") == 302


@pytest.mark.usefixtures("dispatcher")
def test_an_operator_unlocks_a_user_with_a_command(settings):
    settings.AXES_FAILURE_LIMIT = 5
    guess_wrong(5)

    call_command("axes_reset_username", "dispatcher1")

    assert sign_in("dispatch-pass-1") == 302


def test_a_dispatcher_cannot_see_nor_clear_the_lock_outs(settings, dispatcher, other_carrier):
    from tests.factories import DispatcherFactory

    settings.AXES_FAILURE_LIMIT = 5
    guess_wrong(5)
    colleague = Client()
    colleague.force_login(DispatcherFactory(carrier=other_carrier, user__is_staff=True).user)

    assert colleague.get("/admin/axes/accessattempt/").status_code == 403
    assert sign_in("dispatch-pass-1") == 429


@pytest.mark.usefixtures("dispatcher")
def test_the_lock_out_answer_follows_the_language(settings):
    settings.AXES_FAILURE_LIMIT = 5
    guess_wrong(5)

    response = Client(REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="ru").post(
        LOGIN_URL, {"username": "dispatcher1", "password": "dispatch-pass-1"}
    )

    assert response.status_code == 429
    assert "Слишком много неверных паролей" in response.content.decode()
