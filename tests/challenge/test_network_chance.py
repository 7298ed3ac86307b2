"""The network keeps only pairs sharing more families than chance; its figures are readable at their printed size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from scipy import stats

from circles.challenge.network import (
    EDGE_LABEL_GID,
    NODE_LABEL_GID,
    overlap_matrix_figure,
    overlap_tests,
    publishable_pairs,
)
from circles.challenge.network_figures import network_figure
from circles.challenge.study import agency_map, overlap_network, publish_network, read_directory
from circles.figures.media import MEDIA
from circles.ingest.disclosure import get_policy

FAMILIES = [f"F{i:03d}" for i in range(200)]


def _records() -> pd.DataFrame:
    """200 families all in "Everyone"; B and C share 30 of their 40 families; D and E independent-ish; F small."""
    rows = [(f, "Everyone") for f in FAMILIES]
    rows += [(f, "B") for f in FAMILIES[:40]] + [(f, "C") for f in FAMILIES[10:50]]
    rows += [(f, "D") for f in FAMILIES[::4]] + [(f, "E") for f in FAMILIES[1::5]]
    rows += [(f, "F") for f in FAMILIES[100:104]]
    return pd.DataFrame(rows, columns=["family_id", "service"])


def test_universal_service_has_lift_one_and_no_kept_edge():
    pairs = overlap_tests(_records())
    universal = pairs[(pairs["service_a"] == "Everyone") | (pairs["service_b"] == "Everyone")]
    assert len(universal) == 5
    assert np.allclose(universal["lift"], 1.0) and not universal["kept"].any()
    result = overlap_network(_records(), alpha=0.05)
    assert result.graph.degree("Everyone") == 0


def test_planted_pair_is_kept_with_the_hand_lift():
    pairs = overlap_tests(_records()).set_index(["service_a", "service_b"])
    bc = pairs.loc[("B", "C")]
    assert bc["shared"] == 30 and bc["expected"] == pytest.approx(40 * 40 / 200)  # 8
    assert bc["lift"] == pytest.approx(30 / 8)
    assert bc["p_value"] == pytest.approx(stats.hypergeom.sf(29, 200, 40, 40))
    assert bool(bc["kept"])
    # D (every 4th) and E (every 5th) share every 20th family: exactly as many as chance gives
    de = pairs.loc[("D", "E")]
    assert de["shared"] == 10 and de["expected"] == pytest.approx(50 * 40 / 200) and not de["kept"]


def test_q_values_are_scipy_benjamini_hochberg():
    pairs = overlap_tests(_records())
    p = stats.hypergeom.sf(pairs["shared"] - 1, 200, pairs["caseload_a"], pairs["caseload_b"])
    assert np.allclose(pairs["p_value"], p)
    assert np.allclose(pairs["q_value"], stats.false_discovery_control(p, method="bh"))
    assert pairs["kept"].tolist() == ((pairs["lift"] > 1) & (pairs["q_value"] < 0.05)).tolist()
    strict = overlap_tests(_records(), alpha=1e-12)
    assert strict["kept"].sum() <= pairs["kept"].sum()


def test_suppressed_shared_suppresses_lift_expected_and_p():
    published = publishable_pairs(overlap_tests(_records()), get_policy("nhs")).set_index(["service_a", "service_b"])
    small = published.loc[("B", "F")]  # no shared family: 0 stays 0
    assert small["shared"] == 0
    tiny = published.loc[("Everyone", "F")]  # 4 shared: suppressed, and so is everything derived from it
    assert pd.isna(tiny["shared"]) and pd.isna(tiny["lift"]) and pd.isna(tiny["expected"])
    assert pd.isna(tiny["p_value"]) and pd.isna(tiny["q_value"])
    bc = published.loc[("B", "C")]  # lift from the published (rounded) counts: 30 * 200 / (40 * 40)
    assert bc["lift"] == pytest.approx(round(30 * 200 / (40 * 40), 2)) and bc["expected"] == 8.0


def test_demo_directory_maps_providers_to_organisations():
    directory = read_directory("pipelines/demo_services.yaml")
    records = pd.DataFrame(
        {
            "service": ["Specialist alcohol treatment", "GP consultation", "Drink driving", "Tenancy sustainment"],
            "provider": ["Lifeline", "GP practice 07", "Lancashire Constabulary", "Registered social landlord"],
        }
    )
    got = agency_map(records, directory).set_index("provider")["agency"].to_dict()
    assert got == {
        "Lifeline": "Lifeline Project",
        "GP practice 07": "NHS Blackburn with Darwen",
        "Lancashire Constabulary": "Lancashire Constabulary",
        "Registered social landlord": "Registered social landlord",  # no organisation: keeps its own name
    }
    records["family_id"] = ["F1", "F1", "F2", "F2"]
    result = overlap_network(records, alpha=0.05, directory=directory)
    assert result.unit == "agency" and result.unmapped == ["Registered social landlord"]
    assert "network/agencies.csv" in publish_network(result, get_policy("nhs")).tables()


@pytest.fixture(scope="module")
def drawn():
    result = overlap_network(_records(), alpha=0.05)
    return {
        key: (
            network_figure(result.graph, result.measures, title="Agencies", medium=MEDIA[key]),
            overlap_matrix_figure(result.pairs, result.measures, title="Overlap", medium=MEDIA[key]),
        )
        for key in ("wall", "wall_large")
    }


@pytest.mark.parametrize("key", ["wall", "wall_large"])
def test_every_text_is_at_least_the_medium_minimum(drawn, key):
    for fig in drawn[key]:
        fig.canvas.draw()
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip()]
        assert sizes and min(sizes) >= MEDIA[key].min_pt
        w, _ = fig.get_size_inches()
        assert round(w * 25.4) == round(MEDIA[key].width_mm)


@pytest.mark.parametrize("key", ["wall", "wall_large"])
def test_node_and_edge_labels_never_overlap(drawn, key):
    fig = drawn[key][0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_gid() in (NODE_LABEL_GID, EDGE_LABEL_GID)]
    assert len([t for t in labels if t.get_gid() == NODE_LABEL_GID]) == 6
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            assert not a.overlaps(b)
    # the planted pair is labelled with its lift (published counts: 30 * 200 / (40 * 40)) where the label touches
    # no node and no label; in large print the short line may leave it no room, and then it has none
    edge_labels = [t.get_text() for t in ax.texts if t.get_gid() == EDGE_LABEL_GID]
    assert edge_labels == ["×3.8"] if key == "wall" else set(edge_labels) <= {"×3.8"}
