"""The hot crossing reads of both APIs, served before DRF or ninja run when the cache vouches for everything.

The crossing list is what every open app polls. Its answers are stored ready to send (``queues.answers``); what
is left per request is the token check and the driver's read throttle. This wrapper sits in front of the DRF view:
in one cache round trip (``carriers.auth.driver_read_round_trip``) it reads the token's entry, the version stamp
and the stored answer, and counts the driver's read. When the entry vouches for the token, the count is within the
driver's rate and the answer is current, it sends the stored bytes (or a 304). In every other case (no or unknown
token, an entry not in the cache, a stale answer, over the rate, the cache down, anything but a plain GET) the DRF
view runs as if the wrapper were not there: it authenticates against the database, renders and stores, and
answers errors in the API's own envelope; the read already counted is handed to its throttle, not counted again.

The partner list and estimate do the same before ninja: the key's entry, its throttle count, the stamp and the
stored answer in one round trip (``partner_auth.partner_key_check``); on the fallback ninja's auth and throttle
take what that round trip found instead of reading and counting again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps

from django.http import HttpRequest, HttpResponse

from carriers.api.throttles import driver_read_rate
from carriers.auth import driver_read_round_trip, driver_token_raw, remember_token
from core.answers import answer_stored_current
from core.cache import CacheUnavailable
from core.http import answer_response
from queues.answers import crossing_answer_key, crossing_answers_version_key
from queues.api import partner_auth

PARTNER_JSON = "application/json; charset=utf-8"
_JSON_ACCEPTS = ("", "*/*", "application/json", "application/*")


def _plain_get(request: HttpRequest) -> bool:
    """A GET that any JSON answer satisfies (no content negotiation left for the framework to do)."""
    if request.method != "GET":
        return False
    accept = request.headers.get("Accept", "")
    return all(part.split(";")[0].strip() in _JSON_ACCEPTS for part in accept.split(","))


def driver_crossing_read(view: Callable, *, kind: str, headers: Mapping[str, str]) -> Callable:
    """Wraps a DRF view of the driver API's crossing reads (``kind``: ``mobile-list``, or ``mobile-crossing``
    keyed by the URL's ``slug``). Keeps the view's attributes, so the schema generator still sees the view."""

    @wraps(view)
    def fast_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        raw = driver_token_raw(request.headers.get("Authorization")) if _plain_get(request) else None
        reachable = False
        if raw is not None:
            keys = [crossing_answers_version_key(), crossing_answer_key(request, kind, *kwargs.values())]
            try:
                read = driver_read_round_trip(raw=raw, keys=keys)
                reachable = True
            except CacheUnavailable:
                read = None
            if read is not None and read.user_id is not None:
                if read.count is not None:
                    # The throttle of the DRF view takes this count instead of counting the read again.
                    request.driver_read_counted = (  # type: ignore[attr-defined]  # read by the DRF throttle
                        read.user_id,
                        read.period,
                        read.count,
                        read.now,
                    )
                rate = driver_read_rate()
                within_rate = rate is None or read.count is None or read.count <= rate[0]
                answer = answer_stored_current(read.values[1], read.values[0])
                if within_rate and answer is not None:
                    return answer_response(request, answer, headers=headers)
        # The full path; it remembers the token for the next request when it checks it (the cache permitting).
        remembering = remember_token.set(reachable)
        try:
            return view(request, *args, **kwargs)
        finally:
            remember_token.reset(remembering)

    return fast_view


def partner_crossing_read(
    view: Callable, *, answer_keys: Callable, headers: Callable[[], Mapping[str, str]]
) -> Callable:
    """Wraps a ninja view of the partner API's crossing reads (the list, one estimate): ``answer_keys(request)``
    names the stamp and the stored answer, ``headers()`` the headers of the operation's answer."""

    @wraps(view)
    def fast_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        raw_key = request.headers.get(partner_auth.API_KEY_HEADER)
        keys = answer_keys(request) if raw_key and _plain_get(request) else ()
        if keys:
            key = partner_auth.partner_key_check(request, raw_key, answer_keys=keys)
            if key is not None and partner_auth.partner_within_rate(request):
                answer = answer_stored_current(*reversed(getattr(request, "partner_answer_read", (None, None))))
                # A stored ``null`` is the 404 insufficient_data: the operation words it in the caller's language.
                if answer is not None and answer.body != b"null":
                    return answer_response(request, answer, headers=headers(), content_type=PARTNER_JSON)
        return view(request, *args, **kwargs)

    return fast_view
