"""A body sent with ``Transfer-Encoding: chunked`` (no ``Content-Length``) is read when the server has taken the
chunking off (``wsgi.input_terminated``, as gunicorn does); over the limit it is a 413 problem+json, and a
broken chunk a 400. The same under a real gunicorn: tests/live/test_gunicorn_http.py."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client

from tests.support.signin import OTP_URL, PROBLEM

pytestmark = pytest.mark.django_db


class BrokenChunks(io.RawIOBase):
    def read(self, size=-1):
        raise ValueError("Invalid chunk size")


def post_chunked(body: bytes, *, stream=None, terminated: bool = True):
    environ = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": stream if stream is not None else io.BytesIO(body),
        "wsgi.input_terminated": terminated,
    }
    return Client().post(OTP_URL, data=body, content_type="application/json", **environ)


def test_a_dechunked_body_is_read(outbox):
    response = post_chunked(json.dumps({"phone": "+77015550101"}).encode())

    assert response.status_code == 202, response.content
    assert [message.phone for message in outbox] == ["+77015550101"]


def test_a_dechunked_body_over_the_limit_is_413(settings, outbox):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post_chunked(json.dumps({"phone": "+77015550101", "pad": "x" * 200}).encode())

    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "payload_too_large"
    assert not outbox


def test_a_broken_chunk_is_400(outbox):
    response = post_chunked(b"", stream=BrokenChunks())

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "malformed_request"


def test_a_server_that_leaves_the_chunking_on_is_not_read_as_if_it_had_not(outbox):
    # Without wsgi.input_terminated the stream still holds chunk sizes: nothing reads it (Django's own behaviour).
    response = post_chunked(b'1e\r\n{"phone": "+77015550101"}\r\n0\r\n\r\n', terminated=False)

    assert response.status_code == 400
    assert not outbox


def test_the_broken_chunk_answer_speaks_the_client_s_language(outbox):
    environ = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "HTTP_ACCEPT_LANGUAGE": "kk",
        "wsgi.input": BrokenChunks(),
        "wsgi.input_terminated": True,
    }
    response = Client().post(OTP_URL, data=b"", content_type="application/json", **environ)

    assert response.status_code == 400
    assert response.json()["detail"] == "Бөліктермен (chunked) жіберілген сұрау денесі бүлінген."
