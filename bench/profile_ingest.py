"""Where the time of one report ingest goes: the SQL it sends and a pyinstrument profile.

Runs in-process through Django's test client, against a migrated PostgreSQL database (BENCH_DATABASE_URL,
default the load benchmark's kezek_bench) with production settings, Redis optional (REDIS_URL).

    .venv/bin/python bench/profile_ingest.py [--batch 1] [--requests 200] [--history 40] [--no-profile]

``--history`` reports already stored in the driver's visit before profiling (a driver deep in a queue).
pyinstrument is a dev extra; without it only the SQL and timings are printed.

With REDIS_URL set, the processing that follows ingest (visits, flags, stay events) is queued for a worker, as in
production, and is timed separately at the end by running it in-process for the reports left unprocessed; without
REDIS_URL it runs in-process after each request's commit and is part of the request's time.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.profiling import django_setup, signed_in_driver


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--history", type=int, default=40)
    parser.add_argument("--no-profile", action="store_true", help="timings only, without pyinstrument's overhead")
    args = parser.parse_args()

    django_setup(THROTTLE_REPORTS="100000000/minute")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    driver, token = signed_in_driver()
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    # Every report observed in the past (ingest refuses more than 5 minutes ahead): the profiled requests are
    # spaced 6 s per report after the history.
    span = timedelta(seconds=6 * (args.requests + 1) * max(args.batch, 1) + args.batch)
    start = datetime.now(tz=UTC) - timedelta(minutes=args.history + 10) - span

    def body(count: int, at: datetime, kind: str = "position") -> dict:
        return {
            "reports": [
                {
                    "id": str(uuid.uuid4()),
                    "crossing": "kurmangazy-karaozek",
                    "direction": "KZ-RU",
                    "kind": kind,
                    "observed_at": (at + timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "position": 100,
                }
                for index in range(count)
            ]
        }

    client.post("/api/v1/reports", body(1, start, "joined"), content_type="application/json")
    for index in range(args.history):
        client.post("/api/v1/reports", body(1, start + timedelta(minutes=index + 1)), content_type="application/json")

    moment = start + timedelta(minutes=args.history + 2)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/reports", body(args.batch, moment), content_type="application/json")
    print(f"one request ({args.batch} report(s)): {response.status_code}, {len(queries)} SQL statements")
    for query in queries.captured_queries:
        print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:160]}")

    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if args.no_profile:
        Profiler = None
    profiler = Profiler(interval=0.0005) if Profiler else None
    if profiler:
        profiler.start()
    began, cpu_began = time.perf_counter(), time.process_time()
    statuses: dict[str, int] = {}
    for index in range(args.requests):
        at = moment + timedelta(seconds=6 * (index + 1) * max(args.batch, 1))
        answer = client.post("/api/v1/reports", body(args.batch, at), content_type="application/json")
        for result in answer.json()["results"]:
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    if profiler:
        profiler.stop()
    print(
        f"{args.requests} requests in {elapsed:.2f} s: {elapsed / args.requests * 1000:.1f} ms each "
        f"({cpu / args.requests * 1000:.1f} ms CPU), {args.requests * args.batch / elapsed:.0f} reports/s, "
        f"in-process{' under the profiler' if profiler else ''}; results {statuses}"
    )
    from queues.models import Report
    from queues.services.reports import reports_process

    waiting = Report.objects.filter(driver=driver, processed_at__isnull=True).count()
    if waiting:
        began, cpu_began = time.perf_counter(), time.process_time()
        reports_process(driver_id=driver.pk, as_of=datetime.now(tz=UTC))
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        print(
            f"processing after commit (a worker's job): {waiting} reports in {elapsed * 1000:.0f} ms "
            f"({cpu * 1000:.0f} ms CPU), {waiting / elapsed:.0f} reports/s"
        )
    if profiler:
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
