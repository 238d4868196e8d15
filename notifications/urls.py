"""Notification URLs: unsubscribe page and provider callbacks."""

from django.urls import include, path

from notifications import views, webhooks

app_name = "notifications"

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("webhooks/twilio/status/<str:code>/", webhooks.twilio_status, name="twilio-status"),
    path("webhooks/twilio/inbound/", webhooks.twilio_inbound, name="twilio-inbound"),
    path("webhooks/anymail/", include("anymail.urls")),
]
