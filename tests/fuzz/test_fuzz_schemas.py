"""Schemathesis against both OpenAPI schemas, in-process (WSGI): generated requests, valid and invalid, with
real credentials. Every answer must be free of 5xx and conform to the schema (status, content type, body),
and protected operations must refuse missing or wrong credentials (schemathesis' ``ignored_auth`` check).
Bounded by ``max_examples`` per operation and mode to stay fast.

Each operation runs as its own Hypothesis test inside one pytest test (schemathesis' lazy pytest loader does
not run under pytest 9), and every failing operation is reported, not only the first.

Besides generated cases, every operation gets a few hostile requests the generators seldom or never reach, built
on one valid generated case so that nothing else in the request fails validation first: a NUL in one field at a
time, numbers too large for a float, dates at the ends of the calendar, NUL in query fields it does not declare,
thousands of query fields, and forged cursors.
"""

from __future__ import annotations

import base64
import copy
import json
import urllib.parse
from collections.abc import Callable, Iterator

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

from queues import webhooks
from queues.models import PartnerKey
from tests.factories import token_for
from tests.support.db import rolled_back

MAX_EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}
# Hostile values the generators seldom reach in a few examples, put into every generated case's parameters and
# body: each number replaced by one too large for a float. Only "no 5xx" is asserted for them and for the
# targeted requests below.
HOSTILE_EXAMPLES = 4
# NUL (PostgreSQL text cannot hold it) goes into one field at a time, the rest of the case left valid: a NUL in
# every field at once fails the first validated field (an enum, a pattern) and never reaches a query. Each
# declared path and query parameter gets one, and each string of the JSON body, up to this many per operation
# (and as many dates of the body).
BODY_FIELDS = 16
# Values that let a valid case get past its first checks: a webhook URL the SSRF screen accepts (its host is
# resolved to a public test address, no DNS), so an alert with a NUL elsewhere reaches the crossing lookup.
WELL_FORMED_BODY_STRINGS = {"url": "https://hooks.example.com/kezek"}
# More query fields than Django parses (DATA_UPLOAD_MAX_NUMBER_FIELDS is 1,000), added to one valid case.
MANY_QUERY_FIELDS = 2100
HUGE = 10**400
# Each date and date-time (declared query parameters by their format, body strings by their look) is moved to
# both ends of the calendar in turn, one field at a time; offsets carry the date-times past them once in UTC.
CALENDAR_ENDS = {
    "date": ("0001-01-01", "9999-12-31"),
    "date-time": ("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"),
}
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
    """Runs every operation of ``schema``: the targeted hostile requests, both generation modes, numbers too large
    for a float and forged cursors; returns one line per failing operation and mode."""
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    query_names = sorted({parameter.name for operation in operations for parameter in operation.query})
    # The targeted requests come first, each rolled back: every one meets the fixtures' state (a generated
    # PATCH /me may change the driver's citizenship, and with it what a stay date reaches), and a database error
    # in one cannot abort the test's transaction for the rest.
    for operation in operations:

        @settings(
            max_examples=1, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE), target=st.just(operation))
        def check_targeted(case, target):
            for label in _targeted_requests(case, target, query_names):
                try:
                    with rolled_back():
                        case.call_and_validate(headers=headers(), checks=[not_a_server_error])
                except (Exception, BaseExceptionGroup) as exc:
                    failures.append(f"{target.method.upper()} {target.path} ({label}): {exc}")

        check_targeted()

    for operation in operations:
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

        @settings(
            max_examples=HOSTILE_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def check_huge(case):
            _make_huge(case)
            case.call_and_validate(headers=headers(), checks=[not_a_server_error])

        try:
            check_huge()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path} (huge): {exc}")

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


