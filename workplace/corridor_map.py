"""The schematic corridor map of the crossings dashboard: a pure function from crossings to an SVG string.

No tile server and no JavaScript: the crossings are placed by their coordinates (an equirectangular projection
scaled by the cosine of the middle latitude, which keeps the shape of a strip this narrow), the crossings of
each border are joined by a faint line ordered west to east (a sketch of the border, not its course), and each
crossing is a dot coloured by its current wait and linked to its card on the page. Words come in translated.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["WAIT_BANDS", "MapCrossing", "MapLabels", "corridor_map_svg", "place_label", "wait_band"]

# (upper bound in minutes, band name, colour); a wait at or above the last bound is "severe".
WAIT_BANDS: tuple[tuple[float, str, str], ...] = (
    (120, "short", "#2e7d32"),
    (480, "moderate", "#8a6d00"),
    (1440, "long", "#c75c00"),
    (math.inf, "severe", "#b3261e"),
)
NO_ESTIMATE_COLOUR = "#9e9e9e"
CHAR_WIDTH = 6.4  # an 11 px sans-serif letter, generously (Cyrillic capitals are wide)
TEXT_HEIGHT = 11.0
Box = tuple[float, float, float, float]  # left, top, right, bottom
# Where a name may go around its dot, in order of preference: (dx, dy of the baseline, text-anchor).
LABEL_OFFSETS: tuple[tuple[float, float, str], ...] = (
    (0, -10, "middle"),
    (0, 19, "middle"),
    (10, 4, "start"),
    (-10, 4, "end"),
    (8, -8, "start"),
    (-8, -8, "end"),
    (8, 16, "start"),
    (-8, 16, "end"),
    (0, -22, "middle"),
    (0, 31, "middle"),
    (12, -20, "start"),
    (-12, -20, "end"),
    (12, 28, "start"),
    (-12, 28, "end"),
)
BORDER_NAME_OFFSETS: tuple[tuple[float, float, str], ...] = tuple(
    (dx, dy + 14 if dy > 0 else dy - 14, anchor) for dx, dy, anchor in LABEL_OFFSETS
)


@dataclass(frozen=True)
class MapCrossing:
    """One crossing on the map. ``wait_minutes``: the longest published wait of its queues (None: none)."""

    slug: str
    label: str
    lat: float
    lon: float
    countries: tuple[str, str]
    wait_minutes: float | None
    wait_text: str
    href: str


@dataclass(frozen=True)
class MapLabels:
    """Translated words: the title and description, the legend's band names (``short``, ``moderate``, ``long``,
    ``severe``, ``none``) and each border's name by its sorted pair of countries (``"KZ-RU"``)."""

    title: str
    desc: str
    bands: dict[str, str]
    borders: dict[str, str]


def wait_band(minutes: float | None) -> str:
    """``None`` → ``"none"``; otherwise the band the wait falls in (``short`` under 2 h … ``severe`` a day or more)."""
    if minutes is None:
        return "none"
    return next(name for bound, name, _colour in WAIT_BANDS if minutes < bound)


def _label_box(x: float, y: float, text: str, anchor: str) -> Box:
    width = CHAR_WIDTH * len(text)
    left = x - width / 2 if anchor == "middle" else (x if anchor == "start" else x - width)
    return (left, y - TEXT_HEIGHT + 1, left + width, y + 3)


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def place_label(
    *,
    x: float,
    y: float,
    text: str,
    taken: list[Box],
    bounds: Box,
    offsets: Sequence[tuple[float, float, str]] = LABEL_OFFSETS,
) -> tuple[float, float, str]:
    """The baseline point and text-anchor of ``text`` beside the dot at (``x``, ``y``): the first of ``offsets``
    whose box stays inside ``bounds`` and overlaps nothing in ``taken``, else the one overlapping least. The chosen
    box is added to ``taken``."""
    best: tuple[float, tuple[float, float, str], Box] | None = None
    for dx, dy, anchor in offsets:
        box = _label_box(x + dx, y + dy, text, anchor)
        outside = (
            max(0.0, bounds[0] - box[0])
            + max(0.0, box[2] - bounds[2])
            + max(0.0, bounds[1] - box[1])
            + max(0.0, box[3] - bounds[3])
        )
        cost = sum(_overlap(box, other) for other in taken) + outside * 100
        if best is None or cost < best[0]:
            best = (cost, (round(x + dx, 1), round(y + dy, 1), anchor), box)
        if cost == 0:
            break
    assert best is not None
    taken.append(best[2])
    return best[1]


def _colour(band: str) -> str:
    return next((colour for _bound, name, colour in WAIT_BANDS if name == band), NO_ESTIMATE_COLOUR)


