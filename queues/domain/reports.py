"""Pure rules for crowd reports: field validation, the content hash, and the plausibility flags.

No ORM and no clock: the caller passes the catalogue (:class:`QueueRef` by crossing slug and direction) and the
moment the batch was received. Every error is keyed by the contract's field name, as the error envelope has it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from queues.domain.kinds import KIND_ORDER, REPORT_KINDS

CONTENT_FIELDS = (
    "id",
    "crossing",
    "direction",
    "kind",
    "observed_at",
    "position",
    "distance_m",
    "waited_minutes",
    "lat",
    "lon",
)

MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
MAX_POSITION = 20_000  # vehicles ahead; the longest queues seen are a few thousand trucks
MAX_DISTANCE_M = 200_000  # 200 km of road to the gate
MAX_WAITED_MINUTES = 14 * 24 * 60  # two weeks in one queue

# Radius (km) around the crossing's coordinate beyond which a located report is refused, by how sure the
# coordinate is: a checkpoint pin is the gate itself; a settlement can be tens of km from the gate; an estimate
# was placed by hand.
HARD_RADIUS_KM = {"checkpoint": 5.0, "settlement": 40.0, "estimate": 60.0}
# Within the hard radius but beyond this one, a report is kept and flagged ``far``: plausible for a long queue
# or an imprecise pin, suspicious otherwise.
SOFT_RADIUS_KM = {"checkpoint": 3.0, "settlement": 25.0, "estimate": 40.0}
EARTH_RADIUS_KM = 6371.0088

# --- plausibility between consecutive reports of one visit ----------------------------------------------------
# A queue hardly grows behind a driver: the position may go up by a recount (trucks let in from a side lane,
# a different count of the gate), not by hundreds.
POSITION_JUMP_ALLOWED = 30
POSITION_JUMP_FRACTION = 0.25
# The busiest road crossings of the corridor clear a few hundred trucks a day (Khorgos, Dostyk, Zhaisan after
# modernisation ~ 2,000-4,000 vehicles/day of all kinds), i.e. well under 120 trucks an hour through one queue.
# A position falling faster than that is a typo or a prank. Small drops are ignored (recounts, rounding).
MAX_TRUCKS_PER_HOUR = 120.0
SPEED_NOISE_TRUCKS = 10
# ``waited_minutes`` may differ from the time since the visit's ``joined`` report by this much before it is
# flagged (the app rounds, the driver may have joined before reporting it).
WAITED_TOLERANCE_MINUTES = 30
WAITED_TOLERANCE_FRACTION = 0.25

FLAG_FAR = "far"
FLAG_IMPLAUSIBLE = "implausible"  # added with every specific plausibility flag below: the estimator's word
FLAG_POSITION_JUMP = "position_jump"
FLAG_IMPOSSIBLE_SPEED = "impossible_speed"
FLAG_WAITED_INCONSISTENT = "waited_inconsistent"


@dataclass(frozen=True, slots=True)
class QueueRef:
    """What validation needs to know about one queue of the catalogue."""

    queue_id: int
    crossing_id: int
    crossing_slug: str
    from_country: str
    to_country: str
    lat: float
    lon: float
    coord_kind: str


@dataclass(frozen=True, slots=True)
class ValidReport:
    """A report that passed every rule, with normalised values."""

    id: uuid.UUID
    queue: QueueRef
    kind: str
    observed_at: datetime
    position: int | None
    distance_m: int | None
    waited_minutes: int | None
    lat: float | None
    lon: float | None
    km_from_crossing: float | None
    content_hash: str

    @property
    def far(self) -> bool:
        soft = SOFT_RADIUS_KM.get(self.queue.coord_kind, SOFT_RADIUS_KM["estimate"])
        return self.km_from_crossing is not None and self.km_from_crossing > soft


Errors = dict[str, list[str]]


def invalid_id_message() -> str:
    """The one message for an id that is not a UUID and for an id that is not the caller's to use."""
    return _("Not a usable report id.")


