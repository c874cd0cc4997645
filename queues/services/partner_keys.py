"""Partner API keys: issue, authenticate, record use, revoke.

Keys come from djangorestframework-api-key: ``<prefix>.<secret>``, stored as a SHA-512 hash with the
8-character prefix visible (to find a key in the admin without ever seeing it again).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from hmac import compare_digest

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from queues.models import PartnerKey

# last_used_at is written at most this often per key, so authentication stays a read.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# A key found in the database is remembered this long at most (a revocation or any change forgets it at once).
KEY_CACHE_SECONDS = 60
_FORGOTTEN = "forgotten"
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


# ``entry`` of partner_key_authenticate when the caller has not read the cache for it.
UNREAD = object()


def _key_cache_key(prefix: str) -> str:
    return f"partner:key:{hashlib.sha256(prefix.encode()).hexdigest()[:32]}"


def partner_key_cache_key(raw_key: str) -> str:
    """The cache key under which ``raw_key``'s key is remembered (by its prefix)."""
    return _key_cache_key(raw_key.partition(".")[0])


def partner_key_digest(raw_key: str) -> str:
    """SHA-256 of the raw key (hex): what the cache holds to compare a key against, never the key."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def partner_key_authenticate(*, raw_key: str | None, as_of: datetime, entry: object = UNREAD) -> PartnerKey | None:
    """The usable key for ``raw_key`` (not revoked, not expired), or ``None``; records the use cheaply.

    A key found in the database is remembered in the cache under its prefix for up to
    :data:`KEY_CACHE_SECONDS`, with a SHA-256 of the raw key to compare against (never the key itself), so a hot
    key costs one cache read and no query. Any change to the key (revocation, an edit, deletion) overwrites the
    entry with a marker that sends the next requests to the database, and entries are only ever added, never
    overwritten, by this function: a request that read the key just before its revocation cannot bring it back.
    With the cache down every request reads the database. ``entry`` is the cache's value for
    :func:`partner_key_cache_key` when the caller read it already (with the throttle, in one round trip).
    """
    if not raw_key or "." not in raw_key or len(raw_key) > 200:
        return None
    check = partner_key_digest(raw_key)
    if entry is UNREAD:
        entry = cache.get(partner_key_cache_key(raw_key))
    from_cache = isinstance(entry, tuple) and len(entry) == 2 and compare_digest(entry[0], check)
    if from_cache:
        key = entry[1]
    else:
        try:
            key = PartnerKey.objects.get_from_key(raw_key)
        except PartnerKey.DoesNotExist:
            return None
    if key.revoked or (key.expiry_date is not None and key.expiry_date <= as_of):
        return None
    partner_key_touch(key=key, as_of=as_of)
    if entry is None:
        # Until last_used_at is due again, so a hot key never issues the (conditional) UPDATE from the cache.
        due_in = LAST_USED_RESOLUTION - (as_of - key.last_used_at)
        timeout = max(1, min(KEY_CACHE_SECONDS, int(due_in.total_seconds())))
        cache.add(partner_key_cache_key(raw_key), (check, key), timeout)
    return key


def partner_key_forget(*, key: PartnerKey) -> None:
    """Sends the authentications of ``key`` in the next :data:`KEY_CACHE_SECONDS` to the database: the key's
    entry is overwritten by a marker that no authentication replaces (they only add)."""
    if key.prefix:
        cache.set(_key_cache_key(key.prefix), _FORGOTTEN, KEY_CACHE_SECONDS)


@receiver(post_save, sender=PartnerKey, dispatch_uid="partner_key_forget_on_save")
@receiver(post_delete, sender=PartnerKey, dispatch_uid="partner_key_forget_on_delete")
def _forget_changed_key(sender, instance: PartnerKey, created: bool = False, **kwargs) -> None:
    if not created:  # a new key has nothing to forget
        partner_key_forget(key=instance)


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
    partner_key_forget(key=key)
