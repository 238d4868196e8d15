"""Polling carriers for the parcels of merchants who connected a carrier account.

Each shipment of a supported carrier gets a CarrierTracker. Beat runs
`carrier_trackers_poll_due` every minute: it claims due trackers one by one with a
conditional UPDATE of `next_poll_at` (two workers never poll one parcel), asks the
carrier through karrio, applies the scans through the same path as API events, and
sets the next poll by the parcel's status. A failing carrier pauses its account with
doubling delays; a delivered or returned parcel is never asked about again.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from orders.models import Shipment, ShipmentStatus
from postpurchase.models import Merchant
from tracking.carrier_links import carrier_key
from tracking.carriers import karrio_client
from tracking.carriers.models import CarrierAccount, CarrierTracker
from tracking.carriers.services import tracker_events_apply

FINAL_STATUSES = frozenset({ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED_TO_SENDER})
# The buyer may be at the door (or at the pickup point) now: ask often.
SOON_STATUSES = frozenset(
    {
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.ATTEMPT_FAILED,
        ShipmentStatus.AVAILABLE_FOR_PICKUP,
    }
)
# A claimed tracker whose worker died is due again this long after the claim.
CLAIM_LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
# Why the poller passes the tenant wall (postpurchase/tenancy.py).
POLLING = "the polling pass takes due trackers of every merchant"
BY_PK = "by primary key: the tracker or account the polling pass took"


# Names shops give one carrier's services: the same karrio extension tracks them all.
CARRIER_ALIASES = {
    "dhlexpress": "dhl",
    "dhlpaket": "dhl",
    "dhlparcel": "dhl",
    "glsdenmark": "gls",
    "glsgermany": "gls",
    "fedexexpress": "fedex",
    "fedexground": "fedex",
}


def polled_carrier(carrier: str) -> str | None:
    """The CARRIER_SPECS key a shipment's carrier name is polled as, if any."""
    key = carrier_key(carrier)
    key = CARRIER_ALIASES.get(key, key)
    return key if key in karrio_client.CARRIER_SPECS else None


def carrier_tracker_start(*, merchant: Merchant, shipment: Shipment) -> CarrierTracker | None:
    """Start polling a new shipment if karrio knows its carrier (no account needed yet:
    it is polled from the moment the merchant connects one)."""
    carrier = polled_carrier(shipment.carrier)
    if carrier is None or shipment.status in FINAL_STATUSES:
        return None
    # A new shipment has no tracker yet: one INSERT, nothing read.
    return CarrierTracker.objects.create(
        merchant=merchant, shipment=shipment, carrier=carrier, next_poll_at=timezone.now()
    )


def start_tracker_of_new_shipment(sender, *, merchant: Merchant, shipment: Shipment, **kwargs):
    """Receiver of orders' shipment_created (connected in tracking/apps.py)."""
    carrier_tracker_start(merchant=merchant, shipment=shipment)


def poll_interval(status: str) -> timedelta:
    if status in SOON_STATUSES:
        return timedelta(seconds=settings.CARRIER_POLL_OUT_FOR_DELIVERY_SECONDS)
    return timedelta(seconds=settings.CARRIER_POLL_IN_TRANSIT_SECONDS)


def due_tracker_ids(*, now, limit: int) -> list[int]:
    """Due trackers, across merchants, whose merchant has an unpaused account at the carrier."""
    usable = (
        CarrierAccount.objects.unscoped(reason=POLLING)
        .filter(merchant=OuterRef("merchant"), carrier=OuterRef("carrier"))
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
    )
    return list(
        CarrierTracker.objects.unscoped(reason=POLLING)
        .filter(next_poll_at__lte=now)
        .filter(Exists(usable))
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:limit]
    )


def carrier_tracker_claim(*, tracker_id: int, now) -> bool:
    """Take a due tracker for this worker; False if another one took it first."""
    return bool(
        CarrierTracker.objects.unscoped(reason=BY_PK)
        .filter(pk=tracker_id, next_poll_at__lte=now)
        .update(next_poll_at=now + CLAIM_LEASE)
    )


