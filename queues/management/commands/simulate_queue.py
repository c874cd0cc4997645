"""``manage.py simulate_queue --hours H --seed S [--scenario NAME | --world CLASS] --out DIR``: a synthetic border
queue: one of the fixed scenarios, or a world drawn at random from a world class (``queues.tools.worlds``)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from queues.tools.simulation import SCENARIOS, scenario_config, simulate
from queues.tools.worlds import WORLD_CLASSES, world_draw, world_simulate


class Command(BaseCommand):
    help = "Simulates a border queue and writes DIR/reports.jsonl (what drivers sent) and DIR/truth.jsonl."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=float, required=True, help="simulated hours")
        parser.add_argument("--seed", type=int, required=True, help="random seed; the same seed gives the same files")
        parser.add_argument("--scenario", default="steady", choices=SCENARIOS)
        parser.add_argument(
            "--world",
            default=None,
            choices=WORLD_CLASSES,
            help="draw a randomised world of this class from the seed instead of a fixed scenario",
        )
        parser.add_argument("--out", required=True, help="folder to write reports.jsonl and truth.jsonl into")
        parser.add_argument("--crossing", default=None, help="crossing slug (default syrym-mashtakovo)")
        parser.add_argument("--direction", default=None, help="direction (default KZ-RU)")

    def handle(self, *args, **options) -> None:
        if options["hours"] <= 0:
            raise CommandError("--hours must be positive")
        overrides = {key: options[key] for key in ("crossing", "direction") if options[key]}
        if options["world"]:
            world = replace(
                world_draw(world_class=options["world"], hours=options["hours"], seed=options["seed"]), **overrides
            )
            run = world_simulate(world)
            reports, truth = run.reports, run.truth
        else:
            config = scenario_config(
                scenario=options["scenario"], hours=options["hours"], seed=options["seed"], **overrides
            )
            reports, truth = simulate(config)
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for name, lines in (("reports.jsonl", reports), ("truth.jsonl", truth)):
            with (out / name).open("w", encoding="utf-8") as handle:
                for line in lines:
                    handle.write(json.dumps(line, separators=(",", ":")) + "\n")
        self.stdout.write(f"{len(reports)} reports, {len(truth)} truth ticks written to {out}")
