from django.urls import path

from queues.api.mobile import CrossingDetailApi, CrossingListApi, ReportBatchApi, VisitListApi

urlpatterns = [
    path("crossings", CrossingListApi.as_view(), name="crossing-list"),
    path("crossings/<slug:slug>", CrossingDetailApi.as_view(), name="crossing-detail"),
    path("reports", ReportBatchApi.as_view(), name="report-batch"),
    path("visits", VisitListApi.as_view(), name="visit-list"),
]
