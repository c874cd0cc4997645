"""Server-rendered SVG charts for the workplace: a pure function from points to an SVG string.

No JavaScript and nothing fetched from elsewhere: the page works on offline machines and shows no third party
who is looking. Text in the chart (title, description, units) is passed in already translated, so this module
stays free of the request, the clock and the database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from html import escape

__all__ = ["ChartLabels", "ChartPoint", "nice_step", "wait_chart_svg"]


@dataclass(frozen=True)
class ChartPoint:
    """One tick of the estimate history: the expected wait and its 80% band, in minutes."""

    at: datetime
    wait_minutes: float
    low_minutes: float
    high_minutes: float


@dataclass(frozen=True)
class ChartLabels:
    """The words a chart shows, already translated by the caller."""

    title: str
    desc: str
    no_data: str
    minutes_unit: str = "min"
    hours_unit: str = "h"
    time_axis: str = "UTC"


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int = 52
    right: int = 30
    top: int = 14
    bottom: int = 38

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom


def nice_step(max_value: float, *, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` intervals up to ``max_value``."""
    # Below a thousandth of a unit there is nothing to show; it also keeps 10**k away from underflowing to 0.
    if not math.isfinite(max_value) or max_value < 1e-3:
        return 1.0
    raw = max_value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if step >= raw:
            return float(step)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _split_at_gaps(points: Sequence[ChartPoint], gap: timedelta) -> list[list[ChartPoint]]:
    """Runs of points with no hole longer than ``gap``: a hole in the data is drawn as a hole."""
    segments: list[list[ChartPoint]] = []
    for point in points:
        if segments and point.at - segments[-1][-1].at <= gap:
            segments[-1].append(point)
        else:
            segments.append([point])
    return segments


def _time_ticks(start_at: datetime, end_at: datetime, every: timedelta, tz: tzinfo = UTC) -> list[datetime]:
    """Tick times on whole multiples of ``every`` of ``tz``'s wall clock (midnight-aligned there) within
    [start_at, end_at], as aware datetimes in ``tz``."""
    step = every.total_seconds()
    offset = (start_at.astimezone(tz).utcoffset() or timedelta()).total_seconds()
    first = math.ceil((start_at.timestamp() + offset) / step) * step - offset
    ticks = []
    value = first
    while value <= end_at.timestamp():
        ticks.append(datetime.fromtimestamp(value, tz=tz))
        value += step
    return ticks


