"""The family of randomised worlds: reproducible, in the contract's formats, each class being what it says, and a
scorer that reads replay output as the benchmark does."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from queues.tools.replay import replay
from queues.tools.worlds import (
    HELD_OUT_SEEDS,
    TUNING_SEEDS,
    WORLD_CLASSES,
    class_summary,
    world_draw,
    world_score,
    world_service_rate,
    world_simulate,
)

REPORT_KEYS = {"id", "crossing", "direction", "kind", "observed_at", "driver", "received_at"}


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_held_out_seeds_are_never_tuning_seeds():
    assert not set(HELD_OUT_SEEDS) & set(TUNING_SEEDS)


def test_the_same_class_and_seed_give_the_same_world_and_files():
    first = world_simulate(world_draw(world_class="sloppy", seed=3, hours=24))
    second = world_simulate(world_draw(world_class="sloppy", seed=3, hours=24))

    assert first.reports == second.reports
    assert first.truth == second.truth


def test_another_seed_draws_another_world():
    assert world_draw(world_class="steady", seed=1) != world_draw(world_class="steady", seed=2)


@pytest.mark.parametrize("world_class", WORLD_CLASSES)
def test_every_class_writes_reports_in_received_order_and_a_truth_per_tick(world_class):
    run = world_simulate(world_draw(world_class=world_class, seed=1, hours=24))

    assert run.reports
    assert all(set(line) >= REPORT_KEYS for line in run.reports)
    assert all(line["kind"] in {"joined", "position", "crossed", "left"} for line in run.reports)
    assert all(parse(line["received_at"]) >= parse(line["observed_at"]) for line in run.reports)
    assert [line["received_at"] for line in run.reports] == sorted(line["received_at"] for line in run.reports)
    assert len(run.truth) == 24 * 4 + 1
    assert all(line["true_wait_minutes"] >= 0 for line in run.truth)


def test_a_closure_world_clears_nothing_while_closed():
    world = world_draw(world_class="closure", seed=1)
    start, length = world.closures[0]

    assert world_service_rate(world, start + length / 2) == 0
    assert world_service_rate(world, start + length + 0.5) > 0 or world.open_hours is not None


def test_an_hours_world_is_shut_outside_its_opening_hours():
    world = world_draw(world_class="hours", seed=2)
    opens, closes = world.open_hours
    shut = next(hour for hour in (x / 2 for x in range(48)) if not opens <= world.local_hour(hour) < closes)

    assert world_service_rate(world, shut) == 0


def test_a_quota_world_clears_about_its_quota_a_day():
    world = world_draw(world_class="quota", seed=1, hours=96)
    run = world_simulate(world)
    crossed_per_local_day: dict[int, int] = {}
    for line in run.reports:
        if line["kind"] == "crossed":
            hours = (parse(line["observed_at"]) - world.start_at) / timedelta(hours=1)
            crossed_per_local_day[world.local_day(hours)] = crossed_per_local_day.get(world.local_day(hours), 0) + 1

    # Only app users report: a share of the quota, never much more than it.
    assert max(crossed_per_local_day.values()) <= world.daily_quota * min(1.0, world.app_share * 2)


def test_a_flooders_world_has_accounts_sending_far_more_than_a_driver():
    run = world_simulate(world_draw(world_class="flooders", seed=1, hours=24))
    per_driver: dict[str, int] = {}
    for line in run.reports:
        per_driver[line["driver"]] = per_driver.get(line["driver"], 0) + 1

    assert max(per_driver.values()) > 50
    assert sorted(per_driver.values())[len(per_driver) // 2] <= 12


def test_a_perfect_estimate_scores_ratio_zero_full_hit_and_the_truths_move():
    run = world_simulate(world_draw(world_class="steady", seed=1, hours=36))
    lines = [
        {
            "at": line["at"],
            "estimate": {
                "wait_minutes": line["true_wait_minutes"],
                "low_minutes": line["true_wait_minutes"],
                "high_minutes": line["true_wait_minutes"],
            },
        }
        for line in run.truth
    ]

    score = world_score(run, lines)

    assert score.ratio == 0
    assert score.hits == score.published == score.ticks
    assert score.move == score.truth_move


def test_a_replayed_world_is_scored_per_class():
    run = world_simulate(world_draw(world_class="steady", seed=1, hours=36))

    score = world_score(run, replay(run.reports, every=timedelta(minutes=15), spacing_m=run.spacing_m))
    summary = class_summary("steady", {1: score})

    assert score.ticks == 24 * 4 + 1
    assert 0 <= summary.hit <= 1
    assert 0 < summary.published <= 1
    assert summary.worst_ratio == summary.median_ratio == score.ratio
