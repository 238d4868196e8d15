"""Dashboard URLs of outgoing webhooks, included under /dashboard/webhooks/."""

from django.urls import path

from notifications.webhooks_out import views

app_name = "webhooks-out"

urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("<int:endpoint_id>/disable/", views.endpoint_disable, name="endpoint-disable"),
]
