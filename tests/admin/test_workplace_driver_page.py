"""The driver page: it leads with the stay summary and a calendar strip per country, a readable timeline,
registry checks and regimes, and an inline trip plan; another carrier's driver stays not found."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from stays.models import DriverRegime, RegistryCheck, StayEvent

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def kazakh_driver(driver, dispatcher):
    driver.citizenship = "KZ"
    driver.save()
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2026, 2, 1), source="report")
    StayEvent.objects.create(
        driver=driver, country="RU", kind="exit", date=date(2026, 3, 2), source="dispatcher", created_by=dispatcher.user
    )
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2026, 5, 2), source="driver")
    return driver


def page(client, driver, query: str = ""):
    return client.get(f"/admin/carriers/driver/{driver.pk}/change/{query}")


def test_driver_page_leads_with_days_used_left_latest_exit_and_risk(dispatcher_client, kazakh_driver):
    # Feb 1 – Mar 2 is 30 days, May 2 – Jun 1 is 31: 61 of the 90 calendar-year days used.
    response = page(dispatcher_client, kazakh_driver)

    assert response.status_code == 200
    summary = response.context["driver_page"]["summary"]
    russia = next(card for card in summary if card["country"] == "RU")
    assert (russia["status"].days_used, russia["status"].days_left) == (61, 29)
    assert russia["status"].latest_exit == date(2026, 6, 30)
    assert "90 days per calendar year" in russia["rule_text"]
    html = response.content.decode()
    assert html.index("kezek-stay-card") < html.index('id="driver_form"')
    assert "2026-06-30" in html


def test_driver_page_draws_a_calendar_strip_per_country(dispatcher_client, kazakh_driver):
    html = page(dispatcher_client, kazakh_driver).content.decode()

    assert 'id="calendar-RU-title"' in html
    assert html.count('class="kezek-day kezek-day-in') == 61
    assert "kezek-day-today" in html
    assert "kezek-day-exit" in html


def test_timeline_reads_as_dates_countries_and_who_recorded(dispatcher_client, kazakh_driver):
    html = page(dispatcher_client, kazakh_driver).content.decode()

    assert "StayEvent object" not in html
    assert "RegistryCheck object" not in html
    rows = page(dispatcher_client, kazakh_driver).context["driver_page"]["timeline_rows"]
    assert [(row["event"].date.isoformat(), row["event"].kind, row["who"]) for row in rows] == [
        ("2026-05-02", "entry", ""),
        ("2026-03-02", "exit", "dispatcher1"),
        ("2026-02-01", "entry", ""),
    ]


def test_registry_checks_and_regimes_are_listed_readably(dispatcher_client, kazakh_driver, dispatcher):
    RegistryCheck.objects.create(
        driver=kazakh_driver,
        carrier=dispatcher.carrier,
        status="clear",
        checked_on=date(2026, 5, 20),
        checked_by=dispatcher.user,
        note="MVD form",
    )
    DriverRegime.objects.create(
        driver=kazakh_driver, carrier=dispatcher.carrier, regime="ruID", note="application approved"
    )

    html = page(dispatcher_client, kazakh_driver).content.decode()

    assert "2026-05-20" in html
    assert "MVD form" in html
    assert "ruID" in html
    assert "application approved" in html


def test_inline_plan_while_in_the_country_goes_on_with_the_current_stay(dispatcher_client, kazakh_driver):
    result = page(dispatcher_client, kazakh_driver, "?plan_country=RU&plan_entry=2026-06-01&plan_days=40")

    # In Russia since 2 May, 61 days of 2026 used by today: entering today goes on with that stay (29 more days).
    plan = result.context["driver_page"]["plan"]["result"]
    assert (plan.allowed, plan.max_days, plan.assumes_exit_on) == (False, 30, None)


def test_inline_plan_for_a_later_entry_while_in_the_country_assumes_the_driver_leaves_today(
    dispatcher_client, kazakh_driver
):
    result = page(dispatcher_client, kazakh_driver, "?plan_country=RU&plan_entry=2026-07-10&plan_days=20")

    # Leaving today (1 June) after 61 days of 2026 leaves 29 days for a new stay on 10 July.
    plan = result.context["driver_page"]["plan"]["result"]
    assert (plan.allowed, plan.max_days, plan.assumes_exit_on) == (True, 29, date(2026, 6, 1))
    assert "this answer assumes they leave on 2026-06-01" in result.content.decode()


def test_inline_plan_says_allowed_or_the_earliest_entry(dispatcher_client, kazakh_driver):
    StayEvent.objects.create(driver=kazakh_driver, country="RU", kind="exit", date=date(2026, 6, 1), source="driver")
    short = page(dispatcher_client, kazakh_driver, "?plan_country=RU&plan_entry=2026-07-10&plan_days=20")
    long = page(dispatcher_client, kazakh_driver, "?plan_country=RU&plan_entry=2026-07-10&plan_days=60")

    assert short.context["driver_page"]["plan"]["result"].allowed is True
    refused = long.context["driver_page"]["plan"]["result"]
    assert refused.allowed is False
    # The 29 days left in 2026 run out on 31 December; the rest of the trip falls in the next calendar year.
    assert refused.earliest_entry == date(2026, 12, 3)
    assert "Earliest entry for this trip: 2026-12-03" in long.content.decode()


def test_a_plan_into_the_past_is_refused_plainly(dispatcher_client, kazakh_driver):
    response = page(dispatcher_client, kazakh_driver, "?plan_country=RU&plan_entry=2026-01-01&plan_days=5")

    assert response.context["driver_page"]["plan"]["result"] is None
    assert "cannot be in the past" in response.content.decode()


def test_a_driver_without_citizenship_is_told_why_no_rule_applies(dispatcher_client, driver):
    driver.citizenship = ""
    driver.save()

    html = page(dispatcher_client, driver).content.decode()

    assert "No citizenship is recorded" in html


def test_another_carriers_driver_page_is_not_found(dispatcher_client, other_driver):
    assert page(dispatcher_client, other_driver).status_code in (302, 404)
    assert "Serik" not in page(dispatcher_client, other_driver).content.decode()


def test_trusted_is_explained_in_plain_words(dispatcher_client, kazakh_driver):
    html = page(dispatcher_client, kazakh_driver).content.decode()

    assert "queue reports count towards the wait estimates" in html


def test_driver_page_is_translated(dispatcher_client, kazakh_driver):
    dispatcher_client.cookies["django_language"] = "ru"

    html = page(dispatcher_client, kazakh_driver).content.decode()

    assert "Осталось дней" in html or "Дней осталось" in html