def report_id_parse(raw: Any) -> uuid.UUID | None:
    """The report's UUID, or ``None`` if ``raw`` is not a UUID string."""
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def observed_at_parse(raw: Any) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string with an offset, else ``None``."""
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        return None
    if value is None or value.tzinfo is None or value.utcoffset() is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. year 9999 with a negative offset: not a moment in UTC
        return None


def _canonical_value(name: str, value: Any) -> Any:
    if name == "observed_at":
        parsed = observed_at_parse(value)
        if parsed is not None:
            return parsed.isoformat()
    if name == "id":
        parsed_id = report_id_parse(value)
        return str(parsed_id) if parsed_id else value
    if name in ("lat", "lon") and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an integer too large for a float (only ever in a rejected item)
            return value
    return value


def report_content_hash(item: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the contract fields of ``item``.

    Two sends of one report hash alike even if the app wrote ``observed_at`` with another offset, the UUID in
    upper case, or a coordinate as ``43`` instead of ``43.0``; fields outside the contract are ignored.
    """
    canonical = {name: _canonical_value(name, item.get(name)) for name in CONTENT_FIELDS if item.get(name) is not None}
    return _hash_of(canonical)


def report_content_hash_keyed(digest: str, *, key: str) -> str:
    """The stored form of a content hash: an HMAC-SHA256 of the :func:`report_content_hash` digest under ``key``.

    A plain SHA-256 of a report is open to brute force (the crossing, the time and a few thousand coordinates to
    try); without the key it is not. Keying the digest, not the content, let the hashes stored before keying be
    converted in place (their content is gone), so a retry of such a report is still recognised.
    """
    return hmac.new(key.encode(), digest.encode(), hashlib.sha256).hexdigest()


def _hash_of(canonical: dict[str, Any]) -> str:
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _valid_content_hash(item: Mapping[str, Any], *, report_id: uuid.UUID, observed_at: datetime) -> str:
    """:func:`report_content_hash` of an item that passed validation, reusing its parsed id and time."""
    canonical: dict[str, Any] = {}
    for name in CONTENT_FIELDS:
        value = item.get(name)
        if value is None:
            continue
        if name == "id":
            value = str(report_id)
        elif name == "observed_at":
            value = observed_at.isoformat()
        elif name in ("lat", "lon"):
            value = float(value)
        canonical[name] = value
    return _hash_of(canonical)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _int_field(item: Mapping[str, Any], name: str, maximum: int, errors: Errors) -> int | None:
    value = item.get(name)
    if value is None:
        return None
    # bool is an int in Python, not in the contract; a float like 12.0 is not an int either.
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(name, []).append(_("Must be a whole number."))
        return None
    if value < 0:
        errors.setdefault(name, []).append(_("Must not be negative."))
        return None
    if value > maximum:
        errors.setdefault(name, []).append(_("Must be at most %(max)d.") % {"max": maximum})
        return None
    return value


def _coordinate(item: Mapping[str, Any], name: str, bound: float, errors: Errors) -> float | None:
    value = item.get(name)
    if value is None:
        return None
    # An int is compared as it is: ``1`` followed by 400 zeros is a valid JSON number, too large for a float.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        errors.setdefault(name, []).append(_("Must be a number."))
        return None
    if not -bound <= value <= bound:
        errors.setdefault(name, []).append(_("Must be between %(low)d and %(high)d.") % {"low": -bound, "high": bound})
        return None
    return float(value)


