"""SMS sending, shaped like django.core.mail: pluggable backends chosen by SMS_BACKEND."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

# Filled by notifications.sms.backends.locmem, like django.core.mail.outbox.
outbox: list = []


@dataclass
class SmsMessage:
    to: str
    body: str
    sender: str = ""
    # Set by the backend once the provider accepted the message.
    provider_message_id: str = ""
    status_callback: str = ""
    extra: dict = field(default_factory=dict)


def get_connection(backend: str | None = None, **kwargs):
    return import_string(backend or settings.SMS_BACKEND)(**kwargs)


def send_sms(
    to: str, body: str, sender: str = "", *, status_callback: str = "", connection=None
) -> SmsMessage:
    message = SmsMessage(to=to, body=body, sender=sender, status_callback=status_callback)
    (connection or get_connection()).send_messages([message])
    return message
