"""The stay calendar strip of the driver page: a pure function from days of stay to an SVG string.

Twelve months side by side, one small square per day (the day of the month reads left to right, top to bottom,
seven to a row). A day spent in the country is filled; the days a driver already in the country may still
stay (up to the latest exit) are lightly filled; today and the latest exit are outlined. Above the months a
gauge shows the days used against the rule's limit. Like :mod:`workplace.charts` it draws no JavaScript,
fetches nothing, and takes every word already translated, so it stays free of the request, clock and database.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

__all__ = ["CalendarLabels", "StripFacts", "month_starts", "stay_calendar_svg"]

CELL = 9
GAP = 1
COLUMNS = 7
ROWS = 5  # 7 x 5 = 35 squares hold the longest month
MONTH_GAP = 10
MONTH_WIDTH = COLUMNS * (CELL + GAP)
GAUGE_TOP = 4
GAUGE_HEIGHT = 10
GAUGE_BAR_WIDTH = 240
MONTHS_TOP = 38
MONTHS_PER_ROW = 6  # twelve months in two rows of six: readable at the width of the driver page's card
MONTH_LABEL_SPACE = 18
BLOCK_HEIGHT = ROWS * (CELL + GAP) + MONTH_LABEL_SPACE
CHAR_WIDTH = 6.5  # a 10-11 px sans-serif letter, generously
LEGEND_GAP = 16

INSIDE_COLOUR = "#205067"
ALLOWED_COLOUR = "#79aec8"
TODAY_COLOUR = "#111111"
EXIT_COLOUR = "#b3261e"


@dataclass(frozen=True)
class CalendarLabels:
    """The words a strip shows, already translated. ``month_names`` holds twelve short names, January first;
    ``gauge`` is the text beside the gauge (e.g. "64 of 90 days used")."""

    title: str
    desc: str
    month_names: Sequence[str]
    gauge: str
    inside: str
    allowed: str
    today: str
    latest_exit: str


@dataclass(frozen=True)
class StripFacts:
    """What the strip draws, in the host country's calendar.

    ``inside``: every day spent in the country (entry and exit days included). ``counted_from``: the first day
    of the rule's window (days inside before it are drawn faint: they no longer count). ``latest_exit``: the
    last day the driver may stay, while in the country (None otherwise).
    """

    inside: Collection[date]
    today: date
    days_used: int
    limit_days: int | None
    counted_from: date | None = None
    latest_exit: date | None = None


def month_starts(first: date, count: int = 12) -> list[date]:
    """The first days of ``count`` consecutive months starting with ``first``'s month."""
    year, month = first.year, first.month
    starts = []
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def _cell_origin(month_index: int, day: int) -> tuple[int, int]:
    column, row = (day - 1) % COLUMNS, (day - 1) // COLUMNS
    block_column, block_row = month_index % MONTHS_PER_ROW, month_index // MONTHS_PER_ROW
    x = block_column * (MONTH_WIDTH + MONTH_GAP) + column * (CELL + GAP)
    y = MONTHS_TOP + block_row * BLOCK_HEIGHT + row * (CELL + GAP)
    return x, y


def _legend_width(labels: CalendarLabels) -> int:
    texts = (labels.inside, labels.allowed, labels.today, labels.latest_exit)
    return sum(CELL + 16 + 7 * len(text) for text in texts)


def stay_calendar_svg(*, facts: StripFacts, first_month: date, labels: CalendarLabels, chart_id: str) -> str:
    """An SVG calendar strip of the twelve months from ``first_month``'s month.

    The SVG is an image with a title and a description (``aria-labelledby``); ``chart_id`` keeps its ids unique on
    a page. Every piece of text is escaped. Raises ValueError unless ``labels.month_names`` has twelve names.
    """
    if len(labels.month_names) != 12:
        raise ValueError("month_names must name the twelve months")
    months = month_starts(first_month)
    grid_width = MONTHS_PER_ROW * (MONTH_WIDTH + MONTH_GAP) - MONTH_GAP
    gauge_width = GAUGE_BAR_WIDTH + 8 + math.ceil(CHAR_WIDTH * len(labels.gauge))
    width = max(grid_width, gauge_width, _legend_width(labels))
    block_rows = math.ceil(len(months) / MONTHS_PER_ROW)
    legend_y = MONTHS_TOP + block_rows * BLOCK_HEIGHT - MONTH_LABEL_SPACE + LEGEND_GAP
    height = legend_y + 6
    inside = set(facts.inside)
    allowed: set[date] = set()
    if facts.latest_exit is not None and facts.latest_exit > facts.today:
        allowed = {facts.today + timedelta(days=n) for n in range(1, (facts.latest_exit - facts.today).days + 1)}
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kezek-calendar" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        f'font-family="sans-serif" font-size="10">',
        f'<title id="{escape(title_id)}">{escape(labels.title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(labels.desc)}</desc>',
    ]
    parts.extend(_gauge(facts, labels, width))
    for index, start in enumerate(months):
        x0, y0 = _cell_origin(index, 1)
        parts.append(
            f'<text x="{x0}" y="{y0 - 4}" fill="currentColor">'
            f"{escape(labels.month_names[start.month - 1])} {start.year % 100:02d}</text>"
        )
        for day in range(1, calendar.monthrange(start.year, start.month)[1] + 1):
            parts.append(_cell(index, date(start.year, start.month, day), facts, inside, allowed, labels))
    parts.extend(_legend(labels, legend_y))
    parts.append("</svg>")
    return "".join(parts)


