from django.urls import path

from stays.api import mobile, record

urlpatterns = [
    path("stays", mobile.StayStatusApi.as_view(), name="stays-status"),
    path("stays/events", mobile.StayEventListApi.as_view(), name="stays-events"),
    path("stays/events/<uuid:event_id>", mobile.StayEventDetailApi.as_view(), name="stays-event"),
    path("stays/plan", mobile.StayPlanApi.as_view(), name="stays-plan"),
    path("stays/record", record.StayRecordApi.as_view(), name="stays-record"),
]
