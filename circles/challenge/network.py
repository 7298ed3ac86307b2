"""Service networks: which services share families, and how many families are known to many services.

The Circles of Need case study found "large numbers of organisations involved [with the same families] without
knowing about each other". This module makes that visible from take-up records (one row per contact, with a
pseudonymous ``family_id`` and a ``service``):

* :func:`family_service_graph` — the bipartite family–service graph (``bipartite`` 0 = families, 1 = services).
* :func:`service_overlap` — one row per pair of services sharing families: ``shared`` families, Jaccard index
  and overlap coefficient, from a sparse incidence product (families × services, ``Bᵀ·B``); no loop over pairs.
* :func:`overlap_tests` — every pair of services against chance: observed shared families, the number expected if
  families used services independently, their ratio (*lift*), an exact one-sided test and a false discovery rate;
  the edges kept are the pairs sharing more families than chance would give.
* :func:`overlap_graph` — the service graph of those edges; :func:`network_measures` — caseload, weighted
  degree, betweenness (distance = 1 / weight) and Louvain communities named after their largest service.
* :func:`families_in_many` and :func:`service_combinations` — families known to many services, and the
  commonest exact sets of services (UpSet-style).
* :func:`publishable_edges`, :func:`publishable_pairs` (from :mod:`circles.challenge.network_matrix`) and
  :func:`publishable_measures` — disclosure control (:mod:`circles.ingest.disclosure`)
  before anything is published; the figures (:func:`network_figure`, :func:`network_html`,
  :func:`combinations_figure`) apply it themselves and show published values only.

The figures are drawn in :mod:`circles.challenge.network_figures`; they are re-exported here, so
``network.network_figure(...)`` works as before.

All counts returned by the analysis functions are exact: protect them before publishing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from circles.challenge.network_figures import (
    EDGE_GID,
    EDGE_LABEL_GID,
    NODE_GID,
    NODE_LABEL_GID,
    SUPPRESSED_EDGE_GID,
    combinations_figure,
    network_figure,
    network_html,
    overlap_matrix_figure,
)
from circles.challenge.network_matrix import publishable_edges, publishable_pairs
from circles.errors import CirclesError
from circles.ingest.disclosure import DisclosurePolicy, get_policy, protect_table
from circles.validation import suggest

__all__ = [
    "NetworkError",
    "family_service_graph",
    "service_caseloads",
    "service_overlap",
    "overlap_tests",
    "overlap_graph",
    "network_measures",
    "families_in_many",
    "service_combinations",
    "publishable_edges",
    "publishable_pairs",
    "publishable_measures",
    "network_figure",
    "overlap_matrix_figure",
    "network_html",
    "combinations_figure",
    "NODE_GID",
    "EDGE_GID",
    "SUPPRESSED_EDGE_GID",
    "EDGE_LABEL_GID",
    "NODE_LABEL_GID",
]


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


def overlap_tests(
    records: pd.DataFrame, *, family: str = "family_id", service: str = "service", alpha: float = 0.05
) -> pd.DataFrame:
    """Every pair of services: do they share more families than chance would give?

    For services *i* and *j* with caseloads *nᵢ* and *nⱼ* among *N* families, the families they would share if
    families used services independently of each other is ``expected = nᵢ·nⱼ / N``, and
    ``lift = shared / expected`` is the observed-over-expected ratio of association rules (Brin, Motwani, Ullman
    and Tsur, 1997). Under independence the shared count is hypergeometric, so the one-sided p-value is
    ``P(X ≥ shared) = hypergeom.sf(shared − 1, N, nᵢ, nⱼ)``: Fisher's exact test of the 2 × 2 table
    (families in *i* or not × in *j* or not), one-sided for more overlap than chance. The p-values of all pairs
    are then adjusted with the Benjamini–Hochberg (1995) false discovery rate
    (:func:`scipy.stats.false_discovery_control`), and a pair is ``kept`` when ``lift > 1`` and ``q < alpha``.

    A service every family is in has ``expected = shared`` with each other service, so its lift is exactly 1 and
    it is never kept: being in contact with every family says nothing about which services work together.

    Parameters
    ----------
    records : pandas.DataFrame
        Take-up records; duplicate contacts of a family with a service count once.
    family, service : str
        Column names.
    alpha : float, default 0.05
        The false discovery rate at which a pair is kept.

    Returns
    -------
    pandas.DataFrame
        One row per pair of services (``service_a < service_b``, pairs sharing no family included, since they
        are tested too): ``shared``, ``expected``, ``lift``, ``p_value``, ``q_value``, ``kept``, ``jaccard``,
        ``overlap``, ``caseload_a``, ``caseload_b`` and ``all_families`` (*N*); most shared first. Exact values:
        publish :func:`publishable_pairs` instead.

    Examples
    --------
    Every family is in A; B and C share 8 of their 10 families:

    >>> import pandas as pd
    >>> fams = [f"F{i}" for i in range(40)]
    >>> r = pd.DataFrame({"family_id": fams + fams[:10] + fams[2:12], "service": ["A"] * 40 + ["B"] * 10 + ["C"] * 10})
    >>> t = overlap_tests(r).set_index(["service_a", "service_b"])
    >>> bc = t.loc[("B", "C")]
    >>> int(bc["shared"]), float(bc["expected"]), float(bc["lift"]), bool(bc["kept"])
    (8, 2.5, 3.2, True)
    >>> ab = t.loc[("A", "B")]
    >>> int(ab["shared"]), float(ab["lift"]), bool(ab["kept"])
    (10, 1.0, False)
    """
    pairs = _pairs(records, family, service)
    columns = ["service_a", "service_b", "shared", "expected", "lift", "p_value", "q_value", "kept"]
    columns += ["jaccard", "overlap", "caseload_a", "caseload_b", "all_families"]
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c.startswith("service") else float) for c in columns})
    matrix, services = _incidence(pairs)
    n_families = matrix.shape[0]
    product = (matrix.T @ matrix).toarray()
    caseload = np.diag(product).astype(np.int64)
    a, b = np.triu_indices(len(services), k=1)
    shared, ca, cb = product[a, b].astype(np.int64), caseload[a], caseload[b]
    expected = ca * cb / n_families
    lift = shared / expected
    p_value = stats.hypergeom.sf(shared - 1, n_families, ca, cb)
    q_value = stats.false_discovery_control(p_value, method="bh") if len(p_value) else p_value
    table = pd.DataFrame(
        {
            "service_a": services[a],
            "service_b": services[b],
            "shared": shared,
            "expected": expected,
            "lift": lift,
            "p_value": p_value,
            "q_value": q_value,
            "kept": (lift > 1) & (q_value < alpha),
            "jaccard": shared / (ca + cb - shared),
            "overlap": shared / np.minimum(ca, cb),
            "caseload_a": ca,
            "caseload_b": cb,
            "all_families": n_families,
        }
    )
    table = table.sort_values(["shared", "service_a", "service_b"], ascending=[False, True, True], kind="stable")
    return table.reset_index(drop=True)


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
