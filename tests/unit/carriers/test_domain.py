"""Pure sign-in rules: phone normalisation, code generation and hashing, invite codes."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carriers.domain import (
    InvalidPhone,
    invite_code_normalize,
    otp_code_generate,
    otp_code_hash,
    otp_code_matches,
    otp_resend_wait_seconds,
    phone_mask,
    phone_normalize,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+77011234567", "+77011234567"),
        (" +7 701 123-45-67 ", "+77011234567"),
        ("+7 (701) 123 45 67", "+77011234567"),
        ("+8613800138000", "+8613800138000"),
        ("+996555123456", "+996555123456"),
    ],
)
def test_phone_normalize_gives_e164(raw, expected):
    assert phone_normalize(raw) == expected


@pytest.mark.parametrize("raw", ["", "87011234567", "+7701", "+1234", "phone", "+7701123456789012", None])
def test_phone_normalize_refuses_non_international_or_invalid_numbers(raw):
    with pytest.raises(InvalidPhone):
        phone_normalize(raw)


def test_phone_mask_leaves_no_run_of_four_digits():
    masked = phone_mask("+77011234567")

    assert masked.startswith("+7")
    assert masked.endswith("67")
    assert not re.search(r"\d{4}", masked)


def test_generated_code_has_six_digits():
    codes = {otp_code_generate() for _ in range(200)}

    assert all(re.fullmatch(r"\d{6}", code) for code in codes)
    assert len(codes) > 150  # random, not a constant


def test_code_hash_depends_on_phone_code_and_secret():
    base = otp_code_hash(phone="+77011234567", code="123456", secret="s1")

    assert base != otp_code_hash(phone="+77017654321", code="123456", secret="s1")
    assert base != otp_code_hash(phone="+77011234567", code="123457", secret="s1")
    assert base != otp_code_hash(phone="+77011234567", code="123456", secret="s2")
    assert "123456" not in base


@given(code=st.from_regex(r"\d{6}", fullmatch=True), guess=st.from_regex(r"\d{6}", fullmatch=True))
def test_only_the_issued_code_matches_its_hash(code, guess):
    stored = otp_code_hash(phone="+77011234567", code=code, secret="secret")

    assert otp_code_matches(phone="+77011234567", code=code, code_hash=stored, secret="secret")
    assert otp_code_matches(phone="+77011234567", code=guess, code_hash=stored, secret="secret") == (guess == code)


@pytest.mark.parametrize(("raw", "expected"), [("ab cd-EF23", "ABCDEF23"), ("  ", ""), ("K7M-9P2", "K7M9P2")])
def test_invite_code_normalize_ignores_case_spaces_and_dashes(raw, expected):
    assert invite_code_normalize(raw) == expected


# --- Spacing of codes sent to one phone ------------------------------------------------------------
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def resend_wait(issued_offsets: list[int], now_offset: int) -> int:
    return otp_resend_wait_seconds(
        issued_at=[T0 + timedelta(seconds=offset) for offset in issued_offsets],
        as_of=T0 + timedelta(seconds=now_offset),
        base_seconds=30,
        max_seconds=900,
    )


def test_a_phone_never_sent_a_code_may_get_one_at_once():
    assert resend_wait([], 0) == 0


def test_a_second_code_waits_half_a_minute_after_the_first():
    assert resend_wait([0], 10) == 20
    assert resend_wait([0], 30) == 0


def test_the_gap_doubles_with_each_recent_code():
    assert resend_wait([0, 30], 30) == 60
    assert resend_wait([0, 30, 90], 90) == 120


def test_the_gap_never_exceeds_the_cap():
    issued = [0, 30, 90, 210, 450, 930, 1830, 2730]

    assert resend_wait(issued, 2730) == 900


@given(count=st.integers(min_value=1, max_value=50), elapsed=st.integers(min_value=0, max_value=5000))
def test_the_wait_is_never_negative_nor_longer_than_the_cap(count, elapsed):
    wait = resend_wait([0] * count, elapsed)

    assert 0 <= wait <= 900
