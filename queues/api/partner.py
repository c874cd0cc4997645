"""The partner API's operations (ninja Router, mounted by ``config.api``): crossings, estimates, history,
webhook alerts. Each operation turns its input into arguments, makes one selector or service call, and turns
the result back; errors are DomainErrors rendered by the API's handlers.
"""

# No ``from __future__ import annotations``: ninja reads the parameter annotations (HttpResponse, Query) at
# import time.
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from core.answers import UNREAD
from core.errors import ValidationFailed
from core.http import answer_response, etag_matches, json_etag
from queues import answers as crossing_answers
from queues.domain.partner import HISTORY_MAX_POINTS, HistoryWindowError, history_window
from queues.selectors import accuracy
from queues.selectors import partner as partner_reads
from queues.selectors.forecast import forecast_as_dict, queue_forecast_get, route_as_dict, routes_list
from queues.services import alerts

router = Router()

PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = getattr(settings, "PARTNER_PAGE_SIZE_MAX", 500)
READ_MAX_AGE_SECONDS = 30
DIRECTION_PATTERN = r"^[A-Za-z]{2}-[A-Za-z]{2}$"
# What a value failing a field's pattern should look like, in the client's language (core.errors).
PATTERN_MESSAGES = {"direction": gettext_lazy("Enter the direction as two country codes, e.g. KZ-RU.")}
TIMESTAMP = {"format": "date-time", "example": "2026-11-21T09:30:00Z"}
ESTIMATE_URL_NAME = "crossing-estimate"
LIST_URL_NAME = "crossing-list"
JSON = "application/json; charset=utf-8"


# --- Schemas ----------------------------------------------------------------------------------------
class ProblemOut(Schema):
    status: int
    code: str = Field(description="Stable machine word: validation_error, not_found, insufficient_data, ...")
    detail: str
    errors: dict[str, list[str]] | None = None


class EstimateOut(Schema):
    wait_minutes: int = Field(description="Expected wait, in minutes, for a truck joining the queue now.")
    low_minutes: int = Field(description="Lower end of the 80% interval.")
    high_minutes: int = Field(description="Upper end of the 80% interval.")
    queue_length: int | None = Field(description="Trucks in the queue, when known.")
    throughput_per_hour: float | None = Field(description="Trucks crossing per hour, when known.")
    reports: int = Field(description="Reports behind the estimate.")
    drivers: int = Field(description="Distinct drivers behind the estimate (at least 3 to be published).")
    computed_at: AwareDatetime = Field(description="When it was computed (UTC, to the second).")
    data_until: AwareDatetime | None = Field(description="The newest report used.")
    stale: bool = Field(description="No recent report: the estimate may be out of date.")
    confidence: Literal["low", "medium", "high"]


class QueueOut(Schema):
    direction: str = Field(examples=["KZ-RU"])
    estimate: EstimateOut | None = Field(description="null below the publication rule (fewer than 3 drivers).")


class OpeningHoursOut(Schema):
    opens: str = Field(description="Local time the side opens, HH:MM.", examples=["09:00"])
    closes: str = Field(
        description="Local time it closes, HH:MM (24:00: midnight; before `opens`: the next day).", examples=["18:00"]
    )


class PlannedClosureOut(Schema):
    from_: AwareDatetime = Field(alias="from", description="When the side closes (UTC).")
    to: AwareDatetime = Field(description="When trucks pass again (UTC).")
    reason: str
    source: str = Field(description="Where the closure was announced (may be empty).")


class ScheduleSideOut(Schema):
    country: str = Field(description="The side, by its country (ISO 3166-1 alpha-2).", examples=["KZ"])
    time_zone: str = Field(
        description="The side's IANA time zone: its opening hours are in it.", examples=["Asia/Oral"]
    )
    opening_hours: OpeningHoursOut | None = Field(description="null: around the clock, or unknown.")
    daily_quota: int | None = Field(description="Trucks a day the booking system lets through; null: no quota known.")
    planned_closures: list[PlannedClosureOut] = Field(description="Planned closures not over yet, soonest first.")


class CrossingOut(Schema):
    slug: str = Field(examples=["zhaisan-sagarchin"])
    name: str
    name_ru: str
    name_kk: str
    countries: list[str] = Field(examples=[["KZ", "RU"]])
    lat: float
    lon: float
    queues: list[QueueOut]
    schedule: list[ScheduleSideOut] = Field(description="Per side: time zone, opening hours, quota, planned closures.")


