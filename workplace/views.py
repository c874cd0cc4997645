"""The workplace pages. Each view reads its input, calls one selector or service, and renders.

They are served by :class:`workplace.site.KezekAdminSite` behind ``admin_view`` (signed-in staff, CSRF,
never cached). What a user sees is cut to their carrier with ``carriers.admin_tenancy.scope_to_carrier``.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from carriers.admin import _csv_cell as csv_cell
from carriers.admin_tenancy import is_dispatcher, scope_to_carrier
from carriers.models import Carrier, Driver, Notification
from carriers.services import notifications_mark_read
from queues.models import Crossing
from stays.domain import PLAN_MAX_DAYS
from stays.labels import RISK_HEADINGS
from workplace.alerts import alert_shown
from workplace.charts import ChartLabels, ChartPoint, wait_chart_svg
from workplace.corridor_map import MapCrossing, MapLabels, corridor_map_svg
from workplace.driver_page import exit_plan_shown
from workplace.selectors import (
    BOARD_COUNTRY,
    BOARD_RISK_ORDER,
    PLANNED_SORTS,
    PLANNER_SORTS,
    QueueAccuracy,
    QueueDashboardRow,
    TripQuery,
    dispatcher_alert_facts,
    dispatcher_notification_list,
    dispatcher_notification_unread_count,
    fleet_board_exit_plans,
    fleet_board_rows,
    fleet_risk_board_queryset,
    fleet_risk_counts,
    planner_queryset,
    planner_rows,
    planner_rows_all,
    planner_rows_planned,
    queue_dashboard_list,
    trip_queues_get,
)
from workplace.services import dispatcher_language_set

CHART_HOURS = 72
PLANNER_COUNTRY = "RU"
PLANNER_COUNTRY_NAME = gettext_lazy("Russia")
BOARD_PER_PAGE = 100
NOTIFICATIONS_PER_PAGE = 50


def _localised_name(*, name: str, name_ru: str, name_kk: str) -> str:
    """A crossing's name in the active language, falling back to Russian, then English."""
    language = (get_language() or "en")[:2]
    if language == "kk":
        return name_kk or name_ru or name
    if language == "ru":
        return name_ru or name
    return name


def duration_label(minutes: float | None) -> str:
    """``95`` → ``1 h 35 min`` (translated); ``None`` → an empty string."""
    if minutes is None:
        return ""
    total = round(minutes)
    hours, rest = divmod(total, 60)
    if hours >= 48:
        # A wait of days reads in days and hours: "14 d 3 h", not "339 h".
        days, hours = divmod(hours, 24)
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours == 0:
        return _("%(minutes)d min") % {"minutes": rest}
    if rest == 0:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}


def accuracy_lines(accuracy: QueueAccuracy | None) -> list[str]:
    """The live accuracy of a queue's estimates in plain words, a line per window (7 and 30 days); one line
    saying there is nothing to judge by when no truck's realised wait was scored in the longest window."""
    if accuracy is None or not accuracy.measured:
        return [_("No realised waits yet: no truck has reported its crossing with the time it waited.")]
    lines = []
    for window in accuracy.windows:
        if window.samples == 0:
            lines.append(_("Last %(days)d days: no realised waits yet.") % {"days": window.days})
        elif window.mae_minutes is None or window.interval_hit is None:
            lines.append(
                ngettext(
                    "Last %(days)d days: %(count)d truck's wait measured, too few to judge.",
                    "Last %(days)d days: %(count)d trucks' waits measured, too few to judge.",
                    window.samples,
                )
                % {"days": window.days, "count": window.samples}
            )
        else:
            lines.append(
                ngettext(
                    "Last %(days)d days: off by %(error)s on average; %(hit)d%% of %(count)d truck waited "
                    "within the range.",
                    "Last %(days)d days: off by %(error)s on average; %(hit)d%% of %(count)d trucks waited "
                    "within the range.",
                    window.samples,
                )
                % {
                    "days": window.days,
                    "error": duration_label(window.mae_minutes),
                    "hit": round(window.interval_hit * 100),
                    "count": window.samples,
                }
            )
    return lines


