"""How the alerts inbox shows a dispatcher notification: pure functions over the notification's stored facts.

A notification keeps its title and body in the language of the dispatcher who was first on the carrier when it
was raised; the inbox renders it again, in the reader's language, from the structured ``data`` it also keeps
(the risk, the country, the days left, the latest exit). Its time is shown in the zone its dates are counted in
(the host country's), with that zone named. Whether an alert still stands is read from the driver's current
stay status: a stay alert stands while the driver is still at its risk level or worse in that country, and is
resolved once the status fell below it. A notification whose facts are missing or of an unknown kind is shown
as stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from queues.catalogue import COUNTRY_TIME_ZONES
from stays.domain import RISK_RANK
from stays.labels import RISK_LABELS

STAY_RISK = "stay_risk"
ACTIVE = "active"
RESOLVED = "resolved"

# The same wording as the texts stored when the alert was raised (stays.services), so one translation serves both.
DISPATCHER_TITLES = {
    "watch": gettext_lazy("%(driver)s: %(days)d days left in %(country)s"),
    "high": gettext_lazy("%(driver)s: only %(days)d days left in %(country)s"),
    "overstay": gettext_lazy("%(driver)s: stay limit exceeded in %(country)s by %(overstay)d days"),
    "listed": gettext_lazy("%(driver)s: listed on the registry of controlled persons (%(country)s)"),
}


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


def alert_state(*, risk: str | None, current_risk: str | None) -> str | None:
    """ACTIVE while the current risk is at the alert's level or above, RESOLVED once below; None if unknown."""
    if risk not in RISK_RANK or current_risk not in RISK_RANK:
        return None
    return ACTIVE if RISK_RANK[current_risk] >= RISK_RANK[risk] else RESOLVED


def _country_name(code: str) -> str:
    return str(countries.name(code) or code)


def _stay_texts(facts: AlertFacts) -> tuple[str, str] | None:
    data = facts.data
    risk = data.get("risk")
    country = str(data.get("country") or "")
    if risk not in DISPATCHER_TITLES or not country:
        return None
    try:
        days = int(data.get("days_left") or 0)
        overstay = int(data.get("overstay_days") or 0)
        latest_exit = date.fromisoformat(data["latest_exit"]) if data.get("latest_exit") else None
    except (TypeError, ValueError):
        return None
    values = {
        "driver": facts.driver_name,
        "days": days,
        "overstay": overstay,
        "country": _country_name(country),
    }
    title = str(DISPATCHER_TITLES[risk]) % values
    if risk == "listed":
        body = _("A registry check found this record. Contact the migration authorities before travelling.")
    elif risk == "overstay":
        body = _("Leave the country now: an overstay can lead to listing on the registry.")
    elif latest_exit:
        body = _("Leave by %(date)s to stay within the limit.") % {"date": date_format(latest_exit, "DATE_FORMAT")}
    else:
        body = _("Plan the next trips with the days left in mind.")
    return title, body


def alert_shown(facts: AlertFacts) -> AlertShown:
    """The notification as the inbox shows it, in the active language."""
    texts = _stay_texts(facts) if facts.kind == STAY_RISK else None
    title, body = texts or (facts.title, facts.body)
    zone_name = alert_zone_name(data=facts.data)
    label = zone_label(zone_name=zone_name, at=facts.created_at)
    created_local = facts.created_at.astimezone(ZoneInfo(label.split(" ")[0]))
    state = alert_state(risk=facts.data.get("risk"), current_risk=facts.current_risk) if texts else None
    if state == ACTIVE:
        note = _("Still active: the driver's risk now is %(risk)s.") % {"risk": RISK_LABELS[facts.current_risk]}
    elif state == RESOLVED:
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
