"""Run one pass of exactly what Celery beat runs every minute."""

from django.core.management.base import BaseCommand

from notifications.dispatch import touchpoints_dispatch_due


class Command(BaseCommand):
    help = "Send or queue every touchpoint that is due (one pass of the beat dispatcher)."

    def handle(self, *args, **options):
        ids = touchpoints_dispatch_due()
        self.stdout.write(f"queued {len(ids)} touchpoint(s)")
