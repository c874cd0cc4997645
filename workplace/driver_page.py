"""The driver page of the workplace: what it leads with before the admin's form.

``driver_page_context`` turns the driver's stay overview (``workplace.selectors.driver_stay_overview``) into
what the template shows: a summary card and a calendar strip per country, a readable timeline, registry
checks and regimes, and the inline trip plan read from the query string (``plan_country``, ``plan_entry``,
``plan_days``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _
from django_countries import countries

from carriers.admin_tenancy import dispatcher_carrier_id
from queues.selectors.forecast import ExitPlanItem
from stays import domain
from stays.exit_plans import local_join_by, stay_exit_plans_get
from stays.labels import REASON_LABELS, RISK_LABELS, rule_text
from workplace.calendar_strip import CalendarLabels, StripFacts, month_starts, stay_calendar_svg
from workplace.selectors import DriverStayOverview, driver_stay_overview, driver_trip_plan

MONTHS_SHORT = [
    pgettext_lazy("month", "Jan"),
    pgettext_lazy("month", "Feb"),
    pgettext_lazy("month", "Mar"),
    pgettext_lazy("month", "Apr"),
    pgettext_lazy("month", "May"),
    pgettext_lazy("month", "Jun"),
    pgettext_lazy("month", "Jul"),
    pgettext_lazy("month", "Aug"),
    pgettext_lazy("month", "Sep"),
    pgettext_lazy("month", "Oct"),
    pgettext_lazy("month", "Nov"),
    pgettext_lazy("month", "Dec"),
]
PLAN_DEFAULT_DAYS = 30
PLAN_MAX_DAYS = domain.PLAN_MAX_DAYS


def country_name(code: str) -> str:
    return str(countries.name(code) or code)


def _first_month(status: domain.CountryStatus, on: date) -> date:
    """A calendar-year rule shows its year; a rolling one the nine months before this one and two after."""
    if status.rule.window == domain.CALENDAR_YEAR:
        return date(on.year, 1, 1)
    back = month_starts(date(on.year - 1, on.month, 1), 4)[-1]  # nine months before this month
    return back


def _calendar(status: domain.CountryStatus, stays: list[domain.Stay], on: date) -> str:
    inside: set[date] = set()
    for stay in stays:
        last = stay.exit or on
        inside.update(stay.entry + timedelta(days=n) for n in range((last - stay.entry).days + 1))
    name = country_name(status.country)
    gauge = _("%(used)d of %(limit)d days used, %(left)d left") % {
        "used": status.days_used,
        "limit": status.rule.limit_days,
        "left": status.days_left,
    }
    desc = _("Days in %(country)s over twelve months: %(gauge)s.") % {"country": name, "gauge": gauge}
    if status.latest_exit:
        desc += " " + _("Latest exit: %(date)s.") % {"date": status.latest_exit.isoformat()}
    labels = CalendarLabels(
        title=_("Days in %(country)s") % {"country": name},
        desc=desc,
        month_names=[str(month) for month in MONTHS_SHORT],
        gauge=gauge,
        inside=_("in the country"),
        allowed=_("may still stay"),
        today=_("today"),
        latest_exit=_("latest exit"),
    )
    facts = StripFacts(
        inside=inside,
        today=on,
        days_used=status.days_used,
        limit_days=status.rule.limit_days,
        counted_from=status.window_start,
        latest_exit=status.latest_exit,
    )
    # The SVG is built by stay_calendar_svg, which escapes every piece of text it draws.
    return mark_safe(  # noqa: S308
        stay_calendar_svg(
            facts=facts, first_month=_first_month(status, on), labels=labels, chart_id=f"calendar-{status.country}"
        )
    )


def _assessed(overview: DriverStayOverview) -> list[domain.CountryStatus]:
    """The countries where a rule applies (the others say only why none does: ``no_rule_reason``)."""
    return [status for status in overview.status.countries if status.rule is not None]


def exit_plan_shown(items: Sequence[ExitPlanItem], *, language: str) -> list[dict]:
    """An exit plan as the workplace shows it: each crossing's name in ``language``, its queue's direction, and the
    join-by moment on that side's clock with the zone named; earliest first, as given."""
    return [
        {
            "crossing": item.name_in(language),
            "slug": item.crossing,
            "direction": item.direction,
            "at": f"{local_join_by(item)} ({item.time_zone})",
            "in_time": item.in_time,
            "high_hours": round(item.high_minutes / 60),
        }
        for item in items
    ]


