"""Tracking: the branded public tracking pages, cross-sell and carrier feeds."""

from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"

    def ready(self):
        from orders.signals import shipment_created
        from tracking.cache import connect_signals
        from tracking.carriers.polling import start_tracker_of_new_shipment

        connect_signals()
        shipment_created.connect(start_tracker_of_new_shipment, dispatch_uid="carrier-tracker")
