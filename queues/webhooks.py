"""Webhook targets: URL screening against SSRF and the HTTP POST that delivers an alert.

The host is resolved and every address screened both when a subscription is created and at each delivery,
and the delivery connects to the very address that was screened (the TLS name check still uses the host
name), so a DNS answer that changes between the check and the connection (DNS rebinding) cannot redirect a
delivery to an internal address. Redirects are never followed. Timeouts are short.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from queues.domain.partner import address_is_public

CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 5.0
USER_AGENT = "Kezek-Webhooks/1.0"
_RESPONSE_READ_LIMIT = 4096


class UnsafeWebhookUrl(ValueError):
    """The URL may not be called: wrong scheme, credentials, no host, unresolvable or a non-public address."""


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (a seam for tests)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def webhook_target(url: str, *, resolve: bool = True) -> WebhookTarget:
    """The screened target of ``url``; raises :class:`UnsafeWebhookUrl` with a human reason.

    https only (http too where ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` is on: in tests, or set on a development machine);
    no user:password; every address the host resolves to must be public unless private targets are allowed.
    """
    allow_private = _allow_private()
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise UnsafeWebhookUrl(_("Enter a valid URL."))
    if not url.isascii():
        raise UnsafeWebhookUrl(_("Percent-encode the URL (and give an international host name in punycode)."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeWebhookUrl(_("Enter a valid URL.")) from exc
    allowed_schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in allowed_schemes:
        raise UnsafeWebhookUrl(_("The URL must use https."))
    if parts.username or parts.password:
        raise UnsafeWebhookUrl(_("The URL must not contain credentials."))
    host = parts.hostname
    if not host:
        raise UnsafeWebhookUrl(_("Enter a valid URL."))
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    addresses: tuple[str, ...] = ()
    if resolve:
        # One text whether the host does not resolve or resolves to a private address: two would let a partner
        # tell the deployment's internal names from names that do not exist.
        refusal = _("The host of the URL does not resolve to public addresses only.")
        try:
            addresses = tuple(resolve_host(host, port))
        except (OSError, UnicodeError) as exc:
            raise UnsafeWebhookUrl(refusal) from exc
        if not addresses:
            raise UnsafeWebhookUrl(refusal)
        if not allow_private and not all(address_is_public(address) for address in addresses):
            raise UnsafeWebhookUrl(refusal)
    return WebhookTarget(scheme=parts.scheme, host=host, port=port, path=path, addresses=addresses)


def _connect_first(addresses: tuple[str, ...], port: int, timeout: float) -> socket.socket:
    """A socket to the first screened address that answers (e.g. IPv4 when IPv6 is unreachable)."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout=CONNECT_TIMEOUT_SECONDS)
        except OSError as exc:
            error = exc
            continue
        sock.settimeout(timeout)
        return sock
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the screened addresses only, while speaking to (and naming) the original host."""

    def __init__(self, host: str, port: int, *, addresses: tuple[str, ...], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        self.sock = _connect_first(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, addresses: tuple[str, ...], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._addresses = addresses

    def connect(self) -> None:
        raw = _connect_first(self._addresses, self.port, self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


@dataclass(frozen=True, slots=True)
class PostResult:
    status_code: int | None
    error: str
    duration_ms: int


def webhook_post(*, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
    """POSTs ``body`` to ``url`` once, re-screening the target first. Never raises for network trouble:
    the outcome (status code or error text) is returned for the delivery log."""
    started = time.monotonic()

    def result(status_code: int | None, error: str) -> PostResult:
        return PostResult(status_code, error[:500], int((time.monotonic() - started) * 1000))

    try:
        target = webhook_target(url)
    except UnsafeWebhookUrl as exc:
        return result(None, f"refused: {exc}")
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target.host, target.port, addresses=target.addresses, timeout=READ_TIMEOUT_SECONDS)
    request_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Content-Length": str(len(body)),
        **headers,
    }
    try:
        connection.request("POST", target.path, body=body, headers=request_headers)
        response = connection.getresponse()
        response.read(_RESPONSE_READ_LIMIT)
        status = response.status
    except (OSError, http.client.HTTPException, ssl.SSLError, ValueError) as exc:
        return result(None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
    return result(status, "" if 200 <= status < 300 else f"HTTP {status}")
