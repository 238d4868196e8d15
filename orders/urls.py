from django.urls import path

from orders import api, privacy_api

app_name = "orders_api"

urlpatterns = [
    path("orders/", api.OrderListCreateApi.as_view(), name="order-list"),
    path("orders/batch/", api.OrderBatchApi.as_view(), name="order-batch"),
    path("orders/<int:order_id>/", api.OrderDetailApi.as_view(), name="order-detail"),
    path(
        "orders/<int:order_id>/shipments/", api.ShipmentCreateApi.as_view(), name="shipment-create"
    ),
    path(
        "shipments/<int:shipment_id>/events/",
        api.ShipmentEventCreateApi.as_view(),
        name="shipment-event-create",
    ),
    # Data rights (orders/privacy.py).
    path("customers/lookup/", privacy_api.CustomerLookupApi.as_view(), name="customer-lookup"),
    path(
        "customers/erase/",
        privacy_api.CustomerEraseByContactApi.as_view(),
        name="customer-erase-by-contact",
    ),
    path(
        "customers/<int:customer_id>/export/",
        privacy_api.CustomerExportApi.as_view(),
        name="customer-export",
    ),
    path(
        "customers/<int:customer_id>/erase/",
        privacy_api.CustomerEraseApi.as_view(),
        name="customer-erase",
    ),
]
