from django.apps import AppConfig


class PostpurchaseConfig(AppConfig):
    name = "postpurchase"
    verbose_name = "Postpurchase core"

    def ready(self):
        from postpurchase import (  # noqa: F401
            security_checks,  # registers deploy checks
            services,  # connects the API key cache's signals
        )
