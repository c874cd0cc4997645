from django.urls import path

from queues.api.fast import driver_crossing_read
from queues.api.mobile import (
    READ_HEADERS,
    CrossingDetailApi,
    CrossingListApi,
    ForecastApi,
    ReportBatchApi,
    RouteListApi,
    VisitListApi,
)

# The crossing reads are served from their stored answers before DRF runs when the cache vouches for the token.
crossing_list_view = driver_crossing_read(CrossingListApi.as_view(), kind="mobile-list", headers=READ_HEADERS)
crossing_detail_view = driver_crossing_read(CrossingDetailApi.as_view(), kind="mobile-crossing", headers=READ_HEADERS)

urlpatterns = [
    path("crossings", crossing_list_view, name="crossing-list"),
    path("crossings/<slug:slug>", crossing_detail_view, name="crossing-detail"),
    path("crossings/<slug:slug>/forecast", ForecastApi.as_view(), name="crossing-forecast"),
    path("routes", RouteListApi.as_view(), name="route-list"),
    path("reports", ReportBatchApi.as_view(), name="report-batch"),
    path("visits", VisitListApi.as_view(), name="visit-list"),
]
