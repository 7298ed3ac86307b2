"""Service networks: which services share families, and how many families are known to many services.

The Circles of Need case study found "large numbers of organisations involved [with the same families] without
knowing about each other". This module makes that visible from take-up records (one row per contact, with a
pseudonymous ``family_id`` and a ``service``):

* :func:`family_service_graph` — the bipartite family–service graph (``bipartite`` 0 = families, 1 = services).
* :func:`service_overlap` — one row per pair of services sharing families: ``shared`` families, Jaccard index
  and overlap coefficient, from a sparse incidence product (families × services, ``Bᵀ·B``); no loop over pairs.
* :func:`overlap_graph` — the service graph of those edges; :func:`network_measures` — caseload, weighted
  degree, betweenness (distance = 1 / weight) and Louvain communities named after their largest service.
* :func:`families_in_many` and :func:`service_combinations` — families known to many services, and the
  commonest exact sets of services (UpSet-style).
* :func:`publishable_edges` and :func:`publishable_measures` — disclosure control (:mod:`circles.ingest.disclosure`)
  before anything is published; the figures (:func:`network_figure`, :func:`network_html`,
  :func:`combinations_figure`) apply it themselves and show published values only.

All counts returned by the analysis functions are exact: protect them before publishing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

import matplotlib

matplotlib.use("Agg")  # print output: never needs a display

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import scipy.sparse as sp
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from circles.errors import CirclesError
from circles.ingest.disclosure import SUPPRESSED, DisclosurePolicy, get_policy, protect_table
from circles.validation import suggest

__all__ = [
    "NetworkError",
    "family_service_graph",
    "service_caseloads",
    "service_overlap",
    "overlap_graph",
    "network_measures",
    "families_in_many",
    "service_combinations",
    "publishable_edges",
    "publishable_measures",
    "network_figure",
    "network_html",
    "combinations_figure",
    "NODE_GID",
    "EDGE_GID",
    "SUPPRESSED_EDGE_GID",
    "EDGE_LABEL_GID",
    "NODE_LABEL_GID",
]

#: ``gid`` of the artists of :func:`network_figure` (to find them in a figure).
NODE_GID = "network-node"
EDGE_GID = "network-edge"
SUPPRESSED_EDGE_GID = "network-edge-suppressed"
EDGE_LABEL_GID = "network-edge-label"
NODE_LABEL_GID = "network-node-label"

#: How an edge whose shared-family count is suppressed is drawn.
SUPPRESSED_EDGE_STYLE = {"color": "#bdbdbd", "linewidth": 0.5}

_PALETTE = [
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1f78b4",
    "#b15928",
    "#6a3d9a",
]
_OTHER_COLOUR = "#666666"
_A3_LANDSCAPE = (420 / 25.4, 297 / 25.4)


class NetworkError(CirclesError):
    """Records or a graph cannot be used for a service network (missing column, missing caseload, ...)."""


# ----------------------------------------------------------------------------------------------------------- helpers


def _pairs(records: pd.DataFrame, family: str, service: str) -> pd.DataFrame:
    """Distinct (family, service) pairs; rows missing either are dropped (they cannot link services)."""
    if not isinstance(records, pd.DataFrame):
        raise NetworkError(f"Expected a DataFrame of take-up records, not {type(records).__name__}.")
    for column in (family, service):
        if column not in records.columns:
            hint = suggest(str(column), map(str, records.columns))
            raise NetworkError(f"The take-up records have no column {column!r}.{hint}")
    pairs = records[[family, service]].dropna().drop_duplicates()
    return pairs.rename(columns={family: "family", service: "service"})


def _incidence(pairs: pd.DataFrame) -> tuple[sp.csr_matrix, np.ndarray]:
    """Families × services 0/1 matrix (services in sorted order) and the service names."""
    fam_codes, _ = pd.factorize(pairs["family"], sort=False)
    svc_codes, services = pd.factorize(pairs["service"], sort=True)
    n_fam = int(fam_codes.max()) + 1 if len(fam_codes) else 0
    data = np.ones(len(pairs), dtype=np.int64)
    matrix = sp.csr_matrix((data, (fam_codes, svc_codes)), shape=(n_fam, len(services)))
    return matrix, np.asarray(services, dtype=object)


def _published(table: pd.DataFrame, columns: Sequence[str], policy: DisclosurePolicy) -> pd.DataFrame:
    """``table`` with ``columns`` protected, unless it already is (has ``<column>_suppressed``)."""
    todo = [c for c in columns if c in table.columns and f"{c}_suppressed" not in table.columns]
    return protect_table(table, todo, policy) if todo else table


def _fmt(value: object) -> str:
    return SUPPRESSED if pd.isna(value) else f"{int(value):,}"


# ---------------------------------------------------------------------------------------------------------- analysis


def family_service_graph(records: pd.DataFrame, *, family: str = "family_id", service: str = "service") -> nx.Graph:
    """The bipartite graph of families and the services in contact with them.

    Parameters
    ----------
    records : pandas.DataFrame
        Take-up records, one row per contact. Rows missing ``family`` or ``service`` are left out.
    family, service : str
        Column names.

    Returns
    -------
    networkx.Graph
        Family nodes have ``bipartite=0``, service nodes ``bipartite=1`` and ``caseload`` (distinct families).
        Each edge has ``contacts``: the number of records of that family with that service.

    Raises
    ------
    NetworkError
        If a column is missing, or a family identifier equals a service name (the nodes would merge).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"family_id": ["F1", "F1", "F2", "F1"], "service": ["GP", "A&E", "GP", "GP"]})
    >>> g = family_service_graph(r)
    >>> sorted(n for n, d in g.nodes(data=True) if d["bipartite"] == 1), g.nodes["GP"]["caseload"]
    (['A&E', 'GP'], 2)
    >>> g.edges["F1", "GP"]["contacts"]
    2
    """
    _pairs(records, family, service)  # validates the columns
    rows = records[[family, service]].dropna()
    contacts = rows.groupby([family, service], sort=True).size()
    families = pd.unique(rows[family])
    services = sorted(pd.unique(rows[service]))
    clash = set(families) & set(services)
    if clash:
        raise NetworkError(f"Family identifiers equal service names ({sorted(map(str, clash))[:3]}); rename them.")
    graph = nx.Graph()
    graph.add_nodes_from(families, bipartite=0)
    caseload = contacts.groupby(level=1).size()
    graph.add_nodes_from((s, {"bipartite": 1, "caseload": int(caseload[s])}) for s in services)
    graph.add_edges_from((f, s, {"contacts": int(n)}) for (f, s), n in contacts.items())
    return graph


def service_caseloads(records: pd.DataFrame, *, family: str = "family_id", service: str = "service") -> pd.Series:
    """Distinct families per service (exact), indexed by service in sorted order.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"family_id": ["F1", "F1", "F2"], "service": ["GP", "GP", "A&E"]})
    >>> service_caseloads(r).to_dict()
    {'A&E': 1, 'GP': 1}
    """
    pairs = _pairs(records, family, service)
    out = pairs.groupby("service", sort=True).size().astype("int64")
    out.index.name, out.name = "service", "caseload"
    return out


def service_overlap(
    records: pd.DataFrame, *, family: str = "family_id", service: str = "service", min_shared: int = 1
) -> pd.DataFrame:
    """Pairs of services sharing families, from the sparse product ``Bᵀ·B`` of the family × service matrix.

    ``B`` has a 1 where a family is in contact with a service. The diagonal of ``Bᵀ·B`` holds each service's
    caseload and the off-diagonal entries the families two services share, so the whole table costs one sparse
    product (no Python loop over pairs) and equals the weighted bipartite projection of
    :func:`family_service_graph` onto the services.

    Parameters
    ----------
    records : pandas.DataFrame
        Take-up records; duplicate contacts of a family with a service count once.
    family, service : str
        Column names.
    min_shared : int, default 1
        Keep pairs sharing at least this many families.

    Returns
    -------
    pandas.DataFrame
        ``service_a``, ``service_b`` (``service_a < service_b``), ``shared`` (families in contact with both),
        ``jaccard`` (shared ÷ families in contact with either), ``overlap`` (shared ÷ the smaller caseload),
        ``caseload_a``, ``caseload_b``; most shared first. Exact counts: see :func:`publishable_edges`.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"family_id": ["F1", "F1", "F2", "F2", "F3"], "service": list("ABABA")})
    >>> service_overlap(r)[["service_a", "service_b", "shared", "jaccard", "overlap"]]
      service_a service_b  shared   jaccard  overlap
    0         A         B       2  0.666667      1.0
    """
    pairs = _pairs(records, family, service)
    columns = ["service_a", "service_b", "shared", "jaccard", "overlap", "caseload_a", "caseload_b"]
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c.startswith("service") else float) for c in columns})
    matrix, services = _incidence(pairs)
    product = (matrix.T @ matrix).tocsr()
    caseload = product.diagonal().astype(np.int64)
    upper = sp.triu(product, k=1).tocoo()
    keep = upper.data >= max(int(min_shared), 1)
    a, b, shared = upper.row[keep], upper.col[keep], upper.data[keep].astype(np.int64)
    ca, cb = caseload[a], caseload[b]
    edges = pd.DataFrame(
        {
            "service_a": services[a],
            "service_b": services[b],
            "shared": shared,
            "jaccard": shared / (ca + cb - shared),
            "overlap": shared / np.minimum(ca, cb),
            "caseload_a": ca,
            "caseload_b": cb,
        }
    )
    edges = edges.sort_values(["shared", "service_a", "service_b"], ascending=[False, True, True], kind="stable")
    return edges.reset_index(drop=True)


def overlap_graph(
    edges: pd.DataFrame,
    caseloads: pd.Series | dict | None = None,
    *,
    weight: str = "shared",
    min_weight: float | None = None,
) -> nx.Graph:
    """The service graph: one node per service (``caseload``), one edge per row of :func:`service_overlap`.

    Parameters
    ----------
    edges : pandas.DataFrame
        Output of :func:`service_overlap`.
    caseloads : Series or dict, optional
        Distinct families per service (:func:`service_caseloads`); services with no shared families still get
        a node. Without it, caseloads come from the ``caseload_a``/``caseload_b`` columns of ``edges``.
    weight : str, default "shared"
        The edge column copied to the ``weight`` attribute as well (all edge columns are kept as attributes).
    min_weight : float, optional
        Leave out edges whose ``weight`` column is below this.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"family_id": ["F1", "F1", "F2", "F3"], "service": list("ABAC")})
    >>> g = overlap_graph(service_overlap(r), service_caseloads(r))
    >>> sorted(g.nodes(data="caseload")), list(g.edges(data="shared"))
    ([('A', 2), ('B', 1), ('C', 1)], [('A', 'B', 1)])
    """
    if weight not in edges.columns:
        raise NetworkError(f"The edge table has no column {weight!r}.{suggest(weight, map(str, edges.columns))}")
    graph = nx.Graph()
    if caseloads is None:
        if not {"caseload_a", "caseload_b"} <= set(edges.columns):
            raise NetworkError("Give caseloads (service_caseloads) or edges with caseload_a and caseload_b columns.")
        caseloads = dict(zip(edges["service_a"], edges["caseload_a"], strict=True)) | dict(
            zip(edges["service_b"], edges["caseload_b"], strict=True)
        )
    for name, value in sorted(dict(caseloads).items(), key=lambda item: str(item[0])):
        graph.add_node(name, caseload=int(value))
    kept = edges if min_weight is None else edges[edges[weight] >= min_weight]
    attributes = [c for c in kept.columns if c not in ("service_a", "service_b", "caseload_a", "caseload_b")]
    for row in kept.itertuples(index=False):
        data = {c: getattr(row, c) for c in attributes}
        for c, value in data.items():
            if isinstance(value, np.generic):
                data[c] = value.item()
        data["weight"] = data[weight]
        for node in (row.service_a, row.service_b):
            if node not in graph:
                raise NetworkError(f"Service {node!r} is in the edges but has no caseload.")
        graph.add_edge(row.service_a, row.service_b, **data)
    return graph


def network_measures(graph: nx.Graph, *, weight: str = "shared", seed: int = 42) -> pd.DataFrame:
    """Per service: caseload, degree, weighted degree, betweenness centrality and Louvain community.

    Betweenness uses the distance ``1 / weight``, not the weight: shortest-path algorithms treat an edge
    attribute as a *length*, and two services sharing many families are *close*. Using ``shared`` as the
    distance would make the strongest ties the longest routes, so the brokers found would be the services
    joined by the weakest links — the opposite of the question asked. Communities come from
    :func:`networkx.community.louvain_communities` weighted by ``weight`` with a fixed ``seed`` (deterministic),
    numbered from 1 by total caseload, and named after their largest-caseload service
    (``"around Specialist alcohol treatment"``); ties go to the first name in alphabetical order.

    Parameters
    ----------
    graph : networkx.Graph
        A service graph (:func:`overlap_graph`) whose nodes carry ``caseload``.
    weight : str, default "shared"
        Edge attribute giving the tie strength (``"shared"``, ``"jaccard"`` or ``"overlap"``).
    seed : int, default 42

    Returns
    -------
    pandas.DataFrame
        ``service``, ``caseload``, ``degree`` (linked services), ``weighted_degree`` (sum of ``weight`` over
        links), ``betweenness`` (normalised), ``community``, ``community_name``; largest caseload first.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_nodes_from([("A", {"caseload": 40}), ("B", {"caseload": 30}), ("C", {"caseload": 20})])
    >>> g.add_edge("A", "B", shared=12)
    >>> g.add_edge("B", "C", shared=9)
    >>> network_measures(g)[["service", "weighted_degree", "betweenness", "community_name"]]
      service  weighted_degree  betweenness community_name
    0       A               12          0.0       around A
    1       B               21          1.0       around A
    2       C                9          0.0       around A
    """
    missing = [n for n, c in graph.nodes(data="caseload") if c is None]
    if missing:
        raise NetworkError(f"Service nodes need a 'caseload' attribute; missing for {sorted(map(str, missing))[:5]}.")
    for u, v, w in graph.edges(data=weight):
        if w is None or not w > 0:
            raise NetworkError(f"Edge {u!r}–{v!r} needs a positive {weight!r} attribute (got {w!r}).")
    columns = ["service", "caseload", "degree", "weighted_degree", "betweenness", "community", "community_name"]
    if graph.number_of_nodes() == 0:
        return pd.DataFrame(columns=columns)
    caseload = dict(graph.nodes(data="caseload"))
    distance = nx.Graph()
    distance.add_nodes_from(graph.nodes)
    distance.add_edges_from((u, v, {"distance": 1.0 / w}) for u, v, w in graph.edges(data=weight))
    betweenness = nx.betweenness_centrality(distance, weight="distance", normalized=True)
    communities = nx.community.louvain_communities(graph, weight=weight, seed=seed)

    def largest(members: Iterable) -> object:
        return min(members, key=lambda n: (-caseload[n], str(n)))

    ranked = sorted(communities, key=lambda c: (-sum(caseload[n] for n in c), str(largest(c))))
    community, name = {}, {}
    for number, members in enumerate(ranked, start=1):
        label = f"around {largest(members)}"
        for node in members:
            community[node], name[node] = number, label
    weighted = dict(graph.degree(weight=weight))
    table = pd.DataFrame(
        {
            "service": list(graph.nodes),
            "caseload": [int(caseload[n]) for n in graph.nodes],
            "degree": [graph.degree(n) for n in graph.nodes],
            "weighted_degree": [weighted[n] for n in graph.nodes],
            "betweenness": [round(betweenness[n], 12) for n in graph.nodes],
            "community": [community[n] for n in graph.nodes],
            "community_name": [name[n] for n in graph.nodes],
        }
    )
    table = table.sort_values(["caseload", "service"], ascending=[False, True], key=_sort_key, kind="stable")
    return table.reset_index(drop=True)


def _sort_key(column: pd.Series) -> pd.Series:
    return column.astype(str) if column.name == "service" else column


def families_in_many(
    records: pd.DataFrame,
    thresholds: Sequence[int] = (3, 5, 7),
    *,
    family: str = "family_id",
    service: str = "service",
) -> pd.DataFrame:
    """How many families are in contact with at least ``k`` distinct services, for each ``k``.

    Exact counts: protect them (``protect_table(table, ["families"], policy)``) before publishing, and make any
    percentage from the published counts (:func:`circles.ingest.disclosure.rate_from_published`).

    Returns
    -------
    pandas.DataFrame
        ``min_services``, ``families``, and ``all_families`` (families with any service, the denominator).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"family_id": ["F1", "F1", "F1", "F2", "F2", "F3"], "service": list("ABCABA")})
    >>> families_in_many(r, thresholds=(1, 2, 3))
       min_services  families  all_families
    0             1         3             3
    1             2         2             3
    2             3         1             3
    """
    pairs = _pairs(records, family, service)
    per_family = pairs.groupby("family", sort=False).size().to_numpy()
    ks = sorted({int(k) for k in thresholds})
    if any(k < 1 for k in ks):
        raise NetworkError(f"Thresholds must be whole numbers of services of at least 1, not {list(thresholds)}.")
    return pd.DataFrame(
        {
            "min_services": ks,
            "families": [int((per_family >= k).sum()) for k in ks],
            "all_families": len(per_family),
        }
    )


def service_combinations(
    records: pd.DataFrame, top: int | None = 15, *, family: str = "family_id", service: str = "service"
) -> pd.DataFrame:
    """The commonest exact sets of services per family (UpSet-style), with the number of families in each.

    A family counts once, in the set of all the services it was in contact with.

    Returns
    -------
    pandas.DataFrame
        ``combination`` (services joined by ``" + "``), ``services`` (sorted tuple), ``n_services``,
        ``families``; most families first (ties: fewer services, then alphabetical). ``top=None`` keeps all.
        Exact counts: protect ``families`` before publishing.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"family_id": ["F1", "F1", "F2", "F2", "F3"], "service": list("ABBAA")})
    >>> service_combinations(r)[["combination", "families"]]
      combination  families
    0       A + B         2
    1           A         1
    """
    pairs = _pairs(records, family, service)
    pairs = pairs.assign(family=pairs["family"].astype(str), service=pairs["service"].astype(str))
    pairs = pairs.sort_values(["family", "service"])
    # one text key per family ("A + B"): counting strings works for any dtype the columns came in
    sets = pairs.groupby("family", sort=False)["service"].agg("\x1f".join)
    counts = sets.value_counts(sort=False)
    services = [tuple(key.split("\x1f")) for key in counts.index]
    table = pd.DataFrame(
        {
            "combination": [" + ".join(s) for s in services],
            "services": services,
            "n_services": [len(s) for s in services],
            "families": counts.to_numpy(dtype=np.int64),
        }
    )
    table = table.sort_values(["families", "n_services", "combination"], ascending=[False, True, True])
    table = table.reset_index(drop=True)
    return table if top is None else table.head(int(top))


# -------------------------------------------------------------------------------------------------------- disclosure


def publishable_edges(edges: pd.DataFrame, policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Protect :func:`service_overlap` edges for publication.

    ``shared`` (and ``caseload_a``/``caseload_b`` when present) go through
    :func:`circles.ingest.disclosure.protect_table`. Shared families do not add up to any published margin (a family
    can be in many pairs), so there is no secondary suppression. ``jaccard`` and ``overlap`` are *recomputed
    from the published counts* (``<NA>`` where any of them is suppressed): ratios of exact counts would give
    the suppressed numbers back.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"service_a": ["A", "A"], "service_b": ["B", "C"], "shared": [12, 3],
    ...                   "jaccard": [0.3, 0.1], "overlap": [0.4, 0.2], "caseload_a": [40, 40], "caseload_b": [30, 9]})
    >>> out = publishable_edges(e)
    >>> out["shared"].tolist(), out["shared_suppressed"].tolist(), out["overlap"].tolist()
    ([10, <NA>], [False, True], [0.333333, <NA>])
    """
    policy = policy or get_policy("nhs")
    counts = [c for c in ("shared", "caseload_a", "caseload_b") if c in edges.columns]
    out = protect_table(edges, counts, policy)
    ratios = [c for c in ("jaccard", "overlap") if c in out.columns]
    if ratios and {"caseload_a", "caseload_b"} <= set(out.columns):
        shared = out["shared"].astype("Float64")
        ca, cb = out["caseload_a"].astype("Float64"), out["caseload_b"].astype("Float64")
        union = (ca + cb - shared).mask(lambda s: s <= 0)
        smaller = np.minimum(ca, cb).mask(lambda s: s <= 0)
        recomputed = {"jaccard": shared / union, "overlap": shared / smaller}
        for column in ratios:
            out[column] = recomputed[column].round(6).astype("Float64")
    elif ratios:
        out = out.drop(columns=ratios)  # cannot be recomputed from published counts
    return out


