from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "orders.integrations"
    label = "integrations"
    verbose_name = "Shop and carrier integrations"
