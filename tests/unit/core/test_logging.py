"""Secrets never reach a log line: tokens, one-time codes and API keys are redacted; task ids are added."""

import json
import logging

import pytest

from core.logging import JsonFormatter, SecretRedactingFilter, TaskContextFilter, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Token 3f9a0c1d2e4b5a6978", "3f9a0c1d2e4b5a6978"),
        ("{'HTTP_AUTHORIZATION': 'Token abcdef0123456789'}", "abcdef0123456789"),
        ("X-API-Key: AbCd1234.s3cr3tS3cr3tS3cr3tS3cr3tS3cr3tAB", "s3cr3tS3cr3tS3cr3tS3cr3tS3cr3tAB"),
        ('body {"phone": "+77011234567", "code": "482913", "device": "A52"}', "482913"),
        ("otp=482913&phone=%2B7701", "482913"),
        ('{"token": "9b1c7e2a55d04f0e"}', "9b1c7e2a55d04f0e"),
        ("key AbCd1234.ZyXwVuTsRqPoNmLkJiHgFeDcBa987654 used", "ZyXwVuTsRqPoNmLkJiHgFeDcBa987654"),
    ],
)
def test_redact_removes_the_secret_and_keeps_the_field_name(text, secret):
    redacted = redact(text)

    assert secret not in redacted
    assert "[redacted]" in redacted


def test_redact_leaves_ordinary_text_alone():
    text = 'report 5e1a stored for queue 12, status_code 200, {"code": "validation_error"}'

    assert redact(text).startswith("report 5e1a stored for queue 12, status_code 200")


def _record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("kezek.test", logging.WARNING, __file__, 1, message, args, None)


def test_filter_redacts_secrets_passed_as_arguments():
    record = _record("sign-in with %s", {"phone": "+77011234567", "code": "482913"})

    SecretRedactingFilter().filter(record)

    assert "482913" not in record.getMessage()


def test_json_line_redacts_a_secret_in_the_traceback():
    try:
        raise ValueError("Authorization: Token deadbeefcafe1234")
    except ValueError:
        record = logging.LogRecord("kezek.test", logging.ERROR, __file__, 1, "failed", (), __import__("sys").exc_info())

    line = json.loads(JsonFormatter().format(record))

    assert "deadbeefcafe1234" not in line["exc"]


def test_task_context_is_absent_outside_a_task():
    record = _record("plain")

    TaskContextFilter().filter(record)

    assert not hasattr(record, "task_id")


def test_task_context_names_the_running_task():
    from config.celery import app

    seen = {}

    @app.task(name="tests.log_probe")
    def log_probe():
        record = _record("inside a task")
        TaskContextFilter().filter(record)
        seen.update(task_id=record.task_id, task_name=record.task_name)

    result = log_probe.apply()

    assert seen == {"task_id": result.id, "task_name": "tests.log_probe"}
