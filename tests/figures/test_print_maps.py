"""Print maps: paper sizes, 300 dpi PNG, vector PDF with embedded fonts, labels, scale bar, north arrow, legend."""

from __future__ import annotations

import itertools
import re

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.offsetbox import AnchoredOffsetbox
from matplotlib.patches import Patch
from matplotlib.text import Annotation, Text
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import box

from circles.figures.print_maps import (
    LABEL_GID,
    NORTH_ARROW_GID,
    SCALE_BAR_GID,
    choropleth,
    paper_size,
    save_print_map,
)
from circles.geo.layers import ATTRIBUTION, embedded_layer

# ISO 216 in PostScript points (1/72 inch)
PAGE_POINTS = {"A4": (595.276, 841.890), "A3": (841.890, 1190.551)}
GI_COLOURS = {
    "Hot spot, 99%": "#b2182b",
    "Hot spot, 95%": "#ef8a62",
    "Not significant": "#f7f7f7",
    "Cold spot, 95%": "#67a9cf",
    "Cold spot, 99%": "#2166ac",
}


def grid(n: int = 6, cell: float = 1500.0) -> gpd.GeoDataFrame:
    """An n x n grid of square areas in EPSG:27700 near Blackburn, with long names (crowded labels)."""
    cells = [(i, j) for j in range(n) for i in range(n)]
    x0, y0 = 365000, 420000
    frame = gpd.GeoDataFrame(
        {
            "area_code": [f"E0{i}{j}" for i, j in cells],
            "area_name": [f"Long ward name number {i * n + j}" for i, j in cells],
            "people": [float(5 * (1 + (i * 7 + j * 3) % 11)) for i, j in cells],
        },
        geometry=[box(x0 + i * cell, y0 + j * cell, x0 + (i + 1) * cell, y0 + (j + 1) * cell) for i, j in cells],
        crs="EPSG:27700",
    )
    frame["people_suppressed"] = False
    hidden = [0, min(7, n * n - 1)]
    frame.loc[hidden, "people"] = np.nan
    frame.loc[hidden, "people_suppressed"] = True
    return frame


@pytest.fixture(scope="module")
def lsoa() -> gpd.GeoDataFrame:
    areas = embedded_layer("lsoa11").areas.copy()
    rng = np.random.default_rng(3)
    areas["people"] = (rng.integers(2, 30, len(areas)) * 5).astype(float)
    areas["people_suppressed"] = False
    areas.loc[areas.index[:5], ["people", "people_suppressed"]] = [np.nan, True]
    return areas


def legend_entries(figure) -> list[tuple[str, Patch]]:
    legend = figure.axes[0].get_legend()
    return [(t.get_text(), h) for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)]


def drawn_labels(figure) -> list[Text]:
    return [t for t in figure.axes[0].texts if t.get_gid() == LABEL_GID]


@pytest.mark.parametrize(("paper", "orientation"), list(itertools.product(["A4", "A3"], ["portrait", "landscape"])))
def test_pdf_and_png_match_the_paper(tmp_path, lsoa, paper, orientation):
    figure = choropleth(lsoa, "people", title="People", paper=paper, orientation=orientation, labels="area_name")
    pdf, png = save_print_map(figure, tmp_path / f"map_{paper}_{orientation}")
    plt.close(figure)
    assert (pdf.name, png.name) == (f"map_{paper}_{orientation}.pdf", f"map_{paper}_{orientation}.png")

    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    width, height = PAGE_POINTS[paper] if orientation == "portrait" else PAGE_POINTS[paper][::-1]
    page = reader.pages[0].mediabox
    assert abs(float(page.width) - width) <= 1 and abs(float(page.height) - height) <= 1
    # vector output with TrueType fonts embedded (pdf.fonttype 42), not Type 3 bitmaps
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts and all(f["/Subtype"] == "/Type0" for f in fonts)
    for font in fonts:
        descendant = font["/DescendantFonts"][0].get_object()
        assert descendant["/Subtype"] == "/CIDFontType2"
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object()

    with Image.open(png) as image:
        assert [round(d) for d in image.info["dpi"]] == [300, 300]
        inches = paper_size(paper, orientation)
        expected = [x * 300 for x in inches]
        assert all(abs(got - want) <= 1 for got, want in zip(image.size, expected, strict=True))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # atomic writes leave no temp files


def test_default_is_a4_portrait_and_figsize_still_overrides(lsoa):
    figure = choropleth(lsoa, "people", title="People")
    assert np.allclose(figure.get_size_inches(), paper_size("A4"))
    plt.close(figure)
    figure = choropleth(lsoa, "people", title="People", figsize=(8.27, 8.8))
    assert np.allclose(figure.get_size_inches(), (8.27, 8.8))
    plt.close(figure)


