"""``GET /api/v1/stays/record``: the driver's own stay record of one country, as JSON or as a PDF.

The answer's media type follows ``Accept`` (DRF's content negotiation): JSON by default and for
``application/json``, a PDF for ``application/pdf``, 406 ``not_acceptable`` for anything else. Errors are
problem+json whatever was asked for.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from carriers.api.schema import UNAUTHENTICATED, VALIDATION, problem
from core.http import utc_iso
from queues.selectors.forecast import exit_plan_as_dict
from stays import record, selectors
from stays.api.mobile import (
    CountryField,
    StayCountrySerializer,
    StayDateField,
    StayRuleSerializer,
    country_status_dict,
)
from stays.domain import StayStatus
from stays.exit_plans import stay_exit_plans_get
from stays.record_pdf import stay_record_pdf

PDF = "application/pdf"
NOT_ACCEPTABLE = problem("not_acceptable: ask for application/json (the default) or application/pdf.")


class PdfRenderer(renderers.BaseRenderer):
    """Lets ``Accept: application/pdf`` through the negotiation; the view sends the PDF itself. An error body
    (a dict) is sent as problem+json."""

    media_type = PDF
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


def _day(value):
    return value.isoformat() if value else None


def rule_dict(rule) -> dict | None:
    if rule is None:
        return None
    return {
        "name": rule.name,
        "limit_days": rule.limit_days,
        "window": rule.window,
        "window_days": rule.window_days if rule.window == "rolling" else None,
        "continuous_cap_days": rule.continuous_cap_days,
        "per_entry_cap_days": rule.per_entry_cap_days,
        "regime": rule.regime or None,
        "effective_from": _day(rule.effective_from),
        "effective_to": _day(rule.effective_to),
        "source": rule.source,
    }


def event_dict(event: record.RecordedEvent, *, language: str) -> dict:
    return {
        "id": event.id,
        "kind": event.kind,
        "date": event.on.isoformat(),
        "crossing": event.crossing,
        "crossing_name": event.crossing_name(language),
        "source": event.source,
        "recorded_by": event.recorded_by,
        "recorded_at": utc_iso(event.recorded_at),
    }


def record_dict(result: record.StayRecord, *, language: str) -> dict:
    """The JSON record: every figure as the domain computed it."""
    return {
        "country": result.country,
        "from": result.period_from.isoformat(),
        "to": result.period_to.isoformat(),
        "generated_at": utc_iso(result.generated_at),
        "time_zone": result.local_zone,
        "driver": {"name": result.driver_name, "citizenship": result.citizenship or None},
        "stays": [
            {
                "entry": event_dict(stay.entry, language=language),
                "exit": event_dict(stay.exit, language=language) if stay.exit else None,
                "last_day": stay.last_day.isoformat(),
                "days": stay.days,
                "days_in_period": stay.days_in_period,
                "continues_previous": stay.continues_previous,
                "rule": rule_dict(stay.rule),
            }
            for stay in result.stays
        ],
        "events": [event_dict(event, language=language) for event in result.events],
        "not_counted": [{**event_dict(event, language=language), "reason": code} for event, code in result.not_counted],
        "days_in_period": result.days_in_period,
        "rule": rule_dict(result.status.rule),
        "regimes": [
            {"regime": item.regime, "valid_from": _day(item.valid_from), "valid_to": _day(item.valid_to)}
            for item in result.regimes
        ],
        "status": country_status_dict(result.status),
    }


@extend_schema_serializer(component_name="StayRecordRule")
class RecordRuleSerializer(StayRuleSerializer):
    name = serializers.CharField()
    continuous_cap_days = serializers.IntegerField(allow_null=True)
    per_entry_cap_days = serializers.IntegerField(allow_null=True)
    regime = serializers.CharField(allow_null=True, help_text="The driver regime the rule is for; null: general.")
    effective_from = serializers.DateField(allow_null=True)
    effective_to = serializers.DateField(allow_null=True)


@extend_schema_serializer(component_name="StayRecordEvent")
class RecordEventSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=["entry", "exit"])
    date = serializers.DateField(help_text="The host country's local date.")
    crossing = serializers.CharField(allow_null=True, help_text="Crossing slug, or null.")
    crossing_name = serializers.CharField(allow_null=True, help_text="In the language of Accept-Language.")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # the field is named as in <stay event>
        choices=["report", "driver", "dispatcher"],
        help_text="report: recorded from the driver's `crossed` report; driver: entered in the app; dispatcher: "
        "entered by the carrier's dispatcher.",
    )
    recorded_by = serializers.CharField(
        allow_null=True, help_text="Who entered it when it was not you or a crossing report (a dispatcher's name)."
    )
    recorded_at = serializers.DateTimeField(help_text="When it was recorded (UTC).")


@extend_schema_serializer(component_name="StayRecordNotCounted")
class RecordNotCountedSerializer(RecordEventSerializer):
    reason = serializers.ChoiceField(choices=["exit_without_entry", "entry_while_in_country"])


@extend_schema_serializer(component_name="StayRecordStay")
class RecordStaySerializer(serializers.Serializer):
    entry = RecordEventSerializer()
    exit = RecordEventSerializer(allow_null=True, help_text="null: still in the country on `to`.")
    last_day = serializers.DateField(help_text="The exit day, or `to` while still in the country.")
    days = serializers.IntegerField(help_text="Days of this stay up to `last_day`, both days included.")
    days_in_period = serializers.IntegerField(help_text="Of those, the days between `from` and `to`.")
    continues_previous = serializers.BooleanField(
        help_text="Entered on the day the previous stay ended: one stay with it; the shared day counts once."
    )
    rule = RecordRuleSerializer(allow_null=True, help_text="The rule in force on `last_day`.")


@extend_schema_serializer(component_name="StayRecordDriver")
class RecordDriverSerializer(serializers.Serializer):
    name = serializers.CharField()
    citizenship = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="StayRecordRegime")
class RecordRegimeSerializer(serializers.Serializer):
    regime = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)


@extend_schema_serializer(component_name="StayRecordStatus")
class RecordStatusSerializer(StayCountrySerializer):
    pass


class StayRecordApi(APIView):
    renderer_classes = [renderers.JSONRenderer, PdfRenderer]

    @extend_schema_serializer(component_name="StayRecordQuery")
    class QuerySerializer(serializers.Serializer):
        country = CountryField(help_text="ISO 3166-1 alpha-2, e.g. RU.")
        to = StayDateField(
            required=False,
            help_text="YYYY-MM-DD, the last day of the period (included); the counts are on this day. Default: "
            "today by the calendar of the country you are in.",
        )

        def validate(self, attrs):
            start, end = attrs.get("from"), attrs.get("to")
            if start and end and start > end:
                raise serializers.ValidationError({"from": [_("The period cannot start after it ends.")]})
            return attrs

    # ``from`` is a Python keyword: declared after the class.
    QuerySerializer._declared_fields["from"] = StayDateField(
        required=False,
        help_text="YYYY-MM-DD, the first day of the period (included). Default: a year back (364 days before `to`).",
    )

    @extend_schema_serializer(component_name="StayRecord")
    class OutputSerializer(serializers.Serializer):
        """The stay record."""

        country = serializers.CharField()
        to = serializers.DateField()
        generated_at = serializers.DateTimeField()
        time_zone = serializers.CharField(help_text="The IANA zone of the country's side of your last crossing.")
        driver = RecordDriverSerializer()
        stays = RecordStaySerializer(many=True, help_text="Stays that reach into the period, in order.")
        events = RecordEventSerializer(many=True, help_text="Entries and exits dated in the period, in order.")
        not_counted = RecordNotCountedSerializer(
            many=True, help_text="Recorded events the history cannot place (they count nowhere): correct them."
        )
        days_in_period = serializers.IntegerField(help_text="Days in the country between `from` and `to`.")
        rule = RecordRuleSerializer(allow_null=True, help_text="The rule in force on `to`; null when none applies.")
        regimes = RecordRegimeSerializer(many=True, help_text="Your regimes in force on `to`.")
        status = RecordStatusSerializer(
            help_text="The stay status on `to`, exactly as GET /api/v1/stays?on=`to` gives it (the exit plan only "
            "when `to` is today)."
        )

    OutputSerializer._declared_fields["from"] = serializers.DateField()

    @extend_schema(
        operation_id="stays_record",
        summary="Your stay record of a country: entries, exits, who recorded them, the day counts",
        description=(
            "For showing to the authorities or to your carrier (e.g. to ask to be taken off a registry you were "
            "put on by mistake). Lists the stays that reach into the period with their entry and exit: the day, "
            "the crossing, the source (your crossing report, you, or your dispatcher) and when it was recorded; "
            "the rule applied; the days of each stay and in the period; and the status on `to` (days used in the "
            "window, days left, latest exit, overstay) from the same assessment as GET /api/v1/stays. "
            "`Accept: application/pdf` gives the same record as a PDF in the language of Accept-Language (else "
            "your profile's language); any other Accept but JSON is answered 406."
        ),
        parameters=[QuerySerializer],
        responses={
            (200, "application/json"): OutputSerializer,
            (200, PDF): OpenApiResponse(response=OpenApiTypes.BINARY, description="The record as a PDF."),
            400: VALIDATION,
            401: UNAUTHENTICATED,
            406: NOT_ACCEPTABLE,
        },
    )
    def get(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        now = timezone.now()
        driver = request.user.driver
        period_from, period_to, today = selectors.stay_record_period(
            driver=driver, at=now, period_from=data.get("from"), period_to=data.get("to")
        )
        result = selectors.stay_record_get(
            driver=driver, country=data["country"], period_from=period_from, period_to=period_to, at=now
        )
        language = _reader_language(request)
        if request.accepted_renderer.format == "pdf":
            with translation.override(language):
                content = stay_record_pdf(result)
            response = HttpResponse(content, content_type=PDF)
            response["Content-Disposition"] = (
                f'inline; filename="stay-record-{result.country}-{result.period_from}-{result.period_to}.pdf"'
            )
            response["Vary"] = "Accept, Accept-Language"
            return response
        body = record_dict(result, language=language)
        if period_to == today:
            # The exit plan is made of live forecasts: it belongs to today's status only.
            plans = stay_exit_plans_get(status=StayStatus(on=period_to, countries=(result.status,)), now=now)
            if result.country in plans:
                body["status"]["exit_plan"] = [exit_plan_as_dict(item) for item in plans[result.country]]
        response = Response(body)
        response["Vary"] = "Accept, Accept-Language"
        return response


def _reader_language(request) -> str:
    """The language of Accept-Language (en, ru, kk), else the driver's own."""
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return (translation.get_language() or "en")[:2]
    return request.user.driver.language or "ru"
