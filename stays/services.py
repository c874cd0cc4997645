"""Writes for stays: events (with their audit trail), regimes, registry checks, status snapshots and the
risk notifications they raise."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carriers.models import Dispatcher, Driver, Notification
from carriers.push import notification_push
from core.errors import ValidationFailed
from core.tasks import CoalescedSend, task_send_coalesced_many_on_commit
from queues.catalogue import crossing_local_date
from queues.models import Crossing
from stays import alerts, domain, notices, selectors
from stays.models import DriverRegime, RegistryCheck, StayEvent, StayEventAudit, StayStatusSnapshot

logger = logging.getLogger(__name__)


class StayEventInvalid(ValidationFailed):
    """The event does not fit the driver's history (a future date, an exit without an entry, ...)."""

    default_detail = gettext_lazy("The stay event does not fit the recorded entries and exits.")


_PROBLEM_MESSAGES = {
    "future_date": gettext_lazy("The date is in the future."),
    "exit_without_entry": gettext_lazy("There is no entry into this country before this exit."),
    "entry_while_in_country": gettext_lazy("There is already an entry into this country without an exit after it."),
}


def _event_snapshot(event: StayEvent) -> dict:
    return {
        "country": str(event.country),
        "kind": event.kind,
        "date": event.date.isoformat(),
        "crossing": event.crossing.slug if event.crossing_id and event.crossing else None,
        "source": event.source,
        "report": str(event.report_id) if event.report_id else None,
    }


# A history being edited (an entry, then its exit a minute later) is assessed once it settles: the refresh runs
# this long after the first change of a burst, and sees every change of the burst (one task per driver).
REFRESH_PENDING_TTL_SECONDS = 120


def driver_refresh_pending_key(driver_id: int) -> str:
    """The cache key of the driver's "refresh pending" flag (it names the database: one Redis may serve several)."""
    return f"stay-refresh-pending:{connection.settings_dict['NAME']}:{driver_id}"


def _refresh_after_commit(driver_id: int) -> None:
    from stays.tasks import driver_status_refresh

    # A broker that is down leaves the events committed; the daily check refreshes the snapshot later.
    task_send_coalesced_many_on_commit(
        [
            CoalescedSend(
                task=driver_status_refresh,
                pending_key=driver_refresh_pending_key(driver_id),
                pending_ttl=REFRESH_PENDING_TTL_SECONDS,
                kwargs={"driver_id": driver_id},
                countdown=settings.STAY_REFRESH_DELAY_SECONDS,
                failure_message="stay status refresh not enqueued; the daily check will catch up",
            )
        ]
    )


def stay_status_refresh_pending(*, driver_id: int, as_of: datetime) -> list[Notification]:
    """Runs a requested refresh: clears the driver's pending flag first (changes arriving meanwhile ask for another
    run), then assesses the driver on their local today."""
    cache.delete(driver_refresh_pending_key(driver_id))
    return stay_statuses_refresh(driver_ids=[driver_id], on=None, as_of=as_of)


def _lock_driver(driver: Driver) -> None:
    """Serialises writes to one driver's history (two devices adding events at once)."""
    Driver.objects.select_for_update(no_key=True).filter(pk=driver.pk).order_by().values_list("pk", flat=True).first()


def stay_event_problems(
    *, driver: Driver, country: str, kind: str, date: date, as_of: datetime, crossing: Crossing | None = None
) -> dict[str, list[str]]:
    """Why this event cannot be recorded (field -> messages), empty when it can; also used by admin forms.

    "In the future" is judged by the country's local calendar (at ``crossing``'s side when given)."""
    existing = selectors.stay_domain_events(driver=driver)
    new = domain.Event(country=country.upper(), kind=kind, on=date)
    today = selectors.stay_country_today(country=country, at=as_of, crossing=crossing)
    problems = domain.event_sequence_problems(existing=existing, new=new, today=today)
    return {field: [str(_PROBLEM_MESSAGES[code]) for code in codes] for field, codes in problems.items()}


