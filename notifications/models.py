"""Touchpoints: every planned contact with a buyer, one row each, sent once."""

import secrets

from django.db import models
from django.utils import timezone

from postpurchase.tenancy import TenantModel


def new_callback_code() -> str:
    return secrets.token_urlsafe(16)


class Touchpoint(TenantModel):
    class Kind(models.TextChoices):
        CONGRATULATION = "congratulation"
        FOLLOWUP_CALL = "followup_call"
        SHIPMENT_UPDATE = "shipment_update"
        ENDORSEMENT_REQUEST = "endorsement_request"

    class Channel(models.TextChoices):
        EMAIL = "email"
        SMS = "sms"
        CALL = "call"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        SENDING = "sending"  # claimed by a dispatcher; internal, shown as scheduled
        SENT = "sent"
        DELIVERED = "delivered"
        FAILED = "failed"
        SKIPPED = "skipped"
        DONE = "done"
        CANCELLED = "cancelled"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="touchpoints")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # What caused it ("order", "shipment:12:delivered"…): with kind and channel it is
    # unique, so a re-posted order or a duplicate event cannot plan a second contact.
    cause = models.CharField(max_length=100, default="order")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_message_id = models.CharField(max_length=200, blank=True)
    callback_code = models.CharField(max_length=32, unique=True, default=new_callback_code)
    error = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "channel", "cause"], name="uniq_touchpoint_per_cause"
            )
        ]
        indexes = [
            # The dispatcher's hot query: what is due now.
            models.Index(
                fields=["due_at"],
                name="touchpoint_due_idx",
                condition=models.Q(status="scheduled"),
            ),
        ]

    def __str__(self):
        return f"{self.kind}/{self.channel} for order {self.order_id}: {self.status}"

    @property
    def public_status(self) -> str:
        return self.Status.SCHEDULED if self.status == self.Status.SENDING else self.status
