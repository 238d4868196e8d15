"""Sends SMS through Twilio's Messages API (the `twilio` package).

Twilio's error codes decide whether a failure is permanent: an invalid or
unreachable number, or a recipient who replied STOP, never succeeds on retry.
"""

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from notifications.sms.backends.base import BaseSmsBackend, SmsSendError

# https://www.twilio.com/docs/api/errors
OPTED_OUT_CODES = {21610}  # "Attempt to send to unsubscribed recipient"
INVALID_NUMBER_CODES = {21211, 21214, 21612, 21614, 21401, 21407, 21408, 21421}
INVALID_MESSAGE_CODES = {21602, 21617, 21619, 21620}
# Statuses worth retrying even without a code: auth being fixed, rate limits, outages.
TEMPORARY_STATUSES = {401, 403, 404, 408, 409, 429}


def classify(err: TwilioRestException) -> SmsSendError:
    code = err.code or 0
    text = f"twilio {err.status} error {code}: {err.msg}"
    if code in OPTED_OUT_CODES:
        return SmsSendError(text, permanent=True, code="opted_out")
    if code in INVALID_NUMBER_CODES:
        return SmsSendError(text, permanent=True, code="invalid_number")
    if code in INVALID_MESSAGE_CODES:
        return SmsSendError(text, permanent=True, code="invalid_message")
    if err.status >= 500 or err.status in TEMPORARY_STATUSES:
        return SmsSendError(text, permanent=False, code=f"twilio_{code or err.status}")
    return SmsSendError(text, permanent=True, code=f"twilio_{code or err.status}")


class SmsBackend(BaseSmsBackend):
    def __init__(
        self,
        *args,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_number: str | None = None,
        http_client=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.from_number = from_number or settings.TWILIO_FROM_NUMBER
        self.client = Client(
            account_sid or settings.TWILIO_ACCOUNT_SID,
            auth_token or settings.TWILIO_AUTH_TOKEN,
            http_client=http_client or TwilioHttpClient(timeout=15),
        )
        # Only for tests against a fake Twilio on 127.0.0.1 in another process.
        base_url = settings.TWILIO_API_BASE_URL
        if base_url:
            self.client.api.base_url = base_url

    def send_messages(self, messages) -> int:
        sent = 0
        for message in messages:
            params = {"to": message.to, "body": message.body}
            sender = message.sender or self.from_number
            if sender.startswith("MG"):
                params["messaging_service_sid"] = sender
            else:
                params["from_"] = sender
            if message.status_callback:
                params["status_callback"] = message.status_callback
            try:
                created = self.client.messages.create(**params)
            except TwilioRestException as err:
                if self.fail_silently:
                    continue
                raise classify(err) from err
            except (TwilioException, requests.RequestException) as err:
                if self.fail_silently:
                    continue
                raise SmsSendError(f"twilio unreachable: {err}", permanent=False) from err
            message.provider_message_id = created.sid
            sent += 1
        return sent
