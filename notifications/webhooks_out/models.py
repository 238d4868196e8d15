"""Merchant webhook endpoints and every delivery to them, with each attempt."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from orders.integrations import secretbox
from postpurchase.tenancy import TenantModel


class WebhookEndpoint(secretbox.EncryptedSecret, TenantModel):
    """A URL of the merchant's that wants some of our events."""

    url = models.URLField(max_length=500)
    # Encrypted, never hashed: signing needs the secret itself.
    secret_encrypted = models.TextField()
    events = models.JSONField(default=list)  # names from postpurchase.events.EVENT_NAMES
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.url

    def __repr__(self):
        return f"<WebhookEndpoint {self.pk} merchant={self.merchant_id} {self.url}>"


class WebhookDelivery(TenantModel):
    """One event for one endpoint: a row with a due time, claimed by one sender at a time."""

    class Status(models.TextChoices):
        # Labels match the values' default ones, so no migration; translated for the screens.
        PENDING = "pending", pgettext_lazy("delivery status", "Pending")  # due at next_attempt_at
        SENDING = "sending", pgettext_lazy("delivery status", "Sending")  # claimed
        DELIVERED = "delivered", pgettext_lazy("delivery status", "Delivered")
        # Gave up, or refused (e.g. a private address).
        FAILED = "failed", pgettext_lazy("delivery status", "Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    event = models.CharField(max_length=40)
    payload = models.JSONField()  # the body sent, so every retry sends the same bytes
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["merchant", "-created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self):
        return f"{self.event} to endpoint {self.endpoint_id}: {self.status}"


class WebhookAttempt(TenantModel):
    """One HTTP request of a delivery, for the merchant's delivery log."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta(TenantModel.Meta):
        ordering = ["attempted_at", "id"]

    def __str__(self):
        return f"attempt of delivery {self.delivery_id}: {self.status_code or self.error}"
