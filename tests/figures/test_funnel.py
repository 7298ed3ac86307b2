"""Funnel plot figures: A4 landscape vector PDF, band legend with counts, labels for outliers, plotly hover."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from pypdf import PdfReader

from circles.figures.funnel import (
    FUNNEL_LABEL_GID,
    SYNTHETIC_GID,
    SYNTHETIC_MARK,
    band_legend_label,
    funnel_figure,
    funnel_html,
)
from circles.stats.funnel import BAND_COLOURS, funnel_table

LEGEND_PREFIXES = ("Above", "Within", "Below", "No population")


def synthetic_wards(n: int = 30, seed: int = 11, *, empty: int = 0):
    """Wards with Poisson counts around 12 per 1,000, two planted high and one planted low."""
    rng = np.random.default_rng(seed)
    codes = [f"E0500{i:04d}" for i in range(n)]
    names = pd.Series([f"Ward {i:02d}" for i in range(n)], index=codes)
    population = pd.Series(rng.integers(3000, 15000, n).astype(float), index=codes)
    counts = pd.Series(rng.poisson(population * 0.012).astype(float), index=codes)
    counts.iloc[0] = round(population.iloc[0] * 0.03)
    counts.iloc[1] = round(population.iloc[1] * 0.024)
    counts.iloc[2] = round(population.iloc[2] * 0.004)
    for i in range(empty):
        population.iloc[-1 - i] = 0.0
    return funnel_table(counts, population, names=names)


def band_entries(figure) -> list[str]:
    (legend,) = figure.legends
    return [t.get_text() for t in legend.get_texts() if t.get_text().startswith(LEGEND_PREFIXES)]


def labels(figure):
    return [t for t in figure.axes[0].texts if t.get_gid() == FUNNEL_LABEL_GID]


@pytest.fixture(scope="module")
def result():
    return synthetic_wards(empty=1)


@pytest.fixture(scope="module")
def figure(result):
    return funnel_figure(result, title="Parents drinking at harmful levels", subtitle="Wards", synthetic=True)


def test_a4_landscape(figure):
    assert tuple(figure.get_size_inches()) == pytest.approx((11.69, 8.27))


def test_one_legend_entry_per_band_present_with_its_count(result, figure):
    counts = result.counts_by_band()
    expected = [band_legend_label(band, n) for band, n in counts.items() if n]
    assert band_entries(figure) == expected
    assert "Above 99.8% limit (" in " ".join(expected) and "No population: not shown (1)" in expected
    assert sum(int(entry.rsplit("(", 1)[1].rstrip(")")) for entry in band_entries(figure)) == len(result.table)


def test_points_are_coloured_by_band(result, figure):
    from matplotlib.colors import to_hex

    collections = [c for c in figure.axes[0].collections if isinstance(c, PathCollection)]
    placed = result.table[result.table["band"] != "no population"]
    assert sum(len(c.get_offsets()) for c in collections) == len(placed)
    counts = result.counts_by_band()
    for collection in collections:
        (band,) = [b for b, n in counts.items() if band_legend_label(b, n) == collection.get_label()]
        assert to_hex(collection.get_facecolor()[0]).upper() == BAND_COLOURS[band]
        rows = placed[placed["band"] == band]
        np.testing.assert_allclose(collection.get_offsets(), rows[["population", "rate"]].to_numpy())


def test_labels_exactly_the_areas_outside_95(result, figure):
    table = result.table
    outside = table.loc[~table["band"].isin(["within 95%", "no population"]), "name"]
    assert len(outside) >= 3
    assert sorted(t.get_text() for t in labels(figure)) == sorted(outside)
    assert all(t.get_fontsize() >= 7 for t in labels(figure))


def test_labels_do_not_overlap(figure):
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in labels(figure)]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def test_crowded_labels_are_all_placed():
    """Many outliers at similar populations: every one is still labelled (overlaps kept small, not dropped)."""
    codes = [f"A{i}" for i in range(12)]
    population = pd.Series(np.linspace(5000, 5600, 12), index=codes)
    counts = pd.Series(np.r_[np.full(6, 130.0), np.full(6, 20.0)], index=codes)
    result = funnel_table(counts, population, target=12, names=pd.Series([f"Area {i}" for i in range(12)], codes))
    figure = funnel_figure(result, title="Crowded")
    assert len(labels(figure)) == 12


def test_a_pack_figure_leaves_off_names_that_would_overlap_and_says_how_many():
    """At its printed size a crowded funnel names what fits, the most extreme areas first, and says how many
    names it left off (the pack's area table names them all); no name is printed over another."""
    codes = [f"A{i}" for i in range(12)]
    population = pd.Series(np.linspace(5000, 5600, 12), index=codes)
    counts = pd.Series(np.r_[np.full(6, 130.0), np.full(6, 20.0)], index=codes)
    result = funnel_table(counts, population, target=12, names=pd.Series([f"Area {i}" for i in range(12)], codes))
    figure = funnel_figure(result, title="Crowded", medium="print")
    named = labels(figure)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in named]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    left_off = 12 - len(named)
    assert 0 < left_off < 12
    notes = [t.get_text() for t in figure.texts if "left off" in t.get_text()]
    assert notes == [f"{left_off} names left off where they would overlap: the area table names every area"]
    extreme = set(result.table.index[result.table["band"].isin(["above 99.8%", "below 99.8%"])])
    shown = {t.get_text() for t in named}
    beyond = {result.table.at[c, "name"] for c in extreme}
    assert beyond <= shown or len(shown) < len(beyond)  # the extreme areas are named before any other


