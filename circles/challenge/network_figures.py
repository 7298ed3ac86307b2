"""Service network figures: the overlap network and its matrix for print and packs, the browser view, and UpSet.

Every figure applies disclosure control (:mod:`circles.ingest.disclosure`) itself and shows published values only:

``network_figure``         the network of agencies sharing more families than chance (matplotlib)
``overlap_matrix_figure``  agencies × agencies heat map of lift, with the published shared families in the cells
``network_html``           the same network, interactive (plotly, offline)
``combinations_figure``    the commonest combinations of services per family (UpSet-style)

The print figures are drawn for a :class:`~circles.figures.media.Medium` (the page they are printed on): at its
size, every text sized from :attr:`~circles.figures.media.Medium.type`. Without one they are drawn for A3 landscape.
Node labels in :func:`network_figure` are measured as rendered and placed beside their node where they overlap no
other label and no node (numbered, with a key, when no place is free); edge labels go only where they touch nothing.

The analysis they draw (:func:`~circles.challenge.network.overlap_tests`,
:func:`~circles.challenge.network.network_measures`, :func:`~circles.challenge.network.service_combinations`) is in
:mod:`circles.challenge.network`, which re-exports these figures.
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")  # print output: never needs a display

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from circles.challenge.network_labels import EDGE_LABEL_GID, NODE_LABEL_GID, label_edges, place_node_labels
from circles.challenge.network_matrix import A3 as _A3
from circles.challenge.network_matrix import fmt as _fmt
from circles.challenge.network_matrix import overlap_matrix_figure, publishable_pairs
from circles.challenge.network_matrix import plural as _plural
from circles.challenge.network_matrix import published as _published
from circles.figures.media import Medium
from circles.ingest.disclosure import DisclosurePolicy, get_policy, protect_table

__all__ = [
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

#: ``gid`` of the artists of :func:`network_figure` (to find them in a figure).
NODE_GID = "network-node"
EDGE_GID = "network-edge"
SUPPRESSED_EDGE_GID = "network-edge-suppressed"

#: How an edge whose shared-family count is suppressed is drawn.
SUPPRESSED_EDGE_STYLE = {"color": "#9e9e9e", "linewidth": 1.0, "linestyle": "--"}

_PALETTE = "#1b9e77 #d95f02 #7570b3 #e7298a #66a61e #e6ab02 #a6761d #1f78b4 #b15928 #6a3d9a".split()
_OTHER_COLOUR = "#8c8c8c"
_UNLINKED = "Linked to no other {unit} beyond chance"


# ----------------------------------------------------------------------------------------------------------- figures


def _community_colours(measures: pd.DataFrame, unit: str = "agency") -> dict[str, str]:
    """A colour per community of linked nodes; every node with no link shares one grey entry."""
    linked = measures[measures["degree"] > 0] if "degree" in measures else measures
    names = linked.sort_values("community").drop_duplicates("community")["community_name"].tolist()
    colours = {n: (_PALETTE[i] if i < len(_PALETTE) else _OTHER_COLOUR) for i, n in enumerate(names)}
    if "degree" in measures and (measures["degree"] == 0).any():
        colours[_UNLINKED.format(unit=unit)] = _OTHER_COLOUR
    return colours


def _group_of(measures: pd.DataFrame, unit: str) -> dict:
    """The legend entry of each node: its community's name, or the unlinked entry."""
    linked = measures["degree"] > 0 if "degree" in measures else pd.Series(True, index=measures.index)
    unlinked = _UNLINKED.format(unit=unit)
    return {
        s: (c if keep else unlinked)
        for s, c, keep in zip(measures["service"], measures["community_name"], linked, strict=True)
    }


def _layout(graph: nx.Graph, seed: int) -> dict:
    """Deterministic positions: a spring layout in which linked nodes attract (equally, so strong ties do not pile
    nodes on top of each other), then spread so no two nodes are closer than a tenth of the drawing."""
    if graph.number_of_nodes() == 0:
        return {}
    pull = nx.Graph()
    pull.add_nodes_from(sorted(graph.nodes, key=str))
    pull.add_edges_from(sorted(((u, v) for u, v in graph.edges), key=lambda e: (str(e[0]), str(e[1]))), pull=0.5)
    k = 2.2 / np.sqrt(max(graph.number_of_nodes(), 1))
    pos = nx.spring_layout(pull, weight="pull", seed=seed, k=k, iterations=200)
    names = list(pos)
    xy = np.array([pos[n] for n in names], dtype=float)
    for _ in range(200):  # push apart pairs closer than the minimum distance
        diff = xy[:, None, :] - xy[None, :, :]
        dist = np.hypot(diff[..., 0], diff[..., 1]) + np.eye(len(xy))
        close = dist < 0.35
        if not close.any():
            break
        xy += (diff / dist[..., None] * ((0.35 - dist) * close)[..., None]).sum(axis=1) / 2
    return {n: xy[i] for i, n in enumerate(names)}


