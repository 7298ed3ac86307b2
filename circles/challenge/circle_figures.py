"""Circle-of-need figures: a :class:`~circles.challenge.circle_placement.CircleLayout` drawn for print and the browser.

:func:`circle_figure` draws it for print (A3 landscape, save with :func:`circles.figures.print_maps.save_print_map`) and
:func:`circle_html` draws it for the browser (save with :func:`circles.figures.interactive_maps.write_html`).

Readability rules of the print figure
-------------------------------------
* No text is smaller than :data:`MIN_FONT_PT` (7 pt).
* A name that does not fit on two lines of :data:`LABEL_WRAP` characters goes to the numbered key: the diagram shows
  its number (``1``, ``2``… for ring 1, ``S1``… for services, ``P1``… for providers) and the key the full name.
* Labels are then measured as rendered; while two overlap (or one leaves the diagram), the longer of the pair moves to
  the key, and when both are already numbers the outer one is nudged outwards along its radius.
"""

from __future__ import annotations

import html
import math
import textwrap
from dataclasses import dataclass
from typing import Literal

import matplotlib

matplotlib.use("Agg")  # print output: never needs a display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from circles.challenge.circle_placement import RING_RADII, CircleError, CircleLayout
from circles.figures.print_maps import paper_size

__all__ = [
    "circle_figure",
    "circle_html",
    "DIMENSION_COLOURS",
    "MIN_FONT_PT",
    "LABEL_WRAP",
    "LABEL_GID",
    "KEY_GID",
    "CENTRE_GID",
]

#: Marker colour of each dimension (colour-blind-safe Dark2); other dimensions are grey.
DIMENSION_COLOURS: dict[str, str] = {
    "need": "#1b9e77",
    "barrier": "#d95f02",
    "aspiration": "#7570b3",
    "fear": "#e7298a",
}
OTHER_COLOUR = "#999999"
SERVICE_COLOUR = "#4a7fb0"
PROVIDER_COLOUR = "#444444"
UNMET_COLOUR = "#d7191c"
#: Smallest type anywhere on the print figure, in points.
MIN_FONT_PT = 7.0
#: Characters per line of a diagram label; a name needing more than two lines goes to the key.
LABEL_WRAP = 18
#: ``gid`` prefixes of the diagram labels, the key entries and the centre text (``"<prefix>:<node_id>"``).
LABEL_GID = "circle-label"
KEY_GID = "circle-key"
CENTRE_GID = "circle-centre"

_FONT = {"title": 16.0, "centre": 11.0, "item": 9.0, "service": 8.5, "provider": 8.5, "legend": 9.0, "key": 8.0}
_MARKER_AREA = (50.0, 380.0)  # scatter area (pt²) of the least and most raised item
_STATUS_LABELS = {
    "unmet": "unmet",
    "met": "met",
    "possible duplication": "possible duplication",
    "not assessed": "not a need a service meets",
}
_KEY_PREFIX = {"item": "", "service": "S", "provider": "P"}


# ---------------------------------------------------------------------------------------------------- print figure


def _fits(name: str) -> bool:
    """Whether a name can be written on the diagram: at most two lines of :data:`LABEL_WRAP` characters."""
    lines = textwrap.wrap(name, LABEL_WRAP, break_long_words=False)
    return len(lines) <= 2 and all(len(line) <= LABEL_WRAP for line in lines)


def _marker_area(segments: pd.Series | np.ndarray, top: float) -> np.ndarray:
    low, high = _MARKER_AREA
    values = np.asarray(segments, dtype=float)
    return low + (high - low) * (values / top if top > 0 else np.zeros_like(values))


@dataclass
class _Label:
    node_id: str
    ring: str
    name: str
    angle: float
    radius: float
    clearance: float  # points from the node centre to the start of the text
    text: Text
    keyed: bool = False
    nudge: int = 0
    number: str = ""


def _alignment(angle: float) -> tuple[str, str]:
    c, s = math.cos(angle), math.sin(angle)
    ha = "left" if c > 0.3 else "right" if c < -0.3 else "center"
    va = "bottom" if s > 0.3 else "top" if s < -0.3 else "center"
    return ha, va


def _set_label(label: _Label, step: float) -> None:
    offset = label.clearance + label.nudge * step
    label.text.set_position((offset * math.cos(label.angle), offset * math.sin(label.angle)))
    label.text.set_text(label.number if label.keyed else textwrap.fill(label.name, LABEL_WRAP, break_long_words=False))


