"""Test settings: the real settings with test doubles only for the outside world."""

from postpurchase.settings import *  # noqa: F403

SMS_BACKEND = "notifications.sms.backends.locmem.SmsBackend"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PUBLIC_BASE_URL = "http://testserver"
