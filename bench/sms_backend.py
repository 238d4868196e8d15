"""An SMS backend that hands messages to the bench's fake provider over HTTP on 127.0.0.1."""

import requests
from django.conf import settings

from notifications.sms.backends.base import BaseSmsBackend, SmsSendError

_session = requests.Session()  # keep-alive per process, as a provider SDK would


class SmsBackend(BaseSmsBackend):
    def send_messages(self, messages) -> int:
        sent = 0
        for message in messages:
            try:
                response = _session.post(
                    settings.BENCH_SMS_URL,
                    json={"to": message.to, "body": message.body, "from": message.sender},
                    timeout=10,
                )
                response.raise_for_status()
            except requests.RequestException as exc:
                if self.fail_silently:
                    continue
                raise SmsSendError(str(exc), permanent=False) from exc
            message.provider_message_id = response.json()["sid"]
            sent += 1
        return sent
