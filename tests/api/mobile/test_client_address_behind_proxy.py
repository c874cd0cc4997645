"""Per-address throttles behind a real reverse proxy on loopback.

The proxy does what nginx's ``proxy_add_x_forwarded_for`` does: it appends the address of the peer it accepted
the connection from to whatever ``X-Forwarded-For`` the client sent. Clients connect from distinct loopback
addresses (127.0.0.2, 127.0.0.3, ...), so the application sees one socket address (the proxy's) and must find
each client in the header through exactly ``NUM_PROXIES`` trusted hops.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from tests.support.signin import OTP_URL, set_rates

pytestmark = pytest.mark.django_db(transaction=True)

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def _proxy_handler(upstream: tuple[str, int]) -> type[BaseHTTPRequestHandler]:
    class ReverseProxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
            headers.pop("X-Forwarded-For", None)
            seen = self.headers.get("X-Forwarded-For")
            peer = self.client_address[0]
            headers["X-Forwarded-For"] = f"{seen}, {peer}" if seen else peer
            headers["X-Forwarded-Proto"] = "https"
            connection = http.client.HTTPConnection(*upstream, timeout=30)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
            finally:
                connection.close()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _forward

        def log_message(self, format, *args):  # quiet
            pass

    return ReverseProxy


@pytest.fixture
def proxy(live_server) -> Iterator[tuple[str, int]]:
    """A reverse proxy on 127.0.0.1 in front of the live server; yields its (host, port)."""
    upstream = urlsplit(live_server.url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler((upstream.hostname, upstream.port)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


def post_otp(proxy: tuple[str, int], *, source: str, phone: str, forwarded_for: str | None = None) -> int:
    """POST /auth/otp through the proxy from the loopback address ``source``; returns the status."""
    connection = http.client.HTTPConnection(*proxy, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/json"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    try:
        connection.request("POST", OTP_URL, body=json.dumps({"phone": phone}), headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture
def one_trusted_proxy(settings):
    cache.clear()
    settings.NUM_PROXIES = 1
    settings.SMS_BACKEND = "locmem"
    set_rates(settings, otp_ip="2/hour", otp_phone="100/hour")
    yield
    cache.clear()


@pytest.mark.usefixtures("one_trusted_proxy")
def test_behind_the_proxy_each_client_has_its_own_sign_in_bucket(proxy):
    first = [post_otp(proxy, source="127.0.0.2", phone=f"+7701222330{index}") for index in range(3)]
    second = post_otp(proxy, source="127.0.0.3", phone="+77012223309")

    assert first == [202, 202, 429]
    assert second == 202


@pytest.mark.usefixtures("one_trusted_proxy")
def test_behind_the_proxy_a_forged_forwarded_for_does_not_escape_the_bucket(proxy):
    statuses = [
        post_otp(proxy, source="127.0.0.4", phone=f"+7701222331{index}", forwarded_for=f"198.51.100.{index}")
        for index in range(3)
    ]

    assert statuses == [202, 202, 429]


@pytest.mark.usefixtures("one_trusted_proxy")
def test_a_forged_forwarded_for_cannot_spend_another_clients_bucket(proxy):
    for index in range(3):
        post_otp(proxy, source="127.0.0.5", phone=f"+7701222332{index}", forwarded_for="127.0.0.6")

    assert post_otp(proxy, source="127.0.0.6", phone="+77012223329") == 202


def test_without_a_trusted_proxy_count_the_header_is_ignored(settings, live_server):
    """Straight to the app (NUM_PROXIES=0): a client cannot pick a fresh address with the header."""
    cache.clear()
    settings.NUM_PROXIES = 0
    set_rates(settings, otp_ip="2/hour", otp_phone="100/hour")
    upstream = urlsplit(live_server.url)

    statuses = [
        post_otp(
            (upstream.hostname, upstream.port),
            source="127.0.0.7",
            phone=f"+7701222333{index}",
            forwarded_for=f"198.51.100.{index}",
        )
        for index in range(3)
    ]

    assert statuses == [202, 202, 429]
    cache.clear()
