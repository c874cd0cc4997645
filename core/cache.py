"""A Redis cache that degrades to a miss when Redis is down.

Django's built-in RedisCache raises on connection errors, which would turn every throttled or cached
request into a 500 during a Redis outage. Here reads answer the default and writes are dropped; the
database stays the source of truth, so nothing is lost, only slower or unthrottled for a while.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_LOG_EVERY_SECONDS = 30.0


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` object for every operation (about a fifth of the CPU of a
    cached read); one per connection pool is enough: ``redis.Redis`` is thread-safe and the pool handles forks."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """Degrades to a miss on Redis errors, behind a short circuit breaker.

    A Redis that hangs (accepts, never answers) costs each call its whole socket timeout; a request making four
    cache calls would pay four. After the first error the breaker opens for ``CACHE_BREAKER_SECONDS`` (option
    ``BREAKER_SECONDS``, default 5): every call on this cache object degrades at once, without touching Redis. The
    first call after the pause tries Redis again and closes the breaker if it answers.
    """

    _last_logged = 0.0

    def __init__(self, server, params) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.breaker_seconds = float(options.pop("BREAKER_SECONDS", 5.0))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusingRedisCacheClient
        # Per cache object, which Django keeps per thread: each thread of a worker pauses after its own error.
        self._open_until = 0.0

    def breaker_open(self) -> bool:
        """True while calls degrade without trying Redis (after an error, for ``breaker_seconds``)."""
        return time.monotonic() < self._open_until

    def _degraded(self, operation: str) -> None:
        now = time.monotonic()
        self._open_until = now + self.breaker_seconds
        if now - ResilientRedisCache._last_logged > _LOG_EVERY_SECONDS:
            ResilientRedisCache._last_logged = now
            logger.warning("cache unavailable, degrading to a miss", extra={"task": operation})

    def _guarded(self, operation: str, call, fallback):
        if self.breaker_open():
            return fallback()
        try:
            return call()
        except RedisError:
            self._degraded(operation)
            return fallback()

    def get(self, key, default=None, version=None):
        return self._guarded(
            "get", lambda: super(ResilientRedisCache, self).get(key, default, version), lambda: default
        )

    def get_many(self, keys, version=None):
        return self._guarded("get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), dict)

    def set(self, key, value, timeout=None, version=None):
        return self._guarded(
            "set", lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), lambda: None
        )

    def set_many(self, data, timeout=None, version=None):
        return self._guarded(
            "set_many", lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), lambda: list(data)
        )

    def add(self, key, value, timeout=None, version=None):
        return self._guarded(
            "add", lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), lambda: False
        )

    def delete(self, key, version=None):
        return self._guarded("delete", lambda: super(ResilientRedisCache, self).delete(key, version), lambda: False)

    def delete_many(self, keys, version=None):
        return self._guarded(
            "delete_many", lambda: super(ResilientRedisCache, self).delete_many(keys, version), lambda: None
        )

    def incr(self, key, delta=1, version=None):
        def unavailable():
            raise ValueError("cache unavailable")

        return self._guarded("incr", lambda: super(ResilientRedisCache, self).incr(key, delta, version), unavailable)

    def touch(self, key, timeout=None, version=None):
        return self._guarded(
            "touch", lambda: super(ResilientRedisCache, self).touch(key, timeout, version), lambda: False
        )

    def has_key(self, key, version=None):
        return self._guarded("has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), lambda: False)

    def clear(self):
        return self._guarded("clear", lambda: super(ResilientRedisCache, self).clear(), lambda: False)
