"""The admin language: English, Russian or Kazakh, switched in the header and remembered."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from carriers.models import Dispatcher

pytestmark = pytest.mark.django_db

SWITCH = "/admin/workplace/language/"


def test_header_offers_english_russian_and_kazakh(dispatcher_client):
    html = dispatcher_client.get("/admin/").content.decode()

    assert 'action="/admin/workplace/language/"' in html
    for autonym in ("English", "Русский", "Қазақша"):
        assert autonym in html


def test_switching_sets_the_cookie_and_remembers_it_for_the_dispatcher(dispatcher_client, dispatcher):
    response = dispatcher_client.post(SWITCH, {"language": "ru", "next": "/admin/workplace/crossings/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/workplace/crossings/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert Dispatcher.objects.get(pk=dispatcher.pk).language == "ru"
    page = dispatcher_client.get("/admin/")
    assert "Выйти" in page.content.decode()  # Django's own Russian admin catalogue: "Log out"


def test_an_unknown_language_changes_nothing(dispatcher_client, dispatcher):
    response = dispatcher_client.post(SWITCH, {"language": "xx", "next": "/admin/"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert Dispatcher.objects.get(pk=dispatcher.pk).language == "en"


def test_an_offsite_next_goes_back_to_the_board(dispatcher_client):
    response = dispatcher_client.post(SWITCH, {"language": "kk", "next": "https://evil.example/"})

    assert response["Location"] == "/admin/"


def test_signing_in_restores_the_dispatchers_language_on_a_new_browser(dispatcher):
    dispatcher.language = "kk"
    dispatcher.save()
    browser = Client()

    response = browser.post("/admin/login/", {"username": "dispatcher1", "password": "dispatch-pass-1"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "kk"
    assert 'lang="kk"' in browser.get("/admin/").content.decode()


def test_the_standard_set_language_endpoint_is_served(client):
    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/admin/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"


def test_switching_language_needs_a_csrf_token(dispatcher):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(dispatcher.user)

    response = browser.post(SWITCH, {"language": "ru", "next": "/admin/"})

    assert response.status_code == 403
    assert Dispatcher.objects.get(pk=dispatcher.pk).language == dispatcher.language
