"""gunicorn's own refusals as problem+json: the bytes written, and the hook that installs them."""

from __future__ import annotations

import json
import socket

import pytest
from gunicorn import util

from core import gunicorn_errors


def parse(answer: bytes) -> tuple[str, dict[str, str], dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    assert int(headers["content-length"]) == len(body)
    return status_line, headers, json.loads(body)


@pytest.mark.parametrize(
    ("status", "reason", "code"),
    [
        (400, "Bad Request", "malformed_request"),
        (431, "Request Header Fields Too Large", "request_headers_too_large"),
        (501, "Not Implemented", "not_implemented"),
        (403, "Forbidden", "permission_denied"),
        (418, "Teapot", "error"),
    ],
)
def test_a_refusal_is_problem_json_with_its_status(status, reason, code):
    status_line, headers, body = parse(gunicorn_errors.problem_bytes(status, reason))

    assert status_line == f"HTTP/1.1 {status} {reason}"
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert body["status"] == status
    assert body["code"] == code
    assert body["detail"]


def test_write_problem_sends_the_answer_and_never_echoes_the_request():
    left, right = socket.socketpair()
    with left, right:
        gunicorn_errors.write_problem(left, 400, "Bad Request", "Invalid Request Line 'GET /?api_key=secret'")
        left.shutdown(socket.SHUT_WR)
        answer = right.recv(65536)

    _, _, body = parse(answer)
    assert body["code"] == "malformed_request"
    assert b"secret" not in answer


def test_install_replaces_gunicorn_s_html_writer(monkeypatch):
    monkeypatch.setattr(util, "write_error", util.write_error)  # restored after the test

    gunicorn_errors.install()

    assert util.write_error is gunicorn_errors.write_problem


def test_the_gunicorn_config_installs_it_when_the_master_starts(monkeypatch):
    import runpy

    monkeypatch.setattr(util, "write_error", util.write_error)
    config = runpy.run_path("config/gunicorn.py")

    config["on_starting"](server=None)

    assert util.write_error is gunicorn_errors.write_problem
