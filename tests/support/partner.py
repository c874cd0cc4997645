"""Helpers and fixtures for the partner API tests: keys, clients, estimates, and a local webhook receiver."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from queues.models import Estimate, EstimatePoint, PartnerKey, Queue
from queues.services.partner_keys import partner_key_issue

BASE = "/api/partner/v1"
NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def issue_key(firm: str = "Steppe Logistics", **fields) -> tuple[PartnerKey, str]:
    key = PartnerKey(firm=firm, **fields)
    raw = partner_key_issue(key=key)
    return key, raw


def client_for(raw_key: str | None) -> Client:
    return Client(headers={"X-API-Key": raw_key} if raw_key else {})


def queue_of(slug: str = "syrym-mashtakovo", direction: str = "KZ-RU") -> Queue:
    origin, destination = direction.split("-")
    return Queue.objects.select_related("crossing").get(
        crossing__slug=slug, from_country=origin, to_country=destination
    )


def publish_estimate(
    queue: Queue, *, wait: int = 240, drivers: int = 5, published: bool = True, computed_at: datetime = NOW
) -> Estimate:
    estimate, _ = Estimate.objects.update_or_create(
        queue=queue,
        defaults={
            "wait_minutes": wait,
            "low_minutes": max(0, wait - 60),
            "high_minutes": wait + 90,
            "queue_length": 120,
            "throughput_per_hour": 14.5,
            "reports": drivers * 3,
            "drivers": drivers,
            "computed_at": computed_at,
            "data_until": computed_at - timedelta(minutes=3),
            "stale": False,
            "confidence": "medium",
            "published": published,
        },
    )
    return estimate


def add_point(queue: Queue, at: datetime, wait: int, *, drivers: int = 4, published: bool = True) -> EstimatePoint:
    return EstimatePoint.objects.create(
        queue=queue,
        at=at,
        wait_minutes=wait,
        low_minutes=max(0, wait - 30),
        high_minutes=wait + 30,
        drivers=drivers,
        published=published,
    )


def isolate_cache(settings) -> None:
    """A key prefix of its own for this test: throttle counters and cached answers of other tests stay invisible.

    Never ``cache.clear()``: on Redis that is FLUSHDB, which would also drop what other test processes (and
    the broker of the live worker, on the same database) keep there.
    """
    default = settings.CACHES["default"]
    prefix = f"{default.get('KEY_PREFIX', '')}-test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": prefix}}


@pytest.fixture
def partner_key(db, settings):
    isolate_cache(settings)
    return issue_key()


@pytest.fixture
def partner_client(partner_key) -> Client:
    return client_for(partner_key[1])


@pytest.fixture
def other_partner_client(db) -> Client:
    return client_for(issue_key("Irtysh Trans")[1])


# --- A local webhook receiver -----------------------------------------------------------------------
@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 in a thread; answers with ``statuses`` in turn (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    redirect_to: str = ""
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/kezek"

    def start(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                index = min(len(receiver.received), len(receiver.statuses)) - 1
                status = receiver.statuses[index]
                self.send_response(status)
                if 300 <= status < 400 and receiver.redirect_to:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args):  # quiet
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()
