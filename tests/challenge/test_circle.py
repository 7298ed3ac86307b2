"""Circle-of-need diagrams: statuses, radii, determinism, readable print figure (no overlap, ≥ 7 pt, key), HTML."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from pypdf import PdfReader

from circles.challenge.circle import (
    CENTRE_GID,
    KEY_GID,
    LABEL_GID,
    MIN_FONT_PT,
    RING_RADII,
    CircleError,
    circle_figure,
    circle_html,
    circle_layout,
)
from circles.errors import CirclesError
from circles.figures.interactive_maps import write_html
from circles.figures.print_maps import save_print_map

SEGMENT = "Parents who drink at harmful levels, and their children"
A3_LANDSCAPE_POINTS = (1190.551, 841.890)

NAMES = {
    "need": [
        "Someone to talk to out of hours",
        "Practical help with money and housing",
        "Support for the children",
        "A single key worker",
        "Things to do together as a family",
        "Being asked, not told",
        "Something to do after treatment",
    ],
    "barrier": [
        "Help only at crisis point",
        "Support only 9 to 5",
        "Telling my story again to every new service",
        "A new worker every time",
        "Services not joined up",
        "Being 'referred' feels like failure",
        "Waiting lists",
    ],
    "aspiration": [
        "Stop drinking",
        "A good future for my children",
        "Strong family relationships",
        "Know what support exists",
        "Feel of value",
        "A job",
    ],
    "fear": [
        "Relapse",
        "Having nothing to do",
        "Losing the children",
        "The children following the same path",
        "Going back to the same place",
    ],
}
ORGANISATIONS = [
    "Lancashire and South Cumbria NHS Foundation Trust",
    "Blackburn with Darwen Borough Council",
    "Change Grow Live",
    "Barnardo's",
    "Citizens Advice Lancashire West",
    "Lancashire Constabulary",
    "Child Action North West",
    "Age UK Blackburn with Darwen",
    "The Wish Centre",
    "Inspire Recovery Partnership",
]
SERVICES = [
    "Adult drug and alcohol treatment service (Inspire)",
    "Family Drug and Alcohol Court pilot",
    "Young carers service",
    "Early Help family key worker",
    "Debt and housing advice",
    "Out of hours helpline",
    "Peer recovery mentors",
    "Family activities programme",
    "Parenting programme",
    "Mutual aid groups",
    "Hidden Harm children's service",
    "Employment support",
    "Domestic abuse outreach",
    "Health visiting",
    "School nursing",
]


def small_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four codes: N1 met by three services (duplication), N2 met by none, B1 by one, A1 by two."""
    items = pd.DataFrame(
        {
            "code_id": ["N1", "N2", "B1", "A1"],
            "name": [
                "Someone to talk to",
                "Telling my story again to every new service",
                "Support only 9 to 5",
                "A job",
            ],
            "dimension": ["need", "need", "barrier", "aspiration"],
            "segments": [12, 4, 7, 2],
        }
    )
    links = pd.DataFrame(
        {
            "code_id": ["N1", "N1", "N1", "B1", "A1", "A1"],
            "service_id": ["S1", "S2", "S3", "S3", "S4", "S1"],
            "service_name": ["Helpline", "Peer group", "Drop-in", "Drop-in", "Employment support", "Helpline"],
            "organisation": ["Council", "Charity", "NHS trust", "NHS trust", "Council", "Council"],
        }
    )
    return items, links


def large_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    """25 codes in four dimensions, 15 services, 10 providers, many long names (some codes unmet)."""
    rows = []
    for dimension, names in NAMES.items():
        for i, name in enumerate(names):
            rows.append(
                {
                    "code_id": f"{dimension[:3].upper()}{i + 1:02d}",
                    "name": name,
                    "dimension": dimension,
                    "segments": (7 * len(rows) + 3) % 23 + 1,
                }
            )
    items = pd.DataFrame(rows)
    codes = list(items["code_id"])
    links = []
    for s, service in enumerate(SERVICES):
        for k in range(1 + s % 3):
            links.append(
                {
                    "code_id": codes[(s * 5 + k * 7) % len(codes)],
                    "service_id": f"S{s + 1:02d}",
                    "service_name": service,
                    "organisation": ORGANISATIONS[s % len(ORGANISATIONS)],
                }
            )
    return items, pd.DataFrame(links).drop_duplicates().reset_index(drop=True)


