"""Delivery status coming back: anymail tracking events and Twilio status callbacks.

Nothing from a callback is read before its signature is checked. A status only
moves forward (sent -> delivered/failed); a late or repeated callback changes nothing.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from notifications import services
from notifications.history import touchpoint_transition
from notifications.models import Suppression, Touchpoint

logger = logging.getLogger(__name__)

S = Touchpoint.Status
CALLBACK = "a provider's authenticated callback names the touchpoint by its own code"

# Twilio MessageStatus -> our status. queued/sending/sent/accepted change nothing.
TWILIO_FINAL = {"delivered": S.DELIVERED, "undelivered": S.FAILED, "failed": S.FAILED}
# Twilio error codes that mean this number will never receive our texts.
TWILIO_PERMANENT_CODES = {
    "21211",
    "21214",
    "21408",
    "21610",
    "21612",
    "21614",
    "30003",
    "30005",
    "30006",
    "30007",
}

# anymail's normalized event types -> our status.
ANYMAIL_DELIVERED = {"delivered", "opened", "clicked"}
ANYMAIL_OPENED = {"opened", "clicked"}  # a click implies the email was opened
ANYMAIL_FAILED = {"bounced", "rejected", "failed"}
ANYMAIL_OPT_OUT = {
    "complained": Suppression.Reason.COMPLAINT,
    "unsubscribed": Suppression.Reason.UNSUBSCRIBED,
}


def twilio_signature_valid(request) -> bool:
    """Check X-Twilio-Signature over the public URL Twilio called, not the proxied one."""
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    return RequestValidator(token).validate(url, request.POST.dict(), signature)


def touchpoint_record_delivery(*, touchpoint: Touchpoint, delivered: bool, detail: str) -> bool:
    """Move a sent touchpoint to delivered or failed. Already final: nothing happens."""
    from django.utils import timezone

    if delivered:
        return touchpoint_transition(
            touchpoint=touchpoint,
            to_status=S.DELIVERED,
            from_statuses=(S.SENT, S.SENDING),
            reason=detail,
            delivered_at=timezone.now(),
        )
    return touchpoint_transition(
        touchpoint=touchpoint,
        to_status=S.FAILED,
        from_statuses=(S.SENT, S.SENDING, S.DELIVERED),
        reason=detail,
        error=detail[:2000],
    )


def touchpoint_record_open(*, touchpoint: Touchpoint, at=None) -> bool:
    """Keep the first open only: providers report every re-open and click."""
    from django.utils import timezone

    return bool(
        Touchpoint.objects.unscoped(reason=CALLBACK)
        .filter(pk=touchpoint.pk, opened_at__isnull=True)
        .update(opened_at=at or timezone.now())
    )


@csrf_exempt
@require_POST
def twilio_status(request, code: str):
    if not twilio_signature_valid(request):
        return HttpResponseForbidden("bad signature")
    status = request.POST.get("MessageStatus", "")
    error_code = request.POST.get("ErrorCode", "")
    final = TWILIO_FINAL.get(status)
    touchpoint = (
        Touchpoint.objects.unscoped(reason=CALLBACK)
        .select_related("merchant", "order__customer")
        .filter(callback_code=code)
        .first()
    )
    if touchpoint is None or final is None:
        return HttpResponse(status=204)
    with transaction.atomic():
        detail = f"twilio: {status}" + (f" (error {error_code})" if error_code else "")
        touchpoint_record_delivery(
            touchpoint=touchpoint, delivered=final == S.DELIVERED, detail=detail
        )
        if error_code in TWILIO_PERMANENT_CODES:
            services.suppression_add_for_touchpoint(touchpoint=touchpoint, reason="invalid_number")
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request):
    """Inbound SMS: STOP and its synonyms opt the number out, START opts it back in."""
    if not twilio_signature_valid(request):
        return HttpResponseForbidden("bad signature")
    outcome = services.sms_inbound_handle(
        from_number=request.POST.get("From", ""), body=request.POST.get("Body", "")
    )
    logger.info("inbound SMS keyword: %s", outcome)
    # Empty TwiML: Twilio's own opt-out handling sends the carrier-mandated reply.
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml"
    )


def anymail_tracking_received(sender, event, esp_name, **kwargs):
    """anymail's `tracking` signal: already authenticated by its WEBHOOK_SECRET basic auth."""
    touchpoint = None
    code = (getattr(event, "metadata", None) or {}).get("touchpoint")
    queryset = Touchpoint.objects.unscoped(reason=CALLBACK).select_related(
        "merchant", "order__customer"
    )
    if code:
        touchpoint = queryset.filter(callback_code=code).first()
    if touchpoint is None and event.message_id:
        touchpoint = queryset.filter(provider_message_id=event.message_id).first()
    if touchpoint is None:
        return
    detail = f"{esp_name}: {event.event_type}" + (
        f" ({event.description or event.mta_response})"
        if (event.description or event.mta_response)
        else ""
    )
    with transaction.atomic():
        if event.event_type in ANYMAIL_OPENED:
            touchpoint_record_open(touchpoint=touchpoint, at=event.timestamp)
        if event.event_type in ANYMAIL_DELIVERED:
            touchpoint_record_delivery(touchpoint=touchpoint, delivered=True, detail=detail)
        elif event.event_type in ANYMAIL_FAILED:
            touchpoint_record_delivery(touchpoint=touchpoint, delivered=False, detail=detail)
            if event.event_type in ("bounced", "rejected"):
                services.suppression_add_for_touchpoint(touchpoint=touchpoint, reason="hard_bounce")
        elif event.event_type in ANYMAIL_OPT_OUT and event.recipient:
            services.email_unsubscribe(merchant_id=touchpoint.merchant_id, address=event.recipient)
