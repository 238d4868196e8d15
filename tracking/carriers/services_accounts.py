"""Connecting and removing a merchant's carrier accounts."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Shipment
from postpurchase.models import Merchant
from tracking.carriers.karrio_client import CARRIER_SPECS
from tracking.carriers.models import CarrierAccount, CarrierTracker
from tracking.carriers.polling import FINAL_STATUSES, polled_carrier


def carrier_account_connect(*, merchant: Merchant, carrier: str, credentials: dict, actor=None):
    """Store (or replace) the merchant's credentials at `carrier` and poll its open parcels."""
    spec = CARRIER_SPECS.get(carrier)
    if spec is None:
        raise ValidationError({"carrier": [_("Choose a carrier from the list.")]})
    values = {name: str(credentials.get(name) or "").strip() for name, _label in spec.fields}
    missing = {name: [_("This field is required.")] for name, value in values.items() if not value}
    if missing:
        raise ValidationError(missing)
    with transaction.atomic():
        account = (
            CarrierAccount.objects.for_merchant(merchant)
            .select_for_update()
            .filter(carrier=carrier)
            .first()
        ) or CarrierAccount(merchant=merchant, carrier=carrier)
        account.credentials = values
        account.key_hint = values[spec.fields[0][0]][-4:]
        account.created_by = actor if actor is not None else account.created_by
        # New credentials: whatever the old ones failed with no longer holds.
        account.failures, account.paused_until, account.last_error = 0, None, ""
        account.save()
        _trackers_for_open_shipments(merchant=merchant, carrier=carrier)
    return account


def _trackers_for_open_shipments(*, merchant: Merchant, carrier: str) -> None:
    """Shipments sent before the account was connected are polled too (those started
    before karrio was added have no tracker; those that have one are due now)."""
    now = timezone.now()
    open_shipments = (
        Shipment.objects.for_merchant(merchant)
        .exclude(status__in=FINAL_STATUSES)
        .filter(carrier_tracker__isnull=True)
        .only("id", "carrier")
    )
    CarrierTracker.objects.for_merchant(merchant).bulk_create(
        [
            CarrierTracker(merchant=merchant, shipment=s, carrier=carrier, next_poll_at=now)
            for s in open_shipments.iterator()
            if polled_carrier(s.carrier) == carrier
        ],
        ignore_conflicts=True,
    )
    CarrierTracker.objects.for_merchant(merchant).filter(
        carrier=carrier, next_poll_at__gt=now
    ).update(next_poll_at=now)


def carrier_account_remove(*, merchant: Merchant, account_id: int) -> None:
    """Forget the credentials; the merchant's parcels at that carrier are no longer polled."""
    CarrierAccount.objects.for_merchant(merchant).filter(pk=account_id).delete()
