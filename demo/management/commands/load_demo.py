"""Load the demo merchant (idempotent) and print what to open; see demo/loader.py."""

from django.core.management.base import BaseCommand

from demo.loader import load_demo
from demo.summary import demo_summary, new_key_keep


class Command(BaseCommand):
    help = "Load the Nordic Living demo merchant with orders in every shipment state."

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-api-key",
            action="store_true",
            help="Revoke the demo API key and print a new one (keys are shown only once).",
        )

    def handle(self, *args, **options):
        result = load_demo(new_api_key=options["new_api_key"])
        if result["created"] or result["new_orders"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded demo merchant {result['merchant'].name}: "
                    f"{result['new_orders']} new order(s)."
                )
            )
        else:
            self.stdout.write("Demo merchant already loaded; nothing changed.")
        if result["api_key"]:
            new_key_keep(result["api_key"])  # serve_all shows it again, last on the screen
        self.stdout.write(demo_summary(api_key=result["api_key"]))
