"""The pages a new user opens first, served as ``make run`` serves them: each loads every style and script from the
server itself, with no failed request and no console error (the watch in conftest fails the test otherwise), and
shows styled."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import admin_style_problems, swagger_style_problems

pytestmark = pytest.mark.browser

PASSWORD = "dispatch-pass-1"  # set by the shared ``dispatcher`` fixture


def test_admin_sign_in_page_is_styled(page, screenshot):
    page.goto("/")

    page.wait_for_url(re.compile(r"/admin/login/"))
    assert page.locator("#id_username").is_visible()
    assert admin_style_problems(page) == []
    screenshot(page, "10-served-admin-sign-in")


def test_dispatcher_signs_in_and_opens_a_page_styled(page, dispatcher, screenshot):
    dispatcher.language = "en"
    dispatcher.save()
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", dispatcher.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    assert admin_style_problems(page) == []

    page.click("nav.kezek-nav >> text=Crossings")
    page.wait_for_load_state()

    assert page.locator("#content h1").is_visible()
    assert admin_style_problems(page) == []
    screenshot(page, "11-served-admin-crossings")


@pytest.mark.parametrize(
    ("path", "title"),
    [("/api/v1/docs", "Kezek driver API"), ("/api/partner/v1/docs", "Kezek partner API")],
    ids=["driver", "partner"],
)
def test_api_docs_page_draws_the_document_from_the_servers_own_files(page, path, title, screenshot):
    response = page.goto(path)

    page.wait_for_selector(".swagger-ui .info .title", state="visible")
    assert title in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".swagger-ui .opblock").count() > 3  # the operations are listed
    assert swagger_style_problems(page) == []
    assert "script-src 'self';" in response.headers["content-security-policy"]  # and nothing it blocked (the watch)
    screenshot(page, f"12-served-docs-{path.strip('/').replace('/', '-')}")
