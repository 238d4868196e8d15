"""Settings for `make bench`: production settings plus the baselines and a fake provider.

The baseline view and the no-op task live only here, never in production URLs or apps.
"""

import os

from postpurchase.settings import *  # noqa: F403
from postpurchase.settings import INSTALLED_APPS, LOGGING, STORAGES

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# Plain HTTP on loopback: no redirect to https, cookies usable by the load generator.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The outside world is a fake provider on 127.0.0.1: real HTTP, real anymail backend.
PROVIDER_URL = os.environ.get("BENCH_PROVIDER_URL", "http://127.0.0.1:9/").rstrip("/")
EMAIL_BACKEND = "notifications.email_backends.PostmarkEmailBackend"
ANYMAIL = {
    "POSTMARK_SERVER_TOKEN": "bench-token",
    "POSTMARK_API_URL": f"{PROVIDER_URL}/postmark/",
}
SMS_BACKEND = "bench.sms_backend.SmsBackend"
BENCH_SMS_URL = f"{PROVIDER_URL}/sms"

# Logging a line per request or task would measure the terminal, not the app.
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}

# The load sections post far more orders per minute than a shop's default allowance
# (API_RATE_LIMIT, 6,000): the limiter still runs for every request, its Redis round
# trip is part of an order's cost, but it never answers 429 here.
API_RATE_LIMIT = 1_000_000_000