def corridor_map_svg(
    *,
    crossings: Sequence[MapCrossing],
    labels: MapLabels,
    chart_id: str = "corridor-map",
    width: int = 960,
    margin: int = 36,
) -> str:
    """An SVG sketch of the corridor with every crossing of ``crossings`` placed by its coordinates.

    An empty list draws the frame and the legend only. Each name takes the first spot around its dot that
    overlaps no other dot or name (see :func:`place_label`), so neighbours stay readable.
    """
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    if crossings:
        lat_min, lat_max = min(c.lat for c in crossings), max(c.lat for c in crossings)
        lon_min, lon_max = min(c.lon for c in crossings), max(c.lon for c in crossings)
    else:
        lat_min, lat_max, lon_min, lon_max = 40.0, 56.0, 46.0, 120.0
    squeeze = math.cos(math.radians((lat_min + lat_max) / 2))
    span_x = max((lon_max - lon_min) * squeeze, 1.0)
    span_y = max(lat_max - lat_min, 1.0)
    scale = (width - 2 * margin) / span_x
    map_height = max(span_y * scale, 160)
    legend_height = 34
    height = round(map_height + 2 * margin + legend_height)

    def x_of(lon: float) -> float:
        return round(margin + (lon - lon_min) * squeeze * scale, 1)

    def y_of(lat: float) -> float:
        return round(margin + (lat_max - lat) * scale + (map_height - span_y * scale) / 2, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kezek-map" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{escape(title_id)} {escape(desc_id)}" font-family="sans-serif" font-size="11">',
        f'<title id="{escape(title_id)}">{escape(labels.title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(labels.desc)}</desc>',
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="none" stroke="currentColor" '
        f'stroke-opacity="0.2"/>',
    ]
    # Graticule every 5 degrees, labelled on the frame.
    parts.append('<g class="kezek-map-grid" stroke="currentColor" stroke-opacity="0.12" fill="currentColor">')
    for lon in range(math.ceil(lon_min / 5) * 5, math.floor(lon_max) + 1, 5):
        x = x_of(lon)
        parts.append(f'<line x1="{x}" x2="{x}" y1="{margin / 2}" y2="{height - legend_height - margin / 2}"/>')
        parts.append(
            f'<text x="{x}" y="{margin / 2 - 4}" text-anchor="middle" stroke="none" fill-opacity="0.6">{lon}°E</text>'
        )
    for lat in range(math.ceil(lat_min / 5) * 5, math.floor(lat_max) + 1, 5):
        y = y_of(lat)
        parts.append(f'<line x1="{margin / 2}" x2="{width - margin / 2}" y1="{y}" y2="{y}"/>')
        parts.append(f'<text x="4" y="{y - 3}" stroke="none" fill-opacity="0.6">{lat}°N</text>')
    parts.append("</g>")

    # One faint line per border, through its crossings from west to east, named at its western end.
    borders: dict[str, list[MapCrossing]] = defaultdict(list)
    border_names: list[tuple[str, MapCrossing]] = []
    for crossing in crossings:
        borders["-".join(sorted(crossing.countries))].append(crossing)
    for key, members in sorted(borders.items()):
        members = sorted(members, key=lambda c: c.lon)
        if len(members) > 1:
            points = " ".join(f"{x_of(c.lon)},{y_of(c.lat)}" for c in members)
            parts.append(
                f'<polyline class="kezek-map-border" points="{points}" fill="none" stroke="currentColor" '
                f'stroke-opacity="0.3" stroke-width="3" stroke-dasharray="6 4"/>'
            )
        border_names.append((labels.borders.get(key, key), members[0]))

    # Labels are placed greedily: every dot is an obstacle first, then the crossings' names (those with a wait
    # first, then west to east) each take the first free spot around their dot, then the border names.
    bounds = (0.0, margin / 2, float(width), height - legend_height - 2.0)
    taken: list[Box] = [(x - 7, y - 7, x + 7, y + 7) for x, y in ((x_of(c.lon), y_of(c.lat)) for c in crossings)]
    label_at: dict[str, tuple[float, float, str]] = {}
    for crossing in sorted(crossings, key=lambda c: (c.wait_minutes is None, c.lon, c.lat)):
        label_at[crossing.slug] = place_label(
            x=x_of(crossing.lon), y=y_of(crossing.lat), text=crossing.label, taken=taken, bounds=bounds
        )
    for name, first in border_names:
        x, y, anchor = place_label(
            x=x_of(first.lon), y=y_of(first.lat), text=name, taken=taken, bounds=bounds, offsets=BORDER_NAME_OFFSETS
        )
        parts.append(
            f'<text class="kezek-map-border-name" x="{x}" y="{y}" text-anchor="{anchor}" '
            f'fill="currentColor" fill-opacity="0.55" font-style="italic">{escape(name)}</text>'
        )

    for crossing in sorted(crossings, key=lambda c: (c.lon, c.lat)):
        x, y = x_of(crossing.lon), y_of(crossing.lat)
        label_x, label_y, anchor = label_at[crossing.slug]
        band = wait_band(crossing.wait_minutes)
        tip = f"{crossing.label}: {crossing.wait_text}" if crossing.wait_text else crossing.label
        parts.append(
            f'<a class="kezek-map-crossing" href="{escape(crossing.href)}" data-crossing="{escape(crossing.slug)}" '
            f'data-band="{band}"><title>{escape(tip)}</title>'
            f'<circle cx="{x}" cy="{y}" r="6" fill="{_colour(band)}" stroke="#fff" stroke-width="1.5"/>'
            f'<text x="{label_x}" y="{label_y}" text-anchor="{anchor}" fill="currentColor">'
            f"{escape(crossing.label)}</text></a>"
        )

    legend_y = height - legend_height / 2
    parts.append('<g class="kezek-map-legend">')
    x = float(margin)
    for band in (*(name for _b, name, _c in WAIT_BANDS), "none"):
        text = labels.bands.get(band, band)
        parts.append(f'<circle cx="{x}" cy="{legend_y - 4}" r="5" fill="{_colour(band)}"/>')
        parts.append(f'<text x="{x + 9}" y="{legend_y}" fill="currentColor">{escape(text)}</text>')
        x += 24 + 6.5 * len(text)
    parts.append("</g></svg>")
    return "".join(parts)
