"""The shipped catalogue of road crossings (``queues/data/crossings.csv``) and its loader.

The loader takes model classes so that the data migration can pass its historical models.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
