"""How the alerts inbox shows a dispatcher notification: pure functions over the notification's stored facts.

A notification keeps its title and body in the language of the dispatcher who was first on the carrier when it
was raised; the inbox renders it again, in the reader's language, from the structured ``data`` it also keeps
(the risk, the country, the days left, the latest exit). Its time is shown in the zone its dates are counted in
(the host country's), with that zone named. Whether an alert still stands is read from the driver's current
stay status, as recorded on the notification itself (``active``, ``resolved_at``, set by stays.services from the
driver's status: see stays.alerts). A notification whose facts are missing or of an unknown kind is shown
as stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from queues.catalogue import COUNTRY_TIME_ZONES
from stays.alerts import resolution_text, stay_alert_texts
from stays.labels import RISK_LABELS

STAY_RISK = "stay_risk"
ACTIVE = "active"
RESOLVED = "resolved"


@dataclass(frozen=True)
class AlertFacts:
    """What the inbox knows of one notification: its stored texts and facts, and the driver's current risk in
    the alert's country (None when no status is known)."""

    kind: str
    title: str
    body: str
    data: dict
    created_at: datetime
    driver_name: str
    current_risk: str | None
    active: bool = True  # the alert's own state (resolved once the driver's status no longer supports it)
    resolved_at: datetime | None = None
    resolution: str = ""  # a stays.alerts RESOLVED_* code


@dataclass(frozen=True)
class AlertShown:
    title: str
    body: str
    created_local: datetime
    zone_name: str
    zone_label: str  # e.g. "Europe/Moscow (UTC+03:00)"
    state: str | None  # ACTIVE, RESOLVED, or None when it cannot be told
    state_note: str


def alert_zone_name(*, data: dict) -> str:
    """The IANA zone the alert's dates are counted in: its country's, else UTC."""
    return COUNTRY_TIME_ZONES.get(str(data.get("country") or "").upper(), "UTC")


def zone_label(*, zone_name: str, at: datetime) -> str:
    """``Asia/Almaty (UTC+05:00)``: a zone's name and its offset at ``at``."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    offset = at.astimezone(zone).strftime("%z")
    return f"{zone.key} (UTC{offset[:3]}:{offset[3:]})"


def _stay_texts(facts: AlertFacts) -> tuple[str, str] | None:
    return stay_alert_texts(facts.data, driver_name=facts.driver_name)


def alert_shown(facts: AlertFacts) -> AlertShown:
    """The notification as the inbox shows it, in the active language."""
    texts = _stay_texts(facts) if facts.kind == STAY_RISK else None
    title, body = texts or (facts.title, facts.body)
    zone_name = alert_zone_name(data=facts.data)
    label = zone_label(zone_name=zone_name, at=facts.created_at)
    created_local = facts.created_at.astimezone(ZoneInfo(label.split(" ")[0]))
    state = (ACTIVE if facts.active else RESOLVED) if texts else None
    if state == ACTIVE and facts.current_risk in RISK_LABELS:
        note = _("Still active: the driver's risk now is %(risk)s.") % {"risk": RISK_LABELS[facts.current_risk]}
    elif state == RESOLVED and facts.resolved_at is not None and resolution_text(facts.resolution):
        when = date_format(facts.resolved_at.astimezone(created_local.tzinfo), "DATETIME_FORMAT")
        note = _("Resolved on %(when)s: %(why)s.") % {"when": when, "why": resolution_text(facts.resolution)}
    elif state == RESOLVED and facts.current_risk in RISK_LABELS:
        note = _("Resolved: the driver's risk now is %(risk)s.") % {"risk": RISK_LABELS[facts.current_risk]}
    else:
        note = ""
    return AlertShown(
        title=title,
        body=body,
        created_local=created_local,
        zone_name=zone_name,
        zone_label=label,
        state=state,
        state_note=note,
    )
