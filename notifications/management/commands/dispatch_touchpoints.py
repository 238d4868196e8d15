"""Run one pass of exactly what Celery beat runs every minute."""

from django.core.management.base import BaseCommand

from notifications.dispatch import touchpoints_dispatch_due


class Command(BaseCommand):
    help = "Send or queue every touchpoint that is due (one pass of the beat dispatcher)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Send in this process instead of queueing Celery tasks (no worker needed).",
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="At most this many (TOUCHPOINT_DISPATCH_LIMIT)."
        )

    def handle(self, *args, **options):
        ids = touchpoints_dispatch_due(limit=options["limit"], inline=options["inline"])
        verb = "processed" if options["inline"] else "queued"
        self.stdout.write(f"{verb} {len(ids)} touchpoint(s)")
