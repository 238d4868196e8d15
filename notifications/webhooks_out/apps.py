from django.apps import AppConfig


class WebhooksOutConfig(AppConfig):
    name = "notifications.webhooks_out"
    label = "webhooks_out"
    verbose_name = "Outgoing webhooks"

    def ready(self):
        # Importing connects the event signal and registers the buyer-data handler.
        from notifications.webhooks_out import privacy, receivers  # noqa: F401
