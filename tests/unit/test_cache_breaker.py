"""The Redis cache's circuit breaker, against a local TCP server that accepts connections and never answers (a
hanging Redis): the first call pays the socket timeout, the next ones degrade at once until the pause ends."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from core.cache import ResilientRedisCache

TIMEOUT = 0.3


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A listener that accepts every connection and never writes a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def hanging_cache(port: int, breaker_seconds: float) -> ResilientRedisCache:
    options = {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT, "BREAKER_SECONDS": breaker_seconds}
    return ResilientRedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": options})


def timed(call) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_after_the_first_timeout_the_next_calls_degrade_at_once(hanging_port):
    cache = hanging_cache(hanging_port, breaker_seconds=30)

    first, first_took = timed(lambda: cache.get("k", "miss"))
    rest = [
        timed(call) for call in (lambda: cache.get("k", "miss"), lambda: cache.add("k", 1), lambda: cache.set("k", 1))
    ]

    assert first == "miss"
    assert first_took >= TIMEOUT * 0.9
    assert [result for result, _ in rest] == ["miss", False, None]
    assert all(took < 0.05 for _, took in rest), rest
    assert cache.breaker_open()


def test_incr_still_says_unavailable_while_open(hanging_port):
    cache = hanging_cache(hanging_port, breaker_seconds=30)
    cache.get("k")

    with pytest.raises(ValueError, match="unavailable"):
        cache.incr("k")


def test_after_the_pause_the_cache_is_tried_again(hanging_port):
    cache = hanging_cache(hanging_port, breaker_seconds=0.2)
    cache.get("k")
    time.sleep(0.3)

    assert not cache.breaker_open()
    _, took = timed(lambda: cache.get("k"))

    assert took >= TIMEOUT * 0.9  # tried Redis again (and it still hangs: the breaker opens once more)
    assert cache.breaker_open()