def publishable_measures(
    measures: pd.DataFrame, policy: DisclosurePolicy | None = None, *, weight: str = "shared"
) -> pd.DataFrame:
    """Protect :func:`network_measures` for publication: ``caseload`` and (for count weights) ``weighted_degree``.

    ``weighted_degree`` is a count of family links when ``weight="shared"`` and is protected too; for ratio
    weights it is dropped. Betweenness and communities are structural and are kept as they are (rounded to
    3 decimals), but nothing is recomputed from suppressed values.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"service": ["A", "B"], "caseload": [143, 5], "degree": [1, 1], "weighted_degree": [5, 5],
    ...                   "betweenness": [0.0, 0.0], "community": [1, 1], "community_name": ["around A"] * 2})
    >>> publishable_measures(m)["caseload"].tolist()
    [145, <NA>]
    """
    policy = policy or get_policy("nhs")
    out = measures.copy()
    counts = ["caseload"]
    if "weighted_degree" in out.columns:
        if weight == "shared":
            counts.append("weighted_degree")
        else:
            out = out.drop(columns="weighted_degree")
    if "betweenness" in out.columns:
        out["betweenness"] = out["betweenness"].round(3)
    return protect_table(out, counts, policy)


# ----------------------------------------------------------------------------------------------------------- figures