def _summary(overview: DriverStayOverview, *, exit_plans: Mapping[str, Sequence[ExitPlanItem]]) -> list[dict]:
    language = (get_language() or "en")[:2]
    cards = []
    for status in _assessed(overview):
        cards.append(
            {
                "status": status,
                "country": status.country,
                "country_name": country_name(status.country),
                "rule_text": rule_text(status.rule),
                "risk_label": RISK_LABELS.get(status.risk, status.risk),
                "reasons": [str(REASON_LABELS.get(code, code)) for code in status.risk_reasons],
                # The latest moment to join each exit queue ("join by") while in the country.
                "exit_plan": exit_plan_shown(exit_plans.get(status.country, ()), language=language),
                "calendar": _calendar(status, overview.stays.get(status.country, []), overview.on),
                "record_url": _record_url(overview.driver.pk, status.country),
            }
        )
    return cards


def _plan(request: HttpRequest, overview: DriverStayOverview) -> dict:
    countries_offered = [item.country for item in _assessed(overview)] or ["RU"]
    country = request.GET.get("plan_country") or ("RU" if "RU" in countries_offered else countries_offered[0])
    entry = parse_date(request.GET.get("plan_entry") or "") or overview.on
    try:
        days = int(request.GET.get("plan_days") or PLAN_DEFAULT_DAYS)
    except ValueError:
        days = PLAN_DEFAULT_DAYS
    form = {
        "country": country,
        "entry": entry,
        "days": days,
        "choices": [(code, country_name(code)) for code in countries_offered],
        "asked": "plan_entry" in request.GET,
        "error": "",
        "result": None,
    }
    if not form["asked"]:
        return form
    if country not in countries_offered:
        form["error"] = _("No stay rule applies to this driver in that country.")
    elif not 1 <= days <= PLAN_MAX_DAYS:
        form["error"] = _("A trip is 1 to %(max)d days long.") % {"max": PLAN_MAX_DAYS}
    elif entry < overview.on:
        form["error"] = _("The entry date cannot be in the past.")
    else:
        form["result"] = driver_trip_plan(
            driver=overview.driver, country=country, entry=entry, days=days, as_of=overview.on
        )
    return form


def _record_url(driver_id: int, country: str) -> str | None:
    """The driver's stay record (PDF) of ``country`` in the workplace, where the stays app serves it."""
    try:
        return reverse("admin:stays_driver_record", args=[driver_id]) + "?" + urlencode({"country": country})
    except NoReverseMatch:
        return None


def driver_page_context(request: HttpRequest, *, driver, on: date, now: datetime | None = None) -> dict:
    """Everything the driver page shows above the admin's form; the exit plan (join-by per exit crossing) when
    ``on`` is today (``now``'s date)."""
    # An operator sees every carrier's records; anyone else only their carrier's (0, no carrier: none).
    carrier_id = None if request.user.is_superuser else (dispatcher_carrier_id(request.user) or 0)
    overview = driver_stay_overview(driver=driver, on=on, carrier_id=carrier_id)
    exit_plans = stay_exit_plans_get(status=overview.status, now=now) if now and on == now.date() else {}
    return {
        "overview": overview,
        "summary": _summary(overview, exit_plans=exit_plans),
        "plan": _plan(request, overview),
        "no_rule_reason": ""
        if _assessed(overview)
        else (
            _("No citizenship is recorded for this driver, so no stay rule can be applied.")
            if not overview.driver.citizenship
            else _("No stay rule applies to this driver's citizenship.")
        ),
        "timeline_rows": [
            {
                "event": event,
                "country_name": country_name(str(event.country)),
                "crossing": _crossing_name(event.crossing) if event.crossing_id else "",
                "who": event.created_by.get_username() if event.created_by_id else "",
            }
            for event in overview.timeline
        ],
    }


def _crossing_name(crossing) -> str:
    language = (get_language() or "en")[:2]
    if language == "kk":
        return crossing.name_kk or crossing.name_ru or crossing.name
    if language == "ru":
        return crossing.name_ru or crossing.name
    return crossing.name
