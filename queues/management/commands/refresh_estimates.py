"""``manage.py refresh_estimates``: runs the estimate sweep once, now.

With ``REDIS_URL`` set it sends one refresh task per queue that needs one (a worker computes them); without it the
refreshes run right here. For after loading demo data or restoring a database, when waiting for beat will not do.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from queues.services.estimates import estimate_sweep


class Command(BaseCommand):
    help = "Refreshes the estimate of every queue with recent reports or a shown estimate (the beat sweep, once)."

    def handle(self, *args, **options):
        sent = estimate_sweep(as_of=timezone.now())
        self.stdout.write(f"{sent} queue estimate refreshes requested")
