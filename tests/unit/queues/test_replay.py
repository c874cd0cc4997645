"""Replaying a recorded stream through the production estimator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from queues.tools.replay import ReplayInputError, parse_every, replay
from queues.tools.simulation import scenario_config, simulate

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


@pytest.fixture(scope="module")
def stream():
    reports, _ = simulate(scenario_config(scenario="steady", hours=10, seed=3))
    return reports


def test_each_line_is_a_tick_a_queue_and_an_estimate_or_null(stream):
    lines = list(replay(stream, every=timedelta(minutes=15)))

    assert all(set(line) == {"at", "crossing", "direction", "estimate"} for line in lines)
    published = [line["estimate"] for line in lines if line["estimate"] is not None]
    assert published
    assert all(set(estimate) == ESTIMATE_KEYS for estimate in published)
    assert all(estimate["drivers"] >= 3 for estimate in published)
    assert all(
        estimate["low_minutes"] <= estimate["wait_minutes"] <= estimate["high_minutes"] for estimate in published
    )


def test_ticks_run_from_the_first_report_rounded_down_to_the_last(stream):
    lines = list(replay(stream, every=timedelta(hours=1)))

    assert lines[0]["at"] == "2026-11-02T00:00:00Z"
    last_received = max(line["received_at"] for line in stream)
    assert lines[-1]["at"] <= last_received
    assert len(lines) == len({line["at"] for line in lines})


def test_until_stops_the_ticks(stream):
    lines = list(replay(stream, every=timedelta(minutes=15), until=datetime(2026, 11, 2, 3, tzinfo=UTC)))

    assert lines[-1]["at"] == "2026-11-02T03:00:00Z"
    assert len(lines) == 13


def test_a_tick_sees_only_reports_received_by_then(stream):
    tick = "2026-11-02T05:00:00Z"
    known = [line for line in stream if line["received_at"] <= tick]
    unknown_yet = [line for line in stream if line["received_at"] > tick]

    full = {line["at"]: line for line in replay(stream, every=timedelta(minutes=15))}
    only_known = {
        line["at"]: line
        for line in replay(known, every=timedelta(minutes=15), until=datetime(2026, 11, 2, 5, tzinfo=UTC))
    }

    assert unknown_yet
    assert full[tick] == only_known[tick]


def test_an_ad_hoc_crossing_is_replayed_too():
    reports = [
        {
            "id": f"id-{driver}",
            "crossing": "nowhere-somewhere",
            "direction": "KZ-CN",
            "kind": "joined",
            "observed_at": "2026-11-02T10:00:00Z",
            "position": 40,
            "driver": f"d{driver}",
        }
        for driver in range(3)
    ]

    lines = list(replay(reports, every=timedelta(minutes=15)))

    assert {(line["crossing"], line["direction"]) for line in lines} == {("nowhere-somewhere", "KZ-CN")}


def test_two_drivers_are_not_published():
    reports = [
        {
            "crossing": "x-y",
            "direction": "KZ-RU",
            "kind": "joined",
            "observed_at": "2026-11-02T10:00:00Z",
            "position": 40,
            "driver": driver,
        }
        for driver in ("a", "b")
    ]

    lines = list(replay(reports, every=timedelta(minutes=15)))

    assert lines == [{"at": "2026-11-02T10:00:00Z", "crossing": "x-y", "direction": "KZ-RU", "estimate": None}]


@pytest.mark.parametrize(("text", "minutes"), [("15m", 15), ("1h", 60), ("1d", 1440), ("30s", 0.5)])
def test_every_reads_minutes_hours_and_days(text, minutes):
    assert parse_every(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["0m", "15", "fortnight", "-1h"])
def test_a_bad_every_is_refused(text):
    with pytest.raises(ReplayInputError):
        parse_every(text)


def test_a_line_without_a_driver_is_refused():
    with pytest.raises(ReplayInputError):
        list(
            replay(
                [{"crossing": "x", "direction": "KZ-RU", "kind": "joined", "observed_at": "2026-11-02T10:00:00Z"}],
                every=timedelta(hours=1),
            )
        )
