"""manage.py create_carrier and create_dispatcher."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from carriers.models import Carrier, Dispatcher

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_carrier_prints_the_invite_code_alone_on_the_last_line():
    output = run("create_carrier", "Steppe Freight")

    last_line = output.strip().splitlines()[-1]
    carrier = Carrier.objects.get(name="Steppe Freight")
    assert last_line == carrier.invite_code


def test_create_carrier_refuses_a_blank_name():
    with pytest.raises(CommandError):
        run("create_carrier", "  ")


def test_create_dispatcher_makes_a_staff_non_superuser_of_that_carrier():
    code = run("create_carrier", "Steppe Freight").strip().splitlines()[-1]

    run("create_dispatcher", "--carrier", code.lower(), "--username", "aigerim", "--password", "a-long-pass-1")

    dispatcher = Dispatcher.objects.select_related("user", "carrier").get(user__username="aigerim")
    assert dispatcher.carrier.name == "Steppe Freight"
    assert dispatcher.user.is_staff
    assert not dispatcher.user.is_superuser
    assert dispatcher.user.check_password("a-long-pass-1")


def test_create_dispatcher_refuses_an_unknown_invite_code():
    with pytest.raises(CommandError, match="invite code"):
        run("create_dispatcher", "--carrier", "NOSUCH", "--username", "u", "--password", "a-long-pass-1")


def test_create_dispatcher_refuses_a_taken_username(carrier, dispatcher):
    with pytest.raises(CommandError):
        run("create_dispatcher", "--carrier", carrier.invite_code, "--username", "dispatcher1", "--password", "p-99x")


def test_create_dispatcher_refuses_a_weak_password(carrier):
    with pytest.raises(CommandError):
        run("create_dispatcher", "--carrier", carrier.invite_code, "--username", "u2", "--password", "123")
    assert not Dispatcher.objects.filter(user__username="u2").exists()
