"""Dashboard URLs of failed-delivery answers, included under /dashboard/."""

from django.urls import path

from tracking.delivery import dashboard

app_name = "deliveries-dashboard"

urlpatterns = [path("deliveries/", dashboard.delivery_instructions, name="list")]