@pytest.fixture(scope="module")
def large_figure():
    figure = circle_figure(circle_layout(*large_case()), title="Circle of need: test", segment=SEGMENT)
    figure.canvas.draw()
    return figure


def visible_texts(figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def gid_texts(figure, prefix: str) -> dict[str, str]:
    return {
        t.get_gid().split(":", 1)[1]: t.get_text()
        for t in figure.findobj(Text)
        if (t.get_gid() or "").startswith(prefix + ":")
    }


# ------------------------------------------------------------------------------------------------- layout


def test_statuses_and_service_counts():
    layout = circle_layout(*small_case())
    table = layout.items.set_index("code_id")
    assert table["n_services"].to_dict() == {"N1": 3, "N2": 0, "B1": 1, "A1": 2}
    assert table["status"].to_dict() == {"N1": "possible duplication", "N2": "unmet", "B1": "addressed", "A1": "met"}
    assert table.loc["N1", "services"] == ["Helpline", "Peer group", "Drop-in"]
    assert table.loc["N1", "providers"] == ["Charity", "Council", "NHS trust"]


def test_duplication_threshold_is_a_parameter():
    layout = circle_layout(*small_case(), duplication_at=2)
    assert layout.items.set_index("code_id")["status"].to_dict() == {
        "N1": "possible duplication",
        "N2": "unmet",
        "B1": "addressed",
        "A1": "possible duplication",
    }
    assert layout.duplication_at == 2


def test_every_ring_has_its_radius_and_positions_match_angles():
    layout = circle_layout(*large_case())
    for frame, ring in ((layout.items, "item"), (layout.services, "service"), (layout.providers, "provider")):
        assert np.allclose(frame["radius"], RING_RADII[ring])
        assert np.allclose(np.hypot(frame["x"], frame["y"]), RING_RADII[ring])
        assert np.allclose(frame["x"], frame["radius"] * np.cos(frame["angle"]))
    assert len(layout.items) == 25 and len(layout.services) == 15 and len(layout.providers) == 10
    assert RING_RADII["item"] < RING_RADII["service"] < RING_RADII["provider"]
    nodes = layout.nodes()
    assert nodes["node_id"].is_unique and len(nodes) == 50


def test_items_grouped_by_dimension_clockwise_from_the_top():
    layout = circle_layout(*large_case())
    turns = ((np.pi / 2 - layout.items["angle"]) / (2 * np.pi)) % 1
    ordered = layout.items.assign(turn=turns).sort_values("turn")
    groups = list(dict.fromkeys(ordered["dimension"]))
    assert groups == ["need", "barrier", "aspiration", "fear"]
    needs = ordered[ordered["dimension"] == "need"]
    assert list(needs["segments"]) == sorted(needs["segments"], reverse=True)  # most raised first


def test_edges_join_the_nodes_they_name():
    items, links = small_case()
    layout = circle_layout(items, links)
    assert len(layout.edges[layout.edges["kind"] == "item-service"]) == len(links)
    assert len(layout.edges[layout.edges["kind"] == "service-provider"]) == 4  # S1..S4, one provider each
    nodes = layout.nodes().set_index("node_id")
    for edge in layout.edges.itertuples():
        assert (edge.x0, edge.y0) == (nodes.at[edge.source, "x"], nodes.at[edge.source, "y"])
        assert (edge.x1, edge.y1) == (nodes.at[edge.target, "x"], nodes.at[edge.target, "y"])


def test_services_sit_near_the_items_they_serve():
    layout = circle_layout(*large_case())
    items = layout.items.set_index("node_id")
    services = layout.services.set_index("node_id")
    separations = []
    for edge in layout.edges[layout.edges["kind"] == "item-service"].itertuples():
        a, b = items.at[edge.source, "angle"], services.at[edge.target, "angle"]
        separations.append(abs(np.angle(np.exp(1j * (a - b)))))
    # barycentric placement: the mean separation is far below that of a random placement (pi / 2)
    assert np.mean(separations) < np.pi / 4


def test_layout_is_deterministic_and_ignores_row_order():
    items, links = large_case()
    first = circle_layout(items, links)
    again = circle_layout(items.sample(frac=1, random_state=1), links.sample(frac=1, random_state=2))
    for name in ("items", "services", "providers", "edges"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda i, k: (i.drop(columns="segments"), k), "segments"),
        (lambda i, k: (pd.concat([i, i.iloc[:1]]), k), "more than once"),
        (lambda i, k: (i, k.assign(code_id=["N1", "N1", "N1", "B1", "A1", "ZZ9"])), "ZZ9"),
        (lambda i, k: (i.assign(segments=[1, -1, 2, 3]), k), "segments"),
        (lambda i, k: (i.iloc[:0], k.iloc[:0]), "empty"),
    ],
)
def test_bad_input_raises_a_circles_error(change, message):
    items, links = change(*small_case())
    with pytest.raises(CircleError, match=message):
        circle_layout(items, links)
    assert issubclass(CircleError, CirclesError)


