"""A buyer's answer to a failed delivery (attempt failed, problem, waiting at a pickup point)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from postpurchase.tenancy import TenantModel


class DeliveryInstruction(TenantModel):
    class Choice(models.TextChoices):
        REDELIVER = "redeliver", _("Deliver it again")
        PICKUP = "pickup", _("I will pick it up")
        INSTRUCTION = "instruction", _("Leave an instruction")

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="delivery_instructions"
    )
    shipment = models.ForeignKey(
        "orders.Shipment", on_delete=models.CASCADE, related_name="delivery_instructions"
    )
    # What the parcel's status was when the buyer answered, for the metrics.
    shipment_status = models.CharField(max_length=30)
    choice = models.CharField(max_length=20, choices=Choice.choices)
    delivery_date = models.DateField(null=True, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"])]

    def __str__(self):
        return f"{self.choice} for shipment {self.shipment_id}"
