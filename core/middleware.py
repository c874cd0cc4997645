"""Request id for logs, the body size limit as problem+json 413, NUL characters as 400, database outages as 503,
API security headers."""

from __future__ import annotations

import contextvars
import io
import json
import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.core.handlers.wsgi import LimitedStream
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import DATABASE_UNAVAILABLE_ERRORS, database_unavailable_response, problem_response

logger = logging.getLogger(__name__)

try:  # what gunicorn raises while reading a broken chunked body (a bad chunk size, a missing terminator, EOF)
    from gunicorn.http.errors import ParseException as _GunicornParseError

    CHUNKED_READ_ERRORS: tuple[type[Exception], ...] = (_GunicornParseError, OSError, ValueError)
except ImportError:  # pragma: no cover - gunicorn is a dependency; other servers raise these
    CHUNKED_READ_ERRORS = (OSError, ValueError)

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Takes ``X-Request-ID`` from the proxy when it is sane, else makes one; echoes it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class BodySizeLimitMiddleware:
    """Refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before anything reads it, and reads a chunked body.

    Django itself would answer an HTML 400 (and DRF's parsers read the stream without the check). A body sent with
    ``Transfer-Encoding: chunked`` has no ``Content-Length``, and Django reads such a request's body as empty; when
    the server has taken the chunking off (``wsgi.input_terminated``, as gunicorn does), the body is read here, up
    to the limit, and given to Django with its length.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if chunked_body_waiting(request.META):
            refusal = _read_chunked_body(request, limit)
            if refusal is not None:
                return refusal
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = None
        if length is None or (limit is not None and length > limit):
            # This runs before LocaleMiddleware (nothing may read the body first): pick the language here.
            with translation.override(translation.get_language_from_request(request)):
                if length is None:
                    return problem_response(400, "malformed_request", _("Content-Length is not a number."))
                return problem_response(
                    413,
                    "payload_too_large",
                    _("The request body is too large: at most %(limit)d bytes.") % {"limit": limit},
                )
        return self.get_response(request)


def chunked_body_waiting(environ: dict) -> bool:
    """A body the server delivers de-chunked and unmeasured: ``Transfer-Encoding: chunked``, no ``Content-Length``."""
    return (
        "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        and not environ.get("CONTENT_LENGTH")
        and bool(environ.get("wsgi.input_terminated"))
    )


def _read_chunked_body(request, limit: int | None):
    """Reads a de-chunked body into memory (at most ``limit`` bytes) and hands it to Django as a measured body.

    Returns the refusal instead when the body is over the limit (413) or its chunking is broken (400)."""
    stream = request.META["wsgi.input"]
    try:
        data = stream.read() if limit is None else stream.read(limit + 1)
    except CHUNKED_READ_ERRORS:
        with translation.override(translation.get_language_from_request(request)):
            return problem_response(400, "malformed_request", _("The chunked request body is malformed."))
    if limit is not None and len(data) > limit:
        with translation.override(translation.get_language_from_request(request)):
            return problem_response(
                413,
                "payload_too_large",
                _("The request body is too large: at most %(limit)d bytes.") % {"limit": limit},
            )
    request.META["CONTENT_LENGTH"] = str(len(data))
    request._stream = LimitedStream(io.BytesIO(data), len(data))
    return None


class NulCharacterMiddleware:
    """Refuses a NUL character in an API request's path, query or JSON body with a 400 ``validation_error``, and
    a query of more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields with a 400 ``malformed_request``.

    PostgreSQL text cannot hold NUL: a slug, a cursor or an alert field carrying one would fail in the database as
    a 500 (SQLite takes it silently). No field of either API has a use for it. The driver API's report batch is
    left to its own per-item validation (an item with a NUL is rejected alone; nothing of it reaches a query).
    """

    # A JSON string escape of NUL, not preceded by an escaped backslash (``\\u0000`` is text, not NUL).
    _JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
    _BODY_EXEMPT = ("/api/v1/reports",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        try:
            field = self._nul_field(request)
        except TooManyFieldsSent:
            # Django raises it wherever the query is first read, which inside ninja is an unexpected error (500).
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            with translation.override(translation.get_language_from_request(request)):
                return problem_response(
                    400, "malformed_request", _("Too many query fields: at most %(limit)d.") % {"limit": limit}
                )
        if field is not None:
            with translation.override(translation.get_language_from_request(request)):
                return problem_response(
                    400,
                    "validation_error",
                    _("The request has invalid fields."),
                    errors={field: [_("Null characters are not allowed.")]},
                )
        return self.get_response(request)

    def _nul_field(self, request) -> str | None:
        if "\x00" in request.path_info:
            return "path"
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return name.replace("\x00", "")
        if (
            request.method in ("POST", "PUT", "PATCH")
            and request.path_info not in self._BODY_EXEMPT
            and request.content_type == "application/json"
            and self._JSON_NUL.search(request.body)
        ):
            return _json_nul_path(request.body) or "body"
        return None


def _json_nul_path(body: bytes) -> str | None:
    """The dotted path of the first string (or key) holding NUL in a JSON body; ``None`` if it does not parse."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return path or "body"
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return path or "body"
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return None


class DatabaseUnavailableMiddleware:
    """A view (plain Django, ninja, admin) that hits an unreachable database answers 503 problem+json.

    DRF views get the same answer from ``core.errors.drf_exception_handler``. The broken connection is
    dropped at the end of the request (CONN_HEALTH_CHECKS), so the process recovers without a restart.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE_ERRORS):
            return database_unavailable_response(exception)
        return None


# The APIs answer JSON only: nothing in a response may load scripts, frames or anything else.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The interactive docs pages run Swagger UI from the server's own static files: scripts, styles, fonts and the
# OpenAPI document from this origin only, no inline script; Swagger UI sets inline styles and draws data: images.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_API_PREFIXES = ("/api/", "/health/")
_DOCS_SUFFIXES = ("/docs", "/docs/")


class ApiSecurityHeadersMiddleware:
    """A Content-Security-Policy, ``nosniff`` and a same-origin resource policy on every API answer: the strictest
    policy on JSON answers, one that allows only this origin's scripts and styles on the interactive docs pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path
        if path.startswith(_API_PREFIXES):
            policy = DOCS_CONTENT_SECURITY_POLICY if path.endswith(_DOCS_SUFFIXES) else API_CONTENT_SECURITY_POLICY
            response.headers.setdefault("Content-Security-Policy", policy)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