def _account_failed(account: CarrierAccount, *, error: str, now) -> CarrierAccount:
    with transaction.atomic():
        account = (
            CarrierAccount.objects.unscoped(reason=BY_PK).select_for_update().get(pk=account.pk)
        )
        if account.paused_until and account.paused_until > now:
            return account  # another worker already counted this outage
        account.failures += 1
        delay = min(BACKOFF_BASE * 2 ** (account.failures - 1), BACKOFF_MAX)
        account.paused_until = now + delay
        account.last_error = error[:300]
        account.save(update_fields=["failures", "paused_until", "last_error"])
    return account


def _account_answered(account: CarrierAccount, *, now) -> None:
    CarrierAccount.objects.unscoped(reason=BY_PK).filter(pk=account.pk).update(
        failures=0, paused_until=None, last_error="", last_success_at=now
    )


def carrier_tracker_poll(*, tracker_id: int, now=None) -> str:
    """Claim and poll one tracker; returns what happened (for logs and tests)."""
    now = now or timezone.now()
    if not carrier_tracker_claim(tracker_id=tracker_id, now=now):
        return "taken"
    tracker = (
        CarrierTracker.objects.unscoped(reason=BY_PK)
        .select_related("shipment", "merchant")
        .get(pk=tracker_id)
    )
    merchant, shipment = tracker.merchant, tracker.shipment
    if shipment.status in FINAL_STATUSES:
        return _finish(tracker, "done")
    if now - tracker.created_at > timedelta(days=settings.CARRIER_POLL_GIVE_UP_DAYS):
        return _finish(tracker, "gave up")
    account = CarrierAccount.objects.for_merchant(merchant).filter(carrier=tracker.carrier).first()
    if account is None:
        # Removed since it was found due: wait for a new account, asking nobody.
        _reschedule(tracker, now=now, status=shipment.status, error="no account")
        return "no account"
    if account.paused_until and account.paused_until > now:
        # Paused by another parcel's failure in this same pass.
        tracker.next_poll_at = account.paused_until
        tracker.save(update_fields=["next_poll_at"])
        return "paused"
    try:
        result = karrio_client.fetch_tracking(
            carrier=tracker.carrier,
            credentials=account.credentials,
            tracking_number=shipment.tracking_number,
            tz=ZoneInfo(merchant.timezone),
        )
    except karrio_client.CarrierFetchError as error:
        account = _account_failed(account, error=str(error), now=now)
        tracker.next_poll_at = max(account.paused_until, now + BACKOFF_BASE)
        tracker.last_error = str(error)[:300]
        tracker.save(update_fields=["next_poll_at", "last_error"])
        return "carrier error"
    _account_answered(account, now=now)
    if result.update is not None:
        shipment = tracker_events_apply(merchant=merchant, shipment=shipment, update=result.update)
        shipment.refresh_from_db(fields=["status"])
    tracker.polls += 1
    tracker.last_polled_at = now
    if shipment.status in FINAL_STATUSES:
        tracker.last_error = ""
        return _finish(tracker, "done")
    return _reschedule(tracker, now=now, status=shipment.status, error=result.problem)


def _reschedule(tracker: CarrierTracker, *, now, status: str, error: str) -> str:
    tracker.next_poll_at = now + poll_interval(status)
    tracker.last_error = error[:300]
    tracker.save(update_fields=["next_poll_at", "last_error", "polls", "last_polled_at"])
    return "polled" if not error else "not found"


def _finish(tracker: CarrierTracker, outcome: str) -> str:
    tracker.next_poll_at = None
    tracker.save(update_fields=["next_poll_at", "last_error", "polls", "last_polled_at"])
    return outcome


def carrier_trackers_poll_due(*, limit: int | None = None) -> dict[str, int]:
    """One beat pass: poll every due tracker (safe to run in several workers at once)."""
    outcomes: dict[str, int] = {}
    now = timezone.now()
    for tracker_id in due_tracker_ids(now=now, limit=limit or settings.CARRIER_POLL_BATCH):
        outcome = carrier_tracker_poll(tracker_id=tracker_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
