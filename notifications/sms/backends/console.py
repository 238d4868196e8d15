"""Writes SMS to standard output, for development."""

import secrets
import sys
import threading

from notifications.sms.backends.base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    _lock = threading.Lock()

    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout

    def send_messages(self, messages) -> int:
        with self._lock:
            for message in messages:
                message.provider_message_id = f"console-{secrets.token_hex(8)}"
                self.stream.write(
                    f"SMS from {message.sender or '-'} to {message.to}:\n{message.body}\n{'-' * 40}\n"
                )
            self.stream.flush()
        return len(messages)
