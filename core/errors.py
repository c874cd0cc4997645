"""One error envelope for both APIs: application/problem+json with a stable machine ``code``.

``{"status": 400, "code": "validation_error", "detail": "<human text>", "errors": {"field": ["..."]}}``

Domain code raises subclasses of :class:`DomainError`; each framework has one handler that renders them.
Human text goes through gettext, so it follows ``Accept-Language`` (en, ru, kk).
"""

from __future__ import annotations

import logging
import re
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class DomainError(Exception):
    """Base of every expected error; carries a stable ``code`` and the HTTP status to answer with."""

    code = "error"
    http_status = 400
    default_detail = gettext_lazy("The request could not be processed.")

    def __init__(self, detail: str | None = None, *, errors: dict[str, list[str]] | None = None) -> None:
        self.detail = str(detail) if detail is not None else str(self.default_detail)
        self.errors = errors
        super().__init__(self.detail)


class ValidationFailed(DomainError):
    code = "validation_error"
    http_status = 400
    default_detail = gettext_lazy("The request has invalid fields.")


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_detail = gettext_lazy("Not found.")


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
    default_detail = gettext_lazy("The request conflicts with the current state.")


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    http_status = 503
    default_detail = gettext_lazy("The service is temporarily unavailable. Try again shortly.")


# A database that cannot be reached (or dropped the connection) is an outage, not a bug: 503, never a 500 trace.
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
RETRY_AFTER_UNAVAILABLE_SECONDS = 5


def database_unavailable_response(exc: Exception | None = None) -> JsonResponse:
    """The problem+json 503 for a database outage, the one answer of DRF, ninja and plain Django views alike;
    ``exc`` (the error that revealed the outage) is logged as a warning, not as a failure of the code."""
    if exc is not None:
        logger.warning("database unavailable: %s", type(exc).__name__)
    return problem_response(
        503,
        ServiceUnavailable.code,
        str(ServiceUnavailable.default_detail),
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_SECONDS)},
    )


def problem_body(status: int, code: str, detail: str, errors: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "code": code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    status: int, code: str, detail: str, errors: dict | None = None, headers: dict[str, str] | None = None
) -> JsonResponse:
    """A plain Django response in the envelope (middleware, URL-level handlers, ninja)."""
    response = JsonResponse(
        problem_body(status, code, detail, errors),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF error details (nested dicts and lists) as ``{"field.sub": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and not prefix:
                name = "non_field_errors"
            for sub_key, messages in _flatten_errors(value, name).items():
                out.setdefault(sub_key, []).extend(messages)
    elif isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in data)
        else:
            for index, item in enumerate(data):
                if item in ({}, []):
                    continue
                name = f"{prefix}.{index}" if prefix else str(index)
                for sub_key, messages in _flatten_errors(item, name).items():
                    out.setdefault(sub_key, []).extend(messages)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(data))
    return out


_DRF_CODES: list[tuple[type[Exception], str]] = [
    (drf.NotAuthenticated, "not_authenticated"),
    (drf.AuthenticationFailed, "not_authenticated"),
    (drf.PermissionDenied, "permission_denied"),
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.Throttled, "throttled"),
    (drf.ParseError, "malformed_request"),
    (drf.ValidationError, "validation_error"),
]


