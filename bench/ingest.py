"""In-process benchmark of report ingest: 1-report and 100-report batches against a bare endpoint.

Each database runs in its own process (Django's settings are per process) on a fresh, migrated database: a
temporary SQLite file (WAL, as configured), and, when DATABASE_URL names PostgreSQL, a temporary database on that
server that is dropped afterwards. Requests go through Django's test client, i.e. the whole middleware, DRF,
authentication (knox), throttling (local-memory cache) and the ingest service, without a network or a WSGI server;
the baseline is ``GET /health/live`` through the same client in the same run. Tasks are published to an in-memory
broker and not run, so the figures are the request path only (estimates are refreshed by workers).

Workload: 60 drivers, each with an open visit on one of the 42 queues; single reports go round-robin over the
drivers (a visit grows by about 20 reports, as on a long wait), each 100-report batch is one driver's day offline.
Also measured: the same 100-report batches resent (every item a duplicate), as phones do after a lost answer.

Usage: ``python bench/ingest.py`` (about a minute); writes the "ingest" section of docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEALTH_REQUESTS = 2000
SINGLE_REQUESTS = 600
BATCHES = 30
BATCH_SIZE = 100
DRIVERS = 60
TARGET_SINGLE_RATIO = 0.35
TARGET_BATCH_REPORTS_PER_SECOND = 5000


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _summary(latencies: list[float], elapsed: float, reports_per_request: int) -> dict[str, float]:
    return {
        "requests": len(latencies),
        "requests_per_second": len(latencies) / elapsed,
        "reports_per_second": len(latencies) * reports_per_request / elapsed,
        "p50_ms": _percentile(latencies, 0.5) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


# --- one database, in a child process ---------------------------------------------------------------------------
def _worker() -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    django.setup()

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from knox.models import AuthToken

    from carriers.models import Carrier, Device, Driver
    from config.celery import app
    from queues.models import Queue, Report

    app.conf.task_always_eager = False  # publish to the in-memory broker; no worker runs the tasks
    app.conf.broker_url = "memory://"
    call_command("migrate", verbosity=0, interactive=False)

    carrier = Carrier.objects.create(name="Bench Freight")
    queues = list(Queue.objects.select_related("crossing").order_by("pk"))
    clients = []
    for n in range(DRIVERS):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create(username=f"bench-driver-{n}")
        driver = Driver.objects.create(user=user, phone=f"+7700{n:07d}", name=f"Driver {n}", carrier=carrier)
        token_row, token = AuthToken.objects.create(user=user)
        Device.objects.create(driver=driver, auth_token=token_row, name="bench")
        clients.append((Client(HTTP_AUTHORIZATION=f"Token {token}"), queues[n % len(queues)]))

    now = datetime.now(tz=UTC)

    def item(queue, kind: str, observed_at: datetime, position: int) -> dict:
        return {
            "id": str(uuid.uuid4()),
            "crossing": queue.crossing.slug,
            "direction": queue.direction,
            "kind": kind,
            "observed_at": observed_at.isoformat(),
            "position": position,
            "distance_m": position * 20,
            "lat": queue.crossing.lat + 0.001,
            "lon": queue.crossing.lon,
        }

    def timed(call) -> float:
        started = time.perf_counter()
        response = call()
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.content[:500]!r}")
        return elapsed

    # Warm-up: every client signs in once and opens its visit (not measured).
    for client, queue in clients:
        body = {"reports": [item(queue, "joined", now - timedelta(hours=6), 500)]}
        timed(lambda c=client, b=body: c.post("/api/v1/reports", b, content_type="application/json"))
    health_client = clients[0][0]
    for _ in range(200):
        timed(lambda: health_client.get("/health/live"))

    def measure(calls) -> tuple[list[float], float]:
        latencies = []
        started = time.perf_counter()
        for call in calls:
            latencies.append(timed(call))
        return latencies, time.perf_counter() - started

    health, health_elapsed = measure([lambda: health_client.get("/health/live")] * HEALTH_REQUESTS)
    # The floor of any driver request: knox sign-in, DRF and one small read, no ingest.
    floor, floor_elapsed = measure([lambda: health_client.get("/api/v1/visits?limit=1")] * (HEALTH_REQUESTS // 4))

    single_calls = []
    for n in range(SINGLE_REQUESTS):
        client, queue = clients[n % DRIVERS]
        step = n // DRIVERS
        body = json.dumps(
            {"reports": [item(queue, "position", now - timedelta(hours=5) + timedelta(minutes=10 * step), 480)]}
        )
        single_calls.append(lambda c=client, b=body: c.post("/api/v1/reports", b, "application/json"))
    single, single_elapsed = measure(single_calls)

    batch_bodies = []
    for n in range(BATCHES):
        client, queue = clients[n % DRIVERS]
        start = now - timedelta(days=3, hours=n % 24)
        reports = [item(queue, "joined", start, 600)]
        reports += [item(queue, "position", start + timedelta(minutes=6 * i), 600 - i) for i in range(1, BATCH_SIZE)]
        batch_bodies.append((client, json.dumps({"reports": reports})))
    batch, batch_elapsed = measure(
        [lambda c=c, b=b: c.post("/api/v1/reports", b, "application/json") for c, b in batch_bodies]
    )
    resend, resend_elapsed = measure(
        [lambda c=c, b=b: c.post("/api/v1/reports", b, "application/json") for c, b in batch_bodies]
    )

    expected = DRIVERS + SINGLE_REQUESTS + BATCHES * BATCH_SIZE
    if Report.objects.count() != expected:
        raise RuntimeError(f"stored {Report.objects.count()} reports, expected {expected}")
    return {
        "database": f"{connection.vendor} {'.'.join(map(str, connection.Database.sqlite_version_info))}"
        if connection.vendor == "sqlite"
        else f"{connection.vendor} {connection.pg_version // 10000}",
        "health": _summary(health, health_elapsed, 0),
        "floor": _summary(floor, floor_elapsed, 0),
        "single": _summary(single, single_elapsed, 1),
        "batch": _summary(batch, batch_elapsed, BATCH_SIZE),
        "resend": _summary(resend, resend_elapsed, BATCH_SIZE),
    }


# --- the driver ---------------------------------------------------------------------------------------------------
def _run_child(database_url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "THROTTLE_REPORTS": "1000000/minute",
        "THROTTLE_DRIVER": "1000000/minute",
        "LOG_LEVEL": "ERROR",
        "DEBUG": "false",
    }
    done = subprocess.run(
        [sys.executable, __file__, "--worker"], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark on {database_url} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _postgres_scratch(database_url: str):
    """A fresh database next to DATABASE_URL's for the run; returns (its URL, a function that drops it)."""
    import psycopg

    parsed = urlparse(database_url)
    name = f"{parsed.path.lstrip('/') or 'kezek'}_bench_ingest_{os.getpid()}"
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunparse(parsed._replace(path=f"/{name}")), drop


