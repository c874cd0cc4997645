"""Hand-computed cases for days of stay, limits, latest exit, risk and planning (inclusive counting)."""

from dataclasses import replace
from datetime import date

from stays.domain import (
    DriverFacts,
    Event,
    Regime,
    RegistryState,
    Thresholds,
    assess,
    assess_country,
    event_sequence_problems,
    plan,
    rule_in_force,
)
from tests.support.stay_rules import RU_RUID, SEEDED, UNION_STATE

KAZAKH = DriverFacts(citizenship="KZ")
UZBEK = DriverFacts(citizenship="UZ")
KYRGYZ = DriverFacts(citizenship="KG")


def stay(country, entry, exit_=None):
    events = [Event(country=country, kind="entry", on=entry)]
    if exit_ is not None:
        events.append(Event(country=country, kind="exit", on=exit_))
    return events


def status(events, on, *, driver=KAZAKH, country="RU", rules=SEEDED, registry=None):
    return assess_country(
        country=country,
        driver=driver,
        events=events,
        rules=rules,
        on=on,
        registry=registry or RegistryState(),
        thresholds=Thresholds(watch_days=15, high_days=5),
    )


# --- counting ----------------------------------------------------------------------------------------
def test_entry_and_exit_on_the_same_day_count_as_one_day():
    result = status(stay("RU", date(2025, 5, 5), date(2025, 5, 5)), date(2025, 5, 10))

    assert result.days_used == 1
    assert result.days_left == 89
    assert result.in_country is False
    assert result.latest_exit is None


def test_entry_day_and_exit_day_both_count():
    result = status(stay("RU", date(2025, 3, 1), date(2025, 3, 10)), date(2025, 3, 31))

    assert result.days_used == 10


def test_open_stay_counts_up_to_the_assessment_date():
    result = status(stay("RU", date(2025, 3, 1)), date(2025, 3, 20))

    assert result.in_country is True
    assert result.days_used == 20
    assert result.days_left == 70
    assert result.latest_exit == date(2025, 5, 29)  # 1 March + 89 days: the 90th day of the stay
    assert result.risk == "ok"


def test_events_after_the_assessment_date_are_ignored():
    events = stay("RU", date(2025, 3, 1), date(2025, 3, 10)) + stay("RU", date(2025, 4, 1), date(2025, 4, 5))

    result = status(events, date(2025, 3, 31))

    assert result.days_used == 10