def _edge_table(graph: nx.Graph, policy: DisclosurePolicy) -> pd.DataFrame:
    """The graph's edges with published ``shared`` and, when the graph knows its families, published ``lift``."""
    rows = [
        (u, v, int(d.get("shared", d.get("weight", 0))), graph.nodes[u].get("caseload"), graph.nodes[v].get("caseload"))
        for u, v, d in graph.edges(data=True)
    ]
    edges = pd.DataFrame(rows, columns=["service_a", "service_b", "shared", "caseload_a", "caseload_b"])
    if not len(edges):
        return edges.assign(shared_suppressed=False, lift=pd.Series(dtype="Float64"))
    families = graph.graph.get("families")
    if families and edges[["caseload_a", "caseload_b"]].notna().all().all():
        return publishable_pairs(edges.assign(all_families=int(families)), policy)
    return protect_table(edges.drop(columns=["caseload_a", "caseload_b"]), ["shared"], policy).assign(lift=pd.NA)


def network_figure(
    graph: nx.Graph,
    measures: pd.DataFrame,
    *,
    title: str,
    subtitle: str | None = None,
    policy: DisclosurePolicy | None = None,
    seed: int = 42,
    edge_labels: int | None = 30,
    medium: Medium | None = None,
    height_mm: float | None = None,
    unit: str = "agency",
) -> Figure:
    """The network of agencies (or services) sharing families, for print, showing published values only.

    Node area is proportional to the *published* caseload (suppressed ones get the smallest size), colour is the
    community (Louvain; the legend names them, nodes with no line are grey). A line joins two nodes that share
    more families than chance would give (the ``kept`` pairs of :func:`~circles.challenge.network.overlap_tests`),
    as wide as its lift and labelled with it (``×2.4``) where the label touches no node or label; a line whose
    shared count is suppressed is grey and dashed, with no number. Node labels never overlap: each is measured as
    rendered and put beside its node where it covers no other label and no node, or numbered with a key. The
    layout is :func:`networkx.spring_layout` with a fixed ``seed``.

    Parameters
    ----------
    graph : networkx.Graph
        Service graph with exact ``shared`` edge counts and node ``caseload``; ``graph.graph["families"]`` (all
        families) lets the lift be recomputed from published counts.
    measures : pandas.DataFrame
        :func:`~circles.challenge.network.network_measures` output (exact or already published).
    title, subtitle : str
    policy : DisclosurePolicy, default ``nhs``
    seed : int
    edge_labels : int or None, default 30
        Label at most this many lines, highest lift first (``None``: all; ``0``: none).
    medium : Medium, optional
        The page it is printed on (:data:`circles.figures.media.MEDIA`); default A3 landscape.
    height_mm : float, optional
        Draw shorter than the medium's full height.
    unit : str, default "agency"
        What a node is, in words (``"service"`` when records could not be mapped to a directory).

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.challenge.network import network_measures, overlap_graph, service_caseloads, service_overlap
    >>> from circles.figures.media import MEDIA
    >>> families = [f"F{i}" for i in range(30)] * 2
    >>> r = pd.DataFrame({"family_id": families, "service": ["A"] * 30 + ["B"] * 20 + ["C"] * 10})
    >>> g = overlap_graph(service_overlap(r), service_caseloads(r))
    >>> fig = network_figure(g, network_measures(g), title="Services sharing families", medium=MEDIA["wall"])
    >>> [round(float(x) * 25.4) for x in fig.get_size_inches()] == [MEDIA["wall"].width_mm, MEDIA["wall"].height_mm]
    True
    """
    policy, medium = policy or get_policy("nhs"), medium or _A3
    first = _SPLIT_LARGE if medium.large_print else _SPLIT
    for split in (first, first - 0.1, first - 0.2):  # a wider panel when the key of numbered nodes needs it
        fig, fits = _draw_network(
            graph,
            measures,
            medium,
            policy,
            title=title,
            note=subtitle or _network_note(unit),
            seed=seed,
            edge_labels=edge_labels,
            height_mm=height_mm,
            unit=unit,
            split=split,
        )
        if fits:
            break
    return fig


