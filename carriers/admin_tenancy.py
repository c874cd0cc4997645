"""The carrier boundary in the admin.

A dispatcher is a staff user (not a superuser) with a ``Dispatcher`` row naming their carrier. Every model
admin that dispatchers use derives from :class:`CarrierScopedAdmin`: its queryset is cut to the dispatcher's
carrier (so another carrier's object opened by URL is "not found"), foreign-key choices are cut the same way,
and what a dispatcher may do is declared per admin (``dispatcher_permissions``), not granted through Django's
permission tables, so a dispatcher cannot give themselves more. Superusers see everything.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet

from carriers.models import Carrier, Driver


def dispatcher_carrier_id(user) -> int | None:
    """The carrier a staff user works for; ``None`` for a superuser (no boundary) or a non-dispatcher."""
    if not user.is_active or not user.is_staff or user.is_superuser:
        return None
    dispatcher = getattr(user, "dispatcher", None)
    return dispatcher.carrier_id if dispatcher is not None else None


def is_dispatcher(user) -> bool:
    return bool(user.is_active and user.is_staff and not user.is_superuser and hasattr(user, "dispatcher"))


def scope_to_carrier(queryset: QuerySet, user, carrier_path: str) -> QuerySet:
    """``queryset`` cut to what ``user`` may see; ``carrier_path`` leads from the model to its Carrier's id."""
    if user.is_superuser:
        return queryset
    carrier_id = dispatcher_carrier_id(user)
    if carrier_id is None:
        return queryset.none()
    return queryset.filter(**{carrier_path: carrier_id})


class CarrierScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin that dispatchers may use within their own carrier.

    ``carrier_path``: lookup from this model to the carrier id (``"carrier_id"``, ``"driver__carrier_id"``).
    ``dispatcher_permissions``: what a dispatcher may do here, a subset of {"view", "add", "change", "delete"}.
    """

    carrier_path: str = "carrier_id"
    dispatcher_permissions: frozenset[str] = frozenset({"view"})

    def get_queryset(self, request):
        return scope_to_carrier(super().get_queryset(request), request.user, self.carrier_path)

    def _dispatcher_may(self, request, action: str) -> bool:
        return is_dispatcher(request.user) and action in self.dispatcher_permissions

    def has_module_permission(self, request):
        return super().has_module_permission(request) or is_dispatcher(request.user)

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        return self._dispatcher_may(request, "view") or self._dispatcher_may(request, "change")

    def has_add_permission(self, request):
        return request.user.is_superuser or self._dispatcher_may(request, "add")

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or self._dispatcher_may(request, "change")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser or self._dispatcher_may(request, "delete")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            carrier_id = dispatcher_carrier_id(request.user)
            if db_field.related_model is Driver:
                kwargs["queryset"] = Driver.objects.filter(carrier_id=carrier_id)
            elif db_field.related_model is Carrier:
                kwargs["queryset"] = Carrier.objects.filter(pk=carrier_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CarrierScopedInline(admin.TabularInline):
    """An inline under a carrier-scoped admin; the parent's scoping already guards the object."""

    dispatcher_permissions: frozenset[str] = frozenset({"view"})
    extra = 0

    def _dispatcher_may(self, request, action: str) -> bool:
        return is_dispatcher(request.user) and action in self.dispatcher_permissions

    def has_view_permission(self, request, obj=None):
        return (
            request.user.is_superuser
            or self._dispatcher_may(request, "view")
            or self._dispatcher_may(request, "change")
        )

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser or self._dispatcher_may(request, "add")

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or self._dispatcher_may(request, "change")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser or self._dispatcher_may(request, "delete")


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Operators' tools: nobody but an active superuser reaches them, whatever permissions a staff user holds."""

    def _operator(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._operator(request)

    def has_view_permission(self, request, obj=None):
        return self._operator(request)

    def has_add_permission(self, request):
        return self._operator(request)

    def has_change_permission(self, request, obj=None):
        return self._operator(request)

    def has_delete_permission(self, request, obj=None):
        return self._operator(request)
