from django.apps import AppConfig


class WebhooksOutConfig(AppConfig):
    name = "notifications.webhooks_out"
    label = "webhooks_out"
    verbose_name = "Outgoing webhooks"

    def ready(self):
        from notifications.webhooks_out import receivers  # noqa: F401 - connects the signal
