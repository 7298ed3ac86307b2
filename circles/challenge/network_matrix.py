"""The pairs of services as published, and as a matrix: disclosure control of the pair table, and its heat map.

:func:`publishable_edges` and :func:`publishable_pairs` protect the pair tables of
:func:`~circles.challenge.network.service_overlap` and :func:`~circles.challenge.network.overlap_tests` so that no
ratio gives a protected count back; :func:`overlap_matrix_figure` draws every pair as a cell of an agencies ×
agencies heat map of lift, for the page it is printed on (:class:`~circles.figures.media.Medium`). The network
module re-exports all three; the network figures (:mod:`circles.challenge.network_figures`) use these helpers.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from circles.figures.media import Medium
from circles.ingest.disclosure import SUPPRESSED, DisclosurePolicy, get_policy, protect_table

__all__ = ["publishable_edges", "publishable_pairs", "overlap_matrix_figure"]

#: A3 landscape, for the PDF and PNG kept beside the packs' SVGs.
A3 = Medium("a3", 420.0, 297.0, 8.0, {"small": 8.0, "text": 10.0, "heading": 11.0, "title": 16.0})
_PLURAL = {"agency": "agencies", "service": "services"}


def published(table: pd.DataFrame, columns: Sequence[str], policy: DisclosurePolicy) -> pd.DataFrame:
    """``table`` with ``columns`` protected, unless it already is (has ``<column>_suppressed``)."""
    todo = [c for c in columns if c in table.columns and f"{c}_suppressed" not in table.columns]
    return protect_table(table, todo, policy) if todo else table


def fmt(value: object) -> str:
    """A published count as printed: ``1,234``, or ``*`` when suppressed."""
    return SUPPRESSED if pd.isna(value) else f"{int(value):,}"


def plural(unit: str) -> str:
    """``agency`` → ``agencies``."""
    return _PLURAL.get(unit, f"{unit}s")


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


def publishable_pairs(pairs: pd.DataFrame, policy: DisclosurePolicy | None = None) -> pd.DataFrame:
    """Protect :func:`overlap_tests` pairs for publication, so no ratio gives a protected count back.

    ``shared``, the caseloads and ``all_families`` go through :func:`circles.ingest.disclosure.protect_table`
    (via :func:`publishable_edges`); ``expected`` and ``lift`` are then *recomputed from the published counts*
    (``expected = caseload_a · caseload_b / all_families``, ``lift = shared / expected``; rounded to 1 and 2
    decimals), because an exact lift times an exact expected count is the exact shared count. Where ``shared``
    is suppressed, ``expected``, ``lift``, ``p_value`` and ``q_value`` are suppressed too (``<NA>``): with the
    caseloads they would narrow the small count down. ``kept`` is the decision of the exact test and is kept;
    p- and q-values are rounded to 4 decimals.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.challenge.network import overlap_tests
    >>> fams = [f"F{i}" for i in range(40)]
    >>> r = pd.DataFrame({"family_id": fams + fams[:10] + fams[5:15], "service": ["A"] * 40 + ["B"] * 10 + ["C"] * 10})
    >>> out = publishable_pairs(overlap_tests(r)).set_index(["service_a", "service_b"])
    >>> out.loc[("B", "C"), ["shared", "expected", "lift", "p_value"]].tolist()  # 5 shared: suppressed
    [<NA>, <NA>, <NA>, <NA>]
    >>> out.loc[("A", "B"), ["expected", "lift"]].tolist()  # A has every family: lift exactly 1
    [10.0, 1.0]
    """
    policy = policy or get_policy("nhs")
    exact = pairs.drop(columns=[c for c in ("expected", "lift") if c in pairs.columns])
    out = publishable_edges(exact, policy)
    if "all_families" in out.columns:
        out = protect_table(out, ["all_families"], policy)
    hidden = out["shared"].isna()
    if {"caseload_a", "caseload_b", "all_families"} <= set(out.columns):
        ca, cb = out["caseload_a"].astype("Float64"), out["caseload_b"].astype("Float64")
        expected = ca * cb / out["all_families"].astype("Float64").mask(lambda s: s <= 0)
        lift = out["shared"].astype("Float64") / expected.mask(lambda s: s <= 0)
        at = out.columns.get_loc("shared") + 1
        out.insert(at, "expected", expected.round(1).mask(hidden).astype("Float64"))
        out.insert(at + 1, "lift", lift.round(2).mask(hidden).astype("Float64"))
    for column in ("p_value", "q_value"):
        if column in out.columns:
            out[column] = out[column].astype("Float64").round(4).mask(hidden)
    return out


def overlap_matrix_figure(
    pairs: pd.DataFrame,
    measures: pd.DataFrame,
    *,
    title: str,
    policy: DisclosurePolicy | None = None,
    medium: Medium | None = None,
    height_mm: float | None = None,
    unit: str = "agency",
) -> Figure:
    """A heat map of every pair: colour is the lift, the cell's number the published shared families.

    Rows and columns are the agencies (or services), grouped by community and largest caseload first within it,
    the linked ones before those linked to nothing. A cell's colour is ``log₂`` of the published lift on a
    diverging scale centred on 1 (as many shared families as chance would give): red more, blue fewer. Cells of
    pairs that are not kept (:func:`~circles.challenge.network.overlap_tests`: lift ≤ 1 or FDR q ≥ 0.05) are
    pale; a suppressed count shows ``*`` on grey (its lift is suppressed too). Every text is sized from
    ``medium`` and none is under ``medium.min_pt``: when the cells are too small for a number, the numbers are
    left out and the note says where they are.

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`~circles.challenge.network.overlap_tests` output, exact or already published
        (:func:`~circles.challenge.network.publishable_pairs`).
    measures : pandas.DataFrame
        :func:`~circles.challenge.network.network_measures` (community, caseload, degree).

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.challenge.network import network_measures, overlap_graph, overlap_tests, service_caseloads
    >>> from circles.figures.media import MEDIA
    >>> fams = [f"F{i}" for i in range(80)]
    >>> r = pd.DataFrame({"family_id": fams + fams[:20] + fams[5:25] + fams[40:50],
    ...                   "service": ["A"] * 80 + ["B"] * 20 + ["C"] * 20 + ["D"] * 10})
    >>> pairs = overlap_tests(r)
    >>> g = overlap_graph(pairs[pairs["kept"]], service_caseloads(r))
    >>> fig = overlap_matrix_figure(pairs, network_measures(g), title="Overlap", medium=MEDIA["wall"])
    >>> sorted(t.get_text() for t in fig.axes[0].texts)
    ['0', '0', '0', '0', '10', '10', '15', '15', '20', '20', '20', '20']
    """
    policy, medium = policy or get_policy("nhs"), medium or A3
    table = pairs if "shared_suppressed" in pairs.columns else publishable_pairs(pairs, policy)
    order = _matrix_order(measures, table)
    lift, kept, counts = _matrices(table, order)
    fig = Figure(figsize=medium.figsize(height_mm=height_mm))
    FigureCanvasAgg(fig)
    n, norm_cmap = len(order), _lift_norm(lift)
    head, foot = _frame(fig, medium, title, policy)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    edges = np.arange(n + 1) - 0.5  # vector cells (imshow would embed a raster image in the SVG)
    ax.pcolormesh(edges, edges, _cell_colours(lift, kept, *norm_cmap), edgecolors="white", linewidth=0.5)
    ax.set_xlim(-0.5, n - 0.5), ax.set_ylim(n - 0.5, -0.5), ax.set_aspect("equal")
    shown = published(measures, ["caseload"], policy).set_index("service")
    caseload = {s: fmt(shown.loc[s, "caseload"]) if s in shown.index else SUPPRESSED for s in order}
    rows = [f"{k + 1}  {s} ({caseload[s]})" for k, s in enumerate(order)]
    ax.set_xticks(range(n), [str(k + 1) for k in range(n)], fontsize=medium.type["text"])
    ax.tick_params(top=True, labeltop=True, bottom=False, labelbottom=False, length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    side_x = _place_matrix(fig, ax, rows, medium, head, foot)
    numbers = _cell_numbers(ax, lift, kept, counts, norm_cmap[0], medium)
    _matrix_text(fig, (side_x, head, foot), norm_cmap, medium, unit, numbers)
    return fig


#: The share of the width kept for the note and colour bar beside the matrix.
_SIDE = 0.27


def _frame(fig: Figure, medium: Medium, title: str, policy: DisclosurePolicy) -> tuple[float, float]:
    """The title at the top and the disclosure line at the bottom; the figure fractions between them."""
    renderer = fig.canvas.get_renderer()
    head = fig.text(
        0.01,
        0.985,
        textwrap.fill(title, medium.chars_per_line("title", medium.width_mm * 0.97, bold=True)),
        fontsize=medium.type["title"],
        fontweight="bold",
        va="top",
    )
    rule = f"Disclosure control: {policy.describe()}"
    foot = fig.text(0.01, 0.012, rule, fontsize=medium.type["small"], color="#444444", va="bottom")
    height = fig.bbox.height
    return head.get_window_extent(renderer).y0 / height - 0.02, foot.get_window_extent(renderer).y1 / height + 0.02


def _place_matrix(fig: Figure, ax, rows: list[str], medium: Medium, head: float, foot: float) -> float:
    """Row labels wrapped (at the widest width whose labels still clear each other) and the matrix as large a
    square as fits between them, the top labels and the side panel; returns where the side panel starts."""
    renderer = fig.canvas.get_renderer()
    width, height, pad = fig.bbox.width, fig.bbox.height, 6 * fig.dpi / 72
    n, best = max(len(rows), 1), None
    for share in (0.45, 0.36, 0.28, 0.2):
        wrap = medium.chars_per_line("text", width_mm=share * medium.width_mm)
        labels = [textwrap.fill(r, wrap, subsequent_indent="     ", break_long_words=False) for r in rows]
        ax.set_yticks(range(len(rows)), labels, fontsize=medium.type["text"], linespacing=1.05)
        ax.set_position((0.0, 0.0, 0.5, 0.5))
        fig.canvas.draw()
        boxes = [t.get_window_extent(renderer) for t in ax.get_yticklabels()]
        tops = max((t.get_window_extent(renderer).height for t in ax.get_xticklabels()), default=0.0)
        label_w = max((b.width for b in boxes), default=0.0) + pad
        side = width * (1 - _SIDE)
        size = min(side - 0.01 * width - label_w - 2 * pad, (head - foot) * height - tops - pad)
        tallest = max((boxes[i].height + boxes[i + 1].height) / 2 for i in range(len(boxes) - 1)) if n > 1 else 0
        fits = tallest + 2 <= size / n
        if best is None or (fits and (not best[0] or size > best[1])):
            best = (fits, size, labels, label_w, tops)
    _, size, labels, label_w, tops = best
    ax.set_yticks(range(len(rows)), labels, fontsize=medium.type["text"], linespacing=1.05)
    top = head * height - tops - pad
    ax.set_position(((0.01 * width + label_w) / width, (top - size) / height, size / width, size / height))
    return (0.01 * width + label_w + size + 3 * pad) / width


def _cell_numbers(ax, lift: np.ndarray, kept: np.ndarray, counts: np.ndarray, norm, medium: Medium) -> bool:
    """The published shared families in each cell, at the medium's text size, when the widest fits its cell."""
    n = len(counts)
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    cell = ax.get_window_extent(renderer).width / max(n, 1)
    widest = max((str(c) for c in counts.ravel()), key=len, default="")
    probe = ax.text(0, 0, widest or "0", fontsize=medium.type["text"], ha="center", va="center")
    box = probe.get_window_extent(renderer)
    probe.remove()
    if not n or box.width > 0.9 * cell or box.height > 0.8 * cell:
        return False
    for i in range(n):
        for j in range(n):
            if i != j:
                dark = kept[i, j] and abs(np.log2(lift[i, j])) > 0.55 * norm.vmax if np.isfinite(lift[i, j]) else False
                colour = "white" if dark else "#222222" if kept[i, j] else "#666666"
                ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=medium.type["text"], color=colour)
    return True


