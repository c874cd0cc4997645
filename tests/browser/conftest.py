"""Browser tests: Playwright (Python) driving Debian's Chromium against the app served as ``make run`` serves it.

The server (``served_app``, ``tests.support.served``) is ``runserver`` in a subprocess on the default settings
with ``DEBUG`` off and the static files collected and served by WhiteNoise, on the test database: a test arranges
its data through the ORM (committed: the ``served`` fixture brings a transactional database) and the browser reads
it from the server. pytest-django's ``live_server`` is not used: it serves static files itself and hides missing
ones. Every page a test opens is watched (``tests.support.browser.PageWatch``): an answer of 400 or more, a failed
request, a request off the server, a console error or an uncaught script error fails the test, and so does an admin
page left on screen without the admin's styles. A test that provokes a problem on purpose says so with
``page_watch.allow(pattern)``.

No browser is downloaded: Playwright launches ``/usr/bin/chromium`` (Debian's package ``chromium``, installed by
``.ci/run``). Outside CI a missing Chromium skips these tests; with CI set it fails them, as for the integration
suite. Screenshots go to ``test-artifacts/browser/`` (ignored by git, kept by CI as artefacts).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.browser import PageWatch, admin_style_problems
from tests.support.served import ServedApp, database_url

# Playwright's sync API runs an event loop in the test thread; the test's own ORM calls (arranging data,
# checking results) are still synchronous, so Django's async-safety guard has nothing to protect here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
# Flags that keep Chromium quiet on a machine with no outside network (see the machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            # One test process runs them all under `--dist loadgroup` (make test): one server, one collectstatic.
            item.add_marker(pytest.mark.xdist_group("browser"))


def _require_chromium() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[dev]')"
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(problem + " (CI is set: the browser tests must run)")
    pytest.skip(problem)


@pytest.fixture(scope="session")
def chromium():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def served_app(django_db_setup, django_db_blocker):
    """The app as ``make run`` serves it, on the test database; one per test process, stopped before the database
    is dropped."""
    _require_chromium()
    from django.db import connection

    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with tempfile.TemporaryDirectory(prefix="kezek-served-static-") as static_root:
        app = ServedApp(
            database_url=url,
            static_root=Path(static_root),
            log_path=ARTIFACTS.parent / "served" / f"runserver-{worker}-{os.getpid()}.log",
        )
        app.collect_static()
        app.start()
        try:
            yield app
        finally:
            app.stop()


@pytest.fixture(autouse=True)
def _served_password_hashers(settings):
    """Passwords set in browser tests are hashed as the served app checks them: the suite's fast MD5 hasher is
    not among the default settings' hashers."""
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture
def served(served_app, transactional_db):
    """The served app for one test: what the test writes through the ORM is committed, so the server sees it."""
    return served_app


@pytest.fixture
def open_page(chromium, served, request):
    """``open_page(locale="en-US")``: a page in a fresh browser context (no cookies) on the served app, watched.

    Each context's problems are checked when the test ends (see the module's docstring).
    """
    opened = []

    def open_(*, locale: str = "en-US"):
        context = chromium.new_context(base_url=served.url, locale=locale, viewport={"width": 1366, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        page_watch.attach(page)
        context.on("page", page_watch.attach)
        opened.append((context, page))
        return page

    page_watch = request.getfixturevalue("page_watch")
    yield open_
    problems = list(page_watch.problems())
    try:
        for _context, page in opened:
            if not page.is_closed() and urlsplit(page.url).path.startswith("/admin/"):
                problems += [f"{page.url}: {p}" for p in admin_style_problems(page)]
    finally:
        for context, _page in opened:
            context.close()
    if problems:
        pytest.fail("the browser met problems:\n" + "\n".join(problems) + f"\nserver log: {served.log_path}")


@pytest.fixture
def page_watch(served):
    """The problems the browser met in this test; ``page_watch.allow(pattern)`` accepts provoked ones."""
    return PageWatch(served.url)


@pytest.fixture
def page(open_page):
    """A fresh page (English unless the user picks otherwise) on the served app, watched."""
    return open_page()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "name")`` saves ``test-artifacts/browser/<name>.png`` and returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
