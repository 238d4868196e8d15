"""The two endorsement emails: the ask to the ambassador, and their note to the buyer.

Registered as the `endorsement_request`/`email` builder in FollowupsConfig.ready; the
touchpoint's payload says which of the two it is ("recipient": "ambassador"|"buyer").
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from followups.endorsements import opt_out_token, send_token
from followups.models import Endorsement
from notifications.builders import OutgoingEmail
from notifications.transports import default_from_email as _sender


def endorsement_email(touchpoint) -> OutgoingEmail | None:
    endorsement = (
        Endorsement.objects.for_merchant(touchpoint.merchant)
        .select_related("ambassador__customer", "order__customer", "merchant")
        .filter(pk=touchpoint.payload.get("endorsement_id"))
        .first()
    )
    if endorsement is None:
        return None
    if touchpoint.payload.get("recipient") == "buyer":
        return _note_to_buyer(endorsement)
    return _ask_ambassador(endorsement)


def _ask_ambassador(endorsement: Endorsement) -> OutgoingEmail | None:
    ambassador = endorsement.ambassador
    person = ambassador.customer
    if not ambassador.is_available or not person.email:
        return None
    if endorsement.status != Endorsement.Status.REQUESTED:
        return None
    merchant = endorsement.merchant
    base = settings.PUBLIC_BASE_URL
    send_url = base + reverse("followups:endorse", args=[send_token(endorsement)])
    opt_out_url = base + reverse("followups:ambassador-opt-out", args=[opt_out_token(ambassador)])
    with translation.override(person.locale or merchant.default_locale):
        context = {
            "ambassador": person,
            "buyer": endorsement.order.customer,
            "merchant": merchant,
            "message": endorsement.message,
            "send_url": send_url,
            "opt_out_url": opt_out_url,
        }
        subject = _("Would you welcome %(buyer)s to %(shop)s?") % {
            "buyer": endorsement.order.customer.first_name or _("a new customer"),
            "shop": merchant.name,
        }
        return OutgoingEmail(
            to=[person.email],
            subject=subject,
            text=render_to_string("followups/email/ask_ambassador.txt", context),
            html=render_to_string("followups/email/ask_ambassador.html", context),
            from_email=_sender(merchant.name),
            # The opt-out here is the ambassador's, not the buyer's.
            headers={
                "List-Unsubscribe": f"<{opt_out_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )


def _note_to_buyer(endorsement: Endorsement) -> OutgoingEmail | None:
    """Plain, personal and honest: from the ambassador's name, answered by the ambassador."""
    person = endorsement.ambassador.customer
    buyer = endorsement.order.customer
    if not (buyer.email and person.email):
        return None
    merchant = endorsement.merchant
    context = {"ambassador": person, "merchant": merchant, "message": endorsement.message}
    return OutgoingEmail(
        to=[buyer.email],
        subject=_("A note from %(name)s") % {"name": person.full_name or person.email},
        text=render_to_string("followups/email/note_to_buyer.txt", context),
        html="",  # plain text on purpose: a personal note, not a newsletter
        reply_to=[person.email],
        from_email=_sender(
            _("%(name)s via %(shop)s") % {"name": person.full_name, "shop": merchant.name}
        ),
    )
