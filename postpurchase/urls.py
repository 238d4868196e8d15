"""Root URLs. Each app contributes its own: API under /api/v1/, pages elsewhere."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve as static_serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    # A bare visit to the site is a merchant looking for the dashboard (sign-in if needed).
    path("", RedirectView.as_view(pattern_name="dashboard:home"), name="root"),
    path("healthz", healthz, name="healthz"),
    # The public tracking page is the busiest URL: resolved first (no other prefix is t/).
    path("t/", include("tracking.urls")),
    # The demo catalogue's pictures, drawn on request (demo/images.py).
    path("demo/", include("demo.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from ?script (a same-origin file),
    # so the docs work under our CSP without an inline script or a nonce.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("orders.urls")),
    path("n/", include("notifications.urls")),
    path("integrations/", include("orders.integrations.urls")),
    path("dashboard/", include("orders.integrations.dashboard_urls")),
    path("dashboard/", include("tracking.carriers.dashboard_urls")),
    path("dashboard/", include("tracking.delivery.dashboard_urls")),
    path("dashboard/webhooks/", include("notifications.webhooks_out.urls")),
    path("api/v1/", include("followups.api_urls")),
    path("calls/", include("followups.urls")),
    path("dashboard/privacy/", include("orders.privacy_urls")),
    path("platform-admin/", admin.site.urls),
    path("", include("dashboard.auth_views")),
    path("dashboard/", include("dashboard.urls")),
]

# Branded, translated error pages (postpurchase/error_views.py); only used when DEBUG is off.
handler400 = "postpurchase.error_views.bad_request"
handler403 = "postpurchase.error_views.permission_denied"
handler404 = "postpurchase.error_views.page_not_found"
handler500 = "postpurchase.error_views.server_error"

# Logos are public (tracking pages, emails) and tiny; served by Django so a deploy needs
# no extra file server. Nothing else under media/ is served outside DEBUG.
urlpatterns.append(
    re_path(
        r"^media/(?P<path>logos/[^/]+)$",
        static_serve,
        {"document_root": settings.MEDIA_ROOT},
        name="merchant-logo",
    )
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