class CrossingPageOut(Schema):
    results: list[CrossingOut]
    next: str | None = Field(description="URL of the next page, or null on the last one.")


class HistoryPointOut(Schema):
    at: str = Field(description="Start of the bucket (UTC-aligned).", json_schema_extra=TIMESTAMP)
    wait_minutes: int = Field(description="Rounded mean of the published estimates in the bucket.")
    low_minutes: int
    high_minutes: int
    drivers: int = Field(description="Most distinct drivers behind any estimate in the bucket.")


class HistoryOut(Schema):
    points: list[HistoryPointOut]


class AlertIn(Schema):
    crossing: str = Field(max_length=80, examples=["syrym-mashtakovo"])
    direction: str = Field(pattern=DIRECTION_PATTERN, examples=["KZ-RU"])
    above_minutes: int = Field(
        ge=0, le=alerts.ABOVE_MINUTES_MAX, strict=True, description="Fire when the wait goes above this (minutes)."
    )
    url: str = Field(max_length=500, description="https URL receiving the signed POSTs.")


class AlertOut(Schema):
    id: str
    crossing: str
    direction: str
    above_minutes: int
    url: str
    status: Literal["active", "paused"] = Field(description="paused after repeated delivery failures.")
    above: bool = Field(description="Whether the last published estimate was above the threshold.")
    created_at: str = Field(json_schema_extra=TIMESTAMP)


class AlertCreatedOut(AlertOut):
    secret: str = Field(description="HMAC-SHA256 key for X-Kezek-Signature. Shown once: store it now.")


class AlertPageOut(Schema):
    results: list[AlertOut]
    next: str | None


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=500, description="From the previous page's `next`.")
    limit: int = Field(PAGE_SIZE_DEFAULT, ge=1, le=PAGE_SIZE_MAX, description=f"Page size, 1 to {PAGE_SIZE_MAX}.")


class HistoryQuery(Schema):
    direction: str = Field(pattern=DIRECTION_PATTERN, examples=["KZ-RU"])
    since: AwareDatetime | None = Field(None, description="Start, inclusive. Default: until − 24 h.")
    until: AwareDatetime | None = Field(None, description="End, exclusive. Default: the end of the current bucket.")
    interval: Literal["15m", "1h", "1d"] = Field(
        "1h",
        description="Bucket size: 15m, 1h or 1d.",
        json_schema_extra={"x-enum-varnames": ["FIFTEEN_MINUTES", "ONE_HOUR", "ONE_DAY"]},
    )


class AccuracyWindowOut(Schema):
    days: int = Field(description="The window: the last 7 or 30 days (by the time the trucks crossed).")
    samples: int = Field(description="Realised waits scored in the window.")
    mae_minutes: int | None = Field(
        description="Mean absolute error of the published wait against the realised ones; null below 10 samples."
    )
    interval_hit: float | None = Field(
        description="Share (0–1) of published 80% intervals that held the realised wait; null below 10 samples."
    )


class AccuracyOut(Schema):
    windows: list[AccuracyWindowOut]


class AccuracyQuery(Schema):
    direction: str = Field(pattern=DIRECTION_PATTERN, examples=["KZ-RU"])


class ForecastOut(Schema):
    crossing: str = Field(examples=["syrym-mashtakovo"])
    direction: str = Field(examples=["KZ-RU"])
    at: str = Field(description="The moment of joining the queue.", json_schema_extra=TIMESTAMP)
    wait_minutes: int = Field(description="Expected wait of a truck joining at `at`.")
    low_minutes: int = Field(description="Lower end of the 80% range.")
    high_minutes: int = Field(description="Upper end of the 80% range.")
    confidence: Literal["low", "medium", "high"] = Field(description="Falls with the horizon.")
    computed_at: str = Field(description="When the estimate it starts from was computed.", json_schema_extra=TIMESTAMP)
    open_at_join: bool | None = Field(
        description="false in a planned closure or outside known opening hours; true inside known hours; null when "
        "the hours are unknown (not known to be shut)."
    )
    quota_spent_at_join: bool | None = Field(description="The day's booking quota spent by then; null: no quota.")


