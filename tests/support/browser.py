"""What a browser test watches on every page: failed requests, console errors, requests off the server, and
whether the page got its styles (a page without its CSS still "works" for a test that only reads text)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Computed styles that only the stylesheets set: Django admin's base.css (its colour variables, the header bar)
# and Swagger UI's swagger-ui.css (the title size inside .swagger-ui). A page without them is unstyled.
ADMIN_STYLED_JS = """() => {
    const root = getComputedStyle(document.documentElement);
    const header = document.querySelector('#header');
    const headerStyle = header ? getComputedStyle(header) : null;
    return {
        primary: root.getPropertyValue('--primary').trim(),
        headerDisplay: headerStyle ? headerStyle.display : null,
        headerBackground: headerStyle ? headerStyle.backgroundColor : null,
        bodyFont: getComputedStyle(document.body).fontFamily,
    };
}"""
SWAGGER_STYLED_JS = """() => {
    const title = document.querySelector('.swagger-ui .info .title');
    return title ? {text: title.textContent, fontSize: getComputedStyle(title).fontSize,
                    fontFamily: getComputedStyle(title).fontFamily} : null;
}"""
_UNSET_BACKGROUNDS = {"rgba(0, 0, 0, 0)", "transparent", None}


class PageWatch:
    """Collects what went wrong while pages of one browser context loaded; ``problems()`` lists it.

    Counted as a problem: an answer of 400 or more, a request that failed (other than one the browser itself
    aborted because the page moved on), a request to any other origin than the server's, an error on the console
    (a blocked script, a CSP violation, a missing file) and an uncaught script error. ``allow(pattern)`` accepts
    the problems a test provokes on purpose (a regular expression searched in the problem's text).
    """

    def __init__(self, origin: str) -> None:
        self.origin = origin.rstrip("/")
        self._problems: list[str] = []
        self._allowed: list[re.Pattern[str]] = []

    def attach(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._problems.append(f"uncaught script error: {error}"))
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def allow(self, pattern: str) -> None:
        self._allowed.append(re.compile(pattern))

    def problems(self) -> list[str]:
        return [p for p in self._problems if not any(a.search(p) for a in self._allowed)]

    def _on_console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            self._problems.append(f"console error: {message.text} ({location.get('url', '')})")

    def _on_request(self, request) -> None:
        url = request.url
        if url.startswith(("data:", "blob:", "about:")):
            return
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self._problems.append(f"request off the server: {request.method} {url}")

    def _on_request_failed(self, request) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" in failure:  # the page navigated on before the request finished
            return
        self._problems.append(f"request failed: {request.method} {request.url}: {failure}")

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self._problems.append(f"answer {response.status}: {response.request.method} {response.url}")


def admin_style_problems(page) -> list[str]:
    """Why the admin page on screen is not styled by the admin's CSS (empty when it is)."""
    style = page.evaluate(ADMIN_STYLED_JS)
    problems = []
    if not style["primary"]:
        problems.append("the admin's CSS variables are not set (base.css not applied)")
    if style["headerDisplay"] != "flex" or style["headerBackground"] in _UNSET_BACKGROUNDS:
        problems.append(
            f"the header bar is not laid out by the admin's CSS "
            f"(display {style['headerDisplay']}, background {style['headerBackground']})"
        )
    return problems


def swagger_style_problems(page) -> list[str]:
    """Why the Swagger UI page on screen did not render styled (empty when it did)."""
    style = page.evaluate(SWAGGER_STYLED_JS)
    if style is None:
        return ["Swagger UI drew no title: its script did not run or the document did not load"]
    if style["fontSize"] != "36px":
        return [f"Swagger UI's title is not styled by swagger-ui.css (font size {style['fontSize']})"]
    return []
