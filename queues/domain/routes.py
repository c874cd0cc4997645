"""Pure route choice: which crossing of a border gets a truck through first, from where it is now.

Drive time is the great-circle distance times a road factor, at a truck's average speed (both settings:
``ROUTE_ROAD_FACTOR``, ``ROUTE_TRUCK_SPEED_KMH``; see docs/routes.md). At each crossing the wait is the forecast
for a truck joining when it arrives (``queues.domain.forecast``), so a crossing that is shut or whose day's quota
is spent at arrival carries that in its wait. Options are ranked by when the truck is expected through; a crossing
with no published estimate has no wait and comes after every crossing that has one, nearest first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from queues.domain.forecast import Forecast

EARTH_RADIUS_KM = 6371.0088
DEFAULT_ROAD_FACTOR = 1.3
DEFAULT_TRUCK_SPEED_KMH = 60.0


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The haversine distance between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A crossing of the border in the wanted direction."""

    crossing: str
    direction: str
    lat: float
    lon: float
    time_zone: str = "UTC"  # of the side the queue stands on


@dataclass(frozen=True, slots=True)
class RouteOption:
    crossing: str
    direction: str
    distance_km: float
    drive_minutes: int
    arrive_at: datetime
    forecast: Forecast | None  # None: no published estimate, or arrival past the forecast horizon
    time_zone: str = "UTC"  # of the side the queue stands on

    @property
    def through_at(self) -> datetime | None:
        return self.forecast.through_at if self.forecast else None

    @property
    def through_at_latest(self) -> datetime | None:
        return self.forecast.through_at_latest if self.forecast else None

    def in_time(self, deadline: datetime | None) -> bool | None:
        """Through by ``deadline`` even at the high end of the range; None when either is unknown."""
        if deadline is None or self.forecast is None:
            return None
        return self.forecast.through_at_latest <= deadline


def drive(
    *, lat: float, lon: float, candidate: Candidate, road_factor: float, speed_kmh: float
) -> tuple[float, timedelta]:
    """Road kilometres and drive time from the point to the crossing."""
    distance = great_circle_km(lat, lon, candidate.lat, candidate.lon) * road_factor
    return distance, timedelta(hours=distance / speed_kmh)


def routes_rank(
    *,
    lat: float,
    lon: float,
    depart_at: datetime,
    candidates: Sequence[Candidate],
    forecast_at: Callable[[Candidate, datetime], Forecast | None],
    road_factor: float = DEFAULT_ROAD_FACTOR,
    speed_kmh: float = DEFAULT_TRUCK_SPEED_KMH,
) -> list[RouteOption]:
    """Every candidate with its drive and its forecast wait at arrival (``forecast_at(candidate, arrive_at)``,
    None where there is none), best first: by expected time through, then those without a forecast by arrival."""
    options = []
    for candidate in candidates:
        distance, duration = drive(lat=lat, lon=lon, candidate=candidate, road_factor=road_factor, speed_kmh=speed_kmh)
        arrive_at = depart_at + duration
        options.append(
            RouteOption(
                crossing=candidate.crossing,
                direction=candidate.direction,
                distance_km=round(distance, 1),
                drive_minutes=round(duration.total_seconds() / 60),
                arrive_at=arrive_at,
                forecast=forecast_at(candidate, arrive_at),
                time_zone=candidate.time_zone,
            )
        )
    return sorted(
        options,
        key=lambda option: (
            option.forecast is None,
            option.through_at or option.arrive_at,
            option.through_at_latest or option.arrive_at,
            option.crossing,
        ),
    )