def _number_keys(labels: list[_Label]) -> None:
    counters = dict.fromkeys(_KEY_PREFIX, 0)
    for label in labels:  # labels are in ring order, clockwise from the top
        if label.keyed:
            counters[label.ring] += 1
            label.number = f"{_KEY_PREFIX[label.ring]}{counters[label.ring]}"


def _resolve(fig: Figure, ax, labels: list[_Label], fixed: list[Bbox], *, step: float, tries: int = 400) -> None:
    """Move labels to the key, or nudge them outwards, until no two overlap and all stay inside the diagram."""
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    gap = 2.0 * fig.dpi / 72  # two points between labels
    max_nudge = 8
    markers = []  # a label may not cover another node's marker (its own sits clear of it by construction)
    for label in labels:
        x, y = ax.transData.transform(label.text.xy)
        half = (label.clearance - 3.0) * fig.dpi / 72
        markers.append(Bbox.from_extents(x - half, y - half, x + half, y + half))
    for _ in range(tries):
        _number_keys(labels)
        for label in labels:
            _set_label(label, step)
        boxes = [label.text.get_window_extent(renderer).padded(gap / 2) for label in labels]
        problem = None
        for i, box in enumerate(boxes):
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if not inside or any(box.overlaps(other) for other in fixed):
                problem = (i, None)
                break
            covers = any(box.overlaps(m) for k, m in enumerate(markers) if k != i)
            if covers and (not labels[i].keyed or labels[i].nudge < max_nudge):
                problem = (i, -1)
                break
            for j in range(i):
                if box.overlaps(boxes[j]):
                    problem = (i, j)
                    break
            if problem:
                break
        if problem is None:
            return
        i, j = problem
        if j == -1:  # covers a marker: key it, or nudge the number outwards
            if labels[i].keyed:
                labels[i].nudge += 1
            else:
                labels[i].keyed = True
            continue
        candidates = [k for k in (i, j) if k is not None and not labels[k].keyed]
        if candidates:
            longest = max(candidates, key=lambda k: (len(labels[k].name), k))
            labels[longest].keyed = True
            continue
        if j is None:
            raise CircleError(
                f"Cannot fit the label of {labels[i].node_id} on the diagram; use a larger paper size or fewer nodes."
            )
        rings = list(_KEY_PREFIX)
        mover = max((i, j), key=lambda k: (rings.index(labels[k].ring), labels[k].nudge <= max_nudge, k))
        if labels[mover].nudge >= max_nudge:
            other = j if mover == i else i
            if labels[other].nudge >= max_nudge:
                raise CircleError(
                    f"Cannot separate the labels of {labels[i].node_id} and {labels[j].node_id}; "
                    "use a larger paper size or fewer nodes."
                )
            mover = other
        labels[mover].nudge += 1
    raise CircleError("Could not place the circle labels without overlaps; use a larger paper size or fewer nodes.")


