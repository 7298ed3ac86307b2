"""Circle-of-need diagrams: a customer segment, its needs, the services that meet them and who runs those services.

The segment sits at the centre. Ring 1 holds the segment's needs, barriers, aspirations and fears (from the
qualitative coding, e.g. :func:`circles.qualitative.analysis.dimension_summary`), each marker sized by how often it
was raised. Ring 2 holds the services that meet them and ring 3 the providers (organisations) running those
services. A need met by no service is *unmet*; one met by ``duplication_at`` services or more is flagged as
*possible duplication*.

:func:`circle_layout` places every node (pure DataFrames in, pure DataFrames out, deterministic);
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import matplotlib

matplotlib.use("Agg")  # print output: never needs a display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from circles.errors import CirclesError
from circles.figures.print_maps import paper_size

__all__ = [
    "CircleError",
    "CircleLayout",
    "circle_layout",
    "circle_figure",
    "circle_html",
    "DIMENSION_ORDER",
    "DIMENSION_COLOURS",
    "RING_RADII",
    "MIN_FONT_PT",
    "LABEL_WRAP",
    "LABEL_GID",
    "KEY_GID",
    "CENTRE_GID",
]

#: Order of the dimension groups around ring 1 (clockwise from the top); other dimensions follow alphabetically.
DIMENSION_ORDER: tuple[str, ...] = ("need", "barrier", "aspiration", "fear")
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
#: Radius of each ring (the segment is at 0).
RING_RADII: dict[str, float] = {"item": 1.25, "service": 2.0, "provider": 2.65}
#: Smallest type anywhere on the print figure, in points.
MIN_FONT_PT = 7.0
#: Characters per line of a diagram label; a name needing more than two lines goes to the key.
LABEL_WRAP = 18
#: ``gid`` prefixes of the diagram labels, the key entries and the centre text (``"<prefix>:<node_id>"``).
LABEL_GID = "circle-label"
KEY_GID = "circle-key"
CENTRE_GID = "circle-centre"

_ITEM_COLUMNS = ("code_id", "name", "dimension", "segments")
_LINK_COLUMNS = ("code_id", "service_id", "service_name", "organisation")
_FONT = {"title": 16.0, "centre": 11.0, "item": 9.0, "service": 8.5, "provider": 8.5, "legend": 9.0, "key": 8.0}
_MARKER_AREA = (50.0, 380.0)  # scatter area (pt²) of the least and most raised item
_STATUS_LABELS = {
    "unmet": "unmet",
    "met": "met",
    "possible duplication": "possible duplication",
    "not assessed": "not a need a service meets",
}
_KEY_PREFIX = {"item": "", "service": "S", "provider": "P"}


class CircleError(CirclesError):
    """Items or links cannot be drawn as a circle of need (missing column, duplicate code, unknown code)."""


@dataclass(frozen=True)
class CircleLayout:
    """Positions of every node of a circle of need.

    Attributes
    ----------
    items : pandas.DataFrame
        Ring 1, one row per code: ``node_id, code_id, name, dimension, segments, n_services, services,
        providers, status`` (``"unmet"``, ``"met"`` or ``"possible duplication"``), ``radius, angle, x, y``.
    services : pandas.DataFrame
        Ring 2: ``node_id, service_id, name, organisations, n_items, radius, angle, x, y``.
    providers : pandas.DataFrame
        Ring 3: ``node_id, name, n_services, radius, angle, x, y``.
    edges : pandas.DataFrame
        ``source, target, kind`` (``"item-service"`` or ``"service-provider"``) and ``x0, y0, x1, y1``.
    duplication_at : int
        A code met by this many services or more is ``"possible duplication"``.

    Angles are in radians, counter-clockwise from east (``x = radius * cos(angle)``); nodes run clockwise from the
    top of the circle.
    """

    items: pd.DataFrame
    services: pd.DataFrame
    providers: pd.DataFrame
    edges: pd.DataFrame
    duplication_at: int = 3

    def nodes(self) -> pd.DataFrame:
        """Every node of the three rings: ``node_id, ring, name, radius, angle, x, y``.

        Examples
        --------
        >>> items = pd.DataFrame({"code_id": ["N1"], "name": ["Support"], "dimension": ["need"], "segments": [3]})
        >>> links = pd.DataFrame({"code_id": ["N1"], "service_id": ["S1"], "service_name": ["Helpline"],
        ...                       "organisation": ["Council"]})
        >>> nodes = circle_layout(items, links).nodes()
        >>> list(zip(nodes["node_id"], nodes["ring"], nodes["radius"]))
        [('item:N1', 'item', 1.25), ('service:S1', 'service', 2.0), ('provider:Council', 'provider', 2.65)]
        """
        frames = []
        for ring, frame in (("item", self.items), ("service", self.services), ("provider", self.providers)):
            part = frame[["node_id", "name", "radius", "angle", "x", "y"]].copy()
            part.insert(1, "ring", ring)
            frames.append(part)
        return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------------- layout


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise CircleError(f"{what} must be a pandas DataFrame, not {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CircleError(
            f"{what} is missing column(s) {', '.join(missing)}; it needs {', '.join(columns)} "
            f"(it has {', '.join(map(str, frame.columns)) or 'none'})."
        )


def _check_items(items: pd.DataFrame) -> pd.DataFrame:
    _require(items, _ITEM_COLUMNS, "items")
    if not len(items):
        raise CircleError("items is empty: a circle of need needs at least one need, barrier, aspiration or fear.")
    table = items[list(_ITEM_COLUMNS)].copy()
    for column in ("code_id", "name", "dimension"):
        blank = table[column].isna() | (table[column].astype(str).str.strip() == "")
        if blank.any():
            rows = ", ".join(str(i) for i in table.index[blank][:5])
            raise CircleError(f"items has a blank {column} in row(s) {rows}; fill it in or drop the row.")
        table[column] = table[column].astype(str).str.strip()
    duplicated = table["code_id"][table["code_id"].duplicated()].unique()
    if len(duplicated):
        raise CircleError(f"items lists code_id {', '.join(map(repr, duplicated))} more than once; keep one row each.")
    segments = pd.to_numeric(table["segments"], errors="coerce")
    bad = segments.isna() | (segments < 0)
    if bad.any():
        codes = ", ".join(repr(c) for c in table.loc[bad, "code_id"][:5])
        raise CircleError(f"items has a missing, negative or non-numeric segments count for {codes}.")
    table["segments"] = segments.astype(float)
    table["dimension"] = table["dimension"].str.lower()
    return table


def _check_links(links: pd.DataFrame, codes: set[str]) -> pd.DataFrame:
    _require(links, _LINK_COLUMNS, "links")
    table = links[list(_LINK_COLUMNS)].copy()
    for column in ("code_id", "service_id", "service_name"):
        blank = table[column].isna() | (table[column].astype(str).str.strip() == "")
        if blank.any():
            rows = ", ".join(str(i) for i in table.index[blank][:5])
            raise CircleError(f"links has a blank {column} in row(s) {rows}.")
        table[column] = table[column].astype(str).str.strip()
    table["organisation"] = table["organisation"].map(lambda v: None if pd.isna(v) or not str(v).strip() else str(v))
    unknown = sorted(set(table["code_id"]) - codes)
    if unknown:
        raise CircleError(
            f"links names code_id {', '.join(map(repr, unknown[:5]))} that is not in items; "
            "add it to items or correct the link."
        )
    names = table.groupby("service_id")["service_name"].nunique()
    if (names > 1).any():
        service = names.index[names > 1][0]
        raise CircleError(f"links gives service_id {service!r} more than one service_name; use one name per service.")
    return table.drop_duplicates().reset_index(drop=True)


def _angle(turn: float | np.ndarray) -> float | np.ndarray:
    """Turns clockwise from the top → radians counter-clockwise from east."""
    return np.pi / 2 - 2 * np.pi * np.asarray(turn)


def _turn(angle: float) -> float:
    return float(((np.pi / 2 - angle) / (2 * np.pi)) % 1.0)


def _barycentre(angles: list[float]) -> float:
    """Circular mean of angles (the first angle when they cancel out)."""
    total = sum(np.exp(1j * a) for a in angles)
    return float(np.angle(total)) if abs(total) > 1e-9 else angles[0]


def _spread(keys: list[tuple[float, str]]) -> dict[str, float]:
    """Equally spaced turns for nodes whose wanted turns are ``keys`` (turn, id), in that cyclic order.

    The rotation minimises the (circular) distance between each node and where it wanted to be.
    """
    ordered = sorted(keys)
    k = len(ordered)
    if not k:
        return {}
    shift = np.exp(1j * 2 * np.pi * np.array([turn - j / k for j, (turn, _) in enumerate(ordered)]))
    offset = float(np.angle(shift.sum()) / (2 * np.pi)) if abs(shift.sum()) > 1e-9 else ordered[0][0]
    return {node: (offset + j / k) % 1.0 for j, (_, node) in enumerate(ordered)}


def _place(frame: pd.DataFrame, turns: dict[str, float], key: str, radius: float) -> pd.DataFrame:
    frame = frame.copy()
    frame["radius"] = radius
    frame["angle"] = [float(_angle(turns[k])) for k in frame[key]]
    frame["x"] = radius * np.cos(frame["angle"])
    frame["y"] = radius * np.sin(frame["angle"])
    frame["_turn"] = [turns[k] for k in frame[key]]
    return frame.sort_values(["_turn", key]).drop(columns="_turn").reset_index(drop=True)


def circle_layout(
    items: pd.DataFrame,
    links: pd.DataFrame,
    *,
    duplication_at: int = 3,
    assessed: Sequence[str] = ("need", "aspiration"),
) -> CircleLayout:
    """Place the items, services and providers of a circle of need.

    Parameters
    ----------
    items : pandas.DataFrame
        ``code_id, name, dimension, segments``: one row per need, barrier, aspiration or fear, with how often it
        was raised (e.g. :func:`circles.qualitative.analysis.dimension_summary`). Other columns are ignored.
    links : pandas.DataFrame
        ``code_id, service_id, service_name, organisation``: which services meet which code, and who runs each
        service. A code with no row is unmet; ``organisation`` may be blank.
    duplication_at : int
        A code met by this many services or more is flagged ``"possible duplication"`` (default 3).
    assessed : sequence of str
        Dimensions a service can meet (needs, aspirations). An item of another dimension (a barrier, a fear)
        that no service addresses is ``"not assessed"``, not ``"unmet"``: nobody expects a service for a fear.

    Returns
    -------
    CircleLayout
        Items are grouped by dimension (need, barrier, aspiration, fear, then any other, alphabetically), most
        raised first within a group, clockwise from the top with a gap between groups. Each service is placed
        towards the circular mean of the items it serves and each provider towards its services (barycentric
        ordering, which keeps edges short and reduces crossings), equally spaced on their rings. The same input
        always gives the same layout.

    Raises
    ------
    CircleError
        A missing column, blank value, duplicate ``code_id``, bad ``segments``, a link to an unknown code, a
        service with two names, or ``duplication_at`` below 2.

    Examples
    --------
    >>> items = pd.DataFrame({"code_id": ["N1", "N2", "B1"], "name": ["Someone to talk to", "Money", "9 to 5"],
    ...                       "dimension": ["need", "need", "barrier"], "segments": [12, 4, 7]})
    >>> links = pd.DataFrame({"code_id": ["N1", "N1", "N1", "B1"], "service_id": ["S1", "S2", "S3", "S3"],
    ...                       "service_name": ["Helpline", "Peer group", "Drop-in", "Drop-in"],
    ...                       "organisation": ["Council", "Charity", "NHS", "NHS"]})
    >>> layout = circle_layout(items, links)
    >>> dict(zip(layout.items["code_id"], layout.items["status"]))
    {'N1': 'possible duplication', 'N2': 'unmet', 'B1': 'met'}
    >>> layout.services["radius"].unique().tolist(), len(layout.edges)
    ([2.0], 7)
    """
    if isinstance(duplication_at, bool) or not isinstance(duplication_at, int | np.integer) or duplication_at < 2:
        raise CircleError(f"duplication_at must be a whole number of services, 2 or more, not {duplication_at!r}.")
    table = _check_items(items)
    link = _check_links(links, set(table["code_id"]))

    present = list(dict.fromkeys(table["dimension"]))
    order = [d for d in DIMENSION_ORDER if d in present] + sorted(d for d in present if d not in DIMENSION_ORDER)
    rank = {d: i for i, d in enumerate(order)}
    table["_group"] = table["dimension"].map(rank)
    table = table.sort_values(["_group", "segments", "name", "code_id"], ascending=[True, False, True, True])
    gap = 1 if len(order) > 1 else 0
    slots, slot = [], 0.0
    for position, group in enumerate(table["_group"]):
        if position and group != table["_group"].iloc[position - 1]:
            slot += gap
        slots.append(slot)
        slot += 1
    total = slot + gap
    item_turns = {code: (s + 0.5) / total for code, s in zip(table["code_id"], slots, strict=True)}

    services_of = link.groupby("code_id")["service_id"].apply(lambda s: sorted(set(s))).to_dict()
    orgs_of = link.dropna(subset=["organisation"]).groupby("service_id")["organisation"]
    orgs_of = orgs_of.apply(lambda s: sorted(set(s))).to_dict()
    service_names = dict(zip(link["service_id"], link["service_name"], strict=True))
    table["node_id"] = "item:" + table["code_id"]
    table["services"] = [[service_names[s] for s in services_of.get(c, [])] for c in table["code_id"]]
    table["providers"] = [
        sorted({o for s in services_of.get(c, []) for o in orgs_of.get(s, [])}) for c in table["code_id"]
    ]
    table["n_services"] = [len(services_of.get(c, [])) for c in table["code_id"]]
    table["status"] = np.select(
        [
            (table["n_services"] == 0) & ~table["dimension"].isin(list(assessed)),
            table["n_services"] == 0,
            table["n_services"] >= duplication_at,
        ],
        ["not assessed", "unmet", "possible duplication"],
        "met",
    )
    item_frame = _place(table.drop(columns="_group"), item_turns, "code_id", RING_RADII["item"])

    codes_of = link.groupby("service_id")["code_id"].apply(lambda s: sorted(set(s))).to_dict()
    item_angle = {c: float(_angle(t)) for c, t in item_turns.items()}
    service_turns = _spread(
        [(_turn(_barycentre([item_angle[c] for c in codes])), sid) for sid, codes in sorted(codes_of.items())]
    )
    services = pd.DataFrame({"service_id": pd.Series(sorted(codes_of), dtype=object)})
    services["node_id"] = "service:" + services["service_id"]
    services["name"] = services["service_id"].map(service_names)
    services["organisations"] = [orgs_of.get(s, []) for s in services["service_id"]]
    services["n_items"] = [len(codes_of[s]) for s in services["service_id"]]
    service_frame = _place(services, service_turns, "service_id", RING_RADII["service"])
    service_frame = service_frame[["node_id", "service_id", "name", "organisations", "n_items", *_POS]]

    service_angle = {s: float(_angle(t)) for s, t in service_turns.items()}
    by_org = link.dropna(subset=["organisation"]).groupby("organisation")["service_id"]
    services_by_org = by_org.apply(lambda s: sorted(set(s))).to_dict()
    provider_turns = _spread(
        [(_turn(_barycentre([service_angle[s] for s in sids])), org) for org, sids in sorted(services_by_org.items())]
    )
    providers = pd.DataFrame({"name": sorted(services_by_org)}, dtype=object)
    providers["node_id"] = "provider:" + providers["name"].astype(str)
    providers["n_services"] = [len(services_by_org[o]) for o in providers["name"]]
    provider_frame = _place(providers, provider_turns, "name", RING_RADII["provider"])
    provider_frame = provider_frame[["node_id", "name", "n_services", *_POS]]

    item_frame = item_frame[
        ["node_id", "code_id", "name", "dimension", "segments", "n_services", "services", "providers", "status", *_POS]
    ]
    position = {
        row.node_id: (row.x, row.y)
        for frame in (item_frame, service_frame, provider_frame)
        for row in frame.itertuples()
    }
    edges = [
        ("item:" + c, "service:" + s, "item-service") for c, s in link[["code_id", "service_id"]].itertuples(False)
    ]
    pairs = link.dropna(subset=["organisation"])[["service_id", "organisation"]].itertuples(False)
    edges += [("service:" + s, "provider:" + o, "service-provider") for s, o in pairs]
    edge_frame = pd.DataFrame(sorted(set(edges)), columns=["source", "target", "kind"])
    for end, column in ((0, "source"), (1, "target")):
        edge_frame[f"x{end}"] = [position[n][0] for n in edge_frame[column]]
        edge_frame[f"y{end}"] = [position[n][1] for n in edge_frame[column]]
    return CircleLayout(item_frame, service_frame, provider_frame, edge_frame, int(duplication_at))


_POS = ["radius", "angle", "x", "y"]


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

    items, services, providers = layout.items, layout.services, layout.providers
    for radius in RING_RADII.values():
        ax.add_patch(Circle((0, 0), radius, fill=False, lw=0.6, ls=(0, (4, 3)), color="#cccccc", zorder=0))
    colour_of = {d: DIMENSION_COLOURS.get(d, OTHER_COLOUR) for d in items["dimension"].unique()}
    item_colour = dict(zip(items["node_id"], items["dimension"].map(colour_of), strict=True))
    segs = [[(r.x0, r.y0), (r.x1, r.y1)] for r in layout.edges.itertuples()]
    colours = [item_colour[r.source] if r.kind == "item-service" else "#9a9a9a" for r in layout.edges.itertuples()]
    ax.add_collection(LineCollection(segs, colors=colours, linewidths=0.8, alpha=0.55, zorder=1))

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

    labels: list[_Label] = []
    for ring, frame in (("item", items), ("service", services), ("provider", providers)):
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

    fig.canvas.draw()  # fixes the renderer and every transform
    renderer = fig.canvas.get_renderer()
    gap = 2.0 * fig.dpi / 72
    fixed = [centre.get_window_extent(renderer).padded(gap), heading.get_window_extent(renderer).padded(gap)]
    _resolve(fig, ax, labels, fixed, step=5.0)

    legend = _legend(fig, layout, colour_of, top, x=(side + 2 * margin) / width)
    _key(fig, labels, legend, x0=(side + 2 * margin) / width, margin=margin)
    return fig


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
    items, services, providers = layout.items, layout.services, layout.providers
    figure = go.Figure()
    for kind, colour in (("item-service", "#b0b0b0"), ("service-provider", "#8a8a8a")):
        rows = layout.edges[layout.edges["kind"] == kind]
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
            name=f"Possible duplication: met by {layout.duplication_at} or more services",
            marker={"symbol": "diamond", "size": 14, "color": "#bbbbbb"},
        )
    )
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


def _text_position(angle: float) -> str:
    ha, va = _alignment(angle)
    vertical = {"bottom": "top", "top": "bottom", "center": "middle"}[va]
    horizontal = {"left": "right", "right": "left", "center": "center"}[ha]
    return f"{vertical} {horizontal}" if f"{vertical} {horizontal}" != "middle center" else "middle right"
