from datetime import UTC, date, datetime
from types import SimpleNamespace

from queues.catalogue import COUNTRY_TIME_ZONES, crossing_local_date, crossing_time_zone, read_crossings

KULUNDA = SimpleNamespace(country_a="KZ", country_b="RU", time_zone_a="Asia/Almaty", time_zone_b="Asia/Barnaul")


def test_each_country_dates_a_late_evening_crossing_by_its_own_calendar():
    at = datetime(2026, 3, 31, 18, 30, tzinfo=UTC)  # 23:30 in Pavlodar (UTC+5), 01:30 next day in Altai (UTC+7)

    assert crossing_local_date(crossing=KULUNDA, country="KZ", at=at) == date(2026, 3, 31)
    assert crossing_local_date(crossing=KULUNDA, country="RU", at=at) == date(2026, 4, 1)


def test_a_side_without_a_zone_uses_the_country_time():
    crossing = SimpleNamespace(country_a="KZ", country_b="RU", time_zone_a="", time_zone_b="")

    assert crossing_time_zone(crossing=crossing, country="RU") == COUNTRY_TIME_ZONES["RU"]
    assert crossing_time_zone(crossing=None, country="ZZ") == "UTC"


def test_a_mistyped_zone_falls_back_to_the_country_time():
    crossing = SimpleNamespace(country_a="KZ", country_b="RU", time_zone_a="Asia/Nowhere", time_zone_b="")
    at = datetime(2026, 3, 31, 19, 30, tzinfo=UTC)  # 00:30 on 1 April in Kazakhstan (UTC+5)

    assert crossing_local_date(crossing=crossing, country="KZ", at=at) == date(2026, 4, 1)


def test_every_shipped_crossing_names_a_valid_zone_for_both_sides():
    from zoneinfo import ZoneInfo

    for row in read_crossings():
        assert ZoneInfo(row["time_zone_a"]), row["slug"]
        assert ZoneInfo(row["time_zone_b"]), row["slug"]
