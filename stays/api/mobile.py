"""Driver API for stays: status on a date, stay events (list, add, correct), planning."""

from __future__ import annotations

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from carriers.api.schema import UNAUTHENTICATED, VALIDATION, problem
from core.openapi import CURSOR_PARAMETERS, page_of
from core.pagination import CursorPagination
from queues.models import Crossing
from queues.selectors.forecast import exit_plan_as_dict
from stays import domain, selectors, services
from stays.exit_plans import stay_exit_plans_get, stay_plan_with_queue_get
from stays.models import StayEvent

NOT_FOUND = problem("not_found: no such object among the driver's own.")


class CountryField(serializers.CharField):
    """An ISO 3166-1 alpha-2 country code (any case in, upper case out)."""

    default_error_messages = {"invalid_country": _("Enter an ISO 3166-1 alpha-2 country code, e.g. RU.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("min_length", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data).upper()
        if code not in countries:
            self.fail("invalid_country")
        return code


@extend_schema_serializer(component_name="StayEvent")
class StayEventOutputSerializer(serializers.Serializer):
    """``<stay event>``."""

    id = serializers.UUIDField()
    country = serializers.CharField()
    kind = serializers.ChoiceField(choices=StayEvent.Kind.choices)
    date = serializers.DateField()
    crossing = serializers.CharField(allow_null=True, help_text="Crossing slug, or null.")
    source = serializers.ChoiceField(choices=StayEvent.Source.choices)

    def to_representation(self, event: StayEvent) -> dict:
        return {
            "id": str(event.pk),
            "country": str(event.country),
            "kind": event.kind,
            "date": event.date.isoformat(),
            "crossing": event.crossing.slug if event.crossing_id else None,
            "source": event.source,
        }


def _day(value):
    return value.isoformat() if value else None


# The dates the stay endpoints accept: anything else is a client's mistake (400), never a 500.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)


class StayDateField(serializers.DateField):
    """A calendar date between 2000-01-01 and 2100-12-31."""

    default_error_messages = {"out_of_range": _("Enter a date between 2000-01-01 and 2100-12-31.")}

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not FIRST_DATE <= day <= LAST_DATE:
            self.fail("out_of_range")
        return day


@extend_schema_serializer(component_name="StayRuleRef")
class StayRuleSerializer(serializers.Serializer):
    limit_days = serializers.IntegerField()
    window = serializers.ChoiceField(choices=[domain.CALENDAR_YEAR, domain.ROLLING])
    window_days = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()


@extend_schema_serializer(component_name="RegistryState")
class RegistrySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["unknown", "clear", "listed"])
    checked_on = serializers.DateField(allow_null=True)


@extend_schema_serializer(component_name="ExitPlanItem")
class ExitPlanSerializer(serializers.Serializer):
    crossing = serializers.CharField()
    direction = serializers.CharField(help_text="Out of the country, e.g. RU-KZ.")
    join_by = serializers.DateTimeField(help_text="Join the queue by this moment (UTC).")
    wait_minutes = serializers.IntegerField(help_text="Forecast wait of a truck joining at join_by.")
    high_minutes = serializers.IntegerField(help_text="High end of its 80% range.")
    in_time = serializers.BooleanField(help_text="false: even joining now is expected to be too late.")


@extend_schema_serializer(component_name="StayCountryStatus")
class StayCountrySerializer(serializers.Serializer):
    country = serializers.CharField()
    rule = StayRuleSerializer(
        allow_null=True, help_text="The rule applied on the date; null when none applies (see `rule_missing`)."
    )
    rule_missing = serializers.ChoiceField(
        choices=[domain.RULE_MISSING_NO_CITIZENSHIP, domain.RULE_MISSING_NO_RULE],
        allow_null=True,
        help_text="Why no rule applies: no_citizenship (set your citizenship), no_rule_for_citizenship (Kezek knows "
        "no rule for your citizenship there). Then the counts are null: Kezek says nothing rather than guess.",
    )
    in_country = serializers.BooleanField()
    days_used = serializers.IntegerField(allow_null=True, help_text="Days of stay in the window up to the date.")
    days_left = serializers.IntegerField(
        allow_null=True,
        help_text="In the country: the days you may still stay after this date (up to `latest_exit`). Out of it: how "
        "long a stay entered on this date could last. Every later day is judged by the rule in force on it, so a "
        "regime or rule that ends, or a cap that binds, before then already counts.",
    )
    window_start = serializers.DateField(allow_null=True)
    window_end = serializers.DateField(allow_null=True)
    latest_exit = serializers.DateField(
        allow_null=True,
        help_text="While in the country: the last day you may leave on and keep within the limit (the exit day "
        "counts as a day of stay, and so do days in the exit queue: be through it by the end of that day). Null when "
        "the limit is already broken: leave now.",
    )
    overstay_days = serializers.IntegerField(
        allow_null=True,
        help_text="Days stayed beyond a limit, in the window and in the current stay. A stay that broke a limit "
        "stays unlawful until you leave: neither 1 January nor a new rule cures it.",
    )
    risk = serializers.ChoiceField(choices=list(domain.RISK_RANK), allow_null=True)
    risk_reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="Codes: registry_listed, over_limit, over_continuous_cap, over_per_entry_cap, "
        "days_left_at_high_threshold, days_left_at_watch_threshold.",
    )
    registry = RegistrySerializer()
    exit_plan = ExitPlanSerializer(
        many=True,
        required=False,
        help_text="While in the country with a latest exit: per exit crossing with a published estimate, the latest "
        "moment to join its queue and still be through by the end of the latest exit day (that side's local time), "
        "from the high end of the forecast plus a margin; earliest first. The queue stands in the country being "
        "left: its time counts as days there.",
    )


