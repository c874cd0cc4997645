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


@pytest.mark.parametrize("name_column", ["name_en", "name_ru", "name_kk"])
def test_no_two_names_on_the_shipped_corridor_overlap(name_column):
    from queues.catalogue import read_crossings
    from workplace.corridor_map import _label_box, _overlap

    crossings = [
        MapCrossing(
            slug=row["slug"],
            label=(row[name_column] or row["name_ru"] or row["name_en"]).split(" – ")[0],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            countries=(row["country_a"], row["country_b"]),
            wait_minutes=None,
            wait_text="",
            href=f"#{row['slug']}",
        )
        for row in read_crossings()
    ]

    root = ElementTree.fromstring(corridor_map_svg(crossings=crossings, labels=LABELS))  # noqa: S314 - our own SVG
    svg = "{http://www.w3.org/2000/svg}"
    names = [text for link in root.iter(f"{svg}a") for text in link.iter(f"{svg}text")]
    names += [text for text in root.iter(f"{svg}text") if text.get("class") == "kezek-map-border-name"]
    boxes = [_label_box(float(t.get("x")), float(t.get("y")), t.text, t.get("text-anchor")) for t in names]

    assert len(names) == len(crossings) + 3  # every crossing and each border (KZ-RU, CN-KZ, CN-RU) is named
    clashes = [
        (names[i].text, names[j].text)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if _overlap(boxes[i], boxes[j]) > 0
    ]
    assert clashes == []
