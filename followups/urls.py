"""Pages of the call queue under /calls/, and the ambassador's signed-link pages."""

from django.urls import path

from followups import views

app_name = "followups"

urlpatterns = [
    path("", views.call_queue, name="queue"),
    path("settings/", views.call_settings, name="settings"),
    path("<int:call_id>/outcome/", views.call_outcome, name="outcome"),
    path("<int:call_id>/reassign/", views.call_reassign, name="reassign"),
    path("<int:call_id>/snooze/", views.call_snooze, name="snooze"),
    path("<int:call_id>/dial/", views.call_dial, name="dial"),
    path("twilio/<str:code>/", views.twilio_status, name="twilio-status"),
    path("endorse/<str:token>/", views.endorse, name="endorse"),
    path("ambassador/opt-out/<str:token>/", views.ambassador_opt_out, name="ambassador-opt-out"),
]