def drf_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every expected error in the problem+json envelope."""
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        retry_after = getattr(exc, "retry_after", None)
        return Response(
            problem_body(exc.http_status, exc.code, exc.detail, exc.errors),
            status=exc.http_status,
            headers={"Retry-After": str(max(int(retry_after), 1))} if retry_after else None,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            problem_body(413, "payload_too_large", _("The request body is too large.")),
            status=413,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable_response(exc)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if not isinstance(exc, drf.APIException):
        return None  # unexpected: Django answers 500 through handler500, and it is logged there

    code = next((code for cls, code in _DRF_CODES if isinstance(exc, cls)), "error")
    status = exc.status_code
    errors = None
    if isinstance(exc, drf.ValidationError):
        errors = _flatten_errors(exc.detail)
        detail = _("The request has invalid fields.")
    elif isinstance(exc, drf.Throttled):
        wait = int(exc.wait or 1)
        headers["Retry-After"] = str(max(wait, 1))
        detail = _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": max(wait, 1)}
    elif isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        status = 401
        detail = _("Authentication credentials were not provided or are not valid.")
        headers["WWW-Authenticate"] = "Token"
    elif isinstance(exc, drf.NotFound):
        detail = _("Not found.")
    elif isinstance(exc, drf.PermissionDenied):
        detail = _("You do not have permission to perform this action.")
    elif isinstance(exc, drf.ParseError):
        detail = _("The request body is not valid JSON.")
    elif isinstance(exc, drf.MethodNotAllowed):
        detail = _("Method not allowed.")
    elif isinstance(exc, drf.UnsupportedMediaType):
        detail = _("Unsupported media type: send application/json.")
    else:
        detail = str(exc.detail) if isinstance(exc.detail, str) else _("The request could not be processed.")
    return Response(
        problem_body(status, code, detail, errors),
        status=status,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


# --- django-ninja (the partner API) -------------------------------------------------------------------
# Each pydantic error type the partner API can meet, in our own words (pydantic's English, which can quote a
# field's regular expression, never reaches the client). A type not listed is "This value is not valid.".
_TIMESTAMP_MESSAGE = gettext_lazy("Enter an ISO 8601 timestamp with an offset, e.g. 2026-11-21T09:30:00Z.")
_NINJA_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "float_type": gettext_lazy("Enter a number."),
    "finite_number": gettext_lazy("Enter a number."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "bool_type": gettext_lazy("Enter true or false."),
    "datetime_parsing": _TIMESTAMP_MESSAGE,
    "datetime_type": _TIMESTAMP_MESSAGE,
    "datetime_from_date_parsing": _TIMESTAMP_MESSAGE,
    "datetime_object_invalid": _TIMESTAMP_MESSAGE,
    "timezone_aware": _TIMESTAMP_MESSAGE,
    "date_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_type": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "uuid_parsing": gettext_lazy("Enter a valid UUID."),
    "uuid_type": gettext_lazy("Enter a valid UUID."),
    "string_type": gettext_lazy("Enter a text value."),
    "string_too_short": gettext_lazy("This value is too short."),
    "string_too_long": gettext_lazy("This value is too long."),
    "string_pattern_mismatch": gettext_lazy("This value does not have the expected format."),
    "greater_than": gettext_lazy("This value is too small."),
    "greater_than_equal": gettext_lazy("This value is too small."),
    "less_than": gettext_lazy("This value is too large."),
    "less_than_equal": gettext_lazy("This value is too large."),
    "too_short": gettext_lazy("This list has too few items."),
    "too_long": gettext_lazy("This list has too many items."),
    "list_type": gettext_lazy("Send a JSON list."),
    "model_type": gettext_lazy("Send a JSON object."),
    "model_attributes_type": gettext_lazy("Send a JSON object."),
    "dict_type": gettext_lazy("Send a JSON object."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "json_type": gettext_lazy("The request body is not valid JSON."),
    "extra_forbidden": gettext_lazy("This field is not allowed."),
}
_NINJA_CHOICE_TYPES = {"literal_error", "enum"}
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _ninja_message(error: dict[str, Any], field: str, pattern_messages: dict[str, Any]) -> str:
    """One pydantic error in the client's language, never pydantic's own text."""
    kind = error.get("type", "")
    if kind == "string_pattern_mismatch" and field in pattern_messages:
        return str(pattern_messages[field])
    if kind in _NINJA_CHOICE_TYPES:
        choices = _QUOTED.findall(str((error.get("ctx") or {}).get("expected", "")))
        if choices:
            return _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}
    message = _NINJA_MESSAGES.get(kind)
    return str(message) if message is not None else _("This value is not valid.")


def ninja_validation_errors(
    errors: list[dict[str, Any]], pattern_messages: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """ninja's error list (``loc`` like ``("query", "direction")``) as ``{"direction": ["message"]}``: every
    field, each message ours and translated. ``pattern_messages`` says, per field name, what a value that does
    not match the field's pattern should look like (a message quoting the pattern helps no one)."""
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in {"query", "path", "header", "body", "cookie", "form"}:
            loc = loc[1:]
        if loc and loc[0] == "payload":  # the body parameter's own name
            loc = loc[1:]
        field = ".".join(loc) or "non_field_errors"
        message = _ninja_message(error, loc[-1] if loc else field, pattern_messages or {})
        if message not in out.get(field, []):
            out.setdefault(field, []).append(message)
    return out


