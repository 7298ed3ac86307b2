"""The circle of need drawn for the pack page (issue 16): every need kept, duplication for needs only, providers
spelt out, nothing overlapping, nothing under the medium's smallest type, and the browser copy never truncated."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from circles.challenge.circle import (
    KEY_GID,
    LABEL_GID,
    CircleError,
    circle_figure,
    circle_html,
    circle_items,
    circle_layout,
    raised_text,
)
from circles.challenge.circle_figures import CENTRE_GID, circle_key
from circles.challenge.coverage import need_coverage, needs_met
from circles.challenge.directory_yaml import read_services_yaml
from circles.figures.media import MEDIA
from circles.qualitative.codebook import codebook_table, read_codebook

from .test_circle import SEGMENT, large_case, small_case

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


def texts(figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def labels(figure) -> dict[str, str]:
    return {
        t.get_gid().split(":", 1)[1]: t.get_text().replace("\n", " ")
        for t in figure.findobj(Text)
        if (t.get_gid() or "").startswith(LABEL_GID + ":")
    }


def fear_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fear four services work on, a need three services meet but nobody raised, an unmet need raised."""
    codes = pd.DataFrame(
        {
            "code_id": ["N1", "N2", "N3", "F1", "P1"],
            "name": [
                "Practical help with money and housing",
                "Someone to talk to out of hours",
                "A job",
                "Relapse",
                "Thresholds too high",
            ],
            "dimension": ["need", "need", "need", "fear", "provider view"],
        }
    )
    summary = pd.DataFrame({"code_id": ["N2", "F1", "P1"], "segments": [5, 6, 2]})
    orgs = ["Blackburn with Darwen Borough Council", "Action for Children", "Lifeline Project", "VOICE"]
    links = pd.DataFrame(
        {
            "code_id": ["N1", "N1", "N1", "F1", "F1", "F1", "F1"],
            "service_id": ["housing", "fip", "think", "evolve", "gmw", "lifeline", "voice"],
            "service_name": [
                "Housing",
                "Family Intervention Programme",
                "Think Family advocates",
                "Evolve",
                "GMW alcohol service",
                "Lifeline",
                "VOICE peer support",
            ],
            "organisation": [orgs[0], orgs[1], orgs[0], "Inward House Projects", orgs[2], orgs[2], orgs[3]],
        }
    )
    items = circle_items(codes, summary, links)
    return items, links


# ------------------------------------------------------------------------------------------------- items


def test_a_need_met_but_never_raised_is_kept_and_an_unraised_unmet_need_is_not():
    items, _ = fear_case()
    table = items.set_index("code_id")
    assert list(table.index) == ["N1", "N2", "F1"]  # N3: no service, not raised; P1: a provider's view
    assert table.loc["N1", "segments"] == 0 and table.loc["N2", "segments"] == 5


def test_a_suppressed_count_is_a_star_never_a_number():
    codes = pd.DataFrame({"code_id": ["N1"], "name": ["Talk"], "dimension": ["need"]})
    items = circle_items(codes, pd.DataFrame({"code_id": ["N1"], "segments": ["*"]}), pd.DataFrame({"code_id": []}))
    layout = circle_layout(items, pd.DataFrame(columns=["code_id", "service_id", "service_name", "organisation"]))
    assert np.isnan(layout.items["segments"].iloc[0])
    assert layout.items["raised"].iloc[0] == raised_text("*") == "raised * times (a small number)"
    hover = circle_html(layout, title="t", segment="s").data[2].hovertext[0]
    assert "raised * times" in hover and "nan" not in hover


def test_a_need_met_but_never_raised_is_drawn_with_its_duplication():
    layout = circle_layout(*fear_case())
    row = layout.items.set_index("code_id").loc["N1"]
    assert (row["status"], row["n_services"], row["raised"]) == ("possible duplication", 3, "not raised in the notes")
    figure = circle_figure(layout, title="t", segment=SEGMENT, medium="wall")
    assert "item:N1" in labels(figure)
    diamonds = [
        c for c in figure.axes[0].collections if any(np.allclose(o, (row["x"], row["y"])) for o in c.get_offsets())
    ]
    assert diamonds  # drawn on the inner ring where the layout put it


def test_a_fear_linked_to_many_services_is_not_duplication():
    layout = circle_layout(*fear_case())
    fear = layout.items.set_index("code_id").loc["F1"]
    assert fear["n_services"] == 4 and fear["status"] == "addressed"
    figure = circle_figure(layout, title="t", segment=SEGMENT, medium="wall")
    ax = figure.axes[0]

    def marker_of(row):
        return next(c for c in ax.collections if any(np.allclose(o, (row["x"], row["y"])) for o in c.get_offsets()))

    marker = marker_of(fear)
    dup_marker = marker_of(layout.items.set_index("code_id").loc["N1"])
    assert marker is not dup_marker  # the fear is not drawn with the duplication diamonds
    html = circle_html(layout, title="t", segment="s")
    fear_hover = next(t for t in html.data if t.name == "Fears").hovertext[0]
    assert "duplication is judged for needs only" in fear_hover and "possible duplication" not in fear_hover


