"""Pure sign-in rules: phone normalisation, code generation and hashing, invite codes."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carriers.domain import (
    InvalidPhone,
    invite_code_normalize,
    otp_code_generate,
    otp_code_hash,
    otp_code_matches,
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
