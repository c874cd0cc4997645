"""``manage.py create_partner_key "<firm>"``: prints the new partner API key alone on the last line."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from queues.models import PartnerKey
from queues.services.partner_keys import partner_key_issue


class Command(BaseCommand):
    help = "Issues a partner API key for a logistics firm and prints it (once) alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("firm", help="The firm the key is for.")
        parser.add_argument("--name", default="", help="A label for the key (default: the firm).")
        parser.add_argument("--expires", default=None, help="Expiry, ISO 8601 (e.g. 2027-12-31T00:00:00Z).")

    def handle(self, *args, firm: str, name: str, expires: str | None, **options):
        expiry_date = None
        if expires:
            try:
                expiry_date = datetime.fromisoformat(expires.replace("Z", "+00:00"))
            except ValueError as exc:
                raise CommandError(f"--expires is not an ISO 8601 timestamp: {expires!r}") from exc
            if expiry_date.tzinfo is None:
                expiry_date = expiry_date.replace(tzinfo=UTC)
        key = PartnerKey(firm=firm, name=name, expiry_date=expiry_date)
        try:
            raw_key = partner_key_issue(key=key)
        except DomainError as exc:
            raise CommandError(exc.errors or exc.detail) from exc
        self.stdout.write(f"Issued key {key.prefix} for {key.firm!r}. Store it now: it is not shown again.")
        self.stdout.write(raw_key)
