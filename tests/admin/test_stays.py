"""Stays in the dispatchers' workplace: the driver list's stay columns, events, checks, regimes and rules."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from carriers.models import Driver
from stays.models import DriverRegime, RegistryCheck, StayEvent, StayEventAudit, StayRule, StayStatusSnapshot
from tests.factories import DriverFactory

pytestmark = pytest.mark.django_db

DRIVERS_URL = "/admin/carriers/driver/"


@pytest.fixture
def dispatcher_client(client, dispatcher):
    client.force_login(dispatcher.user)
    return client


@pytest.fixture
def operator_client(client):
    operator = get_user_model().objects.create_superuser("operator", "op@example.com", "operator-pass-1")
    client.force_login(operator)
    return client


def snapshot(driver, *, days_left, risk, rank, country="RU"):
    return StayStatusSnapshot(
        driver=driver, country=country, on=date(2025, 6, 1), days_used=90 - days_left, days_left=days_left,
        risk=risk, risk_rank=rank, computed_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def big_carrier(carrier):
    """2,000 drivers of one carrier, each with a Russian snapshot."""
    users = get_user_model().objects.bulk_create([get_user_model()(username=f"bulk-{index}") for index in range(2000)])
    drivers = Driver.objects.bulk_create(
        [
            Driver(user=user, phone=f"+7702{index:07d}", name=f"Bulk {index:04d}", citizenship="KZ", carrier=carrier)
            for index, user in enumerate(users)
        ]
    )
    levels = [("ok", 0, 60), ("watch", 1, 12), ("high", 2, 3), ("overstay", 3, 0)]
    StayStatusSnapshot.objects.bulk_create(
        [snapshot(driver, days_left=levels[i % 4][2], risk=levels[i % 4][0], rank=levels[i % 4][1])
         for i, driver in enumerate(drivers)]
    )  # fmt: skip
    return drivers


def test_the_driver_list_of_a_2000_driver_carrier_takes_a_fixed_number_of_queries(
    dispatcher_client, big_carrier, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        response = dispatcher_client.get(DRIVERS_URL)

    assert response.status_code == 200
    assert b"stay-risk-" in response.content


def test_the_driver_list_sorts_and_filters_by_stay_columns_in_the_same_number_of_queries(
    dispatcher_client, big_carrier, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        response = dispatcher_client.get(DRIVERS_URL, {"stay_risk": "high", "o": "-8"})

    assert response.status_code == 200
    shown = response.context["cl"].result_list
    assert len(shown) == 100
    assert {driver.stay_risk_rank for driver in shown} == {2}
    assert {driver.ru_days_left for driver in shown} == {3}


def test_days_left_filter_picks_the_drivers_with_few_days(dispatcher_client, big_carrier):
    response = dispatcher_client.get(DRIVERS_URL, {"ru_days_left": "0-5"})

    assert response.context["cl"].result_count == 1000


def test_the_days_left_column_sorts(dispatcher_client, carrier):
    few, many = DriverFactory(carrier=carrier, name="Few"), DriverFactory(carrier=carrier, name="Many")
    StayStatusSnapshot.objects.bulk_create(
        [snapshot(few, days_left=2, risk="high", rank=2), snapshot(many, days_left=80, risk="ok", rank=0)]
    )
    column = list(response_columns(dispatcher_client)).index("days_left_in_russia") + 1

    ascending = dispatcher_client.get(DRIVERS_URL, {"o": str(column)}).context["cl"].result_list

    assert [driver.name for driver in ascending][:2] == ["Few", "Many"]


def response_columns(client):
    return client.get(DRIVERS_URL).context["cl"].list_display[1:]


def test_the_csv_export_has_the_stay_columns(dispatcher_client, driver):
    StayStatusSnapshot.objects.create(
        driver=driver, country="RU", on=date(2025, 6, 1), days_left=7, risk="watch", risk_rank=1,
        computed_at=timezone.now(),
    )  # fmt: skip

    response = dispatcher_client.post(DRIVERS_URL, {"action": "export_csv", "_selected_action": [driver.pk]})

    text = response.content.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.endswith("days left in Russia,latest exit from Russia,stay risk")
    assert row.endswith("7,,watch")


def test_a_dispatcher_records_a_registry_check_from_the_driver_list(dispatcher_client, dispatcher, driver):
    response = dispatcher_client.post(DRIVERS_URL, {"action": "record_registry_clear", "_selected_action": [driver.pk]})

    assert response.status_code == 302
    check = RegistryCheck.objects.get(driver=driver)
    assert (check.status, check.checked_by) == ("clear", dispatcher.user)


def test_the_driver_page_shows_the_timeline_and_check_history(dispatcher_client, driver, dispatcher):
    StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 5, 1), source="driver")
    RegistryCheck.objects.create(
        driver=driver,
        carrier=dispatcher.carrier,
        status="clear",
        checked_on=date(2025, 5, 2),
        checked_by=dispatcher.user,
    )

    response = dispatcher_client.get(f"{DRIVERS_URL}{driver.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Entries and exits" in content
    assert "Registry checks" in content
    assert "2025-05-01" in content
    assert "2025-05-02" in content


def test_a_dispatcher_adds_a_stay_event_with_the_dispatcher_source(dispatcher_client, dispatcher, driver):
    response = dispatcher_client.post(
        "/admin/stays/stayevent/add/", {"driver": driver.pk, "country": "RU", "kind": "entry", "date": "2025-05-01"}
    )

    assert response.status_code == 302, response.content
    event = StayEvent.objects.get(driver=driver)
    assert (event.source, event.created_by) == ("dispatcher", dispatcher.user)
    assert StayEventAudit.objects.get(event=event).actor == dispatcher.user


def test_the_admin_refuses_an_exit_without_an_entry(dispatcher_client, driver):
    response = dispatcher_client.post(
        "/admin/stays/stayevent/add/", {"driver": driver.pk, "country": "RU", "kind": "exit", "date": "2025-05-01"}
    )

    assert response.status_code == 200
    assert "There is no entry into this country before this exit." in response.content.decode()
    assert not StayEvent.objects.exists()


def test_a_dispatcher_corrects_an_event_away(dispatcher_client, dispatcher, driver):
    event = StayEvent.objects.create(driver=driver, country="RU", kind="entry", date=date(2025, 5, 1), source="driver")

    dispatcher_client.post("/admin/stays/stayevent/", {"action": "correct_away", "_selected_action": [event.pk]})

    event.refresh_from_db()
    assert event.deleted_by == dispatcher.user
    assert StayEventAudit.objects.get(event=event, action="deleted").actor == dispatcher.user


def test_another_carriers_event_is_not_found_for_a_dispatcher(dispatcher_client, other_driver):
    event = StayEvent.objects.create(
        driver=other_driver, country="RU", kind="entry", date=date(2025, 5, 1), source="driver"
    )

    response = dispatcher_client.get(f"/admin/stays/stayevent/{event.pk}/change/")

    assert response.status_code == 302  # the admin redirects "does not exist" to its index
    assert dispatcher_client.get("/admin/stays/stayevent/").context["cl"].result_count == 0


def test_a_dispatcher_adds_a_regime_through_the_service(dispatcher_client, dispatcher, driver):
    response = dispatcher_client.post(
        "/admin/stays/driverregime/add/",
        {"driver": driver.pk, "regime": "ruID", "valid_from": "2026-02-01", "note": "approved", "source": "MVD"},
    )

    assert response.status_code == 302
    assert DriverRegime.objects.get(driver=driver).set_by == dispatcher.user


def test_stay_rules_are_for_operators_only(dispatcher_client):
    assert dispatcher_client.get("/admin/stays/stayrule/").status_code == 403


def test_an_operator_cannot_save_a_rolling_rule_without_its_length(operator_client):
    response = operator_client.post(
        "/admin/stays/stayrule/add/",
        {"name": "broken", "active": "on", "host_countries": "ru", "citizenships": "kz, kg", "limit_days": 90,
         "window": "rolling", "window_days": "", "source": "", "source_note": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert "A rolling window needs its length in days." in response.content.decode()
    assert not StayRule.objects.filter(name="broken").exists()


def test_an_operator_adds_a_rule_with_country_codes_typed_as_text(operator_client):
    response = operator_client.post(
        "/admin/stays/stayrule/add/",
        {"name": "CN in KZ", "active": "on", "host_countries": "kz", "citizenships": "cn", "limit_days": 90,
         "window": "rolling", "window_days": 180, "per_entry_cap_days": 30, "effective_from": "2023-11-10",
         "source": "https://adilet.zan.kz/", "source_note": "agreement"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    rule = StayRule.objects.get(name="CN in KZ")
    assert (rule.host_countries, rule.citizenships) == (["KZ"], ["CN"])


def test_the_seeded_rules_are_the_domain_table():
    rules = {(tuple(rule.host_countries), rule.regime, rule.window, rule.active) for rule in StayRule.objects.all()}

    assert rules == {
        (("RU",), "", "calendar_year", True),
        (("RU",), "", "rolling", True),
        (("RU",), "ruID", "calendar_year", False),
        (("KZ",), "", "rolling", True),
        (("BY", "RU"), "", "calendar_year", False),
    }
    assert StayRule.objects.count() == 7  # Kazakhstan has three rolling rules: EAEU, other visa-free, China


def test_a_dispatcher_cannot_add_an_event_for_another_carriers_driver(dispatcher_client, other_driver):
    response = dispatcher_client.post(
        "/admin/stays/stayevent/add/",
        {"driver": other_driver.pk, "country": "RU", "kind": "entry", "date": "2025-05-01"},
    )

    assert response.status_code == 200
    assert "driver" in response.context["adminform"].form.errors
    assert not StayEvent.objects.exists()


def test_a_dispatcher_cannot_add_a_registry_check_for_another_carriers_driver(dispatcher_client, other_driver):
    response = dispatcher_client.post(
        "/admin/stays/registrycheck/add/", {"driver": other_driver.pk, "status": "clear", "checked_on": "2025-05-01"}
    )

    assert response.status_code == 200
    assert not RegistryCheck.objects.exists()


def change_form_data(response) -> dict:
    """The POST body the driver change page would send unchanged: main form and every inline's management form."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is not None and not field.disabled:
            data[name] = value.pk if hasattr(value, "pk") else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for index, existing in enumerate(formset.initial_forms):
            data[f"{formset.prefix}-{index}-id"] = existing.instance.pk
            data[f"{formset.prefix}-{index}-{formset.fk.name}"] = existing.instance.driver_id
    return data


def test_a_registry_check_added_on_the_driver_page_goes_through_the_service(
    dispatcher_client, dispatcher, driver, django_capture_on_commit_callbacks
):
    url = f"{DRIVERS_URL}{driver.pk}/change/"
    data = change_form_data(dispatcher_client.get(url))
    prefix = "registry_checks"
    data |= {
        f"{prefix}-TOTAL_FORMS": 1,
        f"{prefix}-0-checked_on": "2025-05-02",
        f"{prefix}-0-status": "listed",
        f"{prefix}-0-note": "MVD form",
        f"{prefix}-0-driver": driver.pk,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = dispatcher_client.post(url, data)

    assert response.status_code == 302, response.context["inline_admin_formsets"] and [
        inline.formset.errors for inline in response.context["inline_admin_formsets"]
    ]
    check = RegistryCheck.objects.get(driver=driver)
    assert (check.status, check.checked_by, check.note) == ("listed", dispatcher.user, "MVD form")
    assert StayStatusSnapshot.objects.get(driver=driver, country="RU").risk == "listed"
