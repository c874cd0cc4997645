"""Writes of the workplace: remembering a dispatcher's language (notifications are marked read by
``carriers.services.notifications_mark_read``)."""

from __future__ import annotations

from django.db import transaction

from carriers.models import Dispatcher, Language
from core.errors import ValidationFailed


@transaction.atomic
def dispatcher_language_set(*, dispatcher: Dispatcher, language: str) -> Dispatcher:
    """Remembers the admin language a dispatcher chose. Raises ValidationFailed for a language Kezek lacks."""
    if language not in Language.values:
        raise ValidationFailed(errors={"language": [f"unsupported language {language!r}"]})
    if dispatcher.language != language:
        dispatcher.language = language
        dispatcher.save(update_fields=["language"])
    return dispatcher
