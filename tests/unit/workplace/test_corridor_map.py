"""The corridor map: crossings placed by their coordinates, coloured by their wait, linked to their cards."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from workplace.corridor_map import MapCrossing, MapLabels, corridor_map_svg, wait_band

LABELS = MapLabels(
    title="Corridor",
    desc="Crossings by current wait",
    bands={"short": "under 2 h", "moderate": "2–8 h", "long": "8–24 h", "severe": "a day or more", "none": "none"},
    borders={"KZ-RU": "Kazakhstan–Russia", "CN-KZ": "Kazakhstan–China"},
)


def crossing(slug: str, lat: float, lon: float, wait: float | None, countries=("KZ", "RU")) -> MapCrossing:
    return MapCrossing(
        slug=slug,
        label=slug.title(),
        lat=lat,
        lon=lon,
        countries=countries,
        wait_minutes=wait,
        wait_text="" if wait is None else f"{wait} min",
        href=f"#crossing-{slug}",
    )


def dot(svg: str, slug: str) -> tuple[float, float, str]:
    match = re.search(rf'data-crossing="{slug}" data-band="(\w+)">.*?<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert match, slug
    return float(match.group(2)), float(match.group(3)), match.group(1)


@pytest.mark.parametrize(
    ("minutes", "band"),
    [
        (None, "none"),
        (0, "short"),
        (119, "short"),
        (120, "moderate"),
        (479, "moderate"),
        (480, "long"),
        (1439, "long"),
        (1440, "severe"),
        (20160, "severe"),
    ],
)
def test_waits_fall_into_bands(minutes, band):
    assert wait_band(minutes) == band


def test_crossings_keep_their_places_west_east_and_north_south():
    svg = corridor_map_svg(
        crossings=[
            crossing("west", 47.0, 50.0, 30),
            crossing("east", 50.0, 80.0, 900, countries=("KZ", "CN")),
            crossing("north", 54.0, 65.0, None),
        ],
        labels=LABELS,
    )

    west, east, north = dot(svg, "west"), dot(svg, "east"), dot(svg, "north")
    assert west[0] < north[0] < east[0]
    assert north[1] < east[1] < west[1]  # y grows downwards
    assert (west[2], east[2], north[2]) == ("short", "long", "none")
    ElementTree.fromstring(svg)  # noqa: S314 - well-formed; the SVG is our own


def test_each_crossing_links_to_its_card_and_names_its_wait():
    svg = corridor_map_svg(crossings=[crossing("syrym", 51.5, 51.3, 610)], labels=LABELS)

    assert 'href="#crossing-syrym"' in svg
    assert "<title>Syrym: 610 min</title>" in svg


def test_an_empty_map_still_draws_its_legend():
    svg = corridor_map_svg(crossings=[], labels=LABELS)

    assert "a day or more" in svg
    ElementTree.fromstring(svg)  # noqa: S314 - well-formed; the SVG is our own


def test_names_are_escaped():
    hostile = MapCrossing(
        slug="x",
        label="<b>x</b>",
        lat=50,
        lon=60,
        countries=("KZ", "RU"),
        wait_minutes=None,
        wait_text="",
        href='#a"b',
    )

    svg = corridor_map_svg(crossings=[hostile], labels=LABELS)

    assert "<b>" not in svg
    ElementTree.fromstring(svg)  # noqa: S314 - well-formed; the SVG is our own
