"""Recording a buyer's answer to a failed delivery and telling the merchant at once."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from orders.models import Order, Shipment, ShipmentStatus
from postpurchase.events import emit
from postpurchase.models import Membership, Merchant
from tracking.delivery.models import DeliveryInstruction

# A parcel in one of these needs the buyer: a missed attempt, a problem, a pickup point.
NEEDS_ANSWER = frozenset(
    {
        ShipmentStatus.ATTEMPT_FAILED,
        ShipmentStatus.EXCEPTION,
        ShipmentStatus.AVAILABLE_FOR_PICKUP,
    }
)


def shipment_needing_answer(*, order: Order) -> Shipment | None:
    """The order's latest parcel that failed to arrive and waits for the buyer, if any."""
    return (
        Shipment.objects.for_merchant(order.merchant)
        .filter(order=order, status__in=NEEDS_ANSWER)
        .order_by("-status_at", "-id")
        .first()
    )


def delivery_instruction_record(
    *, merchant: Merchant, order: Order, shipment: Shipment, data: dict
) -> DeliveryInstruction:
    """Store the answer; the merchant's systems (webhook) and owners (email) hear of it."""
    with transaction.atomic():
        instruction = DeliveryInstruction.objects.create(
            merchant=merchant,
            order=order,
            shipment=shipment,
            shipment_status=shipment.status,
            choice=data["choice"],
            delivery_date=data.get("delivery_date"),
            address_line1=data.get("address_line1", ""),
            postal_code=data.get("postal_code", ""),
            city=data.get("city", ""),
            phone=data.get("phone", ""),
            note=data.get("note", ""),
        )
        emit(merchant=merchant, name="delivery.instruction", data=_event_data(instruction))
        transaction.on_commit(lambda: _email_owners(instruction))
    return instruction


def _event_data(instruction: DeliveryInstruction) -> dict:
    order, shipment = instruction.order, instruction.shipment
    return {
        "order_id": order.pk,
        "order_external_id": order.external_id,
        "order_number": order.number,
        "shipment_id": shipment.pk,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "shipment_status": instruction.shipment_status,
        "choice": instruction.choice,
        "delivery_date": instruction.delivery_date.isoformat()
        if instruction.delivery_date
        else None,
        "address": {
            "line1": instruction.address_line1,
            "postal_code": instruction.postal_code,
            "city": instruction.city,
        },
        "phone": instruction.phone,
        "note": instruction.note,
    }


def _email_owners(instruction: DeliveryInstruction) -> None:
    merchant = instruction.merchant
    owners = list(
        Membership.objects.for_merchant(merchant)
        .filter(role=Membership.Role.OWNER, is_active=True)
        .values_list("user__email", flat=True)
    )
    if not owners:
        return
    order = instruction.order
    with translation.override(merchant.default_locale):
        subject = _("Order %(order)s: the buyer answered a failed delivery") % {
            "order": order.number
        }
        lines = [
            _("%(buyer)s answered about the parcel %(carrier)s %(number)s of order %(order)s.")
            % {
                "buyer": order.customer.full_name or order.customer.email or order.customer.phone,
                "carrier": instruction.shipment.carrier,
                "number": instruction.shipment.tracking_number,
                "order": order.number,
            },
            "",
            _("Wish: %(choice)s") % {"choice": instruction.get_choice_display()},
        ]
        if instruction.delivery_date:
            lines.append(_("Day: %(day)s") % {"day": instruction.delivery_date.isoformat()})
        address = ", ".join(
            p for p in (instruction.address_line1, instruction.postal_code, instruction.city) if p
        )
        if address:
            lines.append(_("Address: %(address)s") % {"address": address})
        if instruction.phone:
            lines.append(_("Phone: %(phone)s") % {"phone": instruction.phone})
        if instruction.note:
            lines.append(_("Note: %(note)s") % {"note": instruction.note})
        lines += [
            "",
            _("All answers: %(url)s")
            % {"url": f"{settings.PUBLIC_BASE_URL}/dashboard/deliveries/"},
        ]
    send_mail(subject, "\n".join(lines), None, owners, fail_silently=True)
