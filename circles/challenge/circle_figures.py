"""Circle-of-need figures: a :class:`~circles.challenge.circle_placement.CircleLayout` drawn for the page it is printed
on, and (:mod:`circles.challenge.circle_interactive`) for the browser.

:func:`circle_figure` draws it for a pack's page (a :class:`~circles.figures.media.Medium`: ``wall`` for the A3
challenge pack, ``wall_large`` for its large-print copy; save with :func:`circles.figures.media.save_svg`) or for a
sheet of paper (A3 or A4 landscape; save with :func:`circles.figures.print_maps.save_print_map`).
:func:`circle_html` draws it for the browser (save with :func:`circles.figures.interactive_maps.write_html`).

Readability rules of the print figure
-------------------------------------
* Every text is sized from the medium's type ramp (:attr:`~circles.figures.media.Medium.type`), none under its
  ``min_pt`` (7 pt; 16 pt in large print). On paper the ramp of the ``wall`` medium is used.
* Names are written in full, wrapped over lines of :data:`LABEL_WRAP` characters at 9 pt (fewer at a larger size):
  two lines for the inner rings, four for providers, which have the outside of the circle to themselves. Only a name
  that cannot fit goes to the numbered key beside the diagram: the diagram shows its number (``1``, ``2``… for
  ring 1, ``S1``… for services, ``P1``… for providers) and the key the full name. In large print the key can be
  left out of the figure (``key_in_figure=False``) and printed under it from :func:`circle_key`, the same key as a
  table.
* Labels are then measured as rendered; while two overlap (or one leaves the diagram), the longer of the pair moves to
  the key, and when both are already numbers the outer one is nudged outwards along its radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import matplotlib

matplotlib.use("Agg")  # print output: never needs a display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from circles.challenge.circle_interactive import circle_html
from circles.challenge.circle_placement import RING_RADII, CircleError, CircleLayout, raised_text
from circles.challenge.circle_style import (
    DIMENSION_COLOURS,
    LABEL_WRAP,
    OTHER_COLOUR,
    PROVIDER_COLOUR,
    SERVICE_COLOUR,
    UNMET_COLOUR,
    alignment,
    fits,
    marker_area,
    plural,
    wrap_label,
)
from circles.figures.media import MEDIA, Medium
from circles.figures.media import medium as medium_of
from circles.figures.print_maps import PAPER_SIZES_MM

__all__ = [
    "circle_figure",
    "circle_key",
    "circle_html",
    "DIMENSION_COLOURS",
    "MIN_FONT_PT",
    "LABEL_WRAP",
    "LABEL_GID",
    "KEY_GID",
    "CENTRE_GID",
]

#: Smallest type on a standard (not large-print) figure, in points.
MIN_FONT_PT = 7.0
#: ``gid`` prefixes of the diagram labels, the key entries and the centre text (``"<prefix>:<node_id>"``).
LABEL_GID = "circle-label"
KEY_GID = "circle-key"
CENTRE_GID = "circle-centre"

_KEY_PREFIX = {"item": "", "service": "S", "provider": "P"}
_RING_WORDS = {"item": "inner", "service": "middle", "provider": "outer"}
_KEY_HEADINGS = {"item": "Key: what the segment said", "service": "Key: services", "provider": "Key: providers"}
_LEGEND_TITLE = "Inner ring: what the segment said"
_WIDEN = 1.3  # the diagram is this much wider than tall: labels left and right of the rings run sideways


# ---------------------------------------------------------------------------------------------------- print figure


def _sheet(paper: str) -> Medium:
    """A sheet of paper, landscape, as a medium with the ``wall`` type ramp."""
    if paper not in ("A3", "A4"):
        raise CircleError(f"paper must be 'A3' or 'A4', not {paper!r}.")
    short, long = sorted(PAPER_SIZES_MM[paper])
    wall = MEDIA["wall"]
    return Medium(paper, long, short, wall.min_pt, {**wall.type, "title": 16.0})


def _fonts(medium: Medium) -> dict[str, float]:
    """Point size of every piece of text, from the medium's type ramp."""
    t = medium.type
    text = max(t["text"], medium.min_pt)
    return {
        "title": t["title"],
        "centre": t["heading"],
        "label": text,
        "legend": text,
        "legend_title": t["heading"],
        "key": text,
        "key_small": max(t["small"], medium.min_pt),
    }


@dataclass
class _Label:
    node_id: str
    ring: str
    name: str
    angle: float
    radius: float
    clearance: float  # points from the node centre to the start of the text
    text: Text
    wrap: int = LABEL_WRAP
    keyed: bool = False
    nudge: int = 0
    number: str = ""


