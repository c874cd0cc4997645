"""Reads for the driver page: the stay status per country, the stays behind it, the readable timeline,
registry checks and regimes, and an inline trip plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from carriers.models import Driver
from stays import domain
from stays import selectors as stay_selectors
from stays.models import DriverRegime, RegistryCheck, StayEvent


@dataclass(frozen=True)
class DriverStayOverview:
    """What the driver page leads with. ``stays``: every stay (entry to exit, open ones up to ``on``) by country."""

    driver: Driver
    on: date
    status: domain.StayStatus
    stays: dict[str, list[domain.Stay]]
    timeline: list[StayEvent]
    registry_checks: list[RegistryCheck]
    regimes: list[DriverRegime]


def driver_stay_overview(*, driver: Driver, on: date, carrier_id: int | None = None) -> DriverStayOverview:
    """The driver's stay status on ``on`` with its underlying stays, the full event timeline (corrections
    included, newest first, with who recorded and who corrected each), registry checks and regimes.

    ``carrier_id`` (a dispatcher's carrier) keeps only the checks and regimes that carrier recorded: a driver who
    moved brings none of the former carrier's notes along. ``None`` (an operator) lists them all. The status
    counts every check and regime whoever recorded it.
    """
    owned = {} if carrier_id is None else {"carrier_id": carrier_id}
    timeline = list(
        StayEvent.objects.filter(driver=driver)
        .select_related("crossing", "created_by", "deleted_by")
        .order_by("-date", "-created_at")
    )
    live = sorted(
        (event for event in timeline if event.deleted_at is None), key=lambda event: (event.date, event.created_at)
    )
    events = [domain.Event(country=str(event.country), kind=event.kind, on=event.date) for event in live]
    stays, _problems = domain.stays_from_events(events, on=on)
    by_country: dict[str, list[domain.Stay]] = {}
    for stay in stays:
        by_country.setdefault(stay.country, []).append(stay)
    return DriverStayOverview(
        driver=driver,
        on=on,
        status=stay_selectors.stay_status_get(driver=driver, on=on),
        stays=by_country,
        timeline=timeline,
        registry_checks=list(
            RegistryCheck.objects.filter(driver=driver, **owned)
            .select_related("checked_by")
            .order_by("-checked_on", "-pk")
        ),
        regimes=list(
            DriverRegime.objects.filter(driver=driver, **owned).select_related("set_by").order_by("-created_at")
        ),
    )


def driver_trip_plan(*, driver: Driver, country: str, entry: date, days: int, as_of: date) -> domain.Plan:
    """May ``driver`` enter ``country`` on ``entry`` for ``days`` days (the contract's <plan>)."""
    return stay_selectors.stay_plan_get(driver=driver, country=country, entry=entry, days=days, as_of=as_of)
