"""Dashboard URLs of the data-rights screen, under /dashboard/privacy/."""

from django.urls import path

from orders import privacy_dashboard

app_name = "privacy"

urlpatterns = [
    path("", privacy_dashboard.customer_data, name="customer-data"),
    path(
        "customers/<int:customer_id>/export/",
        privacy_dashboard.customer_export,
        name="customer-export",
    ),
    path(
        "customers/<int:customer_id>/erase/",
        privacy_dashboard.customer_erase,
        name="customer-erase",
    ),
]
