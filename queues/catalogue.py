"""The shipped catalogue of road crossings (``queues/data/crossings.csv``) and its loader.

The loader takes model classes so that the data migration can pass its historical models.
"""

from __future__ import annotations

import csv
from pathlib import Path

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
    for row in read_crossings(path):
        crossing, created = crossing_model.objects.get_or_create(
            slug=row["slug"],
            defaults={
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
                "coord_source": row["coord_source"],
                "notes": row["notes"],
            },
        )
        created_count += int(created)
        for origin, destination in (
            (crossing.country_a, crossing.country_b),
            (crossing.country_b, crossing.country_a),
        ):
            queue_model.objects.get_or_create(crossing=crossing, from_country=str(origin), to_country=str(destination))
    return created_count