class ForecastQuery(Schema):
    direction: str = Field(pattern=DIRECTION_PATTERN, examples=["KZ-RU"])
    at: AwareDatetime | None = Field(None, description="When the truck joins; default now; at most 72 h ahead.")


class RouteOut(Schema):
    crossing: str
    direction: str
    distance_km: float = Field(description="Great-circle distance × the road factor (1.3).")
    drive_minutes: int = Field(description="distance_km ÷ the truck speed (60 km/h).")
    arrive_at: str = Field(json_schema_extra=TIMESTAMP)
    wait_minutes: int | None = Field(description="Forecast wait on arrival; null: no published estimate.")
    low_minutes: int | None
    high_minutes: int | None
    through_at: str | None = Field(description="arrive_at + wait_minutes.", json_schema_extra=TIMESTAMP)
    through_at_latest: str | None = Field(description="arrive_at + high_minutes.", json_schema_extra=TIMESTAMP)
    open_at_arrival: bool | None = Field(description="As the forecast's open_at_join.")
    quota_spent_at_arrival: bool | None


class RouteListOut(Schema):
    results: list[RouteOut]


class RouteQuery(Schema):
    direction: str = Field(pattern=DIRECTION_PATTERN, examples=["RU-KZ"])
    lat: float = Field(ge=-90, le=90, description="Where the truck is now.")
    lon: float = Field(ge=-180, le=180)
    depart_at: AwareDatetime | None = Field(None, description="Default now; at most 72 h ahead.")


ERRORS_READ = {400: ProblemOut, 404: ProblemOut}


# --- HTTP caching -----------------------------------------------------------------------------------
def read_headers() -> dict[str, str]:
    return {"Cache-Control": f"private, max-age={READ_MAX_AGE_SECONDS}", "Vary": "X-API-Key, Accept-Language"}


def _cache_headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, **read_headers()}


def _cacheable(request: HttpRequest, response: HttpResponse, data: Any) -> Any:
    """``data`` with ETag and Cache-Control set, or a 304 when the client's If-None-Match matches."""
    etag = json_etag(data)
    headers = _cache_headers(etag)
    if etag_matches(request.headers.get("If-None-Match"), etag):
        not_modified = HttpResponseNotModified()
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    for name, value in headers.items():
        response[name] = value
    return data


def _next_url(request: HttpRequest, cursor: str | None, limit: int) -> str | None:
    if cursor is None:
        return None
    return request.build_absolute_uri(f"{request.path}?{urlencode({'cursor': cursor, 'limit': limit})}")


def _list_answer_key(request: HttpRequest) -> str:
    return crossing_answers.crossing_answer_key(request, "partner-list")


def answer_cache_keys(request: HttpRequest) -> tuple[str, ...]:
    """The version stamp and entry of the stored answer this request asks for, if any: the partner auth reads them
    together with the key and the throttle count (one cache round trip) and leaves them on the request for the
    operation (``partner_answer_read``)."""
    match = getattr(request, "resolver_match", None)
    if match is None or request.method != "GET":
        return ()
    if match.url_name == LIST_URL_NAME:
        entry_key = _list_answer_key(request)
    elif match.url_name == ESTIMATE_URL_NAME:
        slug, direction = match.kwargs.get("slug"), request.GET.get("direction")
        if not slug or not direction:
            return ()
        entry_key = crossing_answers.partner_estimate_answer_key(slug, direction)
    else:
        return ()
    return (crossing_answers.crossing_answers_version_key(), entry_key)


# --- Reads ------------------------------------------------------------------------------------------
@router.get(
    "/crossings",
    operation_id="crossings_list",
    response={200: CrossingPageOut, 304: None, 400: ProblemOut},
    by_alias=True,  # a planned closure's "from" is a Python keyword: its field carries the wire name as alias
    summary="Crossings with their current estimates",
    description=(
        "Every active crossing (by slug) with both of its queues and each queue's current estimate (null below "
        "the publication rule). Cursor-paginated: follow `next` until it is null."
    ),
    tags=["crossings"],
    url_name=LIST_URL_NAME,
)
def list_crossings(request: HttpRequest, response: HttpResponse, page: Query[PageQuery]):
    def render() -> dict[str, Any]:
        result = partner_reads.partner_crossing_page(cursor=page.cursor, limit=page.limit)
        return {"results": result.results, "next": _next_url(request, result.next_cursor, page.limit)}

    # Stored ready to send (queues.answers); the version and entry were read with the key when they could be.
    version, stored = getattr(request, "partner_answer_read", (UNREAD, UNREAD))
    answer = crossing_answers.crossing_answer_get(
        entry_key=_list_answer_key(request), render=render, version=version, stored=stored
    )
    return answer_response(request, answer, headers=read_headers(), content_type=JSON)


