"""Test settings: the real settings with test doubles only for the outside world."""

from postpurchase.settings import *  # noqa: F403

SMS_BACKEND = "notifications.sms.backends.locmem.SmsBackend"
# Real-process tests point their worker at a fake ESP on 127.0.0.1 (TEST_EMAIL_BACKEND).
EMAIL_BACKEND = env_str("TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PUBLIC_BASE_URL = "http://testserver"
# The touchpoint engine: fast retries and no coalescing wait unless a test asks.
TOUCHPOINT_RETRY_BASE_SECONDS = env_float("TOUCHPOINT_RETRY_BASE_SECONDS", 0.05)  # noqa: F405
TOUCHPOINT_RETRY_MAX_SECONDS = env_float("TOUCHPOINT_RETRY_MAX_SECONDS", 0.5)  # noqa: F405
SHIPMENT_UPDATE_COALESCE_SECONDS = env_float("SHIPMENT_UPDATE_COALESCE_SECONDS", 0.0)  # noqa: F405
TWILIO_AUTH_TOKEN = "test-twilio-auth-token"
TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_FROM_NUMBER = "+4580808080"
ANYMAIL = {**ANYMAIL, "WEBHOOK_SECRET": "hook:test-webhook-secret"}  # noqa: F405
WEBHOOKS_OUT_ALLOW_PRIVATE_TARGETS = True  # the receivers in tests listen on 127.0.0.1
