"""Click-to-call through Twilio Voice: ring the account manager, then connect the buyer.

The buyer sees the merchant's number (CallSettings.caller_id). Twilio reports both
legs to /calls/twilio/<code>/: the manager's call status, and the `<Dial>` result
(DialCallStatus, DialCallDuration) that prefills the outcome. Callbacks are
trusted only with a valid X-Twilio-Signature.
"""

import logging
from xml.sax.saxutils import quoteattr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from followups.models import CallDial, FollowUpCall
from postpurchase.models import Merchant, User

logger = logging.getLogger(__name__)


def dialing_available(*, merchant: Merchant, user: User) -> bool:
    from followups.services import call_settings_for

    return bool(
        settings.TWILIO_ACCOUNT_SID
        and settings.TWILIO_AUTH_TOKEN
        and call_settings_for(merchant=merchant).caller_id
        and user.phone
    )


def _callback_url(dial: CallDial) -> str:
    return settings.PUBLIC_BASE_URL + reverse("followups:twilio-status", args=[dial.code])


def _twiml(*, caller_id: str, buyer_phone: str, action: str) -> str:
    # The manager has answered: now ring the buyer, showing the merchant's number.
    return (
        f"<Response><Dial callerId={quoteattr(caller_id)} action={quoteattr(action)} "
        f'timeout="25"><Number>{buyer_phone}</Number></Dial></Response>'
    )


def call_dial(*, merchant: Merchant, call: FollowUpCall, by: User) -> CallDial:
    """Start a click-to-call. Raises ValidationError when it cannot be placed."""
    from followups.services import call_settings_for

    rules = call_settings_for(merchant=merchant)
    customer = call.order.customer
    if not call.is_open:
        raise ValidationError({"dial": [_("This call is already finished.")]})
    if not customer.consent_call or not customer.phone:
        raise ValidationError({"dial": [_("This buyer cannot be called.")]})
    if not dialing_available(merchant=merchant, user=by):
        raise ValidationError(
            {"dial": [_("Click-to-call needs a Twilio number in the call rules and your phone.")]}
        )
    # The row exists (committed) before Twilio is asked, so its callback always finds it.
    dial = CallDial.objects.create(merchant=merchant, call=call, by=by)
    url = _callback_url(dial)
    try:
        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=15),
        )
        placed = client.calls.create(
            to=by.phone,
            from_=rules.caller_id,
            twiml=_twiml(caller_id=rules.caller_id, buyer_phone=customer.phone, action=url),
            status_callback=url,
            status_callback_event=["completed"],
        )
    except TwilioException as err:
        logger.warning("click-to-call for call %s failed: %s", call.pk, err)
        dial.status = "failed"
        dial.error = str(err)[:300]
        dial.save(update_fields=["status", "error", "updated_at"])
        raise ValidationError(
            {"dial": [_("Twilio could not place the call. Use your phone.")]}
        ) from err
    dial.twilio_sid = placed.sid or ""
    dial.save(update_fields=["twilio_sid", "updated_at"])
    return dial


def call_dial_record_status(*, code: str, data: dict) -> CallDial | None:
    """Store what Twilio reported (already signature-checked). Unknown code: None."""
    dial = (
        CallDial.objects.unscoped(reason="Twilio's signed callback names the dial by its code")
        .filter(code=code)
        .first()
    )
    if dial is None:
        return None
    fields = ["updated_at"]
    if data.get("DialCallStatus"):
        dial.buyer_status = data["DialCallStatus"][:20]
        fields.append("buyer_status")
        duration = data.get("DialCallDuration", "")
        if duration.isdigit():
            dial.duration_seconds = int(duration)
            fields.append("duration_seconds")
    elif data.get("CallStatus"):
        dial.status = data["CallStatus"][:20]
        fields.append("status")
    dial.save(update_fields=fields)
    return dial
