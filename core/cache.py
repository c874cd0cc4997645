"""A Redis cache that degrades to a miss when Redis is down, and the few operations a hot read needs in one
round trip (several reads and a counter pipelined, or a short Lua script).

Django's built-in RedisCache raises on connection errors, which would turn every throttled or cached
request into a 500 during a Redis outage. Here reads answer the default and writes are dropped; the
database stays the source of truth, so nothing is lost, only slower or unthrottled for a while.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.connection import ConnectionProxy
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


# --- One round trip ------------------------------------------------------------------------------
class CacheUnavailable(Exception):
    """The cache could not be reached: read from the database and write nothing back."""


def redis_backend() -> RedisCache | None:
    """The default cache when it is Redis, else ``None`` (local memory in development and tests)."""
    backend = caches[DEFAULT_CACHE_ALIAS] if isinstance(cache, ConnectionProxy) else cache
    return backend if isinstance(backend, RedisCache) else None


def _breaker_open(backend: RedisCache) -> bool:
    """True while the cache's circuit breaker is open (a recent error): the helpers below then give up at once, as
    :class:`ResilientRedisCache`'s own operations do, instead of waiting on a Redis that hangs."""
    return bool(getattr(backend, "breaker_open", lambda: False)())


def _degraded(backend: RedisCache, operation: str) -> None:
    getattr(backend, "_degraded", lambda operation: None)(operation)


def cache_round_trip(keys: Sequence[str], *, count: tuple[str, int] | None = None) -> tuple[list[Any], int | None]:
    """The values of ``keys`` (``None`` for a miss) and, with ``count=(key, seconds)``, the new value of that
    counter after adding one (created with a lifetime of ``seconds``).

    On Redis one pipelined round trip (GETs, INCR, EXPIRE NX); elsewhere the cache's own operations. Raises
    :class:`CacheUnavailable` when Redis cannot be reached.
    """
    backend = redis_backend()
    if backend is None:
        values = [cache.get(key) for key in keys]
        return values, (None if count is None else counter_add(*count))
    if _breaker_open(backend):
        raise CacheUnavailable
    made = [backend.make_and_validate_key(key) for key in keys]
    # Django's RedisCache keeps its client and serializer private; a pipeline needs both.
    client = backend._cache
    pipeline = client.get_client(None, write=count is not None).pipeline(transaction=False)
    for key in made:
        pipeline.get(key)
    if count is not None:
        counter = backend.make_and_validate_key(count[0])
        pipeline.incr(counter)
        pipeline.expire(counter, count[1], nx=True)
    try:
        results = pipeline.execute()
    except RedisError:
        _degraded(backend, "round trip")
        raise CacheUnavailable from None
    values = [cache_loads(raw) for raw in results[: len(made)]]
    return values, (int(results[len(made)]) if count is not None else None)


def counter_add(key: str, seconds: int) -> int:
    """Adds one to the counter ``key`` (created with a lifetime of ``seconds``) and returns its new value, with
    the cache's own operations. Raises :class:`CacheUnavailable` when the cache cannot count."""
    try:
        return 1 if cache.add(key, 1, timeout=seconds) else cache.incr(key)
    except ValueError:  # expired between add and incr, or (ResilientRedisCache) unreachable
        if redis_backend() is not None:
            raise CacheUnavailable from None
        return 1


def cache_loads(raw: Any) -> Any:
    """A value as Redis returned it (bytes, an integer or ``None``), deserialized as the cache stores values."""
    if raw is None:
        return None
    backend = redis_backend()
    if backend is None:
        return raw
    return backend._cache._serializer.loads(raw)  # type: ignore[attr-defined]  # private in Django's client


def cache_script(source: str) -> Callable[[Sequence[str], Sequence[Any]], Any]:
    """A Lua script run on Redis in one round trip (sent once, then called by its digest): ``run(keys, args)``
    with cache keys as the application names them. Raises :class:`CacheUnavailable` when Redis cannot be
    reached, and ``LookupError`` when the cache is not Redis."""
    scripts: dict[int, Any] = {}

    def run(keys: Sequence[str], args: Sequence[Any]) -> Any:
        backend = redis_backend()
        if backend is None:
            raise LookupError("the cache is not Redis")
        if _breaker_open(backend):
            raise CacheUnavailable
        client = backend._cache.get_client(None, write=True)
        script = scripts.get(id(client))
        if script is None:
            script = scripts[id(client)] = client.register_script(source)
        try:
            return script(keys=[backend.make_and_validate_key(key) for key in keys], args=list(args), client=client)
        except RedisError:
            _degraded(backend, "script")
            raise CacheUnavailable from None

    return run


# --- Plain text values ---------------------------------------------------------------------------
# Values a script reads on the server are stored as plain text, not pickled: only through these helpers.
def cache_text_add(key: str, text: str, seconds: int) -> bool:
    """Stores ``text`` at ``key`` for ``seconds`` unless the key holds something; ``False`` when it did (or the
    cache is down)."""
    backend = redis_backend()
    if backend is None:
        return cache.add(key, text, timeout=seconds)
    if _breaker_open(backend):
        return False
    try:
        client = backend._cache.get_client(None, write=True)
        return bool(client.set(backend.make_and_validate_key(key), text.encode(), nx=True, ex=seconds))
    except RedisError:
        _degraded(backend, "add")
        return False


def cache_text_set_many(mapping: dict[str, str], seconds: int) -> None:
    """Stores each text at its key for ``seconds``, over whatever the keys hold (dropped when the cache is down)."""
    backend = redis_backend()
    if backend is None:
        cache.set_many(mapping, timeout=seconds)
        return
    if _breaker_open(backend):
        return
    try:
        pipeline = backend._cache.get_client(None, write=True).pipeline(transaction=False)
        for key, text in mapping.items():
            pipeline.set(backend.make_and_validate_key(key), text.encode(), ex=seconds)
        pipeline.execute()
    except RedisError:
        _degraded(backend, "set_many")


def cache_text(raw: Any) -> str | None:
    """A plain text value as read back (bytes from Redis, ``str`` from local memory), else ``None``."""
    if isinstance(raw, bytes):
        return raw.decode(errors="replace")
    return raw if isinstance(raw, str) else None


def cache_add_many(flags: Mapping[str, int]) -> set[str]:
    """Sets each key of ``flags`` (to 1, for its number of seconds) unless it is set already, and returns the keys
    it set: one
    pipelined round trip on Redis (``SET NX EX`` each), the cache's own ``add`` elsewhere. With Redis down it sets
    nothing and returns nothing, as :meth:`ResilientRedisCache.add` answers ``False`` then."""
    backend = redis_backend()
    if backend is None:
        return {key for key, seconds in flags.items() if cache.add(key, 1, timeout=seconds)}
    if _breaker_open(backend):
        return set()
    try:
        pipeline = backend._cache.get_client(None, write=True).pipeline(transaction=False)
        for key, seconds in flags.items():
            pipeline.set(backend.make_and_validate_key(key), 1, nx=True, ex=seconds)
        results = pipeline.execute()
    except RedisError:
        _degraded(backend, "add_many")
        return set()
    return {key for key, added in zip(flags, results, strict=True) if added}


def cache_text_get(key: str) -> str | None:
    """The plain text value at ``key`` (written by :func:`cache_text_add` or :func:`cache_text_set_many`)."""
    backend = redis_backend()
    if backend is None:
        return cache_text(cache.get(key))
    if _breaker_open(backend):
        return None
    try:
        return cache_text(backend._cache.get_client(None).get(backend.make_and_validate_key(key)))
    except RedisError:
        _degraded(backend, "get")
        return None
