"""Touchpoints: every planned contact with a buyer, one row each, sent once.

Beside them: every delivery attempt and status change (the history), the
merchant's per-status shipment notification settings, message template
overrides, opt-outs (suppressions) and messaging preferences.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from postpurchase.models import LOCALES
from postpurchase.tenancy import TenantManager, TenantModel


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
        SCHEDULED = "scheduled", pgettext_lazy("message status", "Scheduled")
        # Claimed by a dispatcher; internal, shown as scheduled.
        SENDING = "sending", pgettext_lazy("message status", "Sending")
        SENT = "sent", pgettext_lazy("message status", "Sent")
        DELIVERED = "delivered", pgettext_lazy("message status", "Delivered")
        FAILED = "failed", pgettext_lazy("message status", "Failed")
        SKIPPED = "skipped", pgettext_lazy("message status", "Skipped")
        DONE = "done", pgettext_lazy("message status", "Done")
        CANCELLED = "cancelled", pgettext_lazy("message status", "Cancelled")

    # No index of their own on merchant or order: touchpoint_kind_due_idx and
    # uniq_touchpoint_per_cause lead with them, and every index is written on each of a
    # send's three updates (#16, third round).
    merchant = models.ForeignKey(
        "postpurchase.Merchant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # What caused it ("order", "shipment:12:delivered:345"…): with kind and channel it is
    # unique, so a re-posted order or a duplicate event cannot plan a second contact.
    cause = models.CharField(max_length=100, default="order")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # First open (or click, which implies one) reported by the email provider.
    opened_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    recipient = models.CharField(max_length=254, blank=True)  # the address it went to
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
            # The dispatcher's stuck-claim recovery: the few claims in flight, in its
            # order. Not keyed on claimed_at, which each attempt's start refreshes: with no
            # indexed column changed, that update can be HOT (no index written).
            models.Index(
                fields=["due_at", "id"],
                name="touchpoint_sending_idx",
                condition=models.Q(status="sending"),
            ),
            # The metrics page: a merchant's messages of one kind sent / due in a period.
            # Only sent rows (a period of sent_at), so a claim or a start writes nothing here.
            models.Index(
                fields=["merchant", "kind", "sent_at"],
                name="touchpoint_sent_idx",
                condition=models.Q(sent_at__isnull=False),
            ),
            models.Index(fields=["merchant", "kind", "due_at"], name="touchpoint_kind_due_idx"),
            # "Orders at risk": the few failed messages, not all of them.
            models.Index(
                fields=["merchant", "order"],
                name="touchpoint_failed_idx",
                condition=models.Q(status="failed"),
            ),
        ]

    def __str__(self):
        return f"{self.kind}/{self.channel} for order {self.order_id}: {self.status}"

    @property
    def public_status(self) -> str:
        return self.Status.SCHEDULED if self.status == self.Status.SENDING else self.status

    @property
    def public_status_label(self) -> str:
        """`public_status` in the viewer's language."""
        return self.Status(self.public_status).label


class DeliveryAttempt(TenantModel):
    """One try at handing a touchpoint to its provider, written before the call is made.

    An attempt still `in_progress` when its claim is recovered is `abandoned`: the
    worker died, and the provider may or may not have accepted the message.
    """

    class Outcome(models.TextChoices):
        IN_PROGRESS = "in_progress"
        SENT = "sent"
        TEMPORARY_ERROR = "temporary_error"
        PERMANENT_ERROR = "permanent_error"
        ABANDONED = "abandoned"

    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.IN_PROGRESS)
    provider_message_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)

    class Meta(TenantModel.Meta):
        ordering = ["touchpoint", "number", "id"]

    def __str__(self):
        return f"attempt {self.number} of touchpoint {self.touchpoint_id}: {self.outcome}"


class TouchpointStatusChange(TenantModel):
    """The status history of a touchpoint: every move, with why."""

    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        ordering = ["touchpoint", "created_at", "id"]

    def __str__(self):
        return f"{self.from_status or '-'} -> {self.to_status}"


