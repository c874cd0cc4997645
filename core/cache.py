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
    _last_logged = 0.0

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def _degraded(self, operation: str) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._last_logged > _LOG_EVERY_SECONDS:
            ResilientRedisCache._last_logged = now
            logger.warning("cache unavailable, degrading to a miss", extra={"task": operation})

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError:
            self._degraded("get")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError:
            self._degraded("get_many")
            return {}

    def set(self, key, value, timeout=None, version=None):
        try:
            return super().set(key, value, timeout, version)
        except RedisError:
            self._degraded("set")
            return None

    def set_many(self, data, timeout=None, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError:
            self._degraded("set_many")
            return list(data)

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError:
            self._degraded("add")
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError:
            self._degraded("delete")
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except RedisError:
            self._degraded("delete_many")
            return None

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError:
            self._degraded("incr")
            raise ValueError("cache unavailable") from None

    def touch(self, key, timeout=None, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError:
            self._degraded("touch")
            return False

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError:
            self._degraded("has_key")
            return False

    def clear(self):
        try:
            return super().clear()
        except RedisError:
            self._degraded("clear")
            return False
