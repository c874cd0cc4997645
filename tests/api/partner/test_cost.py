"""What a partner read costs: a hot estimate read and a 304 touch no database; a new estimate, a revoked or
changed key take effect at once; with the cache down every read is still right (from the database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import answers as core_answers
from core import cache as core_cache
from core.cache import ResilientRedisCache
from queues import answers as crossing_answers
from queues.models import Estimate, PartnerKey
from queues.payloads import estimate_as_dict
from queues.selectors import partner as partner_reads
from queues.services import partner_keys
from queues.services.partner_keys import partner_key_revoke
from tests.support.partner import (
    BASE,
    NOW,
    client_for,
    publish_estimate,
    queue_of,
)

pytestmark = pytest.mark.django_db

ESTIMATE = f"{BASE}/crossings/syrym-mashtakovo/estimate"


def test_a_hot_estimate_read_sends_no_query(partner_client, django_assert_num_queries):
    estimate = publish_estimate(queue_of(), wait=185)
    partner_client.get(ESTIMATE, {"direction": "KZ-RU"})

    with django_assert_num_queries(0):
        response = partner_client.get(ESTIMATE, {"direction": "KZ-RU"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == estimate_as_dict(estimate)
    assert response["ETag"]


def test_a_matching_if_none_match_is_304_without_a_query(partner_client, django_assert_num_queries):
    publish_estimate(queue_of())
    etag = partner_client.get(ESTIMATE, {"direction": "KZ-RU"})["ETag"]

    with django_assert_num_queries(0):
        response = partner_client.get(ESTIMATE, {"direction": "KZ-RU"}, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response["ETag"] == etag


def test_the_cached_answer_is_the_same_as_the_computed_one(partner_client):
    publish_estimate(queue_of(), wait=200)

    first = partner_client.get(ESTIMATE, {"direction": "KZ-RU"})
    cached = partner_client.get(ESTIMATE, {"direction": "kz-ru"})

    assert cached.json() == first.json()
    assert cached["ETag"] == first["ETag"]
    assert cached["Cache-Control"] == first["Cache-Control"]


def test_no_publishable_estimate_is_404_from_the_cache_too(partner_client, django_assert_num_queries):
    partner_client.get(ESTIMATE, {"direction": "RU-KZ"})

    with django_assert_num_queries(0):
        response = partner_client.get(ESTIMATE, {"direction": "RU-KZ"})

    assert response.status_code == 404
    assert response.json()["code"] == "insufficient_data"


def test_a_new_estimate_replaces_the_cached_answer_at_once(partner_client):
    queue = queue_of()
    publish_estimate(queue, wait=100)
    assert partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).json()["wait_minutes"] == 100

    publish_estimate(queue, wait=130, computed_at=NOW + timedelta(minutes=5))

    assert partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).json()["wait_minutes"] == 130


def test_a_deleted_estimate_is_no_longer_served(partner_client):
    queue = queue_of()
    publish_estimate(queue)
    assert partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).status_code == 200

    Estimate.objects.filter(queue=queue).get().delete()

    assert partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).json()["code"] == "insufficient_data"


def test_the_version_bump_after_commit_retires_an_answer_stored_by_a_racing_read(partner_client):
    queue = queue_of()
    publish_estimate(queue, wait=100)
    partner_client.get(ESTIMATE, {"direction": "KZ-RU"})
    # The row changes without the signal, as if a read had stored the old answer just before the commit.
    Estimate.objects.filter(queue=queue).update(wait_minutes=150)
    assert partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).json()["wait_minutes"] == 100

    crossing_answers.crossing_answers_changed()  # what the commit's callback does

    assert partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).json()["wait_minutes"] == 150


def test_the_estimator_refreshes_the_cached_answer_when_it_commits(partner_client, django_capture_on_commit_callbacks):
    from queues.services import estimates as estimation

    queue = queue_of()
    publish_estimate(queue, wait=100)
    partner_client.get(ESTIMATE, {"direction": "KZ-RU"})

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        estimation.estimate_refresh(queue_id=queue.pk, as_of=NOW + timedelta(minutes=10))

    assert any(getattr(c, "func", None) is crossing_answers.partner_estimate_refresh for c in callbacks)
    stored = estimate_as_dict(Estimate.objects.filter(queue=queue).first())
    answer = partner_client.get(ESTIMATE, {"direction": "KZ-RU"})
    if stored is None:
        assert answer.json()["code"] == "insufficient_data"
    else:
        assert answer.json() == stored


def test_a_deactivated_crossing_is_forgotten_by_the_refresh(partner_client):
    queue = queue_of()
    publish_estimate(queue)
    partner_client.get(ESTIMATE, {"direction": "KZ-RU"})
    queue.crossing.active = False
    queue.crossing.save(update_fields=["active"])

    crossing_answers.partner_estimate_refresh(queue_id=queue.pk)

    assert partner_client.get(ESTIMATE, {"direction": "KZ-RU"}).status_code == 404


def test_unknown_crossings_and_directions_are_not_remembered(partner_client):
    for _attempt in range(2):
        assert partner_client.get(f"{BASE}/crossings/atlantis/estimate", {"direction": "KZ-RU"}).status_code == 404
        assert partner_client.get(ESTIMATE, {"direction": "KZ-CN"}).status_code == 400


# --- Keys -------------------------------------------------------------------------------------------
def test_a_hot_key_is_authenticated_without_a_query(partner_key, django_assert_num_queries):
    _key, raw = partner_key
    client = client_for(raw)
    publish_estimate(queue_of())
    client.get(ESTIMATE, {"direction": "KZ-RU"})

    with django_assert_num_queries(0):
        assert client.get(ESTIMATE, {"direction": "KZ-RU"}).status_code == 200


def test_a_revoked_key_is_refused_at_once_even_when_cached(partner_key):
    key, raw = partner_key
    client = client_for(raw)
    assert client.get(ESTIMATE, {"direction": "KZ-RU"}).status_code in {200, 404}

    partner_key_revoke(key=key)

    assert client.get(ESTIMATE, {"direction": "KZ-RU"}).status_code == 401


def test_a_key_revoked_or_expired_by_an_edit_is_refused_at_once(partner_key):
    key, raw = partner_key
    other, other_raw = partner_keys.PartnerKey(firm="Other"), None
    other_raw = partner_keys.partner_key_issue(key=other)
    client, other_client = client_for(raw), client_for(other_raw)
    client.get(f"{BASE}/crossings")
    other_client.get(f"{BASE}/crossings")

    edited = PartnerKey.objects.get(pk=key.pk)
    edited.revoked = True
    edited.save()
    expiring = PartnerKey.objects.get(pk=other.pk)
    expiring.expiry_date = NOW - timedelta(days=1)
    expiring.save()

    assert client.get(f"{BASE}/crossings").status_code == 401
    assert other_client.get(f"{BASE}/crossings").status_code == 401


def test_a_deleted_key_is_refused_at_once(partner_key):
    key, raw = partner_key
    client = client_for(raw)
    assert client.get(f"{BASE}/crossings").status_code == 200

    PartnerKey.objects.get(pk=key.pk).delete()

    assert client.get(f"{BASE}/crossings").status_code == 401


def test_a_wrong_secret_is_refused_even_when_the_prefix_is_cached(partner_key):
    key, raw = partner_key
    assert client_for(raw).get(f"{BASE}/crossings").status_code == 200

    forged = f"{key.prefix}.{'x' * 32}"

    assert client_for(forged).get(f"{BASE}/crossings").status_code == 401


def test_the_cache_never_holds_the_raw_key(partner_key, settings):
    from django.core.cache import cache

    key, raw = partner_key
    client_for(raw).get(f"{BASE}/crossings")

    entry = cache.get(partner_keys._key_cache_key(key.prefix))

    assert entry is not None
    assert raw not in repr(entry)
    assert raw.partition(".")[2] not in repr(entry)


# --- The cache down ---------------------------------------------------------------------------------
def test_with_the_cache_down_reads_and_keys_come_from_the_database(partner_key, monkeypatch):
    dead_cache = ResilientRedisCache(
        "redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}
    )
    for module in (partner_reads, partner_keys, core_cache, core_answers):
        monkeypatch.setattr(module, "cache", dead_cache)
    writes = []
    monkeypatch.setattr(dead_cache, "add", lambda *args, **kwargs: writes.append(args) or False)
    key, raw = partner_key
    client = client_for(raw)
    queue = queue_of()
    publish_estimate(queue, wait=100)

    first = client.get(ESTIMATE, {"direction": "KZ-RU"})
    publish_estimate(queue, wait=140, computed_at=NOW + timedelta(minutes=5))
    second = client.get(ESTIMATE, {"direction": "KZ-RU"})
    partner_key_revoke(key=key)
    third = client.get(ESTIMATE, {"direction": "KZ-RU"})

    assert first.json()["wait_minutes"] == 100
    assert second.json()["wait_minutes"] == 140
    assert third.status_code == 401
    assert writes == []  # nothing written back to a cache found unreachable
