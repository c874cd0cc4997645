"""One error envelope for both APIs: application/problem+json with a stable machine ``code``.

``{"status": 400, "code": "validation_error", "detail": "<human text>", "errors": {"field": ["..."]}}``

Domain code raises subclasses of :class:`DomainError`; each framework has one handler that renders them.
Human text goes through gettext, so it follows ``Accept-Language`` (en, ru, kk).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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


def database_unavailable_response() -> JsonResponse:
    """The problem+json 503 for a database outage (plain Django and ninja views, via the middleware)."""
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
        return Response(
            problem_body(exc.http_status, exc.code, exc.detail, exc.errors),
            status=exc.http_status,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            problem_body(413, "payload_too_large", _("The request body is too large.")),
            status=413,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    if isinstance(exc, DATABASE_UNAVAILABLE_ERRORS):
        logger.warning("database unavailable: %s", type(exc).__name__)
        return Response(
            problem_body(503, ServiceUnavailable.code, str(ServiceUnavailable.default_detail)),
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_SECONDS)},
            content_type=PROBLEM_CONTENT_TYPE,
        )
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


# --- URL-level handlers (anything outside the two APIs' own handlers) --------------------------------
def handler400(request, exception=None):
    return problem_response(400, "bad_request", _("Bad request."))


def handler403(request, exception=None):
    return problem_response(403, "permission_denied", _("You do not have permission to perform this action."))


def handler404(request, exception=None):
    return problem_response(404, "not_found", _("Not found."))


def handler500(request):
    return problem_response(500, "server_error", _("An unexpected error occurred. It has been logged."))
