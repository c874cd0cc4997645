"""The synthetic border queue: deterministic, in the contract's formats, with what each scenario promises."""

from __future__ import annotations

from datetime import datetime

import pytest

from queues.tools.simulation import SCENARIOS, scenario_config, service_rate, simulate, simulate_run

REPORT_KEYS = {"id", "crossing", "direction", "kind", "observed_at", "driver", "received_at"}


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_same_seed_gives_the_same_files():
    first = simulate(scenario_config(scenario="steady", hours=12, seed=5))
    second = simulate(scenario_config(scenario="steady", hours=12, seed=5))

    assert first == second


def test_another_seed_gives_other_reports():
    first, _ = simulate(scenario_config(scenario="steady", hours=12, seed=5))
    second, _ = simulate(scenario_config(scenario="steady", hours=12, seed=6))

    assert first != second


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_writes_reports_in_received_order_and_a_truth_per_tick(scenario):
    reports, truth = simulate(scenario_config(scenario=scenario, hours=6, seed=1))

    assert reports
    assert all(set(line) >= REPORT_KEYS for line in reports)
    assert all(line["kind"] in {"joined", "position", "crossed", "left"} for line in reports)
    assert all(parse(line["received_at"]) >= parse(line["observed_at"]) for line in reports)
    assert [line["received_at"] for line in reports] == sorted(line["received_at"] for line in reports)
    assert len(truth) == 6 * 4 + 1
    assert all(set(line) == {"at", "crossing", "direction", "true_wait_minutes"} for line in truth)
    assert all(line["true_wait_minutes"] >= 0 for line in truth)


def test_reports_carry_the_catalogue_crossing_and_direction():
    reports, truth = simulate(scenario_config(scenario="steady", hours=3, seed=1))

    assert {(line["crossing"], line["direction"]) for line in reports + truth} == {("syrym-mashtakovo", "KZ-RU")}


def test_some_reports_arrive_hours_late():
    reports, _ = simulate(scenario_config(scenario="steady", hours=24, seed=2))

    delays = [(parse(line["received_at"]) - parse(line["observed_at"])).total_seconds() / 3600 for line in reports]

    assert max(delays) > 2


def test_a_slowdown_quarters_the_service_and_lengthens_the_true_wait():
    config = scenario_config(scenario="slowdown", hours=90, seed=1)
    run = simulate_run(config)
    start = config.slowdown_at_hours

    assert service_rate(config, start + 1) == pytest.approx(
        service_rate(scenario_config(scenario="steady", hours=90, seed=1), start + 1) / 4
    )
    before = run.truth[int((start - 24) * 4)]["true_wait_minutes"]
    during = run.truth[int((start + 12) * 4)]["true_wait_minutes"]
    assert during > 1.5 * before


def test_a_closure_stops_the_service():
    config = scenario_config(scenario="closure", hours=60, seed=1)

    assert service_rate(config, config.closure_at_hours + 4) == 0.0
    assert service_rate(config, config.closure_at_hours + config.closure_hours + 1) > 0


def test_spam_accounts_flood_no_queue_reports():
    reports, _ = simulate(scenario_config(scenario="spam", hours=12, seed=1))

    spam = [line for line in reports if line["driver"].startswith("spam-")]

    assert len({line["driver"] for line in spam}) == 3
    assert all(line.get("position", 0) == 0 for line in spam if line["kind"] != "crossed")
    assert len(spam) > 50


def test_sparse_has_far_fewer_reporters_than_steady():
    steady, _ = simulate(scenario_config(scenario="steady", hours=24, seed=1))
    sparse, _ = simulate(scenario_config(scenario="sparse", hours=24, seed=1))

    assert len({line["driver"] for line in sparse}) < 0.3 * len({line["driver"] for line in steady})


def test_an_unknown_scenario_is_refused():
    with pytest.raises(ValueError, match="unknown scenario"):
        scenario_config(scenario="apocalypse", hours=1, seed=1)
