"""Tracking: the branded public tracking pages, cross-sell and carrier feeds."""

from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"

    def ready(self):
        from tracking.cache import connect_signals

        connect_signals()
