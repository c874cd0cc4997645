"""Stay alerts as pure functions: whether an alert still stands, and its texts rendered from its stored facts.

A stay alert (``watch``, ``high``, ``overstay``, ``listed``) belongs to one stay in one country: it stands while
the driver's current status in that country is at its level or above *in that same stay*, and is resolved, with a
reason, once it is not (the risk fell below its level, that stay has ended, or the country has no status any
more). A resolved alert stands again if the same stay climbs back to its level; it is never pushed twice.

Texts are never trusted as stored: they are rendered from the alert's facts (``data``) in the language active at
the time of reading (the driver's for push and SMS, the reader's in the app and in the workplace).
"""

from __future__ import annotations

from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from stays.domain import RISK_RANK

STAY_RISK = "stay_risk"

# Why an alert was resolved (stable codes, in ``Notification.resolution`` and the API).
RESOLVED_RISK_LOWER = "risk_lower"
RESOLVED_STAY_CHANGED = "stay_changed"
RESOLVED_NO_STATUS = "no_status"
RESOLUTIONS = (RESOLVED_RISK_LOWER, RESOLVED_STAY_CHANGED, RESOLVED_NO_STATUS)

DRIVER_TITLES = {
    "watch": gettext_lazy("%(days)d days left in %(country)s"),
    "high": gettext_lazy("Only %(days)d days left in %(country)s"),
    "overstay": gettext_lazy("Stay limit exceeded in %(country)s by %(overstay)d days"),
    "listed": gettext_lazy("Listed on the registry of controlled persons (%(country)s)"),
}
DISPATCHER_TITLES = {
    "watch": gettext_lazy("%(driver)s: %(days)d days left in %(country)s"),
    "high": gettext_lazy("%(driver)s: only %(days)d days left in %(country)s"),
    "overstay": gettext_lazy("%(driver)s: stay limit exceeded in %(country)s by %(overstay)d days"),
    "listed": gettext_lazy("%(driver)s: listed on the registry of controlled persons (%(country)s)"),
}


def alert_stay_key(stay_start: date | None) -> str:
    """How an alert names its stay: the stay's first day, or ``none``."""
    return stay_start.isoformat() if stay_start else "none"


def stay_alert_resolution(*, level: str, stay: str, current_risk: str | None, current_stay: str | None) -> str | None:
    """None while the alert of ``level`` for ``stay`` stands against the current status (its risk and stay in the
    alert's country; None when the country has no status); else why it is resolved (a ``RESOLVED_*`` code)."""
    if current_risk is None or current_risk not in RISK_RANK:
        return RESOLVED_NO_STATUS
    if current_stay != stay:
        return RESOLVED_STAY_CHANGED
    if RISK_RANK[current_risk] < RISK_RANK.get(level, 0):
        return RESOLVED_RISK_LOWER
    return None


def stay_alert_texts(data: dict, *, driver_name: str | None = None) -> tuple[str, str] | None:
    """Title and body of a stay alert in the active language, from its facts; for a dispatcher when
    ``driver_name`` is given. None when the facts are missing or unreadable (show what is stored)."""
    risk = data.get("risk")
    country = str(data.get("country") or "")
    titles = DRIVER_TITLES if driver_name is None else DISPATCHER_TITLES
    if risk not in titles or not country:
        return None
    try:
        days = int(data.get("days_left") or 0)
        overstay = int(data.get("overstay_days") or 0)
        latest_exit = date.fromisoformat(data["latest_exit"]) if data.get("latest_exit") else None
    except (TypeError, ValueError):
        return None
    values = {
        "driver": driver_name or "",
        "days": days,
        "overstay": overstay,
        "country": countries.name(country) or country,
    }
    title = str(titles[risk]) % values
    if risk == "listed":
        body = _("A registry check found this record. Contact the migration authorities before travelling.")
    elif risk == "overstay":
        body = _("Leave the country now: an overstay can lead to listing on the registry.")
    elif latest_exit:
        body = _("Leave by %(date)s to stay within the limit.") % {"date": date_format(latest_exit, "DATE_FORMAT")}
    else:
        body = _("Plan the next trips with the days left in mind.")
    return title, body


def resolution_text(code: str) -> str:
    """Why an alert was resolved, in the active language."""
    texts = {
        RESOLVED_RISK_LOWER: _("the risk fell below this level"),
        RESOLVED_STAY_CHANGED: _("that stay has ended or its record was corrected"),
        RESOLVED_NO_STATUS: _("no stay status for this country any more"),
    }
    return texts.get(code, "")
