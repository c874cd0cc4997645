"""What one hot read costs: SQL statements and CPU per request, in-process, for the benchmark's read endpoints.

Runs Django's test client against a migrated PostgreSQL database (BENCH_DATABASE_URL, default the load
benchmark's kezek_bench) with production settings and Redis when REDIS_URL is set (the cache of a real
deployment); prints, per endpoint, the SQL statements of one warm request and the mean CPU milliseconds over
``--requests`` requests, with the ratio to ``GET /health/live``.

    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/profile_reads.py [--requests 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.profiling import django_setup, signed_in_driver


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every endpoint; the fastest is kept")
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime, ...")
    parser.add_argument("--profile", help="cProfile of the endpoint whose name contains this")
    args = parser.parse_args()

    django_setup(PARTNER_THROTTLE_RATE="100000000/minute")
    from django.db import connection
    from django.test import Client

    from queues.models import Estimate, PartnerKey, Queue
    from queues.services.partner_keys import partner_key_issue
    from stays.models import StayEvent

    driver, token = signed_in_driver()
    today = datetime.now(tz=UTC).date()
    for offset, kind in ((40, "entry"), (20, "exit"), (10, "entry")):
        StayEvent.objects.create(
            driver=driver, country="RU", kind=kind, date=today - timedelta(days=offset), source="driver"
        )

    queue = Queue.objects.select_related("crossing").order_by("pk").first()
    now = datetime.now(tz=UTC)
    Estimate.objects.update_or_create(
        queue=queue,
        defaults={
            "wait_minutes": 120,
            "low_minutes": 60,
            "high_minutes": 200,
            "queue_length": 80,
            "throughput_per_hour": 12.0,
            "reports": 30,
            "drivers": 8,
            "computed_at": now,
            "data_until": now - timedelta(minutes=2),
            "stale": False,
            "confidence": "medium",
            "published": True,
        },
    )
    raw_key = partner_key_issue(key=PartnerKey(firm=f"Profile {driver.pk}"))

    driver_client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    partner_client = Client(HTTP_HOST="127.0.0.1", HTTP_X_API_KEY=raw_key)
    anonymous = Client(HTTP_HOST="127.0.0.1")
    estimate_path = f"/api/partner/v1/crossings/{queue.crossing.slug}/estimate?direction={queue.direction}"
    cases = [
        ("GET /health/live", anonymous, "/health/live", {}),
        ("GET /api/v1/me", driver_client, "/api/v1/me", {}),
        ("GET /api/v1/crossings (hot)", driver_client, "/api/v1/crossings", {}),
        ("GET /api/v1/crossings/{slug} (hot)", driver_client, f"/api/v1/crossings/{queue.crossing.slug}", {}),
        ("GET partner crossings (hot)", partner_client, "/api/partner/v1/crossings", {}),
        ("GET partner estimate (hot)", partner_client, estimate_path, {}),
        ("GET /api/v1/stays", driver_client, "/api/v1/stays", {}),
    ]
    etag = partner_client.get(estimate_path)["ETag"]
    cases.insert(3, ("GET partner estimate (304)", partner_client, estimate_path, {"HTTP_IF_NONE_MATCH": etag}))

    counts: dict[str, tuple[int, int]] = {}
    for name, client, path, extra in cases:
        for _warm in range(5):
            client.get(path, **extra)
        statements: list[str] = []

        def record(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            response = client.get(path, **extra)
        counts[name] = (response.status_code, len(statements))
        if args.show_sql:
            for sql in statements:
                print(f"  {name}: {sql[:200]}")

    # Rounds over all endpoints, so a burst of load on the machine hits each of them alike; the fastest round
    # of each endpoint is kept (the least disturbed by everything else running).
    best: dict[str, tuple[float, float]] = {}
    for _round in range(args.rounds):
        for name, client, path, extra in cases:
            profiler = None
            if args.profile and args.profile in name and _round == 0:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            began_cpu, began_wall = time.process_time(), time.perf_counter()
            for _index in range(args.requests):
                client.get(path, **extra)
            cpu_ms = (time.process_time() - began_cpu) / args.requests * 1000
            wall_ms = (time.perf_counter() - began_wall) / args.requests * 1000
            if profiler is not None:
                import pstats

                profiler.disable()
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(45)
            if name not in best or cpu_ms < best[name][0]:
                best[name] = (cpu_ms, wall_ms)
    results = [(name, *counts[name], *best[name]) for name, _client, _path, _extra in cases]

    baseline = results[0][3]
    print(f"{'endpoint':<36} {'status':>6} {'SQL':>4} {'CPU ms':>7} {'wall ms':>8} {'CPU ratio':>10}")
    for name, status, count, cpu_ms, wall_ms in results:
        print(f"{name:<36} {status:>6} {count:>4} {cpu_ms:>7.2f} {wall_ms:>8.2f} {baseline / cpu_ms:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
