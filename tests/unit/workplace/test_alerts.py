"""The alerts inbox renders a stay alert from its facts, in the reader's language, timed in its country's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import translation

from stays.alerts import stay_alert_resolution
from workplace.alerts import RESOLVED, AlertFacts, alert_shown

RAISED_AT = datetime(2026, 3, 10, 21, 30, tzinfo=UTC)


def facts(**overrides) -> AlertFacts:
    values = {
        "kind": "stay_risk",
        "title": "Айдос: осталось 3 дня в Россия",
        "body": "stored body",
        "data": {
            "driver_id": 1,
            "country": "RU",
            "risk": "high",
            "risk_reasons": ["days_left_at_high_threshold"],
            "days_left": 3,
            "overstay_days": 0,
            "latest_exit": "2026-03-13",
            "on": "2026-03-10",
        },
        "created_at": RAISED_AT,
        "driver_name": "Aidos",
        "current_risk": "high",
    }
    values.update(overrides)
    return AlertFacts(**values)


def test_a_stay_alert_stored_in_russian_reads_in_english_for_an_english_reader():
    with translation.override("en"):
        shown = alert_shown(facts())

    assert shown.title == "Aidos: only 3 days left in Russia"
    assert shown.body == "Leave by March 13, 2026 to stay within the limit."


@pytest.mark.parametrize(("language", "word"), [("ru", "осталось"), ("kk", "қалды")])
def test_a_stay_alert_reads_in_the_readers_language(language, word):
    with translation.override(language):
        shown = alert_shown(facts())

    assert word in shown.title
    assert "Aidos" in shown.title


def test_the_alert_time_is_shown_in_its_countrys_zone_with_the_zone_named():
    shown = alert_shown(facts())

    assert shown.zone_label == "Europe/Moscow (UTC+03:00)"
    assert shown.created_local.strftime("%Y-%m-%d %H:%M") == "2026-03-11 00:30"


def test_an_alert_without_a_country_is_timed_in_utc():
    shown = alert_shown(facts(kind="other", data={}))

    assert shown.zone_label == "UTC (UTC+00:00)"


@pytest.mark.parametrize(
    ("level", "stay", "current", "current_stay", "resolution"),
    [
        ("high", "2026-01-01", "high", "2026-01-01", None),
        ("high", "2026-01-01", "overstay", "2026-01-01", None),
        ("high", "2026-01-01", "watch", "2026-01-01", "risk_lower"),
        ("watch", "2026-01-01", "ok", "2026-01-01", "risk_lower"),
        ("high", "2026-01-01", "high", "2026-03-01", "stay_changed"),
        ("high", "2026-01-01", None, None, "no_status"),
    ],
)
def test_an_alert_stands_while_the_same_stay_is_at_its_level_or_worse(level, stay, current, current_stay, resolution):
    assert stay_alert_resolution(level=level, stay=stay, current_risk=current, current_stay=current_stay) == resolution


def test_a_resolved_alert_says_so_with_the_current_risk():
    with translation.override("en"):
        shown = alert_shown(facts(current_risk="ok", active=False))

    assert shown.state == RESOLVED
    assert shown.state_note == "Resolved: the driver's risk now is ok."


def test_an_alert_of_an_unknown_kind_or_with_broken_facts_is_shown_as_stored():
    unknown = alert_shown(facts(kind="queue_threshold"))
    broken = alert_shown(facts(data={"country": "RU", "risk": "high", "days_left": "many"}))

    assert (unknown.title, unknown.body, unknown.state) == (facts().title, "stored body", None)
    assert (broken.title, broken.state) == (facts().title, None)


def test_a_resolved_alert_says_when_and_why():
    resolved_at = RAISED_AT.replace(hour=RAISED_AT.hour + 1) if RAISED_AT.hour < 23 else RAISED_AT
    with translation.override("en"):
        shown = alert_shown(facts(current_risk="ok", active=False, resolved_at=resolved_at, resolution="risk_lower"))

    assert shown.state == RESOLVED
    assert shown.state_note.startswith("Resolved on ")
    assert shown.state_note.endswith(": the risk fell below this level.")