def test_suppressed_areas_have_a_hatched_legend_entry_with_their_count(lsoa):
    figure = choropleth(lsoa, "people", title="People")
    entries = legend_entries(figure)
    suppressed = [(text, handle) for text, handle in entries if text.startswith("Suppressed")]
    assert len(suppressed) == 1
    text, handle = suppressed[0]
    assert "(5 areas)" in text
    assert handle.get_hatch() == "///"
    # every other area is counted in exactly one class
    counted = sum(int(re.search(r"\((\d+) areas?\)", t).group(1)) for t, _ in entries if not t.startswith("Supp"))
    assert counted == len(lsoa) - 5
    plt.close(figure)


def test_scale_bar_north_arrow_and_attribution_are_drawn(lsoa):
    figure = choropleth(lsoa, "people", title="People")
    ax = figure.axes[0]
    bars = [a for a in ax.artists if isinstance(a, AnchoredOffsetbox) and a.get_gid() == SCALE_BAR_GID]
    assert len(bars) == 1
    bar_label = [t.get_text() for t in bars[0].findobj(Text)]
    assert any(re.fullmatch(r"\d+ (km|m)", label) for label in bar_label)
    arrows = [t for t in ax.texts if isinstance(t, Annotation) and t.get_gid() == NORTH_ARROW_GID]
    assert len(arrows) == 1 and arrows[0].get_text() == "N" and arrows[0].arrow_patch is not None
    texts = [" ".join(t.get_text().split()) for t in figure.findobj(Text)]
    assert any(" ".join(ATTRIBUTION.split()) in text for text in texts)
    plt.close(figure)


def test_scale_bar_length_is_round_and_in_metres():
    figure = choropleth(grid(), "people", title="People")  # about 9 km across
    bar = next(a for a in figure.axes[0].artists if a.get_gid() == SCALE_BAR_GID)
    assert [t.get_text() for t in bar.findobj(Text)] == ["1 km"]
    plt.close(figure)


def test_no_scale_bar_without_a_projected_crs():
    figure = choropleth(grid().to_crs("EPSG:4326"), "people", title="People")
    assert not [a for a in figure.axes[0].artists if a.get_gid() == SCALE_BAR_GID]
    plt.close(figure)


def assert_no_overlaps(figure) -> list[Text]:
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    labels = drawn_labels(figure)
    boxes = [t.get_window_extent(renderer) for t in labels]
    frame = figure.axes[0].get_window_extent(renderer)
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    # nor over the scale bar or the north arrow
    furniture = [a.get_window_extent(renderer) for a in figure.axes[0].artists if a.get_gid() == SCALE_BAR_GID]
    furniture += [t.get_window_extent(renderer) for t in figure.axes[0].texts if t.get_gid() == NORTH_ARROW_GID]
    for label, thing in itertools.product(boxes, furniture):
        assert not label.overlaps(thing)
    assert all(frame.contains(b.x0, b.y0) and frame.contains(b.x1, b.y1) for b in boxes)
    return labels


@pytest.mark.parametrize(("paper", "orientation"), [("A4", "portrait"), ("A3", "landscape")])
def test_labels_never_overlap_and_are_readable(paper, orientation):
    crowded = grid(n=12, cell=300)
    figure = choropleth(crowded, "people", title="People", labels="area_name", paper=paper, orientation=orientation)
    labels = assert_no_overlaps(figure)
    assert 0 < len(labels) < len(crowded)  # crowded: some labels are left out rather than overlapping
    assert all(t.get_fontsize() >= 6 for t in labels)
    assert all(t.get_path_effects() for t in labels)  # white halo
    plt.close(figure)


def test_labels_survive_saving_and_layout_is_kept(tmp_path, lsoa):
    figure = choropleth(lsoa, "people", title="People", labels="area_name")
    before = [t.get_position() for t in drawn_labels(figure)]
    save_print_map(figure, tmp_path / "lsoa")
    assert [t.get_position() for t in drawn_labels(figure)] == before
    assert_no_overlaps(figure)
    plt.close(figure)