def test_demo_circle_agrees_with_the_unmet_need_and_duplication_table():
    book = read_codebook(PIPELINES / "demo_codebook.yaml")
    directory = read_services_yaml(PIPELINES / "demo_services.yaml", codebook=book)
    links = needs_met(directory, book)
    codes = codebook_table(book)
    raised = pd.DataFrame({"code_id": ["NEE01", "NEE04", "FEA01", "BAR01"], "segments": [5, 4, 6, 8]})
    items = circle_items(codes, raised, links)
    layout = circle_layout(items, links[links["code_id"].isin(items["code_id"])], duplication_at=3)
    table = need_coverage(directory, book, duplication_threshold=3, dimensions=["need", "aspiration"])
    drawn = layout.items.set_index("code_id")["status"]
    shown = table[table["code_id"].isin(drawn.index)].set_index("code_id")["status"]
    assert drawn[shown.index].to_dict() == shown.to_dict()
    assert set(table.loc[table["status"] == "possible duplication", "code_id"]) == {"NEE02", "ASP01"}
    assert set(drawn[drawn == "possible duplication"].index) == {"NEE02", "ASP01"}  # NEE02 is raised by nobody
    assert drawn["FEA01"] == "addressed"  # Relapse: three services, not duplication
    assert set(layout.providers["name"]) <= set(directory.organisations["name"])


# ------------------------------------------------------------------------------------------------- media


@pytest.fixture(scope="module", params=["wall", "wall_large"])
def drawn(request):
    case = large_case() if request.param == "wall" else fear_case()
    layout = circle_layout(*case)
    figure = circle_figure(layout, title="The circle of need", segment=SEGMENT, medium=request.param)
    figure.canvas.draw()
    return MEDIA[request.param], layout, figure


def test_drawn_at_the_size_of_the_medium(drawn):
    medium, _, figure = drawn
    assert tuple(figure.get_size_inches()) == pytest.approx(medium.figsize())


def test_no_text_under_the_medium_smallest_type(drawn):
    medium, _, figure = drawn
    sizes = [t.get_fontsize() for t in texts(figure)]
    assert min(sizes) >= medium.min_pt
    if medium.large_print:
        assert min(sizes) >= 16


def test_no_two_texts_overlap_and_all_inside_the_page(drawn):
    _, _, figure = drawn
    renderer = figure.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts(figure)]
    assert [(a, b) for (a, x), (b, y) in itertools.combinations(boxes, 2) if x.overlaps(y)] == []
    page = figure.bbox
    for text, box in boxes:
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, text


def test_provider_labels_are_the_organisation_names_or_in_the_key(drawn):
    _, layout, figure = drawn
    shown = labels(figure)
    key = {
        t.get_gid().split(":", 1)[1]: " ".join(t.get_text().split())
        for t in figure.findobj(Text)
        if (t.get_gid() or "").startswith(KEY_GID + ":")
    }
    written = 0
    for row in layout.providers.itertuples():
        if row.node_id in key:
            assert key[row.node_id] == f"{shown[row.node_id]} {row.name}"  # the key beside the figure spells it out
        else:
            assert shown[row.node_id] == row.name
            written += 1
    assert written >= len(layout.providers) // 2  # most organisations are spelt out on the diagram


def test_wall_spells_out_long_organisation_names():
    layout = circle_layout(*small_case())
    layout.providers.loc[0, "name"] = "Blackburn with Darwen Borough Council"
    figure = circle_figure(layout, title="t", segment=SEGMENT, medium="wall")
    assert labels(figure)[layout.providers.loc[0, "node_id"]] == "Blackburn with Darwen Borough Council"


def test_a_key_too_long_for_the_page_says_so_and_the_diagram_draws_without_it():
    layout = circle_layout(*large_case())
    with pytest.raises(CircleError, match="key_in_figure=False"):  # at 16 pt the key cannot sit beside the diagram
        circle_figure(layout, title="t", segment=SEGMENT, medium="wall_large")
    figure = circle_figure(layout, title="t", segment=SEGMENT, medium="wall_large", key_in_figure=False, height_mm=170)
    assert not [t for t in figure.findobj(Text) if (t.get_gid() or "").startswith(KEY_GID)]
    assert figure.legends  # the legend stays beside the diagram
    assert len(circle_key(layout, title="t", segment=SEGMENT, medium="wall_large", key_in_figure=False)) > 0


