"""The unsafe answers found by comparing the assessment with a day-by-day reading of DOMAIN.md, one test each."""

from dataclasses import replace
from datetime import date

from stays.domain import DriverFacts, Event, Regime, RegistryState, Thresholds, assess, assess_country, plan
from tests.support.stay_rules import KZ_CHINA, RU_RUID, SEEDED

KAZAKH = DriverFacts(citizenship="KZ")
RULES_WITH_RUID_ON = tuple(replace(rule, active=True) if rule is RU_RUID else rule for rule in SEEDED)


def stay(country, entry, exit_=None):
    events = [Event(country=country, kind="entry", on=entry)]
    if exit_ is not None:
        events.append(Event(country=country, kind="exit", on=exit_))
    return events


def status(events, on, *, driver=KAZAKH, country="RU", rules=SEEDED):
    return assess_country(
        country=country, driver=driver, events=events, rules=rules, on=on, registry=RegistryState(),
        thresholds=Thresholds(watch_days=15, high_days=5),
    )  # fmt: skip


# --- 1. The plan and the status are one truth ------------------------------------------------------
def test_a_plan_entering_on_the_day_of_exit_goes_on_with_that_stay():
    events = stay("RU", date(2025, 11, 1), date(2026, 1, 15))

    result = plan(
        country="RU", entry=date(2026, 1, 15), days=30, driver=KAZAKH, events=events, rules=SEEDED,
        as_of=date(2026, 1, 15),
    )  # fmt: skip

    # 1 November + 89 days = 29 January: the 90-day continuous cap binds on the one stay.
    assert (result.allowed, result.max_days) == (False, 15)


def test_a_plan_from_today_while_in_the_country_continues_the_current_stay():
    events = stay("RU", date(2025, 11, 1))
    today = date(2026, 1, 20)

    now = status(events, today)
    result = plan(country="RU", entry=today, days=30, driver=KAZAKH, events=events, rules=SEEDED, as_of=today)

    assert now.days_left == 9
    assert result.allowed is False
    assert result.max_days == now.days_left + 1  # today, and the nine days left after it
    assert today.replace(day=20 + result.max_days - 1) == now.latest_exit


def test_a_plan_entering_after_today_while_still_in_the_country_assumes_the_driver_leaves_today():
    # In Russia since 1 November, still there on 20 January: 20 days of 2026 are spent.
    events = stay("RU", date(2025, 11, 1))
    today = date(2026, 1, 20)

    result = plan(
        country="RU", entry=date(2026, 3, 1), days=30, driver=KAZAKH, events=events, rules=SEEDED, as_of=today
    )  # fmt: skip

    # Leaving on 20 January and entering on 1 March is a new stay: 90 − 20 = 70 days are left in 2026.
    assert (result.allowed, result.max_days, result.earliest_entry) == (True, 70, date(2026, 3, 1))
    assert result.assumes_exit_on == today


def test_the_earliest_entry_is_found_for_a_driver_still_in_the_country():
    events = stay("RU", date(2025, 11, 1))

    result = plan(
        country="RU", entry=date(2026, 3, 1), days=80, driver=KAZAKH, events=events, rules=SEEDED,
        as_of=date(2026, 1, 20),
    )  # fmt: skip

    # 80 days do not fit in what is left of 2026 (70); entering on 23 October spends 70 days in 2026
    # (23 October to 31 December) and 10 in 2027.
    assert (result.allowed, result.max_days) == (False, 70)
    assert result.earliest_entry == date(2026, 10, 23)


def test_a_plan_while_still_in_the_country_answers_as_if_the_exit_were_recorded_today():
    open_stay = stay("RU", date(2025, 11, 1))
    left_today = stay("RU", date(2025, 11, 1), date(2026, 1, 20))

    def answer(events):
        result = plan(
            country="RU", entry=date(2026, 1, 21), days=30, driver=KAZAKH, events=events, rules=SEEDED,
            as_of=date(2026, 1, 20),
        )  # fmt: skip
        return result.allowed, result.max_days, result.earliest_entry

    # Out today, back tomorrow: a new stay (a night away), 70 days left in 2026.
    assert answer(open_stay) == answer(left_today) == (True, 70, date(2026, 1, 21))