def _set_label(label: _Label, step: float) -> None:
    offset = label.clearance + label.nudge * step
    label.text.set_position((offset * math.cos(label.angle), offset * math.sin(label.angle)))
    label.text.set_text(label.number if label.keyed else wrap_label(label.name, label.wrap))


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


def circle_figure(
    layout: CircleLayout,
    *,
    title: str,
    segment: str,
    medium: Medium | str | None = None,
    paper: Literal["A4", "A3"] = "A3",
    key_in_figure: bool = True,
    height_mm: float | None = None,
) -> Figure:
    """Draw a circle of need for print: every label readable, at the size it is printed.

    Parameters
    ----------
    layout : CircleLayout
        From :func:`circle_layout`.
    title : str
        Printed at the top left.
    segment : str
        The customer segment, written at the centre (e.g. "Parents who drink at harmful levels, and their children").
    medium : Medium or str, optional
        The pack page it is printed on (:data:`circles.figures.media.MEDIA`: ``"wall"``, ``"wall_large"``…): the
        figure is drawn at :meth:`~circles.figures.media.Medium.figsize` and every text sized from its type, none
        under its ``min_pt``. Default: a sheet of ``paper``.
    paper : {"A3", "A4"}
        Sheet, landscape, when no ``medium`` is given. Type never goes below :data:`MIN_FONT_PT`, so a smaller
        sheet puts more names in the key.
    key_in_figure : bool
        Draw the numbered key beside the diagram (default). ``False`` leaves it out (the legend stays), so the
        diagram takes more of the page; print the key under the figure from :func:`circle_key` (called with the
        same arguments, it numbers the names as this figure does). The large-print pack does this: at 16 pt a
        page cannot hold the diagram, its legend and a key of 30 names.
    height_mm : float, optional
        Draw the figure this tall (never taller than the medium allows): the height the pack prints it at, when
        its page has a heading and a caption to hold too. Default: the medium's (or sheet's) full height.

    Returns
    -------
    matplotlib.figure.Figure
        The diagram on the left; on the right the legend (dimension colours, marker sizes, unmet, possible
        duplication, services, providers) and the numbered key of the names too long or too crowded to write on
        the diagram. Diagram labels have ``gid`` ``"circle-label:<node_id>"``, key entries
        ``"circle-key:<node_id>"``. The layout is fixed: save it with :func:`circles.figures.media.save_svg` or
        :func:`circles.figures.print_maps.save_print_map`.

    Raises
    ------
    CircleError
        When the labels cannot be separated on the sheet (far more nodes than a page can hold), or the legend and
        key do not fit beside the diagram.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.challenge.circle_placement import circle_layout
    >>> items = pd.DataFrame({"code_id": ["N1", "B1"], "dimension": ["need", "barrier"], "segments": [9, 3],
    ...                       "name": ["Someone to talk to", "Telling my story again to every new service"]})
    >>> links = pd.DataFrame({"code_id": ["N1"], "service_id": ["S1"], "service_name": ["Helpline"],
    ...                       "organisation": ["Blackburn with Darwen Borough Council"]})
    >>> figure = circle_figure(circle_layout(items, links), title="Circle of need", segment="Parents")
    >>> sorted(t.get_text() for t in figure.findobj(Text) if (t.get_gid() or "").startswith("circle-key:"))
    ['1  Telling my story again to every new service']
    >>> large = circle_figure(circle_layout(items, links), title="Circle", segment="Parents", medium="wall_large")
    >>> min(t.get_fontsize() for t in large.findobj(Text) if t.get_text())
    16.0
    """
    return _draw(layout, title, segment, medium, paper, key_in_figure, height_mm)[0]


