"""The shipped catalogue of road crossings (``queues/data/crossings.csv``) and its loader.

The loader takes model classes so that the data migration can pass its historical models.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queues.domain.schedule import Closure, QueueSchedule, SideSchedule, parse_opening_hours, queue_schedule

CROSSINGS_CSV = Path(__file__).resolve().parent / "data" / "crossings.csv"


def read_crossings(path: Path = CROSSINGS_CSV) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_crossings(*, crossing_model, queue_model, path: Path = CROSSINGS_CSV) -> int:
    """Upserts every crossing of the CSV by slug and makes sure both of its queues exist.

    Rows an operator already has keep their edited coordinates: only missing crossings are created.
    Returns how many crossings were created.
    """
    created_count = 0
    # A data migration passes its historical model, which may not have every field of the CSV yet.
    known = {field.name for field in crossing_model._meta.get_fields()}
    for row in read_crossings(path):
        defaults = {
            "name": row["name_en"],
            "name_ru": row["name_ru"],
            "name_kk": row["name_kk"],
            "country_a": row["country_a"],
            "country_b": row["country_b"],
            "region_a": row["region_a"],
            "region_b": row["region_b"],
            "lat": float(row["lat"]),
            "lon": float(row["lon"]),
            "coord_kind": row["coord_kind"],
            "time_zone_a": row.get("time_zone_a", ""),
            "time_zone_b": row.get("time_zone_b", ""),
            "coord_source": row["coord_source"],
            "notes": row["notes"],
        }
        crossing, created = crossing_model.objects.get_or_create(
            slug=row["slug"], defaults={name: value for name, value in defaults.items() if name in known}
        )
        created_count += int(created)
        for origin, destination in (
            (crossing.country_a, crossing.country_b),
            (crossing.country_b, crossing.country_a),
        ):
            queue_model.objects.get_or_create(crossing=crossing, from_country=str(origin), to_country=str(destination))
    return created_count


# Where a crossing names no zone for a side: the country's main civil time (all of Kazakhstan is UTC+5).
COUNTRY_TIME_ZONES = {
    "KZ": "Asia/Almaty",
    "RU": "Europe/Moscow",
    "CN": "Asia/Shanghai",
    "KG": "Asia/Bishkek",
    "UZ": "Asia/Tashkent",
    "MN": "Asia/Ulaanbaatar",
    "BY": "Europe/Minsk",
}


def crossing_time_zone(*, crossing, country: str) -> str:
    """The IANA zone in which ``country`` dates a crossing at ``crossing`` (its side's zone, else the country's)."""
    country = str(country).upper()
    if crossing is not None:
        if str(crossing.country_a) == country and crossing.time_zone_a:
            return crossing.time_zone_a
        if str(crossing.country_b) == country and crossing.time_zone_b:
            return crossing.time_zone_b
    return COUNTRY_TIME_ZONES.get(country, "UTC")


def time_zones_fill(*, crossing_model, path: Path = CROSSINGS_CSV) -> int:
    """Sets the shipped time zones on crossings that have none yet (an operator's correction is kept)."""
    updated = 0
    for row in read_crossings(path):
        updated += crossing_model.objects.filter(slug=row["slug"], time_zone_a="").update(
            time_zone_a=row.get("time_zone_a", ""), time_zone_b=row.get("time_zone_b", "")
        )
    return updated


def crossing_local_date(*, crossing, country: str, at: datetime) -> date:
    """The calendar date of the moment ``at`` for ``country`` at this crossing (a mistyped zone falls back to the
    country's own)."""
    try:
        zone = ZoneInfo(crossing_time_zone(crossing=crossing, country=country))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(COUNTRY_TIME_ZONES.get(str(country).upper(), "UTC"))
    return at.astimezone(zone).date()


SCHEDULES_CSV = Path(__file__).resolve().parent / "data" / "schedules.csv"
CLOSURES_CSV = Path(__file__).resolve().parent / "data" / "closures.csv"


def schedules_fill(
    *, crossing_model, closure_model, schedules: Path = SCHEDULES_CSV, closures: Path = CLOSURES_CSV
) -> int:
    """Sets the shipped opening hours and daily quotas on crossing sides that have none yet (an operator's figure is
    kept) and adds the shipped planned closures that are not there yet. Returns how many sides and closures changed."""
    changed = 0
    for row in read_crossings(schedules):
        crossing = crossing_model.objects.filter(slug=row["slug"]).first()
        if crossing is None:
            continue
        side = "a" if str(crossing.country_a) == row["country"] else "b"
        updates: dict[str, object] = {}
        if row["opening_hours"] and not getattr(crossing, f"opening_hours_{side}"):
            updates[f"opening_hours_{side}"] = row["opening_hours"]
        if row["daily_quota"] and getattr(crossing, f"daily_quota_{side}") is None:
            updates[f"daily_quota_{side}"] = int(row["daily_quota"])
        if updates:
            if not crossing.schedule_source:
                updates["schedule_source"] = row["source"]
            crossing_model.objects.filter(pk=crossing.pk).update(**updates)
            changed += 1
    for row in read_crossings(closures):
        crossing = crossing_model.objects.filter(slug=row["slug"]).first()
        if crossing is None:
            continue
        _, created = closure_model.objects.get_or_create(
            crossing=crossing,
            country=row["country"],
            starts_at=datetime.fromisoformat(row["from"]),
            ends_at=datetime.fromisoformat(row["to"]),
            defaults={"reason": row["reason"], "source": row["source"]},
        )
        changed += int(created)
    return changed


def crossing_sides(*, crossing, closures=None) -> list[SideSchedule]:
    """Both sides of ``crossing`` as schedules (side A first). ``closures``: its planned closures (default: all of
    them, read from the database); an unreadable opening hours text counts as unknown."""
    if closures is None:
        closures = list(crossing.planned_closures.all())
    sides = []
    for side in ("a", "b"):
        country = str(getattr(crossing, f"country_{side}"))
        try:
            hours = parse_opening_hours(getattr(crossing, f"opening_hours_{side}", ""))
        except ValueError:
            hours = None
        sides.append(
            SideSchedule(
                country=country,
                time_zone=crossing_time_zone(crossing=crossing, country=country),
                hours=hours,
                daily_quota=getattr(crossing, f"daily_quota_{side}", None),
                closures=tuple(
                    Closure(closure.starts_at, closure.ends_at)
                    for closure in closures
                    if str(closure.country) == country
                ),
            )
        )
    return sides


def crossing_queue_schedule(*, crossing, from_country: str, closures=None) -> QueueSchedule:
    """The schedule of ``crossing``'s queue leaving ``from_country`` (see ``queues.domain.schedule.queue_schedule``)."""
    first, second = crossing_sides(crossing=crossing, closures=closures)
    leaving, entering = (first, second) if first.country == str(from_country) else (second, first)
    return queue_schedule(leaving=leaving, entering=entering)
