"""Create a merchant and its first API key; print them as one JSON line."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from postpurchase.services import api_key_create, merchant_create


class Command(BaseCommand):
    help = 'Create a merchant with an API key. Prints {"merchant": SLUG, "api_key": KEY}.'

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--owner-email", default="")
        parser.add_argument("--locale", default="en", choices=["en", "da", "de"])

    def handle(self, *args, **options):
        try:
            merchant = merchant_create(
                name=options["name"],
                slug=options["slug"],
                timezone_name=options["timezone"],
                owner_email=options["owner_email"],
                locale=options["locale"],
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        _, raw = api_key_create(merchant=merchant, name="Default key")
        self.stdout.write(json.dumps({"merchant": merchant.slug, "api_key": raw}))
