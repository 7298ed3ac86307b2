"""Circle-of-need placement: each item's status, and where every item, service and provider goes on its ring.

The segment sits at the centre. Ring 1 holds the segment's needs, barriers, aspirations and fears (from the
qualitative coding, e.g. :func:`circles.qualitative.analysis.dimension_summary`), each marker sized by how often it
was raised. Ring 2 holds the services that meet them and ring 3 the providers (organisations) running those
services. A need met by no service is *unmet*; one met by ``duplication_at`` services or more is flagged as
*possible duplication*. Only needs (and aspirations, which services meet too) are judged so, as in the challenge
stage's "Unmet need and duplication" table (:func:`circles.challenge.coverage.need_coverage`): a fear or barrier
that several services work on is not duplication.

:func:`circle_items` chooses the items (every code a service meets or the notes raised, so a need nobody raised
still shows), :func:`circle_layout` places every node (pure DataFrames in, pure DataFrames out, deterministic) in a
:class:`CircleLayout`; :mod:`circles.challenge.circle_figures` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from circles.errors import CirclesError
from circles.ingest.disclosure import SUPPRESSED
from circles.validation import require_columns

__all__ = [
    "CircleError",
    "CircleLayout",
    "circle_items",
    "circle_layout",
    "raised_text",
    "DIMENSION_ORDER",
    "RING_RADII",
    "ASSESSED",
]

#: Order of the dimension groups around ring 1 (clockwise from the top); other dimensions follow alphabetically.
DIMENSION_ORDER: tuple[str, ...] = ("need", "barrier", "aspiration", "fear")
#: Radius of each ring (the segment is at 0).
RING_RADII: dict[str, float] = {"item": 1.25, "service": 2.0, "provider": 2.65}
#: Dimensions a service meets, judged unmet or possible duplication (the challenge table's "needs").
ASSESSED: tuple[str, ...] = ("need", "aspiration")

_ITEM_COLUMNS = ("code_id", "name", "dimension", "segments")
_LINK_COLUMNS = ("code_id", "service_id", "service_name", "organisation")
_POS = ["radius", "angle", "x", "y"]


class CircleError(CirclesError):
    """Items or links cannot be drawn as a circle of need (missing column, duplicate code, unknown code)."""


@dataclass(frozen=True)
class CircleLayout:
    """Positions of every node of a circle of need.

    Attributes
    ----------
    items : pandas.DataFrame
        Ring 1, one row per code: ``node_id, code_id, name, dimension, segments`` (how often raised; NaN when
        the published count is suppressed), ``raised`` (:func:`raised_text`), ``n_services, services, providers,
        status``, ``radius, angle, x, y``. A need or aspiration is ``"unmet"``, ``"met"`` or ``"possible
        duplication"``; a barrier or fear is ``"addressed"`` (some service works on it) or ``"not assessed"``.
    services : pandas.DataFrame
        Ring 2: ``node_id, service_id, name, organisations, n_items, radius, angle, x, y``.
    providers : pandas.DataFrame
        Ring 3: ``node_id, name, n_services, radius, angle, x, y``.
    edges : pandas.DataFrame
        ``source, target, kind`` (``"item-service"`` or ``"service-provider"``) and ``x0, y0, x1, y1``.
    duplication_at : int
        A need met by this many services or more is ``"possible duplication"``.

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


# ---------------------------------------------------------------------------------------------------- items


def raised_text(segments: object) -> str:
    """How often an item was raised, for a label or a hover: never a number for a suppressed count.

    Examples
    --------
    >>> [raised_text(v) for v in (7, 1, 0)]
    ['raised 7 times', 'raised once', 'not raised in the notes']
    >>> raised_text(float("nan")) == raised_text("*") == "raised * times (a small number)"
    True
    """
    if isinstance(segments, str) and segments.strip() == SUPPRESSED:
        segments = float("nan")
    value = float(segments)  # type: ignore[arg-type]
    if np.isnan(value):
        return f"raised {SUPPRESSED} times (a small number)"
    n = int(round(value))
    return "not raised in the notes" if n == 0 else "raised once" if n == 1 else f"raised {n} times"


