"""Admin for partner keys, alert subscriptions and deliveries: superusers only (dispatchers never see them).

A new key is shown once, in the confirmation message, and only its hash is stored. Subscriptions paused after
repeated delivery failures are resumed here; the delivery log shows every attempt.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework_api_key.models import APIKey

from carriers.admin_tenancy import SuperuserOnlyAdmin
from queues.models import AlertDelivery, AlertSubscription, PartnerKey
from queues.services import alerts
from queues.services.partner_keys import partner_key_issue, partner_key_revoke


@admin.register(PartnerKey)
class PartnerKeyAdmin(SuperuserOnlyAdmin):
    list_display = ("prefix", "firm", "name", "created", "last_used_at", "expiry_date", "revoked")
    list_filter = ("revoked", "created")
    search_fields = ("firm", "name", "prefix")
    fields = ("firm", "name", "expiry_date", "revoked", "prefix", "created", "last_used_at")
    readonly_fields = ("prefix", "created", "last_used_at")
    actions = ["revoke_keys"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None and obj.revoked:
            fields += ["firm", "name", "expiry_date", "revoked"]  # a revoked key cannot come back
        return fields

    def get_changeform_initial_data(self, request):
        return {"name": ""}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "name" in form.base_fields:
            form.base_fields["name"].required = False
            form.base_fields["name"].help_text = _("A label for the key; defaults to the firm.")
        return form

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        raw_key = partner_key_issue(key=obj)
        messages.warning(
            request,
            format_html(
                "{} <code>{}</code>",
                _("The new API key (copy it now: it is never shown again):"),
                raw_key,
            ),
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke_keys(self, request, queryset):
        count = 0
        for key in queryset.filter(revoked=False):
            partner_key_revoke(key=key)
            count += 1
        self.message_user(request, ngettext("%d key revoked.", "%d keys revoked.", count) % count)


class AlertDeliveryInline(admin.TabularInline):
    model = AlertDelivery
    extra = 0
    can_delete = False
    max_num = 0
    fields = ("created_at", "status", "attempts", "last_status_code", "last_error", "next_attempt_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(SuperuserOnlyAdmin):
    list_display = (
        "id",
        "key",
        "queue",
        "above_minutes",
        "url",
        "active",
        "paused_at",
        "consecutive_failures",
        "deleted_at",
    )
    list_filter = ("active", ("paused_at", admin.EmptyFieldListFilter), ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("url", "key__firm", "key__prefix", "queue__crossing__slug")
    list_select_related = ("key", "queue__crossing")
    readonly_fields = (
        "id",
        "key",
        "queue",
        "url",
        "above",
        "active",
        "paused_at",
        "consecutive_failures",
        "created_at",
        "deleted_at",
    )
    exclude = ("secret",)  # the signing secret was shown to the partner once; it stays out of the admin
    inlines = [AlertDeliveryInline]
    actions = ["resume", "pause"]

    def has_add_permission(self, request):
        return False  # partners create alerts through the API, with their own key

    @admin.action(description=_("Resume the selected alerts"))
    def resume(self, request, queryset):
        count = 0
        for subscription in queryset.filter(deleted_at__isnull=True):
            alerts.alert_subscription_resume(subscription=subscription)
            count += 1
        self.message_user(request, ngettext("%d alert resumed.", "%d alerts resumed.", count) % count)

    @admin.action(description=_("Pause the selected alerts"))
    def pause(self, request, queryset):
        count = 0
        for subscription in queryset.filter(deleted_at__isnull=True, active=True):
            alerts.alert_subscription_pause(subscription=subscription, as_of=timezone.now())
            count += 1
        self.message_user(request, ngettext("%d alert paused.", "%d alerts paused.", count) % count)


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(SuperuserOnlyAdmin):
    list_display = ("id", "subscription", "status", "attempts", "last_status_code", "next_attempt_at", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("id", "subscription__url", "subscription__key__firm")
    list_select_related = ("subscription",)
    fields = (
        "id",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "payload_pretty",
        "attempt_log_pretty",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    @admin.display(description=_("attempts log"))
    def attempt_log_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.attempt_log, indent=2, ensure_ascii=False))


# The library's own APIKey model is not used (partner keys are PartnerKey); keep its admin out of the way.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)
