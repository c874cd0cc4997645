"""A dispatcher's morning in a real browser, in English, Russian and Kazakh: the fleet board, a driver's page with
the stay summary and the calendar strip, the trip planner (sorted by the days to spare, exported to CSV), the
crossings dashboard with the corridor map (linked to the cards) and each estimate's live accuracy, and the alerts
inbox, on the app as ``make run`` serves it. Each page leaves a screenshot in test-artifacts/browser/
(walk-<language>-<step>.png); a failed request or a console error on any page fails the walk (the ``page``
fixture watches), and another carrier's driver never appears."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urljoin

import pytest
from django.utils import timezone

from carriers.models import Notification
from queues.models import Estimate, EstimatePoint, Queue
from stays.models import StayEvent
from stays.services import stay_statuses_refresh
from tests.factories import DriverFactory
from tests.support.estimates import report_store

pytestmark = pytest.mark.browser

PASSWORD = "dispatch-pass-1"  # set by the shared ``dispatcher`` fixture
STRANGER = "Stranger Of Another Carrier"
# What each language calls the pages in the workplace's navigation: a page left in English fails the walk.
NAVIGATION = {
    "en": ["Fleet risk board", "Trip planner", "Crossings", "Alerts"],
    "ru": ["Риски автопарка", "Планировщик рейсов", "Пункты пропуска", "Оповещения"],
    "kk": ["Автопарк тәуекелдері", "Сапар жоспарлағыш", "Өткізу пункттері", "Ескертулер"],
}
# The live accuracy beside an estimate, and the planner's "days to spare" column, in each language.
ACCURACY = {"en": "Last 7 days: off by", "ru": "Последние 7 дн.: в среднем ошибка", "kk": "Соңғы 7 күн: орташа қателік"}
NO_REALISED = {"en": "No realised waits yet", "ru": "Фактических ожиданий пока нет", "kk": "Нақты күтулер әлі жоқ"}
WAITS = [  # crossing, direction, minutes: a spread of waits across the corridor for the map's colours
    ("syrym-mashtakovo", "KZ-RU", 610),
    ("zhaisan-sagarchin", "KZ-RU", 95),
    ("nur-zholy-khorgos", "KZ-CN", 1500),
    ("zhana-zhol-petukhovo", "RU-KZ", 40),
    ("kairak-bugristoye", "KZ-RU", 3400),
]


def _travel(driver, *, entered_days_ago: int, left_days_ago: int | None = None) -> None:
    today = timezone.now().date()
    StayEvent.objects.create(
        driver=driver, country="RU", kind="entry", date=today - timedelta(days=entered_days_ago), source="driver"
    )
    if left_days_ago is not None:
        StayEvent.objects.create(
            driver=driver, country="RU", kind="exit", date=today - timedelta(days=left_days_ago), source="driver"
        )


@pytest.fixture
def morning(dispatcher, carrier, other_carrier):
    """A carrier whose drivers stand at several risks in Russia (their statuses and alerts made by the daily
    check, the alerts written in Russian), an alert since resolved, waits at five crossings, and one driver of
    another carrier with a stay of his own."""
    dispatcher.language = "ru"  # the daily check writes the carrier's alerts in its first dispatcher's language
    dispatcher.save()
    drivers = {
        name: DriverFactory(carrier=carrier, name=name, citizenship="KZ", vehicle_plate=f"{index}77ABC02")
        for index, name in enumerate(["Dana High", "Bolat Overstay", "Asel Watch", "Olzhas Ok"])
    }
    _travel(drivers["Dana High"], entered_days_ago=84)  # a continuous stay: 5 of 90 days left
    _travel(drivers["Bolat Overstay"], entered_days_ago=95)
    _travel(drivers["Asel Watch"], entered_days_ago=76)
    _travel(drivers["Olzhas Ok"], entered_days_ago=200, left_days_ago=190)
    stranger = DriverFactory(carrier=other_carrier, name=STRANGER, citizenship="KZ")
    _travel(stranger, entered_days_ago=88)
    now = timezone.now()
    stay_statuses_refresh(driver_ids=[d.pk for d in [*drivers.values(), stranger]], on=now.date(), as_of=now)
    resolved = Notification.objects.create(
        audience=Notification.Audience.DISPATCHER,
        carrier=carrier,
        kind="stay_risk",
        level="high",
        title="Olzhas Ok: Россия — осталось всего 4 дн.",
        body="",
        data={"driver_id": drivers["Olzhas Ok"].pk, "country": "RU", "risk": "high", "days_left": 4},
        dedupe_key="walk:resolved",
        read_at=now - timedelta(days=180),
        active=False,
        resolved_at=now - timedelta(days=183),
        resolution="risk_lower",
    )
    Notification.objects.filter(pk=resolved.pk).update(created_at=now - timedelta(days=186))
    for slug, direction, minutes in WAITS:
        from_country, to_country = direction.split("-")
        queue = Queue.objects.get(crossing__slug=slug, from_country=from_country, to_country=to_country)
        EstimatePoint.objects.bulk_create(
            EstimatePoint(
                queue=queue,
                at=now - timedelta(minutes=60 * step + 5),
                wait_minutes=minutes + (step * 37) % (minutes // 2 + 1) - minutes // 4,
                low_minutes=int(minutes * 0.6),
                high_minutes=int(minutes * 1.5),
                drivers=8,
                published=True,
            )
            for step in range(72)
        )
        Estimate.objects.create(
            queue=queue,
            wait_minutes=minutes,
            low_minutes=int(minutes * 0.7),
            high_minutes=int(minutes * 1.4),
            reports=30,
            drivers=12,
            computed_at=now - timedelta(minutes=3),
            data_until=now - timedelta(minutes=4),
            confidence="high",
            published=True,
        )
    # Twelve trucks that crossed at Syrym with their wait, each joining five minutes after a published hour: the
    # dashboard shows how right the estimates were.
    syrym = Queue.objects.get(crossing__slug="syrym-mashtakovo", from_country="KZ", to_country="RU")
    for hours in range(1, 13):
        report = report_store(
            driver=DriverFactory(),
            queue=syrym,
            observed_at=now - timedelta(minutes=60 * hours),
            kind="crossed",
            position=None,
        )
        report.waited_minutes = 600
        report.save(update_fields=["waited_minutes"])
    return drivers


def _sign_in(page, username: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def _no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_a_dispatcher_walks_the_workplace(page, dispatcher, morning, screenshot, language):
    dispatcher.language = language
    dispatcher.save()
    _sign_in(page, dispatcher.user.username)
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("nav.kezek-nav a").all_inner_texts()[:4] == NAVIGATION[language]

    # The board: the carrier's drivers by risk, nobody else's.
    body = page.locator("#content").inner_text()
    for name in morning:
        assert name in body
    assert STRANGER not in page.content()
    _no_horizontal_overflow(page)
    screenshot(page, f"walk-{language}-1-board")

    # A driver's page: the stay summary per country and the twelve-month calendar strip.
    page.locator("#content a", has_text="Dana High").first.click()
    page.wait_for_url(re.compile(r"/admin/carriers/driver/\d+/change/"))
    card = page.locator("section.kezek-stay-card#stay-RU")
    assert card.count() == 1
    assert card.locator("svg.kezek-calendar").count() == 1
    assert card.locator("svg.kezek-calendar").bounding_box()["width"] > 400
    _no_horizontal_overflow(page)
    screenshot(page, f"walk-{language}-2-driver-page")

    # The trip planner: every own driver allowed or not, nobody else's.
    page.click(f"nav.kezek-nav >> text={NAVIGATION[language][1]}")
    page.wait_for_url(re.compile(r"/admin/workplace/planner/"))
    planner = page.locator("#content").inner_text()
    for name in morning:
        assert name in planner
    assert STRANGER not in page.content()
    # Sorted by what the plans say: most days to spare first (clicking the header twice), the CSV in that order.
    spare_header = page.locator("table.kezek-planner-table thead th").nth(3)
    spare_header.locator("a").click()
    page.wait_for_url(re.compile(r"sort=spare"))
    page.locator("table.kezek-planner-table thead th").nth(3).locator("a").click()
    page.wait_for_url(re.compile(r"sort=-spare"))
    assert page.locator("table.kezek-planner-table thead th").nth(3).get_attribute("aria-sort") == "descending"
    spare = [
        int(text) if text.strip().isdigit() else -1
        for text in page.locator("table.kezek-planner-table tbody td.kezek-spare").all_inner_texts()
    ]
    assert spare == sorted(spare, reverse=True)
    assert spare[0] > 0
    exported = page.request.get(urljoin(page.url, page.locator("#kezek-planner-csv").get_attribute("href")))
    assert exported.status == 200
    assert exported.headers["content-type"].startswith("text/csv")
    _no_horizontal_overflow(page)
    screenshot(page, f"walk-{language}-3-planner")

    # The crossings dashboard with the corridor map coloured by wait.
    page.click(f"nav.kezek-nav >> text={NAVIGATION[language][2]}")
    page.wait_for_url(re.compile(r"/admin/workplace/crossings/"))
    corridor = page.locator("svg.kezek-map")
    assert corridor.count() == 1
    assert corridor.bounding_box()["width"] > 600
    assert corridor.locator("a").count() >= len(WAITS)
    # Beside each estimate, how right the estimates were lately, in the reader's language.
    syrym = page.locator("section#crossing-syrym-mashtakovo .kezek-accuracy")
    assert ACCURACY[language] in syrym.inner_text()
    assert NO_REALISED[language] in page.locator(".kezek-cards").inner_text()
    # The map links each crossing to its card.
    corridor.locator('a[data-crossing="syrym-mashtakovo"]').click()
    page.wait_for_url(re.compile(r"#crossing-syrym-mashtakovo$"))
    assert page.locator("section#crossing-syrym-mashtakovo").is_visible()
    page.evaluate("window.scrollTo(0, 0)")
    _no_horizontal_overflow(page)
    screenshot(page, f"walk-{language}-4-crossings")

    # The alerts inbox: the daily check's alerts in the reader's language, active or resolved, zone named.
    page.click(f"nav.kezek-nav >> text={NAVIGATION[language][3]}")
    page.wait_for_url(re.compile(r"/admin/workplace/alerts/"))
    inbox = page.locator("ol.kezek-alerts-list")
    assert inbox.locator("li.kezek-alert-active").count() >= 2
    assert inbox.locator("li.kezek-alert-resolved").count() == 1
    assert "Europe/Moscow (UTC+03:00)" in inbox.inner_text()
    if language != "ru":
        assert "осталось" not in inbox.inner_text()
    assert STRANGER not in page.content()
    _no_horizontal_overflow(page)
    screenshot(page, f"walk-{language}-5-alerts")