def circle_figure(layout: CircleLayout, *, title: str, segment: str, paper: Literal["A4", "A3"] = "A3") -> Figure:
    """Draw a circle of need for print: landscape, vector-friendly, every label readable.

    Parameters
    ----------
    layout : CircleLayout
        From :func:`circle_layout`.
    title : str
        Printed at the top left.
    segment : str
        The customer segment, written at the centre (e.g. "Parents who drink at harmful levels, and their children").
    paper : {"A3", "A4"}
        Sheet, landscape. Type never goes below :data:`MIN_FONT_PT`, so a smaller sheet puts more names in the key.

    Returns
    -------
    matplotlib.figure.Figure
        The diagram on the left; on the right the legend (dimension colours, marker sizes, unmet, possible
        duplication, services, providers) and the numbered key of the names too long or too crowded to write on
        the diagram. Diagram labels have ``gid`` ``"circle-label:<node_id>"``, key entries
        ``"circle-key:<node_id>"``. The layout is fixed: save it with :func:`circles.figures.print_maps.save_print_map`.

    Raises
    ------
    CircleError
        When the labels cannot be separated on the sheet (far more nodes than a page can hold).

    Examples
    --------
    >>> from circles.challenge.circle_placement import circle_layout
    >>> items = pd.DataFrame({"code_id": ["N1", "B1"], "dimension": ["need", "barrier"], "segments": [9, 3],
    ...                       "name": ["Someone to talk to", "Telling my story again to every new service"]})
    >>> links = pd.DataFrame({"code_id": ["N1"], "service_id": ["S1"], "service_name": ["Helpline"],
    ...                       "organisation": ["Council"]})
    >>> figure = circle_figure(circle_layout(items, links), title="Circle of need", segment="Parents")
    >>> sorted(t.get_text() for t in figure.findobj(Text) if (t.get_gid() or "").startswith("circle-key:"))
    ['1  Telling my story again to every new service']
    """
    if paper not in ("A3", "A4"):
        raise CircleError(f"paper must be 'A3' or 'A4', not {paper!r}.")
    width, height = paper_size(paper, "landscape")
    fig = plt.figure(figsize=(width, height), layout="none")
    margin = 0.35  # inches
    side = height - 2 * margin - 0.55  # the square diagram, below the title
    ax = fig.add_axes((margin / width, margin / height, side / width, side / height))
    ax.set_aspect("equal")
    ax.set_axis_off()
    reach = RING_RADII["provider"] * 1.3
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)

    colour_of, item_colour = _draw_rings(ax, layout)
    top, areas = _draw_markers(ax, layout, item_colour)
    centre = ax.text(
        0,
        0,
        textwrap.fill(segment, 20),
        ha="center",
        va="center",
        multialignment="center",
        fontsize=_FONT["centre"],
        fontweight="bold",
        color="#222222",
        gid=CENTRE_GID,
        zorder=4,
    )
    ax.add_patch(Circle((0, 0), 0.55 * RING_RADII["item"], color="#f2f2f2", zorder=0))
    heading = fig.text(margin / width, 1 - margin / height, title, ha="left", va="top", fontsize=_FONT["title"])
    heading.set_fontweight("bold")
    labels = _labels(ax, layout, areas)

    fig.canvas.draw()  # fixes the renderer and every transform
    renderer = fig.canvas.get_renderer()
    gap = 2.0 * fig.dpi / 72
    fixed = [centre.get_window_extent(renderer).padded(gap), heading.get_window_extent(renderer).padded(gap)]
    _resolve(fig, ax, labels, fixed, step=5.0)

    legend = _legend(fig, layout, colour_of, top, x=(side + 2 * margin) / width)
    _key(fig, labels, legend, x0=(side + 2 * margin) / width, margin=margin)
    return fig


def _draw_rings(ax: Axes, layout: CircleLayout) -> tuple[dict[str, str], dict[str, str]]:
    """The three rings and the edges; return the colour of each dimension and of each item."""
    items = layout.items
    for radius in RING_RADII.values():
        ax.add_patch(Circle((0, 0), radius, fill=False, lw=0.6, ls=(0, (4, 3)), color="#cccccc", zorder=0))
    colour_of = {d: DIMENSION_COLOURS.get(d, OTHER_COLOUR) for d in items["dimension"].unique()}
    item_colour = dict(zip(items["node_id"], items["dimension"].map(colour_of), strict=True))
    segs = [[(r.x0, r.y0), (r.x1, r.y1)] for r in layout.edges.itertuples()]
    colours = [item_colour[r.source] if r.kind == "item-service" else "#9a9a9a" for r in layout.edges.itertuples()]
    ax.add_collection(LineCollection(segs, colors=colours, linewidths=0.8, alpha=0.55, zorder=1))
    return colour_of, item_colour


def _draw_markers(ax: Axes, layout: CircleLayout, item_colour: dict[str, str]) -> tuple[float, np.ndarray]:
    """The markers of every node; return the most segments and the marker area of each item."""
    items, services, providers = layout.items, layout.services, layout.providers
    top = float(items["segments"].max())
    areas = _marker_area(items["segments"], top)
    shapes = {"met": "o", "not assessed": "o", "unmet": "o", "possible duplication": "D"}
    for status, marker in shapes.items():
        rows = (items["status"] == status).to_numpy()
        if not rows.any():
            continue
        extra = {"hatch": "////", "edgecolors": UNMET_COLOUR, "linewidths": 1.8} if status == "unmet" else {}
        extra = extra or {"edgecolors": "#222222" if status == "possible duplication" else "white", "linewidths": 1.2}
        ax.scatter(
            items.loc[rows, "x"],
            items.loc[rows, "y"],
            s=areas[rows] * (0.8 if marker == "D" else 1.0),
            c=[item_colour[n] for n in items.loc[rows, "node_id"]],
            marker=marker,
            zorder=3,
            **extra,
        )
    ax.scatter(services["x"], services["y"], s=90, marker="s", c=SERVICE_COLOUR, edgecolors="white", zorder=3)
    ax.scatter(providers["x"], providers["y"], s=110, marker="h", c=PROVIDER_COLOUR, edgecolors="white", zorder=3)
    return top, areas


