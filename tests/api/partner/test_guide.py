"""``docs/partner-api.md`` works as written: its "Try it on your machine" steps, read from the guide itself, run
against the app served as ``make run`` serves it (a ``runserver`` subprocess on the default settings), with the
guide's receiver script listening for the delivery; and what it says of ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` is what
the settings do."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection

from tests.support.partner import isolate_cache, issue_key
from tests.support.served import PROJECT_DIR, ServedApp, database_url, free_port, served_env

GUIDE = PROJECT_DIR / "docs" / "partner-api.md"
README = PROJECT_DIR / "README.md"
SECTION = "## Try it on your machine"
ENV_ASSIGNMENT = re.compile(r"^((?:[A-Z][A-Z0-9_]*=\S+ )+)")


def _section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    return text[start:end]


def _blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def _commands() -> list[str]:
    """The shell lines of the section, continuation lines joined, comments left out."""
    (script,) = _blocks(_section(), "sh")
    joined = script.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def _env_of(command: str) -> dict[str, str]:
    match = ENV_ASSIGNMENT.match(command)
    return dict(part.split("=", 1) for part in match.group(1).split()) if match else {}


def _command(pattern: str) -> str:
    (command,) = [line for line in _commands() if re.search(pattern, line)]
    return command


def _curl(command: str) -> tuple[str, dict[str, str], bytes | None]:
    """(URL, headers, body) of a curl line of the guide."""
    words = shlex.split(command)
    headers: dict[str, str] = {}
    body = None
    url = ""
    index = 1
    while index < len(words):
        word = words[index]
        if word == "-H":
            name, value = words[index + 1].split(":", 1)
            headers[name.strip()] = value.strip()
            index += 2
        elif word == "-d":
            body = words[index + 1].encode()
            index += 2
        elif word.startswith("-"):
            index += 1
        else:
            url = word
            index += 1
    return url, headers, body


def _receiver_script() -> str:
    (script,) = [block for block in _blocks(_section(), "python") if block.startswith("# kezek_receiver.py")]
    return script


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the receiver exited: {process.stdout.read() if process.stdout else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the receiver did not listen")


# --- What the guide says of the setting ----------------------------------------------------------------------------
def test_the_guide_and_the_readme_say_what_the_setting_defaults_to():
    guide = " ".join(GUIDE.read_text(encoding="utf-8").split())
    env = {key: value for key, value in os.environ.items() if key != "WEBHOOK_ALLOW_PRIVATE_TARGETS"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"

    default = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)",
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert default == "False"
    assert "`WEBHOOK_ALLOW_PRIVATE_TARGETS` is **false by default**" in guide
    assert "`WEBHOOK_ALLOW_PRIVATE_TARGETS` (default false;" in guide
    assert "True in tests and development" not in guide
    assert "| `WEBHOOK_ALLOW_PRIVATE_TARGETS` | `false` |" in README.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_without_the_setting_the_guides_local_subscription_is_refused_as_it_says(settings, client):
    isolate_cache(settings)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    url, headers, body = _curl(_command(r"^curl .*/alerts"))
    headers["X-API-Key"] = issue_key()[1]

    response = client.post(
        urlsplit(url.replace("$KEZEK", "http://testserver/api/partner/v1")).path,
        body,
        content_type=headers.pop("Content-Type"),
        headers=headers,
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["url"]


# --- The steps, run ----------------------------------------------------------------------------------------------
@pytest.mark.xdist_group("served-guide")
# The guide's steps seed the whole demo (make run's load_demo), serve it and refresh every queue: about a minute and
# a half on a quiet machine, several times that on a busy one, so it gets more than the suite's default 300 s.
@pytest.mark.timeout(900)
def test_the_guides_local_webhook_steps_deliver_an_alert_to_its_receiver(transactional_db, settings):
    run_env = _env_of(_command(r"make run$"))
    refresh = _command(r"manage\.py refresh_estimates$")
    key_args = shlex.split(_command(r"manage\.py create_partner_key ").split("create_partner_key", 1)[1])
    url, headers, body = _curl(_command(r"^curl .*/alerts"))
    subscription = json.loads(body or b"{}")
    receiver = _receiver_script()
    guide_port = int(re.search(r"^PORT = (\d+)$", receiver, re.M).group(1))
    assert urlsplit(subscription["url"]).port == guide_port  # the subscribed URL is the receiver's
    assert run_env == _env_of(refresh) == {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}

    # 1. make run: the demo data, then the app on the default settings with the guide's variable.
    call_command("load_demo", stdout=io.StringIO())
    with tempfile.TemporaryDirectory(prefix="kezek-guide-") as folder:
        app = ServedApp(
            database_url=database_url(connection.settings_dict),
            static_root=Path(folder),
            log_path=Path(folder) / "runserver.log",
        )
        app.env.update(run_env)
        # 3. the receiver, on a free port instead of 9000 (the test must not collide with anything on the machine).
        port = free_port()
        script = Path(folder) / "kezek_receiver.py"
        script.write_text(receiver.replace(f"PORT = {guide_port}", f"PORT = {port}"), encoding="utf-8")
        listener = subprocess.Popen(
            [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        app.start()
        try:
            _wait_for_port(port, listener)
            # 2. a key.
            printed = io.StringIO()
            call_command("create_partner_key", *key_args, stdout=printed)
            key = printed.getvalue().strip().splitlines()[-1]

            # 4. subscribe the receiver.
            subscription["url"] = subscription["url"].replace(f":{guide_port}/", f":{port}/")
            request = urllib.request.Request(
                url.replace("$KEZEK", f"{app.url}/api/partner/v1"),
                data=json.dumps(subscription).encode(),
                headers={**headers, "X-API-Key": key},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                pytest.fail(f"subscribing answered {exc.code}: {exc.read().decode()}\n{app.log()[-3000:]}")
            assert status == 201

            # 5. refresh the estimates, with the guide's variable, as a command of its own.
            env = served_env(database_url=database_url(connection.settings_dict), static_root=Path(folder))
            env.update(_env_of(refresh))
            done = subprocess.run(
                [sys.executable, "-m", "tests.clock_run", "django", "refresh_estimates"],
                cwd=PROJECT_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr[-3000:]
        finally:
            app.stop()
            listener.terminate()
            output, _ = listener.communicate(timeout=15)

    lines = [line.split() for line in output.splitlines() if line.startswith("threshold.")]
    assert lines, output
    event, crossing, direction, wait = lines[0]
    assert (event, crossing, direction) == ("threshold.above", "syrym-mashtakovo", "KZ-RU")
    assert int(wait) > 0
