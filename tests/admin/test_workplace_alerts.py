"""The dispatchers' alerts inbox: their carrier's notifications, newest first, marked read one by one or all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carriers.models import Notification
from carriers.services import notifications_mark_read
from tests.factories import DriverFactory
from tests.support.workplace import snapshot

pytestmark = pytest.mark.django_db

INBOX = "/admin/workplace/alerts/"
MARK_READ = "/admin/workplace/alerts/read/"


def notify(carrier, title: str, *, minutes_ago: int = 0, read: bool = False, driver=None) -> Notification:
    notification = Notification.objects.create(
        audience=Notification.Audience.DISPATCHER,
        carrier=carrier,
        driver=driver,
        kind="stay_risk",
        level="warning",
        title=title,
        body=f"{title}: details",
        dedupe_key=f"{carrier.pk}:{title}",
        read_at=timezone.now() if read else None,
    )
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
    notification.refresh_from_db()
    return notification


def inbox_titles(response) -> list[str]:
    return [item["notification"].title for item in response.context["notifications"]]


def test_inbox_lists_the_carriers_alerts_newest_first_with_unread_highlighted(dispatcher_client, carrier, driver):
    notify(carrier, "Older", minutes_ago=60, read=True)
    notify(carrier, "Newest", minutes_ago=1, driver=driver)
    notify(carrier, "Middle", minutes_ago=30)

    response = dispatcher_client.get(INBOX)

    assert response.status_code == 200
    assert inbox_titles(response) == ["Newest", "Middle", "Older"]
    assert response.context["unread_count"] == 2
    html = response.content.decode()
    assert html.count("kezek-alert kezek-unread") == 2
    assert f'href="/admin/carriers/driver/{driver.pk}/change/"' in html


def test_inbox_never_shows_another_carriers_alerts_or_driver_notifications(
    dispatcher_client, carrier, other_carrier, driver
):
    notify(carrier, "Ours")
    notify(other_carrier, "Theirs")
    Notification.objects.create(
        audience=Notification.Audience.DRIVER, driver=driver, kind="stay_risk", title="To the driver", dedupe_key="d1"
    )

    response = dispatcher_client.get(INBOX)

    assert inbox_titles(response) == ["Ours"]
    assert "Theirs" not in response.content.decode()


def test_inbox_can_show_unread_only(dispatcher_client, carrier):
    notify(carrier, "Read one", read=True)
    notify(carrier, "Unread one")

    response = dispatcher_client.get(INBOX, {"unread": "1"})

    assert inbox_titles(response) == ["Unread one"]


def test_marking_one_alert_read_leaves_the_others_unread(dispatcher_client, carrier):
    target = notify(carrier, "Target")
    other = notify(carrier, "Other")

    response = dispatcher_client.post(MARK_READ, {"notification": target.pk})

    assert response.status_code == 302
    assert response["Location"] == INBOX
    target.refresh_from_db()
    other.refresh_from_db()
    assert target.read_at is not None
    assert other.read_at is None


def test_marking_all_read_marks_only_the_dispatchers_own_carrier(dispatcher_client, carrier, other_carrier):
    ours = [notify(carrier, "One"), notify(carrier, "Two")]
    theirs = notify(other_carrier, "Theirs")

    dispatcher_client.post(MARK_READ, {"all": "1"})

    assert all(Notification.objects.get(pk=n.pk).read_at is not None for n in ours)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_another_carriers_alert_cannot_be_marked_read(dispatcher_client, other_carrier):
    theirs = notify(other_carrier, "Theirs")

    response = dispatcher_client.post(MARK_READ, {"notification": theirs.pk})

    assert response.status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_marking_read_needs_a_csrf_token(dispatcher, carrier):
    notification = notify(carrier, "Guarded")
    client = Client(enforce_csrf_checks=True)
    client.force_login(dispatcher.user)

    response = client.post(MARK_READ, {"notification": notification.pk})

    assert response.status_code == 403
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_marking_read_is_post_only(dispatcher_client, carrier):
    notification = notify(carrier, "Get")

    response = dispatcher_client.get(MARK_READ, {"notification": notification.pk})

    assert response.status_code == 405


def test_mark_read_keeps_the_first_read_time(carrier):
    first = timezone.now() - timedelta(days=1)
    notification = notify(carrier, "Seen")
    notifications_mark_read(notifications=Notification.objects.filter(pk=notification.pk), as_of=first)

    changed = notifications_mark_read(
        notifications=Notification.objects.filter(pk=notification.pk), as_of=timezone.now()
    )

    assert changed == 0
    assert Notification.objects.get(pk=notification.pk).read_at == first


RAISED_AT = datetime(2026, 3, 10, 21, 30, tzinfo=UTC)


def stay_alert(
    carrier, driver, *, risk: str = "high", days_left: int = 3, key: str = "", resolved: str = ""
) -> Notification:
    """A dispatcher stay alert as the daily check stores it: texts in Russian, facts in ``data``."""
    notification = Notification.objects.create(
        audience=Notification.Audience.DISPATCHER,
        carrier=carrier,
        kind="stay_risk",
        level=risk,
        title=f"{driver.name}: осталось всего {days_left} дн. в Россия",
        body="Выезжайте не позднее 13.03.2026.",
        data={
            "driver_id": driver.pk,
            "country": "RU",
            "risk": risk,
            "risk_reasons": [],
            "days_left": days_left,
            "overstay_days": 0,
            "latest_exit": "2026-03-13",
            "on": "2026-03-10",
        },
        dedupe_key=key or f"stay:{driver.pk}:RU:{risk}",
        active=not resolved,
        resolved_at=RAISED_AT + timedelta(days=2) if resolved else None,
        resolution=resolved,
    )
    Notification.objects.filter(pk=notification.pk).update(created_at=RAISED_AT)
    return notification


def test_a_stay_alert_stored_in_russian_reads_in_english_timed_in_moscow_and_active(dispatcher_client, carrier, driver):
    stay_alert(carrier, driver)
    snapshot(driver, "high", days_left=3)

    html = dispatcher_client.get(INBOX).content.decode()

    assert "Aidos: only 3 days left in Russia" in html
    assert "Leave by March 13, 2026 to stay within the limit." in html
    assert "осталось" not in html
    assert "2026-03-11 00:30" in html
    assert "Europe/Moscow (UTC+03:00)" in html
    assert "kezek-state-active" in html
    assert "Still active: the driver&#x27;s risk now is high." in html
    assert f'href="/admin/carriers/driver/{driver.pk}/change/"' in html


def test_a_stay_alert_is_resolved_once_the_driver_fell_below_its_level(dispatcher_client, carrier, driver):
    stay_alert(carrier, driver, risk="high", resolved="risk_lower")
    snapshot(driver, "ok", days_left=60)

    html = dispatcher_client.get(INBOX).content.decode()

    assert "kezek-state-resolved" in html
    assert "kezek-state-active" not in html
    assert "Resolved on " in html
    assert ": the risk fell below this level." in html


def test_a_stay_alert_reads_in_russian_and_kazakh_for_those_dispatchers(dispatcher_client, dispatcher, carrier, driver):
    stay_alert(carrier, driver)
    snapshot(driver, "high", days_left=3)

    russian = dispatcher_client.get(INBOX, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    dispatcher_client.cookies["django_language"] = "kk"
    kazakh = dispatcher_client.get(INBOX).content.decode()

    assert "Aidos: Россия — осталось всего 3 дн." in russian
    assert "Aidos: Ресей — небәрі 3 күн қалды" in kazakh
    assert "Всё ещё в силе" in russian
    assert "Әлі күшінде" in kazakh


def test_an_alert_on_a_driver_now_with_another_carrier_names_and_links_nobody(
    dispatcher_client, carrier, other_carrier
):
    moved = DriverFactory(carrier=other_carrier, name="Moved Away")
    stay_alert(carrier, moved)
    snapshot(moved, "ok", days_left=60)

    html = dispatcher_client.get(INBOX).content.decode()

    assert f"/admin/carriers/driver/{moved.pk}/" not in html
    assert "kezek-state-" not in html
    assert "Moved Away: осталось" in html  # the stored text, as the carrier received it


def test_the_inbox_costs_the_same_queries_for_one_alert_or_forty(dispatcher_client, carrier):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert dispatcher_client.get(INBOX).status_code == 200
        return len(queries)

    first = DriverFactory(carrier=carrier)
    stay_alert(carrier, first)
    snapshot(first, "high", days_left=3)
    one = count()
    for index in range(39):
        driver = DriverFactory(carrier=carrier)
        stay_alert(carrier, driver, key=f"many:{index}")
        snapshot(driver, "high", days_left=3)

    assert count() == one
