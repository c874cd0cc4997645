"""Request id for logs, and the body size limit rendered as problem+json 413."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.conf import settings
from django.utils.translation import gettext as _

from config.errors import problem_response

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
    """Refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before anything reads it.

    Django itself would answer an HTML 400 (and DRF's parsers read the stream without the check).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(400, "malformed_request", _("Content-Length is not a number."))
        if limit is not None and length > limit:
            return problem_response(
                413,
                "payload_too_large",
                _("The request body is too large: at most %(limit)d bytes.") % {"limit": limit},
            )
        return self.get_response(request)
