"""``manage.py create_dispatcher --carrier <invite code> --username U --password P``."""

from django.core.management.base import BaseCommand, CommandError

from carriers import selectors, services
from core.errors import DomainError


class Command(BaseCommand):
    help = "Creates a staff user (not a superuser) who sees the carrier with this invite code in the admin."

    def add_arguments(self, parser):
        parser.add_argument("--carrier", required=True, help="The carrier's invite code.")
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, carrier: str, username: str, password: str, **options):
        found = selectors.carrier_get_by_invite_code(invite_code=carrier)
        if found is None:
            raise CommandError(f"No carrier has the invite code {carrier!r}.")
        try:
            dispatcher = services.dispatcher_create(carrier=found, username=username, password=password)
        except DomainError as exc:
            raise CommandError(exc.errors or exc.detail) from exc
        self.stdout.write(f"Created dispatcher {dispatcher.user.get_username()!r} for carrier {found.name!r}.")