def _draw_network(
    graph: nx.Graph,
    measures: pd.DataFrame,
    medium: Medium,
    policy: DisclosurePolicy,
    *,
    title: str,
    note: str,
    seed: int,
    edge_labels: int | None,
    height_mm: float | None,
    unit: str,
    split: float,
) -> tuple[Figure, bool]:
    """:func:`network_figure` with its right-hand panel from ``split`` (a fraction of the width); and whether the
    key of numbered nodes fits above the foot of the figure."""
    fig = Figure(figsize=medium.figsize(height_mm=height_mm))
    FigureCanvasAgg(fig)
    top = _heading(fig, medium, title, note)
    colours = _community_colours(measures, unit)
    keyed = _legend(fig, medium, colours, policy, top=top, split=split)
    # the disclosure line under the network only, wrapped to its width: the key may take the panel's full height
    rule = textwrap.fill(
        f"Disclosure control: {policy.describe()}",
        medium.chars_per_line("small", width_mm=(split - 0.03) * medium.width_mm),
    )
    foot = fig.text(0.01, _FOOT, rule, fontsize=medium.type["small"], color="#444444")
    bottom = foot.get_window_extent(fig.canvas.get_renderer()).y1 / fig.bbox.height + 0.015
    ax = fig.add_axes((0.01, bottom, split - 0.03, top - 0.02 - bottom))
    ax.set_axis_off()
    if graph.number_of_nodes() == 0:
        return fig, True
    published = _published(measures, ["caseload"], policy).set_index("service")
    pos = _layout(graph, seed)
    edges = _edge_table(graph, policy)
    group = _group_of(measures, unit)
    nodes, radii = _draw_nodes(ax, graph, published, {n: colours.get(g, _OTHER_COLOUR) for n, g in group.items()}, pos)
    _draw_edges(ax, edges, pos)
    texts = [
        f"{textwrap.fill(str(n), _wrap(medium), break_long_words=False)}\n({_fmt(published.loc[n, 'caseload'])})"
        for n in nodes
    ]
    labels, numbered = place_node_labels(fig, ax, np.array([pos[n] for n in nodes]), radii, texts, medium)
    label_edges(fig, ax, edges, pos, nodes, radii, labels, medium, limit=edge_labels)
    return fig, not numbered or _key(fig, keyed, numbered, medium, split=split)


#: Where the right-hand panel (legend and key) of :func:`network_figure` starts, as a fraction of the width: wider
#: in large print, where its 16 pt entries need more room.
_SPLIT, _SPLIT_LARGE = 0.72, 0.60
#: The foot of the figure (the disclosure line's baseline), as a fraction of its height: the key stays above it.
_FOOT = 0.012


def _wrap(medium: Medium) -> int:
    """Characters per line of a node label: about 15% of the page width."""
    return medium.chars_per_line("text", width_mm=0.15 * medium.width_mm)


def _panel_wrap(medium: Medium, split: float, indent_em: float = 3.5) -> int:
    """Characters per line of a legend or key entry in the right-hand panel, less ``indent_em`` for its marker."""
    width_mm = (0.985 - split) * medium.width_mm - indent_em * medium.type["text"] * 25.4 / 72
    return medium.chars_per_line("text", width_mm=width_mm)


def _network_note(unit: str) -> str:
    many, article = _plural(unit), "An" if unit[:1].lower() in "aeiou" else "A"
    return (
        f"A line joins two {many} that share more families than chance would give (lift > 1, false discovery rate "
        f"q < 0.05); its width and number are the lift (shared families ÷ those expected if families used {many} "
        f"independently). Circle area: families in contact with the {unit} (in brackets). {article} {unit} with no "
        f"line, such as one in contact with nearly every family, shares no more families with any other than chance "
        "would give."
    )