def circle_items(
    codes: pd.DataFrame,
    summary: pd.DataFrame | None,
    links: pd.DataFrame,
    *,
    leave_out: Sequence[str] = ("provider view",),
) -> pd.DataFrame:
    """The items of ring 1: every code that a service meets or that the notes raised.

    A need nobody raised but a service meets is kept (it can still be duplicated), and so is a need raised but
    met by no service (unmet need). A code neither met nor raised is left out.

    Parameters
    ----------
    codes : pandas.DataFrame
        The codebook: ``code_id, name, dimension`` (e.g. :func:`circles.qualitative.codebook.codebook_table`,
        whose ``id`` column is accepted as ``code_id``), in codebook order.
    summary : pandas.DataFrame or None
        How often each code was raised: ``code_id, segments`` (:func:`circles.qualitative.analysis.
        dimension_summary`, or its published CSV where a suppressed count is ``"*"`` or missing). A code absent
        from it was not raised.
    links : pandas.DataFrame
        ``code_id`` of every service-code link (:func:`circles.challenge.coverage.needs_met`).
    leave_out : sequence of str
        Dimensions never drawn (providers' own views are not the segment's).

    Returns
    -------
    pandas.DataFrame
        ``code_id, name, dimension, segments`` for :func:`circle_layout`: ``segments`` is 0 for a code not
        raised and NaN for a suppressed count.

    Examples
    --------
    >>> codes = pd.DataFrame({"code_id": ["N1", "N2", "N3", "F1", "P1"], "name": ["Talk", "Money", "Work",
    ...                       "Relapse", "Thresholds"], "dimension": ["need", "need", "need", "fear",
    ...                       "provider view"]})
    >>> summary = pd.DataFrame({"code_id": ["N1", "F1", "P1"], "segments": [5, "*", 2]})
    >>> links = pd.DataFrame({"code_id": ["N2", "F1"]})
    >>> circle_items(codes, summary, links).values.tolist()
    [['N1', 'Talk', 'need', 5.0], ['N2', 'Money', 'need', 0.0], ['F1', 'Relapse', 'fear', nan]]
    """
    table = codes.rename(columns={"id": "code_id"}) if "code_id" not in codes else codes
    require_columns(table, ("code_id", "name", "dimension"), "codes", error=CircleError)
    table = table[["code_id", "name", "dimension"]].copy()
    raised: dict[str, float] = {}
    if summary is not None and len(summary):
        require_columns(summary, ("code_id", "segments"), "summary", error=CircleError)
        for code, value in zip(summary["code_id"], summary["segments"], strict=True):
            text = str(value).strip()
            raised[str(code)] = float("nan") if text in (SUPPRESSED, "", "nan", "None") else float(text)
    table["segments"] = [raised.get(str(c), 0.0) for c in table["code_id"]]
    met = set(links["code_id"].astype(str)) if len(links) else set()
    keep = table["code_id"].astype(str).isin(met) | (table["segments"] != 0)
    keep &= ~table["dimension"].astype(str).str.lower().isin([d.lower() for d in leave_out])
    return table[keep].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------- layout


def _check_items(items: pd.DataFrame) -> pd.DataFrame:
    require_columns(items, _ITEM_COLUMNS, "items", error=CircleError)
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
    raw = table["segments"].map(lambda v: None if isinstance(v, str) and v.strip() == SUPPRESSED else v)
    segments = pd.to_numeric(raw, errors="coerce")
    bad = (segments.isna() & raw.notna()) | (segments < 0)
    if bad.any():
        codes = ", ".join(repr(c) for c in table.loc[bad, "code_id"][:5])
        raise CircleError(f"items has a negative or non-numeric segments count for {codes}.")
    table["segments"] = segments.astype(float)  # NaN: suppressed ("*") when published
    table["dimension"] = table["dimension"].str.lower()
    return table


def _check_links(links: pd.DataFrame, codes: set[str]) -> pd.DataFrame:
    require_columns(links, _LINK_COLUMNS, "links", error=CircleError)
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
    assessed: Sequence[str] = ASSESSED,
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
        A need met by this many services or more is flagged ``"possible duplication"`` (default 3).
    assessed : sequence of str
        Dimensions a service can meet (needs, aspirations), judged ``"unmet"``, ``"met"`` or ``"possible
        duplication"`` exactly as the challenge table judges them. An item of another dimension (a barrier, a
        fear) is ``"addressed"`` when services work on it and ``"not assessed"`` otherwise, never unmet or
        duplicated: nobody expects one service per fear, and several services working on relapse is not
        duplication.

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
    {'N1': 'possible duplication', 'N2': 'unmet', 'B1': 'addressed'}
    >>> layout.services["radius"].unique().tolist(), len(layout.edges)
    ([2.0], 7)
    """
    if isinstance(duplication_at, bool) or not isinstance(duplication_at, int | np.integer) or duplication_at < 2:
        raise CircleError(f"duplication_at must be a whole number of services, 2 or more, not {duplication_at!r}.")
    table = _check_items(items)
    link = _check_links(links, set(table["code_id"]))
    table, item_turns = _item_turns(table)
    item_frame = _item_ring(table, link, item_turns, duplication_at=duplication_at, assessed=assessed)
    service_frame, service_turns = _service_ring(link, item_turns)
    provider_frame = _provider_ring(link, service_turns)
    edge_frame = _edge_frame(link, (item_frame, service_frame, provider_frame))
    return CircleLayout(item_frame, service_frame, provider_frame, edge_frame, int(duplication_at))


def _item_turns(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Items grouped by dimension, most raised first, with a gap between groups; and each item's turn."""
    present = list(dict.fromkeys(table["dimension"]))
    order = [d for d in DIMENSION_ORDER if d in present] + sorted(d for d in present if d not in DIMENSION_ORDER)
    rank = {d: i for i, d in enumerate(order)}
    table["_group"] = table["dimension"].map(rank)
    table["_order"] = table["segments"].fillna(0.5)  # a suppressed count is small, not zero
    table = table.sort_values(["_group", "_order", "name", "code_id"], ascending=[True, False, True, True])
    gap = 1 if len(order) > 1 else 0
    slots, slot = [], 0.0
    for position, group in enumerate(table["_group"]):
        if position and group != table["_group"].iloc[position - 1]:
            slot += gap
        slots.append(slot)
        slot += 1
    total = slot + gap
    item_turns = {code: (s + 0.5) / total for code, s in zip(table["code_id"], slots, strict=True)}
    return table, item_turns


