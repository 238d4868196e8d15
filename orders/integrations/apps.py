from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "orders.integrations"
    label = "integrations"
    verbose_name = "Shop and carrier integrations"

    def ready(self):
        from orders.integrations import privacy  # noqa: F401 - registers the buyer-data handler
