"""A dispatcher in a real browser: signs in, reads the fleet board and a queue chart, switches to Russian,
marks an alert read and rotates the carrier's invite code. Each step leaves a screenshot in test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from carriers.models import Carrier, Dispatcher, Notification
from queues.models import Estimate, EstimatePoint, Queue, Report, Visit
from stays.models import StayStatusSnapshot
from tests.factories import DriverFactory

pytestmark = pytest.mark.browser

PASSWORD = "dispatch-pass-1"  # set by the shared ``dispatcher`` fixture


@pytest.fixture
def fleet(dispatcher, carrier, other_carrier):
    """Drivers of the dispatcher's carrier at several risk levels, and one driver of another carrier."""
    dispatcher.language = "en"
    dispatcher.save()
    now = timezone.now()
    for name, risk, rank, days_left in [
        ("Bolat Listed", "listed", 4, 12),
        ("Erlan Overstay", "overstay", 3, -4),
        ("Dana High", "high", 2, 3),
        ("Asel Watch", "watch", 1, 11),
        ("Olzhas Ok", "ok", 0, 64),
    ]:
        driver = DriverFactory(carrier=carrier, name=name, vehicle_plate=f"{rank}77ABC02")
        StayStatusSnapshot.objects.create(
            driver=driver,
            country="RU",
            on=now.date(),
            in_country=True,
            days_used=90 - days_left,
            days_left=days_left,
            latest_exit=now.date() + timedelta(days=max(days_left, 0)),
            overstay_days=max(0, -days_left),
            risk=risk,
            risk_rank=rank,
            computed_at=now,
        )
        if risk == "high":
            queue = Queue.objects.get(crossing__slug="syrym-mashtakovo", from_country="KZ", to_country="RU")
            Visit.objects.create(
                driver=driver,
                queue=queue,
                status=Visit.Status.OPEN,
                joined_at=now - timedelta(hours=5),
                last_report_at=now - timedelta(minutes=10),
            )
            Report.objects.create(
                driver=driver,
                queue=queue,
                kind="position",
                observed_at=now - timedelta(minutes=10),
                received_at=now - timedelta(minutes=10),
                content_hash="0" * 64,
            )
    DriverFactory(carrier=other_carrier, name="Stranger Of Another Carrier")
    return carrier


@pytest.fixture
def queue_history():
    """A published estimate and 72 hours of history at Syrym–Mashtakovo, KZ→RU."""
    queue = Queue.objects.get(crossing__slug="syrym-mashtakovo", from_country="KZ", to_country="RU")
    now = timezone.now().replace(second=0, microsecond=0)
    Estimate.objects.create(
        queue=queue,
        wait_minutes=610,
        low_minutes=420,
        high_minutes=840,
        reports=40,
        drivers=12,
        computed_at=now - timedelta(minutes=3),
        data_until=now - timedelta(minutes=4),
        confidence="high",
        published=True,
    )
    EstimatePoint.objects.bulk_create(
        [
            EstimatePoint(
                queue=queue,
                at=now - timedelta(minutes=15 * step),
                wait_minutes=400 + (step * 7) % 300,
                low_minutes=300 + (step * 7) % 300 - 60,
                high_minutes=560 + (step * 7) % 300,
                drivers=8,
                published=True,
            )
            for step in range(72 * 4)
        ]
    )
    return queue


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_dispatcher_sees_their_fleet_by_risk_and_not_another_carriers(page, fleet, dispatcher, screenshot):
    sign_in(page, dispatcher.user.username)

    heading = page.locator("#content h1")
    assert heading.inner_text() == "Fleet risk board"
    groups = page.locator("section.kezek-risk-group h2").all_inner_texts()
    assert [g.split(" (")[0] for g in groups] == ["Listed in the registry", "Overstay", "High risk", "Watch", "OK"]
    body = page.locator("#content").inner_text()
    for name in ("Bolat Listed", "Erlan Overstay", "Dana High", "Asel Watch", "Olzhas Ok"):
        assert name in body
    assert "Stranger Of Another Carrier" not in page.content()
    queueing = page.locator("tr", has_text="Dana High").inner_text()
    assert "Syrym – Mashtakovo KZ-RU" in queueing
    assert "for 5\xa0hours" in queueing
    assert "10\xa0minutes ago" in queueing
    screenshot(page, "01-fleet-risk-board-en")

    page.click("text=Dana High")
    page.wait_for_url(re.compile(r"/admin/carriers/driver/\d+/change/"))


def test_crossings_dashboard_draws_a_chart_of_the_last_72_hours(page, dispatcher, queue_history, screenshot):
    dispatcher.language = "en"
    dispatcher.save()
    sign_in(page, dispatcher.user.username)

    page.click("nav.kezek-nav >> text=Crossings")
    page.select_option("select[name=crossing]", "syrym-mashtakovo")
    page.click("form.kezek-filters button[type=submit]")
    page.wait_for_url(re.compile(r"crossing=syrym-mashtakovo"))

    card = page.locator(f"section[data-queue-id='{queue_history.pk}']")
    assert "10 h 10 min" in card.inner_text()
    chart = card.locator("svg[role=img]")
    assert chart.count() == 1
    assert "Expected wait at Syrym" in chart.locator("title").text_content()
    assert chart.locator("polyline").count() >= 1
    assert chart.locator("polygon").count() >= 1
    box = chart.bounding_box()
    assert box["width"] > 300
    assert box["height"] > 100
    screenshot(page, "02-crossings-dashboard-chart")


