"""The crossing reads of both APIs served as stored answers: rendered once per change, never stale.

A new estimate, a crossing edited in the admin, a revoked token or key and a cache outage are each reflected on
the very next request.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework.test import APIClient

from carriers.auth import driver_token_cache_key, driver_token_remember
from core.answers import RENDER_LOCK_SECONDS
from core.cache import ResilientRedisCache, cache_text_get
from queues.answers import crossing_answer_get, crossing_answers_changed
from queues.models import Crossing
from queues.services.partner_keys import partner_key_revoke
from tests.factories import token_for
from tests.support.partner import (
    BASE,
    NOW,
    isolate_cache,
    publish_estimate,
    queue_of,
)
from tests.support.signin import set_rates

pytestmark = pytest.mark.django_db

LIST = "/api/v1/crossings"
CROSSING = "/api/v1/crossings/syrym-mashtakovo"
PARTNER_LIST = f"{BASE}/crossings"
PARTNER_ESTIMATE = f"{BASE}/crossings/syrym-mashtakovo/estimate"


@pytest.fixture
def app(driver, settings) -> APIClient:
    isolate_cache(settings)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(driver)}")
    return client


def queue_estimate(body: dict, slug: str, direction: str) -> dict | None:
    crossing = next(c for c in body["results"] if c["slug"] == slug)
    return next(q["estimate"] for q in crossing["queues"] if q["direction"] == direction)


# --- Served from what changed -----------------------------------------------------------------------
def test_a_repeated_read_of_the_list_sends_no_query(app, django_assert_num_queries):
    first = app.get(LIST)

    with django_assert_num_queries(0):
        again = app.get(LIST)

    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]
    assert again["Content-Type"] == "application/json"


def test_a_matching_if_none_match_is_304_from_the_stored_answer(app, django_assert_num_queries):
    etag = app.get(CROSSING)["ETag"]

    with django_assert_num_queries(0):
        response = app.get(CROSSING, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response.content == b""


def test_a_new_estimate_is_in_every_answer_at_once(app, partner_client):
    queue = queue_of()
    for path in (LIST, CROSSING, PARTNER_LIST):
        (partner_client if path.startswith(BASE) else app).get(path)
    partner_client.get(PARTNER_ESTIMATE, {"direction": "KZ-RU"})

    publish_estimate(queue, wait=145)

    assert queue_estimate(app.get(LIST).json(), "syrym-mashtakovo", "KZ-RU")["wait_minutes"] == 145
    assert app.get(CROSSING).json()["queues"][0]["estimate"]["wait_minutes"] == 145
    assert queue_estimate(partner_client.get(PARTNER_LIST).json(), "syrym-mashtakovo", "KZ-RU")["wait_minutes"] == 145
    assert partner_client.get(PARTNER_ESTIMATE, {"direction": "KZ-RU"}).json()["wait_minutes"] == 145


def test_a_newer_estimate_changes_the_etag(app):
    queue = queue_of()
    publish_estimate(queue, wait=100)
    before = app.get(CROSSING)

    publish_estimate(queue, wait=120, computed_at=NOW + timedelta(minutes=5))
    after = app.get(CROSSING, headers={"If-None-Match": before["ETag"]})

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.json()["queues"][0]["estimate"]["wait_minutes"] == 120


def test_the_stored_answer_is_what_the_full_path_renders(app):
    publish_estimate(queue_of(), wait=90)
    rendered = app.get(LIST)

    crossing_answers_changed()
    full_path = APIClient().get(LIST, headers={"Authorization": app._credentials["HTTP_AUTHORIZATION"]})

    assert rendered.json() == full_path.json()


def test_a_crossing_edited_in_the_admin_shows_in_both_apis_at_once(app, partner_client, admin_client):
    app.get(LIST)
    app.get(CROSSING)
    partner_client.get(PARTNER_LIST)
    crossing = Crossing.objects.get(slug="syrym-mashtakovo")
    url = f"/admin/queues/crossing/{crossing.pk}/change/"

    response = admin_client.post(url, admin_form_data(admin_client.get(url), name="Syrym – Mashtakovo (new)"))

    assert response.status_code == 302, response.content[:2000]
    assert app.get(CROSSING).json()["name"] == "Syrym – Mashtakovo (new)"
    assert next(c for c in app.get(LIST).json()["results"] if c["slug"] == crossing.slug)["name"].endswith("(new)")
    names = {c["slug"]: c["name"] for c in partner_client.get(PARTNER_LIST).json()["results"]}
    assert names[crossing.slug] == "Syrym – Mashtakovo (new)"


def test_a_deactivated_crossing_leaves_the_answers_at_once(app, partner_client):
    app.get(CROSSING)
    partner_client.get(PARTNER_LIST)

    crossing = Crossing.objects.get(slug="syrym-mashtakovo")
    crossing.active = False
    crossing.save()

    assert app.get(CROSSING).status_code == 404
    assert "syrym-mashtakovo" not in {c["slug"] for c in partner_client.get(PARTNER_LIST).json()["results"]}


def test_an_answer_rendered_while_a_change_commits_is_not_served_after_it():
    renders = []

    def render_racing_a_commit():
        renders.append("old rows")
        crossing_answers_changed()  # the change commits and bumps while this render still holds the old rows
        return {"rendered": len(renders)}

    first = crossing_answer_get(entry_key="test:entry", render=render_racing_a_commit)
    second = crossing_answer_get(entry_key="test:entry", render=lambda: {"rendered": "new"})

    assert first.body == b'{"rendered":1}'
    assert second.body == b'{"rendered":"new"}'


def test_while_one_reader_renders_the_others_send_the_previous_answer_then_the_new_one():
    crossing_answer_get(entry_key="test:lock", render=lambda: {"rendered": "old"})
    crossing_answers_changed()
    cache.add("test:lock:rendering", 1, timeout=RENDER_LOCK_SECONDS)  # another reader is rendering right now

    during = crossing_answer_get(entry_key="test:lock", render=lambda: {"rendered": "new"})
    cache.delete("test:lock:rendering")  # it has stored its answer, or given up
    after = crossing_answer_get(entry_key="test:lock", render=lambda: {"rendered": "new"})

    assert during.body == b'{"rendered":"old"}'
    assert after.body == b'{"rendered":"new"}'


def test_a_render_that_fails_stores_nothing_and_leaves_no_lock():
    crossing_answer_get(entry_key="test:fails", render=lambda: {"rendered": "old"})
    crossing_answers_changed()

    def failing():
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        crossing_answer_get(entry_key="test:fails", render=failing)

    assert cache.get("test:fails:rendering") is None
    assert crossing_answer_get(entry_key="test:fails", render=lambda: {"rendered": "new"}).body == b'{"rendered":"new"}'


# --- The driver's read throttle ---------------------------------------------------------------------
def test_reads_served_from_the_stored_answer_count_against_the_drivers_rate(app, settings):
    set_rates(settings, driver="3/minute")

    statuses = [app.get(LIST).status_code for _ in range(4)]
    refused = app.get(CROSSING)

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0


def test_a_read_that_goes_on_into_drf_is_counted_once(app, settings):
    set_rates(settings, driver="4/minute")
    app.get(LIST)  # counted by DRF's throttle; remembers the token
    crossing_answers_changed()
    app.get(LIST)  # counted in the cache round trip, then rendered by DRF: not counted again
    app.get(LIST)  # from the stored answer

    assert app.get("/api/v1/me").status_code == 200
    assert app.get(LIST).status_code == 429


# --- Credentials ------------------------------------------------------------------------------------
def test_a_logged_out_token_is_refused_on_its_next_read(app):
    assert app.get(LIST).status_code == 200
    assert app.get(LIST).status_code == 200  # from the stored answer

    assert app.post("/api/v1/auth/logout").status_code == 204

    refused = app.get(LIST)
    assert refused.status_code == 401
    assert refused.json()["code"] == "not_authenticated"


def test_a_token_deleted_with_its_device_is_refused_at_once(app, driver):
    app.get(CROSSING)
    app.get(CROSSING)

    AuthToken.objects.filter(user=driver.user).delete()

    assert app.get(CROSSING).status_code == 401


def test_a_deactivated_driver_is_refused_at_once(app, driver):
    app.get(LIST)
    app.get(LIST)

    driver.user.is_active = False
    driver.user.save()

    assert app.get(LIST).status_code == 401


def test_an_expired_token_is_refused_although_its_entry_was_cached(app, settings):
    assert app.get(LIST).status_code == 200
    assert app.get(LIST).status_code == 200  # from the stored answer

    with time_machine.travel(timezone.now() + settings.REST_KNOX["TOKEN_TTL"] + timedelta(minutes=1), tick=False):
        assert app.get(LIST).status_code == 401


def test_the_token_entry_lasts_until_the_stored_expiry_is_due_to_be_written(driver):
    raw = token_for(driver)
    token = AuthToken.objects.get(token_key=raw[:15])
    now = timezone.now()
    stored = token.expiry
    # knox moved the expiry in memory on this use but did not write it (not due yet): the entry must follow the
    # stored one, or it would outlive the moment the database check has to run again.
    token.expiry = now + knox_settings.TOKEN_TTL + timedelta(minutes=30)
    cache.delete(driver_token_cache_key(token.token_key))

    driver_token_remember(raw=raw, auth_token=token, stored_expiry=stored, as_of=now)

    entry = cache_text_get(driver_token_cache_key(token.token_key))
    due = (stored - knox_settings.TOKEN_TTL).timestamp() + knox_settings.MIN_REFRESH_INTERVAL
    assert int(entry.split("|")[2]) == int(min(due, now.timestamp() + 3600))
    assert raw not in entry


def test_a_wrong_token_with_a_cached_prefix_is_refused(app):
    app.get(LIST)
    raw = app._credentials["HTTP_AUTHORIZATION"].removeprefix("Token ")
    forged = raw[:15] + ("0" if raw[15] != "0" else "1") + raw[16:]

    assert APIClient().get(LIST, headers={"Authorization": f"Token {forged}"}).status_code == 401


def test_a_wrong_token_with_a_cached_prefix_spends_nothing_of_the_drivers_rate(app, settings):
    set_rates(settings, driver="2/minute")
    app.get(LIST)
    raw = app._credentials["HTTP_AUTHORIZATION"].removeprefix("Token ")
    forged = raw[:15] + ("0" if raw[15] != "0" else "1") + raw[16:]
    for _ in range(3):
        APIClient().get(LIST, headers={"Authorization": f"Token {forged}"})

    assert app.get(LIST).status_code == 200


def test_a_read_without_a_token_is_refused(app):
    app.get(LIST)

    assert APIClient().get(LIST).status_code == 401


def test_a_revoked_key_is_refused_on_its_next_read(partner_key, partner_client):
    key, _raw = partner_key
    assert partner_client.get(PARTNER_LIST).status_code == 200
    assert partner_client.get(PARTNER_LIST).status_code == 200  # from the stored answer

    partner_key_revoke(key=key)

    assert partner_client.get(PARTNER_LIST).status_code == 401
    assert partner_client.get(PARTNER_ESTIMATE, {"direction": "KZ-RU"}).status_code == 401


# --- The cache down ---------------------------------------------------------------------------------
@pytest.fixture
def cache_down(settings):
    """The default cache is a Redis nobody listens on (port 9: discard)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    return settings


