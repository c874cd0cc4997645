"""The words of the notifications stays sends a driver, rendered from their structured ``data`` in the active language.

A notification keeps the facts it was raised on (the risk, the country, the days left, the latest exit; for a join-by
reminder the crossing, its names and the local join-by moment). Its stored title and body are written once, in the
driver's language, for the push; the app's list renders them again from the facts in the reader's language, so a
driver who switches language reads every notice in the new one. Pure functions: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries import countries

from stays.alerts import stay_alert_texts

STAY_RISK = "stay_risk"
JOIN_BY_REMINDER = "join_by_reminder"


def _country_name(code: str) -> str:
    return str(countries.name(code) or code)


def stay_risk_texts(data: Mapping[str, Any]) -> tuple[str, str] | None:
    """A driver's stay alert: ``risk``, ``country``, ``days_left``, ``overstay_days``, ``latest_exit``, in the words
    the push was written in (``stays.alerts.stay_alert_texts``, the one copy of them)."""
    return stay_alert_texts(dict(data))


def crossing_name_in(names: Mapping[str, Any], *, language: str, slug: str) -> str:
    """The crossing's name in ``language`` (en, ru, kk), else in English, else its slug."""
    chosen = names.get(language) or names.get("en")
    return str(chosen) if chosen else slug


def join_by_texts(data: Mapping[str, Any], *, language: str | None = None) -> tuple[str, str] | None:
    """A join-by reminder: ``crossing`` (slug), ``crossing_names`` ({en, ru, kk}), ``local_join_by`` (the join-by
    moment on that side's clock, ``YYYY-MM-DD HH:MM``), ``country``, ``latest_exit`` and ``high_minutes``."""
    slug = str(data.get("crossing") or "")
    country = str(data.get("country") or "")
    names = data.get("crossing_names")
    try:
        local_join_by = datetime.fromisoformat(str(data["local_join_by"]))  # that side's clock, as stored
        latest_exit = date.fromisoformat(str(data["latest_exit"]))
        hours = round(int(data["high_minutes"]) / 60)
    except (KeyError, TypeError, ValueError):
        return None
    if not slug or not country:
        return None
    values = {
        "crossing": crossing_name_in(
            names if isinstance(names, Mapping) else {}, language=(language or get_language() or "en")[:2], slug=slug
        ),
        "time": local_join_by.strftime("%Y-%m-%d %H:%M"),
        "country": _country_name(country),
        "date": latest_exit.isoformat(),
        "hours": hours,
    }
    title = _("Join the queue at %(crossing)s by %(time)s") % values
    body = (
        _(
            "To leave %(country)s by the end of %(date)s, join the exit queue at %(crossing)s by %(time)s (local "
            "time): it may take up to %(hours)d hours."
        )
        % values
    )
    return title, body


RENDERERS = {STAY_RISK: stay_risk_texts, JOIN_BY_REMINDER: join_by_texts}


def notice_texts(*, kind: str, data: object) -> tuple[str, str] | None:
    """Title and body of a driver notification of ``kind`` from its ``data``, in the active language; None for a
    kind this module does not write or facts it cannot read (the caller then shows the stored text)."""
    renderer = RENDERERS.get(kind)
    if renderer is None or not isinstance(data, Mapping):
        return None
    return renderer(data)