def country_status_dict(item: domain.CountryStatus) -> dict:
    """One ``<stay status>`` country entry (without the exit plan, which is live data)."""
    return {
        "country": item.country,
        "rule": {
            "limit_days": item.rule.limit_days,
            "window": item.rule.window,
            "window_days": item.rule.window_days if item.rule.window == domain.ROLLING else None,
            "source": item.rule.source,
        }
        if item.rule
        else None,
        "rule_missing": item.rule_missing,
        "in_country": item.in_country,
        "days_used": item.days_used,
        "days_left": item.days_left,
        "window_start": _day(item.window_start),
        "window_end": _day(item.window_end),
        "latest_exit": _day(item.latest_exit),
        "overstay_days": item.overstay_days,
        "risk": item.risk,
        "risk_reasons": list(item.risk_reasons),
        "registry": {"status": item.registry.status, "checked_on": _day(item.registry.checked_on)},
    }


class StayStatusApi(APIView):
    @extend_schema_serializer(component_name="StayStatusQuery")
    class QuerySerializer(serializers.Serializer):
        on = StayDateField(
            required=False,
            help_text="YYYY-MM-DD; default: today by the calendar of the country you are in (the local date on that "
            "side of the border you last crossed; it may already be tomorrow in UTC terms).",
        )

    @extend_schema_serializer(component_name="StayStatus")
    class OutputSerializer(serializers.Serializer):
        """``<stay status>``."""

        on = serializers.DateField()
        countries = StayCountrySerializer(many=True)

        def to_representation(self, result: domain.StayStatus) -> dict:
            return {
                "on": result.on.isoformat(),
                "countries": [country_status_dict(item) for item in result.countries],
            }

    @extend_schema(
        operation_id="stays_status",
        summary="Days of stay, days left, latest exit and risk per country",
        description=(
            "One entry per country where a stay rule applies to the driver on the date. Days are counted "
            "inclusively: the entry day and the exit day both count, a same-day entry and exit is one day "
            "(the conservative reading). An open stay counts up to the date. `latest_exit` is set while in "
            "the country. `risk`: ok, watch (days left at or below STAY_RISK_WATCH_DAYS), high (at or below "
            "STAY_RISK_HIGH_DAYS), overstay (limit exceeded), listed (the latest registry check found the "
            "driver listed: overrides the rest)."
        ),
        parameters=[QuerySerializer],
        responses={200: OutputSerializer, 400: VALIDATION, 401: UNAUTHENTICATED},
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        driver = request.user.driver
        events = list(selectors.stay_events_list(driver=driver))
        today = selectors.stay_local_today(events=events, at=now)
        on = query.validated_data.get("on") or today
        result = selectors.stay_status_get(driver=driver, on=on, events=events)
        data = self.OutputSerializer(result).data
        plans = stay_exit_plans_get(status=result, now=now) if on == today else {}
        for item in data["countries"]:
            if item["country"] in plans:
                item["exit_plan"] = [exit_plan_as_dict(entry) for entry in plans[item["country"]]]
        return Response(data)


class StayEventListApi(APIView):
    class Pagination(CursorPagination):
        ordering = ("-date", "-created_at")

    @extend_schema_serializer(component_name="StayEventInput")
    class InputSerializer(serializers.Serializer):
        country = CountryField(help_text="ISO 3166-1 alpha-2, e.g. RU.")
        kind = serializers.ChoiceField(choices=StayEvent.Kind.choices)
        date = StayDateField(help_text="YYYY-MM-DD; not after today in that country (its local date at the crossing).")
        crossing = serializers.SlugField(required=False, allow_null=True, help_text="Crossing slug (optional).")

        def validate_crossing(self, slug):
            if not slug:
                return None
            crossing = Crossing.objects.filter(slug=slug).first()
            if crossing is None:
                raise serializers.ValidationError(_("Unknown crossing."))
            return crossing

        def validate(self, attrs):
            crossing = attrs.get("crossing")
            if crossing is not None and attrs["country"] not in {str(crossing.country_a), str(crossing.country_b)}:
                raise serializers.ValidationError({"crossing": [_("This crossing does not lead to that country.")]})
            return attrs

    @extend_schema(
        operation_id="stays_events_list",
        summary="The driver's stay events, newest date first",
        parameters=CURSOR_PARAMETERS,
        responses={200: page_of(StayEventOutputSerializer, "StayEventPage"), 401: UNAUTHENTICATED},
    )
    def get(self, request):
        paginator = self.Pagination()
        page = paginator.paginate_queryset(selectors.stay_events_list(driver=request.user.driver), request, view=self)
        return paginator.get_paginated_response(StayEventOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="stays_events_create",
        summary="Record an entry or exit",
        description=(
            "Rejected (400 validation_error): a date in the future, an exit with no entry before it, a second "
            "entry without an exit between. The source is `driver`."
        ),
        request=InputSerializer,
        responses={201: StayEventOutputSerializer, 400: VALIDATION, 401: UNAUTHENTICATED},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event = services.stay_event_record(
            driver=request.user.driver,
            country=data["country"],
            kind=data["kind"],
            date=data["date"],
            crossing=data.get("crossing"),
            source=StayEvent.Source.DRIVER,
            actor=request.user,
            as_of=timezone.now(),
        )
        return Response(StayEventOutputSerializer(event).data, status=status.HTTP_201_CREATED)


class StayEventDetailApi(APIView):
    @extend_schema(
        operation_id="stays_events_delete",
        summary="Correct a stay event away",
        description="The event no longer counts; it is kept in the audit trail (who, when, what).",
        responses={204: None, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def delete(self, request, event_id):
        event = get_object_or_404(selectors.stay_events_list(driver=request.user.driver), pk=event_id)
        services.stay_event_delete(event=event, actor=request.user, as_of=timezone.now())
        return Response(status=status.HTTP_204_NO_CONTENT)


class StayPlanApi(APIView):
    @extend_schema_serializer(component_name="StayPlanQuery")
    class QuerySerializer(serializers.Serializer):
        country = CountryField(help_text="ISO 3166-1 alpha-2, e.g. RU.")
        entry = StayDateField(help_text="YYYY-MM-DD: the planned entry day (day 1 of the stay).")
        days = serializers.IntegerField(min_value=1, max_value=domain.PLAN_MAX_DAYS, help_text="1 to 365.")
        exit_crossing = serializers.SlugField(
            required=False,
            help_text="The crossing the driver will leave by, or `all` (every exit crossing, the best of them): the "
            "forecast time in its exit queue counts as days in the country (`queue_days`). The entry queue stands "
            "in the country being left and never counts here.",
        )

        def validate_exit_crossing(self, slug):
            if slug == "all":
                return slug
            if not Crossing.objects.filter(slug=slug, active=True).exists():
                raise serializers.ValidationError(_("Unknown crossing."))
            return slug

    @extend_schema_serializer(component_name="StayPlan")
    class OutputSerializer(serializers.Serializer):
        """``<plan>``."""

        country = serializers.CharField()
        entry = serializers.DateField()
        days = serializers.IntegerField()
        allowed = serializers.BooleanField()
        max_days = serializers.IntegerField(help_text="Longest allowed stay entering on `entry` (at most 365).")
        earliest_entry = serializers.DateField(
            allow_null=True,
            help_text="First date on or after `entry` from which a stay of `days` is allowed; null when no date "
            "within two years allows it (e.g. longer than any continuous stay may be).",
        )
        rule_missing = serializers.ChoiceField(
            choices=[domain.RULE_MISSING_NO_CITIZENSHIP, domain.RULE_MISSING_NO_RULE],
            allow_null=True,
            help_text="Set when no rule applies on the entry day (then `allowed` is false): Kezek does not guess.",
        )
        queue_days = serializers.IntegerField(
            required=False,
            help_text="With exit_crossing: the days of stay the exit queue adds (counted into `days` for `allowed`, "
            "`max_days` is the stay before the queue); 0 when no exit queue asked about has a published estimate.",
        )
        assumes_exit_on = serializers.DateField(
            allow_null=True,
            help_text="Set when you are still in the country and the entry is after today: the answer assumes you "
            "leave today. Every further day you stay counts, so ask again after you leave.",
        )

    @extend_schema(
        operation_id="stays_plan",
        summary="May I enter on a date and stay N days?",
        description=(
            "The entry day is day 1. If you are still in the country on the entry day (or leave and come back that "
            "same day), the plan goes on with your current stay: it is one stay, and its days and caps count. "
            "A plan for a later entry made while you are still in the country assumes you leave today "
            "(`assumes_exit_on`): each further day you stay counts, so ask again after you leave. "
            "Every day of the stay is judged by the rule in force on "
            "it. With no rule for you on the entry day the answer is never `allowed` (see `rule_missing`)."
        ),
        parameters=[QuerySerializer],
        responses={200: OutputSerializer, 400: VALIDATION, 401: UNAUTHENTICATED},
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        exit_crossing = data.pop("exit_crossing", None)
        now = timezone.now()
        today = selectors.stay_driver_today(driver=request.user.driver, at=now)
        if exit_crossing is None:
            result = selectors.stay_plan_get(driver=request.user.driver, **data, as_of=today)
            return Response(self.OutputSerializer(result).data)
        result, queue_days = stay_plan_with_queue_get(
            driver=request.user.driver,
            **data,
            exit_crossing=None if exit_crossing == "all" else exit_crossing,
            now=now,
            as_of=today,
        )
        return Response({**self.OutputSerializer(result).data, "queue_days": queue_days})