def _community_colours(measures: pd.DataFrame) -> dict[str, str]:
    names = measures.sort_values("community").drop_duplicates("community")["community_name"].tolist()
    return {n: (_PALETTE[i] if i < len(_PALETTE) else _OTHER_COLOUR) for i, n in enumerate(names)}


def _layout(graph: nx.Graph, seed: int) -> dict:
    """Deterministic positions: spring layout pulled by the log of the shared families (strong ties close)."""
    if graph.number_of_nodes() == 0:
        return {}
    pull = nx.Graph()
    pull.add_nodes_from(sorted(graph.nodes, key=str))
    pull.add_edges_from(
        (u, v, {"pull": float(np.log1p(d.get("shared", d.get("weight", 1))))})
        for u, v, d in sorted(graph.edges(data=True), key=lambda e: (str(e[0]), str(e[1])))
    )
    k = 2.2 / np.sqrt(max(graph.number_of_nodes(), 1))
    return nx.spring_layout(pull, weight="pull", seed=seed, k=k, iterations=200)


def _edge_table(graph: nx.Graph, policy: DisclosurePolicy) -> pd.DataFrame:
    rows = [(u, v, int(d.get("shared", d.get("weight", 0)))) for u, v, d in graph.edges(data=True)]
    edges = pd.DataFrame(rows, columns=["service_a", "service_b", "shared"])
    return protect_table(edges, ["shared"], policy) if len(edges) else edges.assign(shared_suppressed=False)