@transaction.atomic
def stay_event_record(
    *,
    driver: Driver,
    country: str,
    kind: str,
    date: date,
    crossing: Crossing | None,
    source: str,
    actor,
    as_of: datetime,
) -> StayEvent:
    """Records an entry into or exit from ``country`` on ``date`` and its audit line.

    Raises StayEventInvalid (400 validation_error) for a date after ``as_of``'s day, an exit with no entry
    before it, or a second entry without an exit between.
    """
    country = country.upper()
    _lock_driver(driver)
    errors = stay_event_problems(driver=driver, country=country, kind=kind, date=date, as_of=as_of, crossing=crossing)
    if errors:
        raise StayEventInvalid(errors=errors)
    event = StayEvent.objects.create(
        driver=driver, country=country, kind=kind, date=date, crossing=crossing, source=source, created_by=actor
    )
    StayEventAudit.objects.create(event=event, action="created", actor=actor, snapshot=_event_snapshot(event))
    _refresh_after_commit(driver.pk)
    return event


@transaction.atomic
def stay_event_delete(*, event: StayEvent, actor, as_of: datetime, note: str = "") -> StayEvent:
    """Corrects a stay event away: it is marked deleted (never removed) and the audit trail says who and when."""
    event = StayEvent.objects.select_for_update().get(pk=event.pk)
    if event.deleted_at is not None:
        return event
    event.deleted_at = as_of
    event.deleted_by = actor
    event.save(update_fields=["deleted_at", "deleted_by"])
    StayEventAudit.objects.create(
        event=event, action="deleted", actor=actor, snapshot=_event_snapshot(event), note=note
    )
    _refresh_after_commit(event.driver_id)
    return event


def stay_crossing_record(
    *,
    driver,
    report_id,
    crossing_id: int | None,
    from_country: str,
    to_country: str,
    crossed_on: date | None = None,
    crossed_at: datetime | None = None,
) -> list[StayEvent]:
    """Records the exit from ``from_country`` and the entry into ``to_country`` for a ``crossed`` report,
    where a stay rule could apply to the driver (never their own country). Idempotent per report; never
    raises for inconsistent history (a crowd report must not be refused for it): such events are skipped.

    With ``crossed_at`` each country dates the crossing by its own local calendar at that crossing (at
    Sharbakty–Kulunda, 23:30 in Pavlodar is already 01:30 next day in Altai Krai); ``crossed_on`` is used as is
    otherwise.
    """
    if crossed_at is not None:
        crossing = Crossing.objects.filter(pk=crossing_id).first() if crossing_id else None
        dates = {
            country.upper(): crossing_local_date(crossing=crossing, country=country, at=crossed_at)
            for country in (from_country, to_country)
        }
    elif crossed_on is not None:
        dates = {from_country.upper(): crossed_on, to_country.upper(): crossed_on}
    else:
        raise TypeError("stay_crossing_record needs crossed_at or crossed_on")
    citizenship = str(driver.citizenship or "").upper()
    rules = selectors.stay_rules_list()
    created: list[StayEvent] = []
    with transaction.atomic():
        _lock_driver(driver)
        existing = selectors.stay_domain_events(driver=driver)
        for kind, country in ((StayEvent.Kind.EXIT, from_country.upper()), (StayEvent.Kind.ENTRY, to_country.upper())):
            if not any(rule.applies_to(country=country, citizenship=citizenship) for rule in rules):
                continue
            if StayEvent.objects.filter(report_id=report_id, country=country, kind=kind).exists():
                continue
            on = dates[country]
            new = domain.Event(country=country, kind=kind, on=on)
            problems = domain.event_sequence_problems(existing=existing, new=new, today=on)
            if problems:
                logger.info(
                    "crossing not recorded as a stay event: inconsistent with history",
                    extra={"driver_id": driver.pk, "report_id": str(report_id), "kind": kind, "country": country},
                )
                continue
            try:
                with transaction.atomic():
                    event = StayEvent.objects.create(
                        driver=driver,
                        country=country,
                        kind=kind,
                        date=on,
                        crossing_id=crossing_id,
                        source=StayEvent.Source.REPORT,
                        report_id=report_id,
                    )
            except IntegrityError:  # the same report recorded concurrently
                continue
            StayEventAudit.objects.create(event=event, action="created", snapshot=_event_snapshot(event))
            existing.append(new)
            created.append(event)
        if created:
            _refresh_after_commit(driver.pk)
    return created