def _labels(ax: Axes, layout: CircleLayout, areas: np.ndarray) -> list[_Label]:
    """An (empty) annotation beside every node; names that cannot fit on two lines start in the key."""
    labels: list[_Label] = []
    for ring, frame in (("item", layout.items), ("service", layout.services), ("provider", layout.providers)):
        for index, row in enumerate(frame.itertuples()):
            size = math.sqrt(areas[index] / math.pi) if ring == "item" else 6.0
            ha, va = _alignment(row.angle)
            text = ax.annotate(
                "",
                xy=(row.x, row.y),
                xytext=(0, 0),
                textcoords="offset points",
                ha=ha,
                va=va,
                multialignment="center" if ha == "center" else ha,
                fontsize=_FONT[ring],
                color="#111111",
                zorder=5,
                gid=f"{LABEL_GID}:{row.node_id}",
                bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85},
                annotation_clip=False,
            )
            label = _Label(row.node_id, ring, str(row.name), row.angle, row.radius, size + 3.0, text)
            label.keyed = not _fits(label.name)
            labels.append(label)
    return labels


def _legend(fig: Figure, layout: CircleLayout, colour_of: dict[str, str], top: float, *, x: float):
    handles: list = [Patch(facecolor=colour, edgecolor="white", label=_plural(d)) for d, colour in colour_of.items()]
    for value in sorted({max(1, round(top)), max(1, round(top / 2)), max(1, round(top / 8))}, reverse=True):
        size = math.sqrt(_marker_area([value], top)[0])
        handles.append(
            Line2D([], [], ls="", marker="o", markersize=size, color="#bbbbbb", label=f"Raised in {value} segments")
        )
    handles += [
        Patch(facecolor="#ffffff", edgecolor=UNMET_COLOUR, hatch="////", lw=1.8, label="Unmet: no service meets this"),
        Line2D(
            [],
            [],
            ls="",
            marker="D",
            markersize=9,
            color="#bbbbbb",
            markeredgecolor="#222222",
            label=f"Possible duplication: met by {layout.duplication_at} or more services",
        ),
        Line2D([], [], ls="", marker="s", markersize=8, color=SERVICE_COLOUR, label="Service (middle ring)"),
        Line2D([], [], ls="", marker="h", markersize=9, color=PROVIDER_COLOUR, label="Provider (outer ring)"),
        Line2D([], [], color="#9a9a9a", lw=1, label="Meets this need / runs this service"),
    ]
    legend = fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(x, 0.93),
        fontsize=_FONT["legend"],
        title="Inner ring: what the segment said",
        title_fontsize=_FONT["legend"] + 1,
        frameon=False,
        alignment="left",
        labelspacing=1.0,
        borderaxespad=0,
    )
    return legend


def _plural(dimension: str) -> str:
    word = dimension.capitalize()
    return word if word.endswith("s") else word + "s"


