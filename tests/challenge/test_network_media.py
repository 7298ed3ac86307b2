"""The network figures as the packs print them: every text inside the figure, at least the medium's minimum, and
no two texts overlapping (measured as rendered), on the A3 wall and in large print."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from circles.challenge.network import overlap_matrix_figure
from circles.challenge.network_figures import NODE_GID, NODE_LABEL_GID, network_figure
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


#: Twelve agencies with long names, as a council's directory gives them: in large print most cannot be labelled
#: beside their circle and are numbered, with a key of long entries.
MANY = [
    "Greater Manchester West Mental Health NHS Foundation Trust",
    "East Lancashire Hospitals NHS Trust",
    "Blackburn with Darwen Borough Council Children's Services",
    "Lancashire Constabulary Public Protection Unit",
    "Registered social landlords",
    "Inward House Projects",
    "Lancashire Care NHS Foundation Trust",
    "Young People's Substance Misuse Service",
    "Department for Work and Pensions Jobcentre Plus",
    "Citizens Advice Blackburn with Darwen",
    "Lifeline Project",
    "VOICE",
]


#: The demo's title: two lines in large print, leaving the key less room.
TITLE = "Agencies sharing more families than chance, April 2009 to March 2011 — SYNTHETIC DATA, not real people"


def _many_agencies() -> pd.DataFrame:
    """600 families, each in the first agency and in three or four of the others (seeded): every pair shares
    families, a few more than chance."""
    rng = np.random.default_rng(7)
    rows = []
    for family in range(600):
        picks = rng.choice(len(MANY), size=rng.integers(1, 5), replace=False, p=np.linspace(2, 1, len(MANY)) / 18)
        rows += [(f"F{family:04d}", MANY[p]) for p in picks]
        if family % 3 == 0:  # a planted pair
            rows += [(f"F{family:04d}", MANY[9]), (f"F{family:04d}", MANY[10])]
    return pd.DataFrame(rows, columns=["family_id", "service"]).drop_duplicates()


def _labels_and_circles(fig) -> tuple[list[Text], np.ndarray, np.ndarray]:
    fig.canvas.draw()
    ax = fig.axes[0]
    (nodes,) = [c for c in ax.collections if c.get_gid() == NODE_GID]
    centres = ax.transData.transform(nodes.get_offsets())
    radii = np.sqrt(nodes.get_sizes()) / 2 * fig.dpi / 72
    labels = [t for t in ax.texts if t.get_gid() == NODE_LABEL_GID]
    return labels, centres, radii


@pytest.mark.parametrize("key", ["wall", "wall_large"])
def test_many_long_named_agencies_are_labelled_or_keyed_and_nothing_overlaps(key):
    """The large-print network page once printed its key of numbered agencies over the disclosure line: with
    twelve long names every text still fits inside the figure, large enough, and apart."""
    medium = MEDIA[key]
    result = overlap_network(_many_agencies(), alpha=0.05)
    fig = network_figure(result.graph, result.measures, title=TITLE, medium=medium, **_fit(medium, alone=True))
    assert _problems(fig, medium.min_pt) == []
    labels, _, _ = _labels_and_circles(fig)
    numbered = [t for t in labels if t.get_text().isdigit()]
    key_text = "\n".join(t.get_text() for t in fig.texts)
    assert len(labels) == len(MANY)
    for t in numbered:  # every number has its entry in the key
        assert f"\n{t.get_text()}  " in key_text
    if key == "wall_large":
        assert numbered, "twelve long names in large print: some are numbered"


@pytest.mark.parametrize("key", ["wall", "wall_large"])
@pytest.mark.parametrize("data", ["six", "twelve"])
def test_a_label_is_nearer_its_own_circle_than_any_other(key, data):
    """A label is read as naming the circle it is nearest to: it never lands nearer another agency's circle (one
    did, between two circles, in the demo's large-print pack), and it starts within an em and a half of its own."""
    medium = MEDIA[key]
    records = _many_agencies() if data == "twelve" else _records().assign(service=lambda r: r["service"].map(LONG))
    net = overlap_network(records, alpha=0.05)
    fig = network_figure(net.graph, net.measures, title="Agencies", medium=medium, **_fit(medium, alone=True))
    labels, centres, radii = _labels_and_circles(fig)
    renderer = fig.canvas.get_renderer()
    em = medium.type["text"] * fig.dpi / 72
    for text in labels:
        box = text.get_window_extent(renderer)
        own = int(np.argmin(np.hypot(*(centres - fig.axes[0].transData.transform(text.xy)).T)))
        near_x = np.clip(centres[:, 0], box.x0, box.x1)
        near_y = np.clip(centres[:, 1], box.y0, box.y1)
        gaps = np.hypot(centres[:, 0] - near_x, centres[:, 1] - near_y) - radii
        others = np.delete(gaps, own)
        assert gaps[own] < others.min(), f"{text.get_text()!r} is nearer another circle than its own"
        assert gaps[own] <= 1.5 * em, f"{text.get_text()!r} is {gaps[own] / em:.1f} em from its circle"
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):  # two agencies' labels never close enough to read as one line
        for j, b in enumerate(boxes[:i]):
            assert not a.padded(0.2 * em).overlaps(b), f"{labels[i].get_text()!r} / {labels[j].get_text()!r}"