@transaction.atomic
def registry_check_record(
    *, driver: Driver, status: str, checked_on: date, checked_by, note: str = ""
) -> RegistryCheck:
    """Stores the result of a check of Russia's registry of controlled persons (``clear`` or ``listed``)."""
    if status not in RegistryCheck.Status.values:
        raise ValidationFailed(errors={"status": [_("Choose clear or listed.")]})
    check = RegistryCheck.objects.create(
        driver=driver,
        status=status,
        checked_on=checked_on,
        checked_by=checked_by,
        note=note,
        carrier_id=_recording_carrier_id(driver=driver, user=checked_by),
    )
    _refresh_after_commit(driver.pk)
    return check


@transaction.atomic
def driver_regime_set(
    *,
    driver: Driver,
    regime: str,
    valid_from: date | None,
    valid_to: date | None,
    note: str = "",
    source: str = "",
    set_by=None,
) -> DriverRegime:
    """Gives ``driver`` a regime or exemption (e.g. ``ruID``) between two dates, with a note and a source."""
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationFailed(errors={"valid_to": [_("The regime cannot end before it starts.")]})
    item = DriverRegime.objects.create(
        driver=driver,
        regime=regime.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
        note=note,
        source=source,
        set_by=set_by,
        carrier_id=_recording_carrier_id(driver=driver, user=set_by),
    )
    _refresh_after_commit(driver.pk)
    return item


def _recording_carrier_id(*, driver: Driver, user) -> int | None:
    """The carrier a check or regime belongs to: the dispatcher's who records it, else (an operator, the app)
    the driver's carrier at the time. Only that carrier's dispatchers see it, even after the driver moves."""
    dispatcher = getattr(user, "dispatcher", None) if user is not None else None
    return dispatcher.carrier_id if dispatcher is not None else driver.carrier_id


# --- Snapshots and risk notifications -------------------------------------------------------------
def _notification_texts(data: dict, *, driver: Driver, dispatcher: bool) -> tuple[str, str]:
    """The texts stored with an alert (and pushed): rendered from its facts in the active language."""
    texts = alerts.stay_alert_texts(data, driver_name=str(driver) if dispatcher else None)
    return texts or ("", "")


def _notify(
    *, key: str, audience: str, driver: Driver, status: domain.CountryStatus, language: str, on: date
) -> Notification | None:
    """Creates the notification once per ``key`` (unique); None when it already exists."""
    data = {
        "driver_id": driver.pk,
        "country": status.country,
        "risk": status.risk,
        "risk_reasons": list(status.risk_reasons),
        "days_left": status.days_left,
        "overstay_days": status.overstay_days,
        "latest_exit": status.latest_exit.isoformat() if status.latest_exit else None,
        "on": on.isoformat(),
        "stay_start": status.stay_start.isoformat() if status.stay_start else None,
    }
    with translation.override(language):
        title, body = _notification_texts(data, driver=driver, dispatcher=audience == "dispatcher")
    fields = {
        "audience": audience,
        "driver": driver if audience == Notification.Audience.DRIVER else None,
        "carrier": driver.carrier if audience == Notification.Audience.DISPATCHER else None,
        "kind": notices.STAY_RISK,
        "level": status.risk,
        "title": title[:200],
        "body": body,
        "data": data,
    }
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(dedupe_key=key, defaults=fields)
    except IntegrityError:  # another worker created it between our look-up and insert
        return None
    return notification if created else None


def _dispatcher_language(carrier_id: int) -> str:
    language = (
        Dispatcher.objects.filter(carrier_id=carrier_id).order_by("pk").values_list("language", flat=True).first()
    )
    return language or "ru"


