"""The network figures as the packs print them: every text inside the figure, at least the medium's minimum, and
no two texts overlapping (measured as rendered), on the A3 wall and in large print."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.text import Text

from circles.challenge.network import overlap_matrix_figure
from circles.challenge.network_figures import NODE_GID, network_figure
from circles.challenge.study import overlap_network
from circles.figures.media import MEDIA
from circles.pipeline.stages.challenge import _fit
from tests.challenge.test_network_chance import _records

#: The demo's agency names, long ones included (they wrap in the legend, the key and the matrix's rows).
LONG = {
    "Everyone": "NHS Blackburn with Darwen",
    "B": "Young People's Service",
    "C": "Action for Children",
    "D": "Greater Manchester West Mental Health NHS Foundation Trust",
    "E": "East Lancashire Hospitals NHS Trust",
    "F": "Registered social landlord",
}


def _problems(fig, min_pt: float) -> list[str]:
    """Every text that is outside the figure, under the medium's minimum, or overlapping another."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    frame = fig.bbox.padded(0.5)
    problems = [
        f"outside: {t.get_text()[:40]!r}"
        for t, b in zip(texts, boxes, strict=True)
        if not frame.contains(b.x0, b.y0) or not frame.contains(b.x1, b.y1)
    ]
    problems += [f"{t.get_fontsize()} pt: {t.get_text()[:40]!r}" for t in texts if t.get_fontsize() < min_pt]
    problems += [
        f"overlap: {a.get_text()[:30]!r} / {b.get_text()[:30]!r}"
        for i, (a, box) in enumerate(zip(texts, boxes, strict=True))
        for b, other in zip(texts[:i], boxes[:i], strict=True)
        if box.overlaps(other)
    ]
    return problems


@pytest.fixture(scope="module", params=["short", "long"])
def result(request):
    records = _records()
    if request.param == "long":
        records["service"] = records["service"].map(LONG)
    return overlap_network(records, alpha=0.05)


@pytest.mark.parametrize("key", ["wall", "wall_large"])
@pytest.mark.parametrize("which", ["network", "matrix"])
def test_texts_inside_large_enough_and_apart(result, key, which):
    medium = MEDIA[key]
    common = {"title": "Agencies sharing more families than chance (synthetic)", "medium": medium}
    if which == "network":
        fig = network_figure(result.graph, result.measures, **_fit(medium), **common)
    else:
        fig = overlap_matrix_figure(result.pairs, result.measures, **_fit(medium, alone=True), **common)
    assert _problems(fig, medium.min_pt) == []


def test_large_print_matrix_prints_its_numbers_and_takes_the_page(result):
    medium = MEDIA["wall_large"]
    fig = overlap_matrix_figure(
        result.pairs, result.measures, title="Overlap", medium=medium, **_fit(medium, alone=True)
    )
    assert round(fig.get_figheight() * 25.4) == round(medium.height_mm)
    numbers = [t for t in fig.axes[0].texts if t.get_text()]
    assert len(numbers) == 6 * 5 and min(t.get_fontsize() for t in numbers) >= 16


@pytest.mark.parametrize("key", ["wall", "wall_large"])
def test_every_agency_circle_is_whole_inside_the_frame(result, key):
    """A circle at the edge of the layout (the largest, often) is not cut by the plot's frame: the axes' limits
    leave room for each circle's radius, in points, whatever the data's units."""
    medium = MEDIA[key]
    for seed in range(8):  # layouts that put large circles at the edges
        fig = network_figure(result.graph, result.measures, title="Agencies", medium=medium, seed=seed, **_fit(medium))
        fig.canvas.draw()
        ax = fig.axes[0]
        (nodes,) = [c for c in ax.collections if c.get_gid() == NODE_GID]
        centres = ax.transData.transform(nodes.get_offsets())
        radii = np.sqrt(nodes.get_sizes()) / 2 * fig.dpi / 72  # marker size is the diameter squared, in points
        frame = ax.get_window_extent()
        assert len(centres) >= 5
        inside = (
            (centres[:, 0] - radii >= frame.x0 - 0.5)
            & (centres[:, 0] + radii <= frame.x1 + 0.5)
            & (centres[:, 1] - radii >= frame.y0 - 0.5)
            & (centres[:, 1] + radii <= frame.y1 + 0.5)
        )
        assert inside.all(), f"seed {seed}: {int((~inside).sum())} circle(s) cut by the frame"
