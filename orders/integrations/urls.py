"""Webhook URLs of the shop platforms and carrier feeds, one per merchant and platform."""

from django.urls import path

from orders.integrations import webhooks
from tracking.carriers.webhooks import easypost_webhook

app_name = "integrations"

urlpatterns = [
    path("shopify/<slug:merchant_slug>/", webhooks.shopify_webhook, name="shopify-webhook"),
    path(
        "woocommerce/<slug:merchant_slug>/",
        webhooks.woocommerce_webhook,
        name="woocommerce-webhook",
    ),
    # Carrier feeds live in tracking.carriers; their URLs sit beside the shops' for one scheme.
    path("easypost/<slug:merchant_slug>/", easypost_webhook, name="easypost-webhook"),
]
