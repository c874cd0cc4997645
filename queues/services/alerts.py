"""Partner webhook alerts: subscriptions, threshold crossings, signed deliveries with retries.

Lifecycle of a delivery: ``alerts_evaluate`` creates it (pending, due now) and, after commit, enqueues
``queues.alert_deliver``. Each attempt claims the delivery (so the task and the beat sweep never send it
twice at once), POSTs the signed body and logs the outcome. A failed attempt is due again after an
exponential backoff (30 s, 1 min, 2 min, 4 min, 8 min); the beat task ``queues.alert_deliveries_sweep``
picks due deliveries every minute. After ``DELIVERY_MAX_ATTEMPTS`` attempts a delivery is ``failed``; after
``SUBSCRIPTION_PAUSE_AFTER_FAILURES`` consecutive failed attempts its subscription is paused (resumable in
the admin) and its pending deliveries are given up.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound, ValidationFailed
from core.http import utc_iso
from core.metrics import webhook_delivery_count
from core.pagination import Page, keyset_page
from core.tasks import task_send_on_commit
from queues.domain.partner import (
    DELIVERY_MAX_ATTEMPTS,
    SUBSCRIPTION_PAUSE_AFTER_FAILURES,
    is_success_status,
    retry_delay,
    signature_headers,
    threshold_transition,
    webhook_body,
)
from queues.models import AlertDelivery, AlertSubscription, Estimate, PartnerKey
from queues.payloads import estimate_as_dict
from queues.selectors.partner import partner_queue_get
from queues.webhooks import PostResult, UnsafeWebhookUrl, webhook_post, webhook_target

logger = logging.getLogger(__name__)

ALERTS_MAX_PER_KEY = 100
ABOVE_MINUTES_MAX = 60 * 24 * 14
# A claimed delivery is not picked again for this long (longer than one attempt can take).
CLAIM_LEASE = timedelta(seconds=60)
ALERT_LOG_KEEP = 20
SECRET_PREFIX = "whsec_"  # noqa: S105 (a label, not a secret)


def _live_subscriptions():
    return AlertSubscription.objects.filter(deleted_at__isnull=True)


# --- Subscriptions ----------------------------------------------------------------------------------
@transaction.atomic(durable=True)
def alert_subscription_create(
    *, key: PartnerKey, crossing: str, direction: str, above_minutes: int, url: str
) -> AlertSubscription:
    """A new webhook subscription of ``key``; its ``secret`` is readable on the returned object only now.

    Raises :class:`ValidationFailed` naming every invalid field at once (unknown crossing or direction,
    threshold, or a URL refused by the SSRF screen: fields of the body, not resources of the URL, hence 400)
    and :class:`Conflict` when the key already has ALERTS_MAX_PER_KEY.
    """
    errors: dict[str, list[str]] = {}
    queue = None
    try:
        queue = partner_queue_get(slug=crossing, direction=direction)
    except NotFound as exc:
        errors["crossing"] = [exc.detail]
    except ValidationFailed as exc:
        errors.update(exc.errors or {})
    if not 0 <= above_minutes <= ABOVE_MINUTES_MAX:
        errors["above_minutes"] = [_("Enter a number of minutes from 0 to %(max)d.") % {"max": ABOVE_MINUTES_MAX}]
    url = url.strip()
    if len(url) > AlertSubscription._meta.get_field("url").max_length:
        errors["url"] = [_("The URL is too long.")]
    else:
        try:
            webhook_target(url)
        except UnsafeWebhookUrl as exc:
            errors["url"] = [str(exc)]
    if errors or queue is None:
        raise ValidationFailed(errors=errors)
    # Counting under the key's row lock keeps two concurrent creations from passing the cap together.
    PartnerKey.objects.select_for_update().filter(pk=key.pk).first()
    if _live_subscriptions().filter(key=key).count() >= ALERTS_MAX_PER_KEY:
        raise Conflict(_("This key already has %(max)d alerts. Delete one first.") % {"max": ALERTS_MAX_PER_KEY})
    return AlertSubscription.objects.create(
        key=key,
        queue=queue,
        above_minutes=above_minutes,
        url=url,
        secret=SECRET_PREFIX + secrets.token_urlsafe(32),
    )


def alert_subscription_list(*, key: PartnerKey, cursor: str | None, limit: int) -> Page:
    """The key's own live subscriptions, oldest first."""
    queryset = _live_subscriptions().filter(key=key).select_related("queue__crossing")
    return keyset_page(queryset, fields=("created_at", "id"), cursor=cursor, limit=limit)