def circle_key(
    layout: CircleLayout,
    *,
    title: str,
    segment: str,
    medium: Medium | str | None = None,
    paper: Literal["A4", "A3"] = "A3",
    key_in_figure: bool = True,
    height_mm: float | None = None,
) -> pd.DataFrame:
    """The numbered key of a circle of need as a table: the names the figure drawn with the same arguments writes
    as numbers on the diagram, numbered as it numbers them (the arguments are those of :func:`circle_figure`).

    Returns
    -------
    pandas.DataFrame
        One row per number on the diagram, in the order of the figure's key: ``number`` (``1``, ``S1``, ``P1``…),
        ``name``, ``ring`` (``inner``, ``middle`` or ``outer``) and ``kind`` (the item's dimension, ``service``
        or ``provider``). Empty (with these columns) when every name is written on the diagram.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.challenge.circle_placement import circle_layout
    >>> items = pd.DataFrame({"code_id": ["N1", "B1"], "dimension": ["need", "barrier"], "segments": [9, 3],
    ...                       "name": ["Someone to talk to", "Telling my story again to every new service"]})
    >>> links = pd.DataFrame({"code_id": ["N1"], "service_id": ["S1"], "service_name": ["Helpline"],
    ...                       "organisation": ["Blackburn with Darwen Borough Council"]})
    >>> circle_key(circle_layout(items, links), title="Circle of need", segment="Parents").to_dict("records")
    [{'number': '1', 'name': 'Telling my story again to every new service', 'ring': 'inner', 'kind': 'barrier'}]
    """
    figure, labels = _draw(layout, title, segment, medium, paper, key_in_figure, height_mm)
    plt.close(figure)
    kinds = dict(zip(layout.items["node_id"], layout.items["dimension"].astype(str), strict=True))
    rows = [
        {
            "number": label.number,
            "name": label.name,
            "ring": _RING_WORDS[label.ring],
            "kind": kinds.get(label.node_id, label.ring),
        }
        for label in labels
        if label.keyed
    ]
    return pd.DataFrame(rows, columns=["number", "name", "ring", "kind"])


def _draw(
    layout: CircleLayout,
    title: str,
    segment: str,
    medium: Medium | str | None,
    paper: str,
    key_in_figure: bool,
    height_mm: float | None,
) -> tuple[Figure, list[_Label]]:
    """The figure of :func:`circle_figure` and its labels (``keyed`` and ``number`` set as drawn)."""
    sheet = _sheet(paper) if medium is None else medium_of(medium)
    fonts = _fonts(sheet)
    width, height = sheet.figsize(height_mm=height_mm)
    margin = 0.35 if medium is None else 0.04  # inches: a pack page has its own margins
    fig = plt.figure(figsize=(width, height), layout="none")
    side = height - 2 * margin - fonts["title"] * 2.0 / 72  # the diagram's height, below the title
    # large print: most names are numbers, which need no room sideways, and the key needs the width (unless the
    # key is printed under the figure: then the diagram takes the room the key would have had)
    narrow = sheet.large_print and key_in_figure
    wide = min(side * (1.0 if narrow else _WIDEN), 0.62 * (width - 2 * margin))
    ax = fig.add_axes((margin / width, margin / height, wide / width, side / height))
    ax.set_axis_off()
    reach = RING_RADII["provider"] * 1.22
    ax.set_xlim(-reach * wide / side, reach * wide / side)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")

    colour_of, item_colour = _draw_rings(ax, layout)
    top, areas = _draw_markers(ax, layout, item_colour)
    centre = ax.text(
        0,
        0,
        wrap_label(segment, max(12, round(20 * 11 / fonts["centre"]))),
        ha="center",
        va="center",
        multialignment="center",
        fontsize=fonts["centre"],
        fontweight="bold",
        color="#222222",
        gid=CENTRE_GID,
        zorder=4,
    )
    ax.add_patch(Circle((0, 0), 0.55 * RING_RADII["item"], color="#f2f2f2", zorder=0))
    heading = fig.text(margin / width, 1 - margin / height, title, ha="left", va="top", fontsize=fonts["title"])
    heading.set_fontweight("bold")
    wrap = max(8, round(LABEL_WRAP * 9.0 / fonts["label"]))
    labels = _labels(ax, layout, areas, fontsize=fonts["label"], wrap=wrap)

    fig.canvas.draw()  # fixes the renderer and every transform
    renderer = fig.canvas.get_renderer()
    gap = 2.0 * fig.dpi / 72
    _fit_centre(centre, segment, _marker_circles(ax, layout.items, areas, gap), smallest=sheet.min_pt)
    fixed = [centre.get_window_extent(renderer).padded(gap), heading.get_window_extent(renderer).padded(gap)]
    _resolve(fig, ax, labels, fixed, step=0.55 * fonts["label"])
    x0 = (margin + wide) / width + 0.015
    box = (x0, margin / height, 1 - margin / width, 0.93)
    _panel(fig, layout, labels, colour_of, top, fonts, box=box, compact=sheet.large_print, key=key_in_figure)
    return fig, labels


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


def _marker_circles(ax: Axes, items: pd.DataFrame, areas: np.ndarray, gap: float) -> np.ndarray:
    """The inner ring's markers as circles ``(x, y, r)`` in display units, ``r`` widened by ``gap``."""
    xy = ax.transData.transform(items[["x", "y"]].to_numpy(dtype=float)) if len(items) else np.empty((0, 2))
    radius = np.sqrt(np.asarray(areas, dtype=float)) / 2 * ax.figure.dpi / 72  # scatter sizes are diameter²
    return np.column_stack([xy, radius + gap])


