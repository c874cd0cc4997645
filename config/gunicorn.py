"""gunicorn settings for Kezek (``gunicorn -c config/gunicorn.py config.wsgi``); every value can be set by env.

Sync workers: each request is short (a validated insert or a cached read), the database connection is
reused by a worker (CONN_MAX_AGE) and a proxy in front (nginx) keeps the slow clients' connections.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A worker is replaced after this many requests (with jitter), so a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2000"))
# The app is imported once in the master, then forked: faster boot, shared pages.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in ("1", "true", "yes")
# Request lines and headers are bounded; bodies are bounded by the app (413).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# The access log redacts keys and tokens in request lines and headers, as the app's own logs do.
logger_class = "core.gunicorn_logging.RedactingLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
proc_name = "kezek"
# Workers' heartbeat files in memory: a slow disk never makes the master think a worker hung.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - gunicorn's documented advice


def on_starting(server):
    """What gunicorn refuses itself (a malformed request line or header, headers too large) is answered as
    problem+json: installed in the master, so every worker it forks has it (core/gunicorn_errors.py)."""
    from core import gunicorn_errors

    gunicorn_errors.install()


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, a dead worker's gauges are dropped from the shared metrics files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