def test_the_png_is_matplotlibs_300_dpi_drawing_in_rgb(tmp_path, lsoa):
    """An opaque map is written RGB (no alpha channel to compress), pixel for pixel what matplotlib's own PNG
    at 300 dpi holds, and says 300 dpi; the figure keeps its own dpi afterwards."""
    figure = choropleth(lsoa, "people", title="People", labels="area_name")
    dpi = figure.dpi
    pdf, png = save_print_map(figure, tmp_path / "lsoa")
    assert figure.dpi == dpi
    figure.savefig(tmp_path / "matplotlib.png", dpi=300)
    ours, theirs = Image.open(png), Image.open(tmp_path / "matplotlib.png")
    assert ours.mode == "RGB" and theirs.mode == "RGBA" and ours.size == theirs.size
    assert [round(d) for d in ours.info["dpi"]] == [300, 300]
    assert np.array_equal(np.asarray(ours), np.asarray(theirs.convert("RGB")))
    # a see-through figure keeps its alpha channel
    figure.patch.set_alpha(0.0)
    _, clear = save_print_map(figure, tmp_path / "clear")
    assert Image.open(clear).mode == "RGBA"
    plt.close(figure)


def test_ward_map_labels_every_ward_that_fits():
    wards = embedded_layer("ward2025").areas
    wards["people"] = np.arange(len(wards), dtype=float) * 5 + 10
    figure = choropleth(wards, "people", title="People by ward", labels="area_name")
    labels = assert_no_overlaps(figure)
    assert len(labels) >= 0.8 * len(wards)
    names = {t.get_text().replace("\n", " ") for t in labels}
    assert names <= set(wards["area_name"])
    plt.close(figure)


def test_categorical_legend_lists_classes_in_order_with_counts():
    frame = grid(n=4)
    labels = list(GI_COLOURS)
    frame["gi_label"] = [labels[i % 4] for i in range(len(frame))]  # "Cold spot, 99%" has no areas
    figure = choropleth(frame, "gi_label", title="Hot spots", categorical=GI_COLOURS)
    entries = legend_entries(figure)
    assert [text.split("  (")[0] for text, _ in entries] == labels
    counts = frame["gi_label"].value_counts()
    for text, handle in entries:
        name, n = re.fullmatch(r"(.+)  \((\d+) areas?\)", text).groups()
        assert int(n) == counts.get(name, 0)
        assert handle.get_facecolor()[:3] == pytest.approx(plt.matplotlib.colors.to_rgb(GI_COLOURS[name]))
    plt.close(figure)


def test_categorical_bins_match_integer_keys_and_show_suppressed():
    frame = grid(n=3)
    frame["gi_bin"] = [-1.0, 0.0, 1.0] * 3
    colours = {"-1": "#67a9cf", "0": "#f7f7f7", "1": "#ef8a62"}
    figure = choropleth(frame, "gi_bin", title="Gi* bins", categorical=colours, suppressed="people_suppressed")
    texts = [text for text, _ in legend_entries(figure)]
    assert texts[:3] == ["-1  (2 areas)", "0  (2 areas)", "1  (3 areas)"]  # cells 0 and 7 are suppressed
    assert texts[3] == "Suppressed: small number (2 areas)"
    plt.close(figure)


def test_unknown_category_is_an_error():
    frame = grid(n=2)
    frame["comparison"] = ["higher", "lower", "similar", "unknown"]
    with pytest.raises(ValueError, match="unknown"):
        choropleth(frame, "comparison", title="x", categorical={"higher": "red", "similar": "grey", "lower": "blue"})


def test_rate_map_with_and_without_optional_columns():
    frame = grid(n=4)
    frame["rate"] = frame["people"] / 7.0
    frame["rate_lower"], frame["rate_upper"] = frame["rate"] * 0.8, frame["rate"] * 1.2
    frame["comparison"] = "similar"
    figure = choropleth(frame, "rate", title="Rate per 1,000")
    texts = [text for text, _ in legend_entries(figure)]
    # rates keep a decimal place; NA rates in rows with a suppressed count are drawn as suppressed
    assert any(re.search(r"\d\.\d", text) for text in texts)
    assert texts[-1] == "Suppressed: small number (2 areas)"
    plt.close(figure)


def test_missing_value_that_is_not_suppressed_is_shown_as_no_value():
    frame = grid(n=3).drop(columns="people_suppressed")
    figure = choropleth(frame, "people", title="People")
    assert [text for text, _ in legend_entries(figure)][-1] == "No value (2 areas)"
    plt.close(figure)


def test_bad_arguments_are_refused(lsoa):
    with pytest.raises(ValueError, match="paper"):
        choropleth(lsoa, "people", title="x", paper="A5")
    with pytest.raises(ValueError, match="orientation"):
        choropleth(lsoa, "people", title="x", orientation="sideways")
    with pytest.raises(ValueError, match="no such column"):
        choropleth(lsoa, "people", title="x", labels="ward_name")