def _matrix_order(measures: pd.DataFrame, table: pd.DataFrame) -> list:
    """Linked nodes by community then caseload (largest first), then the unlinked, then any not measured."""
    m = measures.copy()
    m["_unlinked"] = (m["degree"] == 0) if "degree" in m else False
    m["_size"] = m["caseload"].astype("Float64").fillna(0)
    m = m.sort_values(
        ["_unlinked", "community", "_size", "service"],
        ascending=[True, True, False, True],
        key=lambda c: c.astype(str) if c.name == "service" else c,
        kind="stable",
    )
    order = m["service"].tolist()
    extra = sorted((set(table["service_a"]) | set(table["service_b"])) - set(order), key=str)
    return order + extra


def _matrices(table: pd.DataFrame, order: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric matrices of published lift, kept and the printed shared count (``*`` when suppressed)."""
    n, index = len(order), {s: i for i, s in enumerate(order)}
    lift, kept = np.full((n, n), np.nan), np.zeros((n, n), dtype=bool)
    counts = np.full((n, n), "", dtype=object)
    for a, b, value, shared, keep in zip(
        table["service_a"], table["service_b"], table["lift"], table["shared"], table["kept"], strict=True
    ):
        i, j = index[a], index[b]
        for r, c in ((i, j), (j, i)):
            lift[r, c] = np.nan if pd.isna(value) else float(value)
            kept[r, c], counts[r, c] = bool(keep), fmt(shared)
    return lift, kept, counts


def _lift_norm(lift: np.ndarray):
    """A symmetric log₂ scale around lift 1, at least ×2 and at most ×8 either way, and its colour map."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    logs = np.log2(lift[np.isfinite(lift) & (lift > 0)])
    top = float(np.clip(np.abs(logs).max() if len(logs) else 1.0, 1.0, 3.0))
    return Normalize(vmin=-top, vmax=top), colormaps["RdBu_r"]


def _cell_colours(lift: np.ndarray, kept: np.ndarray, norm, cmap) -> np.ndarray:
    """RGBA cells: the lift colour; pale when not kept; grey when suppressed; white on the diagonal."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log2(np.where(lift > 0, lift, np.nan))
    logs = np.where(np.isfinite(lift) & (lift == 0), norm.vmin, logs)
    rgba = cmap(norm(np.nan_to_num(logs, nan=0.0)))
    rgba[..., :3] = np.where(kept[..., None], rgba[..., :3], 1 - 0.3 * (1 - rgba[..., :3]))
    rgba[~np.isfinite(logs)] = (0.88, 0.88, 0.88, 1.0)
    np.fill_diagonal(rgba[..., 0], 1.0), np.fill_diagonal(rgba[..., 1], 1.0), np.fill_diagonal(rgba[..., 2], 1.0)
    return rgba


def _matrix_text(fig, panel: tuple[float, float, float], norm_cmap, medium: Medium, unit: str, numbers: bool) -> None:
    """The note beside the matrix, then the colour bar (ticks in lift, not its log) under its heading."""
    from matplotlib.cm import ScalarMappable

    x, head, foot = panel
    renderer = fig.canvas.get_renderer()
    many = plural(unit)
    cell = "the families both share (* = suppressed, a small number)" if numbers else "left blank (too small to print)"
    note = (
        f"Rows and columns are the same {many}, numbered. In each cell: {cell}. Colour: lift, shared families "
        f"÷ those expected if families used {many} independently (red more, blue fewer). Strong colours: more than "
        "chance (lift > 1, FDR q < 0.05); pale: not. Grey: suppressed. Every count is in network/service_pairs.csv."
    )
    wrap = medium.chars_per_line("text", width_mm=(0.985 - x) * medium.width_mm)
    text = fig.text(x, head, textwrap.fill(note, wrap), fontsize=medium.type["text"], va="top", color="#333333")
    y = text.get_window_extent(renderer).y0 / fig.bbox.height - 0.03
    label = fig.text(x, y, "Lift (shared ÷ expected)", fontsize=medium.type["text"], va="top")
    y = label.get_window_extent(renderer).y0 / fig.bbox.height - 0.02
    bar_h = max(y - foot - 0.01, 0.05)
    cax = fig.add_axes((x, y - bar_h, 0.02, bar_h))
    bar = fig.colorbar(ScalarMappable(norm=norm_cmap[0], cmap=norm_cmap[1]), cax=cax)
    bar.solids.set_rasterized(False)  # vector, as every pack figure is
    norm = norm_cmap[0]
    ticks = [t for t in range(-3, 4) if norm.vmin <= t <= norm.vmax]
    bar.set_ticks(ticks, labels=[f"×{2.0**t:g}" for t in ticks], fontsize=medium.type["small"])