# --- calendar year since 2025 ------------------------------------------------------------------------
def test_calendar_year_counts_each_year_separately_and_caps_the_stay_across_new_year():
    events = stay("RU", date(2025, 11, 15))  # 16 days in November, 31 in December

    at_new_year_eve = status(events, date(2025, 12, 31))
    on_last_day = status(events, date(2026, 2, 12))
    day_after = status(events, date(2026, 2, 13))

    assert at_new_year_eve.days_used == 47
    assert at_new_year_eve.days_left == 43
    assert at_new_year_eve.latest_exit == date(2026, 2, 12)  # the 90th day of the continuous stay
    assert on_last_day.days_used == 43  # January 31 + February 12: 2026 only
    assert (on_last_day.window_start, on_last_day.window_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert on_last_day.days_left == 0
    assert on_last_day.latest_exit == date(2026, 2, 12)
    assert on_last_day.overstay_days == 0
    assert on_last_day.risk == "high"
    assert day_after.overstay_days == 1
    assert day_after.risk == "overstay"
    assert day_after.risk_reasons == ("over_continuous_cap",)
    assert day_after.latest_exit is None


def test_calendar_year_limit_sets_the_latest_exit_before_the_continuous_cap():
    events = stay("RU", date(2025, 1, 1), date(2025, 3, 1)) + stay("RU", date(2025, 11, 15))  # 60 days, then open

    result = status(events, date(2025, 12, 1))

    assert result.days_used == 77  # 60 + 17 (15 November to 1 December)
    assert result.days_left == 13
    assert result.risk == "watch"
    assert result.risk_reasons == ("days_left_at_watch_threshold",)
    assert result.latest_exit == date(2025, 12, 14)  # day 90 of 2025


def test_overstay_counts_the_days_over_the_yearly_limit():
    events = stay("RU", date(2025, 1, 1), date(2025, 3, 31)) + stay("RU", date(2025, 6, 1), date(2025, 6, 5))

    result = status(events, date(2025, 6, 10))

    assert result.days_used == 95
    assert result.days_left == 0
    assert result.overstay_days == 5
    assert result.risk == "overstay"
    assert result.risk_reasons == ("over_limit",)


# --- rolling 90/180 until 2024 and the change on 2025-01-01 ------------------------------------------
def test_rolling_window_before_2025_counts_the_last_180_days():
    events = stay("RU", date(2024, 6, 1), date(2024, 7, 30)) + stay("RU", date(2024, 9, 1))  # 60 days, then open

    result = status(events, date(2024, 9, 20))

    assert result.rule.window == "rolling"
    assert (result.window_start, result.window_end) == (date(2024, 3, 25), date(2024, 9, 20))
    assert result.days_used == 80
    assert result.days_left == 10
    assert result.risk == "watch"
    assert result.latest_exit == date(2024, 9, 30)


def test_rolling_window_forgets_days_older_than_180():
    events = stay("RU", date(2024, 1, 1), date(2024, 3, 30))  # 90 days

    on_day_179 = status(events, date(2024, 6, 27))  # window from 1 January 2024
    later = status(events, date(2024, 7, 27))  # window from 30 January: 60 days left in it

    assert on_day_179.days_used == 90
    assert later.days_used == 61


def test_rule_in_force_on_each_day_old_rule_before_the_change():
    events = stay("RU", date(2024, 9, 1), date(2024, 11, 24)) + stay("RU", date(2024, 12, 20))  # 85 days, then open

    result = status(events, date(2024, 12, 24))

    assert result.days_used == 90
    assert result.days_left == 0
    assert result.latest_exit == date(2024, 12, 24)  # staying to 25 December breaks the rolling rule
    assert result.risk == "high"


def test_rule_in_force_on_each_day_new_rule_after_the_change():
    events = stay("RU", date(2024, 9, 1), date(2024, 11, 24)) + stay("RU", date(2025, 1, 1))

    result = status(events, date(2025, 1, 5))

    assert result.rule.window == "calendar_year"
    assert result.days_used == 5  # the 85 days of 2024 no longer count
    assert result.days_left == 85


def test_latest_exit_across_the_change_follows_each_days_rule():
    events = stay("RU", date(2024, 9, 1), date(2024, 11, 24)) + stay("RU", date(2024, 12, 28))

    result = status(events, date(2024, 12, 28))

    assert result.days_used == 86
    # 29-31 December comply with 90/180 (87, 88, 89); from 1 January the calendar rule and its 90-day cap.
    assert result.latest_exit == date(2025, 3, 27)
    # Days left are the days until that latest exit: one answer, not the old window's arithmetic.
    assert result.days_left == 89


# --- Kazakhstan ------------------------------------------------------------------------------------
def test_kazakhstan_caps_each_entry_at_30_days_for_other_visa_free_citizens():
    events = stay("KZ", date(2025, 3, 1))

    inside = status(events, date(2025, 3, 20), driver=UZBEK, country="KZ")
    over = status(events, date(2025, 4, 1), driver=UZBEK, country="KZ")

    assert inside.days_used == 20
    assert inside.days_left == 10
    assert inside.latest_exit == date(2025, 3, 30)
    assert inside.risk == "watch"
    assert over.overstay_days == 2
    assert over.risk_reasons == ("over_per_entry_cap",)


def test_eaeu_citizen_in_kazakhstan_has_no_per_entry_cap():
    result = status(stay("KZ", date(2025, 3, 1)), date(2025, 4, 1), driver=KYRGYZ, country="KZ")

    assert result.overstay_days == 0
    assert result.days_used == 32
    assert result.latest_exit == date(2025, 5, 29)


def test_no_rule_applies_in_the_drivers_own_country():
    result = assess(driver=KAZAKH, events=stay("KZ", date(2025, 1, 1)), rules=SEEDED, on=date(2025, 6, 1))

    assert [item.country for item in result.countries] == ["RU"]


def test_a_kyrgyz_driver_is_assessed_in_russia_and_kazakhstan():
    result = assess(driver=KYRGYZ, events=[], rules=SEEDED, on=date(2025, 6, 1))

    assert [item.country for item in result.countries] == ["KZ", "RU"]


# --- regimes, zones, registry ----------------------------------------------------------------------
def test_a_regime_rule_replaces_the_general_rule_only_when_active():
    holder = DriverFacts(citizenship="KZ", regimes=(Regime(regime="ruID", valid_from=date(2026, 2, 1)),))
    rules_with_ruid_on = (*SEEDED[:2], replace(RU_RUID, active=True), *SEEDED[3:])

    seeded = rule_in_force(rules=SEEDED, country="RU", driver=holder, day=date(2026, 3, 1))
    switched_on = rule_in_force(rules=rules_with_ruid_on, country="RU", driver=holder, day=date(2026, 3, 1))
    before_regime = rule_in_force(rules=rules_with_ruid_on, country="RU", driver=holder, day=date(2026, 1, 20))

    assert seeded.limit_days == 90
    assert switched_on.limit_days == 180
    assert before_regime.limit_days == 90


def test_an_active_union_state_zone_sums_days_in_russia_and_belarus():
    rules = (*[rule for rule in SEEDED if rule is not UNION_STATE], replace(UNION_STATE, active=True))
    events = stay("BY", date(2025, 2, 1), date(2025, 2, 10)) + stay("RU", date(2025, 2, 11), date(2025, 2, 20))

    result = status(events, date(2025, 3, 1), rules=rules)

    assert result.rule.host_countries == frozenset({"RU", "BY"})
    assert result.days_used == 20


def test_belarus_days_do_not_count_in_russia_while_the_zone_is_off():
    events = stay("BY", date(2025, 2, 1), date(2025, 2, 10))

    assert status(events, date(2025, 3, 1)).days_used == 0


def test_a_listed_registry_check_overrides_the_risk():
    result = status([], date(2025, 6, 1), registry=RegistryState(status="listed", checked_on=date(2025, 5, 30)))

    assert result.risk == "listed"
    assert result.risk_reasons == ("registry_listed",)
    assert result.days_left == 90


# --- planning ------------------------------------------------------------------------------------------
SIXTY_DAYS_IN_2025 = stay("RU", date(2025, 1, 1), date(2025, 3, 1))


def test_plan_allows_a_stay_within_the_days_left_in_the_year():
    result = plan(
        country="RU", entry=date(2025, 6, 10), days=30, driver=KAZAKH, events=SIXTY_DAYS_IN_2025,
        rules=SEEDED, as_of=date(2025, 6, 1),
    )  # fmt: skip

    assert (result.allowed, result.max_days, result.earliest_entry) == (True, 30, date(2025, 6, 10))


def test_plan_finds_the_earliest_entry_when_the_year_runs_out():
    result = plan(
        country="RU", entry=date(2025, 6, 10), days=31, driver=KAZAKH, events=SIXTY_DAYS_IN_2025,
        rules=SEEDED, as_of=date(2025, 6, 1),
    )  # fmt: skip

    assert result.allowed is False
    assert result.max_days == 30
    assert result.earliest_entry == date(2025, 12, 2)  # 30 days left in 2025, the 31st on 1 January 2026


def test_plan_over_new_year_is_bounded_by_the_continuous_cap():
    result = plan(
        country="RU", entry=date(2025, 12, 20), days=91, driver=KAZAKH, events=SIXTY_DAYS_IN_2025,
        rules=SEEDED, as_of=date(2025, 12, 1),
    )  # fmt: skip

    assert result.max_days == 90
    assert result.allowed is False
    assert result.earliest_entry is None  # no stay may be longer than 90 days


def test_plan_in_a_country_without_a_rule_is_never_allowed():
    result = plan(
        country="KZ", entry=date(2025, 6, 1), days=200, driver=KAZAKH, events=[], rules=SEEDED,
        as_of=date(2025, 6, 1),
    )  # fmt: skip

    assert (result.allowed, result.max_days, result.earliest_entry) == (False, 0, None)
    assert result.rule_missing == "no_rule_for_citizenship"


# --- event sequences -------------------------------------------------------------------------------
def test_an_exit_without_an_entry_before_it_is_a_problem():
    problems = event_sequence_problems(
        existing=[], new=Event(country="RU", kind="exit", on=date(2025, 3, 1)), today=date(2025, 3, 2)
    )

    assert problems == {"kind": ["exit_without_entry"]}


def test_a_second_entry_without_an_exit_between_is_a_problem():
    problems = event_sequence_problems(
        existing=stay("RU", date(2025, 3, 1)),
        new=Event(country="RU", kind="entry", on=date(2025, 3, 5)),
        today=date(2025, 3, 6),
    )

    assert problems == {"kind": ["entry_while_in_country"]}


def test_a_future_date_is_a_problem():
    problems = event_sequence_problems(
        existing=[], new=Event(country="RU", kind="entry", on=date(2025, 3, 7)), today=date(2025, 3, 6)
    )

    assert problems == {"date": ["future_date"]}


def test_exit_and_reentry_on_the_same_day_is_accepted():
    problems = event_sequence_problems(
        existing=stay("RU", date(2025, 3, 1), date(2025, 3, 5)),
        new=Event(country="RU", kind="entry", on=date(2025, 3, 5)),
        today=date(2025, 3, 6),
    )

    assert problems == {}
