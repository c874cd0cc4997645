"""The app served the way ``make run`` serves it, for the browser suite.

``make run`` runs ``manage.py runserver`` on the default settings (``config.settings.base``) with ``DEBUG`` off:
nothing serves static files but WhiteNoise, from the folder ``collectstatic`` filled. pytest-django's
``live_server`` serves static files itself (from the apps' folders, collected or not), so a page that a user
sees unstyled passes there. ``ServedApp`` collects the static files into a folder of its own and starts
``runserver --noreload`` in a subprocess on a free loopback port, on the suite's moved clock
(``tests.clock_run``) and on the test database, with nothing else configured: tasks in-process, local-memory
cache, as in ``make run``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Variables of the test process that ``make run`` would not have: the served app gets none of them.
_NOT_INHERITED_PREFIXES = ("PYTEST_", "DJANGO_", "CELERY_", "GUNICORN_")
_NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "DEBUG", "STATIC_ROOT", "SMS_BACKEND", "PUSH_BACKEND"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The URL of the database a connection's settings name (the test database once pytest-django set it up)."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings_dict['NAME']}"


def served_env(*, database_url: str, static_root: Path) -> dict[str, str]:
    """The environment of ``make run`` (nothing configured) pointed at the test database and a static folder."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_NOT_INHERITED_PREFIXES) and key not in _NOT_INHERITED
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": database_url,
            "STATIC_ROOT": str(static_root),
            # The test process flushes tables between tests: the server keeps no connection open across requests.
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class ServedApp:
    """``collectstatic`` then ``runserver --noreload`` on a free loopback port, as ``make run`` does."""

    def __init__(self, *, database_url: str, static_root: Path, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.static_root = static_root
        self.log_path = log_path
        self.env = served_env(database_url=database_url, static_root=static_root)
        self.process: subprocess.Popen | None = None

    def collect_static(self) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=PROJECT_DIR,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def start(self, *, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.clock_run",  # plain `python -m django runserver`, on the suite's moved clock if any
                    "django",
                    "runserver",
                    f"127.0.0.1:{self.port}",
                    "--noreload",
                ],
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the served app exited early:\n{self.log()[-4000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the served app did not listen in {timeout}s:\n{self.log()[-4000:]}")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
