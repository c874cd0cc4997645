"""The partner API: its own NinjaAPI instance with its key auth, throttle, version, namespace and problem+json
error envelope (``core.errors``), and its operations (``queues.api.partner``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, Throttled

from core.errors import ninja_handlers_register, problem_not_allowed
from core.openapi import ninja_problem_responses
from queues.api import partner_auth
from queues.api.fast import partner_crossing_read
from queues.api.partner import (
    ESTIMATE_URL_NAME,
    LIST_URL_NAME,
    PATTERN_MESSAGES,
    answer_cache_keys,
    read_headers,
    router,
)

# The operations (by URL name) whose answers are stored ready to send: served before ninja runs when they can be.
FAST_READS = {LIST_URL_NAME, ESTIMATE_URL_NAME}


class PartnerNinjaAPI(NinjaAPI):
    """Documents the problem+json answers every operation can give, and renders 405 in the envelope."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        common = {
            "401": _("Missing, unknown, revoked or expired API key (`not_authenticated`)."),
            "429": _("Too many requests for this key (`throttled`); see the Retry-After header."),
            "500": _("Unexpected error (`server_error`); it has been logged."),
        }
        return ninja_problem_responses(schema, common=common)

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            if pattern.name in FAST_READS:
                pattern.callback = partner_crossing_read(
                    pattern.callback, answer_keys=answer_cache_keys, headers=read_headers
                )
            pattern.callback = problem_not_allowed(pattern.callback)
        return patterns


DESCRIPTION = gettext_lazy(
    "Border wait estimates for logistics firms: the crossings of the China–Kazakhstan–Russia corridor with their "
    "current estimates, one queue's estimate, its history, and webhook alerts when a wait crosses a threshold. "
    "Aggregates only; never a driver's data.\n\n"
    "**Auth**: header `X-API-Key: <key>` (issued by Kezek; shown once). **Throttle**: per key; 429 with "
    "`Retry-After`. **Errors**: `application/problem+json` `{status, code, detail, errors?}`. **Caching**: reads "
    "carry `ETag` and `Cache-Control`; send `If-None-Match` to get 304 when nothing changed. **Timestamps**: "
    "ISO 8601 in UTC (`Z`). **Webhooks**: signed, see the integration guide (docs/partner-api.md)."
)

partner_api = PartnerNinjaAPI(
    title="Kezek partner API",
    version="1.0.0",
    urls_namespace="partner",
    description=str(DESCRIPTION),
    docs_url="/docs",
    # Swagger UI from ninja's own static files (pinned by the package); no badge from swagger.io's validator: the
    # docs page loads nothing from another origin (core.middleware.DOCS_CONTENT_SECURITY_POLICY).
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
    auth=partner_auth.PartnerKeyAuth(answer_cache_keys=answer_cache_keys),
    throttle=[partner_auth.PartnerKeyThrottle()],
)
ninja_handlers_register(partner_api, pattern_messages=PATTERN_MESSAGES)
partner_api.add_exception_handler(AuthenticationError, partner_auth.authentication_failed)
partner_api.add_exception_handler(Throttled, partner_auth.throttled)
partner_api.add_router("", router)
