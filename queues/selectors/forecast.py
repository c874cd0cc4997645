"""Reads for the wait forecast and the route choice: a queue's forecast inputs from the database, the forecast of
one queue, and the crossings of a border ranked from a point."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Avg
from django.db.models.functions import TruncHour
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from core.http import utc_iso as iso
from queues.catalogue import crossing_time_zone
from queues.domain.forecast import (
    FORECAST_HORIZON,
    PROFILE_DAYS,
    CurrentEstimate,
    Forecast,
    Forecaster,
    ForecastInputs,
    QueueSchedule,
    day_end,
    latest_join,
)
from queues.domain.routes import Candidate, RouteOption, routes_rank
from queues.models import Estimate, EstimatePoint, Queue
from queues.selectors.partner import InsufficientData, partner_queue_get

# A moment a minute before now is still "now" (clocks of phones and servers differ by seconds).
NOW_TOLERANCE = timedelta(minutes=1)


def forecast_horizon_check(*, at: datetime, now: datetime, field: str) -> datetime:
    """``at`` when it lies within now … now + 72 h (a minute early is now); raises :class:`ValidationFailed`."""
    if at < now - NOW_TOLERANCE or at > now + FORECAST_HORIZON:
        hours = int(FORECAST_HORIZON.total_seconds() // 3600)
        raise ValidationFailed(
            errors={field: [_("Enter a moment from now to %(hours)d hours ahead, with its offset.") % {"hours": hours}]}
        )
    return max(at, now)


def queue_time_zone(queue: Queue) -> str:
    """The IANA zone of the side the queue stands on (the country the truck is leaving)."""
    return crossing_time_zone(crossing=queue.crossing, country=str(queue.from_country))


def queue_schedule(queue: Queue) -> QueueSchedule:
    """What is known of the queue's border post. Today that is its side's time zone; opening hours, quotas and
    planned closures join it here once crossings carry a schedule."""
    return QueueSchedule(time_zone=queue_time_zone(queue))


def _published(queue: Queue) -> Estimate | None:
    try:
        estimate = queue.estimate
    except Estimate.DoesNotExist:
        return None
    return estimate if estimate.published else None


def _histories(queue_ids: Iterable[int], *, as_of: datetime) -> dict[int, list[tuple[datetime, float]]]:
    """Hourly mean of the published waits of each queue over the PROFILE_DAYS before ``as_of`` (one query)."""
    rows = (
        EstimatePoint.objects.filter(
            queue_id__in=list(queue_ids), published=True, at__gte=as_of - timedelta(days=PROFILE_DAYS), at__lte=as_of
        )
        .annotate(hour=TruncHour("at", tzinfo=UTC))
        .values("queue_id", "hour")
        .annotate(wait=Avg("wait_minutes"))
        .order_by("queue_id", "hour")
    )
    histories: dict[int, list[tuple[datetime, float]]] = {}
    for row in rows:
        histories.setdefault(row["queue_id"], []).append((row["hour"], float(row["wait"])))
    return histories


def _inputs(queue: Queue, estimate: Estimate, history: list[tuple[datetime, float]]) -> ForecastInputs:
    return ForecastInputs(
        estimate=CurrentEstimate(
            wait_minutes=estimate.wait_minutes,
            low_minutes=estimate.low_minutes,
            high_minutes=estimate.high_minutes,
            computed_at=estimate.computed_at,
            confidence=estimate.confidence,
            throughput_per_hour=estimate.throughput_per_hour,
            stale=estimate.stale,
        ),
        history=history,
        schedule=queue_schedule(queue),
    )


def queue_forecasters(queues: Iterable[Queue], *, as_of: datetime) -> dict[int, Forecaster]:
    """A forecaster per queue that has a published estimate (queues loaded with crossing and estimate): two
    queries in all, for the history."""
    published = {queue.pk: (queue, estimate) for queue in queues if (estimate := _published(queue)) is not None}
    histories = _histories(published, as_of=as_of)
    return {
        queue_id: Forecaster(_inputs(queue, estimate, histories.get(queue_id, [])))
        for queue_id, (queue, estimate) in published.items()
    }


def _forecast(forecaster: Forecaster, at: datetime) -> Forecast:
    # The estimate is a few minutes old: the horizon counts from now, so allow for its age.
    age = max(timedelta(0), at - forecaster.inputs.estimate.computed_at - FORECAST_HORIZON)
    return forecaster.at(at, horizon=FORECAST_HORIZON + age)


@dataclass(frozen=True, slots=True)
class QueueForecast:
    crossing: str
    direction: str
    forecast: Forecast


def queue_forecast_get(*, slug: str, direction: str, at: datetime | None, now: datetime) -> QueueForecast:
    """The forecast wait of a truck joining the queue of crossing ``slug`` in ``direction`` at ``at`` (default
    now). Raises :class:`NotFound` (crossing), :class:`ValidationFailed` (direction, ``at``) and
    :class:`InsufficientData` (no published estimate)."""
    queue = partner_queue_get(slug=slug, direction=direction)
    at = forecast_horizon_check(at=at or now, now=now, field="at")
    forecaster = queue_forecasters([queue], as_of=now).get(queue.pk)
    if forecaster is None:
        raise InsufficientData()
    return QueueForecast(crossing=queue.crossing.slug, direction=queue.direction, forecast=_forecast(forecaster, at))


# --- Routes ----------------------------------------------------------------------------------------------------------
def route_settings() -> tuple[float, float]:
    """(road factor, truck speed in km/h): ``ROUTE_ROAD_FACTOR`` and ``ROUTE_TRUCK_SPEED_KMH``."""
    return float(settings.ROUTE_ROAD_FACTOR), float(settings.ROUTE_TRUCK_SPEED_KMH)


def direction_parse(direction: str) -> tuple[str, str]:
    """``("RU", "KZ")`` from ``"RU-KZ"`` (any case); raises :class:`ValidationFailed` for anything else."""
    origin, sep, destination = direction.upper().partition("-")
    if not sep or len(origin) != 2 or len(destination) != 2 or not (origin + destination).isalpha():
        raise ValidationFailed(errors={"direction": [_("Enter a direction such as KZ-RU.")]})
    return origin, destination


def routes_list(
    *, direction: str, lat: float, lon: float, depart_at: datetime | None, now: datetime
) -> list[RouteOption]:
    """The active crossings with a queue in ``direction`` ranked by when a truck leaving the point at
    ``depart_at`` (default now) is expected through. Raises :class:`ValidationFailed` (no crossing has the
    direction, or ``depart_at`` outside now … now + 72 h). Three queries."""
    origin, destination = direction_parse(direction)
    depart_at = forecast_horizon_check(at=depart_at or now, now=now, field="depart_at")
    queues = list(
        Queue.objects.filter(crossing__active=True, from_country=origin, to_country=destination)
        .select_related("crossing", "estimate")
        .order_by("crossing__slug")
    )
    if not queues:
        raise ValidationFailed(errors={"direction": [_("No crossing has this direction.")]})
    forecasters = queue_forecasters(queues, as_of=now)
    by_slug = {queue.crossing.slug: queue for queue in queues}
    road_factor, speed = route_settings()

    def forecast_at(candidate: Candidate, arrive_at: datetime) -> Forecast | None:
        forecaster = forecasters.get(by_slug[candidate.crossing].pk)
        if forecaster is None or arrive_at > now + FORECAST_HORIZON:
            return None
        return _forecast(forecaster, arrive_at)

    candidates = [
        Candidate(
            crossing=queue.crossing.slug,
            direction=queue.direction,
            lat=queue.crossing.lat,
            lon=queue.crossing.lon,
            time_zone=queue_time_zone(queue),
        )
        for queue in queues
    ]
    return routes_rank(
        lat=lat,
        lon=lon,
        depart_at=depart_at,
        candidates=candidates,
        forecast_at=forecast_at,
        road_factor=road_factor,
        speed_kmh=speed,
    )


def driver_routes_list(
    *, driver, direction: str, lat: float, lon: float, depart_at: datetime | None = None, now: datetime
) -> list[tuple[RouteOption, bool | None]]:
    """:func:`routes_list` with, per option, whether the driver is through in time: by the end of their latest exit
    day from the country being left, in the local time of that crossing's side (None without a limit there)."""
    from stays.selectors import stay_exit_limit_get

    options = routes_list(direction=direction, lat=lat, lon=lon, depart_at=depart_at, now=now)
    origin, _destination = direction_parse(direction)
    home_zone = options[0].time_zone if options else "UTC"
    limited, latest_exit = stay_exit_limit_get(driver=driver, country=origin, on=local_date(now, home_zone))
    rows: list[tuple[RouteOption, bool | None]] = []
    for option in options:
        if not limited:
            rows.append((option, None))
        elif latest_exit is None:
            rows.append((option, False))
        else:
            rows.append((option, option.in_time(day_end(latest_exit, option.time_zone))))
    return rows


