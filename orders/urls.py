from django.urls import path

from orders import api

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
]