def test_duplication_threshold_must_be_two_or_more():
    with pytest.raises(CircleError, match="duplication_at"):
        circle_layout(*small_case(), duplication_at=1)


# ------------------------------------------------------------------------------------------------- print figure


def test_no_two_texts_overlap_on_the_large_case(large_figure):
    renderer = large_figure.canvas.get_renderer()
    texts = visible_texts(large_figure)
    assert len(texts) > 60  # labels, key, legend, title, centre
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    clashes = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]
    assert clashes == []


def test_every_text_is_inside_the_page(large_figure):
    renderer = large_figure.canvas.get_renderer()
    page = large_figure.bbox
    for text in visible_texts(large_figure):
        box = text.get_window_extent(renderer)
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1, text.get_text()


def test_no_font_smaller_than_7_points(large_figure):
    sizes = [t.get_fontsize() for t in visible_texts(large_figure)]
    assert min(sizes) >= MIN_FONT_PT == 7.0


def test_every_node_has_one_label_and_long_names_go_to_the_key(large_figure):
    layout = circle_layout(*large_case())
    labels = gid_texts(large_figure, LABEL_GID)
    key = gid_texts(large_figure, KEY_GID)
    assert set(labels) == set(layout.nodes()["node_id"])
    names = dict(zip(layout.nodes()["node_id"], layout.nodes()["name"], strict=True))
    diagram = " ".join(text.replace("\n", " ") for text in labels.values())
    for node, name in names.items():
        if len(name) > 36 and not node.startswith("provider:"):  # cannot fit on two lines of 18 characters
            assert node in key, name
        if node in key:
            number = labels[node]
            assert number.replace("S", "").replace("P", "").isdigit(), number
            assert " ".join(key[node].split()) == f"{number} {name}"  # the key maps number -> full name
            assert name not in diagram
        else:
            assert labels[node].replace("\n", " ") == name
    for name in ("Telling my story again to every new service",):
        node = next(n for n, v in names.items() if v == name)
        assert node in key and name not in diagram
    numbers = [labels[n] for n in key]
    assert len(numbers) == len(set(numbers))  # numbers are unique


def test_legend_explains_unmet_duplication_sizes_and_colours(large_figure):
    legend = large_figure.legends[0]
    entries = [t.get_text() for t in legend.get_texts()]
    assert any(e.startswith("Unmet") for e in entries)
    assert "Possible duplication: a need met by 3 or more services" in " ".join(entries).replace("\n", " ")
    assert {"Needs", "Barriers", "Aspirations", "Fears"} <= set(entries)
    assert sum(e.startswith("Raised ") for e in entries) >= 2
    assert large_figure.findobj(lambda a: a.get_gid() == CENTRE_GID)[0].get_text().replace("\n", " ") == SEGMENT