def _own_subscription(*, key: PartnerKey, subscription_id: str) -> AlertSubscription:
    try:
        parsed = uuid.UUID(str(subscription_id))
    except ValueError:
        raise NotFound() from None
    subscription = _live_subscriptions().filter(key=key, pk=parsed).first()
    if subscription is None:
        raise NotFound()  # another key's alert is "not found" too, never "forbidden"
    return subscription


@transaction.atomic
def alert_subscription_delete(*, key: PartnerKey, subscription_id: str, as_of: datetime) -> None:
    """Deletes one of the key's subscriptions (kept, marked deleted, for the delivery log); its pending
    deliveries are given up. Raises :class:`NotFound` for an unknown id or another key's."""
    subscription = _own_subscription(key=key, subscription_id=subscription_id)
    AlertSubscription.objects.filter(pk=subscription.pk).update(deleted_at=as_of, active=False)
    _give_up_pending(subscription_id=subscription.pk, reason="subscription deleted")


@transaction.atomic
def alert_subscription_resume(*, subscription: AlertSubscription) -> None:
    """Resumes a paused subscription with a clean failure count (admin). Its state is re-read at the next
    estimate, so a crossing missed while paused is reported then."""
    AlertSubscription.objects.filter(pk=subscription.pk, deleted_at__isnull=True).update(
        active=True, paused_at=None, consecutive_failures=0
    )


@transaction.atomic
def alert_subscription_pause(*, subscription: AlertSubscription, as_of: datetime) -> None:
    """Pauses a subscription (admin, or after repeated failures); its pending deliveries are given up."""
    AlertSubscription.objects.filter(pk=subscription.pk).update(active=False, paused_at=as_of)
    _give_up_pending(subscription_id=subscription.pk, reason="subscription paused")


def _give_up_pending(*, subscription_id: uuid.UUID, reason: str) -> None:
    AlertDelivery.objects.filter(subscription_id=subscription_id, status=AlertDelivery.Status.PENDING).update(
        status=AlertDelivery.Status.FAILED, next_attempt_at=None, last_error=reason
    )


def alert_subscription_as_dict(subscription: AlertSubscription, *, with_secret: bool = False) -> dict[str, Any]:
    """A subscription as the partner sees it; the secret only right after creation."""
    body: dict[str, Any] = {
        "id": str(subscription.id),
        "crossing": subscription.queue.crossing.slug,
        "direction": subscription.queue.direction,
        "above_minutes": subscription.above_minutes,
        "url": subscription.url,
        "status": "active" if subscription.active else "paused",
        "above": subscription.above,
        "created_at": utc_iso(subscription.created_at),
    }
    if with_secret:
        body["secret"] = subscription.secret
    return body


# --- Evaluation -------------------------------------------------------------------------------------
def alerts_evaluate(*, queue_id: int, estimate: Estimate | None, as_of: datetime) -> int:
    """Queues a delivery for every subscription on this queue whose threshold the estimate just crossed
    (up, or back down). Called by ``estimate_refresh`` after it stores a new estimate. Returns how many.

    An unpublished estimate (or none) changes nothing. Deliveries are enqueued after commit.
    """
    from queues.tasks.alerts import alert_deliver

    payload_estimate = estimate_as_dict(estimate)
    if payload_estimate is None:
        return 0
    created = 0
    with transaction.atomic():
        subscriptions = (
            # of=("self",): lock the subscriptions only, not the joined queue and crossing rows.
            AlertSubscription.objects.select_for_update(of=("self",))
            .filter(queue_id=queue_id, active=True, deleted_at__isnull=True)
            .select_related("queue__crossing")
        )
        for subscription in subscriptions:
            now_above = threshold_transition(
                was_above=subscription.above,
                wait_minutes=payload_estimate["wait_minutes"],
                above_minutes=subscription.above_minutes,
            )
            if now_above is None:
                continue
            AlertSubscription.objects.filter(pk=subscription.pk).update(above=now_above)
            delivery_id = uuid.uuid4()
            AlertDelivery.objects.create(
                id=delivery_id,
                subscription=subscription,
                payload={
                    "id": str(delivery_id),
                    "event": "threshold.above" if now_above else "threshold.below",
                    "alert": str(subscription.id),
                    "crossing": subscription.queue.crossing.slug,
                    "direction": subscription.queue.direction,
                    "above_minutes": subscription.above_minutes,
                    "estimate": payload_estimate,
                    "occurred_at": utc_iso(as_of),
                },
                next_attempt_at=as_of,
            )
            # A broker that is down leaves the delivery stored and due: the beat sweep sends it later.
            task_send_on_commit(
                alert_deliver,
                kwargs={"delivery_id": str(delivery_id)},
                failure_message="alert delivery not enqueued; the sweep will pick it up",
            )
            created += 1
    return created