def local_date(at: datetime, time_zone: str) -> date:
    """The calendar date of ``at`` in ``time_zone`` (UTC when unknown)."""
    try:
        return at.astimezone(ZoneInfo(time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return at.astimezone(UTC).date()


# --- Payloads (both APIs) ---------------------------------------------------------------------------------------------
def forecast_as_dict(item: QueueForecast) -> dict:
    """The forecast answer (both APIs) from a ``QueueForecast``."""
    forecast = item.forecast
    return {
        "crossing": item.crossing,
        "direction": item.direction,
        "at": iso(forecast.at),
        "wait_minutes": forecast.wait_minutes,
        "low_minutes": forecast.low_minutes,
        "high_minutes": forecast.high_minutes,
        "confidence": forecast.confidence,
        "computed_at": iso(forecast.computed_at),
        "open_at_join": forecast.open_at_join,
        "quota_spent_at_join": forecast.quota_spent_at_join,
    }


def route_as_dict(option: RouteOption, *, in_time: bool | None = None, with_in_time: bool = True) -> dict:
    forecast = option.forecast
    item = {
        "crossing": option.crossing,
        "direction": option.direction,
        "distance_km": option.distance_km,
        "drive_minutes": option.drive_minutes,
        "arrive_at": iso(option.arrive_at),
        "wait_minutes": forecast.wait_minutes if forecast else None,
        "low_minutes": forecast.low_minutes if forecast else None,
        "high_minutes": forecast.high_minutes if forecast else None,
        "through_at": iso(option.through_at),
        "through_at_latest": iso(option.through_at_latest),
        "open_at_arrival": forecast.open_at_join if forecast else None,
        "quota_spent_at_arrival": forecast.quota_spent_at_join if forecast else None,
    }
    if with_in_time:
        item["in_time"] = in_time
    return item


# --- Exit plans (join-by) --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ExitPlanItem:
    """The latest moment to join one exit queue and still be through by the end of the latest exit day."""

    crossing: str
    direction: str
    join_by: datetime
    wait_minutes: int  # forecast for a truck joining at join_by
    high_minutes: int
    in_time: bool  # False: even joining now is expected to be too late (join_by is then now)
    time_zone: str  # of the side the queue stands on (the latest exit day is read there)
    names: tuple[str, str, str] = ("", "", "")  # the crossing's name in English, Russian and Kazakh

    def name_in(self, language: str) -> str:
        """The crossing's name in ``language`` (en, ru, kk), else in English, else its slug."""
        english, russian, kazakh = self.names
        chosen = {"ru": russian, "kk": kazakh}.get(language, english)
        return chosen or english or self.crossing


def exit_plan_list(*, country: str, latest_exit: date, now: datetime) -> list[ExitPlanItem]:
    """For each active crossing with a queue out of ``country`` and a published estimate, the latest moment to join
    that queue and still be through by the end of ``latest_exit`` in the local time of that side (the queue stands
    in the country being left), using the high end of the forecast for a truck joining then plus the join-by
    margin. Earliest join-by first. Three queries."""
    return exit_plans_by_day(country=country, latest_exits=[latest_exit], now=now)[latest_exit]


def exit_plans_by_day(*, country: str, latest_exits: Iterable[date], now: datetime) -> dict[date, list[ExitPlanItem]]:
    """:func:`exit_plan_list` for each of ``latest_exits``: three queries whatever their number (none without
    any)."""
    days = sorted(set(latest_exits))
    if not days:
        return {}
    queues = list(
        Queue.objects.filter(crossing__active=True, from_country=country)
        .select_related("crossing", "estimate")
        .order_by("crossing__slug", "to_country")
    )
    forecasters = queue_forecasters(queues, as_of=now)
    plans: dict[date, list[ExitPlanItem]] = {}
    for latest_exit in days:
        items = []
        for queue in queues:
            forecaster = forecasters.get(queue.pk)
            if forecaster is None:
                continue
            zone = queue_time_zone(queue)
            advice = latest_join(forecaster, deadline=day_end(latest_exit, zone), not_before=now)
            items.append(
                ExitPlanItem(
                    crossing=queue.crossing.slug,
                    direction=queue.direction,
                    join_by=advice.join_by,
                    wait_minutes=advice.forecast.wait_minutes,
                    high_minutes=advice.forecast.high_minutes,
                    in_time=advice.in_time,
                    time_zone=zone,
                    names=(queue.crossing.name, queue.crossing.name_ru, queue.crossing.name_kk),
                )
            )
        plans[latest_exit] = sorted(items, key=lambda item: (item.join_by, item.crossing))
    return plans


def exit_plan_as_dict(item: ExitPlanItem) -> dict:
    """One ``exit_plan`` entry of ``<stay status>``."""
    return {
        "crossing": item.crossing,
        "direction": item.direction,
        "join_by": iso(item.join_by),
        "wait_minutes": item.wait_minutes,
        "high_minutes": item.high_minutes,
        "in_time": item.in_time,
    }


def exit_queue_days(*, country: str, exit_day: date, crossing: str | None, now: datetime) -> int | None:
    """Days of stay the exit queue adds to a stay in ``country`` whose last day outside a queue is ``exit_day``:
    a truck joining the queue at noon local time of that day, at the high end of the forecast, crosses that many
    local days later. ``crossing``: that crossing's queue out of the country; None: every exit crossing, the best
    of them. None when no exit queue in question has a published estimate."""
    found = Queue.objects.filter(crossing__active=True, from_country=country).select_related("crossing", "estimate")
    if crossing is not None:
        found = found.filter(crossing__slug=crossing)
    queues = list(found)
    forecasters = queue_forecasters(queues, as_of=now)
    best: int | None = None
    for queue in queues:
        forecaster = forecasters.get(queue.pk)
        if forecaster is None:
            continue
        zone = queue_time_zone(queue)
        join = max(now, day_end(exit_day, zone) - timedelta(hours=12))
        forecast = forecaster.at(join, horizon=join - forecaster.inputs.estimate.computed_at + FORECAST_HORIZON)
        through_day = local_date(forecast.through_at_latest, zone)
        days = max(0, (through_day - local_date(join, zone)).days)
        best = days if best is None else min(best, days)
    return best
