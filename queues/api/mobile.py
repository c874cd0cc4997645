"""Driver API: the crossing catalogue with waits, batch report ingest, the driver's queue visits."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from carriers.api.schema import THROTTLED, VALIDATION, problem
from carriers.api.throttles import DriverScopeThrottle
from core.errors import ValidationFailed
from core.http import answer_response
from core.pagination import CursorPagination
from queues.answers import crossing_answer_get, crossing_answer_key
from queues.payloads import crossing_as_dict, estimate_as_dict
from queues.selectors.crossings import crossing_get, crossing_list, visit_list
from queues.selectors.forecast import driver_routes_list, forecast_as_dict, queue_forecast_get, route_as_dict
from queues.services.reports import report_batch_ingest

MAX_REPORTS_PER_BATCH = 100
READ_CACHE_CONTROL = "private, max-age=30"
READ_HEADERS = {"Cache-Control": READ_CACHE_CONTROL}


class CrossingPagination(CursorPagination):
    ordering = "slug"


class VisitPagination(CursorPagination):
    ordering = ("-joined_at", "-id")


@extend_schema_serializer(component_name="Estimate")
class EstimateOutput(serializers.Serializer):
    """``<estimate>``: the same object in the partner API."""

    wait_minutes = serializers.IntegerField(help_text="Expected wait, in minutes, for a truck joining now.")
    low_minutes = serializers.IntegerField(help_text="Lower end of the 80% interval.")
    high_minutes = serializers.IntegerField(help_text="Upper end of the 80% interval.")
    queue_length = serializers.IntegerField(allow_null=True, help_text="Trucks in the queue, when known.")
    throughput_per_hour = serializers.FloatField(allow_null=True, help_text="Trucks crossing per hour, when known.")
    reports = serializers.IntegerField(help_text="Reports behind the estimate.")
    drivers = serializers.IntegerField(help_text="Distinct drivers behind it (at least 3 to be published).")
    computed_at = serializers.DateTimeField(help_text="When it was computed (UTC, to the second).")
    data_until = serializers.DateTimeField(allow_null=True, help_text="The newest report used.")
    stale = serializers.BooleanField(help_text="No recent report: the estimate may be out of date.")
    confidence = serializers.ChoiceField(["low", "medium", "high"])


@extend_schema_field(EstimateOutput(allow_null=True))
class EstimateField(serializers.Field):
    def to_representation(self, queue):
        return estimate_as_dict(getattr(queue, "estimate", None))


class OpeningHoursOutput(serializers.Serializer):
    opens = serializers.CharField(help_text="Local time the side opens, HH:MM.")
    closes = serializers.CharField(help_text="Local time it closes, HH:MM (24:00: midnight; before `opens`: next day).")


class PlannedClosureOutput(serializers.Serializer):
    # "from" is a Python keyword: the field is declared below under its wire name.
    to = serializers.DateTimeField(help_text="When trucks pass again (UTC).")
    reason = serializers.CharField()
    source = serializers.CharField(help_text="Where the closure was announced (may be empty).")

    def get_fields(self):
        fields = super().get_fields()
        return {"from": serializers.DateTimeField(help_text="When the side closes (UTC)."), **fields}


class ScheduleSideOutput(serializers.Serializer):
    country = serializers.CharField(help_text="The side, by its country (ISO 3166-1 alpha-2).")
    time_zone = serializers.CharField(help_text="The side's IANA time zone: its opening hours are in it.")
    opening_hours = OpeningHoursOutput(allow_null=True, help_text="null: around the clock, or unknown.")
    daily_quota = serializers.IntegerField(
        allow_null=True, help_text="Trucks a day the booking system lets through; null: no quota known."
    )
    planned_closures = PlannedClosureOutput(many=True, help_text="Planned closures not over yet, soonest first.")


class CrossingOutput(serializers.Serializer):
    """The schema of the contract's ``<crossing>`` (the answer itself is ``queues.payloads.crossing_as_dict``)."""

    class QueueOutput(serializers.Serializer):
        direction = serializers.CharField()
        estimate = EstimateField(source="*", allow_null=True)

    slug = serializers.CharField()
    name = serializers.CharField()
    name_ru = serializers.CharField()
    name_kk = serializers.CharField()
    countries = serializers.SerializerMethodField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    queues = QueueOutput(many=True, source="queues.all")
    schedule = ScheduleSideOutput(many=True, help_text="Per side: time zone, opening hours, quota, planned closures.")

    def get_countries(self, crossing) -> list[str]:
        return [str(crossing.country_a), str(crossing.country_b)]


