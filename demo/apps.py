from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo shop `make run` loads, its drawn product pictures, and the dev runner."""

    name = "demo"
    verbose_name = "Demo shop"