def _driver_change_url(driver_id: int) -> str | None:
    # The driver admin is registered by the carriers app; without it the board still renders, unlinked.
    try:
        return reverse("admin:carriers_driver_change", args=[driver_id])
    except NoReverseMatch:
        return None


def _crossing_choices() -> list[tuple[str, str]]:
    """(slug, name in the active language) of the active crossings, for the filters. One query."""
    crossings = Crossing.objects.filter(active=True).order_by("name").values("slug", "name", "name_ru", "name_kk")
    return [
        (row["slug"], _localised_name(name=row["name"], name_ru=row["name_ru"], name_kk=row["name_kk"]))
        for row in crossings
    ]


def _crossing_choices_with_countries() -> list[tuple[str, str, tuple[str, str]]]:
    """(slug, name in the active language, its two countries) of the active crossings. One query."""
    crossings = (
        Crossing.objects.filter(active=True)
        .order_by("name")
        .values("slug", "name", "name_ru", "name_kk", "country_a", "country_b")
    )
    return [
        (
            row["slug"],
            _localised_name(name=row["name"], name_ru=row["name_ru"], name_kk=row["name_kk"]),
            (str(row["country_a"]), str(row["country_b"])),
        )
        for row in crossings
    ]


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def fleet_board(request: HttpRequest, *, site) -> HttpResponse:
    """The dispatcher's home: their drivers by risk level, with days left, queue visits and last reports."""
    as_of = timezone.now()
    drivers = scope_to_carrier(Driver.objects.all(), request.user, "carrier_id")
    carriers = None
    carrier_id = None
    if request.user.is_superuser:
        carriers = list(Carrier.objects.order_by("name").values_list("pk", "name"))
        carrier_id = _int_or_none(request.GET.get("carrier"))
        if carrier_id is not None:
            drivers = drivers.filter(carrier_id=carrier_id)
    crossing_choices = _crossing_choices()
    crossing_slug = request.GET.get("crossing") or None
    if crossing_slug not in dict(crossing_choices):
        crossing_slug = None
    risk = request.GET.get("risk") or None
    if risk not in BOARD_RISK_ORDER:
        risk = None

    # A page of the ordered board: count, page and open visits are three queries for any fleet size.
    page = Paginator(
        fleet_risk_board_queryset(drivers=drivers, risk=risk, crossing_slug=crossing_slug), BOARD_PER_PAGE
    ).get_page(request.GET.get("page"))
    rows = fleet_board_rows(page.object_list)
    exit_plans = fleet_board_exit_plans(rows, now=as_of)
    language = (get_language() or "en")[:2]
    counts = fleet_risk_counts(drivers=drivers, crossing_slug=crossing_slug)
    filters = urlencode(
        {key: value for key, value in (("risk", risk), ("crossing", crossing_slug), ("carrier", carrier_id)) if value}
    )

    groups = []
    for level in BOARD_RISK_ORDER:
        members = [
            {
                "row": row,
                "url": _driver_change_url(row.driver_id),
                "crossing_label": _localised_name(
                    name=row.visit.crossing_name,
                    name_ru=row.visit.crossing_name_ru,
                    name_kk=row.visit.crossing_name_kk,
                )
                if row.visit
                else "",
                "exit_plan": exit_plan_shown(exit_plans.get(row.driver_id, ()), language=language),
            }
            for row in rows
            if row.risk == level
        ]
        if members:
            groups.append({"risk": level, "label": RISK_HEADINGS[level], "rows": members})
    context = {
        **site.each_context(request),
        "title": _("Fleet risk board"),
        "now": as_of,
        "today": as_of.date(),
        "groups": groups,
        "total": page.paginator.count,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "filters": filters,
        "summary": [
            {"risk": level, "label": RISK_HEADINGS[level], "count": counts[level], "selected": level == risk}
            for level in BOARD_RISK_ORDER
        ],
        "risk": risk,
        "risk_choices": [(level, RISK_HEADINGS[level]) for level in BOARD_RISK_ORDER],
        "crossing": crossing_slug,
        "crossing_choices": crossing_choices,
        "carrier": carrier_id,
        "carrier_choices": carriers,
        "show_carrier": request.user.is_superuser,
        "board_country": BOARD_COUNTRY,
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/workplace/fleet_board.html", context)


def _chart_svg(row: QueueDashboardRow, *, start_at, end_at, crossing_label: str) -> str:
    zone = _zone(row.time_zone)
    points = [
        ChartPoint(at=p.at, wait_minutes=p.wait_minutes, low_minutes=p.low_minutes, high_minutes=p.high_minutes)
        for p in row.history
    ]
    title = _("Expected wait at %(crossing)s, %(direction)s, last %(hours)d hours") % {
        "crossing": crossing_label,
        "direction": row.direction,
        "hours": CHART_HOURS,
    }
    zone_name = _zone_label(zone, end_at)
    if row.history:
        latest = row.history[-1]
        desc = _(
            "Hourly average of the expected wait (line) and its 80%% range (band). "
            "Latest hour, %(at)s %(zone)s: %(wait)s, range %(low)s to %(high)s."
        ) % {
            "at": latest.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "zone": zone_name,
            "wait": duration_label(latest.wait_minutes),
            "low": duration_label(latest.low_minutes),
            "high": duration_label(latest.high_minutes),
        }
    else:
        desc = _("No published estimates in the last %(hours)d hours.") % {"hours": CHART_HOURS}
    labels = ChartLabels(
        title=title,
        desc=desc,
        no_data=_("No published estimates"),
        minutes_unit=_("minutes"),
        hours_unit=_("hours"),
        time_axis=_("local time, %(zone)s") % {"zone": zone_name},
    )
    return wait_chart_svg(
        points=points, start_at=start_at, end_at=end_at, labels=labels, chart_id=f"queue-{row.queue_id}", tz=zone
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _zone_label(zone: ZoneInfo, at) -> str:
    """``Asia/Oral (UTC+05:00)``: the zone's name and its offset at ``at``."""
    offset = at.astimezone(zone).strftime("%z")
    return f"{zone.key} (UTC{offset[:3]}:{offset[3:]})"


def _map_svg(rows: list[QueueDashboardRow], card_ids: dict[str, str]) -> str:
    crossings: dict[str, MapCrossing] = {}
    for row in rows:
        wait = row.estimate.wait_minutes if row.published else None
        known = crossings.get(row.crossing_slug)
        if known is not None and (wait is None or (known.wait_minutes is not None and known.wait_minutes >= wait)):
            continue
        label = _localised_name(name=row.crossing_name, name_ru=row.crossing_name_ru, name_kk=row.crossing_name_kk)
        crossings[row.crossing_slug] = MapCrossing(
            slug=row.crossing_slug,
            label=label.split(" – ")[0],
            lat=row.lat,
            lon=row.lon,
            countries=row.countries,
            wait_minutes=wait,
            wait_text=_("%(direction)s: %(wait)s") % {"direction": row.direction, "wait": duration_label(wait)}
            if wait is not None
            else _("no estimate"),
            href=f"#{card_ids[row.crossing_slug]}",
        )
    labels = MapLabels(
        title=_("Corridor map: current waits"),
        desc=_(
            "Each dot is a crossing placed by its coordinates, coloured by the longest published wait of its "
            "queues; grey means no estimate. The dashed lines join the crossings of each border from west to east."
        ),
        bands={
            "short": _("under 2 h"),
            "moderate": _("2 to 8 h"),
            "long": _("8 to 24 h"),
            "severe": _("a day or more"),
            "none": _("no estimate"),
        },
        borders={
            "KZ-RU": _("Kazakhstan – Russia"),
            "CN-KZ": _("Kazakhstan – China"),
            "CN-RU": _("Russia – China"),
        },
    )
    # The SVG is built by corridor_map_svg, which escapes every piece of text it draws.
    return mark_safe(corridor_map_svg(crossings=list(crossings.values()), labels=labels))  # noqa: S308


def crossings_dashboard(request: HttpRequest, *, site) -> HttpResponse:
    """The corridor map, then the queues with a published estimate (longest wait first) with a chart of their
    last 72 hours in the local time of the side they stand on; the other queues folded into one line."""
    as_of = timezone.now()
    crossing_choices = _crossing_choices()
    crossing_slug = request.GET.get("crossing") or None
    if crossing_slug not in dict(crossing_choices):
        crossing_slug = None
    start_at = as_of - timedelta(hours=CHART_HOURS)
    rows = queue_dashboard_list(as_of=as_of, hours=CHART_HOURS, crossing_slug=crossing_slug)
    published = sorted((row for row in rows if row.published), key=lambda row: -row.estimate.wait_minutes)
    # Each crossing's anchor: its first card, else its place in the folded line (the map links to it).
    card_ids = {row.crossing_slug: f"crossing-{row.crossing_slug}" for row in rows}
    anchored: set[str] = set()

    def anchor(row: QueueDashboardRow) -> str:
        if row.crossing_slug in anchored:
            return ""
        anchored.add(row.crossing_slug)
        return card_ids[row.crossing_slug]

    cards = []
    for row in published:
        label = _localised_name(name=row.crossing_name, name_ru=row.crossing_name_ru, name_kk=row.crossing_name_kk)
        estimate = row.estimate
        cards.append(
            {
                "row": row,
                "anchor": anchor(row),
                "crossing_label": label,
                "estimate": estimate,
                "wait": duration_label(estimate.wait_minutes),
                "low": duration_label(estimate.low_minutes),
                "high": duration_label(estimate.high_minutes),
                "zone": _zone_label(_zone(row.time_zone), as_of),
                "computed_local": estimate.computed_at.astimezone(_zone(row.time_zone)),
                "accuracy": accuracy_lines(row.accuracy),
                # The SVG is built by wait_chart_svg, which escapes every piece of text it draws.
                "chart": mark_safe(_chart_svg(row, start_at=start_at, end_at=as_of, crossing_label=label)),  # noqa: S308
            }
        )
    folded = [
        {
            "row": row,
            "anchor": anchor(row),
            "crossing_label": _localised_name(
                name=row.crossing_name, name_ru=row.crossing_name_ru, name_kk=row.crossing_name_kk
            ),
            "drivers": row.estimate.drivers if row.estimate else 0,
        }
        for row in rows
        if not row.published
    ]
    context = {
        **site.each_context(request),
        "title": _("Crossings"),
        "now": as_of,
        "cards": cards,
        "folded": folded,
        "map": _map_svg(rows, card_ids),
        "hours": CHART_HOURS,
        "crossing": crossing_slug,
        "crossing_choices": crossing_choices,
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/workplace/crossings.html", context)


def _visible_notifications(request: HttpRequest):
    return scope_to_carrier(Notification.objects.all(), request.user, "carrier_id")


def alerts_inbox(request: HttpRequest, *, site) -> HttpResponse:
    """The carrier's dispatcher notifications, newest first; unread ones highlighted; each rendered in the
    reader's language from its facts, timed in its country's zone, and marked active or resolved."""
    visible = _visible_notifications(request)
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(
        dispatcher_notification_list(notifications=visible, unread_only=unread_only), NOTIFICATIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    context = {
        **site.each_context(request),
        "title": _("Alerts"),
        "page": page,
        "notifications": [
            {
                "notification": notification,
                "shown": alert_shown(facts),
                "driver_url": _driver_change_url(driver_id) if driver_id else None,
            }
            for notification, facts, driver_id in dispatcher_alert_facts(notifications=page.object_list)
        ],
        "unread_only": unread_only,
        "unread_count": dispatcher_notification_unread_count(notifications=visible),
        "show_carrier": request.user.is_superuser,
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/workplace/alerts.html", context)


@require_POST
def alerts_mark_read(request: HttpRequest, *, site) -> HttpResponse:
    """Marks one notification (``notification=<id>``) or all of them (``all=1``) read; another carrier's is 404."""
    visible = dispatcher_notification_list(notifications=_visible_notifications(request))
    if request.POST.get("all") == "1":
        targets = visible
    else:
        notification_id = _int_or_none(request.POST.get("notification"))
        if notification_id is None or not visible.filter(pk=notification_id).exists():
            raise Http404(_("No such notification."))
        targets = visible.filter(pk=notification_id)
    changed = notifications_mark_read(notifications=targets, as_of=timezone.now())
    messages.success(
        request,
        ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", changed)
        % {"count": changed},
    )
    back = reverse("admin:workplace_alerts", current_app=site.name)
    if request.POST.get("unread") == "1":
        back += "?unread=1"
    return HttpResponseRedirect(back)


@require_POST
def language_set(request: HttpRequest, *, site) -> HttpResponse:
    """Django's ``set_language`` (the cookie), and for a dispatcher also ``Dispatcher.language``, so the
    choice follows them to another browser (see ``KezekAdminSite.login``)."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if is_dispatcher(request.user) and language in dict(settings.LANGUAGES):
        dispatcher_language_set(dispatcher=request.user.dispatcher, language=language)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        response["Location"] = reverse("admin:index", current_app=site.name)
    return response


PLANNER_PER_PAGE = 50
PLANNER_DEFAULT_DAYS = 30


def _planner_query(request: HttpRequest, *, today) -> tuple[dict, list[str]]:
    """The planner's form values from the query string (defaults: Russia, today, 30 days), with its problems."""
    problems = []
    entry = parse_date(request.GET.get("entry") or "") or today
    if entry < today:
        problems.append(_("The entry date cannot be in the past."))
    days = _int_or_none(request.GET.get("days")) or PLANNER_DEFAULT_DAYS
    if not 1 <= days <= PLAN_MAX_DAYS:
        problems.append(_("A trip is 1 to %(max)d days long.") % {"max": PLAN_MAX_DAYS})
    crossing_choices = [
        (slug, label) for slug, label, countries in _crossing_choices_with_countries() if PLANNER_COUNTRY in countries
    ]
    crossing_slug = request.GET.get("crossing") or None
    if crossing_slug not in dict(crossing_choices):
        crossing_slug = None
    entry_crossing = request.GET.get("entry_crossing") or None
    if entry_crossing not in dict(crossing_choices):
        entry_crossing = None
    sort = request.GET.get("sort") or "name"
    if sort not in PLANNER_SORTS and sort not in PLANNED_SORTS:
        sort = "name"
    return {
        "entry": entry,
        "days": days,
        "crossing": crossing_slug,
        "entry_crossing": entry_crossing,
        "crossing_choices": crossing_choices,
        "sort": sort,
    }, problems


def _planner_drivers(request: HttpRequest):
    drivers = scope_to_carrier(Driver.objects.all(), request.user, "carrier_id")
    carrier_id = _int_or_none(request.GET.get("carrier")) if request.user.is_superuser else None
    if carrier_id is not None:
        drivers = drivers.filter(carrier_id=carrier_id)
    return drivers, carrier_id


def trip_planner(request: HttpRequest, *, site) -> HttpResponse:
    """Who of the carrier may do a Russia run entering on a date for a number of days (via a crossing):
    allowed or not, days to spare after it, the earliest possible entry otherwise. ``?format=csv`` exports all."""
    today = timezone.now().date()
    query, problems = _planner_query(request, today=today)
    drivers, carrier_id = _planner_drivers(request)
    entry_queue, exit_queue = (
        trip_queues_get(
            country=PLANNER_COUNTRY,
            entry=query["entry"],
            days=query["days"],
            entry_crossing=query["entry_crossing"],
            exit_crossing=query["crossing"],
            now=timezone.now(),
        )
        if not problems
        else (None, None)
    )
    trip = TripQuery(
        country=PLANNER_COUNTRY,
        entry=query["entry"],
        days=query["days"],
        exit_queue_days=exit_queue.queue_days if exit_queue else 0,
        entry_queue_days=entry_queue.queue_days if entry_queue else 0,
    )
    planned = query["sort"] in PLANNED_SORTS
    if request.GET.get("format") == "csv" and not problems:
        if planned:
            everyone = planner_rows_planned(drivers=drivers, trip=trip, as_of=today, sort=query["sort"])
            return _planner_csv(everyone, trip)
        return _planner_csv(planner_rows_all(drivers=drivers, trip=trip, as_of=today, sort=query["sort"]), trip)
    if planned and not problems:
        # Ordered by the plans themselves: the whole fleet is planned, then a page of it is shown.
        page = Paginator(
            planner_rows_planned(drivers=drivers, trip=trip, as_of=today, sort=query["sort"]), PLANNER_PER_PAGE
        ).get_page(request.GET.get("page"))
        rows = list(page.object_list)
    else:
        page = Paginator(
            planner_queryset(drivers=drivers, country=PLANNER_COUNTRY, sort=query["sort"]), PLANNER_PER_PAGE
        ).get_page(request.GET.get("page"))
        rows = [] if problems else planner_rows(drivers=page.object_list, trip=trip, as_of=today)
    keep = {
        "entry": query["entry"].isoformat(),
        "days": query["days"],
        **({"crossing": query["crossing"]} if query["crossing"] else {}),
        **({"entry_crossing": query["entry_crossing"]} if query["entry_crossing"] else {}),
        **({"carrier": carrier_id} if carrier_id else {}),
    }
    context = {
        **site.each_context(request),
        "title": _("Trip planner"),
        "query": query,
        "problems": problems,
        "trip": trip,
        "exit_queue": exit_queue,
        "exit_wait": duration_label(exit_queue.estimate.high_minutes) if exit_queue and exit_queue.estimate else "",
        "entry_queue": entry_queue,
        "entry_wait": duration_label(entry_queue.estimate.high_minutes) if entry_queue and entry_queue.estimate else "",
        "rows": [{"row": row, "url": _driver_change_url(row.driver_id)} for row in rows],
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "keep": urlencode(keep),
        "keep_sorted": urlencode({**keep, "sort": query["sort"]}),
        "carrier": carrier_id,
        "carrier_choices": list(Carrier.objects.order_by("name").values_list("pk", "name"))
        if request.user.is_superuser
        else None,
        "show_carrier": request.user.is_superuser,
        "country_name": PLANNER_COUNTRY_NAME,
    }
    request.current_app = site.name
    return TemplateResponse(request, "admin/workplace/planner.html", context)


def _planner_csv(rows, trip: TripQuery) -> StreamingHttpResponse:
    """The whole fleet's plan as CSV, streamed (each driver's plan is computed as the file is written)."""
    header = [
        _("driver"),
        _("phone"),
        _("vehicle plate"),
        _("carrier"),
        _("citizenship"),
        _("days left now"),
        _("allowed"),
        _("days to spare after the trip"),
        _("earliest possible entry"),
    ]

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff"  # lets spreadsheet programs read the Cyrillic names as UTF-8
        yield writer.writerow(header)
        for row in rows:
            allowed = _("no stay rule") if row.rule_missing else (_("yes") if row.allowed else _("no"))
            yield writer.writerow(
                [
                    csv_cell(value)
                    for value in (
                        row.name,
                        row.phone,
                        row.vehicle_plate,
                        row.carrier_name,
                        row.citizenship,
                        "" if row.days_left_now is None else row.days_left_now,
                        allowed,
                        "" if row.spare_days is None else row.spare_days,
                        row.earliest_entry.isoformat() if row.earliest_entry and not row.allowed else "",
                    )
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"trip-{trip.country}-{trip.entry:%Y%m%d}-{trip.days}d.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
