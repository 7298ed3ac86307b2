"""Service network figures: the overlap network for print (A3 PDF) and the browser (HTML), and the UpSet figure.

Every figure applies disclosure control (:mod:`circles.ingest.disclosure`) itself and shows published values only:

``network_figure``       the service network, print (matplotlib, A3 landscape)
``network_html``         the same network, interactive (plotly, offline)
``combinations_figure``  the commonest combinations of services per family (UpSet-style)

The analysis they draw (:func:`~circles.challenge.network.overlap_graph`,
:func:`~circles.challenge.network.network_measures`, :func:`~circles.challenge.network.service_combinations`) is in
:mod:`circles.challenge.network`, which re-exports these figures.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # print output: never needs a display

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from circles.ingest.disclosure import SUPPRESSED, DisclosurePolicy, get_policy, protect_table

__all__ = [
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


def _published(table: pd.DataFrame, columns: Sequence[str], policy: DisclosurePolicy) -> pd.DataFrame:
    """``table`` with ``columns`` protected, unless it already is (has ``<column>_suppressed``)."""
    todo = [c for c in columns if c in table.columns and f"{c}_suppressed" not in table.columns]
    return protect_table(table, todo, policy) if todo else table


def _fmt(value: object) -> str:
    return SUPPRESSED if pd.isna(value) else f"{int(value):,}"


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
    >>> from circles.challenge.network import network_measures, overlap_graph, service_caseloads, service_overlap
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
    _draw_edges(ax, edges, pos, edge_labels=edge_labels, scale=scale)
    _draw_nodes(ax, graph, published, colours, pos, scale=scale)
    _draw_legend(ax, colours, policy, scale=scale)
    fig.suptitle(textwrap.fill(title, int(figsize[0] * 8.5)), fontsize=13 * scale, fontweight="bold", x=0.02, ha="left")
    note = subtitle or (
        "Circle area: families in contact with the service (caseload, in brackets). Line width and number: "
        "families in contact with both services."
    )
    ax.set_title(note, fontsize=8.5 * scale, loc="left", color="#333333")
    fig.supxlabel(f"Disclosure control: {policy.describe()}", fontsize=6 * scale, color="#444444", x=0.02, ha="left")
    return fig


def _draw_edges(ax: Axes, edges: pd.DataFrame, pos: dict, *, edge_labels: int | None, scale: float) -> None:
    """Suppressed edges thin grey; the others as wide as their shared families, the strongest labelled."""
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


def _draw_nodes(
    ax: Axes, graph: nx.Graph, published: pd.DataFrame, colours: dict[str, str], pos: dict, *, scale: float
) -> None:
    """Services sized by published caseload, coloured by community, labelled with name and caseload."""
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


def _draw_legend(ax: Axes, colours: dict[str, str], policy: DisclosurePolicy, *, scale: float) -> None:
    """The communities and the suppressed-edge style, right of the network."""
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
    >>> from circles.challenge.network import network_measures, overlap_graph, service_caseloads, service_overlap
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
    _add_edge_traces(fig, edges, pos)
    _add_node_traces(fig, graph, published, colours, pos)
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


def _add_edge_traces(fig: go.Figure, edges: pd.DataFrame, pos: dict) -> None:
    """One line trace per edge (suppressed ones thin grey), then invisible midpoints carrying the hover text."""
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


def _add_node_traces(
    fig: go.Figure, graph: nx.Graph, published: pd.DataFrame, colours: dict[str, str], pos: dict
) -> None:
    """One marker trace per community (its legend entry), sized by published caseload."""
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
    >>> from circles.challenge.network import service_combinations
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