@pytest.mark.parametrize("medium", ["print", "large"])
def test_the_legend_stays_on_the_page_and_leaves_the_plot_room(medium):
    # in large print the legend's two columns of 16 pt ran off a 178 mm page ("Study-area rate: 10.7 p")
    result = synthetic_wards(empty=3)
    figure = funnel_figure(result, title="Wards", medium=medium, target_label="borough rate")
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    page = figure.bbox
    (legend,) = figure.legends
    texts = legend.get_texts()
    assert "Borough rate" in " ".join(t.get_text() for t in texts)
    for text in texts:
        box = text.get_window_extent(renderer)
        assert page.x0 <= box.x0 and box.x1 <= page.x1, (medium, text.get_text())
    plot = figure.axes[0].get_window_extent(renderer)
    assert plot.height > 0.35 * page.height  # the legend did not squash the plot to a sliver


def test_caption_axes_and_title(figure):
    texts = [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]
    joined = " ".join(texts)
    assert "Exact Poisson control limits around the study-area rate (Spiegelhalter 2005)" in joined
    assert "Parents drinking at harmful levels" in joined
    assert figure.axes[0].get_xlabel() == "residents"
    assert figure.axes[0].get_ylabel() == "rate per 1,000 residents"


def test_synthetic_mark_only_when_asked(result, figure):
    marks = figure.findobj(lambda a: getattr(a, "get_gid", lambda: None)() == SYNTHETIC_GID)
    assert any(getattr(m, "get_text", lambda: "")() == SYNTHETIC_MARK for m in marks)
    plain = funnel_figure(result, title="Real")
    assert not plain.findobj(lambda a: getattr(a, "get_gid", lambda: None)() == SYNTHETIC_GID)
    assert SYNTHETIC_MARK not in " ".join(t.get_text() for t in plain.findobj(lambda a: hasattr(a, "get_text")))


def test_limit_lines_styles(result, figure):
    lines = figure.axes[0].get_lines()
    dashed = [line for line in lines if line.get_linestyle() == "--"]
    solid = [line for line in lines if line.get_linestyle() == "-"]
    assert len(dashed) == 2  # 95% lower and upper
    assert len(solid) == 3  # 99.8% lower and upper, and the target
    target = [line for line in solid if np.allclose(line.get_ydata(), result.target)]
    assert len(target) == 1


def test_label_callable_and_series(result):
    figure = funnel_figure(result, title="t", label=lambda code: f"code {code}")
    assert all(t.get_text().startswith("code E05") for t in labels(figure))
    renamed = pd.Series({result.table.index[0]: "Renamed"})
    figure = funnel_figure(result, title="t", label=renamed)
    assert "Renamed" in [t.get_text() for t in labels(figure)]


def test_nothing_outside_and_nothing_to_label():
    result = funnel_table([12, 12, 12], [1000, 1000, 1000])
    figure = funnel_figure(result, title="All alike")
    assert labels(figure) == []
    assert band_entries(figure) == ["Within 95% limits (3)"]


def test_vector_pdf(tmp_path, figure):
    assert not any(artist.get_rasterized() for artist in figure.findobj())
    path = tmp_path / "funnel.pdf"
    figure.savefig(path)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (width, height) == pytest.approx((11.69 * 72, 8.27 * 72), abs=0.5)
    resources = reader.pages[0]["/Resources"]
    xobjects = resources.get("/XObject", {})
    assert not [k for k, v in xobjects.items() if v.get_object().get("/Subtype") == "/Image"]
    assert path.stat().st_size < 200_000


# --------------------------------------------------------------------------------------------------- plotly


def test_html_hover_names_each_area(result):
    figure = funnel_html(result, title="Parents drinking at harmful levels", synthetic=True)
    markers = [t for t in figure.data if t.mode == "markers"]
    hover = [text for trace in markers for text in trace.hovertext]
    placed = result.table[result.table["band"] != "no population"]
    assert len(hover) == len(placed)
    for code, row in placed.iterrows():
        (text,) = [h for h in hover if f"({code})" in h]
        assert row["name"] in text
        assert f"Rate: {row['rate']:,.2f} per 1,000" in text
        assert f"Count: {row['count']:,.0f}" in text


def test_html_legend_and_lines(result):
    figure = funnel_html(result, title="t", synthetic=True)
    counts = result.counts_by_band()
    markers = [t.name for t in figure.data if t.mode == "markers"]
    assert markers == [band_legend_label(b, n) for b, n in counts.items() if n and b != "no population"]
    lines = [t for t in figure.data if t.mode == "lines"]
    assert sum(t.line.dash == "dash" for t in lines) == 2
    assert any(SYNTHETIC_MARK in (a.text or "") for a in figure.layout.annotations)
    assert any("Spiegelhalter 2005" in (a.text or "") for a in figure.layout.annotations)
    plain = funnel_html(result, title="t")
    assert not any(SYNTHETIC_MARK in (a.text or "") for a in plain.layout.annotations)


def test_html_escapes_names():
    result = funnel_table([40, 12], [1000, 1000], names=["<b>Mill & Hill</b>", "Other"], target=12)
    figure = funnel_html(result, title="t")
    text = " ".join(h for t in figure.data if t.mode == "markers" for h in t.hovertext)
    assert "&lt;b&gt;Mill &amp; Hill&lt;/b&gt;" in text
