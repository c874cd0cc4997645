"""``manage.py replay_reports REPORTS.jsonl --every 15m [--until TS]``: the production estimator over a stream."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from queues.domain.schedule import QueueSchedule
from queues.tools.replay import ReplayInputError, parse_every, parse_timestamp, read_report_lines, replay


def _catalogue() -> tuple[dict[str, float], dict[tuple[str, str], QueueSchedule]]:
    """What the catalogue says of each crossing, when a database is there: metres per queued truck (by slug) and
    each queue's schedule (by slug and direction: hours, quota, planned closures); else nothing."""
    from queues.catalogue import crossing_queue_schedule
    from queues.models import Crossing

    try:
        crossings = list(Crossing.objects.prefetch_related("planned_closures"))
    except DatabaseError:
        return {}, {}
    spacing = {crossing.slug: crossing.vehicle_spacing_m for crossing in crossings}
    schedules = {}
    for crossing in crossings:
        for origin, destination in ((crossing.country_a, crossing.country_b), (crossing.country_b, crossing.country_a)):
            schedules[(crossing.slug, f"{origin}-{destination}")] = crossing_queue_schedule(
                crossing=crossing, from_country=str(origin)
            )
    return spacing, schedules


class Command(BaseCommand):
    help = (
        "Runs the production estimator over a recorded report stream (JSONL, '-' for standard input) and prints "
        "one JSONL line per tick per queue; at tick t only reports received by t are seen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reports", help="reports.jsonl ('-' reads standard input)")
        parser.add_argument("--every", default="15m", help="tick interval: 15m, 1h, 1d")
        parser.add_argument("--until", default=None, help="last tick (ISO 8601); default: the last report received")
        parser.add_argument(
            "--no-catalogue", action="store_true", help="do not read crossing spacing and schedules from the DB"
        )

    def handle(self, *args, **options) -> None:
        try:
            every = parse_every(options["every"])
            until = parse_timestamp(options["until"]) if options["until"] else None
        except ReplayInputError as error:
            raise CommandError(str(error)) from error
        spacing, schedules = ({}, {}) if options["no_catalogue"] else _catalogue()
        try:
            handle = sys.stdin if options["reports"] == "-" else open(options["reports"], encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"cannot read {options['reports']}: {error.strerror}") from error
        write = self.stdout.write
        try:
            with handle:
                for line in replay(
                    read_report_lines(handle), every=every, until=until, spacing_m=spacing, schedules=schedules
                ):
                    write(json.dumps(line, separators=(",", ":")))
        except ReplayInputError as error:
            raise CommandError(str(error)) from error
