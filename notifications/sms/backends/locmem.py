"""Keeps sent SMS in notifications.sms.outbox, for tests."""

import copy
import secrets

from notifications import sms
from notifications.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def send_messages(self, messages) -> int:
        for message in messages:
            message.provider_message_id = (
                message.provider_message_id or f"locmem-{secrets.token_hex(8)}"
            )
            sms.outbox.append(copy.copy(message))
        return len(messages)
