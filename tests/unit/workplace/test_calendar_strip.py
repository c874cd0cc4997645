"""The stay calendar strip: twelve months of days, the days inside filled, today and the latest exit marked."""

from __future__ import annotations

import re
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workplace.calendar_strip import CalendarLabels, StripFacts, month_starts, stay_calendar_svg

LABELS = CalendarLabels(
    title="Days in Russia",
    desc="64 of 90 days used",
    month_names=["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    gauge="64 of 90 days used",
    inside="in the country",
    allowed="may still stay",
    today="today",
    latest_exit="latest exit",
)


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def cells(svg: str, css_class: str) -> list[str]:
    return re.findall(rf'<rect class="(?:[^"]* )?{css_class}(?: [^"]*)?"[^>]*>(?:<title>([^<]*)</title>)?', svg)


def test_month_starts_run_across_new_year():
    assert month_starts(date(2026, 11, 17), 3) == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]


def test_every_day_of_the_twelve_months_has_one_square():
    svg = stay_calendar_svg(
        facts=StripFacts(inside=set(), today=date(2026, 6, 1), days_used=0, limit_days=90),
        first_month=date(2026, 1, 1),
        labels=LABELS,
        chart_id="ru",
    )

    assert len(re.findall(r'class="kezek-day[ "]', svg)) == 365
    ElementTree.fromstring(svg)  # noqa: S314 - well-formed; the SVG is our own


def test_days_inside_are_filled_and_today_and_latest_exit_are_marked():
    facts = StripFacts(
        inside=days(date(2026, 3, 1), date(2026, 3, 10)),
        today=date(2026, 3, 10),
        days_used=10,
        limit_days=90,
        latest_exit=date(2026, 3, 14),
    )

    svg = stay_calendar_svg(facts=facts, first_month=date(2026, 1, 1), labels=LABELS, chart_id="ru")

    assert len(cells(svg, "kezek-day-in")) == 10
    assert cells(svg, "kezek-day-today") == ["2026-03-10: in the country, today"]
    assert cells(svg, "kezek-day-exit") == ["2026-03-14: may still stay, latest exit"]
    assert len(cells(svg, "kezek-day-allowed")) == 4  # the 11th to the 14th


def test_days_before_the_window_are_faint_because_they_no_longer_count():
    facts = StripFacts(
        inside=days(date(2026, 1, 1), date(2026, 1, 20)),
        today=date(2026, 7, 1),
        days_used=3,
        limit_days=90,
        counted_from=date(2026, 1, 18),
    )

    svg = stay_calendar_svg(facts=facts, first_month=date(2026, 1, 1), labels=LABELS, chart_id="ru")

    assert len(cells(svg, "kezek-day-in")) == 3
    assert len(cells(svg, "kezek-day-in-uncounted")) == 17


def test_the_gauge_turns_red_past_the_limit():
    over = StripFacts(inside=set(), today=date(2026, 6, 1), days_used=95, limit_days=90)

    svg = stay_calendar_svg(facts=over, first_month=date(2026, 1, 1), labels=LABELS, chart_id="ru")

    assert re.search(r'class="kezek-calendar-used"[^>]*fill="#b3261e"', svg)


def test_text_is_escaped_and_ids_are_unique_per_strip():
    labels = CalendarLabels(**{**LABELS.__dict__, "title": "<script>x</script>"})

    svg = stay_calendar_svg(
        facts=StripFacts(inside=set(), today=date(2026, 6, 1), days_used=0, limit_days=None),
        first_month=date(2026, 1, 1),
        labels=labels,
        chart_id="kz",
    )

    assert "<script>" not in svg
    assert 'id="kz-title"' in svg


def test_twelve_month_names_are_required():
    labels = CalendarLabels(**{**LABELS.__dict__, "month_names": ["Jan"]})

    with pytest.raises(ValueError, match="twelve"):
        stay_calendar_svg(
            facts=StripFacts(inside=set(), today=date(2026, 6, 1), days_used=0, limit_days=90),
            first_month=date(2026, 1, 1),
            labels=labels,
            chart_id="x",
        )


@settings(deadline=None)  # drawing a year of squares takes longer than the default 200 ms on a busy machine
@given(
    first=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    stay=st.integers(min_value=0, max_value=400),
    offset=st.integers(min_value=0, max_value=365),
)
def test_each_day_inside_the_twelve_months_is_drawn_filled_once(first, stay, offset):
    entry = first + timedelta(days=offset)
    inside = days(entry, entry + timedelta(days=stay))
    start = month_starts(first, 1)[0]
    end = month_starts(first, 13)[-1]
    shown = {day for day in inside if start <= day < end}

    svg = stay_calendar_svg(
        facts=StripFacts(inside=inside, today=entry, days_used=len(inside), limit_days=90),
        first_month=first,
        labels=LABELS,
        chart_id="p",
    )

    assert len(cells(svg, "kezek-day-in")) == len(shown)


def test_the_twelve_months_lie_in_two_rows_of_six_and_every_word_fits_inside():
    long_words = CalendarLabels(
        **{**LABELS.__dict__, "gauge": "использовано 85 из 90 дней, осталось 5", "allowed": "ещё можно оставаться"}
    )
    svg = stay_calendar_svg(
        facts=StripFacts(inside=set(), today=date(2026, 6, 1), days_used=85, limit_days=90),
        first_month=date(2026, 1, 1),
        labels=long_words,
        chart_id="ru",
    )

    root = ElementTree.fromstring(svg)  # noqa: S314 - our own SVG
    width = float(root.get("viewBox").split()[2])
    month_names = [t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text and t.text[-2:].isdigit()]
    rows = sorted({float(t.get("y")) for t in month_names})
    assert len(rows) == 2
    assert [len([t for t in month_names if float(t.get("y")) == y]) for y in rows] == [6, 6]
    gauge = next(t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text == long_words.gauge)
    assert float(gauge.get("x")) + 6.5 * len(gauge.text) <= width