def test_a_plan_entering_today_while_in_the_country_assumes_no_exit():
    events = stay("RU", date(2025, 11, 1))

    result = plan(
        country="RU", entry=date(2026, 1, 20), days=5, driver=KAZAKH, events=events, rules=SEEDED,
        as_of=date(2026, 1, 20),
    )  # fmt: skip

    assert (result.allowed, result.max_days, result.assumes_exit_on) == (True, 10, None)


# --- 2. An overstay lasts until the driver leaves ---------------------------------------------------
def test_new_year_does_not_cure_an_overstay():
    # 60 days early in 2025, back on 1 December: day 91 of the year is 31 December.
    events = stay("RU", date(2025, 1, 1), date(2025, 3, 1)) + stay("RU", date(2025, 12, 1))

    result = status(events, date(2026, 1, 5))

    assert result.risk == "overstay"
    assert result.overstay_days == 6  # 31 December to 5 January
    assert (result.latest_exit, result.days_left) == (None, 0)


def test_a_change_of_law_does_not_cure_an_overstay():
    # 90 days in summer 2024, back on 20 December: day 91 in 180 under the old rule.
    events = stay("RU", date(2024, 7, 1), date(2024, 9, 28)) + stay("RU", date(2024, 12, 20))

    result = status(events, date(2025, 1, 5))

    assert result.risk == "overstay"
    assert result.overstay_days == 17  # 20 December to 5 January
    assert result.latest_exit is None


def test_an_overstay_never_comes_with_a_latest_exit():
    events = stay("RU", date(2025, 1, 1), date(2025, 3, 1)) + stay("RU", date(2025, 12, 1))

    for day in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 2, 15)):
        result = status(events, day)
        assert (result.risk, result.latest_exit) == ("overstay", None), day


# --- 3. A regime or rule that ends during the stay counts now ---------------------------------------
def test_a_regime_ending_before_the_latest_exit_warns_ahead():
    driver = DriverFacts(citizenship="KZ", regimes=(Regime(regime="ruID", valid_to=date(2026, 3, 31)),))
    events = stay("RU", date(2026, 1, 1))

    def at(day):
        result = status(events, day, driver=driver, rules=RULES_WITH_RUID_ON)
        return result.risk, result.days_left, result.latest_exit

    assert at(date(2026, 3, 20)) == ("watch", 11, date(2026, 3, 31))
    assert at(date(2026, 3, 27)) == ("high", 4, date(2026, 3, 31))
    assert at(date(2026, 3, 31)) == ("high", 0, date(2026, 3, 31))
    assert at(date(2026, 4, 1))[0] == "overstay"


# --- 4. No rule, no answer --------------------------------------------------------------------------
def test_a_chinese_driver_in_kazakhstan_gets_the_visa_free_rule():
    events = stay("KZ", date(2025, 6, 1))

    result = status(events, date(2025, 6, 20), driver=DriverFacts(citizenship="CN"), country="KZ")

    assert result.rule == KZ_CHINA
    assert (result.days_used, result.days_left, result.latest_exit) == (20, 10, date(2025, 6, 30))


def test_a_driver_without_citizenship_is_told_nothing_rather_than_allowed():
    nobody = DriverFacts(citizenship="")
    events = stay("RU", date(2025, 6, 1))

    result = assess(driver=nobody, events=events, rules=SEEDED, on=date(2025, 6, 20))
    trip = plan(
        country="RU", entry=date(2025, 7, 1), days=30, driver=nobody, events=events, rules=SEEDED,
        as_of=date(2025, 6, 20),
    )  # fmt: skip

    russia = result.country("RU")
    assert (russia.rule, russia.rule_missing, russia.risk, russia.days_left) == (None, "no_citizenship", None, None)
    assert russia.in_country is True
    assert (trip.allowed, trip.max_days, trip.rule_missing) == (False, 0, "no_citizenship")


def test_a_citizenship_no_rule_covers_is_told_nothing():
    events = stay("RU", date(2025, 6, 1))

    result = assess(driver=DriverFacts(citizenship="CN"), events=events, rules=SEEDED, on=date(2025, 6, 20))

    russia = result.country("RU")
    assert (russia.rule, russia.rule_missing) == (None, "no_rule_for_citizenship")