def _fit_centre(centre: Text, segment: str, markers: np.ndarray, *, smallest: float) -> None:
    """Size and wrap the segment's name at the centre so that it touches no marker of the inner ring: bold at its
    own size first, a point smaller at a time down to ``smallest``, then regular weight, each wrapped narrow to
    wide. When nothing fits, the smallest regular size at the wrap that touches fewest markers."""
    renderer = centre.figure.canvas.get_renderer()
    best: tuple[int, int] = (len(markers) + 1, max(8, round(20 * 11 / centre.get_fontsize())))
    for weight in ("bold", "normal"):
        for points in np.arange(centre.get_fontsize(), smallest - 0.01, -1.0):
            centre.set_fontsize(points)
            centre.set_fontweight(weight)
            for chars in sorted({max(8, round(20 * 11 / points) + extra) for extra in (-3, 0, 5, 10)}):
                centre.set_text(wrap_label(segment, chars))
                box = centre.get_window_extent(renderer)
                near = np.hypot(
                    markers[:, 0] - np.clip(markers[:, 0], box.x0, box.x1),
                    markers[:, 1] - np.clip(markers[:, 1], box.y0, box.y1),
                )
                touched = int((near < markers[:, 2]).sum())
                if touched == 0:
                    return
                best = min(best, (touched, chars))
    centre.set_text(wrap_label(segment, best[1]))


def _draw_markers(ax: Axes, layout: CircleLayout, item_colour: dict[str, str]) -> tuple[float, np.ndarray]:
    """The markers of every node; return the most segments and the marker area of each item."""
    items, services, providers = layout.items, layout.services, layout.providers
    top = float(items["segments"].max()) if items["segments"].notna().any() else 0.0
    areas = marker_area(items["segments"], top)
    duplicated = (items["status"] == "possible duplication").to_numpy()
    unmet = (items["status"] == "unmet").to_numpy()
    for rows, marker, extra in (
        (~duplicated & ~unmet, "o", {"edgecolors": "white", "linewidths": 1.2}),
        (unmet, "o", {"hatch": "////", "edgecolors": UNMET_COLOUR, "linewidths": 1.8}),
        (duplicated, "D", {"edgecolors": "#222222", "linewidths": 1.2}),
    ):
        if not rows.any():
            continue
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


def _labels(ax: Axes, layout: CircleLayout, areas: np.ndarray, *, fontsize: float, wrap: int) -> list[_Label]:
    """An (empty) annotation beside every node; names that cannot fit start in the key."""
    labels: list[_Label] = []
    for ring, frame in (("item", layout.items), ("service", layout.services), ("provider", layout.providers)):
        for index, row in enumerate(frame.itertuples()):
            size = math.sqrt(areas[index] / math.pi) if ring == "item" else 6.0
            ha, va = alignment(row.angle)
            text = ax.annotate(
                "",
                xy=(row.x, row.y),
                xytext=(0, 0),
                textcoords="offset points",
                ha=ha,
                va=va,
                multialignment="center" if ha == "center" else ha,
                fontsize=fontsize,
                color="#111111",
                zorder=5,
                gid=f"{LABEL_GID}:{row.node_id}",
                bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85},
                annotation_clip=False,
            )
            label = _Label(row.node_id, ring, str(row.name), row.angle, row.radius, size + 3.0, text, wrap)
            label.keyed = not fits(label.name, ring, wrap)
            labels.append(label)
    return labels


def _legend_handles(layout: CircleLayout, colour_of: dict[str, str], top: float, wrap: int, compact: bool) -> list:
    """The legend's entries, their words wrapped at ``wrap`` characters (``compact``: two marker sizes, no line)."""

    def w(text: str) -> str:
        return wrap_label(text, wrap)

    handles: list = [Patch(facecolor=c, edgecolor="white", label=w(plural(d))) for d, c in colour_of.items()]
    segments = layout.items["segments"]
    values = sorted({max(1, round(top)), 1, *([] if compact else [max(1, round(top / 2))])}, reverse=True)
    values = values if top > 0 else []
    for value in values:
        size = math.sqrt(marker_area([value], top)[0])
        text = w(raised_text(value).capitalize())
        handles.append(Line2D([], [], ls="", marker="o", markersize=size, color="#bbbbbb", label=text))
    for present, text in (
        ((segments == 0).any(), "Not raised in the notes"),
        (segments.isna().any(), "Raised * times: a small number, not published"),
    ):
        if present:
            size = math.sqrt(marker_area([0], 1)[0])
            handles.append(Line2D([], [], ls="", marker="o", markersize=size, color="#dddddd", label=w(text)))
    unmet = w("Unmet: a need no service meets")
    duplication = w(f"Possible duplication: a need met by {layout.duplication_at} or more services")
    handles += [
        Patch(facecolor="#ffffff", edgecolor=UNMET_COLOUR, hatch="////", lw=1.8, label=unmet),
        Line2D([], [], ls="", marker="D", markersize=9, color="#bbbbbb", markeredgecolor="#222222", label=duplication),
        Line2D([], [], ls="", marker="s", markersize=8, color=SERVICE_COLOUR, label=w("Service (middle ring)")),
        Line2D([], [], ls="", marker="h", markersize=9, color=PROVIDER_COLOUR, label=w("Provider (outer ring)")),
    ]
    if not compact:
        handles.append(Line2D([], [], color="#9a9a9a", lw=1, label=w("Meets this need / runs this service")))
    return handles


