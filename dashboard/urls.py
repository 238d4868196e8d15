"""The dashboard under /dashboard/: the shell's pages and each app's screens."""

from django.urls import include, path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("branding/", views.branding, name="branding"),
    path("settings/", views.business_settings, name="settings"),
    path("team/", views.team, name="team"),
    path("team/<int:membership_id>/deactivate/", views.team_deactivate, name="team_deactivate"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("audit/", views.audit_log, name="audit_log"),
    path("branding/preview/", views.branding_preview, name="branding_preview"),
    path("branding/preview/logo/", views.branding_preview_logo, name="branding_preview_logo"),
    path("metrics/", views.metrics, name="metrics"),
    path("metrics.csv", views.metrics_csv, name="metrics_csv"),
    path("", include("orders.dashboard")),
    path("", include("notifications.dashboard")),
    path("", include("tracking.dashboard")),
]