def wait_chart_svg(
    *,
    points: Sequence[ChartPoint],
    start_at: datetime,
    end_at: datetime,
    labels: ChartLabels,
    chart_id: str,
    width: int = 560,
    height: int = 230,
    gap: timedelta = timedelta(hours=3),
    tz: tzinfo = UTC,
) -> str:
    """An SVG line chart of the expected wait over [start_at, end_at] with its low–high band.

    ``points`` may come in any order; points outside the period are left out. Waits up to two hours are shown
    in minutes, longer ones in hours. Holes longer than ``gap`` break the line. The chart is an image with a
    title and a description (``aria-labelledby``); ``chart_id`` keeps the element ids unique on a page. The
    time axis is labelled in ``tz`` (name it in ``labels.time_axis``).
    Raises ValueError if the period is empty.
    """
    if end_at <= start_at:
        raise ValueError("end_at must be after start_at")
    frame = _Frame(width=width, height=height)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    inside = sorted((p for p in points if start_at <= p.at <= end_at), key=lambda p: p.at)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kezek-chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        f'preserveAspectRatio="xMidYMid meet" font-family="sans-serif" font-size="12">',
        f'<title id="{escape(title_id)}">{escape(labels.title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(labels.desc)}</desc>',
    ]

    top_minutes = max((max(p.high_minutes, p.wait_minutes, p.low_minutes) for p in inside), default=0.0)
    in_hours = top_minutes > 120
    scale = 60.0 if in_hours else 1.0
    unit = labels.hours_unit if in_hours else labels.minutes_unit
    step = nice_step(top_minutes / scale)
    y_top = max(step, math.ceil((top_minutes / scale) / step) * step)
    span = (end_at - start_at).total_seconds()

    def x_of(at: datetime) -> float:
        return frame.left + frame.plot_width * (at - start_at).total_seconds() / span

    def y_of(minutes: float) -> float:
        value = min(max(minutes / scale, 0.0), y_top)
        return frame.top + frame.plot_height * (1 - value / y_top)

    # Grid and the y axis.
    parts.append('<g class="kezek-chart-axis" stroke="currentColor" stroke-opacity="0.25" fill="currentColor">')
    tick = 0.0
    while tick <= y_top + 1e-9:
        y = y_of(tick * scale)
        parts.append(
            f'<line x1="{frame.left}" x2="{_fmt(frame.left + frame.plot_width)}" y1="{_fmt(y)}" y2="{_fmt(y)}"/>'
        )
        parts.append(
            f'<text x="{frame.left - 6}" y="{_fmt(y + 4)}" text-anchor="end" stroke="none" fill-opacity="0.8">'
            f"{escape(_fmt(tick))}</text>"
        )
        tick += step
    parts.append(
        f'<text x="12" y="{_fmt(frame.top + frame.plot_height / 2)}" text-anchor="middle" stroke="none" '
        f'transform="rotate(-90 12 {_fmt(frame.top + frame.plot_height / 2)})">{escape(unit)}</text>'
    )
    # The x axis: a tick every 12 hours on a 72-hour chart, every 3 hours on a short one.
    every = timedelta(hours=12) if span > 24 * 3600 else timedelta(hours=3)
    baseline = frame.top + frame.plot_height
    parts.append(
        f'<line x1="{frame.left}" x2="{_fmt(frame.left + frame.plot_width)}" y1="{_fmt(baseline)}" '
        f'y2="{_fmt(baseline)}" stroke-opacity="0.6"/>'
    )
    for at in _time_ticks(start_at, end_at, every, tz):
        x = x_of(at)
        parts.append(f'<line x1="{_fmt(x)}" x2="{_fmt(x)}" y1="{_fmt(baseline)}" y2="{_fmt(baseline + 4)}"/>')
        # A label centred on a tick near the right edge would be cut off: end it at the tick instead.
        anchor = "end" if x > width - 36 else "middle"
        parts.append(
            f'<text x="{_fmt(x)}" y="{_fmt(baseline + 16)}" text-anchor="{anchor}" stroke="none" fill-opacity="0.8">'
            f"{at:%d.%m %H:%M}</text>"
        )
    parts.append(
        f'<text x="{_fmt(frame.left + frame.plot_width)}" y="{height - 4}" text-anchor="end" stroke="none" '
        f'fill-opacity="0.8">{escape(labels.time_axis)}</text>'
    )
    parts.append("</g>")

    if not inside:
        parts.append(
            f'<text class="kezek-chart-empty" x="{_fmt(frame.left + frame.plot_width / 2)}" '
            f'y="{_fmt(frame.top + frame.plot_height / 2)}" text-anchor="middle" fill="currentColor">'
            f"{escape(labels.no_data)}</text>"
        )
    for segment in _split_at_gaps(inside, gap):
        upper = [f"{_fmt(x_of(p.at))},{_fmt(y_of(p.high_minutes))}" for p in segment]
        lower = [f"{_fmt(x_of(p.at))},{_fmt(y_of(p.low_minutes))}" for p in reversed(segment)]
        line = [f"{_fmt(x_of(p.at))},{_fmt(y_of(p.wait_minutes))}" for p in segment]
        if len(segment) == 1:
            only = segment[0]
            x = _fmt(x_of(only.at))
            parts.append(
                f'<line class="kezek-chart-band" x1="{x}" x2="{x}" y1="{_fmt(y_of(only.high_minutes))}" '
                f'y2="{_fmt(y_of(only.low_minutes))}" stroke="#79aec8" stroke-width="4" stroke-opacity="0.5"/>'
            )
            parts.append(
                f'<circle class="kezek-chart-line" cx="{x}" cy="{_fmt(y_of(only.wait_minutes))}" r="2.5" '
                f'fill="#205067"/>'
            )
            continue
        parts.append(
            f'<polygon class="kezek-chart-band" points="{" ".join(upper + lower)}" fill="#79aec8" '
            f'fill-opacity="0.35" stroke="none"/>'
        )
        parts.append(
            f'<polyline class="kezek-chart-line" points="{" ".join(line)}" fill="none" stroke="#205067" '
            f'stroke-width="2" stroke-linejoin="round"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
