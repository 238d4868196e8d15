"""API routes of the call queue, under /api/v1/."""

from django.urls import path

from followups import api

app_name = "followups_api"

urlpatterns = [
    path("calls/", api.CallListApi.as_view(), name="call-list"),
    path("calls/<int:call_id>/outcome/", api.CallOutcomeApi.as_view(), name="call-outcome"),
]
