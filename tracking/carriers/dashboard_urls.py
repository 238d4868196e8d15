"""Dashboard URLs of carrier accounts, included under /dashboard/."""

from django.urls import path

from tracking.carriers import dashboard

app_name = "carriers-dashboard"

urlpatterns = [
    path("carriers/", dashboard.carrier_accounts, name="accounts"),
    path(
        "carriers/<int:account_id>/remove/",
        dashboard.carrier_account_delete,
        name="account-remove",
    ),
]
