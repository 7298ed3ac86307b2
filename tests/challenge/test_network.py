"""Service networks: overlap edges, measures, combinations, disclosure and figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from networkx.algorithms import bipartite

from circles.challenge.network import (
    EDGE_LABEL_GID,
    NODE_GID,
    SUPPRESSED_EDGE_GID,
    NetworkError,
    combinations_figure,
    families_in_many,
    family_service_graph,
    network_figure,
    network_html,
    network_measures,
    overlap_graph,
    publishable_edges,
    publishable_measures,
    service_caseloads,
    service_combinations,
    service_overlap,
)
from circles.errors import CirclesError
from circles.ingest.disclosure import get_policy

ROOT = Path(__file__).resolve().parents[2]

# F1: A B   F2: A B C   F3: A   F4: C   F5: B C   F6: A  (F1–A twice: duplicate contacts count once)
HAND = pd.DataFrame(
    {
        "family_id": ["F1", "F1", "F1", "F2", "F2", "F2", "F3", "F4", "F5", "F5", "F6"],
        "service": ["A", "A", "B", "A", "B", "C", "A", "C", "B", "C", "A"],
    }
)


@pytest.fixture(scope="module")
def demo_records(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("net_demo")
    cli = Path(sys.executable).with_name("circles")
    subprocess.run([str(cli), "synth", str(folder)], check=True, capture_output=True)
    files = sorted((folder / "take_up").glob("*.csv"))
    assert files
    return pd.concat([pd.read_csv(f, dtype=str) for f in files], ignore_index=True)


# ----------------------------------------------------------------------------------------------------------- overlap


def test_overlap_hand_computed():
    edges = service_overlap(HAND).set_index(["service_a", "service_b"])
    # caseloads: A = {F1, F2, F3, F6} = 4, B = {F1, F2, F5} = 3, C = {F2, F4, F5} = 3
    assert edges.loc[("A", "B"), "shared"] == 2  # F1, F2
    assert edges.loc[("A", "B"), "jaccard"] == pytest.approx(2 / 5)
    assert edges.loc[("A", "B"), "overlap"] == pytest.approx(2 / 3)
    assert edges.loc[("A", "C"), "shared"] == 1  # F2
    assert edges.loc[("A", "C"), "jaccard"] == pytest.approx(1 / 6)
    assert edges.loc[("A", "C"), "overlap"] == pytest.approx(1 / 3)
    assert edges.loc[("B", "C"), "shared"] == 2  # F2, F5
    assert edges.loc[("B", "C"), "jaccard"] == pytest.approx(2 / 4)
    assert edges.loc[("B", "C"), "overlap"] == pytest.approx(2 / 3)
    assert edges.loc[("A", "B"), ["caseload_a", "caseload_b"]].tolist() == [4, 3]
    assert service_caseloads(HAND).to_dict() == {"A": 4, "B": 3, "C": 3}
    assert len(service_overlap(HAND, min_shared=2)) == 2


def test_overlap_ignores_missing_and_reports_bad_columns():
    records = pd.concat([HAND, pd.DataFrame({"family_id": [None, "F9"], "service": ["A", None]})])
    assert service_overlap(records)["shared"].tolist() == service_overlap(HAND)["shared"].tolist()
    with pytest.raises(NetworkError, match="service"):
        service_overlap(HAND.rename(columns={"service": "servce"}))
    assert issubclass(NetworkError, CirclesError)
    assert service_overlap(HAND.iloc[:0]).empty


def test_bipartite_graph():
    graph = family_service_graph(HAND)
    services = {n for n, d in graph.nodes(data=True) if d["bipartite"] == 1}
    assert services == {"A", "B", "C"}
    assert {n for n, d in graph.nodes(data=True) if d["bipartite"] == 0} == {f"F{i}" for i in range(1, 7)}
    assert graph.nodes["A"]["caseload"] == 4
    assert graph.edges["F1", "A"]["contacts"] == 2
    with pytest.raises(NetworkError, match="rename"):
        family_service_graph(pd.DataFrame({"family_id": ["A"], "service": ["A"]}))


def test_sparse_overlap_equals_networkx_projection(demo_records):
    bip = family_service_graph(demo_records)
    services = [n for n, d in bip.nodes(data=True) if d["bipartite"] == 1]
    projected = bipartite.weighted_projected_graph(bip, services)
    edges = service_overlap(demo_records)
    ours = {frozenset((a, b)): int(s) for a, b, s in zip(edges.service_a, edges.service_b, edges.shared, strict=True)}
    theirs = {frozenset((u, v)): w for u, v, w in projected.edges(data="weight")}
    assert len(ours) > 20
    assert ours == theirs
    graph = overlap_graph(edges, service_caseloads(demo_records))
    assert set(graph.nodes) == set(services)
    assert all(graph.nodes[s]["caseload"] == bip.nodes[s]["caseload"] for s in services)


# ---------------------------------------------------------------------------------------------------------- measures


def _graph(nodes: dict[str, int], edges: list[tuple[str, str, int]]) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from((n, {"caseload": c}) for n, c in nodes.items())
    graph.add_edges_from((u, v, {"shared": w}) for u, v, w in edges)
    return graph


def test_betweenness_uses_inverse_weight():
    # a–b–d strong (many shared families), a–c–d weak. With distance = 1/shared the route a..d goes via b.
    graph = _graph({"a": 50, "b": 40, "c": 30, "d": 20}, [("a", "b", 40), ("b", "d", 40), ("a", "c", 2), ("c", "d", 2)])
    between = network_measures(graph).set_index("service")["betweenness"]
    assert between["b"] > 0
    assert between["c"] == 0
    wrong = nx.betweenness_centrality(graph, weight="shared")  # weight taken as a distance: the opposite answer
    assert wrong["c"] > 0 and wrong["b"] == 0


def test_measures_columns_and_weighted_degree():
    graph = overlap_graph(service_overlap(HAND), service_caseloads(HAND))
    m = network_measures(graph).set_index("service")
    assert m.loc["A", "caseload"] == 4
    assert m.loc["A", "weighted_degree"] == 3  # 2 with B + 1 with C
    assert m.loc["B", "weighted_degree"] == 4
    assert m.loc["A", "degree"] == 2
    with pytest.raises(NetworkError, match="caseload"):
        network_measures(nx.path_graph(3))


def test_louvain_deterministic_and_named():
    # Two triangles joined by one weak tie: two communities, each named after its largest service.
    graph = _graph(
        {"Alcohol": 90, "GP": 60, "A&E": 40, "Housing": 30, "Police": 25, "ASB": 10},
        [
            ("Alcohol", "GP", 30),
            ("GP", "A&E", 25),
            ("Alcohol", "A&E", 20),
            ("Housing", "Police", 20),
            ("Police", "ASB", 15),
            ("Housing", "ASB", 12),
            ("A&E", "Police", 1),
        ],
    )
    first = network_measures(graph, seed=7)
    assert first.equals(network_measures(graph, seed=7))
    names = first.set_index("service")["community_name"]
    assert names["GP"] == names["A&E"] == "around Alcohol"
    assert names["Police"] == names["ASB"] == "around Housing"
    assert first.set_index("service").loc["Alcohol", "community"] == 1


def test_louvain_deterministic_on_demo(demo_records):
    graph = overlap_graph(service_overlap(demo_records), service_caseloads(demo_records))
    runs = [network_measures(graph, seed=42) for _ in range(3)]
    assert all(r.equals(runs[0]) for r in runs[1:])
    assert runs[0]["community_name"].str.startswith("around ").all()


# ------------------------------------------------------------------------------------------------------ combinations


def test_families_in_many():
    table = families_in_many(HAND, thresholds=(1, 2, 3, 4))
    assert table["families"].tolist() == [6, 3, 1, 0]  # F2 has 3; F1, F5 have 2
    assert (table["all_families"] == 6).all()
    assert families_in_many(HAND)["min_services"].tolist() == [3, 5, 7]
    with pytest.raises(NetworkError):
        families_in_many(HAND, thresholds=(0,))


def test_service_combinations():
    combos = service_combinations(HAND)
    got = dict(zip(combos["combination"], combos["families"], strict=True))
    assert got == {"A": 2, "A + B": 1, "A + B + C": 1, "B + C": 1, "C": 1}
    assert combos.iloc[0]["combination"] == "A"
    assert combos.set_index("combination").loc["A + B + C", "services"] == ("A", "B", "C")
    assert len(service_combinations(HAND, top=2)) == 2
    assert combos["families"].sum() == HAND["family_id"].nunique()


# -------------------------------------------------------------------------------------------------------- disclosure


def test_publishable_edges_suppress_1_to_7():
    edges = pd.DataFrame(
        {
            "service_a": ["A"] * 9,
            "service_b": [f"B{i}" for i in range(9)],
            "shared": [0, 1, 2, 3, 4, 5, 6, 7, 12],
            "jaccard": 0.1,
            "overlap": 0.2,
            "caseload_a": 100,
            "caseload_b": 40,
        }
    )
    out = publishable_edges(edges, get_policy("nhs"))
    assert out["shared_suppressed"].tolist() == [False] + [True] * 7 + [False]
    assert out["shared"].iloc[1:8].isna().all()
    assert out["shared"].iloc[8] == 10 and out["shared"].iloc[0] == 0
    assert out["jaccard"].iloc[1:8].isna().all()  # nothing derived from a suppressed value
    assert out["overlap"].iloc[8] == pytest.approx(10 / 40)  # recomputed from published counts
    assert out["jaccard"].iloc[8] == pytest.approx(10 / (100 + 40 - 10))
    assert not any(c.endswith("_raw") for c in out.columns)


def test_publishable_measures():
    graph = overlap_graph(service_overlap(HAND), service_caseloads(HAND))
    out = publishable_measures(network_measures(graph))
    assert out["caseload"].isna().all() and out["caseload_suppressed"].all()
    assert out["weighted_degree"].isna().all()
    big = pd.DataFrame({"service": ["X"], "caseload": [143], "weighted_degree": [12], "betweenness": [0.12345]})
    got = publishable_measures(big).iloc[0]
    assert (got["caseload"], got["weighted_degree"], got["betweenness"]) == (145, 10, 0.123)


# ----------------------------------------------------------------------------------------------------------- figures


@pytest.fixture(scope="module")
def demo_network(demo_records):
    graph = overlap_graph(service_overlap(demo_records), service_caseloads(demo_records))
    return graph, network_measures(graph)


def test_network_figure(demo_network):
    graph, measures = demo_network
    fig = network_figure(graph, measures, title="Services sharing families")
    fig.canvas.draw()
    ax = fig.axes[0]
    (nodes,) = [c for c in ax.collections if c.get_gid() == NODE_GID]
    published = publishable_measures(measures).set_index("service").loc[list(graph.nodes), "caseload"]
    shown = published.notna() & (published > 0)
    ratio = nodes.get_sizes()[shown.to_numpy()] / published[shown].to_numpy(dtype=float)
    assert np.allclose(ratio, ratio[0])  # area proportional to published caseload
    legend = [t.get_text().replace("\n", " ") for t in fig.legends[0].get_texts()]
    linked = measures[measures["degree"] > 0].sort_values("community")["community_name"].unique().tolist()
    assert legend[: len(linked)] == linked  # one entry per community of linked services; the rest grey
    assert "suppressed" in legend[-1]
    edges = publishable_edges(_edges_of(graph))
    labels = [t for t in ax.texts if t.get_gid() == EDGE_LABEL_GID]
    assert len(labels) <= min(30, int((~edges["shared_suppressed"]).sum()))  # only where they touch nothing
    # a graph without the number of families has no lift: no edge labels, widths by shared families
    assert {t.get_text() for t in labels} == set()
    thin = [c for c in ax.collections if c.get_gid() == SUPPRESSED_EDGE_GID]
    assert len(thin) == 1 and len(thin[0].get_segments()) == int(edges["shared_suppressed"].sum())
    w, h = fig.get_size_inches()
    assert (round(w * 25.4), round(h * 25.4)) == (420, 297)
    # deterministic layout
    again = network_figure(graph, measures, title="x")
    (nodes2,) = [c for c in again.axes[0].collections if c.get_gid() == NODE_GID]
    assert np.allclose(nodes.get_offsets(), nodes2.get_offsets())


def _edges_of(graph: nx.Graph) -> pd.DataFrame:
    return pd.DataFrame(
        [(u, v, s) for u, v, s in graph.edges(data="shared")], columns=["service_a", "service_b", "shared"]
    )


def test_network_html_shows_published_values_only():
    records = pd.DataFrame(
        {
            "family_id": [f"F{i}" for i in range(43)] + [f"F{i}" for i in range(12)] + ["F0", "F1", "F2"],
            "service": ["A"] * 43 + ["B"] * 12 + ["C"] * 3,
        }
    )
    graph = overlap_graph(service_overlap(records), service_caseloads(records))
    fig = network_html(graph, network_measures(graph), title="Services")
    hover = " ".join(str(h) for t in fig.data if t.hovertext is not None for h in t.hovertext)
    assert "Families (caseload): 45" in hover and "Families (caseload): 10" in hover
    assert "Families in contact with both: 10" in hover  # A–B share 12 → 10
    assert "Families in contact with both: *" in hover  # A–C share 3
    assert "43" not in hover and "12" not in hover and ": 3" not in hover


def test_combinations_figure(demo_records):
    combos = service_combinations(demo_records, top=10)
    fig = combinations_figure(combos)
    fig.canvas.draw()
    bars, dots = fig.axes
    assert len(bars.patches) == 10
    heights = [p.get_height() for p in bars.patches]
    assert all(h % 5 == 0 for h in heights)
    assert heights == sorted(heights, reverse=True)
