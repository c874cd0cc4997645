"""Pure partner rules: webhook signatures, address screening, backoff, threshold crossings, history windows,
cursors. No database."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.pagination import cursor_decode, cursor_encode
from queues.domain.partner import (
    DELIVERY_BACKOFF_CAP,
    HISTORY_MAX_POINTS,
    HistoryWindowError,
    address_is_public,
    bucket_ceil,
    bucket_floor,
    history_window,
    retry_delay,
    signature_headers,
    signature_v2_verify,
    signature_verify,
    threshold_transition,
    webhook_body,
)

SECRET = "whsec_test-secret"
AT = datetime(2026, 11, 21, 9, 37, 12, tzinfo=UTC)


# --- Signatures -------------------------------------------------------------------------------------
def test_signature_header_is_the_hmac_sha256_of_the_body_as_the_contract_says():
    body = webhook_body({"event": "threshold.above", "crossing": "syrym-mashtakovo"})

    headers = signature_headers(secret=SECRET, body=body, timestamp=1_700_000_000)

    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Kezek-Signature"] == f"sha256={expected}"
    assert headers["X-Kezek-Timestamp"] == "1700000000"


def test_timestamped_signature_covers_the_timestamp_and_the_body():
    body = b'{"a":1}'

    headers = signature_headers(secret=SECRET, body=body, timestamp=1_700_000_000)

    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert headers["X-Kezek-Signature-V2"] == f"t=1700000000,sha256={expected}"


def test_a_receiver_verifies_a_genuine_signature_and_rejects_tampering():
    body = webhook_body({"wait_minutes": 240})
    headers = signature_headers(secret=SECRET, body=body, timestamp=1_700_000_000)

    assert signature_verify(secret=SECRET, body=body, header=headers["X-Kezek-Signature"])
    assert not signature_verify(secret=SECRET, body=body.replace(b"240", b"24"), header=headers["X-Kezek-Signature"])
    assert not signature_verify(secret="whsec_other", body=body, header=headers["X-Kezek-Signature"])
    assert not signature_verify(secret=SECRET, body=body, header="md5=abc")


def test_a_replayed_delivery_fails_the_timestamped_check():
    body = b"{}"
    header = signature_headers(secret=SECRET, body=body, timestamp=1_700_000_000)["X-Kezek-Signature-V2"]

    assert signature_v2_verify(secret=SECRET, body=body, header=header, now=1_700_000_100)
    assert not signature_v2_verify(secret=SECRET, body=body, header=header, now=1_700_000_000 + 301)
    forged_time = header.replace("t=1700000000", "t=1700000290")
    assert not signature_v2_verify(secret=SECRET, body=body, header=forged_time, now=1_700_000_300)
    assert not signature_v2_verify(secret=SECRET, body=body, header="garbage", now=1_700_000_000)


@given(payload=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=12), max_size=6))
def test_every_body_verifies_under_its_own_signature(payload):
    body = webhook_body(payload)
    headers = signature_headers(secret=SECRET, body=body, timestamp=1)

    assert signature_verify(secret=SECRET, body=body, header=headers["X-Kezek-Signature"])
    assert signature_v2_verify(secret=SECRET, body=body, header=headers["X-Kezek-Signature-V2"], now=1)


def test_the_body_is_deterministic_compact_json():
    assert webhook_body({"b": 1, "a": "ж"}) == '{"a":"ж","b":1}'.encode()


# --- Addresses --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.2.3.4",
        "172.31.0.1",
        "192.168.0.10",
        "169.254.169.254",
        "100.64.1.1",
        "0.0.0.0",  # noqa: S104
        "255.255.255.255",
        "224.0.0.251",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:10.0.0.1",
        "2002:0a00:0001::1",  # 6to4 wrapping 10.0.0.1
        "ff02::1",
        "not-an-ip",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert address_is_public(address) is False


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2a00:1450:4001:80b::200e"])
def test_public_addresses_are_allowed(address):
    assert address_is_public(address) is True


# --- Retries and thresholds -------------------------------------------------------------------------
def test_retry_delay_doubles_from_thirty_seconds_and_is_capped():
    assert [retry_delay(attempts=n).total_seconds() for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert retry_delay(attempts=40) == DELIVERY_BACKOFF_CAP


@pytest.mark.parametrize(
    ("was_above", "wait", "expected"),
    [(False, 181, True), (False, 180, None), (True, 180, False), (True, 500, None), (False, None, None)],
)
def test_threshold_fires_only_when_the_state_changes(was_above, wait, expected):
    assert threshold_transition(was_above=was_above, wait_minutes=wait, above_minutes=180) is expected


@given(waits=st.lists(st.integers(min_value=0, max_value=2000), max_size=40), threshold=st.integers(0, 2000))
def test_crossings_alternate_up_and_down(waits, threshold):
    state, fired = False, []
    for wait in waits:
        change = threshold_transition(was_above=state, wait_minutes=wait, above_minutes=threshold)
        if change is not None:
            fired.append(change)
            state = change

    assert all(a != b for a, b in itertools.pairwise(fired))
    assert not fired or fired[0] is True
    assert state == (bool(waits) and waits[-1] > threshold)


# --- History windows --------------------------------------------------------------------------------
def test_buckets_are_utc_aligned():
    step = timedelta(minutes=15)

    assert bucket_floor(AT, step) == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    assert bucket_ceil(AT, step) == datetime(2026, 11, 21, 9, 45, tzinfo=UTC)
    assert bucket_ceil(datetime(2026, 11, 21, 9, 45, tzinfo=UTC), step) == datetime(2026, 11, 21, 9, 45, tzinfo=UTC)


def test_default_window_is_the_24_hours_up_to_the_end_of_the_current_bucket():
    window = history_window(since=None, until=None, interval="1h", as_of=AT)

    assert window.until == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert window.since == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert window.buckets == 24


def test_window_larger_than_the_point_bound_is_refused():
    since = datetime(2026, 1, 1, tzinfo=UTC)

    history_window(since=since, until=since + timedelta(minutes=15 * HISTORY_MAX_POINTS), interval="15m", as_of=AT)
    with pytest.raises(HistoryWindowError) as refused:
        history_window(
            since=since, until=since + timedelta(minutes=15 * HISTORY_MAX_POINTS + 1), interval="15m", as_of=AT
        )
    assert refused.value.field == "interval"


def test_reversed_window_is_refused():
    with pytest.raises(HistoryWindowError) as refused:
        history_window(since=AT, until=AT, interval="1d", as_of=AT)
    assert refused.value.field == "since"


# --- Cursors ----------------------------------------------------------------------------------------
@given(values=st.lists(st.text(max_size=30), min_size=1, max_size=3))
def test_cursors_round_trip(values):
    assert cursor_decode(cursor_encode(values), size=len(values)) == values


@pytest.mark.parametrize("cursor", ["", "!!!", "e30", cursor_encode(["a", "b"]), "W251bGxd"])
def test_foreign_cursors_are_refused(cursor):
    with pytest.raises(ValueError, match="invalid cursor"):
        cursor_decode(cursor, size=1)


# --- The integrator's guide -------------------------------------------------------------------------
def test_the_verifier_in_the_integrators_guide_accepts_our_deliveries_and_refuses_replays():
    import re
    import time
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[3] / "docs" / "partner-api.md").read_text(encoding="utf-8")
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", guide, re.S) if "def kezek_signature_ok" in block]
    namespace: dict = {}
    exec(code.replace('SECRET = "whsec_…"', f"SECRET = {SECRET!r}"), namespace)  # noqa: S102
    body = webhook_body({"event": "threshold.above", "wait_minutes": 240})
    fresh = signature_headers(secret=SECRET, body=body, timestamp=int(time.time()))
    old = signature_headers(secret=SECRET, body=body, timestamp=int(time.time()) - 3600)

    assert namespace["kezek_signature_ok"](body, fresh)
    assert namespace["kezek_body_signature_ok"](body, fresh)
    assert not namespace["kezek_signature_ok"](body, old)
    assert not namespace["kezek_signature_ok"](body + b" ", fresh)