_NINJA_HTTP_CODES = {
    400: ("malformed_request", gettext_lazy("The request body is not valid JSON.")),
    401: ("not_authenticated", gettext_lazy("Send a valid API key in the X-API-Key header.")),
    403: ("permission_denied", gettext_lazy("You do not have permission to perform this action.")),
    404: ("not_found", gettext_lazy("Not found.")),
    405: ("method_not_allowed", gettext_lazy("Method not allowed.")),
    409: ("conflict", gettext_lazy("The request conflicts with the current state.")),
    413: ("payload_too_large", gettext_lazy("The request body is too large.")),
    429: ("throttled", gettext_lazy("Too many requests.")),
}


def _ninja_validation_error_handler(pattern_messages: dict[str, Any]):
    def handler(request, exc: ValidationError) -> HttpResponse:
        errors = ninja_validation_errors(exc.errors, pattern_messages)
        return problem_response(400, "validation_error", _("The request has invalid fields."), errors)

    return handler


def _ninja_domain_error(request, exc: DomainError) -> HttpResponse:
    return problem_response(exc.http_status, exc.code, exc.detail, exc.errors)


def _ninja_not_found(request, exc: Http404) -> HttpResponse:
    return problem_response(404, "not_found", _("Not found."))


def _ninja_http_error(request, exc: HttpError) -> HttpResponse:
    code, detail = _NINJA_HTTP_CODES.get(
        exc.status_code, ("error", gettext_lazy("The request could not be processed."))
    )
    return problem_response(exc.status_code, code, str(detail))


def _ninja_unexpected(request, exc: Exception) -> HttpResponse:
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable_response(exc)
    logger.exception("ninja API: unexpected error")
    return problem_response(500, "server_error", _("An unexpected error occurred. It has been logged."))


def ninja_handlers_register(api: NinjaAPI, *, pattern_messages: dict[str, Any] | None = None) -> None:
    """Renders every error a ninja API can raise in the envelope: request validation as 400
    ``validation_error`` with every field's errors in our words (``pattern_messages``: see
    :func:`ninja_validation_errors`), domain errors with their own code, ``HttpError`` and 404 by status,
    a database outage as 503 and anything else as a logged 500 ``server_error``. (The 401 and 429 answers
    belong to the API's own auth and throttle.)"""
    api.add_exception_handler(ValidationError, _ninja_validation_error_handler(dict(pattern_messages or {})))
    api.add_exception_handler(DomainError, _ninja_domain_error)
    api.add_exception_handler(Http404, _ninja_not_found)
    api.add_exception_handler(HttpError, _ninja_http_error)
    api.add_exception_handler(Exception, _ninja_unexpected)


def problem_not_allowed(view):
    """Wraps a ninja URL callback so that its 405 (rendered by Django, not ninja) is in the envelope too."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return problem_response(
                405, "method_not_allowed", _("Method not allowed."), headers={"Allow": response.get("Allow", "")}
            )
        return response

    for attribute in ("csrf_exempt",):
        if hasattr(view, attribute):
            setattr(wrapper, attribute, getattr(view, attribute))
    return wrapper


# --- URL-level handlers (anything outside the two APIs' own handlers) --------------------------------
def handler400(request, exception=None):
    return problem_response(400, "bad_request", _("Bad request."))


def handler403(request, exception=None):
    return problem_response(403, "permission_denied", _("You do not have permission to perform this action."))


def handler404(request, exception=None):
    return problem_response(404, "not_found", _("Not found."))


@csrf_exempt
def not_found_view(request, *args, **kwargs):
    """An unrouted path under ``/api/``: the contract's 404, whatever DEBUG says (and whatever the method: no
    CSRF check stands before it, as none stands before Django's own 404)."""
    return handler404(request)


def handler500(request):
    return problem_response(500, "server_error", _("An unexpected error occurred. It has been logged."))
