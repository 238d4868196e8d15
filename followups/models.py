"""Follow-up calls, their attempts, the merchant's call rules, ambassadors and endorsements."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postpurchase.tenancy import TenantModel, unindexed_merchant_key


class CallSettings(TenantModel):
    """A merchant's rules for follow-up calls and endorsements. One per merchant.

    Missing means the defaults below: every order is called, three attempts.
    """

    min_order_value = models.DecimalField(
        _("only orders from this value"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leave empty to call about every order."),
    )
    first_time_customers_only = models.BooleanField(_("first-time customers only"), default=False)
    max_attempts = models.PositiveSmallIntegerField(_("attempts before giving up"), default=3)
    offer_text = models.CharField(_("offer to mention on the call"), max_length=300, blank=True)
    high_value_threshold = models.DecimalField(
        _("high order value (risk signal)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("5000.00"),
    )
    ambassador_monthly_cap = models.PositiveSmallIntegerField(
        _("endorsement requests per ambassador per month"), default=2
    )
    caller_id = models.CharField(
        _("your Twilio number for click-to-call"),
        max_length=20,
        blank=True,
        help_text=_("Buyers see this number. Leave empty to dial from your own phone."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="uniq_call_settings_per_merchant")
        ]

    def __str__(self):
        return f"Call settings of merchant {self.merchant_id}"


class Outcome(models.TextChoices):
    REACHED_HAPPY = "reached_happy", _("Reached – happy")
    REACHED_CONCERNED = "reached_concerned", _("Reached – concerned")
    VOICEMAIL = "voicemail", _("Voicemail")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    DO_NOT_CALL = "do_not_call", _("Do not call")


class FollowUp(models.TextChoices):
    """What a concerned buyer needs next."""

    ESCALATE = "escalate", _("Escalate to the owner")
    RETURN = "return", _("Arrange return or cancellation")
    CALL_AGAIN = "call_again", _("Call again")


class FollowUpCall(TenantModel):
    """The next-day call about one order: one per `followup_call` touchpoint."""

    # Its queries go by the (merchant, ...) indexes below, which serve merchant_id alone
    # too: an index of its own only cost every insert (#16, third round).
    merchant = unindexed_merchant_key()

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")  # due later
        QUEUED = "queued", _("In today's queue")  # made ready by the morning task
        COMPLETED = "completed", _("Completed")
        SKIPPED = "skipped", _("Skipped")  # no consent, no phone, or outside the call rules
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.SCHEDULED, Status.QUEUED)

    touchpoint = models.OneToOneField(
        "notifications.Touchpoint", on_delete=models.CASCADE, related_name="followup_call"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="calls")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followup_calls",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    due_at = models.DateTimeField()
    snoozed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    follow_up = models.CharField(max_length=20, choices=FollowUp.choices, blank=True)
    notes = models.TextField(blank=True, max_length=4000)
    skip_reason = models.CharField(max_length=100, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # risk.raised is emitted once per call: the first time the score crosses the line.
    risk_raised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["merchant", "due_at"],
                name="followupcall_open_due_idx",
                condition=models.Q(status__in=["scheduled", "queued"]),
            ),
            models.Index(fields=["merchant", "assignee", "status"]),
            # The metrics page: calls due in a period, whatever their status.
            models.Index(fields=["merchant", "due_at"], name="followupcall_due_idx"),
            # "Orders at risk": the few calls that found the buyer concerned.
            models.Index(
                fields=["merchant", "order"],
                name="followupcall_concerned_idx",
                condition=models.Q(outcome=Outcome.REACHED_CONCERNED),
            ),
        ]

    def __str__(self):
        return f"call about order {self.order_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class CallAttempt(TenantModel):
    """One recorded try: who called, what happened, what they noted."""

    class Via(models.TextChoices):
        QUEUE = "queue", _("Call queue")
        API = "api", _("API")

    call = models.ForeignKey(FollowUpCall, on_delete=models.CASCADE, related_name="history")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    follow_up = models.CharField(max_length=20, choices=FollowUp.choices, blank=True)
    note = models.TextField(blank=True, max_length=4000)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.QUEUE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(TenantModel.Meta):
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.outcome} on call {self.call_id}"


class Ambassador(TenantModel):
    """An existing customer who agreed to congratulate new buyers from their company or circle."""

    customer = models.ForeignKey("orders.Customer", on_delete=models.CASCADE, related_name="+")
    company = models.CharField(_("company or group"), max_length=200, blank=True)
    # Buyers whose email is on this domain are matched to the ambassador ("studio-k.dk").
    company_domain = models.CharField(_("company email domain"), max_length=200, blank=True)
    consent = models.BooleanField(default=False)
    consented_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "customer"], name="uniq_ambassador_per_customer"
            )
        ]
        indexes = [models.Index(fields=["merchant", "company_domain"])]

    def __str__(self):
        return f"{self.customer} ({self.company or self.company_domain})"

    @property
    def is_available(self) -> bool:
        return self.consent and self.opted_out_at is None


class Endorsement(TenantModel):
    """A peer's congratulation for a new buyer: asked of the ambassador, then sent as their note."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Asked the ambassador")
        SENT = "sent", _("Sent to the buyer")
        DECLINED = "declined", _("Ambassador opted out")

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="endorsement"
    )
    ambassador = models.ForeignKey(
        Ambassador, on_delete=models.CASCADE, related_name="endorsements"
    )
    matched_by = models.CharField(max_length=20)  # "referred_by" or "company"
    message = models.TextField(max_length=2000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["merchant", "ambassador", "requested_at"])]

    def __str__(self):
        return f"endorsement of order {self.order_id} by ambassador {self.ambassador_id}"


def new_dial_code() -> str:
    return secrets.token_urlsafe(16)


class CallDial(TenantModel):
    """One click-to-call through Twilio: rings the account manager, then the buyer.

    Twilio reports back to a URL carrying `code`; what it says (answered or not,
    how long) prefills the outcome on the queue entry.
    """

    call = models.ForeignKey(FollowUpCall, on_delete=models.CASCADE, related_name="dials")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    code = models.CharField(max_length=32, unique=True, default=new_dial_code)
    twilio_sid = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, default="initiated")  # the manager's leg
    buyer_status = models.CharField(max_length=20, blank=True)  # Twilio's DialCallStatus
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"dial {self.code} for call {self.call_id}: {self.status}/{self.buyer_status}"

    @property
    def suggested_outcome(self) -> str:
        """What Twilio's report suggests the manager records ("" when it cannot tell)."""
        if self.buyer_status == "completed" and (self.duration_seconds or 0) > 0:
            return ""  # they talked: happy or concerned is the manager's call
        if self.buyer_status in ("no-answer", "busy"):
            return Outcome.NO_ANSWER
        if self.buyer_status == "failed":
            return Outcome.WRONG_NUMBER
        return ""