def report_validate(
    item: Any,
    *,
    queues: Mapping[tuple[str, str], QueueRef],
    crossing_slugs: frozenset[str] | set[str],
    received_at: datetime,
) -> tuple[ValidReport | None, Errors]:
    """Checks one report against the contract's rules.

    ``queues`` maps ``(crossing slug, direction)`` to the active catalogue's queues; ``crossing_slugs`` are the
    active crossings. Returns the normalised report and no errors, or ``None`` and the errors by field (an item
    that is not a JSON object at all has its error under ``report``).
    """
    if not isinstance(item, Mapping):
        return None, {"report": [_("Each report must be a JSON object.")]}
    errors: Errors = {}

    report_id = report_id_parse(item.get("id"))
    if report_id is None:
        errors["id"] = [invalid_id_message()]

    slug = item.get("crossing")
    direction = item.get("direction")
    queue: QueueRef | None = None
    if not isinstance(slug, str) or slug not in crossing_slugs:
        errors["crossing"] = [_("Unknown crossing.")]
    elif not isinstance(direction, str) or (slug, direction) not in queues:
        errors["direction"] = [_("This crossing has no queue in this direction.")]
    else:
        queue = queues[(slug, direction)]

    kind = item.get("kind")
    if not isinstance(kind, str) or kind not in REPORT_KINDS:
        errors["kind"] = [_("Must be one of: joined, position, crossed, left.")]

    observed_at = observed_at_parse(item.get("observed_at"))
    if observed_at is None:
        errors["observed_at"] = [_("Must be an ISO 8601 date and time with an offset, e.g. 2026-11-21T09:30:00Z.")]
    elif observed_at > received_at + MAX_FUTURE:
        errors["observed_at"] = [_("Must not be more than 5 minutes in the future.")]
    elif observed_at < received_at - MAX_AGE:
        errors["observed_at"] = [_("Must not be more than 7 days old.")]

    position = _int_field(item, "position", MAX_POSITION, errors)
    distance_m = _int_field(item, "distance_m", MAX_DISTANCE_M, errors)
    waited_minutes = _int_field(item, "waited_minutes", MAX_WAITED_MINUTES, errors)

    lat = _coordinate(item, "lat", 90, errors)
    lon = _coordinate(item, "lon", 180, errors)
    has_lat, has_lon = item.get("lat") is not None, item.get("lon") is not None
    if has_lat != has_lon:
        missing = "lon" if has_lat else "lat"
        errors.setdefault(missing, []).append(_("Send lat and lon together, or neither."))

    km_from_crossing: float | None = None
    if queue is not None and lat is not None and lon is not None and has_lat and has_lon:
        km_from_crossing = haversine_km(lat, lon, queue.lat, queue.lon)
        hard = HARD_RADIUS_KM.get(queue.coord_kind, HARD_RADIUS_KM["estimate"])
        if km_from_crossing > hard:
            errors.setdefault("lat", []).append(
                _("Too far from the crossing: more than %(km)d km.") % {"km": round(hard)}
            )

    if errors:
        return None, errors
    if report_id is None or queue is None or observed_at is None or kind is None:  # unreachable: each one set an error
        raise AssertionError("validation passed without a value")
    return (
        ValidReport(
            id=report_id,
            queue=queue,
            kind=kind,
            observed_at=observed_at,
            position=position,
            distance_m=distance_m,
            waited_minutes=waited_minutes,
            lat=lat,
            lon=lon,
            km_from_crossing=km_from_crossing,
            content_hash=_valid_content_hash(item, report_id=report_id, observed_at=observed_at),
        ),
        {},
    )


# --- visits and plausibility ----------------------------------------------------------------------------------
# A report more than this long after the previous report of the driver on the same queue starts a new visit.
VISIT_GAP = timedelta(hours=24)


@dataclass(slots=True)
class VisitReport:
    """A report as visit grouping sees it (stored or new)."""

    id: uuid.UUID
    kind: str
    observed_at: datetime
    position: int | None = None
    waited_minutes: int | None = None
    visit_id: int | None = None


@dataclass(slots=True)
class VisitSpan:
    """One visit computed from its reports (ordered by observed_at)."""

    reports: list[VisitReport]
    status: str  # "open" | "crossed" | "left"
    joined_at: datetime
    crossed_at: datetime | None
    left_at: datetime | None
    last_report_at: datetime
    wait_minutes: int | None  # None: not crossed, or crossed with nothing telling when the wait began


