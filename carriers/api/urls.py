from django.urls import path

from carriers.api import mobile

urlpatterns: list = [
    path("auth/otp", mobile.OtpRequestApi.as_view(), name="auth-otp"),
    path("auth/token", mobile.TokenCreateApi.as_view(), name="auth-token"),
    path("auth/logout", mobile.LogoutApi.as_view(), name="auth-logout"),
    path("me", mobile.MeApi.as_view(), name="me"),
    path("me/carrier", mobile.MeCarrierApi.as_view(), name="me-carrier"),
    path("notifications", mobile.NotificationListApi.as_view(), name="notifications"),
    path("notifications/<int:notification_id>/read", mobile.NotificationReadApi.as_view(), name="notification-read"),
    path("me/devices", mobile.DeviceListApi.as_view(), name="me-devices"),
    path("me/devices/<int:device_id>", mobile.DeviceDetailApi.as_view(), name="me-device"),
]
