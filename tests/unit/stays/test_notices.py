"""Driver notices are written from their facts in the active language (stays.notices)."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from stays.notices import join_by_texts, notice_texts, stay_risk_texts

JOIN_BY = {
    "country": "RU",
    "latest_exit": "2026-11-21",
    "crossing": "taskala-ozinki",
    "crossing_names": {"en": "Taskala – Ozinki", "ru": "Таскала – Озинки", "kk": "Тасқала – Озинки"},
    "local_join_by": "2026-11-20 17:30",
    "high_minutes": 610,
}


@pytest.mark.parametrize(
    ("language", "crossing", "word"),
    [
        ("en", "Taskala – Ozinki", "Join the queue"),
        ("ru", "Таскала – Озинки", "очеред"),
        ("kk", "Тасқала – Озинки", "Тасқала"),
    ],
)
def test_a_join_by_reminder_reads_in_the_active_language(language, crossing, word):
    with translation.override(language):
        title, body = notice_texts(kind="join_by_reminder", data=JOIN_BY)

    assert crossing in title
    assert "2026-11-20 17:30" in title
    assert word in title
    assert "2026-11-21" in body
    assert "10" in body  # 610 minutes: up to 10 hours


def test_the_three_languages_differ():
    texts = set()
    for language in ("en", "ru", "kk"):
        with translation.override(language):
            texts.add(join_by_texts(JOIN_BY))
    assert len(texts) == 3


def test_a_crossing_without_a_name_in_the_language_falls_back_to_english_then_the_slug():
    data = {**JOIN_BY, "crossing_names": {"en": "Taskala – Ozinki", "ru": "", "kk": ""}}
    with translation.override("ru"):
        assert "Taskala – Ozinki" in join_by_texts(data)[0]
    data = {**JOIN_BY, "crossing_names": None}
    with translation.override("kk"):
        assert "taskala-ozinki" in join_by_texts(data)[0]


def test_a_stay_alert_reads_in_the_active_language():
    data = {"risk": "high", "country": "RU", "days_left": 3, "overstay_days": None, "latest_exit": "2026-11-21"}
    with translation.override("en"):
        english = stay_risk_texts(data)
    with translation.override("ru"):
        russian = stay_risk_texts(data)

    assert english == ("Only 3 days left in Russia", "Leave by Nov. 21, 2026 to stay within the limit.")
    assert russian is not None
    assert russian != english
    assert "2026" in russian[1]


def test_a_stay_alert_reads_in_the_list_as_its_push_did():
    from stays.alerts import stay_alert_texts

    data = {"risk": "watch", "country": "RU", "days_left": 12, "overstay_days": 0, "latest_exit": "2026-12-19"}
    for language in ("en", "ru", "kk"):
        with translation.override(language):
            assert stay_risk_texts(data) == stay_alert_texts(data)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("queue_threshold", JOIN_BY),  # a kind stays does not write
        ("join_by_reminder", "not a mapping"),
        ("join_by_reminder", {**JOIN_BY, "local_join_by": "soon"}),
        ("join_by_reminder", {key: value for key, value in JOIN_BY.items() if key != "high_minutes"}),
        ("stay_risk", {"risk": "unheard-of", "country": "RU"}),
        ("stay_risk", {}),
    ],
)
def test_unknown_kinds_and_unreadable_facts_are_left_to_the_stored_text(kind, data):
    assert notice_texts(kind=kind, data=data) is None


@given(st.dictionaries(st.sampled_from([*JOIN_BY, "risk", "days_left"]), st.none() | st.text() | st.integers()))
def test_any_facts_give_texts_or_none_never_an_error(data):
    for kind in ("join_by_reminder", "stay_risk"):
        texts = notice_texts(kind=kind, data=data)
        assert texts is None or all(isinstance(text, str) and text for text in texts)
