"""The orders app's dashboard screens, included under /dashboard/ by the dashboard shell:
the orders list and page (order_pages), the catalogue and reassurance content
(catalogue), and the catalogue's CSV export and import (product_csv)."""

from django.urls import path

from orders.dashboard.catalogue import BENEFITS, PRODUCTS, TESTIMONIALS
from orders.dashboard.order_pages import order_detail, order_list, order_note, order_resend
from orders.dashboard.product_csv import product_export, product_import
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required

urlpatterns = [
    path("orders/", order_list, name="orders"),
    path("orders/<int:order_id>/", order_detail, name="order_detail"),
    path("orders/<int:order_id>/note/", order_note, name="order_note"),
    path("orders/<int:order_id>/resend/", order_resend, name="order_resend"),
    path("products/export.csv", product_export, name="product_export"),
    path("products/import/", product_import, name="product_import"),
    *PRODUCTS.urls("products", merchant_required(*SETTINGS_ROLES)),
    *BENEFITS.urls("benefits", merchant_required(*SETTINGS_ROLES)),
    *TESTIMONIALS.urls("testimonials", merchant_required(*SETTINGS_ROLES)),
]
