"""Schemathesis against both OpenAPI schemas, in-process (WSGI): generated requests, valid and invalid, with
real credentials. Every answer must be free of 5xx and conform to the schema (status, content type, body),
and protected operations must refuse missing or wrong credentials (schemathesis' ``ignored_auth`` check).
Bounded by ``max_examples`` per operation and mode to stay fast.

Each operation runs as its own Hypothesis test inside one pytest test (schemathesis' lazy pytest loader does
not run under pytest 9), and every failing operation is reported, not only the first.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from queues.models import PartnerKey
from tests.factories import token_for

MAX_EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}
# Hostile values the generators seldom reach in a few examples, put into every generated case's parameters and
# body: a NUL at the end of each string (PostgreSQL text cannot hold it), each number replaced by one too large
# for a float, each date-time string moved to the ends of the calendar. Only "no 5xx" is asserted for them.
HOSTILE_EXAMPLES = 4
HUGE = 10**400
CALENDAR_ENDS = ("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59")
# Every operation with a ``cursor`` gets cursors no page made: undecodable ones, and positions of the wrong type,
# out of range or holding NUL in both encodings the APIs use (DRF's base64 query string, and a base64 JSON list
# of one to three values). Random strings never decode, so the generators alone never reach the positions.
_FORGED_POSITIONS = ("not a date", "1" + "0" * 400, "x\x00", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59")
FORGED_CURSORS = (
    "\x00",
    "not base64!",
    *(base64.b64encode(urllib.parse.urlencode({"o": 0, "p": p}).encode()).decode() for p in _FORGED_POSITIONS),
    *(
        base64.urlsafe_b64encode(json.dumps([p, "1"][:size] + ["1"] * (size - 2)).encode()).decode().rstrip("=")
        for p in _FORGED_POSITIONS
        for size in (1, 2, 3)
    ),
)
# What must hold for every answer. Input strictness (positive_data_acceptance, negative_data_rejection: does
# the schema describe exactly what the server accepts) is not asserted here; the schemas document formats
# such as E.164 and ISO codes in words, which generators cannot follow.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]


@pytest.fixture
def wsgi_app(db):
    """The project's WSGI app inside the test's transaction: as Django's test client does, requests must not
    close the test's database connection when they finish."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def fuzz(schema, headers: Callable[[], dict[str, str]]) -> list[str]:
    """Runs every operation of ``schema`` in both generation modes; returns one line per failing operation."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in MAX_EXAMPLES.items():

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                case.call_and_validate(headers=headers(), checks=CHECKS)

            try:
                check()
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
        for flavour in ("nul", "huge", "calendar"):

            @settings(
                max_examples=HOSTILE_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE), flavour=st.just(flavour))
            def check_hostile(case, flavour):
                _make_hostile(case, flavour)
                case.call_and_validate(headers=headers(), checks=[not_a_server_error])

            try:
                check_hostile()
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.method.upper()} {operation.path} ({flavour}): {exc}")

        if "cursor" in {parameter.name for parameter in operation.query}:

            @settings(
                max_examples=1, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
            )
            @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
            def check_forged_cursors(case):
                for cursor in FORGED_CURSORS:
                    case.query = {**(case.query or {}), "cursor": cursor}
                    case.call_and_validate(headers=headers(), checks=[not_a_server_error])

            try:
                check_forged_cursors()
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.method.upper()} {operation.path} (forged cursor): {exc}")
    return failures


def _hostile(value, flavour: str):
    if isinstance(value, dict):
        return {key: _hostile(item, flavour) for key, item in value.items()}
    if isinstance(value, list):
        return [_hostile(item, flavour) for item in value]
    if flavour == "nul" and isinstance(value, str):
        return value + "\x00"
    if flavour == "huge" and isinstance(value, int | float) and not isinstance(value, bool):
        return HUGE
    if flavour == "calendar" and isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        return CALENDAR_ENDS[len(value) % 2] if "T" in value else ("0001-01-01", "9999-12-31")[len(value) % 2]
    return value


def _make_hostile(case, flavour: str) -> None:
    """Rewrites ``case`` in place with the ``flavour`` of hostile values (see HOSTILE_EXAMPLES)."""
    for name in ("path_parameters", "query"):
        values = getattr(case, name, None)
        if values:
            setattr(case, name, _hostile(values, flavour))
    if isinstance(case.body, dict | list):
        case.body = _hostile(case.body, flavour)


def test_driver_api_answers_every_generated_request_within_its_schema(wsgi_app, driver):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", wsgi_app)

    def headers() -> dict[str, str]:
        # A fresh token per case: a generated call to /auth/logout revokes the one it was sent with.
        AuthToken.objects.filter(user=driver.user).delete()
        return {"Authorization": f"Token {token_for(driver)}"}

    failures = fuzz(schema, headers)

    assert failures == [], "\n\n".join(failures)


def test_partner_api_answers_every_generated_request_within_its_schema(wsgi_app):
    schema = schemathesis.openapi.from_wsgi("/api/partner/v1/openapi.json", wsgi_app)
    _, key = PartnerKey.objects.create_key(name="fuzz", firm="Fuzz Logistics")

    failures = fuzz(schema, lambda: {"X-API-Key": key})

    assert failures == [], "\n\n".join(failures)
