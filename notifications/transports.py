"""Handing a built message to its provider, and telling temporary from permanent failure.

Email goes through Django's mail API, so any django-anymail ESP is a setting;
SMS goes through the SMS_BACKEND. Every failure becomes a SendError whose
`permanent` flag decides whether the dispatcher retries.
"""

import smtplib
from email.utils import formataddr, parseaddr

from anymail.exceptions import (
    AnymailAPIError,
    AnymailError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailSerializationError,
    AnymailUnsupportedFeature,
)
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from notifications.builders import OutgoingEmail, OutgoingSms
from notifications.errors import SendError
from notifications.sms import SmsMessage, get_connection

# HTTP statuses where the same request may succeed later (rate limits, outages, auth
# being fixed by an operator); any other 4xx means this message will never go.
TEMPORARY_HTTP_STATUSES = {401, 403, 408, 409, 423, 425, 429}


def email_message_id(callback_code: str) -> str:
    """A stable Message-ID per touchpoint: a resend after a crash is the same message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "postpurchase.local"
    return f"<tp-{callback_code}@{domain}>"


def default_from_email(sender_name: str) -> str:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((sender_name or name, address))


def classify_email_error(err: Exception) -> SendError:
    """Map anymail's (or SMTP's) exception onto a SendError."""
    if isinstance(err, AnymailRecipientsRefused):
        return SendError(
            f"recipient refused (hard bounce, complaint or invalid): {err}",
            permanent=True,
            code="recipient_refused",
        )
    if isinstance(
        err, AnymailInvalidAddress | AnymailUnsupportedFeature | AnymailSerializationError
    ):
        return SendError(str(err), permanent=True, code="invalid_message")
    if isinstance(err, AnymailAPIError):
        status = getattr(err, "status_code", None)
        if status is None or status >= 500 or status in TEMPORARY_HTTP_STATUSES:
            return SendError(str(err), permanent=False, code=f"esp_{status or 'unreachable'}")
        return SendError(str(err), permanent=True, code=f"esp_{status}")
    if isinstance(err, AnymailError):
        return SendError(str(err), permanent=False, code="esp_error")
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return SendError(str(err), permanent=True, code="recipient_refused")
    if isinstance(err, smtplib.SMTPResponseException):
        return SendError(str(err), permanent=err.smtp_code >= 500, code=f"smtp_{err.smtp_code}")
    return SendError(f"{type(err).__name__}: {err}", permanent=False, code="unexpected")


def send_email(message: OutgoingEmail, *, callback_code: str, tags: list[str]) -> str:
    """Send one email; return the provider's message id (else our Message-ID)."""
    headers = {"Message-ID": email_message_id(callback_code), **message.headers}
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=message.to,
        reply_to=message.reply_to or None,
        headers=headers,
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    # anymail: echoed back by the ESP's tracking webhooks, so an event finds its row
    # even before we stored the ESP's message id.
    email.metadata = {"touchpoint": callback_code}
    email.tags = tags
    try:
        email.send()
    except SendError:
        raise
    except Exception as err:
        raise classify_email_error(err) from err
    status = getattr(email, "anymail_status", None)
    message_id = getattr(status, "message_id", None) if status else None
    if isinstance(message_id, set):
        message_id = next(iter(message_id), None) if len(message_id) == 1 else None
    return str(message_id or headers["Message-ID"])


def send_sms(message: OutgoingSms, *, status_callback: str) -> str:
    """Send one SMS; return the provider's message id."""
    sms = SmsMessage(
        to=message.to,
        body=message.body,
        sender=message.sender or getattr(settings, "TWILIO_FROM_NUMBER", "") or "",
        status_callback=status_callback,
    )
    try:
        get_connection().send_messages([sms])
    except SendError:
        raise
    except Exception as err:
        raise SendError(f"{type(err).__name__}: {err}", permanent=False, code="unexpected") from err
    return sms.provider_message_id
