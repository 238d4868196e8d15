"""Settings of the web, worker and beat processes that the reliability suite starts.

The real settings, with email going through django-anymail's Postmark backend to
the test's fake provider on 127.0.0.1, short timeouts and fast dispatcher ticks so
faults play out in seconds, not minutes.
"""

import os

from tests.settings import *  # noqa: F403

EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
ANYMAIL = {
    **ANYMAIL,  # noqa: F405
    "POSTMARK_SERVER_TOKEN": "reliability-test-token",
    "POSTMARK_API_URL": os.environ.get("FAKE_PROVIDER_URL", "http://127.0.0.1:9/"),
    "REQUESTS_TIMEOUT": float(os.environ.get("PROVIDER_TIMEOUT_SECONDS", "2")),
}
# The minute pass (which also recovers stuck claims) runs every second here.
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,  # noqa: F405
    "dispatch-touchpoints": {
        "task": "notifications.tasks.dispatch_touchpoints",
        "schedule": float(os.environ.get("DISPATCH_SECONDS", "1")),
    },
}
