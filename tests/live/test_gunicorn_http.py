"""Under a real gunicorn on loopback: chunked request bodies are read as bodies by both APIs, and what gunicorn
refuses itself (a malformed request line or header, headers too large, a broken chunk) is problem+json too.

The requests are written byte for byte on a socket: ``Transfer-Encoding: chunked`` with no ``Content-Length``,
as mobile HTTP stacks send a streamed body.
"""

from __future__ import annotations

import json
import socket
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from queues.models import AlertSubscription, Report
from tests.factories import DriverFactory, token_for
from tests.support.faults import AppServer, PrivateRedis, app_env, database_url
from tests.support.partner import issue_key

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server(real_services, tmp_path_factory):
    """One gunicorn for the module (its start is the slow part); the tests below share it."""
    redis = PrivateRedis()
    redis.start()
    env = app_env(database_url=database_url(), redis_url=redis.url, MAX_BODY_BYTES="4096", CONN_MAX_AGE="0")
    env["SMS_FILE_PATH"] = str(tmp_path_factory.mktemp("sms"))
    server = AppServer("gunicorn-http", env)
    server.start()
    yield server
    server.stop()
    redis.stop()


@pytest.fixture
def app(server, transactional_db):
    return server


def chunked(body: bytes, *, sizes: tuple[int, ...] = (7, 1, 64)) -> bytes:
    """``body`` in chunks of the given sizes (cycled), then the last chunk."""
    out, start, index = b"", 0, 0
    while start < len(body):
        size = sizes[index % len(sizes)]
        piece = body[start : start + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        start += size
        index += 1
    return out + b"0\r\n\r\n"


def raw_exchange(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Writes ``data`` on a fresh connection and reads the answer until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    return status, headers, body


def dechunk(data: bytes) -> bytes:
    out = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out, data = out + data[:size], data[size + 2 :]


def post_chunked(app: AppServer, path: str, payload: object, headers: dict[str, str] | None = None):
    body = json.dumps(payload).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    status, answer_headers, answer = raw_exchange(app.port, head.encode() + b"\r\n" + chunked(body))
    return status, answer_headers, json.loads(answer) if answer else None


def assert_problem(status: int, headers: dict[str, str], body: bytes, expected_status: int, code: str) -> dict:
    assert status == expected_status, body
    assert headers["content-type"].startswith(PROBLEM), (headers, body)
    problem = json.loads(body)
    assert problem["status"] == expected_status
    assert problem["code"] == code
    return problem


# --- chunked bodies -----------------------------------------------------------------------------------------------
def test_a_chunked_sign_in_request_is_read(app):
    status, _, body = post_chunked(app, "/api/v1/auth/otp", {"phone": "+77015550101"})

    assert status == 202, body


def test_a_chunked_report_batch_is_stored(app):
    token = token_for(DriverFactory())
    report_id = str(uuid.uuid4())
    item = {
        "id": report_id,
        "crossing": "zhaisan-sagarchin",
        "direction": "KZ-RU",
        "kind": "joined",
        "observed_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "position": 12,
    }

    status, _, body = post_chunked(app, "/api/v1/reports", {"reports": [item]}, {"Authorization": f"Token {token}"})

    assert status == 200, body
    assert [result["status"] for result in body["results"]] == ["created"]
    assert Report.objects.filter(id=report_id).exists()


def test_a_chunked_partner_alert_is_created(app):
    _key, raw = issue_key()
    payload = {
        "crossing": "syrym-mashtakovo",
        "direction": "KZ-RU",
        "above_minutes": 90,
        "url": "https://93.184.216.34/kezek-hook",  # a public address given literally: no DNS needed
    }

    status, _, body = post_chunked(app, "/api/partner/v1/alerts", payload, {"X-API-Key": raw})

    assert status == 201, body
    assert AlertSubscription.objects.filter(above_minutes=90).count() == 1


def test_a_chunked_body_over_the_limit_is_413(app):
    status, headers, body = post_chunked(app, "/api/v1/auth/otp", {"phone": "+77015550101", "pad": "x" * 5000})

    assert status == 413, body
    assert headers["content-type"].startswith(PROBLEM)
    assert body["code"] == "payload_too_large"


def test_a_broken_chunk_is_a_problem_400(app):
    head = (
        b"POST /api/v1/auth/otp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    status, headers, body = raw_exchange(app.port, head + b"zz\r\n{}\r\n0\r\n\r\n")

    assert_problem(status, headers, body, 400, "malformed_request")


# --- what gunicorn refuses before the app -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"GET /api/v1/crossings HTTP/1.1 extra\r\nHost: x\r\n\r\n", id="request-line"),
        pytest.param(b"GET /api/v1/crossings HTTP/9.9\r\nHost: x\r\n\r\n", id="http-version"),
        pytest.param(b"GE(T /api/v1/crossings HTTP/1.1\r\nHost: x\r\n\r\n", id="method"),
        pytest.param(b"GET /api/v1/crossings HTTP/1.1\r\nBad Header: x\r\n\r\n", id="header-name"),
        pytest.param(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", id="request-line-too-long"),
        pytest.param(
            b"POST /api/v1/auth/otp HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
            id="length-and-chunked",
        ),
    ],
)
def test_what_gunicorn_refuses_is_a_problem_400(app, request_bytes):
    status, headers, body = raw_exchange(app.port, request_bytes)

    problem = assert_problem(status, headers, body, 400, "malformed_request")
    assert "<html" not in body.decode()
    assert problem["detail"]


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-F%d: 1\r\n" % n for n in range(120)) + b"\r\n",
            id="too-many",
        ),
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", id="too-large"),
    ],
)
def test_headers_gunicorn_finds_too_large_are_a_problem_431(app, request_bytes):
    status, headers, body = raw_exchange(app.port, request_bytes)

    assert_problem(status, headers, body, 431, "request_headers_too_large")


def test_an_unsupported_transfer_coding_is_a_problem_501(app):
    request_bytes = b"POST /api/v1/auth/otp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: br\r\n\r\n"

    status, headers, body = raw_exchange(app.port, request_bytes)

    assert_problem(status, headers, body, 501, "not_implemented")


def test_a_key_in_a_refused_request_line_never_reaches_the_log(app):
    key = "AbCdEfGh.0123456789abcdefghijklmnopqrstuv"
    status, headers, body = raw_exchange(app.port, f"GET /x?api_key={key} HTTP/1.1 x\r\nHost: x\r\n\r\n".encode())

    assert_problem(status, headers, body, 400, "malformed_request")
    assert "Invalid request from ip=" in app.log()  # gunicorn's warning is written
    assert key.split(".")[1] not in app.log()
    assert key.split(".")[1] not in body.decode()
