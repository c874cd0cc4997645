"""Reads for the fleet risk board.

Every function takes a queryset the caller has already cut to what the user may see
(``carriers.admin_tenancy.scope_to_carrier``), so the carrier boundary is decided in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from carriers.models import Driver
from queues.models import Report, Visit
from queues.selectors.forecast import ExitPlanItem, exit_plans_by_day
from stays.domain import RISK_LEVELS
from stays.labels import RISK_UNKNOWN
from stays.models import StayStatusSnapshot

UNKNOWN_RANK = -1
# The board's order: the most urgent first; drivers with no computed status last.
BOARD_RISK_ORDER: tuple[str, ...] = (*reversed(RISK_LEVELS), RISK_UNKNOWN)
BOARD_COUNTRY = "RU"


def risk_of_rank(rank: int | None) -> str:
    if rank is None or rank < 0 or rank >= len(RISK_LEVELS):
        return RISK_UNKNOWN
    return RISK_LEVELS[rank]


def rank_of_risk(risk: str) -> int:
    return UNKNOWN_RANK if risk == RISK_UNKNOWN else RISK_LEVELS.index(risk)


@dataclass(frozen=True)
class BoardVisit:
    visit_id: int
    crossing_slug: str
    crossing_name: str
    crossing_name_ru: str
    crossing_name_kk: str
    direction: str
    joined_at: datetime
    last_report_at: datetime


@dataclass(frozen=True)
class FleetBoardRow:
    driver_id: int
    name: str
    phone: str
    vehicle_plate: str
    carrier_id: int | None
    carrier_name: str
    trusted: bool
    risk: str
    risk_country: str | None
    days_left: int | None
    latest_exit: date | None
    in_country: bool | None
    status_on: date | None
    visit: BoardVisit | None
    last_report_at: datetime | None


def _snapshots(country: str | None = None) -> QuerySet[StayStatusSnapshot]:
    snapshots = StayStatusSnapshot.objects.filter(driver=OuterRef("pk"))
    return snapshots.filter(country=country) if country else snapshots


def _board_queryset(drivers: QuerySet[Driver]) -> QuerySet[Driver]:
    """``drivers`` annotated with what the board shows, so one query serves any number of drivers."""
    worst = _snapshots().order_by("-risk_rank", "days_left")
    board_country = _snapshots(BOARD_COUNTRY)
    return drivers.annotate(
        board_risk_rank=Coalesce(
            Subquery(worst.values("risk_rank")[:1]), Value(UNKNOWN_RANK), output_field=IntegerField()
        ),
        board_risk_country=Subquery(worst.values("country")[:1]),
        board_days_left=Subquery(board_country.values("days_left")[:1]),
        board_latest_exit=Subquery(board_country.values("latest_exit")[:1]),
        board_in_country=Subquery(board_country.values("in_country")[:1]),
        board_status_on=Subquery(board_country.values("on")[:1]),
        board_last_report_at=Subquery(
            Report.objects.filter(driver=OuterRef("pk")).order_by("-observed_at").values("observed_at")[:1]
        ),
    )


def _open_visits() -> Prefetch:
    return Prefetch(
        "visits",
        queryset=Visit.objects.filter(status=Visit.Status.OPEN)
        .select_related("queue__crossing")
        .order_by("-joined_at"),
        to_attr="board_open_visits",
    )


def _with_open_visit_at(drivers: QuerySet[Driver], crossing_slug: str) -> QuerySet[Driver]:
    return drivers.filter(
        Exists(
            Visit.objects.filter(driver=OuterRef("pk"), status=Visit.Status.OPEN, queue__crossing__slug=crossing_slug)
        )
    )


def fleet_risk_board_queryset(
    *, drivers: QuerySet[Driver], risk: str | None = None, crossing_slug: str | None = None
) -> QuerySet[Driver]:
    """The drivers of ``drivers``, most urgent first: by risk level (listed, overstay, high, watch, ok, then
    unknown), then fewest days left in Russia, then name; annotated with what the board shows.

    ``risk`` keeps one level (``"unknown"``: no computed stay status); ``crossing_slug`` keeps drivers now
    queueing at that crossing. Slice it (a page) and pass the slice to :func:`fleet_board_rows`.
    Raises ValueError on an unknown level.
    """
    if risk is not None and risk not in BOARD_RISK_ORDER:
        raise ValueError(f"unknown risk level {risk!r}")
    queryset = _board_queryset(drivers.select_related("carrier"))
    if risk is not None:
        queryset = queryset.filter(board_risk_rank=rank_of_risk(risk))
    if crossing_slug:
        queryset = _with_open_visit_at(queryset, crossing_slug)
    return queryset.order_by(
        "-board_risk_rank",
        Coalesce("board_days_left", Value(10**6)),
        "name",
        "pk",
    ).prefetch_related(_open_visits())


def fleet_board_rows(drivers: Iterable[Driver]) -> list[FleetBoardRow]:
    """Board rows from drivers of :func:`fleet_risk_board_queryset` (a page of it): one query, plus one for
    their open visits."""
    rows = []
    for driver in drivers:
        visit = driver.board_open_visits[0] if driver.board_open_visits else None
        rows.append(
            FleetBoardRow(
                driver_id=driver.pk,
                name=driver.name,
                phone=str(driver.phone),
                vehicle_plate=driver.vehicle_plate,
                carrier_id=driver.carrier_id,
                carrier_name=driver.carrier.name if driver.carrier else "",
                trusted=driver.trusted,
                risk=risk_of_rank(driver.board_risk_rank),
                risk_country=driver.board_risk_country,
                days_left=driver.board_days_left,
                latest_exit=driver.board_latest_exit,
                in_country=driver.board_in_country,
                status_on=driver.board_status_on,
                visit=_board_visit(visit) if visit else None,
                last_report_at=driver.board_last_report_at,
            )
        )
    return rows


def fleet_board_exit_plans(rows: Iterable[FleetBoardRow], *, now: datetime) -> dict[int, list[ExitPlanItem]]:
    """Per board row in Russia with a latest exit (its stored stay status), the exit plan: the latest moment to
    join each exit queue and still be through by the end of that day. Three queries for the page whatever the
    number of drivers (none when nobody on it is in Russia with a latest exit)."""
    wanted = {row.driver_id: row.latest_exit for row in rows if row.in_country and row.latest_exit is not None}
    by_day = exit_plans_by_day(country=BOARD_COUNTRY, latest_exits=wanted.values(), now=now)
    return {driver_id: by_day[latest_exit] for driver_id, latest_exit in wanted.items()}


def fleet_risk_board(
    *, drivers: QuerySet[Driver], risk: str | None = None, crossing_slug: str | None = None
) -> list[FleetBoardRow]:
    """Every row of the board at once (see :func:`fleet_risk_board_queryset`). Two queries whatever the number
    of drivers. Raises ValueError on an unknown level."""
    return fleet_board_rows(fleet_risk_board_queryset(drivers=drivers, risk=risk, crossing_slug=crossing_slug))


def _board_visit(visit: Visit) -> BoardVisit:
    crossing = visit.queue.crossing
    return BoardVisit(
        visit_id=visit.pk,
        crossing_slug=crossing.slug,
        crossing_name=crossing.name,
        crossing_name_ru=crossing.name_ru,
        crossing_name_kk=crossing.name_kk,
        direction=visit.queue.direction,
        joined_at=visit.joined_at,
        last_report_at=visit.last_report_at,
    )


def fleet_risk_counts(*, drivers: QuerySet[Driver], crossing_slug: str | None = None) -> dict[str, int]:
    """How many of ``drivers`` are at each risk level (every level present, zeros included). One query."""
    queryset = _board_queryset(drivers)
    if crossing_slug:
        queryset = _with_open_visit_at(queryset, crossing_slug)
    counts = dict.fromkeys(BOARD_RISK_ORDER, 0)
    grouped = queryset.order_by().values("board_risk_rank").annotate(drivers=Count("pk", distinct=True))
    for row in grouped:
        counts[risk_of_rank(row["board_risk_rank"])] += row["drivers"]
    return counts