class CrossingListApi(APIView):
    """The active crossings, each with both queues and their current estimate (null until published).

    The answer is stored ready to send and rendered again only after a crossing, queue or estimate changed
    (``queues.answers``); ``queues.api.fast`` sends it without running DRF when the cache vouches for the token.
    """

    @extend_schema(
        operation_id="crossings_list",
        responses=inline_serializer(
            "CrossingPage",
            fields={"results": CrossingOutput(many=True), "next": serializers.CharField(allow_null=True)},
        ),
        parameters=[
            OpenApiParameter("cursor", str, description="The `next` link's cursor."),
            OpenApiParameter("limit", int, description="Page size, 1 to 200 (default 50)."),
        ],
    )
    def get(self, request: Request) -> HttpResponse:
        def render() -> dict:
            paginator = CrossingPagination()
            page = paginator.paginate_queryset(crossing_list(), request, view=self)
            return {"results": [crossing_as_dict(crossing) for crossing in page], "next": paginator.get_next_link()}

        answer = crossing_answer_get(entry_key=crossing_answer_key(request, "mobile-list"), render=render)
        return answer_response(request, answer, headers=READ_HEADERS)


class CrossingDetailApi(APIView):
    """One active crossing; 404 for an unknown or inactive slug. Stored ready to send, like the list."""

    @extend_schema(operation_id="crossings_get", responses=CrossingOutput)
    def get(self, request: Request, slug: str) -> HttpResponse:
        answer = crossing_answer_get(
            entry_key=crossing_answer_key(request, "mobile-crossing", slug),
            render=lambda: crossing_as_dict(crossing_get(slug=slug)),
        )
        return answer_response(request, answer, headers=READ_HEADERS)


@extend_schema_serializer(component_name="Report")
class ReportDocument(serializers.Serializer):
    """``<report>``, one crowd report as the app sends it. The schema of the documentation: each item is checked
    alone by ``queues.domain.reports`` (a bad item is ``rejected`` with its ``errors``, never the whole batch)."""

    id = serializers.UUIDField(help_text="Made by the app; resending the same id and content is a `duplicate`.")
    crossing = serializers.CharField(help_text="The crossing's slug, e.g. zhaisan-sagarchin.")
    direction = serializers.RegexField(r"^[A-Z]{2}-[A-Z]{2}$", help_text="`<FROM>-<TO>`, e.g. KZ-RU.")
    kind = serializers.ChoiceField(["joined", "position", "crossed", "left"])
    observed_at = serializers.DateTimeField(help_text="When the driver saw it; at most 5 min ahead, 7 days old.")
    position = serializers.IntegerField(required=False, allow_null=True, min_value=0, help_text="Vehicles ahead.")
    distance_m = serializers.IntegerField(required=False, allow_null=True, min_value=0, help_text="Metres to gate.")
    waited_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, help_text="Minutes in this queue so far."
    )
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)


