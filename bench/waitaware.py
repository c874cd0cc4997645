"""The wait forecast, join-by advice and route choice on the held-out randomised worlds.

Every world of every class and held-out seed is replayed as ``replay_reports`` runs it. Then:

- **Forecast horizons** (``queues.tools.forecast_eval``): at each hour after a day's warm-up, the wait of a truck
  joining 2, 6, 12, 24 and 48 h later, from what was known then, against the truth; beside the chat's rules and the
  current estimate taken as the forecast.
- **Join-by and routes** (``queues.tools.corridor_eval``): each held-out seed makes a corridor of three crossings
  (three world classes side by side); trucks told to be through by a deadline follow the join-by advice; trucks
  at random distances choose a crossing by Kezek's forecast, by the shortest current wait, or the nearest.

``WORLDS_HOURS`` (default 120) and ``WORLDS_JOBS`` (default 2 processes) change the run.
"""

from __future__ import annotations

import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from bench.report import write_section  # noqa: E402
from queues.domain.forecast import JOIN_BY_MARGIN_SHARE  # noqa: E402
from queues.tools.corridor_eval import (  # noqa: E402
    CrossingRun,
    corridor_score,
    join_by_summary,
    route_summary,
)
from queues.tools.forecast_eval import HORIZONS_HOURS, HorizonScore, forecast_score, horizon_rows  # noqa: E402
from queues.tools.replay import replay  # noqa: E402
from queues.tools.worlds import HELD_OUT_SEEDS, WORLD_CLASSES, world_draw, world_simulate  # noqa: E402

HOURS = float(os.environ.get("WORLDS_HOURS", "120"))
JOBS = int(os.environ.get("WORLDS_JOBS", "2"))
EVERY = timedelta(minutes=15)
TRUCKS = 30
FORECAST_EVERY = timedelta(hours=3)


def corridor_classes(seed: int) -> tuple[str, str, str]:
    """Three different world classes for the corridor of ``seed`` (rotating, so every class takes part)."""
    index = HELD_OUT_SEEDS.index(seed)
    count = len(WORLD_CLASSES)
    return WORLD_CLASSES[index % count], WORLD_CLASSES[(index + 3) % count], WORLD_CLASSES[(index + 5) % count]


def run_world(job: tuple[str, int]):
    world_class, seed = job
    run = world_simulate(world_draw(world_class=world_class, seed=seed, hours=HOURS))
    lines = list(replay(run.reports, every=EVERY, spacing_m=run.spacing_m, schedules=run.schedules))
    return world_class, seed, run, lines, forecast_score(run, lines, every=FORECAST_EVERY)


def _cell(value: float, pattern: str) -> str:
    return "–" if math.isnan(value) else pattern.format(value)


def main() -> int:
    started = time.perf_counter()
    jobs = [(world_class, seed) for world_class in WORLD_CLASSES for seed in HELD_OUT_SEEDS]
    print(f"waitaware: {len(jobs)} worlds, {HOURS:.0f} h, {JOBS} processes", flush=True)
    with ProcessPoolExecutor(max_workers=JOBS) as pool:
        results = list(pool.map(run_world, jobs))
    total = HorizonScore.empty()
    worlds = {}
    for world_class, seed, run, lines, score in results:
        total.add(score)
        worlds[(world_class, seed)] = CrossingRun.of(run, lines)

    horizon_lines = [
        "| horizon | forecasts | Kezek forecast MAE | current estimate as forecast | better chat rule "
        "| 80% range hit |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in horizon_rows(total):
        horizon_lines.append(
            f"| {row['hours']} h | {row['samples']} | {_cell(row['forecast'], '{:.0f}')} min | "
            f"{_cell(row['current'], '{:.0f}')} min | {_cell(row['chat'], '{:.0f}')} min | "
            f"{_cell(100 * row['hit'], '{:.0f}')}% |"
        )

    join_by, routes = [], []
    for seed in HELD_OUT_SEEDS:
        crossings = [worlds[(world_class, seed)] for world_class in corridor_classes(seed)]
        score = corridor_score(crossings, seed=seed, trucks=TRUCKS)
        join_by += score.join_by
        routes += score.routes
    joins = join_by_summary(join_by)
    choice = route_summary(routes)
    labels = {
        "kezek": "Kezek (best forecast time through)",
        "shortest_wait": "shortest current wait",
        "nearest": "nearest crossing",
        "best": "hindsight (the best crossing)",
    }
    route_lines = [
        "| strategy | mean hours to through | median | chose the best crossing |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key, label in labels.items():
        figures = choice[key]
        route_lines.append(
            f"| {label} | {figures['mean']:.2f} | {figures['median']:.2f} | {100 * figures['best_share']:.0f}% |"
        )
    missed = []
    if joins["in_time"] < 0.95:
        missed.append(f"join-by followed gets {100 * joins['in_time']:.1f}% through in time (target ≥ 95%)")
    for key in ("shortest_wait", "nearest"):
        if choice["kezek"]["mean"] >= choice[key]["mean"]:
            missed.append(
                f"route choice does not beat the {labels[key]} on mean time through "
                f"({choice['kezek']['mean']:.2f} h against {choice[key]['mean']:.2f} h)"
            )
    verdict = ("Not met on the held-out seeds: " + "; ".join(missed) + ".") if missed else "All targets met."
    corridors = "; ".join(f"{seed}: {', '.join(corridor_classes(seed))}" for seed in HELD_OUT_SEEDS)
    body = (
        f"Held-out seeds {', '.join(map(str, HELD_OUT_SEEDS))} of every world class, {HOURS:.0f} simulated hours "
        "each, replayed as `replay_reports` runs; the world's opening hours, quota and closures are given to the "
        "forecast as an operator would enter them (its slowdowns are not).\n\n"
        f"#### Forecast by horizon (horizons {', '.join(map(str, HORIZONS_HOURS))} h; a forecast every 3 hours after a "
        "day of warm-up, all classes pooled)\n\n" + "\n".join(horizon_lines) + "\n\n"
        "#### Join-by advice followed\n\n"
        f"Corridors of three crossings per seed ({corridors}). {TRUCKS} trucks per crossing are told, at a random "
        "hour, to be through by the end of a local day one to three days later; each checks the app every hour and "
        "joins when the advised join-by comes before its next check.\n\n"
        "| cases | through in time | median slack | 10th percentile slack |\n| ---: | ---: | ---: | ---: |\n"
        f"| {joins['cases']} | {100 * joins['in_time']:.1f}% | {joins['median_slack']:.1f} h | "
        f"{joins['p10_slack']:.1f} h |\n\n"
        "Target: ≥ 95% through in time. The slack (the time to spare at the deadline) is the price of the "
        f"range's high end plus a margin of {100 * JOIN_BY_MARGIN_SHARE:.0f}% of it (at least an hour; the share is "
        "the 95% conformal quantile of the realised error at the join on the tuning seeds): the wider the "
        "estimator's ranges, the earlier the advice.\n\n"
        f"#### Route choice ({len(routes)} trucks, 20–300 km from each crossing, 60 km/h)\n\n"
        + "\n".join(route_lines)
        + "\n\n"
        + verdict
        + "\n"
    )
    write_section(
        "waitaware", "Forecast, join-by and route choice on randomised worlds", body, "python bench/waitaware.py"
    )
    print(body)
    print(f"waitaware bench done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
