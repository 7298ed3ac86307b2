"""The pack figures' SVG: text kept as text, a label's halo drawn as text stroked underneath."""

from __future__ import annotations

import re

import geopandas as gpd
from matplotlib.figure import Figure
from shapely.geometry import box

from circles.figures.media import MEDIA, Halo, save_svg
from circles.figures.print_maps import LABEL_GID, choropleth

_TEXT = re.compile(r"<text [^>]*>(.*?)</text>", re.S)


def _texts(svg: str, word: str) -> list[str]:
    """The <text> elements whose content is ``word``."""
    return [m.group(0) for m in _TEXT.finditer(svg) if m.group(1) == word]


def test_a_haloed_text_is_written_twice_halo_first_and_never_as_outlines(tmp_path):
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    label = ax.text(0.5, 0.5, "Sudell\nBastwell", color="#111111", gid="my-label", path_effects=[Halo(2.8)])
    plain = ax.text(0.1, 0.1, "Shadsworth", gid="plain")
    svg = save_svg(fig, tmp_path / "f.svg").read_text()

    for word in ("Sudell", "Bastwell"):  # each line: the halo, then the ink
        halo, ink = _texts(svg, word)
        assert "stroke: white; stroke-width: 2.8; stroke-linejoin: round" in halo and "fill: white" in halo
        assert "fill: #111111" in ink and "stroke" not in ink
        assert svg.index(halo) < svg.index(ink)
    group = svg[svg.index('<g id="my-label">') :]
    assert "<path" not in group[: group.index("</g>")]  # no glyph outlines
    assert "circles-halo" not in svg
    (only,) = _texts(svg, "Shadsworth")  # a text with no halo is written once, as it was
    assert "stroke" not in only and 'id="plain"' in svg
    # the figure is as it was: a PDF or PNG saved next still draws the halo as matplotlib's path effect
    assert label.get_gid() == "my-label" and [type(e) for e in label.get_path_effects()] == [Halo]
    assert plain.get_path_effects() == []


def test_the_same_figure_writes_the_same_bytes(tmp_path):
    fig = Figure(figsize=(3, 2))
    fig.text(0.5, 0.5, "Ewood", path_effects=[Halo(2.0, "#fafafa")])
    first = save_svg(fig, tmp_path / "a.svg").read_bytes()
    assert save_svg(fig, tmp_path / "b.svg").read_bytes() == first
    assert b"stroke: #fafafa; stroke-width: 2" in first


def test_a_pack_map_labels_its_areas_in_text(tmp_path):
    """A print-medium map: every area label is SVG text over its halo, so WeasyPrint lays out characters (a
    few hundred bytes) instead of parsing each label's glyph outlines twice, and a reader can search them."""
    areas = gpd.GeoDataFrame(
        {"area_code": ["E1", "E2"], "area_name": ["Little Harwood & Whitebirk", "Roe Lee"], "rate": [3.0, 9.0]},
        geometry=[box(0, 0, 4000, 4000), box(4000, 0, 8000, 4000)],
        crs="EPSG:27700",
    )
    fig = choropleth(areas, "rate", title="Rate", labels="area_name", medium=MEDIA["print"])
    labels = [t for t in fig.axes[0].texts if t.get_gid() == LABEL_GID]
    assert labels
    svg = save_svg(fig, tmp_path / "map.svg").read_text()
    lines = [line for t in labels for line in t.get_text().split("\n")]
    for line in lines:
        escaped = line.replace("&", "&amp;")
        halo, ink = _texts(svg, escaped)
        assert "stroke: white" in halo and "stroke" not in ink
    assert svg.count(f'<g id="{LABEL_GID}">') == len(labels)