def _organisations_of(link: pd.DataFrame) -> dict[str, list[str]]:
    """The organisations running each service."""
    orgs_of = link.dropna(subset=["organisation"]).groupby("service_id")["organisation"]
    return orgs_of.apply(lambda s: sorted(set(s))).to_dict()


def _item_ring(
    table: pd.DataFrame,
    link: pd.DataFrame,
    item_turns: dict[str, float],
    *,
    duplication_at: int,
    assessed: Sequence[str],
) -> pd.DataFrame:
    """Ring 1: each item with the services and providers meeting it, its status and its position."""
    services_of = link.groupby("code_id")["service_id"].apply(lambda s: sorted(set(s))).to_dict()
    orgs_of = _organisations_of(link)
    service_names = dict(zip(link["service_id"], link["service_name"], strict=True))
    table["node_id"] = "item:" + table["code_id"]
    table["services"] = [[service_names[s] for s in services_of.get(c, [])] for c in table["code_id"]]
    table["providers"] = [
        sorted({o for s in services_of.get(c, []) for o in orgs_of.get(s, [])}) for c in table["code_id"]
    ]
    table["n_services"] = [len(services_of.get(c, [])) for c in table["code_id"]]
    need = table["dimension"].isin([d.lower() for d in assessed])
    table["status"] = np.select(
        [
            (table["n_services"] == 0) & ~need,
            ~need,
            table["n_services"] == 0,
            table["n_services"] >= duplication_at,
        ],
        ["not assessed", "addressed", "unmet", "possible duplication"],
        "met",
    )
    table["raised"] = [raised_text(v) for v in table["segments"]]
    item_frame = _place(table.drop(columns=["_group", "_order"]), item_turns, "code_id", RING_RADII["item"])
    columns = ["node_id", "code_id", "name", "dimension", "segments", "raised", "n_services", "services", "providers"]
    return item_frame[[*columns, "status", *_POS]]


def _service_ring(link: pd.DataFrame, item_turns: dict[str, float]) -> tuple[pd.DataFrame, dict[str, float]]:
    """Ring 2: each service towards the circular mean of its items; and each service's turn."""
    orgs_of = _organisations_of(link)
    service_names = dict(zip(link["service_id"], link["service_name"], strict=True))
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
    return service_frame[["node_id", "service_id", "name", "organisations", "n_items", *_POS]], service_turns


def _provider_ring(link: pd.DataFrame, service_turns: dict[str, float]) -> pd.DataFrame:
    """Ring 3: each provider towards the circular mean of its services."""
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
    return provider_frame[["node_id", "name", "n_services", *_POS]]


def _edge_frame(link: pd.DataFrame, frames: tuple[pd.DataFrame, ...]) -> pd.DataFrame:
    """Item-service and service-provider edges with the positions of their ends."""
    position = {row.node_id: (row.x, row.y) for frame in frames for row in frame.itertuples()}
    edges = [
        ("item:" + c, "service:" + s, "item-service") for c, s in link[["code_id", "service_id"]].itertuples(False)
    ]
    pairs = link.dropna(subset=["organisation"])[["service_id", "organisation"]].itertuples(False)
    edges += [("service:" + s, "provider:" + o, "service-provider") for s, o in pairs]
    edge_frame = pd.DataFrame(sorted(set(edges)), columns=["source", "target", "kind"])
    for end, column in ((0, "source"), (1, "target")):
        edge_frame[f"x{end}"] = [position[n][0] for n in edge_frame[column]]
        edge_frame[f"y{end}"] = [position[n][1] for n in edge_frame[column]]
    return edge_frame