def test_dispatcher_switches_to_russian_and_it_is_remembered(page, fleet, dispatcher, open_page, screenshot):
    sign_in(page, dispatcher.user.username)
    assert page.locator("#logout-form button").text_content().strip() == "Log out"

    page.select_option("#kezek-language", "ru")
    page.click("#kezek-language-form button[type=submit]")
    page.wait_for_load_state()

    assert page.locator("#logout-form button").text_content().strip() == "Выйти"
    assert page.locator("html").get_attribute("lang") == "ru"
    assert Dispatcher.objects.get(pk=dispatcher.pk).language == "ru"
    screenshot(page, "03-fleet-risk-board-ru")

    # Another browser, no cookies: signing in brings the dispatcher's language back.
    other_page = open_page(locale="en-US")
    sign_in(other_page, dispatcher.user.username)
    assert other_page.locator("#logout-form button").text_content().strip() == "Выйти"


def test_dispatcher_marks_an_alert_read(page, dispatcher, carrier, other_carrier, screenshot):
    dispatcher.language = "en"
    dispatcher.save()
    for minutes_ago, title in [(90, "Asel Watch: 11 days left in Russia"), (5, "Erlan Overstay: over the limit")]:
        notification = Notification.objects.create(
            audience=Notification.Audience.DISPATCHER,
            carrier=carrier,
            kind="stay_risk",
            level="warning",
            title=title,
            body="Plan the exit before the limit is reached.",
            dedupe_key=f"browser:{title}",
        )
        Notification.objects.filter(pk=notification.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago)
        )
    Notification.objects.create(
        audience=Notification.Audience.DISPATCHER,
        carrier=other_carrier,
        kind="stay_risk",
        title="Not for this dispatcher",
        dedupe_key="browser:theirs",
    )
    sign_in(page, dispatcher.user.username)

    page.click("nav.kezek-nav >> text=Alerts")
    titles = page.locator("li.kezek-alert strong").all_inner_texts()
    assert titles == ["Erlan Overstay: over the limit", "Asel Watch: 11 days left in Russia"]
    assert page.locator("li.kezek-unread").count() == 2
    assert "Not for this dispatcher" not in page.content()
    screenshot(page, "04-alerts-inbox-unread")

    page.locator("li.kezek-alert", has_text="Erlan Overstay").locator("button.kezek-mark-read").click()
    page.wait_for_selector("ul.messagelist li.success")

    assert page.locator("li.kezek-unread").count() == 1
    assert Notification.objects.get(dedupe_key="browser:Erlan Overstay: over the limit").read_at is not None
    assert Notification.objects.get(dedupe_key="browser:Asel Watch: 11 days left in Russia").read_at is None
    screenshot(page, "05-alerts-inbox-one-marked-read")


def test_dispatcher_rotates_the_invite_code_with_the_carrier_action(page, dispatcher, carrier, screenshot):
    dispatcher.language = "en"
    dispatcher.save()
    old_code = carrier.invite_code
    sign_in(page, dispatcher.user.username)

    page.goto("/admin/carriers/carrier/")
    page.check(f"input.action-select[value='{carrier.pk}']")
    page.select_option("select[name=action]", "rotate_invite_code")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist li.success")

    new_code = Carrier.objects.get(pk=carrier.pk).invite_code
    assert new_code != old_code
    assert new_code in page.locator("ul.messagelist").inner_text()
    screenshot(page, "06-carrier-invite-code-rotated", full_page=False)


def test_the_board_shows_when_each_driver_must_join_an_exit_queue(page, fleet, dispatcher, screenshot):
    exit_queue = Queue.objects.get(crossing__slug="syrym-mashtakovo", from_country="RU", to_country="KZ")
    now = timezone.now()
    Estimate.objects.create(
        queue=exit_queue,
        wait_minutes=300,
        low_minutes=200,
        high_minutes=420,
        reports=20,
        drivers=6,
        computed_at=now - timedelta(minutes=3),
        data_until=now - timedelta(minutes=4),
        confidence="medium",
        published=True,
    )
    sign_in(page, dispatcher.user.username)

    headings = page.locator("section.kezek-risk-group >> nth=0 >> th").all_inner_texts()
    assert "JOIN THE EXIT QUEUE BY" in headings  # headings are set in capitals
    cell = page.locator("tr", has_text="Dana High").locator("td.kezek-join-by li[data-crossing='syrym-mashtakovo']")
    assert cell.count() == 1
    text = cell.inner_text()
    assert text.startswith("Syrym – Mashtakovo: ")
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \([A-Za-z_]+/[A-Za-z_]+\)", text)
    box = cell.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 1366  # the board still fits the window
    screenshot(page, "06-fleet-board-join-by")