@extend_schema_field(ReportDocument)
class ReportItemField(serializers.Field):
    """One batch item, as sent: any JSON value. Each item is checked alone by ``queues.domain.reports``, so an item
    that is not even an object is rejected by itself and never costs the good items of an offline batch."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class ReportBatchApi(APIView):
    """Offline-first batch of crowd reports: one result per item, in order; idempotent by the report id.

    A body that is not ``{"reports": [<object>, ... at most 100]}`` is a 400 and stores nothing.
    Throttled per driver (scope ``reports``).
    """

    throttle_classes = [DriverScopeThrottle]
    throttle_scope = "reports"

    @extend_schema_serializer(component_name="ReportBatchInput")
    class InputSerializer(serializers.Serializer):
        reports = serializers.ListField(
            child=ReportItemField(allow_null=True), max_length=MAX_REPORTS_PER_BATCH, allow_empty=True
        )

    @extend_schema(
        operation_id="reports_create",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "ReportBatchOutput",
                {
                    "results": inline_serializer(
                        "ReportResult",
                        {
                            "id": serializers.CharField(allow_null=True),
                            "status": serializers.ChoiceField(["created", "duplicate", "conflict", "rejected"]),
                            "errors": serializers.DictField(
                                child=serializers.ListField(child=serializers.CharField()),
                                required=False,
                                help_text="Present only on rejected items: messages by field (`report` for an item "
                                "that is not an object).",
                            ),
                        },
                        many=True,
                    )
                },
            ),
            400: problem('validation_error: the body is not `{"reports": [... at most 100]}`; nothing stored.'),
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationFailed(errors={"reports": [_("Send an object with a list of reports.")]})
        serializer = self.InputSerializer(data=request.data)
        if not serializer.is_valid():
            raise ValidationFailed(errors={"reports": _flat_messages(serializer.errors.get("reports", []))})
        results = report_batch_ingest(
            driver=request.user.driver, items=serializer.validated_data["reports"], received_at=timezone.now()
        )
        return Response({"results": results})


def _flat_messages(detail) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flat_messages(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _flat_messages(value)]
    return [str(detail)]


class VisitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    crossing = serializers.CharField(source="queue.crossing.slug")
    direction = serializers.CharField(source="queue.direction")
    joined_at = serializers.DateTimeField()
    crossed_at = serializers.DateTimeField(allow_null=True)
    wait_minutes = serializers.IntegerField(
        allow_null=True,
        help_text="Minutes from joining to crossing; null until crossed, and when the wait is unknown (a visit "
        "reported only at its crossing, without `waited_minutes`). Unknown is never 0.",
    )
    status = serializers.ChoiceField(
        ["open", "crossed", "left"], help_text="open: still in the queue; crossed; left: gave up without crossing."
    )
    left_at = serializers.DateTimeField(allow_null=True, help_text="When the driver left without crossing.")


class VisitListApi(APIView):
    """The driver's own queue visits, newest first; ``wait_minutes`` is null until the visit crossed (and when
    its start is unknown); ``status`` tells an open visit from one the driver left."""

    @extend_schema(
        operation_id="visits_list",
        responses=inline_serializer(
            "VisitPage",
            fields={"results": VisitOutput(many=True), "next": serializers.CharField(allow_null=True)},
        ),
        parameters=[
            OpenApiParameter("cursor", str, description="The `next` link's cursor."),
            OpenApiParameter("limit", int, description="Page size, 1 to 200 (default 50)."),
        ],
    )
    def get(self, request: Request) -> Response:
        paginator = VisitPagination()
        page = paginator.paginate_queryset(visit_list(driver=request.user.driver), request, view=self)
        return paginator.get_paginated_response(VisitOutput(page, many=True).data)


# --- Forecast and routes ----------------------------------------------------------------------------------------------
NOT_FOUND = problem("not_found: no active crossing has this slug.")
INSUFFICIENT = problem("insufficient_data: the queue has no published estimate to forecast from.")
BAD_QUERY = problem("validation_error: a direction the crossing lacks, or a moment outside now … now + 72 h.")


@extend_schema_serializer(component_name="Forecast")
class ForecastOutput(serializers.Serializer):
    """The forecast wait of a truck joining the queue at ``at``."""

    crossing = serializers.CharField()
    direction = serializers.CharField()
    at = serializers.DateTimeField(help_text="The moment of joining the queue.")
    wait_minutes = serializers.IntegerField(help_text="Expected wait of a truck joining at `at`.")
    low_minutes = serializers.IntegerField(help_text="Lower end of the 80% range.")
    high_minutes = serializers.IntegerField(help_text="Upper end of the 80% range.")
    confidence = serializers.ChoiceField(["low", "medium", "high"], help_text="Falls with the horizon.")
    computed_at = serializers.DateTimeField(help_text="When the estimate the forecast starts from was computed.")
    open_at_join = serializers.BooleanField(
        allow_null=True,
        help_text="false in a planned closure or outside known opening hours; true inside known hours; null when "
        "the hours are unknown (not known to be shut).",
    )
    quota_spent_at_join = serializers.BooleanField(
        allow_null=True, help_text="Whether the day's booking quota is spent by then; null without a quota."
    )


class ForecastApi(APIView):
    """The wait of a truck that joins the queue at a moment up to 72 hours ahead, with its 80% range.

    From the queue's current estimate, the day profile learned from its history and the crossing's schedule
    (planned closures, opening hours, the booking quota); the range grows with the horizon. 404
    ``insufficient_data`` where no estimate is published; 400 for ``at`` outside now … now + 72 h.
    """

    @extend_schema_serializer(component_name="ForecastQuery")
    class QuerySerializer(serializers.Serializer):
        direction = serializers.RegexField(r"^[A-Za-z]{2}-[A-Za-z]{2}$", help_text="`<FROM>-<TO>`, e.g. KZ-RU.")
        at = serializers.DateTimeField(
            required=False, help_text="When the truck joins (ISO 8601 with offset); default now; at most 72 h ahead."
        )

    @extend_schema(
        operation_id="crossings_forecast",
        parameters=[QuerySerializer],
        responses={200: ForecastOutput, 400: BAD_QUERY, 404: INSUFFICIENT, 429: THROTTLED},
    )
    def get(self, request: Request, slug: str) -> Response:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        result = queue_forecast_get(slug=slug, direction=data["direction"], at=data.get("at"), now=timezone.now())
        return Response(forecast_as_dict(result), headers={"Cache-Control": READ_CACHE_CONTROL})


@extend_schema_serializer(component_name="RouteOption")
class RouteOutput(serializers.Serializer):
    crossing = serializers.CharField()
    direction = serializers.CharField()
    distance_km = serializers.FloatField(help_text="Great-circle distance × ROUTE_ROAD_FACTOR (default 1.3).")
    drive_minutes = serializers.IntegerField(help_text="distance_km ÷ ROUTE_TRUCK_SPEED_KMH (default 60).")
    arrive_at = serializers.DateTimeField()
    wait_minutes = serializers.IntegerField(allow_null=True, help_text="Forecast wait on arrival; null: no estimate.")
    low_minutes = serializers.IntegerField(allow_null=True)
    high_minutes = serializers.IntegerField(allow_null=True)
    through_at = serializers.DateTimeField(allow_null=True, help_text="arrive_at + wait_minutes.")
    through_at_latest = serializers.DateTimeField(allow_null=True, help_text="arrive_at + high_minutes.")
    open_at_arrival = serializers.BooleanField(allow_null=True, help_text="As the forecast's open_at_join.")
    quota_spent_at_arrival = serializers.BooleanField(allow_null=True)
    in_time = serializers.BooleanField(
        allow_null=True,
        help_text="Through (at the range's high end) before the end of the driver's latest exit day from the "
        "country being left, in that side's local time; null without a stay limit there or without a forecast.",
    )


class RouteListApi(APIView):
    """The crossings of a border ranked by when a truck leaving a point would be through.

    Drive time: great-circle distance × ``ROUTE_ROAD_FACTOR`` (1.3) ÷ ``ROUTE_TRUCK_SPEED_KMH`` (60 km/h). Wait: the
    forecast for a truck joining on arrival, so a crossing shut or with its quota spent then carries that in its
    wait. Best first by expected time through; crossings without an estimate last, nearest first. ``in_time``: for
    a driver with a stay limit in the country being left, whether each option is through by the end of the latest
    exit day (at the high end of the range).
    """

    @extend_schema_serializer(component_name="RouteQuery")
    class QuerySerializer(serializers.Serializer):
        direction = serializers.RegexField(r"^[A-Za-z]{2}-[A-Za-z]{2}$", help_text="`<FROM>-<TO>`, e.g. RU-KZ.")
        lat = serializers.FloatField(min_value=-90, max_value=90, help_text="Where the truck is now.")
        lon = serializers.FloatField(min_value=-180, max_value=180)
        depart_at = serializers.DateTimeField(required=False, help_text="Default now; at most 72 h ahead.")

    @extend_schema(
        operation_id="routes_list",
        parameters=[QuerySerializer],
        responses={
            200: inline_serializer("RouteList", fields={"results": RouteOutput(many=True)}),
            400: VALIDATION,
            429: THROTTLED,
        },
    )
    def get(self, request: Request) -> Response:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = driver_routes_list(driver=request.user.driver, **query.validated_data, now=timezone.now())
        return Response({"results": [route_as_dict(option, in_time=in_time) for option, in_time in rows]})
