"""Carrier accounts a merchant connected, and the shipments polled at those carriers."""

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orders.integrations import secretbox
from postpurchase.tenancy import TenantModel


class Carrier(models.TextChoices):
    """Carriers polled through karrio; the codes are carrier_links' keys."""

    DHL = "dhl", "DHL"
    GLS = "gls", "GLS"
    UPS = "ups", "UPS"
    USPS = "usps", "USPS"
    FEDEX = "fedex", "FedEx"


class CarrierAccount(TenantModel):
    """A merchant's API credentials at one carrier, used to poll its parcels."""

    carrier = models.CharField(max_length=20, choices=Carrier.choices)
    # The karrio connection settings as JSON, encrypted like the webhook secrets:
    # calling the carrier needs the credentials themselves, so they cannot be hashed.
    credentials_encrypted = models.TextField()
    # The last characters of the key, so the owner can tell which one is connected.
    key_hint = models.CharField(max_length=8, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Backoff for the whole account: when the carrier fails or refuses the credentials,
    # none of its parcels is polled until then, so one outage is not N failed calls.
    failures = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("carrier account")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "carrier"], name="uniq_carrier_account_per_carrier"
            )
        ]

    def __str__(self):
        return f"{self.get_carrier_display()} for merchant {self.merchant_id}"

    def __repr__(self):
        # Keep the credentials out of tracebacks and debug pages.
        return f"<CarrierAccount {self.pk} {self.carrier} merchant={self.merchant_id}>"

    @property
    def credentials(self) -> dict:
        plain = secretbox.decrypt(self.credentials_encrypted)
        return json.loads(plain) if plain else {}

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = secretbox.encrypt(json.dumps(value))


class CarrierTracker(TenantModel):
    """One shipment polled at its carrier until it is delivered or returned.

    `next_poll_at` is both the schedule and the claim: a poller takes a due row by
    moving it into the future with a conditional UPDATE, so two workers never poll
    the same parcel, and a worker that dies only delays the next poll. NULL: finished.
    """

    shipment = models.OneToOneField(
        "orders.Shipment", on_delete=models.CASCADE, related_name="carrier_tracker"
    )
    carrier = models.CharField(max_length=20, choices=Carrier.choices)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantModel.Meta):
        indexes = [
            models.Index(
                fields=["next_poll_at"],
                name="carrier_tracker_due_idx",
                condition=models.Q(next_poll_at__isnull=False),
            )
        ]

    def __str__(self):
        return f"{self.carrier} tracker of shipment {self.shipment_id}"
