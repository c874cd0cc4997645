"""``manage.py create_carrier "<name>"``: prints the new carrier's invite code alone on the last line."""

from django.core.management.base import BaseCommand, CommandError

from carriers import services
from core.errors import DomainError


class Command(BaseCommand):
    help = "Creates a carrier and prints its invite code alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The carrier's name.")

    def handle(self, *args, name: str, **options):
        try:
            carrier = services.carrier_create(name=name)
        except DomainError as exc:
            raise CommandError(exc.errors or exc.detail) from exc
        self.stdout.write(f"Created carrier #{carrier.pk} {carrier.name!r}. Invite code:")
        self.stdout.write(carrier.invite_code)