def _gauge(facts: StripFacts, labels: CalendarLabels, width: int) -> list[str]:
    """The days used against the limit: a bar as wide as the limit, filled to the days used (red past it)."""
    bar_width = min(GAUGE_BAR_WIDTH, width // 2)
    parts = [
        f'<rect class="kezek-calendar-limit" x="0" y="{GAUGE_TOP}" width="{bar_width}" height="{GAUGE_HEIGHT}" '
        f'fill="none" stroke="currentColor" stroke-opacity="0.5"/>'
    ]
    if facts.limit_days:
        share = min(facts.days_used / facts.limit_days, 1.0)
        colour = EXIT_COLOUR if facts.days_used > facts.limit_days else INSIDE_COLOUR
        parts.append(
            f'<rect class="kezek-calendar-used" x="0" y="{GAUGE_TOP}" width="{round(bar_width * share, 1)}" '
            f'height="{GAUGE_HEIGHT}" fill="{colour}"/>'
        )
    parts.append(
        f'<text x="{bar_width + 8}" y="{GAUGE_TOP + GAUGE_HEIGHT - 1}" fill="currentColor" font-size="11">'
        f"{escape(labels.gauge)}</text>"
    )
    return parts


def _cell(
    index: int, day: date, facts: StripFacts, inside: set[date], allowed: set[date], labels: CalendarLabels
) -> str:
    x, y = _cell_origin(index, day.day)
    classes = ["kezek-day"]
    fill, opacity, notes = "currentColor", "0.08", []
    if day in inside:
        counted = facts.counted_from is None or day >= facts.counted_from
        classes.append("kezek-day-in" if counted else "kezek-day-in-uncounted")
        fill, opacity = INSIDE_COLOUR, "1" if counted else "0.35"
        notes.append(labels.inside)
    elif day in allowed:
        classes.append("kezek-day-allowed")
        fill, opacity = ALLOWED_COLOUR, "0.7"
        notes.append(labels.allowed)
    stroke = ""
    if day == facts.latest_exit:
        classes.append("kezek-day-exit")
        stroke = f' stroke="{EXIT_COLOUR}" stroke-width="2"'
        notes.append(labels.latest_exit)
    if day == facts.today:
        classes.append("kezek-day-today")
        stroke = f' stroke="{TODAY_COLOUR}" stroke-width="2"'
        notes.append(labels.today)
    rect = (
        f'<rect class="{" ".join(classes)}" x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{fill}" '
        f'fill-opacity="{opacity}"{stroke}'
    )
    if not notes:
        return rect + "/>"
    return rect + f"><title>{day.isoformat()}: {escape(', '.join(notes))}</title></rect>"


def _legend(labels: CalendarLabels, y: int) -> list[str]:
    items = [
        (INSIDE_COLOUR, "1", "", labels.inside),
        (ALLOWED_COLOUR, "0.7", "", labels.allowed),
        ("none", "1", f' stroke="{TODAY_COLOUR}" stroke-width="2"', labels.today),
        ("none", "1", f' stroke="{EXIT_COLOUR}" stroke-width="2"', labels.latest_exit),
    ]
    parts = ['<g class="kezek-calendar-legend">']
    x = 0
    for fill, opacity, stroke, text in items:
        parts.append(
            f'<rect x="{x}" y="{y - CELL + 1}" width="{CELL}" height="{CELL}" fill="{fill}" '
            f'fill-opacity="{opacity}"{stroke}/>'
        )
        parts.append(f'<text x="{x + CELL + 4}" y="{y}" fill="currentColor">{escape(text)}</text>')
        x += CELL + 16 + 7 * len(text)
    parts.append("</g>")
    return parts