def _heading(fig: Figure, medium: Medium, title: str, note: str) -> float:
    """Title and note at the top left; returns the figure fraction just below them."""
    renderer = fig.canvas.get_renderer()
    width_mm = medium.width_mm * 0.97
    head = fig.text(
        0.01,
        0.985,
        textwrap.fill(title, medium.chars_per_line("title", width_mm, bold=True)),
        fontsize=medium.type["title"],
        fontweight="bold",
        va="top",
    )
    y = head.get_window_extent(renderer).y0 / fig.bbox.height - 0.01
    body = fig.text(
        0.01,
        y,
        textwrap.fill(note, medium.chars_per_line("text", width_mm)),
        fontsize=medium.type["text"],
        color="#333333",
        va="top",
    )
    return body.get_window_extent(renderer).y0 / fig.bbox.height - 0.015


def _legend(
    fig: Figure, medium: Medium, colours: dict[str, str], policy: DisclosurePolicy, *, top: float, split: float
):
    """The communities and the line styles, right of the network, wrapped to the panel's width."""
    wrap = _panel_wrap(medium, split)
    dot = {"marker": "o", "linestyle": "", "markersize": medium.type["text"], "markeredgecolor": "white"}
    hidden = f"The same, fewer than {policy.suppress_below} shared families (count suppressed)"
    handles = [
        Line2D([], [], markerfacecolor=c, label=textwrap.fill(n, wrap, break_long_words=False), **dot)
        for n, c in colours.items()
    ]
    more = textwrap.fill("More shared families than chance", wrap)
    handles.append(Line2D([], [], color="#6b6b6b", linewidth=3, label=more))
    handles.append(Line2D([], [], label=textwrap.fill(hidden, wrap), **SUPPRESSED_EDGE_STYLE))
    return fig.legend(
        handles=handles,
        title="Communities (Louvain)",
        loc="upper left",
        bbox_to_anchor=(split, top),
        frameon=False,
        fontsize=medium.type["text"],
        title_fontsize=medium.type["heading"],
        alignment="left",
    )


def _key(fig: Figure, legend, numbered: list[tuple[int, str]], medium: Medium, *, split: float) -> bool:
    """The names of the numbered nodes, under the legend; in two columns when one would reach the foot of the
    figure. Whether it fits above the foot."""
    renderer = fig.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    y = box.y0 / fig.bbox.height - 0.02
    x = box.x0 / fig.bbox.width
    floor = _FOOT * fig.bbox.height
    wrap = _panel_wrap(medium, split, indent_em=1.0)
    lines = [textwrap.fill(f"{k}  {name}", wrap, subsequent_indent="    ") for k, name in numbered]
    key = fig.text(x, y, "Numbered on the network\n" + "\n".join(lines), fontsize=medium.type["text"], va="top")
    if key.get_window_extent(renderer).y0 > floor:
        return True
    if len(lines) < 2:
        return False
    half = (len(lines) + 1) // 2
    wrap = _panel_wrap(medium, split + (0.985 - split) / 2, indent_em=1.0)
    lines = [textwrap.fill(f"{k}  {name}", wrap, subsequent_indent="    ") for k, name in numbered]
    key.set_text("Numbered on the network\n" + "\n".join(lines[:half]))
    right = fig.text(x + (0.985 - split) / 2, y, "\n" + "\n".join(lines[half:]), fontsize=medium.type["text"], va="top")
    return min(key.get_window_extent(renderer).y0, right.get_window_extent(renderer).y0) > floor


def _draw_nodes(
    ax: Axes, graph: nx.Graph, published: pd.DataFrame, colour: dict[str, str], pos: dict
) -> tuple[list, np.ndarray]:
    """Nodes sized by published caseload (area), coloured by community; returns them and their radii in points."""
    nodes = [n for n in graph.nodes if n in published.index]
    caseload = published.loc[nodes, "caseload"].astype("Float64").fillna(0).to_numpy(dtype=float)
    biggest = caseload.max() if len(caseload) and caseload.max() > 0 else 1.0
    height_pt = ax.get_position().height * ax.figure.get_figheight() * 72
    top = min(0.16 * height_pt, 90.0)
    diameter = np.where(caseload > 0, np.maximum(top * np.sqrt(caseload / biggest), 8.0), 6.0)
    xy = np.array([pos[n] for n in nodes]) if nodes else np.empty((0, 2))
    face = [colour.get(n, _OTHER_COLOUR) for n in nodes]
    ax.scatter(xy[:, 0], xy[:, 1], s=diameter**2, c=face, edgecolors="white", linewidths=1.2, zorder=4, gid=NODE_GID)
    if len(xy):
        # 8% of the spread on each side, or more where the largest circle would be cut by the frame: a margin
        # of its radius (and a little for the layout) in points, whatever the data units
        margin = diameter.max() / 2 + 4.0
        width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
        for axis, size_pt, set_limits in ((0, width_pt, ax.set_xlim), (1, height_pt, ax.set_ylim)):
            low, high = xy[:, axis].min(), xy[:, axis].max()
            span = max(high - low, 1e-6)
            pad = max(0.08 * span, margin * span / max(size_pt - 2 * margin, 1.0))
            set_limits(low - pad, high + pad)
    return nodes, diameter / 2