@router.get(
    "/crossings/{slug}/estimate",
    operation_id="crossing_estimate_get",
    url_name=ESTIMATE_URL_NAME,
    response={200: EstimateOut, 304: None, **ERRORS_READ},
    summary="The current estimate of one queue",
    description=(
        "The queue's current estimate. 404 `insufficient_data` when it is below the publication rule (fewer "
        "than 3 distinct drivers) or there is none yet; 404 `not_found` for an unknown crossing; 400 "
        "`validation_error` for a direction the crossing does not have."
    ),
    tags=["crossings"],
)
def get_estimate(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    direction: Annotated[str, Query(pattern=DIRECTION_PATTERN, examples=["KZ-RU"])],
):
    # Read with the key by the partner auth when it could (one round trip for all): see answer_cache_keys.
    version, stored = getattr(request, "partner_answer_read", (UNREAD, UNREAD))
    answer = crossing_answers.partner_estimate_answer(slug=slug, direction=direction, version=version, stored=stored)
    if answer.body == b"null":
        raise partner_reads.InsufficientData()
    # The answer is sent as stored (JSON bytes and ETag made once per change), not validated again.
    return answer_response(request, answer, headers=read_headers(), content_type=JSON)


@router.get(
    "/crossings/{slug}/history",
    operation_id="crossing_history_get",
    response={200: HistoryOut, 304: None, **ERRORS_READ},
    summary="The estimate history of one queue",
    description=(
        "Published estimates in `[since, until)` grouped into UTC-aligned buckets of `interval` (15m, 1h, 1d). "
        "Each point is a bucket holding at least one published estimate (empty buckets are left out): `at` is "
        "the bucket's start, the minutes are the rounded means of the estimates in it, `drivers` the most "
        f"drivers behind any of them. At most {HISTORY_MAX_POINTS} buckets per request (400 otherwise: narrow "
        "the range or widen the interval). Timestamps need an offset."
    ),
    tags=["crossings"],
)
def get_history(request: HttpRequest, response: HttpResponse, slug: str, params: Query[HistoryQuery]):
    queue = partner_reads.partner_queue_get(slug=slug, direction=params.direction)
    try:
        window = history_window(since=params.since, until=params.until, interval=params.interval, as_of=timezone.now())
    except HistoryWindowError as exc:
        if str(exc) == "out of range":
            message = _("Enter a timestamp between 2000 and 2100.")
        elif exc.field == "since":
            message = _("since must be before until.")
        else:
            message = _("The range holds more than %(max)d points: narrow it or use a wider interval.") % {
                "max": HISTORY_MAX_POINTS
            }
        raise ValidationFailed(errors={exc.field: [message]}) from None
    data = partner_reads.partner_history_get(queue=queue, window=window, interval=params.interval)
    return _cacheable(request, response, data)


@router.get(
    "/crossings/{slug}/accuracy",
    response={200: AccuracyOut, 304: None, **ERRORS_READ},
    operation_id="crossing_accuracy_get",
    summary="How right the published estimates of one queue were",
    description=(
        "Each truck that reported its crossing with the minutes it waited is a realised wait of a truck that "
        "joined at a known moment; it is scored against the estimate Kezek published at that moment (the latest "
        "published one at most 30 minutes before). Per window (the last 7 and 30 days, by crossing time): the "
        "number of scored waits, the mean absolute error in minutes and the share of 80% intervals that held the "
        "realised wait. The figures are null below 10 samples."
    ),
    tags=["crossings"],
)
def get_accuracy(request: HttpRequest, response: HttpResponse, slug: str, params: Query[AccuracyQuery]):
    queue = partner_reads.partner_queue_get(slug=slug, direction=params.direction)
    data = accuracy.queue_accuracy_get(queue=queue, as_of=timezone.now())
    return _cacheable(request, response, data)


