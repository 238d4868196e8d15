"""The builders of the engine's own kinds: congratulation and shipment_update."""

from django.utils.translation import gettext as _

from notifications.builders import OutgoingEmail, OutgoingSms, register_builder
from notifications.models import Touchpoint


@register_builder(Touchpoint.Kind.CONGRATULATION, Touchpoint.Channel.EMAIL)
def congratulation_email(touchpoint) -> OutgoingEmail:
    order = touchpoint.order
    return OutgoingEmail(
        to=[order.customer.email],
        subject=_("Thank you for your order %(number)s") % {"number": order.number},
        text=_("Track your order: %(url)s") % {"url": order.tracking_url},
    )


@register_builder(Touchpoint.Kind.SHIPMENT_UPDATE, Touchpoint.Channel.EMAIL)
def shipment_update_email(touchpoint) -> OutgoingEmail:
    order = touchpoint.order
    return OutgoingEmail(
        to=[order.customer.email],
        subject=_("Update on your order %(number)s") % {"number": order.number},
        text=_("Track your order: %(url)s") % {"url": order.tracking_url},
    )


@register_builder(Touchpoint.Kind.SHIPMENT_UPDATE, Touchpoint.Channel.SMS)
def shipment_update_sms(touchpoint) -> OutgoingSms:
    order = touchpoint.order
    return OutgoingSms(to=order.customer.phone, body=f"{order.number}: {order.tracking_url}")