def _key(fig: Figure, labels: list[_Label], legend, *, x0: float, margin: float) -> None:
    """Numbered key of the labels moved off the diagram, below the legend, in as many columns as needed."""
    keyed = [label for label in labels if label.keyed]
    if not keyed:
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width_px, height_px = fig.bbox.width, fig.bbox.height
    bottom = margin / fig.get_figheight()
    top = legend.get_window_extent(renderer).y0 / height_px - 0.03
    gap = 4.0 * fig.dpi / 72  # between key columns
    headings = {"item": "Key: what the segment said", "service": "Key: services", "provider": "Key: providers"}
    for fontsize in (_FONT["key"], 7.5, MIN_FONT_PT):
        for columns in (1, 2, 3):
            span = (1 - x0 - 0.01) / columns
            wrap = max(20, int(span * fig.get_figwidth() * 72 / (fontsize * 0.55)) - 6)
            artists, column, y, ring = [], 0, top, None
            fits = True
            for label in keyed:
                blocks = []
                if label.ring != ring:
                    blocks.append((textwrap.fill(headings[label.ring], wrap), True, None))
                    ring = label.ring
                entry = textwrap.fill(
                    f"{label.number}  {label.name}", wrap, subsequent_indent="     ", break_long_words=False
                )
                blocks.append((entry, False, label.node_id))
                for text, bold, node in blocks:
                    artist = fig.text(
                        x0 + column * span,
                        y,
                        text,
                        ha="left",
                        va="top",
                        fontsize=fontsize + (1 if bold else 0),
                        fontweight="bold" if bold else "normal",
                        gid=f"{KEY_GID}:{node}" if node else f"{KEY_GID}-heading",
                    )
                    artists.append(artist)
                    box = artist.get_window_extent(renderer)
                    room = (3.5 * fontsize * fig.dpi / 72) if bold else 0.0  # no heading alone at a column foot
                    if (box.y0 - room) / height_px < bottom:
                        column += 1
                        y = top
                        artist.set_position((x0 + column * span, y))
                        box = artist.get_window_extent(renderer)
                    right = min((x0 + (column + 1) * span) * width_px - gap, width_px * 0.995)
                    if column >= columns or box.x1 > right:
                        fits = False
                        break
                    y = box.y0 / height_px - (0.4 if bold else 0.25) * fontsize / 72 / fig.get_figheight()
                if not fits:
                    break
            if fits:
                return
            for artist in artists:
                artist.remove()
    raise CircleError(f"{len(keyed)} names do not fit in the key on this sheet; use A3 or fewer nodes.")


# ---------------------------------------------------------------------------------------------------- interactive


def _short(name: str) -> str:
    if _fits(name):
        return "<br>".join(html.escape(line) for line in textwrap.wrap(name, LABEL_WRAP, break_long_words=False))
    return html.escape(textwrap.shorten(name, LABEL_WRAP, placeholder="…"))


def circle_html(layout: CircleLayout, *, title: str, segment: str) -> go.Figure:
    """Draw a circle of need for the browser: the same layout, with full names and counts on hover.

    Traces, in order: the item–service edges, the service–provider edges, one marker trace per dimension
    (legend entry with its colour), the services, the providers, the segment at the centre, then two
    legend-only traces explaining the unmet and possible duplication markers. Save the figure with
    :func:`circles.figures.interactive_maps.write_html` for a page that opens offline.

    Parameters
    ----------
    layout : CircleLayout
        From :func:`circle_layout`.
    title, segment : str
        Title of the page and the customer segment written at the centre.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> from circles.challenge.circle_placement import circle_layout
    >>> items = pd.DataFrame({"code_id": ["N1", "B1"], "name": ["Someone to talk to", "Support only 9 to 5"],
    ...                       "dimension": ["need", "barrier"], "segments": [9, 3]})
    >>> links = pd.DataFrame({"code_id": ["N1"], "service_id": ["S1"], "service_name": ["Helpline"],
    ...                       "organisation": ["Council"]})
    >>> figure = circle_html(circle_layout(items, links), title="Circle of need", segment="Parents")
    >>> len(figure.data), figure.data[2].name
    (9, 'Needs')
    >>> print(figure.data[2].hovertext[0])
    <b>Someone to talk to</b><br>Need, raised in 9 segments<br>Status: met<br>Services: Helpline<br>Providers: Council
    """
    figure = go.Figure()
    _add_edge_traces(figure, layout.edges)
    _add_item_traces(figure, layout.items)
    _add_ring_traces(figure, layout.services, layout.providers)
    _add_centre_and_key_traces(figure, segment, layout.duplication_at)
    reach = RING_RADII["provider"] * 1.4
    axis = {"visible": False, "range": [-reach, reach]}
    figure.update_layout(
        title={"text": html.escape(title)},
        xaxis=axis,
        yaxis={**axis, "scaleanchor": "x", "scaleratio": 1},
        plot_bgcolor="white",
        hoverlabel={"align": "left"},
        legend={"itemsizing": "constant"},
        margin={"l": 20, "r": 20, "t": 60, "b": 20},
    )
    return figure


def _add_edge_traces(figure: go.Figure, edges: pd.DataFrame) -> None:
    """The item-service edges, then the service-provider edges: one trace each."""
    for kind, colour in (("item-service", "#b0b0b0"), ("service-provider", "#8a8a8a")):
        rows = edges[edges["kind"] == kind]
        xs, ys = [], []
        for r in rows.itertuples():
            xs += [r.x0, r.x1, None]
            ys += [r.y0, r.y1, None]
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": colour, "width": 1},
                hoverinfo="skip",
                showlegend=False,
                name=kind,
            )
        )


