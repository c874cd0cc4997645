"""The Redis cache's circuit breaker, against a local TCP server that accepts connections and never answers (a
hanging Redis): the first call pays the socket timeout, the next ones degrade at once until the pause ends."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from core import cache as cache_module
from core.cache import CacheUnavailable, ResilientRedisCache
from tests.support.hanging_redis import hanging_server

TIMEOUT = 0.3


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A listener that accepts every connection and never writes a byte."""
    with hanging_server() as port:
        yield port


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


# --- The one-round-trip helpers behind the same breaker ----------------------------------------------------------
def test_a_round_trip_pays_one_timeout_then_the_helpers_give_up_at_once(hanging_port, monkeypatch):
    cache = hanging_cache(hanging_port, breaker_seconds=30)
    monkeypatch.setattr(cache_module, "redis_backend", lambda: cache)
    script = cache_module.cache_script("return 1")

    started = time.monotonic()
    with pytest.raises(CacheUnavailable):
        cache_module.cache_round_trip(["k"], count=("n", 60))
    assert time.monotonic() - started >= TIMEOUT * 0.9
    assert cache.breaker_open()

    def raises_unavailable(call) -> str:
        with pytest.raises(CacheUnavailable):
            call()
        return "unavailable"

    rest = [
        timed(call)
        for call in (
            lambda: raises_unavailable(lambda: cache_module.cache_round_trip(["k"], count=("n", 60))),
            lambda: raises_unavailable(lambda: script(["k"], [])),
            lambda: cache_module.cache_text_add("k", "text", 60),
            lambda: cache_module.cache_text_set_many({"k": "text"}, 60),
            lambda: cache_module.cache_add_many({"flag": 60}),
            lambda: cache_module.cache_text_get("k"),
        )
    ]

    assert [result for result, _ in rest] == ["unavailable", "unavailable", False, None, set(), None]
    assert all(took < 0.05 for _, took in rest), rest


def test_a_script_that_times_out_opens_the_breaker(hanging_port, monkeypatch):
    cache = hanging_cache(hanging_port, breaker_seconds=30)
    monkeypatch.setattr(cache_module, "redis_backend", lambda: cache)
    script = cache_module.cache_script("return 1")

    started = time.monotonic()
    with pytest.raises(CacheUnavailable):
        script(["k"], [])

    assert time.monotonic() - started >= TIMEOUT * 0.9
    assert cache.breaker_open()
    _, took = timed(lambda: cache.get("k"))
    assert took < 0.05
