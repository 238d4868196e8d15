from django.apps import AppConfig


class PostpurchaseConfig(AppConfig):
    name = "postpurchase"
    verbose_name = "Postpurchase core"
