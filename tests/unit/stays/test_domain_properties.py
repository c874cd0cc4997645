"""Invariants of the stay assessment, checked with hypothesis over random stay histories."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from stays.domain import DriverFacts, Event, RegistryState, Thresholds, assess_country, event_sequence_problems, plan
from tests.support.stay_rules import SEEDED

KAZAKH = DriverFacts(citizenship="KZ")
START = date(2024, 1, 1)


@st.composite
def histories(draw, max_stays=6):
    """Consecutive stays in Russia (gaps of at least one day), the last one possibly open, and a date after."""
    events: list[Event] = []
    day = START + timedelta(days=draw(st.integers(0, 400)))
    count = draw(st.integers(0, max_stays))
    for index in range(count):
        length = draw(st.integers(1, 100))
        events.append(Event(country="RU", kind="entry", on=day))
        last = day + timedelta(days=length - 1)
        is_open = index == count - 1 and draw(st.booleans())
        if not is_open:
            events.append(Event(country="RU", kind="exit", on=last))
        day = last + timedelta(days=draw(st.integers(1, 120)))
    on = day + timedelta(days=draw(st.integers(0, 60)))
    return events, on


def status(events, on):
    return assess_country(
        country="RU", driver=KAZAKH, events=events, rules=SEEDED, on=on, registry=RegistryState(),
        thresholds=Thresholds(),
    )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(histories())
def test_days_used_never_exceed_the_days_of_the_window(history):
    events, on = history

    result = status(events, on)

    window_days = (min(result.window_end, on) - result.window_start).days + 1
    assert 0 <= result.days_used <= window_days
    assert result.days_left >= 0


@settings(max_examples=100, deadline=None)
@given(histories(), st.integers(0, 200), st.integers(1, 120))
def test_plan_is_allowed_exactly_when_the_stay_fits_the_longest_allowed(history, entry_offset, days):
    events, on = history
    entry = on + timedelta(days=entry_offset)

    result = plan(country="RU", entry=entry, days=days, driver=KAZAKH, events=events, rules=SEEDED, as_of=on)

    assert result.allowed == (days <= result.max_days)
    if result.allowed:
        assert result.earliest_entry == entry


@settings(max_examples=60, deadline=None)
@given(histories(max_stays=4), st.integers(0, 60), st.integers(1, 95))
def test_earliest_entry_is_the_first_date_that_allows_the_stay(history, entry_offset, days):
    events, on = history
    entry = on + timedelta(days=entry_offset)

    result = plan(country="RU", entry=entry, days=days, driver=KAZAKH, events=events, rules=SEEDED, as_of=on)

    def allows(day):
        return plan(country="RU", entry=day, days=days, driver=KAZAKH, events=events, rules=SEEDED, as_of=on).allowed

    if result.earliest_entry is not None:
        assert allows(result.earliest_entry)
        gap = (result.earliest_entry - entry).days
        # Every date before it is refused (all of them for short gaps, the nearest ones otherwise).
        checked = range(gap) if gap <= 40 else [0, 1, gap - 2, gap - 1]
        assert not any(allows(entry + timedelta(days=offset)) for offset in checked)


@settings(max_examples=150, deadline=None)
@given(histories(), st.integers(-500, 0), st.integers(1, 60), st.integers(0, 90))
def test_adding_a_stay_never_lowers_days_used(history, start_offset, length, later):
    events, on = history
    entry = on + timedelta(days=start_offset)
    exit_ = min(entry + timedelta(days=length - 1), on)
    assessed_on = on + timedelta(days=later)
    added = [Event(country="RU", kind="entry", on=entry), Event(country="RU", kind="exit", on=exit_)]
    fits = not event_sequence_problems(existing=events, new=added[0], today=on) and not event_sequence_problems(
        existing=[*events, added[0]], new=added[1], today=on
    )

    before = status(events, assessed_on).days_used
    after = status([*events, *added], assessed_on).days_used

    if fits:
        assert after >= before


@settings(max_examples=100, deadline=None)
@given(histories(), st.integers(0, 30))
def test_adding_an_entry_never_lowers_days_used(history, later):
    events, on = history
    entry = Event(country="RU", kind="entry", on=on)
    assessed_on = on + timedelta(days=later)

    before = status(events, assessed_on).days_used
    after = status([*events, entry], assessed_on).days_used

    if not event_sequence_problems(existing=events, new=entry, today=on):
        assert after >= before


@settings(max_examples=60, deadline=None)
@given(histories(max_stays=4), st.integers(1, 120), st.integers(1, 90))
def test_a_plan_after_today_while_in_the_country_is_the_plan_after_leaving_today(history, entry_offset, days):
    """Still in the country on ``as_of``: a plan entering later reads the current stay as ending on ``as_of``, so
    it answers exactly as if the exit were recorded that day, and a stay the rules allow at all is found."""
    events, on = history
    if not events or events[-1].kind != "entry":
        events = [*events, Event(country="RU", kind="entry", on=on)]
    entry = on + timedelta(days=entry_offset)
    left = [*events, Event(country="RU", kind="exit", on=on)]

    def answer(history):
        result = plan(country="RU", entry=entry, days=days, driver=KAZAKH, events=history, rules=SEEDED, as_of=on)
        return result.allowed, result.max_days, result.earliest_entry

    staying = plan(country="RU", entry=entry, days=days, driver=KAZAKH, events=events, rules=SEEDED, as_of=on)
    assert answer(events) == answer(left)
    assert staying.assumes_exit_on == on
    assert staying.earliest_entry is not None  # at most 90 days: some entry within two years allows it
