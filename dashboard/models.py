"""What only the dashboard stores: staff notes on orders."""

from django.conf import settings
from django.db import models

from postpurchase.tenancy import TenantModel


class OrderNote(TenantModel):
    """A note staff leave on an order ("called, sofa arrives Friday"); part of its timeline."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self):
        return f"note on order {self.order_id} by {self.author_id}"
