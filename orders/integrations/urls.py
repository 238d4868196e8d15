"""Webhook URLs of the shop platforms, one per merchant and platform."""

from django.urls import path

from orders.integrations import webhooks

app_name = "integrations"

urlpatterns = [
    path("shopify/<slug:merchant_slug>/", webhooks.shopify_webhook, name="shopify-webhook"),
    path(
        "woocommerce/<slug:merchant_slug>/",
        webhooks.woocommerce_webhook,
        name="woocommerce-webhook",
    ),
]
