"""Partner API keys: issue, authenticate, record use, revoke.

Keys come from djangorestframework-api-key: ``<prefix>.<secret>``, stored as a SHA-512 hash with the
8-character prefix visible (to find a key in the admin without ever seeing it again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from config.errors import ValidationFailed
from queues.models import PartnerKey

# last_used_at is written at most this often per key, so authentication stays a read.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_NAME_MAX = PartnerKey._meta.get_field("name").max_length
_FIRM_MAX = PartnerKey._meta.get_field("firm").max_length


@transaction.atomic
def partner_key_issue(*, key: PartnerKey) -> str:
    """Stores a new, unsaved key (``firm`` set; ``name`` defaults to the firm) and returns the raw key.

    The raw key exists only in the return value: it is shown once and never stored. Raises
    :class:`ValidationFailed` without a firm.
    """
    key.firm = (key.firm or "").strip()
    if not key.firm:
        raise ValidationFailed(errors={"firm": [_("Name the firm the key is for.")]})
    if len(key.firm) > _FIRM_MAX:
        raise ValidationFailed(errors={"firm": [_("At most %(max)d characters.") % {"max": _FIRM_MAX}]})
    key.name = (key.name or key.firm)[:_NAME_MAX]
    raw_key = PartnerKey.objects.assign_key(key)
    key.save()
    return raw_key


def partner_key_authenticate(*, raw_key: str | None, as_of: datetime) -> PartnerKey | None:
    """The usable key for ``raw_key`` (not revoked, not expired), or ``None``; records the use cheaply."""
    if not raw_key or "." not in raw_key or len(raw_key) > 200:
        return None
    try:
        key = PartnerKey.objects.get_from_key(raw_key)
    except PartnerKey.DoesNotExist:
        return None
    if key.expiry_date is not None and key.expiry_date <= as_of:
        return None
    partner_key_touch(key=key, as_of=as_of)
    return key


def partner_key_touch(*, key: PartnerKey, as_of: datetime) -> None:
    """Sets ``last_used_at`` when the stored value is older than :data:`LAST_USED_RESOLUTION` (one
    conditional UPDATE a minute at most, none otherwise)."""
    if key.last_used_at is not None and as_of - key.last_used_at < LAST_USED_RESOLUTION:
        return
    cutoff = as_of - LAST_USED_RESOLUTION
    PartnerKey.objects.filter(pk=key.pk).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff)).update(
        last_used_at=as_of
    )
    key.last_used_at = as_of


def partner_key_revoke(*, key: PartnerKey) -> None:
    """Revokes a key for good (the library forbids un-revoking)."""
    PartnerKey.objects.filter(pk=key.pk).update(revoked=True)
    key.revoked = True
