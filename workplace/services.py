"""Writes of the workplace: marking notifications read, remembering a dispatcher's language."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from carriers.models import Dispatcher, Language, Notification
from core.errors import ValidationFailed


@transaction.atomic
def notification_mark_read(*, notifications: QuerySet[Notification], as_of: datetime) -> int:
    """Marks the unread notifications among ``notifications`` read at ``as_of``; returns how many changed.

    Already read ones keep their first ``read_at``. The caller cuts ``notifications`` to the user's carrier.
    """
    return notifications.filter(read_at__isnull=True).update(read_at=as_of)


@transaction.atomic
def dispatcher_language_set(*, dispatcher: Dispatcher, language: str) -> Dispatcher:
    """Remembers the admin language a dispatcher chose. Raises ValidationFailed for a language Kezek lacks."""
    if language not in Language.values:
        raise ValidationFailed(errors={"language": [f"unsupported language {language!r}"]})
    if dispatcher.language != language:
        dispatcher.language = language
        dispatcher.save(update_fields=["language"])
    return dispatcher