def _add_item_traces(figure: go.Figure, items: pd.DataFrame) -> None:
    """One marker trace per dimension (its legend entry), with name, count, status, services and providers on hover."""
    top = float(items["segments"].max())
    sizes = np.sqrt(_marker_area(items["segments"], top)) * 1.3
    symbols = {"met": "circle", "not assessed": "circle", "unmet": "circle-x", "possible duplication": "diamond"}
    order = list(dict.fromkeys(items["dimension"]))
    for dimension in order:
        rows = items[items["dimension"] == dimension]
        hover = [
            f"<b>{html.escape(r.name)}</b><br>{html.escape(r.dimension.capitalize())}, raised in {r.segments:g} "
            f"segments<br>Status: {_STATUS_LABELS[r.status]}<br>"
            f"Services: {html.escape('; '.join(r.services) or 'none')}<br>"
            f"Providers: {html.escape('; '.join(r.providers) or 'none')}"
            for r in rows.itertuples()
        ]
        unmet = (rows["status"] == "unmet").to_numpy()
        figure.add_trace(
            go.Scatter(
                x=rows["x"],
                y=rows["y"],
                mode="markers+text",
                name=_plural(dimension),
                text=[_short(n) for n in rows["name"]],
                textposition=[_text_position(a) for a in rows["angle"]],
                hovertext=hover,
                hoverinfo="text",
                marker={
                    "size": sizes[(items["dimension"] == dimension).to_numpy()],
                    "color": DIMENSION_COLOURS.get(dimension, OTHER_COLOUR),
                    "symbol": [symbols[s] for s in rows["status"]],
                    "line": {
                        "color": [UNMET_COLOUR if u else "white" for u in unmet],
                        "width": [3 if u else 1 for u in unmet],
                    },
                },
            )
        )


def _add_ring_traces(figure: go.Figure, services: pd.DataFrame, providers: pd.DataFrame) -> None:
    """The services, then the providers: one marker trace each, with what they meet or run on hover."""
    for frame, name, symbol, colour in (
        (services, "Services", "square", SERVICE_COLOUR),
        (providers, "Providers", "hexagon", PROVIDER_COLOUR),
    ):
        if name == "Services":
            hover = [
                f"<b>{html.escape(r.name)}</b><br>Service meeting {r.n_items} need(s)<br>"
                f"Run by: {html.escape('; '.join(r.organisations) or 'not known')}"
                for r in frame.itertuples()
            ]
        else:
            hover = [
                f"<b>{html.escape(str(r.name))}</b><br>Provider running {r.n_services} service(s)"
                for r in frame.itertuples()
            ]
        figure.add_trace(
            go.Scatter(
                x=frame["x"],
                y=frame["y"],
                mode="markers+text",
                name=name,
                text=[_short(str(n)) for n in frame["name"]],
                textposition=[_text_position(a) for a in frame["angle"]],
                textfont={"size": 10},
                hovertext=hover,
                hoverinfo="text",
                marker={"size": 11, "symbol": symbol, "color": colour},
            )
        )


def _add_centre_and_key_traces(figure: go.Figure, segment: str, duplication_at: int) -> None:
    """The segment at the centre, then two legend-only traces explaining the unmet and duplication markers."""
    figure.add_trace(
        go.Scatter(
            x=[0],
            y=[0],
            mode="text",
            text=[html.escape(segment)],
            textfont={"size": 14},
            name="Segment",
            hovertext=[f"<b>{html.escape(segment)}</b>"],
            hoverinfo="text",
            showlegend=False,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name="Unmet: no service meets this",
            marker={"symbol": "circle-x", "size": 14, "color": "#bbbbbb", "line": {"color": UNMET_COLOUR, "width": 3}},
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=f"Possible duplication: met by {duplication_at} or more services",
            marker={"symbol": "diamond", "size": 14, "color": "#bbbbbb"},
        )
    )


def _text_position(angle: float) -> str:
    ha, va = _alignment(angle)
    vertical = {"bottom": "top", "top": "bottom", "center": "middle"}[va]
    horizontal = {"left": "right", "right": "left", "center": "center"}[ha]
    return f"{vertical} {horizontal}" if f"{vertical} {horizontal}" != "middle center" else "middle right"
