"""Settings for Postpurchase, read from the environment.

Defaults run on one laptop with nothing installed: SQLite and a filesystem Celery
broker under var/. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from postpurchase.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or (
    "dev-insecure-" + "postpurchase-local-secret-key-change-me-in-production-0123456789"
)
# Old keys, comma-separated, still accepted after a rotation (sessions, stored secrets).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "postpurchase",
    "dashboard",
    "orders",
    "orders.integrations",
    "tracking",
    "notifications",
    "notifications.webhooks_out",
    "followups",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "postpurchase.limits.BodySizeLimitMiddleware",
    "postpurchase.limits.TokenProbeThrottleMiddleware",
    # A cached tracking page skips the rest (sessions, locale, CSRF, auth): see its docstring.
    "tracking.middleware.CachedTrackingPageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, auth, the dashboard's merchant and messages: Django's and ours, skipped
    # by API calls (/api/v1/, a Bearer key): postpurchase/middleware.py.
    "postpurchase.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "postpurchase.middleware.AuthenticationMiddleware",
    "postpurchase.middleware.CurrentMerchantMiddleware",
    "postpurchase.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "postpurchase.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "postpurchase.urls"
WSGI_APPLICATION = "postpurchase.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if DATABASE_URL
    else {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "db.sqlite3",
        # WAL and a busy timeout let web, worker and beat share the file.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
# The hottest writes (a send's outcome) run as server-side prepared statements
# (postpurchase/prepared.py); 0 behind a pooler in transaction mode.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASE_URL:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Django's, with the health check asking the socket first (postpurchase/db/).
        DATABASES["default"]["ENGINE"] = "postpurchase.db.postgresql"
        # PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost;
        # estimates grow with the tables, and compiling then cost more than running our
        # short indexed queries (10 of the metrics page's 18 ms at 1M orders, #10).
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "postpurchase.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/dashboard/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("da", "Dansk"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

REDIS_URL = env_str("REDIS_URL")
CACHES = {
    "default": {"BACKEND": "postpurchase.cache_backend.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

# Celery: Redis when configured, else kombu's filesystem transport under var/.
# "localhost" only names the folder set below; an empty host makes kombu warn on every use.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
if REDIS_URL:
    # kombu's Redis transport, reusing one client per pool (postpurchase/broker.py).
    CELERY_BROKER_TRANSPORT = "postpurchase.broker:Transport"
if not REDIS_URL:
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("out", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        # Broadcast (pidbox) exchanges; kombu's default is ./control in the working dir.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
        # The folder is polled; kombu's default of 1s makes every send wait up to a second.
        "polling_interval": 0.2,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Keep a worker's database connection across tasks (CONN_MAX_AGE applies, and a broken
# one is closed: postpurchase/celery.py) instead of Celery reconnecting for every task.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "dispatch-touchpoints": {
        "task": "notifications.tasks.dispatch_touchpoints",
        "schedule": 60.0,
        # A tick nobody ran in time is replaced by the next one, not queued up.
        "options": {"expires": 55},
    },
    # Due-soon work (coalesced shipment updates, retries, the end of quiet hours) must
    # not wait a minute: a cheap indexed query every second picks it up. A shipment
    # SMS leaves SHIPMENT_UPDATE_COALESCE_SECONDS (4 s) + up to one tick after its scan.
    "dispatch-touchpoints-due-soon": {
        "task": "notifications.tasks.dispatch_touchpoints_due_soon",
        "schedule": env_float("TOUCHPOINT_TICK_SECONDS", 1.0),
        "options": {"expires": 10},
    },
    "dispatch-outgoing-webhooks": {
        "task": "notifications.webhooks_out.tasks.dispatch_webhooks",
        "schedule": 15.0,
    },
    "dispatch-inbound-webhooks": {
        "task": "orders.integrations.tasks.dispatch_inbound_deliveries",
        "schedule": 60.0,
    },
    # Tracking page views are buffered in Redis and written in bulk (tracking/visit_buffer.py):
    # visit counts and impressions reach the database about this many seconds late.
    "flush-tracking-visits": {
        "task": "tracking.tasks.flush_tracking_visits",
        "schedule": env_float("TRACKING_VISIT_FLUSH_SECONDS", 5.0),
        "options": {"expires": 30},
    },
    "erase-expired-customers": {
        "task": "orders.tasks.erase_expired_customers",
        "schedule": crontab(minute=17, hour=3),
    },
    # Raw webhook bodies and sent events hold buyers' details: kept for debugging, not forever.
    "expire-integration-logs": {
        "task": "orders.integrations.tasks.expire_integration_logs",
        "schedule": crontab(minute=37, hour=3),
    },
    "expire-webhook-logs": {
        "task": "notifications.webhooks_out.tasks.expire_webhook_logs",
        "schedule": crontab(minute=47, hour=3),
    },
    "prepare-call-queues": {
        "task": "followups.tasks.prepare_call_queues",
        "schedule": crontab(minute="*/15"),
    },
    # Parcels of carriers a merchant connected are polled (docs/carriers.md).
    "poll-carriers": {
        "task": "tracking.tasks.poll_carriers",
        "schedule": env_float("CARRIER_POLL_TICK_SECONDS", 60.0),
        "options": {"expires": 50},
    },
}

# Outgoing webhooks to merchants' systems. Private and loopback targets are refused
# unless allowed (development and tests deliver to 127.0.0.1).
WEBHOOKS_OUT_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_OUT_ALLOW_PRIVATE_TARGETS", DEBUG)
WEBHOOKS_OUT_RETRY_BASE_SECONDS = env_float("WEBHOOKS_OUT_RETRY_BASE_SECONDS", 30.0)
WEBHOOKS_OUT_MAX_ATTEMPTS = env_int("WEBHOOKS_OUT_MAX_ATTEMPTS", 8)
WEBHOOKS_OUT_RETRY_MAX_SECONDS = env_float("WEBHOOKS_OUT_RETRY_MAX_SECONDS", 6 * 3600.0)
# A delivery claimed longer ago than this belongs to a worker that died: sent again.
WEBHOOKS_OUT_STUCK_AFTER_SECONDS = env_float("WEBHOOKS_OUT_STUCK_AFTER_SECONDS", 300.0)
# Inbound shop deliveries that fail to apply: retried after 10 s, 30 s, 90 s … (tripling,
# up to the cap), then kept as dead for the merchant to see. Like every work queue's
# (postpurchase/queueing.py: TOUCHPOINT_, WEBHOOKS_OUT_, INBOUND_DELIVERY_), read as
# <prefix>_MAX_ATTEMPTS, _RETRY_BASE_SECONDS, _RETRY_MAX_SECONDS (, _STUCK_AFTER_SECONDS).
INBOUND_DELIVERY_MAX_ATTEMPTS = env_int("INBOUND_DELIVERY_MAX_ATTEMPTS", 8)
INBOUND_DELIVERY_RETRY_BASE_SECONDS = env_float("INBOUND_DELIVERY_RETRY_BASE_SECONDS", 10.0)
INBOUND_DELIVERY_RETRY_MAX_SECONDS = env_float("INBOUND_DELIVERY_RETRY_MAX_SECONDS", 3600.0)
# Finished webhook deliveries (in and out) and uploaded CSV files are kept this long.
DELIVERY_LOG_RETENTION_DAYS = env_int("DELIVERY_LOG_RETENTION_DAYS", 30)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Postpurchase <no-reply@postpurchase.local>")
ANYMAIL = {
    "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", "") or None,
}
# With EMAIL_BACKEND=notifications.email_backends.PostmarkEmailBackend (see README).
if env_str("POSTMARK_SERVER_TOKEN"):
    ANYMAIL["POSTMARK_SERVER_TOKEN"] = env_str("POSTMARK_SERVER_TOKEN")
if env_str("POSTMARK_API_URL"):
    ANYMAIL["POSTMARK_API_URL"] = env_str("POSTMARK_API_URL")
# Any other provider's setting: ANYMAIL_<NAME> in the environment becomes ANYMAIL[NAME],
# e.g. ANYMAIL_MAILGUN_API_KEY, ANYMAIL_MAILGUN_SENDER_DOMAIN, ANYMAIL_SENDGRID_API_KEY.
ANYMAIL.update(
    {
        name.removeprefix("ANYMAIL_"): value
        for name, value in os.environ.items()
        if name.startswith("ANYMAIL_") and name != "ANYMAIL_WEBHOOK_SECRET" and value
    }
)
# The touchpoint engine (notifications/conf.py): retries, stuck claims, coalescing.
TOUCHPOINT_MAX_ATTEMPTS = env_int("TOUCHPOINT_MAX_ATTEMPTS", 8)
TOUCHPOINT_RETRY_BASE_SECONDS = env_float("TOUCHPOINT_RETRY_BASE_SECONDS", 30.0)
TOUCHPOINT_RETRY_MAX_SECONDS = env_float("TOUCHPOINT_RETRY_MAX_SECONDS", 3600.0)
TOUCHPOINT_STUCK_AFTER_SECONDS = env_float("TOUCHPOINT_STUCK_AFTER_SECONDS", 300.0)
SHIPMENT_UPDATE_COALESCE_SECONDS = env_float("SHIPMENT_UPDATE_COALESCE_SECONDS", 4.0)
TOUCHPOINT_BATCH_FRESH_SECONDS = env_float("TOUCHPOINT_BATCH_FRESH_SECONDS", 10.0)
TOUCHPOINT_SEND_BATCH = env_int("TOUCHPOINT_SEND_BATCH", 50)
TOUCHPOINT_DISPATCH_LIMIT = env_int("TOUCHPOINT_DISPATCH_LIMIT", 1000)
TOUCHPOINT_REQUEUE_AFTER_SECONDS = env_float("TOUCHPOINT_REQUEUE_AFTER_SECONDS", 10.0)
SMS_BACKEND = env_str("SMS_BACKEND", "notifications.sms.backends.console.SmsBackend")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
# Only for tests against a fake Twilio on 127.0.0.1 in another process.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL")

# Carrier polling (docs/carriers.md): how often a parcel is asked about, by its status.
CARRIER_POLL_OUT_FOR_DELIVERY_SECONDS = env_int("CARRIER_POLL_OUT_FOR_DELIVERY_SECONDS", 15 * 60)
CARRIER_POLL_IN_TRANSIT_SECONDS = env_int("CARRIER_POLL_IN_TRANSIT_SECONDS", 4 * 3600)
CARRIER_POLL_BATCH = env_int("CARRIER_POLL_BATCH", 100)
CARRIER_POLL_GIVE_UP_DAYS = env_int("CARRIER_POLL_GIVE_UP_DAYS", 60)
# Only for tests against a fake carrier API on 127.0.0.1 (every carrier's base URL).
CARRIER_API_BASE_URL = env_str("CARRIER_API_BASE_URL")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["postpurchase.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["postpurchase.api_auth.HasMerchant"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["postpurchase.limits.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["postpurchase.limits.MerchantApiThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "postpurchase.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Postpurchase API",
    "DESCRIPTION": "Order ingestion, shipments and touchpoints for Postpurchase merchants.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI from the installed sidecar package: no CDN, CSP stays "self".
    "ENUM_NAME_OVERRIDES": {
        "LocaleEnum": "postpurchase.models.LOCALES",
        "ShipmentStatusEnum": "orders.models.ShipmentStatus",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

# Abuse and cost limits (postpurchase/limits.py). Generous: a shop never meets them.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 5 * 1024 * 1024)
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 6000)  # requests per merchant per window
API_RATE_WINDOW = env_int("API_RATE_WINDOW", 60)
# A process remembers an API key (and its merchant) this long: another process's
# revocation or merchant deactivation takes effect within it (postpurchase/services.py).
API_KEY_CACHE_SECONDS = env_float("API_KEY_CACHE_SECONDS", 5.0)
# SMS daily caps: notifications/selectors.py:sms_quota_refusal, counted from the touchpoints.
SMS_LIMIT_PER_MERCHANT_PER_DAY = env_int("SMS_LIMIT_PER_MERCHANT_PER_DAY", 20000)
SMS_LIMIT_PER_NUMBER_PER_DAY = env_int("SMS_LIMIT_PER_NUMBER_PER_DAY", 10)
# Misses on public token links (tracking, unsubscribe, ambassador) per client per window.
TOKEN_PROBE_LIMIT = env_int("TOKEN_PROBE_LIMIT", 30)
TOKEN_PROBE_WINDOW = env_int("TOKEN_PROBE_WINDOW", 600)
# Proxies in front of `web` that append to X-Forwarded-For (postpurchase/client_ip.py).
# 0: the header is ignored and REMOTE_ADDR is the client; 1: one load balancer, …
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
# Buyers whose latest order is older than this are anonymised by a daily beat task
# (orders/privacy.py). 0 keeps buyers until erased on request.
BUYER_RETENTION_DAYS = env_int("BUYER_RETENTION_DAYS", 3 * 365)

# Production hardening: on unless DEBUG, so `check --deploy` passes from env alone.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
CSRF_FAILURE_VIEW = "postpurchase.error_views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
