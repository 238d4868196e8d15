"""What buyers do on the tracking pages: visits and ratings."""

from django.db import models

from postpurchase.tenancy import TenantModel


class TrackingVisit(TenantModel):
    """One buyer view of a tracking page. Repeated visits are a worry (WISMO) signal."""

    class Source(models.TextChoices):
        EMAIL = "email"
        SMS = "sms"
        DIRECT = "direct"
        LOOKUP = "lookup"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="visits")
    visited_at = models.DateTimeField(auto_now_add=True)
    client_hash = models.CharField(max_length=64)  # keyed hash of IP + user agent; no raw IP
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DIRECT)

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

    def __str__(self):
        return f"{self.score}/5 for order {self.order_id}"
