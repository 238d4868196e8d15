from django.apps import AppConfig


class PostpurchaseConfig(AppConfig):
    name = "postpurchase"
    verbose_name = "Postpurchase core"

    def ready(self):
        from postpurchase import security_checks  # noqa: F401 - registers deploy checks
