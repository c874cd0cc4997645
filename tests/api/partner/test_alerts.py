"""Partner alerts: subscriptions over the API, SSRF screening, threshold crossings, signed deliveries,
retries with backoff, pausing and resuming."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.answers import answer_version_bump
from queues import webhooks
from queues.domain.partner import (
    DELIVERY_MAX_ATTEMPTS,
    SUBSCRIPTION_PAUSE_AFTER_FAILURES,
    signature_v2_verify,
    signature_verify,
)
from queues.models import AlertDelivery, AlertSubscription
from queues.services import alerts
from queues.services.alerts import alert_delivery_attempt, alerts_evaluate
from queues.tasks.alerts import alert_deliveries_sweep
from tests.support.partner import (
    BASE,
    NOW,
    Receiver,
    client_for,
    publish_estimate,
)

pytestmark = pytest.mark.django_db

ALERTS = f"{BASE}/alerts"


def _create(client, **fields):
    body = {
        "crossing": "syrym-mashtakovo",
        "direction": "KZ-RU",
        "above_minutes": 180,
        "url": "https://hooks.example.com/kezek",
        **fields,
    }
    return client.post(ALERTS, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def public_dns(monkeypatch):
    """Hostnames resolve as the test says; example.com-style names to a public address by default."""
    table = {"hooks.example.com": ["93.184.216.34"], "internal.example.com": ["10.1.2.3"]}

    real_resolve = webhooks.resolve_host

    def resolve(host, port):
        return table[host] if host in table else real_resolve(host, port)

    monkeypatch.setattr(webhooks, "resolve_host", resolve)
    return table


@pytest.fixture
def production_ssrf(settings, public_dns):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    return public_dns


def _subscription(key, url, *, above_minutes=180, slug="syrym-mashtakovo", direction="KZ-RU"):
    return alerts.alert_subscription_create(
        key=key, crossing=slug, direction=direction, above_minutes=above_minutes, url=url
    )


# --- The API ----------------------------------------------------------------------------------------
def test_create_alert_answers_201_with_the_secret_once(partner_client, public_dns):
    response = _create(partner_client)

    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["status"] == "active"
    assert {k: body[k] for k in ("crossing", "direction", "above_minutes", "url")} == {
        "crossing": "syrym-mashtakovo",
        "direction": "KZ-RU",
        "above_minutes": 180,
        "url": "https://hooks.example.com/kezek",
    }
    listed = partner_client.get(ALERTS).json()
    assert [a["id"] for a in listed["results"]] == [body["id"]]
    assert "secret" not in listed["results"][0]
    assert listed["next"] is None


def test_a_key_lists_only_its_own_alerts(partner_client, other_partner_client, public_dns):
    _create(partner_client)

    assert other_partner_client.get(ALERTS).json() == {"results": [], "next": None}


def test_delete_alert_is_204_and_another_keys_alert_is_404(partner_client, other_partner_client, public_dns):
    alert_id = _create(partner_client).json()["id"]

    assert other_partner_client.delete(f"{ALERTS}/{alert_id}").status_code == 404
    assert partner_client.delete(f"{ALERTS}/{alert_id}").status_code == 204
    assert partner_client.delete(f"{ALERTS}/{alert_id}").status_code == 404
    assert partner_client.get(ALERTS).json()["results"] == []
    assert partner_client.delete(f"{ALERTS}/not-a-uuid").status_code == 404


def test_alert_list_is_paginated(partner_client, public_dns):
    created = [_create(partner_client, above_minutes=minutes).json()["id"] for minutes in (60, 120, 180)]

    first = partner_client.get(ALERTS, {"limit": 2}).json()
    second = partner_client.get(first["next"]).json()

    assert [a["id"] for a in first["results"] + second["results"]] == created
    assert second["next"] is None


@pytest.mark.parametrize(
    ("fields", "status", "code", "field"),
    [
        ({"crossing": "atlantis-avalon"}, 400, "validation_error", "crossing"),
        ({"url": "https://hooks.example.com/путь"}, 400, "validation_error", "url"),
        ({"direction": "KZ-CN"}, 400, "validation_error", "direction"),
        ({"direction": "sideways"}, 400, "validation_error", "direction"),
        ({"above_minutes": -5}, 400, "validation_error", "above_minutes"),
        ({"above_minutes": "lots"}, 400, "validation_error", "above_minutes"),
        ({"above_minutes": 10**9}, 400, "validation_error", "above_minutes"),
        ({"url": "not a url"}, 400, "validation_error", "url"),
        ({"url": "ftp://hooks.example.com/x"}, 400, "validation_error", "url"),
        ({"url": "https://user:pass@hooks.example.com/x"}, 400, "validation_error", "url"),
        ({"url": "https://" + "a" * 600 + ".com"}, 400, "validation_error", "url"),
        ({"url": None}, 400, "validation_error", "url"),
        ({"url": "https://hooks.example.com/a\r\nX-Injected: 1"}, 400, "validation_error", "url"),
        ({"url": "https://hooks.example.com:99999/"}, 400, "validation_error", "url"),
        ({"above_minutes": True}, 400, "validation_error", "above_minutes"),
        ({"above_minutes": "60"}, 400, "validation_error", "above_minutes"),
    ],
)
def test_bad_alert_bodies_are_4xx_problem_json(partner_client, public_dns, fields, status, code, field):
    response = _create(partner_client, **fields)

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    if field:
        assert field in response.json()["errors"]


@pytest.mark.parametrize("body", ["", "[]", "{", '"text"', '{"crossing": 5}'])
def test_malformed_alert_bodies_are_400(partner_client, body):
    response = partner_client.post(ALERTS, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_key_cannot_hold_more_than_the_alert_cap(partner_client, monkeypatch, public_dns):
    monkeypatch.setattr(alerts, "ALERTS_MAX_PER_KEY", 2)
    _create(partner_client)
    _create(partner_client)

    response = _create(partner_client)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


# --- SSRF -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",  # plain http
        "https://127.0.0.1/x",
        "https://localhost/x",
        "https://10.0.0.8/x",
        "https://172.16.4.4/x",
        "https://192.168.1.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/x",
        "https://0.0.0.0/x",
        "https://[::1]/x",
        "https://[fe80::1]/x",
        "https://[fd00::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://224.0.0.1/x",
        "https://240.0.0.1/x",
        "https://internal.example.com/x",  # a name that resolves to a private address
        "https://no-such-host.invalid/x",
    ],
)
def test_webhook_urls_to_private_or_non_https_targets_are_refused_in_production(partner_client, production_ssrf, url):
    response = _create(partner_client, url=url)

    assert response.status_code == 400
    assert "url" in response.json()["errors"]
    assert not AlertSubscription.objects.exists()


def test_an_internal_name_and_a_name_that_does_not_exist_are_refused_alike(partner_client, production_ssrf):
    internal = _create(partner_client, url="https://internal.example.com/x").json()
    missing = _create(partner_client, url="https://no-such-host.invalid/x").json()
    private_literal = _create(partner_client, url="https://10.0.0.8/x").json()

    assert internal == missing == private_literal


def test_a_public_https_target_is_accepted_in_production(partner_client, production_ssrf):
    assert _create(partner_client, url="https://hooks.example.com/kezek?team=ops").status_code == 201


def test_a_name_that_rebinds_to_a_private_address_is_refused_at_delivery(partner_key, production_ssrf, monkeypatch):
    subscription = _subscription(partner_key[0], "https://hooks.example.com/kezek")
    production_ssrf["hooks.example.com"] = ["127.0.0.1"]  # DNS now answers with loopback
    connections = []
    monkeypatch.setattr(webhooks.socket, "create_connection", lambda *a, **k: connections.append(a))
    alerts_evaluate(queue_id=subscription.queue_id, estimate=publish_estimate(subscription.queue), as_of=NOW)
    delivery = AlertDelivery.objects.get()

    status = alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=timezone.now())

    delivery.refresh_from_db()
    assert status == AlertDelivery.Status.PENDING
    assert connections == []
    assert delivery.last_error.startswith("refused")


# --- Evaluation -------------------------------------------------------------------------------------
def test_crossing_the_threshold_up_and_back_down_queues_one_delivery_each(
    partner_key, receiver, django_capture_on_commit_callbacks
):
    subscription = _subscription(partner_key[0], receiver.url, above_minutes=180)
    queue = subscription.queue

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        counts = [
            alerts_evaluate(queue_id=queue.pk, estimate=publish_estimate(queue, wait=wait), as_of=NOW)
            for wait in (120, 200, 240, 180, 90)
        ]

    assert counts == [0, 1, 0, 1, 0]
    # Besides the stored answers' version bumps (queues.answers): one delivery each way.
    assert len([c for c in callbacks if getattr(c, "func", None) is not answer_version_bump]) == 2
    events = [d.payload["event"] for d in AlertDelivery.objects.order_by("created_at")]
    assert events == ["threshold.above", "threshold.below"]
    subscription.refresh_from_db()
    assert subscription.above is False


def test_an_unpublished_estimate_changes_nothing(partner_key, receiver):
    subscription = _subscription(partner_key[0], receiver.url, above_minutes=60)
    queue = subscription.queue

    created = alerts_evaluate(queue_id=queue.pk, estimate=publish_estimate(queue, wait=300, published=False), as_of=NOW)
    nothing = alerts_evaluate(queue_id=queue.pk, estimate=None, as_of=NOW)

    assert (created, nothing) == (0, 0)
    subscription.refresh_from_db()
    assert subscription.above is False


def test_deleted_and_paused_alerts_are_not_evaluated(partner_key, receiver):
    key = partner_key[0]
    deleted = _subscription(key, receiver.url, above_minutes=60)
    paused = _subscription(key, receiver.url, above_minutes=60)
    alerts.alert_subscription_delete(key=key, subscription_id=str(deleted.pk), as_of=NOW)
    alerts.alert_subscription_pause(subscription=paused, as_of=NOW)

    created = alerts_evaluate(queue_id=deleted.queue_id, estimate=publish_estimate(deleted.queue, wait=90), as_of=NOW)

    assert created == 0


def test_a_delivery_is_enqueued_after_commit_and_posted_signed(
    partner_key, receiver, django_capture_on_commit_callbacks
):
    subscription = _subscription(partner_key[0], receiver.url, above_minutes=100)
    estimate = publish_estimate(subscription.queue, wait=150)

    with django_capture_on_commit_callbacks(execute=True):
        alerts_evaluate(queue_id=subscription.queue_id, estimate=estimate, as_of=NOW)

    delivery = AlertDelivery.objects.get()
    assert delivery.status == AlertDelivery.Status.DELIVERED
    assert delivery.attempts == 1
    assert delivery.attempt_log[0]["status_code"] == 200
    (request,) = receiver.received
    assert request.path == "/hooks/kezek"
    assert signature_verify(secret=subscription.secret, body=request.body, header=request.headers["X-Kezek-Signature"])
    assert signature_v2_verify(
        secret=subscription.secret,
        body=request.body,
        header=request.headers["X-Kezek-Signature-V2"],
        now=int(timezone.now().timestamp()),
    )
    assert not signature_verify(secret="whsec_wrong", body=request.body, header=request.headers["X-Kezek-Signature"])
    assert request.headers["X-Kezek-Delivery"] == str(delivery.pk)
    payload = json.loads(request.body)
    assert payload["event"] == "threshold.above"
    assert payload["crossing"] == "syrym-mashtakovo"
    assert payload["direction"] == "KZ-RU"
    assert payload["estimate"]["wait_minutes"] == 150


# --- Retries, backoff, pausing ----------------------------------------------------------------------
def _failing_delivery(partner_key, receiver, *, statuses=(500,)):
    receiver.statuses = list(statuses)
    subscription = _subscription(partner_key[0], receiver.url, above_minutes=10)
    alerts_evaluate(queue_id=subscription.queue_id, estimate=publish_estimate(subscription.queue, wait=60), as_of=NOW)
    return subscription, AlertDelivery.objects.get(subscription=subscription)


def test_failed_attempts_are_retried_with_exponential_backoff_until_the_cap(settings, partner_key, receiver):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _subscription, delivery = _failing_delivery(partner_key, receiver)
    waits = []
    as_of = NOW

    for _ in range(DELIVERY_MAX_ATTEMPTS):
        alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=as_of)
        delivery.refresh_from_db()
        if delivery.next_attempt_at is not None:
            waits.append(delivery.next_attempt_at - as_of)
            as_of = delivery.next_attempt_at

    assert [w.total_seconds() for w in waits] == [30, 60, 120, 240, 480]
    assert delivery.status == AlertDelivery.Status.FAILED
    assert delivery.attempts == DELIVERY_MAX_ATTEMPTS
    assert len(delivery.attempt_log) == DELIVERY_MAX_ATTEMPTS
    assert {entry["status_code"] for entry in delivery.attempt_log} == {500}
    assert len(receiver.received) == DELIVERY_MAX_ATTEMPTS


def test_an_attempt_before_its_time_is_skipped(partner_key, receiver):
    _subscription, delivery = _failing_delivery(partner_key, receiver)
    alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=NOW)

    assert alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=NOW + timedelta(seconds=5)) == "skipped"
    assert len(receiver.received) == 1


def test_a_retry_that_succeeds_delivers_and_resets_the_failure_count(partner_key, receiver):
    subscription, delivery = _failing_delivery(partner_key, receiver, statuses=(503, 200))

    alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=NOW)
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1
    alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=NOW + timedelta(seconds=30))

    delivery.refresh_from_db()
    subscription.refresh_from_db()
    assert delivery.status == AlertDelivery.Status.DELIVERED
    assert [e["status_code"] for e in delivery.attempt_log] == [503, 200]
    assert subscription.consecutive_failures == 0


def test_redirects_are_not_followed_and_count_as_failures(partner_key, receiver):
    target = Receiver().start()
    try:
        receiver.redirect_to = target.url
        _subscription, delivery = _failing_delivery(partner_key, receiver, statuses=(302,))

        alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=NOW)

        delivery.refresh_from_db()
        assert delivery.last_status_code == 302
        assert delivery.status == AlertDelivery.Status.PENDING
        assert target.received == []
    finally:
        target.stop()


def test_an_unreachable_receiver_is_a_logged_failure_not_an_error(partner_key):
    subscription = _subscription(partner_key[0], "http://127.0.0.1:9/hooks", above_minutes=10)
    alerts_evaluate(queue_id=subscription.queue_id, estimate=publish_estimate(subscription.queue, wait=60), as_of=NOW)
    delivery = AlertDelivery.objects.get()

    alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=NOW)

    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()


def test_repeated_failures_pause_the_subscription_and_resume_clears_it(partner_key, receiver):
    receiver.statuses = [500]
    subscription = _subscription(partner_key[0], receiver.url, above_minutes=100)
    queue = subscription.queue
    as_of = NOW
    wait = 50
    while not AlertSubscription.objects.get(pk=subscription.pk).paused_at:
        wait = 150 if wait == 50 else 50
        alerts_evaluate(queue_id=queue.pk, estimate=publish_estimate(queue, wait=wait), as_of=as_of)
        for delivery in AlertDelivery.objects.filter(status=AlertDelivery.Status.PENDING):
            alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=as_of)
        as_of += timedelta(hours=1)

    subscription.refresh_from_db()
    assert subscription.active is False
    assert subscription.consecutive_failures == SUBSCRIPTION_PAUSE_AFTER_FAILURES
    assert not AlertDelivery.objects.filter(status=AlertDelivery.Status.PENDING).exists()
    assert len(receiver.received) == SUBSCRIPTION_PAUSE_AFTER_FAILURES
    assert alerts_evaluate(queue_id=queue.pk, estimate=publish_estimate(queue, wait=500), as_of=as_of) == 0

    alerts.alert_subscription_resume(subscription=subscription)

    subscription.refresh_from_db()
    assert (subscription.active, subscription.paused_at, subscription.consecutive_failures) == (True, None, 0)
    body = client_for(partner_key[1]).get(ALERTS).json()["results"][0]
    assert body["status"] == "active"


def test_the_sweep_sends_every_due_delivery(settings, partner_key, receiver):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    subscription = _subscription(partner_key[0], receiver.url, above_minutes=10)
    alerts_evaluate(queue_id=subscription.queue_id, estimate=publish_estimate(subscription.queue, wait=60), as_of=NOW)

    sent = alert_deliveries_sweep.apply().get()

    assert sent == 1
    assert AlertDelivery.objects.get().status == AlertDelivery.Status.DELIVERED
    assert len(receiver.received) == 1


def test_the_admin_resumes_a_paused_alert(client, partner_key, receiver):
    from tests.factories import UserFactory

    subscription = _subscription(partner_key[0], receiver.url)
    alerts.alert_subscription_pause(subscription=subscription, as_of=NOW)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/queues/alertsubscription/",
        {"action": "resume", "_selected_action": [str(subscription.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.active is True
    assert client.get(f"/admin/queues/alertsubscription/{subscription.pk}/change/").status_code == 200
    assert (
        subscription.secret
        not in client.get(f"/admin/queues/alertsubscription/{subscription.pk}/change/").content.decode()
    )


def test_the_admin_shows_each_delivery_with_its_attempt_log(client, partner_key, receiver):
    from tests.factories import UserFactory

    _subscription, delivery = _failing_delivery(partner_key, receiver, statuses=(502,))
    alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=NOW)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    listing = client.get("/admin/queues/alertdelivery/")
    page = client.get(f"/admin/queues/alertdelivery/{delivery.pk}/change/")

    assert listing.status_code == 200
    assert page.status_code == 200
    assert "502" in page.content.decode()
    assert "threshold.above" in page.content.decode()


def test_writes_need_no_csrf_token_only_the_key(partner_key, public_dns):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, headers={"X-API-Key": partner_key[1]})

    created = _create(client)
    deleted = client.delete(f"{ALERTS}/{created.json()['id']}")

    assert (created.status_code, deleted.status_code) == (201, 204)


def test_an_unexpected_error_while_posting_still_counts_as_a_failed_attempt(partner_key, receiver, monkeypatch):
    _subscription, delivery = _failing_delivery(partner_key, receiver)

    def broken_post(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(alerts, "webhook_post", broken_post)

    status = alert_delivery_attempt(delivery_id=str(delivery.pk), as_of=NOW)

    delivery.refresh_from_db()
    assert status == AlertDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == NOW + timedelta(seconds=30)
    assert delivery.last_error == "internal error: RuntimeError"