def test_with_the_cache_down_reads_are_right_and_revocations_hold(driver, partner_key, cache_down, monkeypatch):
    writes = []
    monkeypatch.setattr(ResilientRedisCache, "set", lambda self, *args, **kwargs: writes.append(args[0]))
    monkeypatch.setattr(ResilientRedisCache, "add", lambda self, *args, **kwargs: writes.append(args[0]) or False)
    key, raw_key = partner_key
    token = token_for(driver)
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    partner = APIClient()
    partner.credentials(HTTP_X_API_KEY=raw_key)
    queue = queue_of()
    publish_estimate(queue, wait=100)

    assert queue_estimate(app.get(LIST).json(), "syrym-mashtakovo", "KZ-RU")["wait_minutes"] == 100
    publish_estimate(queue, wait=150, computed_at=NOW + timedelta(minutes=5))
    assert app.get(CROSSING).json()["queues"][0]["estimate"]["wait_minutes"] == 150
    assert queue_estimate(partner.get(PARTNER_LIST).json(), "syrym-mashtakovo", "KZ-RU")["wait_minutes"] == 150
    assert partner.get(PARTNER_ESTIMATE, {"direction": "KZ-RU"}).json()["wait_minutes"] == 150

    # Nothing stored by the reads (only the version bumps were attempted, and failed).
    assert not [name for name in writes if not name.endswith(":version")]

    AuthToken.objects.filter(user=driver.user).delete()
    partner_key_revoke(key=key)

    assert app.get(LIST).status_code == 401
    assert partner.get(PARTNER_LIST).status_code == 401


