"""Handing a built message to its provider, and telling temporary from permanent failure.

Email goes through Django's mail API, so any django-anymail ESP is a setting;
SMS goes through the SMS_BACKEND. Every failure becomes a SendError whose
`permanent` flag decides whether the dispatcher retries.
"""

import functools
import os
import smtplib
import threading
from email.utils import formataddr, parseaddr

import requests
from anymail.backends.base import AnymailBaseBackend
from anymail.exceptions import (
    AnymailAPIError,
    AnymailError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
    AnymailSerializationError,
    AnymailUnsupportedFeature,
)
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from requests.structures import CaseInsensitiveDict

from notifications import sms
from notifications.builders import OutgoingEmail, OutgoingSms
from notifications.errors import SendError
from notifications.sms import SmsMessage

# HTTP statuses where the same request may succeed later (rate limits, outages, auth
# being fixed by an operator); any other 4xx means this message will never go.
TEMPORARY_HTTP_STATUSES = {401, 403, 408, 409, 423, 425, 429}


_connections = threading.local()


def _kept_open(kind: str, config: tuple, open_connection):
    """This thread's open backend for `config`, so sends reuse the provider's HTTP
    connection (anymail keeps a requests session while open; the Twilio client
    keeps one per instance) instead of a new TCP connection per message.
    Made after fork, in the process that sends; a changed setting makes a new one."""
    kept = getattr(_connections, kind, None)
    if kept is None or kept[0] != config:
        if kept is not None:
            close = getattr(kept[1], "close", None)
            if close:
                close()
        kept = (config, open_connection())
        setattr(_connections, kind, kept)
    return kept[1]


def email_connection():
    def open_connection():
        connection = mail.get_connection()
        # Only anymail's backends are kept open: an idle SMTP connection would be
        # dropped by the server, so SMTP still connects per message.
        if isinstance(connection, AnymailBaseBackend):
            connection.open()
            _read_environment_once(connection)
            _lean_session(connection)
        return connection

    config = (settings.EMAIL_BACKEND, repr(settings.ANYMAIL))
    return _kept_open("email", config, open_connection)


def _read_environment_once(connection) -> None:
    """requests reads proxy and CA settings from the environment on every request (a scan
    of os.environ: a tenth of a send's CPU). A backend only calls its one API URL, so
    read them once for it, with the same result."""
    session, api_url = getattr(connection, "session", None), getattr(connection, "api_url", "")
    if session is None or not api_url or not session.trust_env:
        return
    for scheme, proxy in requests.utils.get_environ_proxies(api_url).items():
        session.proxies.setdefault(scheme, proxy)
    if session.verify is True:
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
            "CURL_CA_BUNDLE", True
        )
    session.trust_env = False


def _lean_session(connection) -> None:
    """Give an anymail backend that reads no environment per request a _LeanSession with
    the same settings, adapters (kept-alive connections) and headers."""
    session = getattr(connection, "session", None)
    if type(session) is requests.Session and not session.trust_env:
        lean = _LeanSession()
        lean.__dict__.update(session.__dict__)
        connection.session = lean


@functools.lru_cache(maxsize=8)
def _prepared_url(url: str) -> str:
    """requests' normalised form of a backend's API URL (IDNA, quoting), worked out once."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return prepared.url


class _LeanSession(requests.Session):
    """A requests session whose plain calls to its one API skip the session layer.

    Per call, requests.Session merges cookies, auth, hooks and environment into a new
    request, then after the answer stores cookies and looks for redirects: ~140 µs of
    CPU, a twentieth of a send (#16, second round). An ESP's send call has none of these:
    a JSON body, fixed headers with the token, no cookies (the API authenticates by
    token; cookies it might set are not sent back) and no redirects (a 3xx answer is
    sent again the full way, which follows it as requests would; the message was not
    accepted, so this sends nothing twice). So the request is prepared directly and given
    to the session's own transport adapter: the same connection pool, TLS verification,
    proxies (from `_read_environment_once`), timeouts and exceptions, the same
    requests.Response for anymail to parse. Any other call goes through requests.
    """

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):
        timeout = kwargs.pop("timeout", None)
        plain = not (
            params
            or self.params
            or self.auth
            or self.cookies
            or self.trust_env
            or self.hooks["response"]
            or any(value is not None for value in kwargs.values())
            or not isinstance(data, str | bytes)
        )
        if not plain:
            return super().request(method, url, params, data, headers, timeout=timeout, **kwargs)
        prepared = requests.PreparedRequest()
        prepared.method = method.upper()
        prepared.url = _prepared_url(url)
        merged = CaseInsensitiveDict(self.headers)
        merged.update(headers or {})
        prepared.prepare_headers({k: v for k, v in merged.items() if v is not None})
        prepared.prepare_body(data, None)
        prepared.hooks = {"response": []}
        response = self.get_adapter(prepared.url).send(
            prepared,
            stream=False,
            timeout=timeout,
            verify=self.verify,
            cert=self.cert,
            proxies=dict(self.proxies),
        )
        response.content  # noqa: B018 -- read the body, so the connection goes back to the pool
        if response.is_redirect:
            return super().request(method, url, params, data, headers, timeout=timeout, **kwargs)
        return response


def sms_connection():
    config = tuple(
        repr(getattr(settings, name))
        for name in (
            "SMS_BACKEND",
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_FROM_NUMBER",
            "TWILIO_API_BASE_URL",
        )
    )
    return _kept_open("sms", config, sms.get_connection)


@functools.lru_cache(maxsize=8)
def _parsed_address(address: str) -> tuple[str, str]:
    """parseaddr of a setting, which every send used to parse again."""
    return parseaddr(address)


def email_message_id(callback_code: str) -> str:
    """A stable Message-ID per touchpoint: a resend after a crash is the same message."""
    address = _parsed_address(settings.DEFAULT_FROM_EMAIL)[1]
    domain = address.rpartition("@")[2] or "postpurchase.local"
    return f"<tp-{callback_code}@{domain}>"


def default_from_email(sender_name: str) -> str:
    name, address = _parsed_address(settings.DEFAULT_FROM_EMAIL)
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
        email.connection = email_connection()
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
    text = SmsMessage(
        to=message.to,
        body=message.body,
        sender=message.sender or settings.TWILIO_FROM_NUMBER,
        status_callback=status_callback,
    )
    try:
        sms_connection().send_messages([text])
    except SendError:
        raise
    except Exception as err:
        raise SendError(f"{type(err).__name__}: {err}", permanent=False, code="unexpected") from err
    return text.provider_message_id
