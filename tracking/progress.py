"""How a parcel's status reads to a buyer: labels, the progress bar, tones and notices."""

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from orders.models import PROBLEM_STATUSES, ShipmentStatus

STATUS_LABELS = {
    ShipmentStatus.LABEL_CREATED: gettext_lazy("Packed and labelled"),
    ShipmentStatus.IN_TRANSIT: gettext_lazy("On the way"),
    ShipmentStatus.OUT_FOR_DELIVERY: gettext_lazy("Out for delivery"),
    ShipmentStatus.AVAILABLE_FOR_PICKUP: gettext_lazy("Ready for pickup"),
    ShipmentStatus.ATTEMPT_FAILED: gettext_lazy("Delivery attempt failed"),
    ShipmentStatus.DELAYED: gettext_lazy("Delayed"),
    ShipmentStatus.EXCEPTION: gettext_lazy("Problem in transit"),
    ShipmentStatus.DELIVERED: gettext_lazy("Delivered"),
    ShipmentStatus.RETURNED_TO_SENDER: gettext_lazy("Returned to sender"),
}
# Which of the five steps (ordered, preparing, shipped, out for delivery or ready for
# pickup, delivered) a status stands at. A label is not a shipment: the carrier has
# not got the parcel yet.
STEP_OF_STATUS = {
    ShipmentStatus.LABEL_CREATED: 1,
    ShipmentStatus.IN_TRANSIT: 2,
    ShipmentStatus.DELAYED: 2,
    ShipmentStatus.EXCEPTION: 2,
    ShipmentStatus.RETURNED_TO_SENDER: 2,
    ShipmentStatus.ATTEMPT_FAILED: 3,
    ShipmentStatus.OUT_FOR_DELIVERY: 3,
    ShipmentStatus.AVAILABLE_FOR_PICKUP: 3,
    ShipmentStatus.DELIVERED: 4,
}
# orders.models.PROBLEM_STATUSES split by how the page shows them: amber (the parcel still
# comes, later) and red (it will not come as planned without someone acting).
WARNING_STATUSES = {ShipmentStatus.DELAYED, ShipmentStatus.ATTEMPT_FAILED}
SEVERE_STATUSES = PROBLEM_STATUSES - WARNING_STATUSES
# A damaged, returned or missed parcel is no moment to sell more: no cross-sell then.
NO_CROSSSELL_STATUSES = SEVERE_STATUSES | {ShipmentStatus.ATTEMPT_FAILED}


def plain_text(text: str) -> str:
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


def carrier_text(event) -> str:
    """The carrier's own words for a scan, in whatever language the carrier wrote them:
    a secondary line under our translated status, left out when it says only that."""
    message = (event.message or "").strip()
    if not message:
        return ""
    label = STATUS_LABELS.get(event.status)
    same = {plain_text(label)} if label else set()
    if label is not None:
        with translation.override("en"):
            same |= {plain_text(label), plain_text(ShipmentStatus(event.status).label)}
    return "" if plain_text(message) in same else message


def problem_notice(status: str, merchant_name: str) -> dict | None:
    if status == ShipmentStatus.ATTEMPT_FAILED:
        return {
            "title": _("The carrier couldn't deliver your parcel"),
            "text": _(
                "Check for a note from the carrier: they usually try again the next working "
                "day or leave the parcel at a pickup point nearby. If you need another time "
                "or place, contact %(shop)s."
            )
            % {"shop": merchant_name},
        }
    if status == ShipmentStatus.EXCEPTION:
        return {
            "title": _("Something went wrong on the way"),
            "text": _(
                "The carrier has reported a problem with this parcel. %(shop)s has been told "
                "and is looking into it; contact them if you have questions."
            )
            % {"shop": merchant_name},
        }
    if status == ShipmentStatus.RETURNED_TO_SENDER:
        return {
            "title": _("Your parcel is being returned"),
            "text": _(
                "The carrier is sending this parcel back to %(shop)s. Contact them to arrange "
                "a new delivery or a refund."
            )
            % {"shop": merchant_name},
        }
    if status == ShipmentStatus.DELAYED:
        return {
            "title": _("Your parcel is delayed"),
            "text": _(
                "Sorry for the wait. The carrier is still moving it, and this page updates as "
                "soon as they share news."
            ),
        }
    return None


def progress_steps(status: str | None, *, via_pickup: bool = False) -> list[dict]:
    """The progress bar. Before any shipment the order is being prepared; a parcel waiting
    at a pickup point (or collected from one) shows pickup steps instead of the driver's."""
    current = STEP_OF_STATUS.get(status, 0) if status else 1
    delivered = status == ShipmentStatus.DELIVERED
    pickup = via_pickup or status == ShipmentStatus.AVAILABLE_FOR_PICKUP
    # Short forms under their own context: five labels share a phone's width.
    labels = [
        pgettext("progress step", "Ordered"),
        pgettext("progress step", "Packed")
        if current > 1
        else pgettext("progress step", "Preparing"),
        pgettext("progress step", "Shipped"),
        pgettext("progress step", "Ready for pickup")
        if pickup
        else pgettext("progress step", "Out for delivery"),
        pgettext("progress step", "Picked up")
        if pickup
        else pgettext("progress step", "Delivered"),
    ]
    tone = (
        "problem" if status in SEVERE_STATUSES else "warning" if status in WARNING_STATUSES else ""
    )
    steps = []
    for index, label in enumerate(labels):
        if index < current or (delivered and index == current):
            state = "done"
        elif index == current:
            state = tone or "current"
        else:
            state = "upcoming"
        steps.append({"label": label, "state": state, "is_current": index == current})
    return steps


def status_tone(status: str | None) -> str:
    if status in SEVERE_STATUSES:
        return "problem"
    if status in WARNING_STATUSES:
        return "warning"
    if status in (ShipmentStatus.DELIVERED, ShipmentStatus.AVAILABLE_FOR_PICKUP):
        return "done"
    return "active"