HANG_SECONDS = 0.5


def test_a_hanging_cache_costs_the_crossing_reads_one_timeout_not_one_per_request(
    driver, partner_key, settings, monkeypatch
):
    """A Redis that accepts and never answers: the first cache call waits its timeout and opens the breaker; the
    fast paths of both APIs then fall back to the full path without touching Redis, and answer right."""
    from core.cache import ReusingRedisCacheClient
    from tests.support.hanging_redis import hanging_cache_settings, hanging_server

    _key, raw_key = partner_key
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Token {token_for(driver)}")
    partner = APIClient()
    partner.credentials(HTTP_X_API_KEY=raw_key)
    publish_estimate(queue_of(), wait=100)

    with hanging_server() as port:
        settings.CACHES = hanging_cache_settings(port, timeout=HANG_SECONDS, breaker_seconds=60)
        started = time.monotonic()
        assert app.get(LIST).status_code == 200
        assert time.monotonic() - started >= HANG_SECONDS * 0.9  # the first call waited for the cache

        touched = []
        original = ReusingRedisCacheClient.get_client
        monkeypatch.setattr(
            ReusingRedisCacheClient, "get_client", lambda *a, **kw: touched.append(a) or original(*a, **kw)
        )
        answers = [
            app.get(LIST),
            app.get(CROSSING),
            partner.get(PARTNER_LIST),
            partner.get(PARTNER_ESTIMATE, {"direction": "KZ-RU"}),
        ]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    assert queue_estimate(answers[0].json(), "syrym-mashtakovo", "KZ-RU")["wait_minutes"] == 100
    assert answers[1].json()["queues"][0]["estimate"]["wait_minutes"] == 100
    assert queue_estimate(answers[2].json(), "syrym-mashtakovo", "KZ-RU")["wait_minutes"] == 100
    assert answers[3].json()["wait_minutes"] == 100
    assert touched == []  # while the breaker is open nothing waits on Redis


# --- Helpers ----------------------------------------------------------------------------------------
def admin_form_data(page, **changes) -> dict:
    """The POST body of an admin change form as the page shows it, with ``changes``."""
    data = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or getattr(field, "disabled", False):
            continue
        data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for subform in formset.forms:
            for name in subform.fields:
                value = subform[name].value()
                if value is not None:
                    data[subform.add_prefix(name)] = value
    data.update(changes)
    return data


def test_partner_reads_served_before_ninja_count_once_against_the_keys_rate(partner_client, settings):
    settings.PARTNER_THROTTLE_RATE = "3/minute"
    publish_estimate(queue_of())

    statuses = [partner_client.get(PARTNER_LIST).status_code for _ in range(2)]
    statuses.append(partner_client.get(PARTNER_ESTIMATE, {"direction": "KZ-RU"}).status_code)
    refused = partner_client.get(PARTNER_LIST)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"


def test_a_hot_partner_list_read_sends_no_query(partner_client, django_assert_num_queries):
    first = partner_client.get(PARTNER_LIST)

    with django_assert_num_queries(0):
        again = partner_client.get(PARTNER_LIST, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again["Vary"] == first["Vary"]