def test_unmet_items_are_hatched_with_a_red_outline():
    figure = circle_figure(circle_layout(*small_case()), title="t", segment=SEGMENT)
    ax = figure.axes[0]
    hatched = [c for c in ax.collections if c.get_hatch()]
    assert len(hatched) == 1
    assert len(hatched[0].get_offsets()) == 1  # only N2 is unmet
    assert np.allclose(hatched[0].get_edgecolor()[0][:3], (0xD7 / 255, 0x19 / 255, 0x1C / 255))


def test_pdf_page_is_a3_landscape_and_png_written(tmp_path, large_figure):
    pdf, png = save_print_map(large_figure, tmp_path / "circle")
    box = PdfReader(pdf).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A3_LANDSCAPE_POINTS, abs=1)
    assert png.stat().st_size > 50_000


def test_a4_keeps_type_at_7_points_and_has_no_overlap():
    figure = circle_figure(circle_layout(*large_case()), title="t", segment=SEGMENT, paper="A4")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    texts = visible_texts(figure)
    assert min(t.get_fontsize() for t in texts) >= 7
    boxes = [t.get_window_extent(renderer) for t in texts]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def test_figure_is_deterministic():
    layout = circle_layout(*large_case())
    first = circle_figure(layout, title="t", segment=SEGMENT)
    again = circle_figure(layout, title="t", segment=SEGMENT)
    assert gid_texts(first, LABEL_GID) == gid_texts(again, LABEL_GID)
    assert gid_texts(first, KEY_GID) == gid_texts(again, KEY_GID)


# ------------------------------------------------------------------------------------------------- interactive


def test_html_hover_has_full_names_services_and_providers(tmp_path):
    items, links = small_case()
    layout = circle_layout(items, links)
    figure = circle_html(layout, title="Circle of need", segment=SEGMENT)
    # 2 edge traces + 3 dimensions + services + providers + centre + 2 legend-only status traces
    assert len(figure.data) == 10
    names = [trace.name for trace in figure.data]
    assert names[2:5] == ["Needs", "Barriers", "Aspirations"]
    needs = figure.data[2]
    hover = dict(zip(layout.items.loc[layout.items["dimension"] == "need", "code_id"], needs.hovertext, strict=True))
    assert "<b>Telling my story again to every new service</b>" in hover["N2"]
    assert "Status: unmet" in hover["N2"] and "Services: none" in hover["N2"]
    assert "Services: Helpline; Peer group; Drop-in" in hover["N1"]
    assert "Providers: Charity; Council; NHS trust" in hover["N1"]
    assert "possible duplication" in hover["N1"]
    services = next(t for t in figure.data if t.name == "Services")
    assert any("Run by: NHS trust" in h for h in services.hovertext)
    assert any(t.name.startswith("Unmet") for t in figure.data)
    assert any(t.name.startswith("Possible duplication") for t in figure.data)
    page = write_html(figure, tmp_path / "circle.html")
    text = page.read_text(encoding="utf-8")
    assert "Telling my story again to every new service" in text and "cdn.plot.ly" not in text.split("<body>")[0]


def test_html_escapes_names():
    items, links = small_case()
    items.loc[0, "name"] = "<script>x</script>"
    figure = circle_html(circle_layout(items, links), title="t", segment="s")
    assert "<script>" not in " ".join(figure.data[2].hovertext)


def test_barriers_and_fears_without_a_service_are_not_called_unmet():
    items = pd.DataFrame(
        {
            "code_id": ["N1", "B1", "F1"],
            "name": ["A need", "A barrier", "A fear"],
            "dimension": ["need", "barrier", "fear"],
            "segments": [3, 2, 1],
        }
    )
    links = pd.DataFrame(columns=["code_id", "service_id", "service_name", "organisation"])
    status = dict(zip(*circle_layout(items, links).items[["code_id", "status"]].T.values, strict=True))
    assert status == {"N1": "unmet", "B1": "not assessed", "F1": "not assessed"}
