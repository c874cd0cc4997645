"""Load benchmark: the real stack on loopback, measured side by side against ``GET /health/live``.

Starts (and stops) a private Redis, gunicorn (config/gunicorn.py), a Celery worker and beat on its own
PostgreSQL database (dropped, created and migrated here), then drives it with wrk (Debian's ``wrk``;
installed with apt-get when missing — there is no Python fallback, because a Python load generator on
the same 2 cores would measure itself rather than the server).

Measured at 16 and 64 clients: requests/s, p50, p99, and each as a ratio to ``/health/live`` in the same
run, for the crossing reads of both APIs, single reports and batches, each from 2,000 drivers and from one driver
or one partner key carrying the whole load, and a realistic mix of them; then the "border reopens" scenario
(2,000 drivers each flush 20 queued reports, 30% of requests retried with the same ids). The result goes to
docs/benchmarks.md (section ``load``).

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/kezek_bench),
BENCH_DURATION (seconds per measurement, default 8), GUNICORN_WORKERS (default 2 x cores + 1),
BENCH_SKIP_BORDER=1 to skip the border scenario.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from bench import report  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kezek_bench")
DURATION = float(os.environ.get("BENCH_DURATION", "8"))
CLIENTS = (16, 64)
WRK_THREADS = 2
GUNICORN_WORKERS = int(os.environ.get("GUNICORN_WORKERS") or (os.cpu_count() or 1) * 2 + 1)
LOAD_DRIVERS = 2000
BORDER_DRIVERS = 2000
BORDER_REPORTS_EACH = 20
BORDER_RETRY_SHARE = 0.3
BORDER_CLIENTS = 32
BEAT_INTERVAL_SECONDS = 60  # CELERY_BEAT_SCHEDULE["estimate-sweep"]
LUA = Path(__file__).resolve().parent / "scenario.lua"
LOAD_BEFORE = "unknown"
PY = sys.executable
BIN = Path(PY).parent

TARGETS = {
    "ingest_ratio": 0.35,
    "batch_reports_per_s": 5000,
    "partner_ratio": 0.7,
    "ingest_p99_ms_16": 100,
    "worker_rss_mb": 200,
}


def log(message: str) -> None:
    print(f"[load {datetime.now(tz=UTC):%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    log("wrk is missing: installing Debian's package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False)
    path = shutil.which("wrk")
    if not path:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False)
        path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is required for the load benchmark (apt-get install wrk) and could not be installed")
    return path


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- the stack ---------------------------------------------------------------------------------------
@dataclass
class Stack:
    workdir: Path
    redis_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self) -> dict[str, str]:
        unlimited = "100000000/minute"
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": self.redis_url,
            "CONN_MAX_AGE": "600",
            "LOG_LEVEL": "WARNING",
            "NUM_PROXIES": "0",  # clients connect straight to the app on loopback
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(PROJECT_DIR / "var" / "bench-sms"),
            # Throttles still run (a cache round trip per request), at rates the benchmark never reaches.
            "THROTTLE_DRIVER": unlimited,
            "THROTTLE_REPORTS": unlimited,
            "PARTNER_THROTTLE_RATE": unlimited,
            "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
            "GUNICORN_WORKERS": str(GUNICORN_WORKERS),
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, name: str, argv: list[str], port: int | None = None) -> subprocess.Popen:
        log_file = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            argv, cwd=PROJECT_DIR, env=self.env(), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        if port:
            wait_port(port)
        return process

    def start_redis(self) -> None:
        self.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            port=self.redis_port,
        )

    def start_app(self) -> None:
        self.start("gunicorn", [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "config.wsgi"], port=self.web_port)
        self.wait_workers(GUNICORN_WORKERS)
        # Background work yields the CPU to the request path (niced), as it would on its own host.
        celery = ["nice", "-n", "10", str(BIN / "celery"), "-A", "config"]
        self.start(
            "worker",
            [*celery, "worker", "--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        )
        self.start("beat", [*celery, "beat", "-s", str(self.workdir / "beat-schedule"), "--loglevel=WARNING"])
        self.wait_celery()

    def wait_celery(self, timeout: float = 60.0) -> None:
        """The worker says it is ready and beat is still running; else the run stops with their logs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name in ("worker", "beat"):
                if self.processes[name].poll() is not None:
                    tail = (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"celery {name} exited at start:\n{tail}")
            from config.celery import app

            if app.control.ping(timeout=0.5):
                return
        raise RuntimeError("the celery worker did not become ready in time")

    def wait_workers(self, expected: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < expected and time.monotonic() < deadline:
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        master = self.processes["gunicorn"].pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in 15 s: SIGKILL")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- data --------------------------------------------------------------------------------------------
def django_setup(stack: Stack) -> None:
    os.environ.update({k: v for k, v in stack.env().items() if k not in ("GUNICORN_BIND",)})
    import django

    django.setup()


def make_drivers(count: int, prefix: str) -> list[str]:
    """``count`` drivers with one signed-in device each; returns their raw tokens."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from knox.models import AuthToken

    from carriers.models import Device, Driver

    user_model = get_user_model()
    tokens = []
    with transaction.atomic():
        users = user_model.objects.bulk_create([user_model(username=f"{prefix}{index:06d}") for index in range(count)])
        drivers = Driver.objects.bulk_create(
            [
                Driver(user=user, phone=f"+7702{prefix_digit(prefix)}{index:06d}", name=f"Bench {prefix}{index}")
                for index, user in enumerate(users)
            ]
        )
        devices = []
        for driver in drivers:
            instance, token = AuthToken.objects.create(user=driver.user)
            devices.append(Device(driver=driver, auth_token=instance, name="bench phone"))
            tokens.append(token)
        Device.objects.bulk_create(devices)
    return tokens


def prefix_digit(prefix: str) -> str:
    return {"load": "1", "seed": "2", "border": "3"}[prefix]


def load_drivers_file(tokens: list[str]) -> str:
    """One line per driver: token, then the queue it reports on (drivers spread over every seeded queue)."""
    from queues.models import Queue

    queues = [(q.crossing.slug, q.direction) for q in Queue.objects.select_related("crossing").order_by("id")]
    lines = [
        f"{token} {queues[index % len(queues)][0]} {queues[index % len(queues)][1]}"
        for index, token in enumerate(tokens)
    ]
    return "\n".join(lines) + "\n"


def partner_key() -> str:
    from queues.models import PartnerKey

    _, key = PartnerKey.objects.create_key(name="bench", firm="Bench Logistics")
    return key


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def post_json(base: str, path: str, body: dict, headers: dict[str, str], timeout: float = 30.0) -> tuple[int, dict]:
    parts = urlsplit(base)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        payload = json.dumps(body).encode()
        conn.request("POST", path, body=payload, headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {"raw": data[:200].decode(errors="replace")}
        return response.status, parsed
    finally:
        conn.close()


def get(base: str, path: str, headers: dict[str, str]) -> int:
    parts = urlsplit(base)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def tokens_warm(base: str, tokens: list[str]) -> dict[int, int]:
    """Reads the crossing list once with each token, as each app would have on opening: the first read of a token
    checks it in the database and remembers it in the cache (``carriers.auth``), every later one is the hot read
    the benchmark measures. One keep-alive connection; returns how many answers of each status."""
    parts = urlsplit(base)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=30)
    statuses: Counter[int] = Counter()
    try:
        for token in tokens:
            conn.request("GET", "/api/v1/crossings", headers={"Authorization": f"Token {token}"})
            response = conn.getresponse()
            response.read()
            statuses[response.status] += 1
    finally:
        conn.close()
    return dict(statuses)


def visit_reports(*, crossing: str, direction: str, start: datetime, count: int, crossed: bool) -> list[dict]:
    """One driver's queue visit as the app would have queued it: joined, positions, perhaps crossed."""
    reports = []
    position = random.randint(count * 3, count * 6)
    for index in range(count):
        kind = "joined" if index == 0 else "position"
        if crossed and index == count - 1:
            kind = "crossed"
        item = {
            "id": str(uuid.uuid4()),
            "crossing": crossing,
            "direction": direction,
            "kind": kind,
            "observed_at": iso(start + timedelta(minutes=6 * index)),
        }
        if kind != "crossed":
            item["position"] = max(position, 0)
            position -= random.randint(1, 5)
        reports.append(item)
    return reports


def seed_estimate(stack: Stack, tokens: list[str], crossing: str, direction: str) -> str:
    """Real reports from several drivers, then wait for the worker to publish the estimate."""
    from queues.models import Estimate, Queue

    now = datetime.now(tz=UTC)
    for index, token in enumerate(tokens):
        reports = visit_reports(
            crossing=crossing,
            direction=direction,
            start=now - timedelta(minutes=150 - index * 7),
            count=12,
            crossed=index % 2 == 0,
        )
        status, body = post_json(
            stack.base, "/api/v1/reports", {"reports": reports}, {"Authorization": f"Token {token}"}
        )
        if status != 200:
            log(f"seeding reports answered {status}: {str(body)[:300]}")
    origin, destination = direction.split("-")
    queue = Queue.objects.get(crossing__slug=crossing, from_country=origin, to_country=destination)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Estimate.objects.filter(queue=queue, published=True).exists():
            return "computed by the worker from seeded reports"
        time.sleep(0.5)
    try:
        from queues.services.estimates import estimate_refresh

        estimate_refresh(queue_id=queue.id, as_of=datetime.now(tz=UTC))
        if Estimate.objects.filter(queue=queue, published=True).exists():
            return "computed in-process from seeded reports (the worker had not published one in 30 s)"
    except ImportError:
        pass
    Estimate.objects.update_or_create(
        queue=queue,
        defaults={
            "wait_minutes": 95,
            "low_minutes": 60,
            "high_minutes": 140,
            "queue_length": 40,
            "throughput_per_hour": 22.0,
            "reports": 60,
            "drivers": len(tokens),
            "computed_at": datetime.now(tz=UTC),
            "data_until": datetime.now(tz=UTC),
            "published": True,
        },
    )
    return "inserted directly (no estimate was published from the seeded reports)"


def query_counts(stack: Stack, token: str, crossing: str, direction: str) -> dict[str, int]:
    """SQL statements one request makes, through Django's test client against the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for label, size in (("single report", 1), ("100-report batch", 100)):
        observed = iso(datetime.now(tz=UTC) - timedelta(seconds=30))
        body = {
            "reports": [
                {
                    "id": str(uuid.uuid4()),
                    "crossing": crossing,
                    "direction": direction,
                    "kind": "position",
                    "observed_at": observed,
                    "position": 10 + index,
                }
                for index in range(size)
            ]
        }
        client.post(  # warm: the first request of a process loads caches
            "/api/v1/reports",
            data={"reports": [{**body["reports"][0], "id": str(uuid.uuid4())}]},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/reports", data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
            )
        counts[f"POST /api/v1/reports ({label}) -> {response.status_code}"] = len(queries)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/stays", HTTP_AUTHORIZATION=f"Token {token}")
    counts[f"GET /api/v1/stays -> {response.status_code}"] = len(queries)
    client.get("/api/v1/crossings", HTTP_AUTHORIZATION=f"Token {token}")  # the token and the answer get stored
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/crossings", HTTP_AUTHORIZATION=f"Token {token}")
    counts[f"GET /api/v1/crossings, stored answer -> {response.status_code}"] = len(queries)
    return counts


# --- wrk -------------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    clients: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    bad_items: int = 0
    per_request: int = 1


def drain(stack: Stack, timeout: float = 60.0) -> None:
    """Waits until the server has worked off what the last run left queued (accepted but unanswered requests)."""
    deadline = time.monotonic() + timeout
    quick = 0
    while time.monotonic() < deadline and quick < 3:
        began = time.perf_counter()
        with contextlib.suppress(OSError):
            get(stack.base, "/health/live", {})
        quick = quick + 1 if time.perf_counter() - began < 0.05 else 0
        time.sleep(0.1)


def run_wrk(wrk: str, stack: Stack, name: str, clients: int, duration: float, env: dict[str, str]) -> Result:
    drain(stack)
    argv = [
        wrk,
        f"-t{WRK_THREADS}",
        f"-c{clients}",
        f"-d{max(int(duration), 1)}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        stack.base + env["BENCH_PATH"],
    ]
    completed = subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, check=False, timeout=duration + 60
    )
    line = next((line for line in completed.stdout.splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {name}:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = data["duration_us"] / 1e6
    errors = data["status_errors"] + data["socket_errors"] + data["non_ok"]
    return Result(
        name=name,
        clients=clients,
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        errors=min(errors, data["requests"]) if data["non_ok"] else errors,
        bad_items=data["bad_items"],
        per_request=int(env.get("BENCH_BATCH", "1")),
    )


def scenarios(tokens_file: Path, one_file: Path, key: str, read_crossing: str, read_dir: str):
    """Each measured request kind, for many drivers (the realistic spread) and for one driver or one key
    carrying the whole load (the throttles are lifted through THROTTLE_DRIVER, THROTTLE_REPORTS and
    PARTNER_THROTTLE_RATE, see Stack.env), and the realistic mix of them all."""
    many = {"BENCH_TOKENS": str(tokens_file)}
    one = {"BENCH_TOKENS": str(one_file)}
    estimate = f"/api/partner/v1/crossings/{read_crossing}/estimate?direction={read_dir}"
    return [
        ("GET /health/live", {"BENCH_MODE": "health", "BENCH_PATH": "/health/live"}),
        (
            "GET /api/v1/crossings (2,000 drivers)",
            {**many, "BENCH_MODE": "token_get", "BENCH_PATH": "/api/v1/crossings"},
        ),
        ("GET /api/v1/crossings (one driver)", {**one, "BENCH_MODE": "token_get", "BENCH_PATH": "/api/v1/crossings"}),
        (
            "GET /api/v1/crossings/{slug} (2,000 drivers)",
            {**many, "BENCH_MODE": "token_get", "BENCH_PATH": f"/api/v1/crossings/{read_crossing}"},
        ),
        (
            "GET partner crossings (one key)",
            {"BENCH_MODE": "key_get", "BENCH_KEY": key, "BENCH_PATH": "/api/partner/v1/crossings"},
        ),
        ("GET partner estimate (one key)", {"BENCH_MODE": "key_get", "BENCH_KEY": key, "BENCH_PATH": estimate}),
        (
            "POST /api/v1/reports (1 report, 2,000 drivers)",
            {**many, "BENCH_MODE": "reports", "BENCH_PATH": "/api/v1/reports", "BENCH_BATCH": "1"},
        ),
        (
            "POST /api/v1/reports (1 report, one driver)",
            {**one, "BENCH_MODE": "reports", "BENCH_PATH": "/api/v1/reports", "BENCH_BATCH": "1"},
        ),
        (
            "POST /api/v1/reports (100 reports, 2,000 drivers)",
            {**many, "BENCH_MODE": "reports", "BENCH_PATH": "/api/v1/reports", "BENCH_BATCH": "100"},
        ),
        (
            "realistic mix (2,000 drivers, one key)",
            {
                **many,
                "BENCH_MODE": "mix",
                "BENCH_KEY": key,
                "BENCH_PATH": "/api/v1/reports",
                "BENCH_ESTIMATE": estimate,
            },
        ),
        ("GET /api/v1/stays", {**many, "BENCH_MODE": "token_get", "BENCH_PATH": "/api/v1/stays"}),
    ]


# --- border reopens --------------------------------------------------------------------------------
@dataclass
class BorderOutcome:
    requests: int = 0
    failed_requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    http: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    stored: int = 0
    fresh_after_s: float | None = None
    queues: int = 0
    stale_queues: list[str] = field(default_factory=list)


def border_reopens(stack: Stack, tokens: list[str]) -> BorderOutcome:
    from django.db.models import Max

    from queues.models import Estimate, Queue, Report

    rng = random.Random(20261121)
    queues = list(Queue.objects.select_related("crossing").filter(crossing__slug__in=BORDER_CROSSINGS).order_by("id"))
    now = datetime.now(tz=UTC)
    jobs: list[tuple[str, list[dict]]] = []
    late_retries: list[tuple[str, list[dict]]] = []
    all_ids: set[str] = set()
    for index, token in enumerate(tokens):
        queue = queues[index % len(queues)]
        # Queued while the border was shut: the last report is 1 to 30 minutes old, the first 2 to 3 hours.
        start = now - timedelta(minutes=rng.randint(6 * BORDER_REPORTS_EACH, 180))
        reports = visit_reports(
            crossing=queue.crossing.slug,
            direction=queue.direction,
            start=start,
            count=BORDER_REPORTS_EACH,
            crossed=rng.random() < 0.25,
        )
        all_ids.update(item["id"] for item in reports)
        jobs.append((token, reports))
        if rng.random() < BORDER_RETRY_SHARE:
            # A retry with the same ids: half while the first attempt is still in flight, half later.
            if rng.random() < 0.5:
                jobs.append((token, reports))
            else:
                late_retries.append((token, reports))
    jobs.extend(late_retries)
    outcome = BorderOutcome(queues=len(queues))
    lock = threading.Lock()

    def send(job: tuple[str, list[dict]]) -> None:
        token, reports = job
        began = time.perf_counter()
        try:
            status, body = post_json(
                stack.base, "/api/v1/reports", {"reports": reports}, {"Authorization": f"Token {token}"}
            )
        except OSError:
            status, body = 0, {}
        elapsed = time.perf_counter() - began
        with lock:
            outcome.requests += 1
            outcome.http[status] += 1
            outcome.latencies.append(elapsed)
            if status != 200:
                outcome.failed_requests += 1
                return
            for item in body.get("results", []):
                outcome.statuses[item.get("status", "?")] += 1

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=BORDER_CLIENTS) as pool:
        list(pool.map(send, jobs))
    outcome.seconds = time.monotonic() - began
    flushed_at = datetime.now(tz=UTC)
    outcome.stored = Report.objects.filter(id__in=list(all_ids)).count()

    newest = dict(
        Report.objects.filter(queue__in=queues)
        .values("queue_id")
        .annotate(at=Max("received_at"))
        .values_list("queue_id", "at")
    )
    deadline = time.monotonic() + 2 * BEAT_INTERVAL_SECONDS + 15
    waited_from = time.monotonic()
    while True:
        # Fresh: computed after the last request of the flush was answered (so after every report committed).
        computed = Estimate.objects.filter(queue__in=queues).values_list("queue_id", "computed_at")
        fresh = {queue_id for queue_id, at in computed if queue_id in newest and at >= flushed_at}
        if all(queue.id in fresh for queue in queues if queue.id in newest):
            outcome.fresh_after_s = time.monotonic() - waited_from
            break
        if time.monotonic() > deadline:
            outcome.stale_queues = [f"{q.crossing.slug} {q.direction}" for q in queues if q.id not in fresh]
            break
        time.sleep(1)
    log(f"border flush finished at {flushed_at:%H:%M:%S}")
    return outcome


BORDER_CROSSINGS = ["taskala-ozinki", "alimbet-orsk", "nur-zholy-khorgos", "dostyk-alashankou", "bakhty-baketu"]


# --- the report -----------------------------------------------------------------------------------
def table(results: list[Result], baseline: dict[int, Result]) -> str:
    lines = [
        "| endpoint | clients | requests/s | reports/s | p50 ms | p99 ms | ratio to /health/live | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        base = baseline[result.clients].rps or float("nan")
        reports = f"{result.rps * result.per_request:,.0f}" if result.name.startswith("POST") else ""
        errors = f"{result.errors}" + (f" (+{result.bad_items} items)" if result.bad_items else "")
        lines.append(
            f"| {result.name} | {result.clients} | {result.rps:,.0f} | {reports} | {result.p50_ms:.1f} | "
            f"{result.p99_ms:.1f} | {result.rps / base:.2f} | {errors} |"
        )
    return "\n".join(lines)


def verdicts(results: list[Result], baseline: dict[int, Result], rss: list[float]) -> list[tuple[str, str, bool]]:
    def find(prefix: str, clients: int) -> Result:
        return next(r for r in results if r.name.startswith(prefix) and r.clients == clients)

    def ratio(prefix: str, clients: int) -> float:
        return find(prefix, clients).rps / (baseline[clients].rps or float("nan"))

    rows = []
    for clients in CLIENTS:
        for prefix, label in (
            ("GET /api/v1/crossings (2,000", "driver crossing list"),
            ("GET /api/v1/crossings (one", "driver crossing list, one driver"),
            ("GET /api/v1/crossings/{slug}", "driver crossing"),
            ("GET partner crossings", "partner crossing list"),
            ("GET partner estimate", "partner estimate"),
        ):
            value = ratio(prefix, clients)
            rows.append((f"{label} ≥ 0.9 of /health/live ({clients} clients)", f"{value:.2f}", value >= 0.9))
    for clients in CLIENTS:
        for prefix, label in (
            ("POST /api/v1/reports (1 report, 2,000", "single-report ingest"),
            ("POST /api/v1/reports (1 report, one", "single-report ingest, one driver"),
        ):
            value = ratio(prefix, clients)
            rows.append((f"{label} ≥ 0.35 of /health/live ({clients} clients)", f"{value:.2f}", value >= 0.35))
    for clients in CLIENTS:
        per_s = find("POST /api/v1/reports (100", clients).rps * 100
        rows.append((f"100-report batches ≥ 5,000 reports/s ({clients} clients)", f"{per_s:,.0f}", per_s >= 5000))
    p99 = find("POST /api/v1/reports (1 report, 2,000", 16).p99_ms
    rows.append(("ingest p99 < 100 ms at 16 clients", f"{p99:.1f} ms", p99 < 100))
    errors = sum(r.errors + r.bad_items for r in results)
    rows.append(("no errors and no rejected report in any measurement", f"{errors}", errors == 0))
    worst = max(rss) if rss else 0.0
    rows.append(("gunicorn worker RSS < 200 MB after the run", f"{worst:.0f} MB", bool(rss) and worst < 200))
    return rows


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> int:
    global LOAD_BEFORE
    LOAD_BEFORE = load_average()
    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="kezek-bench-"))
    stack = Stack(workdir=workdir)
    log(f"database {DATABASE_URL} (recreated), private Redis on {stack.redis_port}, logs in {workdir}")
    recreate_database(DATABASE_URL)
    stack.start_redis()
    try:
        django_setup(stack)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        load_tokens = make_drivers(LOAD_DRIVERS, "load")
        seed_tokens = make_drivers(8, "seed")
        border_tokens = make_drivers(BORDER_DRIVERS, "border")
        key = partner_key()
        tokens_file = workdir / "tokens.txt"
        tokens_file.write_text(load_drivers_file(load_tokens))
        one_file = workdir / "one-driver.txt"
        one_file.write_text(load_drivers_file(load_tokens).splitlines()[0] + "\n")
        stack.start_app()
        log(f"gunicorn on {stack.base} with {len(stack.worker_pids())} workers, Celery worker and beat started")

        ingest_crossing, ingest_direction = "kurmangazy-karaozek", "KZ-RU"
        read_crossing, read_direction = "zhaisan-sagarchin", "RU-KZ"
        estimate_origin = seed_estimate(stack, seed_tokens, read_crossing, read_direction)
        log(f"partner estimate: {estimate_origin}")
        counts = query_counts(stack, load_tokens[0], ingest_crossing, ingest_direction)
        log(f"queries per request: {counts}")

        started = time.monotonic()
        warmed = tokens_warm(stack.base, load_tokens)
        log(f"{len(load_tokens):,} tokens warmed (one read each) in {time.monotonic() - started:.1f} s: {warmed}")
        plan = scenarios(tokens_file, one_file, key, read_crossing, read_direction)
        for name, env in plan:  # warm every worker's code paths and connections
            run_wrk(wrk, stack, name, 8, 1, {**env, "BENCH_NONCE": f"{random.getrandbits(32):08x}"})
        results: list[Result] = []
        for clients in CLIENTS:
            for name, env in plan:
                result = run_wrk(
                    wrk, stack, name, clients, DURATION, {**env, "BENCH_NONCE": f"{random.getrandbits(32):08x}"}
                )
                log(
                    f"{name:<38} c={clients:<3} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
                    f"p99 {result.p99_ms:6.1f} ms  errors {result.errors} bad items {result.bad_items}"
                )
                results.append(result)
        rss = [rss_mb(pid) for pid in stack.worker_pids()]
        log(f"gunicorn worker RSS after the run: {', '.join(f'{value:.0f} MB' for value in rss)}")

        border = None
        if os.environ.get("BENCH_SKIP_BORDER") != "1":
            log(f"border reopens: {BORDER_DRIVERS} drivers x {BORDER_REPORTS_EACH} reports, 30% retried")
            border = border_reopens(stack, border_tokens)
            log(
                f"border: {border.requests} requests in {border.seconds:.1f} s, stored {border.stored}, "
                f"failed {border.failed_requests}, statuses {dict(border.statuses)}, fresh after {border.fresh_after_s}"
            )
    finally:
        stack.stop()

    baseline = {r.clients: r for r in results if r.name == "GET /health/live"}
    body = render(results, baseline, rss, counts, estimate_origin, border, stack)
    print(body, flush=True)
    report.write_section("load", "Load: the stack against a bare endpoint", body, "make bench (bench/load.py)")
    return 0


def render(results, baseline, rss, counts, estimate_origin, border, stack) -> str:
    workers = GUNICORN_WORKERS
    parts = [
        f"Stack: gunicorn (config/gunicorn.py, {workers} sync workers, preloaded), PostgreSQL (own database, "
        "migrated by the run), a private Redis (cache, throttles, broker), one Celery worker (concurrency 1) and "
        f"beat, all on loopback; load from wrk on the same 2 cores ({WRK_THREADS} threads), {DURATION:.0f} s per "
        "measurement after a 1 s warm-up, settings `config.settings.production` (HTTPS redirect off for "
        "loopback; throttles on at rates the load never reaches: THROTTLE_DRIVER, THROTTLE_REPORTS and "
        "PARTNER_THROTTLE_RATE lifted, so one driver or one key can carry the whole load). The realistic mix: "
        "70% crossing-list polls by the 2,000 drivers, 20% single reports, 10% partner estimate reads. "
        "Before measuring, each driver's token reads the crossing list once (as each app does on opening), so "
        "the measured reads find its entry in the token cache. Each request's report ids are unique; "
        f"each request comes from a driver picked at random from {LOAD_DRIVERS:,}, each reporting on its own "
        "queue (spread over all seeded queues), as drivers in queues would. The partner estimate is "
        f"{estimate_origin}. Load average (1, 5, 15 min) before the run: {LOAD_BEFORE}; after: {load_average()} "
        "(everything else running on the machine counts against these figures; the ratios less so).",
        "",
        table(results, baseline),
        "",
        "| target | measured | met |",
        "| --- | ---: | :---: |",
    ]
    for label, value, ok in verdicts(results, baseline, rss):
        parts.append(f"| {label} | {value} | {'yes' if ok else 'no'} |")
    parts += [
        "",
        "gunicorn worker RSS after the run: " + ", ".join(f"{value:.0f} MB" for value in rss) + ".",
        "",
        "SQL statements per request (Django test client, same database and settings):",
        "",
    ]
    parts += [f"- {label}: {count}" for label, count in counts.items()]
    if border is not None:
        latencies = sorted(border.latencies) or [0.0]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        error_rate = border.failed_requests / border.requests if border.requests else 1.0
        expected = BORDER_DRIVERS * BORDER_REPORTS_EACH
        fresh = (
            f"every one of the {border.queues} affected estimates recomputed from all the flushed reports "
            f"{border.fresh_after_s:.0f} s after the last request was answered "
            f"(target ≤ {2 * BEAT_INTERVAL_SECONDS} s, two beat intervals)"
            if border.fresh_after_s is not None
            else f"NOT fresh within {2 * BEAT_INTERVAL_SECONDS + 15} s: {', '.join(border.stale_queues)}"
        )
        parts += [
            "",
            "### Border reopens",
            "",
            f"{BORDER_DRIVERS:,} drivers each flush {BORDER_REPORTS_EACH} queued reports (one batch each, queue "
            f"visits spread over {border.queues} queues); {BORDER_RETRY_SHARE:.0%} of requests are sent again with "
            f"the same ids, half while the first attempt is in flight, half after; {BORDER_CLIENTS} concurrent "
            "clients (Python threads).",
            "",
            f"- requests: {border.requests:,} in {border.seconds:.1f} s "
            f"({border.requests / border.seconds if border.seconds else 0:,.0f} requests/s, "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms); HTTP statuses "
            + ", ".join(f"{code}: {n}" for code, n in sorted(border.http.items())),
            "- item statuses: " + ", ".join(f"{name}: {n:,}" for name, n in sorted(border.statuses.items())),
            f"- reports stored: {border.stored:,} (expected exactly {expected:,}: "
            f"{'met' if border.stored == expected else 'NOT met'})",
            f"- error rate: {error_rate:.3%} of requests (target < 0.1%: {'met' if error_rate < 0.001 else 'NOT met'})",
            f"- freshness: {fresh}",
        ]
    return "\n".join(parts)


if __name__ == "__main__":
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__)  # the usage, without starting anything
        sys.exit(0)
    sys.exit(main())
