"""What gunicorn refuses before the app sees a request, answered as problem+json instead of gunicorn's HTML page.

gunicorn parses the request line and headers itself; a malformed line, a bad header, headers over the limits of
config/gunicorn.py or an unsupported transfer coding never reach Django. Its workers answer those through
``gunicorn.util.write_error``, one function for every worker class (sync, gthread, ...). :func:`install` replaces
it, in the master before the workers are forked, with :func:`write_problem`: the same status and reason, a
problem+json body with a stable ``code`` and a fixed English ``detail`` (no request was parsed, so there is no
language to pick and nothing of the request is echoed back).
"""

from __future__ import annotations

import json
import socket

from gunicorn import util

# status -> (code, detail); gunicorn answers only these statuses here.
PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("malformed_request", "The request line or its headers are malformed."),
    403: ("permission_denied", "The request is not allowed from this address."),
    431: ("request_headers_too_large", "The request headers are too many or too large."),
    500: ("server_error", "An unexpected error occurred. It has been logged."),
    501: ("not_implemented", "The request uses a transfer coding the server does not support."),
}
_FALLBACK = ("error", "The request could not be processed.")


def problem_bytes(status: int, reason: str) -> bytes:
    """The whole HTTP answer (status line, headers, body) for a refusal of gunicorn's."""
    code, detail = PROBLEMS.get(status, _FALLBACK)
    body = json.dumps({"status": status, "code": code, "detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """``gunicorn.util.write_error``'s signature; ``mesg`` (which may quote the request) is left to gunicorn's log."""
    util.write_nonblock(sock, problem_bytes(status_int, reason))


def install() -> None:
    util.write_error = write_problem  # type: ignore[assignment]