def network_figure(
    graph: nx.Graph,
    measures: pd.DataFrame,
    *,
    title: str,
    subtitle: str | None = None,
    policy: DisclosurePolicy | None = None,
    seed: int = 42,
    edge_labels: int | None = 30,
    figsize: tuple[float, float] = _A3_LANDSCAPE,
) -> Figure:
    """A print figure (A3 landscape) of the service network, showing published values only.

    Node area is proportional to the *published* caseload (rounded; suppressed services get the smallest
    size), colour is the community (legend names them), edge width follows the published shared families
    and the strongest are labelled with it. Edges whose count is suppressed under ``policy`` are thin grey and
    carry no number. The layout is :func:`networkx.spring_layout` with a fixed ``seed``, so reruns give the same
    picture. Save with :func:`circles.figures.print_maps.save_print_map`.

    Parameters
    ----------
    graph : networkx.Graph
        Service graph (:func:`overlap_graph`) with exact ``shared`` edge counts.
    measures : pandas.DataFrame
        :func:`network_measures` output (exact or already published).
    title, subtitle : str
    policy : DisclosurePolicy, default ``nhs``
    seed : int
    edge_labels : int or None, default 30
        Print the published shared-family count on the ``edge_labels`` strongest unsuppressed edges (``None``: on
        all of them; ``0``: on none). A dense network is unreadable with every edge numbered.

    Examples
    --------
    >>> import pandas as pd
    >>> families = [f"F{i}" for i in range(30)] * 2
    >>> r = pd.DataFrame({"family_id": families, "service": ["A"] * 30 + ["B"] * 20 + ["C"] * 10})
    >>> g = overlap_graph(service_overlap(r), service_caseloads(r))
    >>> fig = network_figure(g, network_measures(g), title="Services sharing families")
    >>> [round(float(x), 1) for x in fig.get_size_inches()]
    [16.5, 11.7]
    """
    policy = policy or get_policy("nhs")
    published = _published(measures, ["caseload"], policy).set_index("service")
    colours = _community_colours(measures)
    pos = _layout(graph, seed)
    edges = _edge_table(graph, policy)
    scale = min(figsize) / (210 / 25.4)
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()

    shown = edges[~edges["shared_suppressed"].astype(bool)]
    hidden = edges[edges["shared_suppressed"].astype(bool)]
    if len(hidden):
        segs = [[pos[a], pos[b]] for a, b in zip(hidden["service_a"], hidden["service_b"], strict=True)]
        ax.add_collection(LineCollection(segs, zorder=1, gid=SUPPRESSED_EDGE_GID, **SUPPRESSED_EDGE_STYLE))
    if len(shown):
        values = shown["shared"].astype(float).to_numpy()
        widths = 1.0 + 9.0 * np.sqrt(values / values.max())
        segs = [[pos[a], pos[b]] for a, b in zip(shown["service_a"], shown["service_b"], strict=True)]
        ax.add_collection(LineCollection(segs, linewidths=widths, colors="#6b6b6b", alpha=0.55, zorder=2, gid=EDGE_GID))
        labelled = shown.sort_values("shared", ascending=False, kind="stable")
        labelled = labelled if edge_labels is None else labelled.head(max(int(edge_labels), 0))
        if len(labelled):
            for a, b, value in zip(labelled["service_a"], labelled["service_b"], labelled["shared"], strict=True):
                (x0, y0), (x1, y1) = pos[a], pos[b]
                ax.text(
                    (x0 + x1) / 2,
                    (y0 + y1) / 2,
                    _fmt(value),
                    fontsize=6 * scale,
                    ha="center",
                    va="center",
                    color="#333333",
                    zorder=3,
                    gid=EDGE_LABEL_GID,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                )

    nodes = [n for n in graph.nodes if n in published.index]
    caseload = published.loc[nodes, "caseload"].astype("Float64").fillna(0).to_numpy(dtype=float)
    biggest = caseload.max() if len(caseload) and caseload.max() > 0 else 1.0
    sizes = np.where(caseload > 0, 3000.0 * scale * caseload / biggest, 30.0 * scale)
    xy = np.array([pos[n] for n in nodes]) if nodes else np.empty((0, 2))
    face = [colours.get(published.loc[n, "community_name"], _OTHER_COLOUR) for n in nodes]
    ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=face, edgecolors="white", linewidths=1.2, zorder=4, gid=NODE_GID)
    for node, (x, y), value in zip(nodes, xy, published.loc[nodes, "caseload"], strict=True):
        ax.text(
            x,
            y,
            f"{textwrap.fill(str(node), 22)}\n({_fmt(value)})",
            fontsize=7.5 * scale,
            ha="center",
            va="center",
            zorder=5,
            gid=NODE_LABEL_GID,
            path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
        )
    if len(xy):
        pad = 0.12
        ax.set_xlim(xy[:, 0].min() - pad, xy[:, 0].max() + pad)
        ax.set_ylim(xy[:, 1].min() - pad, xy[:, 1].max() + pad)

    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=10, markerfacecolor=c, markeredgecolor="white", label=n)
        for n, c in colours.items()
    ]
    handles.append(
        Line2D(
            [], [], label=f"Fewer than {policy.suppress_below} shared families (suppressed)", **SUPPRESSED_EDGE_STYLE
        )
    )
    ax.legend(
        handles=handles,
        title="Communities (Louvain)",
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        fontsize=8 * scale,
        title_fontsize=9 * scale,
        alignment="left",
    )
    fig.suptitle(textwrap.fill(title, int(figsize[0] * 8.5)), fontsize=13 * scale, fontweight="bold", x=0.02, ha="left")
    note = subtitle or (
        "Circle area: families in contact with the service (caseload, in brackets). Line width and number: "
        "families in contact with both services."
    )
    ax.set_title(note, fontsize=8.5 * scale, loc="left", color="#333333")
    fig.supxlabel(f"Disclosure control: {policy.describe()}", fontsize=6 * scale, color="#444444", x=0.02, ha="left")
    return fig


