"""Validation hashes a valid report from its parsed values; the stored hash must stay what the raw item hashes to
(resends are told from conflicts by it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from queues.domain.reports import QueueRef, report_content_hash, report_validate

RECEIVED_AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
QUEUE = QueueRef(
    queue_id=1,
    crossing_id=1,
    crossing_slug="bakhty-baketu",
    from_country="KZ",
    to_country="CN",
    lat=46.683333,
    lon=82.8,
    coord_kind="estimate",  # 60 km: whole-degree coordinates nearby are accepted
)

OPTIONAL = st.fixed_dictionaries(
    {},
    optional={
        "position": st.integers(min_value=0, max_value=20_000),
        "distance_m": st.integers(min_value=0, max_value=200_000),
        "waited_minutes": st.integers(min_value=0, max_value=20_000),
        "lat": st.sampled_from([46.683333, 46.69, 47]),
        "lon": st.sampled_from([82.8, 82.81, 83]),
        "extra": st.text(max_size=5),
    },
)


@given(
    report_id=st.uuids(),
    upper=st.booleans(),
    minutes_ago=st.integers(min_value=0, max_value=7 * 24 * 60 - 1),
    offset_hours=st.integers(min_value=-12, max_value=14),
    kind=st.sampled_from(["joined", "position", "crossed", "left"]),
    optional=OPTIONAL,
)
def test_a_valid_reports_hash_is_the_hash_of_the_item_as_sent(
    report_id, upper, minutes_ago, offset_hours, kind, optional
):
    observed = (RECEIVED_AT - timedelta(minutes=minutes_ago)).astimezone(timezone(timedelta(hours=offset_hours)))
    if ("lat" in optional) != ("lon" in optional):
        optional.pop("lat", None)
        optional.pop("lon", None)
    item = {
        "id": str(report_id).upper() if upper else str(report_id),
        "crossing": "bakhty-baketu",
        "direction": "KZ-CN",
        "kind": kind,
        "observed_at": observed.isoformat(),
        **optional,
    }

    valid, errors = report_validate(
        item, queues={("bakhty-baketu", "KZ-CN"): QUEUE}, crossing_slugs={"bakhty-baketu"}, received_at=RECEIVED_AT
    )

    assert errors == {}
    assert valid is not None
    assert valid.id == uuid.UUID(str(report_id))
    assert valid.content_hash == report_content_hash(item)
