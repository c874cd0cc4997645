"""Answers a user meets outside the endpoints' own logic: timestamps of one shape, the site root, framework 404s
under the APIs whatever DEBUG says, and the 413 in the client's language."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from queues.models import Estimate, Queue
from queues.payloads import estimate_as_dict

pytestmark = pytest.mark.django_db
SECONDS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.mark.parametrize("microsecond", [0, 123456])
def test_estimate_timestamps_have_one_shape_with_or_without_microseconds(microsecond):
    queue = Queue.objects.get(crossing__slug="zhaisan-sagarchin", from_country="KZ")
    moment = datetime(2026, 11, 21, 9, 30, 5, microsecond, tzinfo=UTC)
    estimate = Estimate(
        queue=queue, wait_minutes=60, low_minutes=40, high_minutes=90, computed_at=moment, data_until=moment
    )
    estimate.published = True

    body = estimate_as_dict(estimate)

    assert body["computed_at"] == "2026-11-21T09:30:05Z"
    assert SECONDS_Z.match(body["data_until"])


def test_the_site_root_leads_to_the_workplace(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_browsers_favicon_request_finds_kezeks_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/kezek/favicon.svg"


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/crossings/", "/api/partner/v1/nope", "/api/"])
def test_an_unknown_api_path_is_a_problem_404_whatever_debug_says(client, path, debug):
    with override_settings(DEBUG=debug):
        response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_a_post_to_an_unknown_api_path_is_a_problem_404_not_a_csrf_page(client):
    response = client.post("/api/v1/notifications/-5/read")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(("language", "word"), [("ru", "слишком"), ("kk", "тым"), ("en", "too large")])
def test_a_body_over_the_limit_is_refused_in_the_clients_language(client, settings, language, word):
    body = json.dumps({"reports": [], "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    response = client.post(
        "/api/v1/reports", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=f"{language};q=1"
    )

    assert response.status_code == 413
    assert word in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/partner/v1/docs"])
def test_the_docs_pages_load_every_script_and_style_from_the_server_itself(client, path):
    html = client.get(path).content.decode()

    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources
    assert [source for source in sources if "//" in source] == []
    assert "<script>" not in html.replace(" ", "")  # no inline script: a strict CSP can forbid them


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/partner/v1/docs"])
def test_the_docs_pages_run_under_a_content_security_policy_that_allows_only_the_servers_scripts(client, path):
    response = client.get(path)

    policy = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";") if directive
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    # No badge image from swagger.io's online validator (the policy would block it on a public host).
    assert '"validatorUrl": null' in response.content.decode() + _docs_script(client, path)


def _docs_script(client, path: str) -> str:
    """The start-up script of drf-spectacular's split docs view (its settings live there, not in the page)."""
    html = client.get(path).content.decode()
    script = re.search(r'<script src="([^"]*\?script=[^"]*)"', html)
    return client.get(script.group(1).replace("&amp;", "&")).content.decode() if script else ""