def demo_layout():
    """The demo pipeline's circle: its codebook and service directory, four codes raised."""
    book = read_codebook(PIPELINES / "demo_codebook.yaml")
    directory = read_services_yaml(PIPELINES / "demo_services.yaml", codebook=book)
    links = needs_met(directory, book)
    raised = pd.DataFrame({"code_id": ["NEE01", "NEE04", "FEA01", "BAR01"], "segments": [5, 4, 6, 8]})
    items = circle_items(codebook_table(book), raised, links)
    return circle_layout(items, links[links["code_id"].isin(items["code_id"])], duplication_at=3)


@pytest.fixture(scope="module")
def large_demo():
    layout = demo_layout()
    drawn = {"segment": SEGMENT, "medium": "wall_large", "key_in_figure": False, "height_mm": 170}  # as the stage
    drawn["title"] = "The circle of need — SYNTHETIC DATA, not real people"
    figure = circle_figure(layout, **drawn)
    figure.canvas.draw()
    return layout, figure, circle_key(layout, **drawn)


def test_large_print_demo_circle_has_no_text_under_16_pt(large_demo):
    _, figure, _ = large_demo
    assert tuple(figure.get_size_inches()) == pytest.approx(MEDIA["wall_large"].figsize(height_mm=170))
    assert min(t.get_fontsize() for t in texts(figure)) >= 16


def test_large_print_demo_circle_has_no_overlapping_text(large_demo):
    _, figure, _ = large_demo
    renderer = figure.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts(figure)]
    assert [(a, b) for (a, x), (b, y) in itertools.combinations(boxes, 2) if x.overlaps(y)] == []
    page = figure.bbox
    for text, box in boxes:
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, text


def test_large_print_key_table_has_a_row_for_every_number_on_the_diagram(large_demo):
    layout, figure, key = large_demo
    names = layout.nodes().set_index("node_id")["name"]
    numbered = {text: names[node] for node, text in labels(figure).items() if text != names[node]}
    assert numbered  # the demo's long names are numbers at 16 pt
    assert list(key.columns) == ["number", "name", "ring", "kind"]
    assert key["number"].is_unique and dict(zip(key["number"], key["name"], strict=True)) == numbered
    assert set(key["ring"]) <= {"inner", "middle", "outer"}
    kinds = dict(zip(layout.items["name"], layout.items["dimension"], strict=True))
    inner = key[key["ring"] == "inner"]
    assert list(inner["kind"]) == [kinds[n] for n in inner["name"]]


# ------------------------------------------------------------------------------------------------- browser


def test_html_fills_the_window_and_truncates_no_label():
    layout = circle_layout(*large_case())
    figure = circle_html(layout, title="Circle of need", segment=SEGMENT)
    assert figure.layout.autosize and figure.layout.width is None and figure.layout.height is None
    shown = " ".join(t.replace("<br>", " ") for trace in figure.data if trace.text for t in trace.text)
    assert "…" not in shown
    for name in layout.nodes()["name"]:
        assert name.replace("'", "&#x27;") in shown, name
    assert figure.layout.legend.x >= figure.layout.xaxis.domain[1]  # the legend has its own column


def _centre_touches(layout, figure) -> list[str]:
    """The inner-ring items whose marker the segment's name at the centre touches (as drawn)."""
    from matplotlib.collections import PathCollection

    renderer = figure.canvas.get_renderer()
    (centre,) = [t for t in figure.findobj(Text) if t.get_gid() == CENTRE_GID]
    box = centre.get_window_extent(renderer)
    ax = centre.axes
    markers = [c for c in ax.collections if isinstance(c, PathCollection)]
    touched = []
    for collection in markers:
        xy = ax.transData.transform(collection.get_offsets())
        radius = np.sqrt(collection.get_sizes()) / 2 * figure.dpi / 72 * np.ones(len(xy))
        near = np.hypot(xy[:, 0] - np.clip(xy[:, 0], box.x0, box.x1), xy[:, 1] - np.clip(xy[:, 1], box.y0, box.y1))
        touched += [f"{x:.0f},{y:.0f}" for (x, y), d, r in zip(xy, near, radius, strict=True) if d < r]
    assert len(layout.items) and markers
    return touched


def test_the_segment_at_the_centre_touches_no_marker(drawn, large_demo):
    """In large print the segment's name, bold at 18 pt, covered two of the inner ring's markers: it is now made
    smaller (not under 16 pt), then regular weight, until it fits inside the ring."""
    _, layout, figure = drawn
    assert _centre_touches(layout, figure) == []
    layout, figure, _ = large_demo
    assert _centre_touches(layout, figure) == []
