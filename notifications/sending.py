"""Sending one claimed touchpoint through its channel and recording the outcome.

The order of things matters for "sent once, lost never":
1. claim (conditional UPDATE scheduled -> sending, committed);
2. re-check what may have changed since planning (consent, opt-out, a newer
   shipment status, quiet hours);
3. build the message (the kind's registered builder);
4. write the DeliveryAttempt row (committed) and call the provider;
5. mark sent, or schedule a retry with backoff, or fail for good.
A worker killed between 4 and 5 leaves a `sending` row with an in-progress
attempt; the dispatcher recovers it after TOUCHPOINT_STUCK_AFTER_SECONDS and
sends again. The provider may have accepted the first try: that is the one
duplicate we allow, and the stable Message-ID (email) / callback URL (SMS)
derived from the touchpoint's callback code lets the provider and the
buyer's mail client recognise it as the same message.
"""

import logging
import random

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from notifications import conf, dispatch, quiet_hours
from notifications.builders import OutgoingEmail, OutgoingSms, get_builder
from notifications.errors import SendError
from notifications.history import touchpoint_transition
from notifications.models import DeliveryAttempt, Touchpoint
from notifications.selectors import is_suppressed
from notifications.tokens import unsubscribe_url
from notifications.transports import default_from_email, send_email, send_sms

logger = logging.getLogger(__name__)

S = Touchpoint.Status


def touchpoint_claim(*, touchpoint_id: int) -> Touchpoint | None:
    """Win the right to send one touchpoint; None if someone else has it or it is not due."""
    if not dispatch.touchpoint_claim(touchpoint_id=touchpoint_id):
        return None
    touchpoint = Touchpoint.all_merchants.select_related(
        "order__customer", "merchant__branding"
    ).get(pk=touchpoint_id)
    # The history row says who claimed; the touchpoint in memory still says scheduled
    # so the transition's from_status is right.
    touchpoint.status = S.SENDING
    return touchpoint


