"""What buyers do on the tracking pages (visits, ratings, cross-sell clicks) and its settings."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from postpurchase.tenancy import TenantModel


class TrackingVisit(TenantModel):
    """One buyer view of a tracking page. Repeated visits are a worry (WISMO) signal."""

    class Source(models.TextChoices):
        EMAIL = "email"
        SMS = "sms"
        DIRECT = "direct"
        LOOKUP = "lookup"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="visits")
    # When the page was viewed (buffered views are written later, with their own time).
    visited_at = models.DateTimeField(default=timezone.now)
    client_hash = models.CharField(max_length=64)  # keyed hash of IP + user agent; no raw IP
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DIRECT)
    # The page view that recorded it: writing a buffered view twice stores it once.
    view_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(fields=["order", "visited_at"]),
            models.Index(fields=["merchant", "visited_at"]),
        ]

    def __str__(self):
        return f"visit of order {self.order_id} at {self.visited_at:%Y-%m-%d %H:%M}"


class Rating(TenantModel):
    """The buyer's "how was it?" after delivery: one per order, last answer wins."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField()  # 1..5
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            )
        ]
        indexes = [
            # The metrics page: ratings given in a period.
            models.Index(fields=["merchant", "created_at"], name="rating_created_idx"),
            # "Orders at risk": the few low ratings, not all of them.
            models.Index(
                fields=["merchant", "order"],
                name="rating_low_idx",
                condition=models.Q(score__lte=2),
            ),
        ]

    def __str__(self):
        return f"{self.score}/5 for order {self.order_id}"


class TrackingSettings(TenantModel):
    """A merchant's settings for the tracking page; defaults apply when there is no row."""

    DEFAULT_CROSSSELL_SLOTS = 3
    DEFAULT_ATTRIBUTION_DAYS = 30

    merchant = models.OneToOneField(
        "postpurchase.Merchant", on_delete=models.CASCADE, related_name="tracking_settings"
    )
    crosssell_slots = models.PositiveSmallIntegerField(
        default=DEFAULT_CROSSSELL_SLOTS, validators=[MaxValueValidator(6)]
    )
    # A later order with a clicked product counts as attributed within this many days.
    attribution_days = models.PositiveSmallIntegerField(
        default=DEFAULT_ATTRIBUTION_DAYS, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    show_testimonials = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"tracking settings of {self.merchant_id}"


class CrossSellRule(TenantModel):
    """Recommend `product` on pages of orders containing a trigger product or category.

    A complement goes with what was bought (a cover for the sofa); an upgrade is a
    better version of it. Blank trigger sku and category: applies to every order.
    """

    class Kind(models.TextChoices):
        COMPLEMENT = "complement", _("Complement")
        UPGRADE = "upgrade", _("Upgrade")

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.COMPLEMENT)
    trigger_sku = models.CharField(max_length=100, blank=True)
    trigger_category = models.CharField(max_length=100, blank=True)
    product = models.ForeignKey(
        "orders.Product", on_delete=models.CASCADE, related_name="crosssell_rules"
    )
    priority = models.PositiveSmallIntegerField(default=100)  # lower first
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["merchant", "is_active"])]

    def __str__(self):
        trigger = self.trigger_sku or self.trigger_category or "*"
        return f"{self.kind}: {trigger} → {self.product_id}"


class CrossSellImpression(TenantModel):
    """One slot shown to a counted (non-bot) visitor; the denominator of CTR."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+")
    slot = models.PositiveSmallIntegerField()
    shown_at = models.DateTimeField(default=timezone.now)
    view_id = models.UUIDField(null=True, blank=True, editable=False)  # as TrackingVisit's

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["merchant", "shown_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["view_id", "slot"], name="uniq_impression_per_view_slot"
            )
        ]

    def __str__(self):
        return f"product {self.product_id} in slot {self.slot} for order {self.order_id}"


class CrossSellClick(TenantModel):
    """A buyer followed a cross-sell slot to the shop."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("orders.Product", on_delete=models.CASCADE, related_name="+")
    slot = models.PositiveSmallIntegerField()
    clicked_at = models.DateTimeField(auto_now_add=True)
    client_hash = models.CharField(max_length=64, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(fields=["merchant", "clicked_at"]),
            models.Index(fields=["order", "product"]),
        ]

    def __str__(self):
        return f"click on product {self.product_id} (slot {self.slot}) for order {self.order_id}"


# Carrier polling keeps its models beside its code; Django finds them through this import.
from tracking.carriers.models import CarrierAccount, CarrierTracker  # noqa: E402, F401
from tracking.delivery.models import DeliveryInstruction  # noqa: E402, F401