def stay_status_store(*, driver: Driver, status: domain.StayStatus, computed_at: datetime) -> list[Notification]:
    """Upserts the driver's per-country snapshots and notifies a rise of the risk level.

    A level is notified once per stay period (``dedupe_key`` is unique): running twice, or two workers
    racing, stores one notification per level, and only the run that created it pushes it (after commit).
    """
    created: list[Notification] = []
    with transaction.atomic():
        previous = {
            str(snapshot.country): snapshot
            for snapshot in StayStatusSnapshot.objects.select_for_update().filter(driver=driver)
        }
        assessed_countries = [item for item in status.countries if item.rule is not None]
        for item in assessed_countries:
            before = previous.get(item.country)
            StayStatusSnapshot.objects.update_or_create(
                driver=driver,
                country=item.country,
                defaults={
                    "on": status.on,
                    "in_country": item.in_country,
                    "days_used": item.days_used,
                    "days_left": item.days_left,
                    "latest_exit": item.latest_exit,
                    "overstay_days": item.overstay_days,
                    "risk": item.risk,
                    "risk_rank": item.risk_rank,
                    "computed_at": computed_at,
                },
            )
            if item.risk_rank <= (before.risk_rank if before else 0):
                continue
            # One notification per level per stay (the stay's first day names it).
            stay = alerts.alert_stay_key(item.stay_start)
            key = f"stay:{driver.pk}:{item.country}:{item.risk}:{stay}"
            notification = _notify(
                key=key, audience="driver", driver=driver, status=item, language=driver.language, on=status.on
            )
            if notification:
                created.append(notification)
            if driver.carrier_id:
                notification = _notify(
                    key=f"{key}:dispatcher",
                    audience="dispatcher",
                    driver=driver,
                    status=item,
                    language=_dispatcher_language(driver.carrier_id),
                    on=status.on,
                )
                if notification:
                    created.append(notification)
        assessed = [item.country for item in assessed_countries]
        StayStatusSnapshot.objects.filter(driver=driver).exclude(country__in=assessed).delete()
        _alerts_follow_status(driver=driver, statuses=assessed_countries, at=computed_at)
        for notification in created:
            transaction.on_commit(lambda notification=notification: notification_push(notification=notification))
    return created


def _alert_stay(notification: Notification) -> str:
    """The stay an alert belongs to: from its facts, else from its key (``stay:<driver>:<country>:<level>:<stay>``)."""
    data = notification.data if isinstance(notification.data, dict) else {}
    if "stay_start" in data:
        return data["stay_start"] or "none"
    parts = notification.dedupe_key.split(":")
    return parts[4] if len(parts) > 4 else "none"


def _alerts_follow_status(*, driver: Driver, statuses: Sequence[domain.CountryStatus], at: datetime) -> None:
    """Resolves the driver's stay alerts the status no longer supports (when and why), and lets one the same stay
    climbs back to stand again (without a second push)."""
    current = {item.country: (item.risk, alerts.alert_stay_key(item.stay_start)) for item in statuses}
    owned = Q(driver=driver) | Q(audience=Notification.Audience.DISPATCHER, data__driver_id=driver.pk)
    for notification in Notification.objects.filter(owned, kind=alerts.STAY_RISK).select_for_update():
        data = notification.data if isinstance(notification.data, dict) else {}
        risk, stay = current.get(str(data.get("country") or ""), (None, None))
        resolution = alerts.stay_alert_resolution(
            level=notification.level, stay=_alert_stay(notification), current_risk=risk, current_stay=stay
        )
        if resolution is not None and notification.active:
            notification.active, notification.resolved_at, notification.resolution = False, at, resolution
        elif resolution is None and not notification.active:
            notification.active, notification.resolved_at, notification.resolution = True, None, ""
        else:
            continue
        notification.save(update_fields=["active", "resolved_at", "resolution"])


def stay_statuses_refresh(*, driver_ids: Sequence[int], on: date | None, as_of: datetime) -> list[Notification]:
    """Recomputes the status of each driver and stores it (one transaction per driver): on ``on``, or when None on
    each driver's local today at ``as_of``."""
    created: list[Notification] = []
    for driver, status in selectors.stay_statuses_for_drivers(driver_ids=driver_ids, on=on, at=as_of):
        created += stay_status_store(driver=driver, status=status, computed_at=as_of)
    return created
