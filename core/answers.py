"""Answers stored ready to send (``core.http.Answer``), rendered once per version of what they show.

A read polled far more often than its data changes (the crossing list every open app polls) is rendered once per
change and then served from the cache as bytes. What changed is told by a *version stamp*: a cache key that the
writers replace after every commit that changes the data (:func:`answer_version_bump`). Every stored answer carries
the stamp it was rendered under and is current only while that stamp is, so:

- a reader reads the stamp *before* it reads the database and stores its answer under that stamp: an answer
  rendered from data older than a commit carries the stamp from before that commit's bump and is never current
  after it (a race costs one more render, never a stale answer);
- the stamp is a random token, not a counter: a counter that is evicted or lost restarts and would make old
  answers current again; a new token never matches an answer stored before it;
- one renderer per answer: the reader that finds its answer out of date takes a short render lock
  (:data:`RENDER_LOCK_SECONDS`); readers arriving while it renders send the previous answer instead of rendering
  it again (so a burst of bumps under heavy ingest costs one render per bump, not one per request), and nobody
  sends it once the lock is released or has lapsed: an answer is never more than that lock behind;
- with the cache unavailable every read renders from the database and nothing is written back (slower, never
  wrong); stored answers also expire after :data:`ANSWER_TTL_SECONDS`, which bounds what a bump lost in a cache
  outage (a network split, then the same Redis back with its old keys) can keep showing.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from core.cache import CacheUnavailable, cache_round_trip
from core.http import Answer, answer_from_data

logger = logging.getLogger(__name__)

ANSWER_TTL_SECONDS = 300
RENDER_LOCK_SECONDS = 1
_ENTRY_TAG = "answer/2"

# ``version`` and ``stored`` of answer_get when the caller has not read them.
UNREAD = object()
# ``version`` / ``stored`` when the caller found the cache unavailable.
UNAVAILABLE = object()


def answer_key(prefix: str, *parts: object) -> str:
    """A short cache key for an answer named by ``parts`` (hashed: paths and cursors stay within key limits)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"{prefix}:{digest}"


def answer_version_bump(version_key: str) -> None:
    """Replaces the version stamp: every answer stored under the old one is out of date from now on.
    Never raises (a lost bump is bounded by the answers' TTL)."""
    try:
        cache.set(version_key, secrets.token_hex(8), timeout=None)
    except Exception:
        logger.warning("answer version not bumped", extra={"task": version_key}, exc_info=True)


def _entry_answer(stored: Any) -> tuple[str, Answer] | None:
    # Stored as a plain tagged tuple, so a changed class never makes an old entry unreadable.
    if isinstance(stored, tuple) and len(stored) == 4 and stored[0] == _ENTRY_TAG:
        return stored[1], Answer(body=stored[2], etag=stored[3])
    return None


def answer_stored_current(stored: Any, version: Any) -> Answer | None:
    """The answer in the cache value ``stored`` when it was rendered under ``version``, else ``None``."""
    entry = _entry_answer(stored)
    if entry is not None and isinstance(version, str) and entry[0] == version:
        return entry[1]
    return None


def answer_get(
    *,
    version_key: str,
    entry_key: str,
    render: Callable[[], Any],
    version: Any = UNREAD,
    stored: Any = UNREAD,
) -> Answer:
    """The answer at ``entry_key``: the stored one when it is current, else ``render()``'s data rendered now and
    stored under the version stamp read before ``render`` ran (or, while another reader renders it, the previous
    answer). ``version`` and ``stored`` are the cache values of ``version_key`` and ``entry_key`` when the caller
    read them already (in one round trip with other keys), or :data:`UNAVAILABLE`. Whatever ``render`` raises goes
    to the caller and nothing is stored."""
    if version is UNREAD or stored is UNREAD:
        try:
            (version, stored), _count = cache_round_trip([version_key, entry_key])
        except CacheUnavailable:
            version = stored = UNAVAILABLE
    answer = answer_stored_current(stored, version)
    if answer is not None:
        return answer
    if version is UNAVAILABLE:
        return answer_from_data(render())
    if not isinstance(version, str):
        # No stamp yet (a new cache, or it was evicted): make one; a concurrent reader may have made another.
        cache.add(version_key, secrets.token_hex(8), timeout=None)
        version = cache.get(version_key)
    previous = _entry_answer(stored)
    lock_key = f"{entry_key}:rendering"
    locked = cache.add(lock_key, 1, timeout=RENDER_LOCK_SECONDS)
    if not locked and previous is not None:
        return previous[1]  # rendered right now by another reader
    try:
        answer = answer_from_data(render())
        if isinstance(version, str):
            cache.set(entry_key, (_ENTRY_TAG, version, answer.body, answer.etag), ANSWER_TTL_SECONDS)
    finally:
        if locked:
            cache.delete(lock_key)
    return answer
