"""Shop and carrier connections, raw webhook deliveries, and what we applied from them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from orders.integrations import secretbox
from postpurchase.tenancy import TenantModel


class Platform(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    EASYPOST = "easypost", "EasyPost"


class Integration(secretbox.EncryptedSecret, TenantModel):
    """A merchant's connection to one platform, with the secret that signs its webhooks."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    # Encrypted, never hashed: verifying an HMAC needs the secret itself.
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "platform"], name="uniq_integration_per_platform"
            )
        ]

    def __str__(self):
        return f"{self.get_platform_display()} for merchant {self.merchant_id}"

    def __repr__(self):
        # Keep the secret out of tracebacks and debug pages.
        return f"<Integration {self.pk} {self.platform} merchant={self.merchant_id}>"


class InboundDelivery(TenantModel):
    """One verified webhook delivery, stored raw before anything is applied.

    The request only verifies and stores; a task applies it after commit, and the
    beat dispatcher picks up whatever the broker lost or a failure postponed.
    """

    class Status(models.TextChoices):
        # Labels match the values' default ones, so no migration; translated for the screens.
        PENDING = "pending", pgettext_lazy("delivery status", "Pending")  # to apply at due_at
        # A fulfillment whose order has not arrived yet.
        WAITING = "waiting", pgettext_lazy("delivery status", "Waiting")
        DONE = "done", pgettext_lazy("delivery status", "Done")
        # Verified but nothing to do (ping, unknown topic, stale).
        IGNORED = "ignored", pgettext_lazy("delivery status", "Ignored")
        # Failed permanently; kept for the merchant to see.
        DEAD = "dead", pgettext_lazy("delivery status", "Dead")

    source = models.CharField(max_length=20, choices=Platform.choices)
    topic = models.CharField(max_length=60)
    # The platform's id of this delivery (X-Shopify-Webhook-Id, X-WC-Webhook-Delivery-ID,
    # EasyPost event id): a redelivery carries the same id and is stored once.
    delivery_key = models.CharField(max_length=200)
    # The id of the event behind it (X-Shopify-Event-Id): two subscriptions, one event.
    event_key = models.CharField(max_length=200, blank=True)
    triggered_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    order_external_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "source", "delivery_key"], name="uniq_inbound_delivery"
            ),
            models.UniqueConstraint(
                fields=["merchant", "source", "topic", "event_key"],
                condition=~models.Q(event_key=""),
                name="uniq_inbound_event",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="inbound_due_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["merchant", "source", "order_external_id"],
                name="inbound_waiting_idx",
                condition=models.Q(status="waiting"),
            ),
        ]

    def __str__(self):
        return f"{self.source} {self.topic} {self.delivery_key}: {self.status}"


class ExternalOrder(TenantModel):
    """The platform's version of an order we last applied, so an older update never wins."""

    source = models.CharField(max_length=20, choices=Platform.choices)
    external_id = models.CharField(max_length=100)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    version_at = models.DateTimeField()

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "source", "external_id"], name="uniq_external_order"
            )
        ]

    def __str__(self):
        return f"{self.source} order {self.external_id}"


class ExternalShipment(TenantModel):
    """A platform's fulfillment and the shipment it became."""

    source = models.CharField(max_length=20, choices=Platform.choices)
    external_id = models.CharField(max_length=100)
    shipment = models.ForeignKey("orders.Shipment", on_delete=models.CASCADE, related_name="+")
    version_at = models.DateTimeField()

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "source", "external_id"], name="uniq_external_shipment"
            )
        ]

    def __str__(self):
        return f"{self.source} fulfillment {self.external_id}"


class CsvImport(TenantModel):
    """An uploaded CSV file between preview and import."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", pgettext_lazy("import status", "Previewed")
        IMPORTED = "imported", pgettext_lazy("import status", "Imported")

    filename = models.CharField(max_length=255)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.filename} ({self.status})"
