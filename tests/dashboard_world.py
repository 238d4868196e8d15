"""A merchant with real activity, for dashboard tests: orders through the API services.

Alice (owner) and Anders (account manager) run Nordic Living (A); Bob owns
Bergmann Möbel (B). `a_order` is Anna Holm's sofa order with a shipment in transit.
"""

from django.utils.dateparse import parse_datetime

from orders.serializers import OrderInput
from orders.services import order_upsert, shipment_create, shipment_event_record
from tests.conftest import make_payload


def place_order(merchant, external_id: str, **overrides):
    payload = make_payload(external_id, **overrides)
    data = OrderInput(data=payload)
    data.is_valid(raise_exception=True)
    return order_upsert(merchant=merchant, data=data.validated_data).order


def ship(merchant, order, *statuses: str, start="2026-11-21T08:00:00Z"):
    shipment = shipment_create(
        merchant=merchant, order=order, data={"carrier": "gls", "tracking_number": "GLS123"}
    )
    begin = parse_datetime(start)
    import datetime as dt

    for index, status in enumerate(statuses):
        shipment_event_record(
            merchant=merchant,
            shipment=shipment,
            data={"status": status, "occurred_at": begin + dt.timedelta(hours=6 * index)},
        )
    return shipment


# Dashboard pages only owners and admins may use; each shows merchant data.
SETTINGS_PAGES = [
    "dashboard:branding",
    "dashboard:branding_preview",
    "dashboard:settings",
    "dashboard:team",
    "dashboard:api_keys",
    "dashboard:audit_log",
    "dashboard:metrics",
    "dashboard:metrics_csv",
    "dashboard:products",
    "dashboard:product_add",
    "dashboard:product_import",
    "dashboard:product_export",
    "dashboard:benefits",
    "dashboard:benefit_add",
    "dashboard:testimonials",
    "dashboard:testimonial_add",
    "dashboard:message_templates",
    "dashboard:message_template_add",
    "dashboard:notification_settings",
    "dashboard:crosssell_rules",
    "dashboard:crosssell_rule_add",
]
