"""The workplace's SVG chart: a pure function from points to an accessible, well-formed SVG."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workplace.charts import ChartLabels, ChartPoint, nice_step, wait_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
END = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
START = END - timedelta(hours=72)
LABELS = ChartLabels(title="Wait at Syrym, KZ-RU", desc="Hourly average.", no_data="No data", time_axis="UTC")


def parse(svg_text: str) -> ET.Element:
    return ET.fromstring(svg_text)  # noqa: S314 - the SVG under test is made by our own code


def hourly(waits: list[float], *, spread: float = 30) -> list[ChartPoint]:
    return [
        ChartPoint(
            at=END - timedelta(hours=len(waits) - 1 - index),
            wait_minutes=wait,
            low_minutes=max(0, wait - spread),
            high_minutes=wait + spread,
        )
        for index, wait in enumerate(waits)
    ]


def coordinates(points_attribute: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in pair.split(",")) for pair in points_attribute.split()]


def render(points, **kwargs) -> ET.Element:
    return parse(wait_chart_svg(points=points, start_at=START, end_at=END, labels=LABELS, chart_id="q1", **kwargs))


def test_chart_is_an_image_named_by_its_title_and_description():
    svg = render(hourly([60, 90, 120]))

    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "q1-title q1-desc"
    assert svg.find(f"{SVG}title").text == "Wait at Syrym, KZ-RU"
    assert svg.find(f"{SVG}title").get("id") == "q1-title"
    assert svg.find(f"{SVG}desc").text == "Hourly average."


def test_chart_draws_the_wait_line_over_the_low_high_band():
    svg = render(hourly([60, 90, 120, 100]))

    line = svg.find(f"{SVG}polyline")
    band = svg.find(f"{SVG}polygon")
    assert len(coordinates(line.get("points"))) == 4
    assert len(coordinates(band.get("points"))) == 8
    # The band's top edge is above the line everywhere (smaller y is higher on screen).
    for (_, line_y), (_, high_y) in zip(
        coordinates(line.get("points")), coordinates(band.get("points"))[:4], strict=True
    ):
        assert high_y <= line_y


def test_chart_labels_both_axes_with_units_and_times():
    svg_text = wait_chart_svg(points=hourly([30, 45]), start_at=START, end_at=END, labels=LABELS, chart_id="q1")

    texts = [t.text for t in parse(svg_text).iter(f"{SVG}text")]
    assert "min" in texts
    assert "UTC" in texts
    assert "21.11 12:00" in texts  # a tick every 12 hours, on the hour
    assert "18.11 12:00" in texts


def test_waits_over_two_hours_are_shown_in_hours():
    texts = [t.text for t in render(hourly([300, 600])).iter(f"{SVG}text")]

    assert "h" in texts
    assert "min" not in texts


def test_a_hole_in_the_history_breaks_the_line():
    points = [
        *hourly([60, 70, 80]),
        ChartPoint(at=END - timedelta(hours=30), wait_minutes=50, low_minutes=40, high_minutes=60),
        ChartPoint(at=END - timedelta(hours=29), wait_minutes=55, low_minutes=45, high_minutes=65),
    ]

    assert len(render(points).findall(f"{SVG}polyline")) == 2


def test_a_lone_point_is_drawn_as_a_dot():
    svg = render(hourly([60]))

    assert svg.find(f"{SVG}circle") is not None
    assert svg.find(f"{SVG}polyline") is None


def test_no_points_says_so_in_the_chart():
    svg = render([])

    assert "No data" in [t.text for t in svg.iter(f"{SVG}text")]
    assert svg.find(f"{SVG}polyline") is None


def test_points_outside_the_period_are_left_out():
    outside = ChartPoint(at=START - timedelta(hours=1), wait_minutes=10_000, low_minutes=0, high_minutes=20_000)

    svg_text = wait_chart_svg(
        points=[outside, *hourly([60, 70])], start_at=START, end_at=END, labels=LABELS, chart_id="q"
    )

    assert len(coordinates(parse(svg_text).find(f"{SVG}polyline").get("points"))) == 2


def test_text_is_escaped():
    labels = ChartLabels(title='<script>alert("x")</script>', desc="a & b", no_data="<none>")

    svg_text = wait_chart_svg(points=[], start_at=START, end_at=END, labels=labels, chart_id='x"y')

    assert "<script>" not in svg_text
    assert parse(svg_text).find(f"{SVG}title").text == '<script>alert("x")</script>'


def test_an_empty_period_is_refused():
    with pytest.raises(ValueError, match="end_at"):
        wait_chart_svg(points=[], start_at=END, end_at=END, labels=LABELS, chart_id="q")


@pytest.mark.parametrize(("max_value", "step"), [(0, 1), (7, 2), (10, 5), (45, 20), (100, 50), (1234, 500), (0.3, 0.1)])
def test_nice_step_is_a_round_number(max_value, step):
    assert nice_step(max_value) == pytest.approx(step)


minutes = st.floats(min_value=0, max_value=10_000, allow_nan=False)
chart_points = st.lists(
    st.builds(
        lambda offset, wait, spread_low, spread_high: ChartPoint(
            at=START + timedelta(minutes=offset),
            wait_minutes=wait,
            low_minutes=max(0.0, wait - spread_low),
            high_minutes=wait + spread_high,
        ),
        st.integers(min_value=-600, max_value=72 * 60 + 600),
        minutes,
        minutes,
        minutes,
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(
    points=chart_points,
    width=st.integers(min_value=200, max_value=1200),
    height=st.integers(min_value=120, max_value=600),
)
def test_every_drawn_point_lies_inside_the_plot_area(points, width, height):
    svg = parse(
        wait_chart_svg(
            points=points, start_at=START, end_at=END, labels=LABELS, chart_id="h", width=width, height=height
        )
    )

    assert svg.get("viewBox") == f"0 0 {width} {height}"
    drawn = []
    for shape in [*svg.iter(f"{SVG}polyline"), *svg.iter(f"{SVG}polygon")]:
        drawn += coordinates(shape.get("points"))
    drawn += [(float(c.get("cx")), float(c.get("cy"))) for c in svg.iter(f"{SVG}circle")]
    for x, y in drawn:
        assert 0 <= x <= width
        assert 0 <= y <= height
    inside = [p for p in points if START <= p.at <= END]
    line_points = sum(len(coordinates(line.get("points"))) for line in svg.iter(f"{SVG}polyline"))
    dots = len(list(svg.iter(f"{SVG}circle")))
    assert line_points + dots == len(inside)
    assert not re.search(r"nan|inf", ET.tostring(svg, encoding="unicode"))