def _span_from(reports: list[VisitReport]) -> VisitSpan:
    joined = next((r for r in reports if r.kind == "joined"), None)
    end = reports[-1] if reports[-1].kind in ("crossed", "left") else None
    # A position observed before the "joined" report belongs to the visit too: it starts at the earliest report.
    joined_at = reports[0].observed_at
    if joined is None and end is not None and end.kind == "crossed" and end.waited_minutes is not None:
        # No "joined" seen: the driver's own count of the wait is the best start we have.
        joined_at = min(joined_at, end.observed_at - timedelta(minutes=end.waited_minutes))
    wait_minutes: int | None = None
    # A visit seen only at its crossing, with no count of its own, has an unknown wait (unknown is not zero).
    start_known = len(reports) > 1 or (end is not None and end.waited_minutes is not None)
    if end is not None and end.kind == "crossed" and start_known:
        wait_minutes = max(0, round((end.observed_at - joined_at).total_seconds() / 60))
    return VisitSpan(
        reports=reports,
        status=end.kind if end else "open",
        joined_at=joined_at,
        crossed_at=end.observed_at if end and end.kind == "crossed" else None,
        left_at=end.observed_at if end and end.kind == "left" else None,
        last_report_at=reports[-1].observed_at,
        wait_minutes=wait_minutes,
    )


def visits_group(reports: Sequence[VisitReport]) -> list[VisitSpan]:
    """Groups one driver's reports on one queue into visits, by ``observed_at`` whatever the arrival order.

    A visit is joined → positions → crossed or left. A new visit starts with the first report, after a report
    that closed the previous one (crossed, left), with a second ``joined``, or after a silence of more than
    :data:`VISIT_GAP`. A visit without ``joined`` starts at its first report (or earlier, by the ``crossed``
    report's ``waited_minutes``).
    """
    ordered = sorted(reports, key=lambda r: (r.observed_at, KIND_ORDER[r.kind], r.id))
    groups: list[list[VisitReport]] = []
    for report in ordered:
        current = groups[-1] if groups else None
        if (
            current is None
            or current[-1].kind in ("crossed", "left")
            or report.observed_at - current[-1].observed_at > VISIT_GAP
            or (report.kind == "joined" and any(r.kind == "joined" for r in current))
        ):
            groups.append([report])
        else:
            current.append(report)
    return [_span_from(group) for group in groups]


def visit_flags(span: VisitSpan) -> dict[uuid.UUID, list[str]]:
    """Plausibility flags of every report of a visit, each judged against the reports before it (one pass).

    ``position_jump``: the position rose by more than POSITION_JUMP_ALLOWED + POSITION_JUMP_FRACTION of the
    previous position. ``impossible_speed``: it fell faster than MAX_TRUCKS_PER_HOUR (beyond SPEED_NOISE_TRUCKS).
    ``waited_inconsistent``: ``waited_minutes`` is off the time since the visit's ``joined`` report by more than
    the tolerance. Each comes with ``implausible``, the estimator's general word for a suspect report.
    """
    joined = next((r for r in span.reports if r.kind == "joined"), None)
    previous: VisitReport | None = None
    out: dict[uuid.UUID, list[str]] = {}
    for report in span.reports:
        flags: list[str] = []
        if report.position is not None and previous is not None and previous.position is not None:
            rise = report.position - previous.position
            if rise > POSITION_JUMP_ALLOWED + POSITION_JUMP_FRACTION * previous.position:
                flags.append(FLAG_POSITION_JUMP)
            fall = -rise
            hours = (report.observed_at - previous.observed_at).total_seconds() / 3600
            if fall > SPEED_NOISE_TRUCKS and (hours <= 0 or fall / hours > MAX_TRUCKS_PER_HOUR):
                flags.append(FLAG_IMPOSSIBLE_SPEED)
        if report.waited_minutes is not None and joined is not None:
            since_joined = (report.observed_at - joined.observed_at).total_seconds() / 60
            tolerance = max(WAITED_TOLERANCE_MINUTES, WAITED_TOLERANCE_FRACTION * max(since_joined, 0))
            if abs(report.waited_minutes - since_joined) > tolerance:
                flags.append(FLAG_WAITED_INCONSISTENT)
        if flags:
            flags.insert(0, FLAG_IMPLAUSIBLE)
        out[report.id] = flags
        if report.position is not None:
            previous = report
    return out


def report_flags(*, report: VisitReport, span: VisitSpan) -> list[str]:
    """Plausibility flags of ``report`` within its visit (it is one of ``span.reports``)."""
    return visit_flags(span)[report.id]
