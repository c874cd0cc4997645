"""Liveness and readiness, as the contract says."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def live(request):
    """The process answers; touches neither the database nor Redis."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        connection.close_if_unusable_or_obsolete()
        return type(exc).__name__
    return None


def _check_redis() -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as exc:
        return type(exc).__name__
    return None


@never_cache
def ready(request):
    """200 when the database, the cache and the broker answer; else 503 naming what failed."""
    checks: dict[str, str] = {}
    failed: list[str] = []
    db_error = _check_database()
    checks["database"] = "ok" if db_error is None else f"failed: {db_error}"
    if db_error:
        failed.append("database")
    if settings.REDIS_URL:
        redis_error = _check_redis()
        for name in ("cache", "broker"):
            checks[name] = "ok" if redis_error is None else f"failed: {redis_error}"
            if redis_error:
                failed.append(name)
    else:
        checks["cache"] = "ok (local memory)"
        checks["broker"] = "ok (in-process)"
    if failed:
        return JsonResponse(
            {
                "status": 503,
                "code": "not_ready",
                "detail": "Not ready: " + ", ".join(failed) + ".",
                "failed": failed,
                "checks": checks,
            },
            status=503,
            content_type="application/problem+json",
        )
    return JsonResponse({"status": "ok", "checks": checks})
