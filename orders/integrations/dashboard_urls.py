"""Dashboard URLs of the integrations, included under /dashboard/."""

from django.urls import path

from orders.integrations import dashboard

app_name = "integrations-dashboard"

urlpatterns = [
    path("import/", dashboard.import_upload, name="import"),
    path("import/<int:import_id>/", dashboard.import_preview, name="import-preview"),
    path("integrations/", dashboard.connections, name="connections"),
]