def network_html(
    graph: nx.Graph,
    measures: pd.DataFrame,
    *,
    title: str,
    policy: DisclosurePolicy | None = None,
    seed: int = 42,
) -> go.Figure:
    """An interactive (plotly, offline) service network figure.

    Write it with :func:`circles.figures.interactive_maps.write_html`.

    Hover on a service shows its community and published caseload; hover on the middle of a link shows the
    published shared families (``*`` where suppressed). Only published (rounded or suppressed) values reach
    the page; suppressed links are thin grey.

    Examples
    --------
    >>> import pandas as pd
    >>> families = [f"F{i}" for i in range(30)] * 2
    >>> r = pd.DataFrame({"family_id": families, "service": ["A"] * 30 + ["B"] * 20 + ["C"] * 10})
    >>> g = overlap_graph(service_overlap(r), service_caseloads(r))
    >>> fig = network_html(g, network_measures(g), title="Services sharing families")
    >>> [t.name for t in fig.data if t.mode == "markers+text"]
    ['around A']
    """
    policy = policy or get_policy("nhs")
    published = _published(measures, ["caseload"], policy).set_index("service")
    colours = _community_colours(measures)
    pos = _layout(graph, seed)
    edges = _edge_table(graph, policy)
    fig = go.Figure()
    flags = edges["shared_suppressed"].astype(bool)
    top = edges.loc[~flags, "shared"].astype(float).max() if (~flags).any() else 1.0
    for row, suppressed in zip(edges.itertuples(index=False), flags, strict=True):
        (x0, y0), (x1, y1) = pos[row.service_a], pos[row.service_b]
        width = 0.6 if suppressed else 1.0 + 7.0 * float(np.sqrt(float(row.shared) / top))
        fig.add_trace(
            go.Scatter(
                x=[x0, x1],
                y=[y0, y1],
                mode="lines",
                line={"width": width, "color": "#cccccc" if suppressed else "rgba(90,90,90,0.5)"},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    if len(edges):
        mids = np.array(
            [
                [(pos[a][0] + pos[b][0]) / 2, (pos[a][1] + pos[b][1]) / 2]
                for a, b in zip(edges["service_a"], edges["service_b"], strict=True)
            ]
        )
        text = [
            f"{_esc(a)} and {_esc(b)}<br>Families in contact with both: {_fmt(n)}"
            for a, b, n in zip(edges["service_a"], edges["service_b"], edges["shared"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=mids[:, 0],
                y=mids[:, 1],
                mode="markers",
                marker={"size": 6, "color": "rgba(0,0,0,0)"},
                hovertext=text,
                hoverinfo="text",
                name="Shared families",
                showlegend=False,
            )
        )
    caseload_top = published["caseload"].astype("Float64").max()
    caseload_top = float(caseload_top) if pd.notna(caseload_top) and caseload_top > 0 else 1.0
    for name, colour in colours.items():
        members = [n for n in graph.nodes if n in published.index and published.loc[n, "community_name"] == name]
        values = published.loc[members, "caseload"]
        sizes = [8.0 if pd.isna(v) or v == 0 else 8.0 + 2000.0 * float(v) / caseload_top for v in values]
        fig.add_trace(
            go.Scatter(
                x=[pos[n][0] for n in members],
                y=[pos[n][1] for n in members],
                mode="markers+text",
                text=[_esc(str(n)) for n in members],
                textposition="top center",
                marker={"size": sizes, "sizemode": "area", "sizeref": 1.0, "color": colour, "line": {"color": "white"}},
                hovertext=[
                    f"<b>{_esc(str(n))}</b><br>Community: {_esc(name)}<br>Families (caseload): {_fmt(v)}"
                    for n, v in zip(members, values, strict=True)
                ],
                hoverinfo="text",
                name=name,
            )
        )
    fig.update_layout(
        title={"text": _esc(title)},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="white",
        legend={"title": {"text": "Communities (Louvain)"}},
        annotations=[
            {
                "text": _esc(f"Disclosure control: {policy.describe()}"),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.05,
                "showarrow": False,
                "font": {"size": 10, "color": "#444444"},
            }
        ],
    )
    return fig


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def combinations_figure(
    combos: pd.DataFrame,
    *,
    title: str = "Commonest combinations of services per family",
    policy: DisclosurePolicy | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """An UpSet-style figure: a bar of families per combination over a dot matrix of the services in it.

    Counts are protected under ``policy`` first (unless ``combos`` is already published): bars show published
    values, suppressed combinations get a ``*`` and no bar.

    Examples
    --------
    >>> import pandas as pd
    >>> families = [f"F{i}" for i in range(30)] * 2
    >>> r = pd.DataFrame({"family_id": families, "service": ["A"] * 30 + ["B"] * 20 + ["C"] * 10})
    >>> fig = combinations_figure(service_combinations(r))
    >>> len(fig.axes)
    2
    """
    policy = policy or get_policy("nhs")
    table = _published(combos, ["families"], policy).reset_index(drop=True)
    services = sorted({s for combo in table["services"] for s in combo}, key=str)
    n, m = len(table), len(services)
    size = figsize or (max(8.0, 2.5 + 0.55 * n), max(6.0, 3.5 + 0.35 * m))
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    bars, dots = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, max(1.0, 0.25 * m)]})
    values = table["families"].astype("Float64")
    heights = values.fillna(0).to_numpy(dtype=float)
    bars.bar(range(n), heights, color="#3f3f3f", width=0.6)
    for i, value in enumerate(values):
        bars.text(i, heights[i], _fmt(value), ha="center", va="bottom", fontsize=8)
    bars.set_ylabel("Families")
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    bars.set_title(title, loc="left", fontweight="bold")
    row = {s: j for j, s in enumerate(services)}
    for i in range(m):
        if i % 2 == 0:
            dots.axhspan(i - 0.5, i + 0.5, color="#f2f2f2", zorder=0)
    for i, combo in enumerate(table["services"]):
        ys = sorted(row[s] for s in combo)
        dots.scatter([i] * m, range(m), s=40, color="#d9d9d9", zorder=1)
        dots.scatter([i] * len(ys), ys, s=60, color="#1b1b1b", zorder=3)
        if len(ys) > 1:
            dots.plot([i, i], [ys[0], ys[-1]], color="#1b1b1b", linewidth=2, zorder=2)
    dots.set_yticks(range(m), [textwrap.shorten(str(s), 45) for s in services], fontsize=8)
    dots.set_ylim(m - 0.5, -0.5)
    dots.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        dots.spines[side].set_visible(False)
    fig.supxlabel(f"Disclosure control: {policy.describe()}", fontsize=7, color="#444444", x=0.02, ha="left")
    return fig
