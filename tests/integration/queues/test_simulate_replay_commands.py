"""``simulate_queue`` and ``replay_reports``: the contract's file formats, end to end."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db

ESTIMATE_KEYS = {
    "wait_minutes",
    "low_minutes",
    "high_minutes",
    "queue_length",
    "throughput_per_hour",
    "reports",
    "drivers",
    "computed_at",
    "data_until",
    "stale",
    "confidence",
}


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_simulate_queue_writes_reports_and_truth(tmp_path):
    call_command(
        "simulate_queue", "--hours", "8", "--seed", "4", "--scenario", "spam", "--out", str(tmp_path), stdout=StringIO()
    )

    reports = read_jsonl(tmp_path / "reports.jsonl")
    truth = read_jsonl(tmp_path / "truth.jsonl")
    assert reports
    assert {"id", "crossing", "direction", "kind", "observed_at", "driver", "received_at"} <= set(reports[0])
    assert [line["received_at"] for line in reports] == sorted(line["received_at"] for line in reports)
    assert [set(line) for line in truth] == [{"at", "crossing", "direction", "true_wait_minutes"}] * len(truth)
    assert truth[0]["at"] == "2026-11-02T00:00:00Z"


def test_simulate_queue_is_deterministic_per_seed(tmp_path):
    for folder in ("a", "b"):
        call_command(
            "simulate_queue", "--hours", "4", "--seed", "9", "--out", str(tmp_path / folder), stdout=StringIO()
        )

    assert (tmp_path / "a" / "reports.jsonl").read_bytes() == (tmp_path / "b" / "reports.jsonl").read_bytes()
    assert (tmp_path / "a" / "truth.jsonl").read_bytes() == (tmp_path / "b" / "truth.jsonl").read_bytes()


def test_replay_reports_prints_one_line_per_tick_with_the_estimate_object(tmp_path):
    call_command("simulate_queue", "--hours", "12", "--seed", "2", "--out", str(tmp_path), stdout=StringIO())
    out = StringIO()

    call_command(
        "replay_reports",
        str(tmp_path / "reports.jsonl"),
        "--every",
        "1h",
        "--until",
        "2026-11-02T10:00:00Z",
        stdout=out,
    )

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["at"] for line in lines] == [f"2026-11-02T{hour:02d}:00:00Z" for hour in range(11)]
    assert all(set(line) == {"at", "crossing", "direction", "estimate"} for line in lines)
    assert all(line["crossing"] == "syrym-mashtakovo" and line["direction"] == "KZ-RU" for line in lines)
    published = [line["estimate"] for line in lines if line["estimate"]]
    assert published
    assert all(set(estimate) == ESTIMATE_KEYS for estimate in published)
    assert all(line["estimate"]["computed_at"] == line["at"] for line in lines if line["estimate"])


def test_replay_reports_refuses_a_bad_interval(tmp_path):
    path = tmp_path / "reports.jsonl"
    path.write_text("", encoding="utf-8")

    with pytest.raises(CommandError, match="every"):
        call_command("replay_reports", str(path), "--every", "soon", stdout=StringIO())


def test_replay_reports_names_a_line_that_is_not_json(tmp_path):
    path = tmp_path / "reports.jsonl"
    path.write_text("{not json}\n", encoding="utf-8")

    with pytest.raises(CommandError, match="line 1"):
        call_command("replay_reports", str(path), "--every", "15m", stdout=StringIO())


def test_replay_reports_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("replay_reports", str(tmp_path / "absent.jsonl"), stdout=StringIO())


def test_simulate_queue_draws_a_world_of_a_class(tmp_path):
    call_command(
        "simulate_queue", "--hours", "6", "--seed", "3", "--world", "quota", "--out", str(tmp_path), stdout=StringIO()
    )

    reports = read_jsonl(tmp_path / "reports.jsonl")
    truth = read_jsonl(tmp_path / "truth.jsonl")
    assert reports
    assert len(truth) == 6 * 4 + 1
    assert {line["crossing"] for line in reports} == {"world-crossing"}
