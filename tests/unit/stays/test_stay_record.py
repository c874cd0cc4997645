"""The stay record as a pure function (``stays.record``) and its PDF (``stays.record_pdf``)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from stays import domain
from stays.record import RecordedEvent, stay_record_build
from stays.record_pdf import stay_record_pdf

RU_CALENDAR = domain.Rule(
    id=1,
    name="RU 90 per calendar year",
    host_countries=frozenset({"RU"}),
    citizenships=frozenset({"KZ"}),
    limit_days=90,
    window=domain.CALENDAR_YEAR,
    continuous_cap_days=90,
    effective_from=date(2025, 1, 1),
    source="https://example.org/115-fz",
)
RU_ROLLING = domain.Rule(
    id=2,
    name="RU 90/180",
    host_countries=frozenset({"RU"}),
    citizenships=frozenset({"KZ"}),
    limit_days=90,
    window=domain.ROLLING,
    window_days=180,
    effective_to=date(2024, 12, 31),
    source="https://example.org/115-fz-old",
)
RULES = (RU_CALENDAR, RU_ROLLING)
KZ_DRIVER = domain.DriverFacts(citizenship="KZ")
AT = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
KAZAKH_LETTERS = "әғқңөұүһі"


def event(kind: str, on: date, *, source: str = "driver", n: int = 0, country: str = "RU") -> RecordedEvent:
    return RecordedEvent(
        id=f"{kind}-{on}-{n}",
        country=country,
        kind=kind,
        on=on,
        source=source,
        recorded_at=AT - timedelta(days=400) + timedelta(days=on.toordinal() % 400, minutes=n),
        recorded_by="Aigul" if source == "dispatcher" else None,
        crossing="syrym-mashtakovo" if source == "report" else None,
        crossing_names=("Syrym – Mashtakovo", "Сырым – Маштаково", "Сырым – Маштаково") if source == "report" else None,
    )


def build(events, *, start=date(2025, 1, 1), end=date(2025, 5, 31), name="Aidos"):
    return stay_record_build(
        country="RU",
        period_from=start,
        period_to=end,
        events=events,
        driver=KZ_DRIVER,
        driver_name=name,
        rules=RULES,
        registry=domain.RegistryState(),
        thresholds=domain.Thresholds(),
        generated_at=AT,
        local_zone="Europe/Moscow",
    )


def test_a_same_day_exit_and_reentry_is_counted_once():
    result = build(
        [
            event("entry", date(2025, 5, 1)),
            event("exit", date(2025, 5, 10)),
            event("entry", date(2025, 5, 10), n=1),
        ]
    )

    first, second = result.stays
    assert (first.days, second.days, second.continues_previous) == (10, 21, True)
    assert result.days_in_period == 31 == result.status.days_used


def test_a_stay_over_the_period_start_counts_its_days_inside_the_period_only():
    result = build([event("entry", date(2024, 12, 1)), event("exit", date(2025, 1, 10))])

    (stay,) = result.stays
    assert (stay.days, stay.days_in_period) == (41, 10)
    assert stay.rule == RU_CALENDAR  # the rule in force on its last day


def test_the_status_is_the_domains_own_assessment_on_the_last_day():
    events = [event("entry", date(2025, 2, 1)), event("exit", date(2025, 3, 1)), event("entry", date(2025, 5, 1))]

    result = build(events)

    expected = domain.assess(
        driver=KZ_DRIVER, events=[item.as_domain() for item in events], rules=RULES, on=date(2025, 5, 31)
    ).country("RU")
    assert result.status == expected


@st.composite
def histories(draw):
    """Entries and exits in Russia in 2024-2025, most of them in a sensible order, some not."""
    day = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 60)))
    events, kind = [], "entry"
    for n in range(draw(st.integers(0, 10))):
        day += timedelta(days=draw(st.integers(0, 60)))
        if draw(st.integers(0, 9)) == 0:
            kind = "exit" if kind == "entry" else "entry"  # out of order now and then
        events.append(event(kind, day, n=n, source=draw(st.sampled_from(["report", "driver", "dispatcher"]))))
        kind = "exit" if kind == "entry" else "entry"
    return events


@settings(max_examples=150, deadline=None)
@given(
    events=histories(),
    start=st.dates(date(2024, 1, 1), date(2025, 12, 31)),
    length=st.integers(0, 500),
)
def test_the_days_of_the_stays_add_up_to_the_days_in_the_period(events, start, length):
    end = start + timedelta(days=length)

    result = build(events, start=start, end=end)

    assert sum(stay.days_in_period for stay in result.stays) == result.days_in_period
    assert all(0 <= stay.days_in_period <= stay.days + 1 for stay in result.stays)
    assert all(stay.last_day >= start and stay.entry.on <= end for stay in result.stays)
    # Every event dated in the period is in a stay or listed as not counted.
    placed = {stay.entry.id for stay in result.stays} | {stay.exit.id for stay in result.stays if stay.exit}
    skipped = {item.id for item, _ in result.not_counted}
    in_period = {item.id for item in events if start <= item.on <= end}
    assert {item.id for item in result.events} == in_period
    assert in_period <= placed | skipped


def test_the_pdf_carries_cyrillic_and_kazakh_letters_as_text():
    name = f"Әлихан Ғалымұлы Қоңыр Өтеғұлұлы Үһі {KAZAKH_LETTERS}"
    result = build(
        [
            event("entry", date(2025, 3, 1), source="report"),
            event("exit", date(2025, 3, 20), source="dispatcher"),
            event("entry", date(2025, 5, 1)),
        ],
        name=name,
    )

    with translation.override("kk"):
        content = stay_record_pdf(result)

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert name in text
    for letter in KAZAKH_LETTERS:
        assert letter in text
    assert "Сырым – Маштаково" in text
    assert "Ресей" in text
    assert "2025-03-01" in text


def test_the_pdf_renders_the_same_record_to_the_same_bytes_and_says_what_it_is():
    result = build([event("entry", date(2025, 5, 1))])

    with translation.override("en"):
        first, second = stay_record_pdf(result), stay_record_pdf(result)

    assert first == second
    text = PdfReader(io.BytesIO(first)).pages[0].extract_text()
    assert "not an official document" in text
    assert "Generated" in text
    assert "2025-06-01 09:00 UTC (12:00 Europe/Moscow)" in text
    assert "https://example.org/115-fz" in text
    assert "still in the country on 2025-05-31" in text


def test_a_long_history_flows_onto_more_pages():
    events = []
    day = date(2024, 1, 1)
    for n in range(60):
        events += [event("entry", day, n=2 * n), event("exit", day + timedelta(days=2), n=2 * n + 1)]
        day += timedelta(days=6)

    with translation.override("ru"):
        content = stay_record_pdf(build(events, start=date(2024, 1, 1)))

    assert len(PdfReader(io.BytesIO(content)).pages) > 1
