"""Load the demo merchant (idempotent) and print what to open; see postpurchase/demo.py."""

from django.conf import settings
from django.core.management.base import BaseCommand

from postpurchase.demo import demo_summary, load_demo


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
        self.stdout.write(demo_summary())
        if result["api_key"]:
            self.stdout.write(
                f"  API key       {result['api_key']}   (shown once)\n"
                f"                curl -H 'Authorization: Bearer {result['api_key']}' "
                f"{settings.PUBLIC_BASE_URL}/api/v1/orders/"
            )
        else:
            self.stdout.write(
                "  API key       shown on the first load only; "
                "`python manage.py load_demo --new-api-key` makes a new one."
            )
