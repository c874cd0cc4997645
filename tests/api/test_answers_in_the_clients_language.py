"""Every answer a client reads is in its language and in Kezek's words: the partner API's validation messages
(never pydantic's English, never a regular expression), every invalid field at once, DRF's date messages without
English words in them, the refusals the middleware gives before any view runs, and a catalogue that holds every
string the source asks to translate."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ninja_validation_errors
from queues import webhooks
from queues.services import alerts
from tests.api.test_translations import catalogue
from tests.support.partner import BASE

LANGUAGES = ["en", "ru", "kk"]
# Words of pydantic's messages and of the patterns they quote; none may reach a client.
PYDANTIC_WORDS = re.compile(r"Input should|String should|should be|should have|pattern|\^|\$|\[A-Z", re.IGNORECASE)
ESTIMATE = f"{BASE}/crossings/syrym-mashtakovo/estimate"
HISTORY = f"{BASE}/crossings/syrym-mashtakovo/history"

DIRECTION_MESSAGE = {
    "en": "Enter the direction as two country codes, e.g. KZ-RU.",
    "ru": "Укажите направление двумя кодами стран, например KZ-RU.",
    "kk": "Бағытты екі ел кодымен көрсетіңіз, мысалы KZ-RU.",
}
CHOICE_MESSAGE = {
    "en": "Choose one of: 15m, 1h, 1d.",
    "ru": "Выберите одно из значений: 15m, 1h, 1d.",
    "kk": "Мына мәндердің бірін таңдаңыз: 15m, 1h, 1d.",
}


def _messages(errors: dict[str, list[str]]) -> list[str]:
    return [message for messages in errors.values() for message in messages]


# --- The partner API's request validation -----------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_direction_of_the_wrong_shape_is_explained_in_the_clients_language_without_the_pattern(
    partner_client, language
):
    response = partner_client.get(f"{ESTIMATE}?direction=K1-RU", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert response.json()["errors"] == {"direction": [DIRECTION_MESSAGE[language]]}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_invalid_query_field_is_reported_in_the_clients_language(partner_client, language):
    response = partner_client.get(
        f"{HISTORY}?direction=kzru&interval=2h&since=yesterday", HTTP_ACCEPT_LANGUAGE=language
    )

    errors = response.json()["errors"]
    assert response.status_code == 400
    assert set(errors) == {"direction", "interval", "since"}
    assert errors["direction"] == [DIRECTION_MESSAGE[language]]
    assert errors["interval"] == [CHOICE_MESSAGE[language]]
    assert not any(PYDANTIC_WORDS.search(message) for message in _messages(errors))


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_invalid_alert_field_is_reported_in_the_clients_language(partner_client, language):
    body = {"crossing": "x" * 90, "direction": "kzru", "above_minutes": 1.5, "url": ["https://a.example"]}

    response = partner_client.post(
        f"{BASE}/alerts", json.dumps(body), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )

    errors = response.json()["errors"]
    assert response.status_code == 400
    assert set(errors) == {"crossing", "direction", "above_minutes", "url"}
    assert errors["direction"] == [DIRECTION_MESSAGE[language]]
    for message in _messages(errors):
        assert not PYDANTIC_WORDS.search(message)
        assert re.search("[а-яәіңғүұқөһ]", message, re.IGNORECASE), message  # Cyrillic: ours, translated


# pydantic-core's error types, a few it may add later, and made-up ones: none of their texts is ever shown.
ERROR_TYPES = st.sampled_from(
    [
        "missing",
        "int_parsing",
        "int_from_float",
        "float_parsing",
        "bool_parsing",
        "string_type",
        "string_too_long",
        "string_pattern_mismatch",
        "literal_error",
        "enum",
        "datetime_parsing",
        "date_from_datetime_parsing",
        "uuid_parsing",
        "greater_than_equal",
        "less_than",
        "dict_type",
        "list_type",
        "json_invalid",
        "value_error",
        "assertion_error",
        "url_parsing",
        "some_future_type",
    ]
)
FIELD_NAMES = st.sampled_from(["direction", "interval", "since", "limit", "cursor", "url", "crossing", "0"])
PYDANTIC_ERROR = st.fixed_dictionaries(
    {
        "type": ERROR_TYPES,
        "loc": st.tuples(st.sampled_from(["query", "body", "path"]), FIELD_NAMES),
        "msg": st.text(min_size=1).map(lambda text: f"Input should match pattern '^[A-Z]{{2}}$' {text}"),
        "ctx": st.one_of(
            st.none(), st.fixed_dictionaries({"expected": st.sampled_from(["'a', 'b' or 'c'", "", "'x'"])})
        ),
    }
)


@given(st.lists(PYDANTIC_ERROR, max_size=8))
def test_every_field_is_reported_and_no_message_of_pydantic_reaches_the_client(errors):
    out = ninja_validation_errors(errors, {"direction": "Enter the direction as two country codes."})

    assert set(out) == {error["loc"][1] for error in errors}
    for messages in out.values():
        assert messages
        assert len(messages) == len(set(messages))
        for message in messages:
            assert not PYDANTIC_WORDS.search(message), message
            assert message not in {error["msg"] for error in errors}


# --- The partner alert service ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_alert_creation_names_every_invalid_field_at_once(partner_key, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(webhooks, "resolve_host", lambda host, port: ["10.1.2.3"])

    with pytest.raises(alerts.ValidationFailed) as raised:
        alerts.alert_subscription_create(
            key=partner_key[0],
            crossing="no-such-crossing",
            direction="KZ-RU",
            above_minutes=alerts.ABOVE_MINUTES_MAX + 1,
            url="https://internal.example.com/hook",
        )

    assert set(raised.value.errors) == {"crossing", "above_minutes", "url"}


@pytest.mark.django_db
def test_alert_creation_names_a_missing_direction_and_a_refused_url_together(partner_key, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    with pytest.raises(alerts.ValidationFailed) as raised:
        alerts.alert_subscription_create(
            key=partner_key[0], crossing="syrym-mashtakovo", direction="CN-RU", above_minutes=60, url="http://x.test/"
        )

    assert set(raised.value.errors) == {"direction", "url"}


# --- DRF's messages with English words in them ------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("kk", "Күн пішімі дұрыс емес. Осы пішімдердің бірін пайдаланыңыз: YYYY-MM-DD."),
        ("ru", "Неверный формат даты. Используйте один из этих форматов: YYYY-MM-DD."),
    ],
)
def test_a_date_of_the_wrong_format_is_refused_in_words_of_the_clients_language_only(driver_client, language, message):
    response = driver_client.get("/api/v1/stays?on=21.11.2026", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert response.json()["errors"] == {"on": [message]}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_a_list_where_an_object_belongs_is_refused_without_english_words(driver_client, language):
    response = driver_client.post(
        "/api/v1/stays/events", json.dumps([1]), content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 400
    (message,) = _messages(response.json()["errors"])
    assert "dictionary" not in message
    assert "JSON" in message


# --- Refusals before any view runs ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(("language", "word"), [("ru", "слишком"), ("kk", "тым"), ("en", "too large")])
def test_a_partner_body_over_the_limit_is_refused_in_the_clients_language(partner_client, language, word):
    body = json.dumps({"url": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    response = partner_client.post(
        f"{BASE}/alerts", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert word in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "detail"),
    [("ru", "Content-Length не является числом."), ("kk", "Content-Length сан емес."), ("en", "is not a number")],
)
def test_a_content_length_that_is_no_number_is_refused_in_the_clients_language(client, language, detail):
    # A request in another language first: its language must not carry over to this answer.
    client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="ru" if language != "ru" else "kk")

    response = client.post(
        "/api/v1/reports", "{}", content_type="application/json", CONTENT_LENGTH="12x", HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 400
    assert detail in response.json()["detail"]


# --- The catalogues hold every string of the source -------------------------------------------------------------
GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy"}
PLURAL_CALLS = {"ngettext", "ngettext_lazy", "npgettext", "npgettext_lazy"}
SOURCE_DIRS = ["carriers", "config", "core", "queues", "stays", "workplace"]


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def source_msgids() -> set[tuple[str | None, str]]:
    """(context, msgid) of every gettext call with literal arguments in the product's Python modules."""
    found: set[tuple[str | None, str]] = set()
    base = Path(settings.BASE_DIR)
    for directory in SOURCE_DIRS:
        for path in (base / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                contextual = bool(name and name.startswith(("pgettext", "npgettext")))
                args = node.args[1:] if contextual else node.args
                context = _literal(node.args[0]) if contextual else None
                if name in GETTEXT_CALLS or name in PLURAL_CALLS:
                    msgid = _literal(args[0]) if args else None
                    if msgid:
                        found.add((context, msgid))
    return found


def test_the_source_scan_sees_the_strings_it_should():
    msgids = {msgid for _context, msgid in source_msgids()}

    assert "The request has invalid fields." in msgids
    assert "Each report must be a JSON object." in msgids
    assert "Date has wrong format. Use one of these formats instead: {format}." in msgids
    assert len(msgids) > 400


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_string_the_source_translates_is_in_the_catalogue_and_translated(language):
    _meta, entries = catalogue(language)
    translated = {
        (entry.get("msgctxt"), entry["msgid"])
        for entry in entries
        if all(form.strip() for form in entry["msgstr"]) and "fuzzy" not in entry.get("flags", set())
    }

    missing = sorted(msgid for context, msgid in source_msgids() if (context, msgid) not in translated)

    assert missing == []