@router.get(
    "/crossings/{slug}/forecast",
    response={200: ForecastOut, 304: None, **ERRORS_READ},
    operation_id="crossing_forecast_get",
    summary="The forecast wait of a truck joining later",
    description=(
        "The wait of a truck that joins the queue at `at` (now to 72 hours ahead), with its 80% range: from the "
        "current estimate, the day profile learned from the queue's history and the crossing's schedule (planned "
        "closures, opening hours, the booking quota); the range grows with the horizon. 404 `insufficient_data` "
        "where no estimate is published; 404 `not_found` for an unknown crossing; 400 `validation_error` for a "
        "direction the crossing lacks or `at` outside now … now + 72 h."
    ),
    tags=["crossings"],
)
def get_forecast(request: HttpRequest, response: HttpResponse, slug: str, params: Query[ForecastQuery]):
    result = queue_forecast_get(slug=slug, direction=params.direction, at=params.at, now=timezone.now())
    return _cacheable(request, response, forecast_as_dict(result))


@router.get(
    "/routes",
    response={200: RouteListOut, 304: None, 400: ProblemOut},
    operation_id="routes_list",
    summary="Crossings ranked by when a truck would be through",
    description=(
        "The active crossings with a queue in `direction`, ranked by when a truck leaving the point at `depart_at` "
        "(default now, at most 72 h ahead) is expected through: drive time is the great-circle distance × a road "
        "factor (1.3) ÷ a truck speed (60 km/h), then the forecast wait for a truck joining on arrival, so a "
        "crossing shut or with its quota spent then carries that in its wait. Crossings without a published "
        "estimate come last, nearest first."
    ),
    tags=["crossings"],
)
def list_routes(request: HttpRequest, response: HttpResponse, params: Query[RouteQuery]):
    options = routes_list(
        direction=params.direction, lat=params.lat, lon=params.lon, depart_at=params.depart_at, now=timezone.now()
    )
    return _cacheable(request, response, {"results": [route_as_dict(option, with_in_time=False) for option in options]})


# --- Alerts -----------------------------------------------------------------------------------------
@router.post(
    "/alerts",
    operation_id="alerts_create",
    response={201: AlertCreatedOut, 400: ProblemOut, 409: ProblemOut},
    summary="Subscribe a webhook to a queue's threshold",
    description=(
        "Kezek POSTs to `url` when the queue's published estimate goes above `above_minutes`, and again when it "
        "comes back down. Each body is signed with the returned `secret` (shown only here): "
        "`X-Kezek-Signature: sha256=<hex HMAC-SHA256 of the body>` and the replay-resistant "
        "`X-Kezek-Signature-V2: t=<unix ts>,sha256=<hex HMAC-SHA256 of '<ts>.' + body>`. The URL must be https "
        "and resolve to public addresses. Failed deliveries are retried with exponential backoff; repeated "
        "failures pause the alert. 409 when the key has 100 alerts."
    ),
    tags=["alerts"],
)
def create_alert(request: HttpRequest, payload: AlertIn):
    subscription = alerts.alert_subscription_create(
        key=request.auth,
        crossing=payload.crossing,
        direction=payload.direction,
        above_minutes=payload.above_minutes,
        url=payload.url,
    )
    return Status(201, alerts.alert_subscription_as_dict(subscription, with_secret=True))


@router.get(
    "/alerts",
    operation_id="alerts_list",
    response={200: AlertPageOut, 400: ProblemOut},
    summary="This key's alerts",
    description="The alerts created with this key, oldest first (secrets are never shown again).",
    tags=["alerts"],
)
def list_alerts(request: HttpRequest, page: Query[PageQuery]):
    result = alerts.alert_subscription_list(key=request.auth, cursor=page.cursor, limit=page.limit)
    return {
        "results": [alerts.alert_subscription_as_dict(subscription) for subscription in result.results],
        "next": _next_url(request, result.next_cursor, page.limit),
    }


@router.delete(
    "/alerts/{alert_id}",
    operation_id="alerts_delete",
    response={204: None, 404: ProblemOut},
    summary="Delete an alert",
    description="Stops the alert; pending deliveries are dropped. 404 for an unknown id or another key's alert.",
    tags=["alerts"],
)
def delete_alert(request: HttpRequest, alert_id: str):
    alerts.alert_subscription_delete(key=request.auth, subscription_id=alert_id, as_of=timezone.now())
    return Status(204, None)
