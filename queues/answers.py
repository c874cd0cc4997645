"""The crossing reads of both APIs as answers stored ready to send (``core.answers``), kept in this one module:
the keys, the version they are rendered under, the read through the cache, the warm-up after a new estimate
commits and the invalidation when anything they show changes.

The driver API's crossing list and each crossing, the partner API's crossing list and each queue's estimate show
crossings (with their planned closures), queues and estimates only. Any saved or deleted crossing, planned
closure, queue or estimate (the estimator, the admin,
a management command: hooked on the models' signals, the one place every writer goes through) replaces the one
version stamp of them all, so each answer is rendered once per change whichever API asks. The stamp is replaced
twice: at once, so reads inside the same transaction (and tests) see the change, and again after the commit,
which is what makes it correct: a read that rendered the old rows between the first replacement and the commit
stored its answer under a stamp that the second replacement retires. A rolled-back change costs a render.

Estimates change about once a minute per reported queue (more under heavy ingest: a few bumps a second across
all queues); a render is a few queries, and ``core.answers`` lets one reader render while the others send the
previous answer, so the cost per bump is one render per answer, not one per request.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest

from core.answers import UNREAD, answer_get, answer_key, answer_version_bump
from core.http import Answer
from queues.models import Crossing, Estimate, PlannedClosure, Queue
from queues.payloads import estimate_as_dict, queue_estimate
from queues.selectors.partner import partner_queue_get


def crossing_answers_version_key() -> str:
    """The version stamp of every crossing answer. It names the database: one Redis may serve several databases
    (staging beside production, parallel test runs), whose crossings differ."""
    return f"answers:{connection.settings_dict['NAME']}:crossings:version"


def crossing_answer_key(request: HttpRequest | None, kind: str, *parts: object) -> str:
    """The cache key of the answer ``kind`` (``mobile-list``, ``mobile-crossing``, ``partner-list``,
    ``partner-estimate``) for ``parts``. List answers hold links built from the host and the query, so those are
    part of their names."""
    if request is not None and kind.endswith("-list"):
        parts = (request.scheme, request.get_host(), request.get_full_path(), *parts)
    return answer_key(f"answers:{connection.settings_dict['NAME']}:{kind}", *parts)


def crossing_answer_get(
    *, entry_key: str, render: Callable[[], Any], version: Any = UNREAD, stored: Any = UNREAD
) -> Answer:
    """The answer stored at ``entry_key`` while no crossing, queue or estimate has changed since it was rendered,
    else ``render()``'s data rendered now (and stored). See :func:`core.answers.answer_get`."""
    return answer_get(
        version_key=crossing_answers_version_key(), entry_key=entry_key, render=render, version=version, stored=stored
    )


# --- The partner estimate -------------------------------------------------------------------------
def partner_estimate_answer_key(slug: str, direction: str) -> str:
    """The cache key of the stored answer for crossing ``slug`` in ``direction`` (any case)."""
    return crossing_answer_key(None, "partner-estimate", slug, direction.upper())


def partner_estimate_data(*, slug: str, direction: str) -> dict[str, Any] | None:
    """The ``<estimate>`` of the queue of crossing ``slug`` in ``direction``, or ``None`` when none is publishable.
    Raises :class:`NotFound` and :class:`ValidationFailed` like :func:`partner_queue_get`."""
    return estimate_as_dict(queue_estimate(partner_queue_get(slug=slug, direction=direction)))


def partner_estimate_answer(*, slug: str, direction: str, version: Any = UNREAD, stored: Any = UNREAD) -> Answer:
    """The queue's answer ready to send (body ``null`` when no estimate is publishable: the operation answers 404
    ``insufficient_data`` in the caller's language). Raises like :func:`partner_queue_get` (not stored)."""
    return crossing_answer_get(
        entry_key=partner_estimate_answer_key(slug, direction),
        render=partial(partner_estimate_data, slug=slug, direction=direction),
        version=version,
        stored=stored,
    )


def partner_estimate_refresh(*, queue_id: int) -> None:
    """Renders and stores the queue's answer under the current version. ``estimate_refresh`` calls it once its
    transaction has committed (after that commit's version bump), so the first partner read after a refresh finds
    it ready."""
    found = (
        Queue.objects.filter(pk=queue_id, crossing__active=True)
        .values_list("crossing__slug", "from_country", "to_country")
        .first()
    )
    if found is not None:
        slug, origin, destination = found
        partner_estimate_answer(slug=slug, direction=f"{origin}-{destination}")


# --- Invalidation ---------------------------------------------------------------------------------
def crossing_answers_changed() -> None:
    """Retires every stored crossing answer now and again once the current transaction commits."""
    key = crossing_answers_version_key()
    answer_version_bump(key)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(partial(answer_version_bump, key), robust=True)


def _changed(sender, **kwargs) -> None:
    crossing_answers_changed()


for _model in (Crossing, PlannedClosure, Queue, Estimate):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"crossing_answers_changed_save_{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"crossing_answers_changed_delete_{_model.__name__}")