# --- Delivery ---------------------------------------------------------------------------------------
def _claim(*, delivery_id: str, as_of: datetime) -> AlertDelivery | None:
    """Takes a due pending delivery for one attempt (a conditional UPDATE: at most one taker)."""
    claimed = AlertDelivery.objects.filter(
        pk=delivery_id, status=AlertDelivery.Status.PENDING, next_attempt_at__lte=as_of
    ).update(next_attempt_at=as_of + CLAIM_LEASE)
    if not claimed:
        return None
    return AlertDelivery.objects.select_related("subscription").get(pk=delivery_id)


def alert_delivery_attempt(*, delivery_id: str, as_of: datetime | None = None) -> str:
    """Makes one attempt at a due delivery and records it; returns the delivery's status afterwards
    (``"skipped"`` when it was not due or someone else holds it).

    The HTTP call runs outside any transaction; the outcome is written atomically afterwards.
    """
    as_of = as_of or timezone.now()
    try:
        uuid.UUID(str(delivery_id))
    except ValueError:
        return "skipped"
    delivery = _claim(delivery_id=delivery_id, as_of=as_of)
    if delivery is None:
        return "skipped"
    subscription = delivery.subscription
    if not subscription.active or subscription.deleted_at is not None:
        reason = "subscription deleted" if subscription.deleted_at else "subscription paused"
        AlertDelivery.objects.filter(pk=delivery.pk).update(
            status=AlertDelivery.Status.FAILED, next_attempt_at=None, last_error=reason
        )
        return AlertDelivery.Status.FAILED

    body = webhook_body(delivery.payload)
    timestamp = int(timezone.now().timestamp())
    headers = {
        **signature_headers(secret=subscription.secret, body=body, timestamp=timestamp),
        "X-Kezek-Delivery": str(delivery.pk),
        "X-Kezek-Event": str(delivery.payload.get("event", "")),
    }
    try:
        outcome = webhook_post(url=subscription.url, body=body, headers=headers)
    except Exception as exc:  # a bug must still count as an attempt, or the sweep would retry it for ever
        logger.exception("alert delivery: unexpected error while posting")
        outcome = PostResult(None, f"internal error: {type(exc).__name__}", 0)
    succeeded = outcome.status_code is not None and is_success_status(outcome.status_code)
    return _record_attempt(delivery=delivery, outcome=outcome, succeeded=succeeded, as_of=as_of)


@transaction.atomic
def _record_attempt(*, delivery: AlertDelivery, outcome, succeeded: bool, as_of: datetime) -> str:
    attempts = delivery.attempts + 1
    entry = {
        "at": utc_iso(as_of),
        "status_code": outcome.status_code,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
    }
    log = [*delivery.attempt_log, entry][-ALERT_LOG_KEEP:]
    fields: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "attempt_log": log,
    }
    subscriptions = AlertSubscription.objects.filter(pk=delivery.subscription_id)
    webhook_delivery_count(delivered=succeeded)
    if succeeded:
        fields.update(status=AlertDelivery.Status.DELIVERED, delivered_at=as_of, next_attempt_at=None)
        AlertDelivery.objects.filter(pk=delivery.pk).update(**fields)
        subscriptions.update(consecutive_failures=0)
        return AlertDelivery.Status.DELIVERED

    if attempts >= DELIVERY_MAX_ATTEMPTS:
        fields.update(status=AlertDelivery.Status.FAILED, next_attempt_at=None)
    else:
        fields.update(next_attempt_at=as_of + retry_delay(attempts=attempts))
    AlertDelivery.objects.filter(pk=delivery.pk).update(**fields)
    subscriptions.update(consecutive_failures=F("consecutive_failures") + 1)
    failures = subscriptions.values_list("consecutive_failures", flat=True).first() or 0
    logger.warning(
        "alert delivery attempt failed",
        extra={"delivery": str(delivery.pk), "attempt": attempts, "status_code": outcome.status_code},
    )
    if failures >= SUBSCRIPTION_PAUSE_AFTER_FAILURES:
        alert_subscription_pause(subscription=delivery.subscription, as_of=as_of)
        logger.warning("alert subscription paused after repeated failures", extra={"delivery": str(delivery.pk)})
        return AlertDelivery.Status.FAILED
    return fields.get("status", AlertDelivery.Status.PENDING)


def alert_deliveries_due(*, as_of: datetime, limit: int = 500) -> list[str]:
    """Ids of pending deliveries whose next attempt is due (the sweep fans them out)."""
    ids = (
        AlertDelivery.objects.filter(status=AlertDelivery.Status.PENDING, next_attempt_at__lte=as_of)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return [str(pk) for pk in ids]