def retry_delay_seconds(attempt: int) -> float:
    """Exponential backoff with a cap and jitter (half fixed, half random)."""
    delay = min(conf.retry_max_seconds(), conf.retry_base_seconds() * 2 ** max(attempt - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def touchpoint_send(*, touchpoint_id: int) -> str:
    """Claim and send; returns the touchpoint's status afterwards (or "not-claimed")."""
    touchpoint = touchpoint_claim(touchpoint_id=touchpoint_id)
    if touchpoint is None:
        return "not-claimed"
    try:
        return _send_claimed(touchpoint)
    except Exception as err:
        # A bug (a builder raising, a database hiccup) must not strand the claim:
        # treat it as a temporary failure, so it retries and ends failed at worst.
        logger.exception("touchpoint %s: unexpected error while sending", touchpoint_id)
        _record_failure(touchpoint, None, SendError(repr(err), permanent=False, code="unexpected"))
        return touchpoint.status


def _send_claimed(touchpoint: Touchpoint) -> str:
    reason = _why_not_send(touchpoint)
    if reason:
        status = S.CANCELLED if reason == "order cancelled" else S.SKIPPED
        touchpoint_transition(
            touchpoint=touchpoint, to_status=status, from_statuses=(S.SENDING,), reason=reason
        )
        return touchpoint.status

    if touchpoint.channel == Touchpoint.Channel.SMS:
        morning = quiet_hours.quiet_until(
            merchant=touchpoint.merchant, customer=touchpoint.order.customer, at=timezone.now()
        )
        if morning is not None:
            touchpoint_transition(
                touchpoint=touchpoint,
                to_status=S.SCHEDULED,
                from_statuses=(S.SENDING,),
                reason="quiet hours: deferred to the morning",
                due_at=morning,
                claimed_at=None,
            )
            return touchpoint.status

    builder = get_builder(touchpoint.kind, touchpoint.channel)
    if builder is None:
        touchpoint_transition(
            touchpoint=touchpoint,
            to_status=S.FAILED,
            from_statuses=(S.SENDING,),
            reason=f"no builder for {touchpoint.kind}/{touchpoint.channel}",
        )
        return touchpoint.status
    with translation.override(touchpoint.order.locale):
        message = builder(touchpoint)
    if message is None:
        touchpoint_transition(
            touchpoint=touchpoint,
            to_status=S.SKIPPED,
            from_statuses=(S.SENDING,),
            reason="nothing to send",
        )
        return touchpoint.status

    recipient = message.to[0] if isinstance(message, OutgoingEmail) else message.to
    if is_suppressed(merchant=touchpoint.merchant, channel=touchpoint.channel, address=recipient):
        touchpoint_transition(
            touchpoint=touchpoint,
            to_status=S.SKIPPED,
            from_statuses=(S.SENDING,),
            reason="recipient opted out",
        )
        return touchpoint.status

    if touchpoint.channel == Touchpoint.Channel.SMS:
        # Cost guard (postpurchase/limits.py): daily caps per merchant and per number.
        from postpurchase.limits import sms_quota_refusal

        refusal = sms_quota_refusal(merchant=touchpoint.merchant, to=recipient)
        if refusal:
            touchpoint_transition(
                touchpoint=touchpoint,
                to_status=S.SKIPPED,
                from_statuses=(S.SENDING,),
                reason=refusal,
            )
            return touchpoint.status

    attempt = _start_attempt(touchpoint)
    try:
        if isinstance(message, OutgoingEmail):
            _complete_email(message, touchpoint)
            provider_id = send_email(
                message,
                callback_code=touchpoint.callback_code,
                tags=[touchpoint.kind],
            )
        elif isinstance(message, OutgoingSms):
            _complete_sms(message, touchpoint)
            provider_id = send_sms(message, status_callback=status_callback_url(touchpoint))
        else:
            raise SendError(f"builder returned {type(message).__name__}", permanent=True)
    except SendError as err:
        _record_failure(touchpoint, attempt, err)
        return touchpoint.status

    now = timezone.now()
    DeliveryAttempt.all_merchants.filter(pk=attempt.pk).update(
        outcome=DeliveryAttempt.Outcome.SENT, finished_at=now, provider_message_id=provider_id
    )
    # Also from `scheduled`: if a slow send outlived its claim and was recovered, the
    # message did go, and marking it sent now prevents a second copy.
    fields = {
        "sent_at": now,
        "provider_message_id": provider_id[:200],
        "recipient": recipient[:254],
    }
    moved = touchpoint_transition(
        touchpoint=touchpoint,
        to_status=S.SENT,
        from_statuses=(S.SENDING, S.SCHEDULED),
        reason=f"handed to provider ({provider_id})",
        error="",
        **fields,
    )
    if not moved:
        # A delivery webhook beat us to it (delivered/failed already): keep its
        # status, but record what was sent.
        Touchpoint.all_merchants.filter(pk=touchpoint.pk).update(**fields)
        touchpoint.refresh_from_db(fields=["status"])
    return touchpoint.status


def _why_not_send(touchpoint: Touchpoint) -> str:
    """A reason this touchpoint must not go out any more, or ""."""
    order = touchpoint.order
    customer = order.customer
    if order.cancelled_at:
        return "order cancelled"
    if customer.erased_at:
        return "customer data erased"
    if touchpoint.channel == Touchpoint.Channel.EMAIL and not (
        customer.consent_email and customer.email
    ):
        return "no email consent"
    if touchpoint.channel == Touchpoint.Channel.SMS and not (
        customer.consent_sms and customer.phone
    ):
        return "no SMS consent"
    if touchpoint.kind == Touchpoint.Kind.SHIPMENT_UPDATE:
        from orders.models import Shipment

        shipment = (
            Shipment.objects.for_merchant(touchpoint.merchant)
            .filter(pk=touchpoint.payload.get("shipment_id"))
            .only("status")
            .first()
        )
        if shipment is None:
            return "shipment removed"
        if shipment.status != touchpoint.payload.get("status"):
            return f"superseded by a newer status ({shipment.status})"
    return ""


def _start_attempt(touchpoint: Touchpoint) -> DeliveryAttempt:
    Touchpoint.all_merchants.filter(pk=touchpoint.pk).update(attempts=F("attempts") + 1)
    touchpoint.attempts += 1
    return DeliveryAttempt.all_merchants.create(
        merchant_id=touchpoint.merchant_id, touchpoint=touchpoint, number=touchpoint.attempts
    )


def _record_failure(touchpoint: Touchpoint, attempt: DeliveryAttempt | None, err: SendError):
    now = timezone.now()
    if attempt is not None:
        DeliveryAttempt.all_merchants.filter(pk=attempt.pk).update(
            outcome=DeliveryAttempt.Outcome.PERMANENT_ERROR
            if err.permanent
            else DeliveryAttempt.Outcome.TEMPORARY_ERROR,
            finished_at=now,
            error=str(err)[:2000],
        )
    if err.permanent or touchpoint.attempts >= conf.max_attempts():
        why = (
            "permanent error" if err.permanent else f"gave up after {touchpoint.attempts} attempts"
        )
        touchpoint_transition(
            touchpoint=touchpoint,
            to_status=S.FAILED,
            from_statuses=(S.SENDING,),
            reason=f"{why}: {err}",
            error=str(err)[:2000],
        )
        if err.permanent and err.code in ("recipient_refused", "invalid_number", "opted_out"):
            from notifications.services import suppression_add_for_touchpoint

            suppression_add_for_touchpoint(touchpoint=touchpoint, reason=err.code)
    else:
        delay = retry_delay_seconds(touchpoint.attempts)
        touchpoint_transition(
            touchpoint=touchpoint,
            to_status=S.SCHEDULED,
            from_statuses=(S.SENDING,),
            reason=f"temporary error, retry in {delay:.1f}s: {err}",
            due_at=now + timezone.timedelta(seconds=delay),
            claimed_at=None,
            error=str(err)[:2000],
        )


def _complete_email(message: OutgoingEmail, touchpoint: Touchpoint) -> None:
    """Fill what every email needs: sender, reply-to and RFC 8058 one-click unsubscribe."""
    branding = getattr(touchpoint.merchant, "branding", None)
    if not message.from_email:
        message.from_email = default_from_email(
            (branding.sender_name if branding else "") or touchpoint.merchant.name
        )
    if not message.reply_to:
        reply_to = (
            branding.reply_to_email if branding else ""
        ) or touchpoint.merchant.support_email
        message.reply_to = [reply_to] if reply_to else []
    if "List-Unsubscribe" not in message.headers:
        message.headers["List-Unsubscribe"] = f"<{unsubscribe_url(touchpoint)}>"
        message.headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"


def _complete_sms(message: OutgoingSms, touchpoint: Touchpoint) -> None:
    branding = getattr(touchpoint.merchant, "branding", None)
    if not message.sender and branding and branding.sms_sender:
        message.sender = branding.sms_sender


def status_callback_url(touchpoint: Touchpoint) -> str:
    return settings.PUBLIC_BASE_URL + reverse(
        "notifications:twilio-status", kwargs={"code": touchpoint.callback_code}
    )
