"""Deploy checks (`manage.py check --deploy`) for settings Django does not know about."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def anymail_webhooks_need_a_secret(app_configs, **kwargs):
    """Without WEBHOOK_SECRET, anymail accepts tracking events from anyone.

    A forged "bounced" or "complained" event would suppress a buyer's address or
    mark a message failed, so production email through anymail needs the secret.
    """
    backend = settings.EMAIL_BACKEND
    secret = settings.ANYMAIL.get("WEBHOOK_SECRET")
    if backend.startswith("anymail.") and not secret:
        return [
            Warning(
                "Email goes through anymail but ANYMAIL_WEBHOOK_SECRET is not set: "
                "anyone can post delivery events to /n/webhooks/anymail/.",
                hint="Set ANYMAIL_WEBHOOK_SECRET to 'user:password' and use it in the "
                "provider's webhook URL.",
                id="postpurchase.W001",
            )
        ]
    return []