def _panel(
    fig: Figure,
    layout: CircleLayout,
    labels: list[_Label],
    colour_of: dict[str, str],
    top: float,
    fonts: dict[str, float],
    *,
    box: tuple[float, float, float, float],
    compact: bool = False,
    key: bool = True,
) -> None:
    """The legend above the numbered key beside the diagram, in as few columns as fit (figure fractions ``box``;
    ``key=False``: the legend alone)."""
    x0, y0, x1, y1 = box
    renderer = fig.canvas.get_renderer()
    width_pt = (x1 - x0) * fig.get_figwidth() * 72
    for legend_columns in (1, 2):
        wrap = max(12, int(width_pt / legend_columns / (0.55 * fonts["legend"])) - 6)
        legend = fig.legend(
            handles=_legend_handles(layout, colour_of, top, wrap, compact),
            loc="upper left",
            bbox_to_anchor=(x0, y1),
            ncols=legend_columns,
            fontsize=fonts["legend"],
            title=wrap_label(_LEGEND_TITLE, max(12, int(width_pt / (0.6 * fonts["legend_title"])))),
            title_fontsize=fonts["legend_title"],
            frameon=False,
            alignment="left",
            labelspacing=0.6,
            columnspacing=1.0,
            borderaxespad=0,
        )
        fig.canvas.draw()
        extent = legend.get_window_extent(renderer)
        start = extent.y0 / fig.bbox.height - 0.03
        fits_across = extent.x1 <= x1 * fig.bbox.width
        if fits_across and not key and extent.y0 >= y0 * fig.bbox.height:
            return
        if fits_across and key:
            for columns in (1, 2, 3):
                for size in dict.fromkeys((fonts["key"], fonts["key_small"])):
                    span = (x1 - x0) / columns
                    if _key(fig, labels, size, x0, span, columns, (start, y0, start)):
                        return
        legend.remove()
    if not key:
        raise CircleError("The legend of the circle of need does not fit beside the diagram on this page.")
    raise CircleError(
        f"{sum(label.keyed for label in labels)} names do not fit in the key on this page: draw the figure with "
        "key_in_figure=False and print circle_key() under it."
    )


def _key(fig: Figure, labels: list[_Label], fontsize: float, x0: float, span: float, columns: int, rows: tuple) -> bool:
    """Numbered key of the labels moved off the diagram, flowing down columns of width ``span`` from below the
    legend (``rows``: the first column's top, the foot and the other columns' top); ``False`` if it does not fit."""
    keyed = [label for label in labels if label.keyed]
    first, bottom, top = rows
    renderer = fig.canvas.get_renderer()
    width_px, height_px = fig.bbox.width, fig.bbox.height
    gap = 4.0 * fig.dpi / 72
    wrap = max(16, int(span * fig.get_figwidth() * 72 / (fontsize * 0.58)) - 2)
    artists, column, y, ring = [], 0, first, None
    for label in keyed:
        blocks = []
        if label.ring != ring:
            blocks.append((wrap_label(_KEY_HEADINGS[label.ring], wrap), True, None))
            ring = label.ring
        entry = "\n     ".join(wrap_label(f"{label.number}  {label.name}", wrap).split("\n"))
        blocks.append((entry, False, label.node_id))
        for text, bold, node in blocks:
            artist = fig.text(
                x0 + column * span,
                y,
                text,
                ha="left",
                va="top",
                fontsize=fontsize,
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
            if column >= columns or box.x1 > right or box.y0 / height_px < bottom:
                for made in artists:
                    made.remove()
                return False
            y = box.y0 / height_px - (0.4 if bold else 0.25) * fontsize / 72 / fig.get_figheight()
    return True