class ShipmentNotificationSetting(TenantModel):
    """A merchant's choice to notify (or not) a shipment status on a channel.

    No row means the default in notifications.selectors.DEFAULT_SHIPMENT_CHANNELS.
    """

    status = models.CharField(max_length=30)
    channel = models.CharField(max_length=10, choices=[("email", "email"), ("sms", "sms")])
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "status", "channel"], name="uniq_shipment_notification_setting"
            )
        ]

    def __str__(self):
        return f"{self.status}/{self.channel}: {'on' if self.enabled else 'off'}"


class MessageTemplate(TenantModel):
    """A merchant's own wording for one kind, channel and locale (optionally one status).

    `subject` and `body` use {{ variables }} from notifications.templating; the
    email layout (branding, order summary, unsubscribe) stays ours around `body`.
    """

    kind = models.CharField(max_length=30, choices=Touchpoint.Kind.choices)
    channel = models.CharField(max_length=10, choices=Touchpoint.Channel.choices)
    locale = models.CharField(max_length=5, choices=LOCALES)
    # Blank: every status of a shipment_update; else only that status.
    shipment_status = models.CharField(max_length=30, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "kind", "channel", "locale", "shipment_status"],
                name="uniq_message_template",
            )
        ]

    def __str__(self):
        return f"{self.kind}/{self.channel}/{self.locale} {self.shipment_status}".strip()

    @property
    def shipment_status_label(self) -> str:
        """The status this template is for, in the viewer's language ("" for every status)."""
        from orders.models import ShipmentStatus

        if self.shipment_status in ShipmentStatus.values:
            return ShipmentStatus(self.shipment_status).label
        return self.shipment_status


class SuppressionManager(TenantManager):
    """A merchant's own suppressions, scoped like every tenant's rows, and the
    platform-wide ones (merchant null) that belong to no merchant: an SMS STOP texted to
    the platform's shared number stops every merchant's texts to that number, because
    the buyer cannot tell whose message it was (and carriers hold the sender to it)."""

    def in_force_for(self, merchant) -> models.QuerySet:
        """What `merchant`'s messages must respect: its own rows and the platform-wide."""
        own = self.for_merchant(merchant)
        return own | self.platform_wide()

    def platform_wide(self) -> models.QuerySet:
        return self.unscoped(reason="platform-wide STOPs belong to no merchant").filter(
            merchant__isnull=True
        )


class Suppression(TenantModel):
    """An address that must not be contacted on a channel: unsubscribed, STOP, hard bounce.

    `merchant` null means every merchant: an SMS STOP to the platform's number. Such a
    row is reached only through `Suppression.objects.platform_wide()` or, beside a
    merchant's own, `in_force_for(merchant)`; no merchant sees another's rows.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        SMS_STOP = "sms_stop", _("Replied STOP")
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        INVALID = "invalid", _("Invalid address")

    # Null: platform-wide (see SuppressionManager), the one tenant row without a merchant.
    merchant = models.ForeignKey(
        "postpurchase.Merchant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Touchpoint.Channel.choices)
    address = models.CharField(max_length=254)  # lower-cased email or E.164 number
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuppressionManager()

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["channel", "address"])]

    def __str__(self):
        return f"{self.channel}:{self.address} ({self.reason})"


def default_quiet_start() -> dt.time:
    return dt.time(21, 0)


def default_quiet_end() -> dt.time:
    return dt.time(8, 0)


class MessagingPreferences(models.Model):
    """Per-merchant messaging knobs. No row means the defaults."""

    merchant = models.OneToOneField(
        "postpurchase.Merchant", on_delete=models.CASCADE, related_name="messaging_preferences"
    )
    sms_quiet_start = models.TimeField(default=default_quiet_start)
    sms_quiet_end = models.TimeField(default=default_quiet_end)
    # Shown as "expected delivery" in the congratulation until a shipment has an estimate.
    delivery_days_min = models.PositiveSmallIntegerField(default=2)
    delivery_days_max = models.PositiveSmallIntegerField(default=5)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Messaging preferences of {self.merchant_id}"
