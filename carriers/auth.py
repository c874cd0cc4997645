"""Driver authentication: knox tokens (hashed, per device, expiring, revocable) for users with a driver."""

from knox.auth import TokenAuthentication
from rest_framework.permissions import BasePermission


class DriverTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``."""


class IsDriver(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and hasattr(user, "driver"))
