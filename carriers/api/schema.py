"""OpenAPI pieces shared by the driver API's views: the problem+json error body."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers


@extend_schema_serializer(component_name="Problem")
class ProblemSerializer(serializers.Serializer):
    """``application/problem+json``: every error of the API has this shape."""

    status = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable machine word, e.g. validation_error, not_authenticated, throttled.")
    detail = serializers.CharField(help_text="Human text in the language of Accept-Language (en, ru, kk).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per field messages (validation_error only).",
    )


def problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ProblemSerializer, description=description)


UNAUTHENTICATED = problem("not_authenticated: missing, expired or revoked token.")
THROTTLED = problem("throttled: too many requests; the Retry-After header says when to try again.")
VALIDATION = problem("validation_error: see `errors` for the fields.")


class DriverTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <token>`` (knox: per device, hashed, 30 days renewed on use, revocable)."""

    target_class = "carriers.auth.DriverTokenAuthentication"
    name = "driverToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` from POST /api/v1/auth/token.",
        }
