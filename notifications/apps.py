from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from anymail.signals import tracking

        # Registers the builders of congratulation and shipment_update messages.
        from notifications import messages  # noqa: F401
        from notifications.webhooks import anymail_tracking_received

        tracking.connect(anymail_tracking_received, dispatch_uid="notifications.anymail_tracking")