def _draw_edges(ax: Axes, edges: pd.DataFrame, pos: dict) -> None:
    """Lines as wide as their published lift (or shared families); suppressed ones grey and dashed."""
    hidden = edges["shared_suppressed"].astype(bool)
    if hidden.any():
        segs = [
            [pos[a], pos[b]]
            for a, b in zip(edges.loc[hidden, "service_a"], edges.loc[hidden, "service_b"], strict=True)
        ]
        ax.add_collection(LineCollection(segs, zorder=1, gid=SUPPRESSED_EDGE_GID, **SUPPRESSED_EDGE_STYLE))
    shown = edges[~hidden]
    if len(shown):
        lift = shown["lift"].astype("Float64")
        values = (lift if lift.notna().all() else shown["shared"].astype("Float64")).to_numpy(dtype=float)
        widths = 1.0 + 7.0 * np.sqrt(values / values.max())
        segs = [[pos[a], pos[b]] for a, b in zip(shown["service_a"], shown["service_b"], strict=True)]
        ax.add_collection(LineCollection(segs, linewidths=widths, colors="#6b6b6b", alpha=0.6, zorder=2, gid=EDGE_GID))


def network_html(
    graph: nx.Graph,
    measures: pd.DataFrame,
    *,
    title: str,
    policy: DisclosurePolicy | None = None,
    seed: int = 42,
    unit: str = "agency",
) -> go.Figure:
    """An interactive (plotly, offline) network figure: the lines of :func:`network_figure`, in the browser.

    Write it with :func:`circles.figures.interactive_maps.write_html`.

    Hover on a node shows its community and published caseload; hover on the middle of a line shows the
    published shared families and lift (``*`` where suppressed). Only published (rounded or suppressed) values
    reach the page; lines whose count is suppressed are thin grey. The layout sizes itself to the window
    (``autosize``, no fixed width or height), long names are wrapped, never cut, and the axes leave room for them.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.challenge.network import network_measures, overlap_graph, service_caseloads, service_overlap
    >>> families = [f"F{i}" for i in range(30)] * 2
    >>> r = pd.DataFrame({"family_id": families, "service": ["A"] * 30 + ["B"] * 20 + ["C"] * 10})
    >>> g = overlap_graph(service_overlap(r), service_caseloads(r))
    >>> fig = network_html(g, network_measures(g), title="Services sharing families")
    >>> [t.name for t in fig.data if t.mode == "markers+text"], fig.layout.autosize, fig.layout.width
    (['around A'], True, None)
    """
    policy = policy or get_policy("nhs")
    published = _published(measures, ["caseload"], policy).set_index("service")
    colours = _community_colours(measures, unit)
    group = _group_of(measures, unit)
    pos = _layout(graph, seed)
    edges = _edge_table(graph, policy)
    fig = go.Figure()
    _add_edge_traces(fig, edges, pos)
    _add_node_traces(fig, graph, published, colours, group, pos)
    xs, ys = [p[0] for p in pos.values()] or [0.0], [p[1] for p in pos.values()] or [0.0]
    fig.update_layout(
        title={"text": _esc(title) + f"<br><sup>{_esc(_network_note(unit).split('. Circle')[0])}.</sup>"},
        autosize=True,
        margin={"l": 20, "r": 20, "t": 90, "b": 50},
        xaxis={"visible": False, "range": [min(xs) - 0.35, max(xs) + 0.35]},
        yaxis={"visible": False, "range": [min(ys) - 0.2, max(ys) + 0.25]},
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
            + ("" if pd.isna(lift) else f"<br>Lift: ×{float(lift):.2f} (shared ÷ expected by chance)")
            for a, b, n, lift in zip(
                edges["service_a"], edges["service_b"], edges["shared"], edges["lift"], strict=True
            )
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
    fig: go.Figure, graph: nx.Graph, published: pd.DataFrame, colours: dict[str, str], group: dict, pos: dict
) -> None:
    """One marker trace per community (its legend entry), sized by published caseload; names wrapped, not cut."""
    caseload_top = published["caseload"].astype("Float64").max()
    caseload_top = float(caseload_top) if pd.notna(caseload_top) and caseload_top > 0 else 1.0
    for name, colour in colours.items():
        members = [n for n in graph.nodes if n in published.index and group.get(n) == name]
        values = published.loc[members, "caseload"]
        sizes = [8.0 if pd.isna(v) or v == 0 else 8.0 + 2000.0 * float(v) / caseload_top for v in values]
        fig.add_trace(
            go.Scatter(
                x=[pos[n][0] for n in members],
                y=[pos[n][1] for n in members],
                mode="markers+text",
                text=[_esc(textwrap.fill(str(n), 24, break_long_words=False)).replace("\n", "<br>") for n in members],
                textposition="top center",
                marker={"size": sizes, "sizemode": "area", "sizeref": 1.0, "color": colour, "line": {"color": "white"}},
                hovertext=[
                    f"<b>{_esc(str(n))}</b><br>{_esc(name)}<br>Families (caseload): {_fmt(v)}"
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
    medium: Medium | None = None,
    height_mm: float | None = None,
) -> Figure:
    """An UpSet-style figure (Lex et al., 2014): a bar of families per combination over a dot matrix of its services.

    Counts are protected under ``policy`` first (unless ``combos`` is already published): bars show published
    values, suppressed combinations get a ``*`` and no bar. With a ``medium`` the figure is drawn at its size
    and every text is sized from its type; without one, at ``figsize`` (default: grown with the table).

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.challenge.network import service_combinations
    >>> families = [f"F{i}" for i in range(30)] * 2
    >>> r = pd.DataFrame({"family_id": families, "service": ["A"] * 30 + ["B"] * 20 + ["C"] * 10})
    >>> fig = combinations_figure(service_combinations(r))
    >>> len(fig.axes)
    2
    >>> from circles.figures.media import MEDIA
    >>> fig = combinations_figure(service_combinations(r), medium=MEDIA["wall_large"])
    >>> min(t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_text()))
    16.0
    """
    policy = policy or get_policy("nhs")
    table = _published(combos, ["families"], policy).reset_index(drop=True)
    services = sorted({s for combo in table["services"] for s in combo}, key=str)
    n, m = len(table), len(services)
    size = figsize or (max(8.0, 2.5 + 0.55 * n), max(6.0, 3.5 + 0.35 * m))
    kind = medium or Medium(
        "own", size[0] * 25.4, size[1] * 25.4, 7.0, {"small": 7, "text": 8, "heading": 9, "title": 12}
    )
    fig = Figure(figsize=kind.figsize(height_mm=height_mm), layout="constrained")
    FigureCanvasAgg(fig)
    bars, dots = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, max(1.0, 0.25 * m)]})
    values = table["families"].astype("Float64")
    heights = values.fillna(0).to_numpy(dtype=float)
    bars.bar(range(n), heights, color="#3f3f3f", width=0.6)
    for i, value in enumerate(values):
        bars.text(i, heights[i], _fmt(value), ha="center", va="bottom", fontsize=kind.type["small"])
    bars.set_ylabel("Families", fontsize=kind.type["text"])
    bars.tick_params(labelsize=kind.type["small"])
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    bars.set_title(
        textwrap.fill(title, kind.chars_per_line("title", bold=True)),
        loc="left",
        fontweight="bold",
        fontsize=kind.type["title"],
    )
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
    dots.set_yticks(
        range(m), [textwrap.fill(str(s), 45, break_long_words=False) for s in services], fontsize=kind.type["text"]
    )
    dots.set_ylim(m - 0.5, -0.5)
    dots.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        dots.spines[side].set_visible(False)
    fig.supxlabel(
        f"Disclosure control: {policy.describe()}", fontsize=kind.type["small"], color="#444444", x=0.02, ha="left"
    )
    return fig