def _row(label: str, figures: dict, *, reports: bool) -> str:
    per_second = f"{figures['reports_per_second']:,.0f}" if reports else "–"
    return (
        f"| {label} | {figures['requests']} | {figures['requests_per_second']:,.0f} | {per_second} "
        f"| {figures['p50_ms']:.2f} | {figures['p99_ms']:.2f} |"
    )


def _section(runs: list[dict]) -> str:
    lines = [
        "Django test client in one process (no network, no WSGI server): middleware, DRF, knox sign-in, throttle, "
        "validation, visits, flags and the database writes, one request at a time. Tasks are published to an "
        "in-memory broker, not run. Baseline: `GET /health/live` through the same client in the same run. "
        f"Targets: a 1-report batch at ≥ {TARGET_SINGLE_RATIO}× the baseline's requests/s; 100-report batches at "
        f"≥ {TARGET_BATCH_REPORTS_PER_SECOND:,} reports/s.",
        "",
    ]
    for run in runs:
        ratio = run["single"]["requests_per_second"] / run["health"]["requests_per_second"]
        batch_rate = run["batch"]["reports_per_second"]
        floor_ratio = run["floor"]["requests_per_second"] / run["health"]["requests_per_second"]
        lines += [
            f"### {run['database']}",
            "",
            "| request | requests | requests/s | reports/s | p50 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            _row("`GET /health/live` (baseline)", run["health"], reports=False),
            _row("`GET /api/v1/visits?limit=1` (signed-in floor)", run["floor"], reports=False),
            _row("1-report batch", run["single"], reports=True),
            f"{_row(f'{BATCH_SIZE}-report batch', run['batch'], reports=True)}",
            f"{_row(f'{BATCH_SIZE}-report batch resent (all duplicates)', run['resend'], reports=True)}",
            "",
            f"- 1-report batch / baseline: **{ratio:.2f}×** (target ≥ {TARGET_SINGLE_RATIO}×: "
            f"{'met' if ratio >= TARGET_SINGLE_RATIO else 'not met'})",
            f"- signed-in floor / baseline: {floor_ratio:.2f}× (what any authenticated driver request costs here)",
            f"- 100-report batches: **{batch_rate:,.0f} reports/s** (target ≥ {TARGET_BATCH_REPORTS_PER_SECOND:,}: "
            f"{'met' if batch_rate >= TARGET_BATCH_REPORTS_PER_SECOND else 'not met'})",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    from bench.report import write_section

    runs = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="kezek-bench-") as folder:
        print("ingest: SQLite ...", flush=True)
        runs.append(_run_child(f"sqlite:///{folder}/bench.sqlite3"))
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        print("ingest: PostgreSQL ...", flush=True)
        scratch_url, drop = _postgres_scratch(database_url)
        try:
            runs.append(_run_child(scratch_url))
        finally:
            drop()
    load_after = os.getloadavg()[0]
    section = _section(runs) + (
        f"\nOne-minute load average of the machine: {load_before:.1f} before the run, {load_after:.1f} after "
        f"({os.cpu_count()} cores). Other work on the machine slows both the baseline and ingest, not evenly: "
        "compare ratios of one run, not figures across runs.\n"
    )
    print(section)
    write_section("ingest", "Report ingest (in-process)", section, command="python bench/ingest.py")
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv:
        print(json.dumps(_worker()))
        sys.exit(0)
    sys.exit(main())
