"""Default wording of every message, in the template syntax merchants edit.

Translated with Django's catalogues (notifications/locale): the active language
when a message is built decides the text. SMS defaults are written to fit one
GSM-7 segment (160 characters) together with the tracking link.
"""

from django.utils.translation import gettext as _

from notifications.models import Touchpoint


def _greeting() -> str:
    return (
        "{% if customer_first_name %}"
        + _("Hi {{ customer_first_name }},")
        + "{% else %}"
        + _("Hi,")
        + "{% endif %}"
    )


def _shipment_email(status: str) -> tuple[str, str]:
    """(subject, body) of the shipment update email for one status."""
    texts = {
        "label_created": (
            _("Your order {{ order_number }} is packed and ready to ship"),
            _(
                "Good news: your order is packed and {{ carrier }} has been told to pick it up. "
                "We will let you know when it is on its way."
            ),
        ),
        "in_transit": (
            _("Your order {{ order_number }} is on its way"),
            _(
                "Your order is on its way with {{ carrier }}."
                "{% if estimated_delivery %} It is expected on {{ estimated_delivery }}.{% endif %} "
                "You can follow it on your tracking page."
            ),
        ),
        "out_for_delivery": (
            _("Your order {{ order_number }} arrives today"),
            _(
                "Your order is out for delivery with {{ carrier }} and arrives today. "
                "Please make sure someone can receive it."
            ),
        ),
        "available_for_pickup": (
            _("Your order {{ order_number }} is ready for pickup"),
            _(
                "Your order is ready for pickup{% if location %} at {{ location }}{% endif %}. "
                "Bring your tracking number {{ tracking_number }} and a photo ID. "
                "Parcels are usually kept for 7 days before they go back to us."
            ),
        ),
        "attempt_failed": (
            _("We missed you: delivery of {{ order_number }}"),
            _(
                "{{ carrier }} tried to deliver your order but could not reach you. "
                "What happens next: they will try again on the next working day, or leave a note "
                "on where to pick it up. You can also choose a new delivery time on the tracking page."
            ),
        ),
        "delayed": (
            _("Your order {{ order_number }} is delayed"),
            _(
                "We are sorry: your order is running late with {{ carrier }}."
                "{% if estimated_delivery %} The new expected delivery is {{ estimated_delivery }}.{% endif %} "
                "What happens next: it is still on its way and you do not need to do anything. "
                "We keep an eye on it and will tell you as soon as it moves."
            ),
        ),
        "exception": (
            _("A problem with the delivery of {{ order_number }}"),
            _(
                "{{ carrier }} reported a problem with your delivery. "
                "What happens next: we have been notified and are looking into it with the carrier. "
                "We will contact you within one working day, so you do not need to do anything."
            ),
        ),
        "delivered": (
            _("Your order {{ order_number }} has been delivered"),
            _(
                "Your order has been delivered. We hope you love it! "
                "If anything is not as expected, just reply to this email and we will make it right."
            ),
        ),
        "returned_to_sender": (
            _("Your order {{ order_number }} is coming back to us"),
            _(
                "Your order could not be delivered and is on its way back to us. "
                "What happens next: when it arrives we will contact you to send it again or "
                "refund you, whichever you prefer."
            ),
        ),
    }
    subject, body = texts.get(status, texts["in_transit"])
    if status in ("attempt_failed", "exception", "available_for_pickup"):
        # The buyer can fix a failed delivery themselves (tracking/delivery/).
        body += " " + _(
            "Tell us how you want it: a new day, pickup or an instruction for the driver: "
            "{{ delivery_url }}"
        )
    return subject, _greeting() + "\n\n" + body


def _shipment_sms(status: str) -> str:
    texts = {
        "label_created": _(
            "{{ shop_name }}: order {{ order_number }} is packed. Track: {{ tracking_url }}"
        ),
        "in_transit": _(
            "{{ shop_name }}: order {{ order_number }} is on its way. Track: {{ tracking_url }}"
        ),
        "out_for_delivery": _(
            "{{ shop_name }}: your order arrives today. Track: {{ tracking_url }}"
        ),
        "available_for_pickup": _(
            "{{ shop_name }}: your order is ready for pickup. Rather have it delivered? "
            "{{ delivery_url }}"
        ),
        "attempt_failed": _(
            "{{ shop_name }}: we missed you. Choose a new day, pickup or leave a note: "
            "{{ delivery_url }}"
        ),
        "delayed": _(
            "{{ shop_name }}: your order is delayed but on its way. No action needed: {{ tracking_url }}"
        ),
        "exception": _(
            "{{ shop_name }}: a delivery problem. Check your address or tell us what to do: "
            "{{ delivery_url }}"
        ),
        "delivered": _("{{ shop_name }}: your order is delivered. Enjoy! {{ tracking_url }}"),
        "returned_to_sender": _(
            "{{ shop_name }}: your order is returning to us. We will contact you: {{ tracking_url }}"
        ),
    }
    return texts.get(status, texts["in_transit"])


def default_text(kind: str, channel: str, shipment_status: str = "") -> tuple[str, str]:
    """(subject, body) source of the default template; subject is "" for SMS."""
    if kind == Touchpoint.Kind.CONGRATULATION:
        if channel == Touchpoint.Channel.SMS:
            return "", _(
                "{{ shop_name }}: thank you for your order {{ order_number }}! Track it: {{ tracking_url }}"
            )
        return (
            _("Thank you for your order {{ order_number }}!"),
            _greeting()
            + "\n\n"
            + _(
                "Your order {{ order_number }} is confirmed and we are already getting it ready "
                "for you. Here is everything you bought, and when to expect it."
            ),
        )
    if kind == Touchpoint.Kind.SHIPMENT_UPDATE:
        if channel == Touchpoint.Channel.SMS:
            return "", _shipment_sms(shipment_status)
        return _shipment_email(shipment_status)
    return (
        _("A message about your order {{ order_number }}"),
        _greeting() + "\n\n" + _("Follow your order: {{ tracking_url }}"),
    )


def default_headline(kind: str, shipment_status: str = "") -> str:
    """The big line at the top of an email."""
    if kind == Touchpoint.Kind.CONGRATULATION:
        return _("Congratulations on your new purchase!")
    return {
        "label_created": _("Packed and ready to ship"),
        "in_transit": _("Your order is on its way"),
        "out_for_delivery": _("Arriving today"),
        "available_for_pickup": _("Ready for pickup"),
        "attempt_failed": _("We missed you"),
        "delayed": _("Your order is delayed"),
        "exception": _("A problem with your delivery"),
        "delivered": _("Delivered"),
        "returned_to_sender": _("On its way back to us"),
    }.get(shipment_status, _("Shipment update"))