def _targeted_requests(case, operation, query_names: list[str]) -> Iterator[str]:
    """Rewrites ``case`` in place into each targeted hostile request in turn, yielding its label before it is sent
    (see BODY_FIELDS, CALENDAR_ENDS, MANY_QUERY_FIELDS). ``query_names``: every query parameter of the schema."""
    path_parameters = dict(case.path_parameters or {})
    query = dict(case.query or {})
    body = copy.deepcopy(case.body)
    if isinstance(body, dict):
        body.update(
            {name: value for name, value in WELL_FORMED_BODY_STRINGS.items() if isinstance(body.get(name), str)}
        )

    def reset() -> None:
        case.path_parameters = dict(path_parameters)
        case.query = dict(query)
        case.body = copy.deepcopy(body)

    for name, value in path_parameters.items():
        reset()
        case.path_parameters[name] = f"{value}\x00"
        yield f"NUL in path parameter {name}"
    for parameter in operation.query:
        reset()
        case.query[parameter.name] = f"{query.get(parameter.name, '')}\x00"
        yield f"NUL in query parameter {parameter.name}"
    for where in list(_string_leaves(body))[:BODY_FIELDS]:
        reset()
        _set_leaf(case.body, where, _get_leaf(body, where) + "\x00")
        yield f"NUL in body field {'.'.join(map(str, where))}"
    for parameter in operation.query:
        kind = parameter.definition.get("schema", {}).get("format")
        for end in CALENDAR_ENDS.get(kind, ()):
            reset()
            case.query[parameter.name] = end
            yield f"query parameter {parameter.name} at {end}"
    dates = [(where, _date_kind(_get_leaf(body, where))) for where in _string_leaves(body)]
    for where, kind in [(where, kind) for where, kind in dates if kind][:BODY_FIELDS]:
        for end in CALENDAR_ENDS[kind]:
            reset()
            _set_leaf(case.body, where, end)
            yield f"body field {'.'.join(map(str, where))} at {end}"
    stray = [name for name in query_names if name not in {parameter.name for parameter in operation.query}]
    if stray:
        reset()
        case.query.update(dict.fromkeys(stray, "\x00"))
        yield f"NUL in undeclared query fields {', '.join(stray)}"
    reset()
    case.query.update({f"f{index}": "1" for index in range(MANY_QUERY_FIELDS)})
    yield f"{MANY_QUERY_FIELDS} query fields"
    reset()


def _string_leaves(value, where: tuple = ()) -> Iterator[tuple]:
    """The paths (keys and indexes) of every string in a JSON value, in document order."""
    if isinstance(value, str):
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_leaves(item, (*where, index))


def _get_leaf(value, where: tuple):
    for step in where:
        value = value[step]
    return value


def _set_leaf(value, where: tuple, new) -> None:
    for step in where[:-1]:
        value = value[step]
    value[where[-1]] = new


def _date_kind(value: str) -> str | None:
    """``date`` or ``date-time`` for a string that looks like one (``2026-03-01``, ``2026-03-01T…``)."""
    if len(value) < 10 or not value[:4].isdigit() or value[4:5] != "-" or value[7:8] != "-":
        return None
    return "date-time" if value[10:11] in ("T", " ") else "date" if len(value) == 10 else None


def _huge(value):
    if isinstance(value, dict):
        return {key: _huge(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_huge(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return HUGE
    return value


def _make_huge(case) -> None:
    """Rewrites ``case`` in place with every number too large for a float (see HOSTILE_EXAMPLES)."""
    for name in ("path_parameters", "query"):
        values = getattr(case, name, None)
        if values:
            setattr(case, name, _huge(values))
    if isinstance(case.body, dict | list):
        case.body = _huge(case.body)


def test_driver_api_answers_every_generated_request_within_its_schema(wsgi_app, driver):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", wsgi_app)

    def headers() -> dict[str, str]:
        # A fresh token per case: a generated call to /auth/logout revokes the one it was sent with.
        AuthToken.objects.filter(user=driver.user).delete()
        return {"Authorization": f"Token {token_for(driver)}"}

    failures = fuzz(schema, headers)

    assert failures == [], "\n\n".join(failures)


def test_partner_api_answers_every_generated_request_within_its_schema(wsgi_app, monkeypatch):
    # Webhook hosts resolve to a public test address: no DNS, and a well-formed https URL passes the SSRF screen.
    monkeypatch.setattr(webhooks, "resolve_host", lambda host, port: ["93.184.216.34"])
    schema = schemathesis.openapi.from_wsgi("/api/partner/v1/openapi.json", wsgi_app)
    _, key = PartnerKey.objects.create_key(name="fuzz", firm="Fuzz Logistics")

    failures = fuzz(schema, lambda: {"X-API-Key": key})

    assert failures == [], "\n\n".join(failures)
