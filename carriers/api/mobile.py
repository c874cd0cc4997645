"""Driver API: phone sign-in, logout, the driver's profile and carrier membership."""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from carriers import domain, selectors, services
from carriers.api.schema import THROTTLED, UNAUTHENTICATED, VALIDATION, problem
from carriers.api.throttles import OtpIpThrottle, OtpPhoneThrottle, TokenIpThrottle
from carriers.models import Driver, Language
from core.openapi import CURSOR_PARAMETERS, page_of
from core.pagination import CursorPagination
from stays.notices import notice_texts


class PhoneField(serializers.CharField):
    """An international phone number, answered in E.164."""

    default_error_messages = {"invalid_phone": _("Enter a phone number in international format, e.g. +77011234567.")}

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return domain.phone_normalize(text)
        except domain.InvalidPhone:
            self.fail("invalid_phone")


def _client_language(request) -> str | None:
    """The language the app asked for in Accept-Language (en, ru, kk), or None when it named none."""
    if not request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return None
    return get_language()


class CarrierRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="Me")
class MeOutputSerializer(serializers.Serializer):
    """``<me>``: the signed-in driver."""

    id = serializers.IntegerField()
    phone = serializers.CharField()
    name = serializers.CharField()
    citizenship = serializers.CharField(allow_null=True, help_text="ISO 3166-1 alpha-2, or null when not set.")
    language = serializers.ChoiceField(choices=Language.choices)
    vehicle_plate = serializers.CharField()
    carrier = CarrierRefSerializer(allow_null=True)

    def to_representation(self, driver: Driver) -> dict:
        carrier = driver.carrier
        return {
            "id": driver.pk,
            "phone": str(driver.phone),
            "name": driver.name,
            "citizenship": driver.citizenship.code or None,
            "language": driver.language,
            "vehicle_plate": driver.vehicle_plate,
            "carrier": {"id": carrier.pk, "name": carrier.name} if carrier is not None else None,
        }


class OtpRequestApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [OtpIpThrottle, OtpPhoneThrottle]

    @extend_schema_serializer(component_name="OtpRequestInput")
    class InputSerializer(serializers.Serializer):
        phone = PhoneField(max_length=32, help_text="E.164, e.g. +77011234567.")

    @extend_schema_serializer(component_name="OtpRequestOutput")
    class OutputSerializer(serializers.Serializer):
        expires_in = serializers.IntegerField(help_text="Seconds until the code expires.")

    @extend_schema(
        operation_id="auth_otp_request",
        summary="Send a sign-in code by SMS",
        description=(
            "Sends a 6-digit one-time code to the phone, in the driver's language (for a new phone: the "
            "Accept-Language of the request). Codes sent earlier stay valid until they expire or one of them is "
            "used. Throttled per phone number and client address together and per client address (429 "
            "`throttled` with Retry-After); codes to one phone are also spaced by a gap that doubles with each "
            "code (30 s, 1 min, 2 min, ... at most 15 min), answered the same way."
        ),
        tags=["auth"],
        request=InputSerializer,
        responses={
            202: OutputSerializer,
            400: VALIDATION,
            429: THROTTLED,
            503: problem("sms_unavailable: the SMS could not be sent."),
        },
        examples=[OpenApiExample("phone", value={"phone": "+77011234567"}, request_only=True)],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.otp_request(
            phone=serializer.validated_data["phone"], as_of=timezone.now(), language=_client_language(request)
        )
        return Response(self.OutputSerializer({"expires_in": result.expires_in}).data, status=status.HTTP_202_ACCEPTED)


class TokenCreateApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenIpThrottle]

    @extend_schema_serializer(component_name="TokenCreateInput")
    class InputSerializer(serializers.Serializer):
        phone = PhoneField(max_length=32)
        code = serializers.CharField(max_length=16, help_text="The 6-digit code from the SMS.")
        device = serializers.CharField(max_length=200, help_text="A name for this device, shown in the admin.")

    @extend_schema_serializer(component_name="TokenCreateOutput")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send as `Authorization: Token <token>`; 30 days, renewed on use.")
        driver = MeOutputSerializer()

    @extend_schema(
        operation_id="auth_token_create",
        summary="Exchange a code for a device token",
        description=(
            "Signs the device in with the code from the SMS; the first sign-in creates the driver, speaking "
            "the request's Accept-Language (en, ru or kk), else the language its sign-in SMS was written in. "
            "A code works once and dies after 5 wrong tries. A wrong, expired or used code, and a phone that "
            "never asked for one, all answer 400 `invalid_code`."
        ),
        tags=["auth"],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            400: problem("invalid_code or validation_error."),
            429: THROTTLED,
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, driver = services.otp_verify_and_sign_in(
            **serializer.validated_data, as_of=timezone.now(), language=_client_language(request)
        )
        driver = selectors.driver_get_for_user(user=driver.user)
        return Response(self.OutputSerializer({"token": token, "driver": driver}).data, status=status.HTTP_201_CREATED)


class LogoutApi(APIView):
    @extend_schema(
        operation_id="auth_logout",
        summary="Sign this device out",
        description="The calling token stops working at once; the driver's other devices stay signed in.",
        tags=["auth"],
        request=None,
        responses={204: None, 401: UNAUTHENTICATED},
    )
    def post(self, request):
        services.device_sign_out(auth_token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema_serializer(component_name="MeUpdateInput")
    class InputSerializer(serializers.Serializer):
        """Only these fields can be changed; ``id``, ``phone`` and ``carrier`` are read-only and ignored if sent."""

        name = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=True)
        citizenship = serializers.CharField(
            max_length=2, allow_blank=True, help_text="ISO 3166-1 alpha-2 (KZ, RU, CN, KG, UZ, ...); empty to clear."
        )
        language = serializers.ChoiceField(choices=Language.choices)
        vehicle_plate = serializers.CharField(max_length=20, allow_blank=True, trim_whitespace=True)

        def validate_citizenship(self, value: str) -> str:
            code = value.strip().upper()
            if code and countries.alpha2(code) != code:
                raise serializers.ValidationError(_("Enter an ISO 3166-1 alpha-2 country code, e.g. KZ."))
            return code

        def validate_vehicle_plate(self, value: str) -> str:
            return value.upper()

    @extend_schema(
        operation_id="me_get",
        summary="The signed-in driver",
        tags=["me"],
        responses={200: MeOutputSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request):
        return Response(MeOutputSerializer(selectors.driver_get_for_user(user=request.user)).data)

    @extend_schema(
        operation_id="me_update",
        summary="Update the driver's profile",
        description=(
            "Partial update of `name`, `citizenship`, `language` and `vehicle_plate`. "
            "`id`, `phone` and `carrier` are read-only: when sent they are ignored (join a carrier through "
            "POST /api/v1/me/carrier; a new phone means a new sign-in)."
        ),
        tags=["me"],
        request=InputSerializer,
        responses={200: MeOutputSerializer, 400: VALIDATION, 401: UNAUTHENTICATED},
    )
    def patch(self, request):
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        driver = selectors.driver_get_for_user(user=request.user)
        driver = services.driver_update(driver=driver, **serializer.validated_data)
        return Response(MeOutputSerializer(driver).data)


class MeCarrierApi(APIView):
    @extend_schema_serializer(component_name="MeCarrierJoinInput")
    class InputSerializer(serializers.Serializer):
        invite_code = serializers.CharField(max_length=32, help_text="The code the carrier's dispatcher gave out.")

    @extend_schema(
        operation_id="me_carrier_join",
        summary="Join a carrier",
        description=(
            "Joins the carrier that issued the invite code (leaving the current one, if any). Case, spaces and "
            "dashes in the code are ignored. An unknown code is 400 `invalid_invite_code`: the code is a field "
            "of the request, not a resource of the URL."
        ),
        tags=["me"],
        request=InputSerializer,
        responses={
            200: MeOutputSerializer,
            400: problem("invalid_invite_code or validation_error."),
            401: UNAUTHENTICATED,
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        driver = selectors.driver_get_for_user(user=request.user)
        driver = services.driver_join_carrier(driver=driver, invite_code=serializer.validated_data["invite_code"])
        return Response(MeOutputSerializer(driver).data)


@extend_schema_serializer(component_name="Notification")
class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="e.g. stay_risk.")
    level = serializers.CharField(help_text="For stay_risk: watch, high, overstay or listed.")
    title = serializers.CharField(help_text="In the reader's language (see the list).")
    body = serializers.CharField()
    data = serializers.DictField(help_text="The facts the notice is written from (per kind).")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    active = serializers.BooleanField(
        help_text="For stay_risk: true while your stay status still says so; false once resolved (then see "
        "`resolved_at` and `resolution`). Always true for other kinds."
    )
    resolved_at = serializers.DateTimeField(
        allow_null=True, help_text="When the alert was resolved; null while active."
    )
    resolution = serializers.SerializerMethodField(
        help_text="Why it was resolved: risk_lower (your risk fell below this level), "
        "stay_changed (that stay has ended or its record was corrected), "
        "no_status (no stay status for that country any more); null while active."
    )

    def get_resolution(self, notification) -> str | None:
        return notification.resolution or None

    def to_representation(self, instance):
        """Stay alerts and join-by reminders are written again from their ``data`` in the reader's language: the
        request's Accept-Language, else the driver's own; other kinds (and unreadable facts) as stored."""
        data = super().to_representation(instance)
        language = self.context.get("language")
        if language:
            with translation.override(language):
                texts = notice_texts(kind=instance.kind, data=instance.data)
            if texts is not None:
                data["title"], data["body"] = texts
        return data


def _reader_language(request) -> str:
    return _client_language(request) or request.user.driver.language or "ru"


class NotificationListApi(APIView):
    @extend_schema(
        operation_id="notifications_list",
        summary="The driver's notifications, newest first",
        description="Stay alerts (`stay_risk`) and join-by reminders (`join_by_reminder`) are written from their "
        "`data` in the language of Accept-Language, else the driver's `language`; other kinds are shown as written "
        "when they were created, in the driver's language then. Stay alerts say whether they still stand "
        "(`active`, `resolved_at`, `resolution`).",
        parameters=CURSOR_PARAMETERS,
        responses={200: page_of(NotificationOutputSerializer, "NotificationPage"), 401: UNAUTHENTICATED},
    )
    def get(self, request):
        paginator = CursorPagination()
        page = paginator.paginate_queryset(selectors.notification_list(driver=request.user.driver), request, view=self)
        context = {"language": _reader_language(request)}
        return paginator.get_paginated_response(NotificationOutputSerializer(page, many=True, context=context).data)


class NotificationReadApi(APIView):
    @extend_schema(
        operation_id="notifications_read",
        summary="Mark a notification read (an addition to the v1 contract)",
        request=None,
        responses={
            200: NotificationOutputSerializer,
            401: UNAUTHENTICATED,
            404: problem("not_found: no such object among the driver's own."),
        },
    )
    def post(self, request, notification_id):
        notification = services.notification_mark_read(
            driver=request.user.driver, notification_id=notification_id, as_of=timezone.now()
        )
        return Response(
            NotificationOutputSerializer(notification, context={"language": _reader_language(request)}).data
        )


@extend_schema_serializer(component_name="Device")
class DeviceOutputSerializer(serializers.Serializer):
    """One signed-in device of the driver."""

    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The name the app gave at sign-in.")
    created_at = serializers.DateTimeField(help_text="When the device signed in.")
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text="When its token was last used, to the hour (null: not recorded)."
    )
    current = serializers.BooleanField(help_text="True for the device making this request.")

    def to_representation(self, device) -> dict:
        return {
            "id": device.pk,
            "name": device.name,
            "created_at": serializers.DateTimeField().to_representation(device.created_at),
            "last_used_at": serializers.DateTimeField().to_representation(device.last_used_at)
            if device.last_used_at
            else None,
            "current": device.auth_token_id == self.context["auth_token_pk"],
        }


class DeviceListApi(APIView):
    @extend_schema(
        operation_id="me_devices_list",
        summary="The driver's signed-in devices (an addition to the v1 contract)",
        description=(
            "Every device with a live token, newest first. Signing in again with a device name already in the "
            "list replaces that device's token. At most 20 devices (the oldest is signed out beyond that)."
        ),
        tags=["me"],
        parameters=CURSOR_PARAMETERS,
        responses={
            200: page_of(DeviceOutputSerializer, "DevicePage"),
            401: UNAUTHENTICATED,
        },
    )
    def get(self, request):
        paginator = CursorPagination()
        page = paginator.paginate_queryset(selectors.device_list(driver=request.user.driver), request, view=self)
        data = DeviceOutputSerializer(page, many=True, context={"auth_token_pk": request.auth.pk}).data
        return paginator.get_paginated_response(data)


class DeviceDetailApi(APIView):
    @extend_schema(
        operation_id="me_devices_delete",
        summary="Sign a device out (an addition to the v1 contract)",
        description="Its token stops working at once. Another driver's device, or an unknown id, is 404.",
        tags=["me"],
        request=None,
        responses={204: None, 401: UNAUTHENTICATED, 404: problem("not_found: no such device of the driver's.")},
    )
    def delete(self, request, device_id: int):
        services.device_revoke(driver=request.user.driver, device_id=device_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
