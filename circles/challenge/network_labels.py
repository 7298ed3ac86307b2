"""Where :func:`~circles.challenge.network_figures.network_figure` writes its labels: each node's name beside its
circle, measured as rendered, where it covers no other label and no circle and is unmistakably that circle's (or a
number and a key entry), and ``×lift`` on the strongest lines where it touches nothing.

The placement is greedy, largest circles first, trying positions around a node nearest first (as in the point
labelling of cartography: Imhof, *Positioning names on maps*, The American Cartographer 2, 1975).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from circles.figures.media import Halo, Medium

__all__ = ["EDGE_LABEL_GID", "NODE_LABEL_GID", "label_edges", "place_node_labels"]

#: ``gid`` of the labels (to find them in a figure).
EDGE_LABEL_GID = "network-edge-label"
NODE_LABEL_GID = "network-node-label"


def _alignment(angle: float) -> tuple[str, str]:
    """Horizontal and vertical alignment of a label at ``angle`` (radians) from its node: it grows away from it."""
    c, s = math.cos(angle), math.sin(angle)
    return ("left" if c > 0.3 else "right" if c < -0.3 else "center"), (
        "bottom" if s > 0.3 else "top" if s < -0.3 else "center"
    )


def _gaps(box: Bbox, circles: np.ndarray) -> np.ndarray:
    """The distance from ``box`` to the edge of each circle ``(x, y, r)`` of ``circles`` (display units); below
    zero where they overlap."""
    nx_ = np.clip(circles[:, 0], box.x0, box.x1)
    ny_ = np.clip(circles[:, 1], box.y0, box.y1)
    return np.hypot(circles[:, 0] - nx_, circles[:, 1] - ny_) - circles[:, 2]


def _hits(box: Bbox, circles: np.ndarray) -> bool:
    """Whether ``box`` (display units) touches any circle ``(x, y, r)`` of ``circles``."""
    return bool(len(circles)) and bool((_gaps(box, circles) < 0).any())


_ANGLES = tuple(math.radians(a) for a in (0, 180, 90, 270, 35, 145, 215, 325, 60, 120, 240, 300))


def _free(box: Bbox, frame: Bbox, circles: np.ndarray, taken: list[Bbox]) -> bool:
    inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
    return inside and not _hits(box, circles) and not any(box.overlaps(t) for t in taken)


def _try_place(text: Text, radius_pt: float, step_pt: float, fit, rings: int = 2) -> bool:
    """Move ``text`` around its node, nearest first, ``rings`` steps out at most, until ``fit(box)``; ``False``
    when no place is free."""
    renderer = text.figure.canvas.get_renderer()
    for ring in range(rings):
        offset = radius_pt + 2.0 + ring * step_pt
        for angle in _ANGLES:
            ha, va = _alignment(angle)
            text.set_ha(ha)
            text.set_va(va)
            text.xyann = (offset * math.cos(angle), offset * math.sin(angle))
            if fit(text.get_window_extent(renderer)):
                return True
    return False


def place_node_labels(
    fig: Figure, ax: Axes, xy: np.ndarray, radii: np.ndarray, texts: list[str], medium: Medium
) -> tuple[list[Text], list[tuple[int, str]]]:
    """Each node's label beside it, overlapping no other label and no node; a number (and a key entry) when its
    full label finds no free place. Largest nodes are placed first.

    Beside means unmistakably its own: a label starts within an em and a quarter of its node's circle and nearer
    to it than to any other circle (a label drifting between two circles would name the wrong one to a reader),
    and half an em from any other node's label (a number beside another node's name reads as one line).
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    px = fig.dpi / 72
    circles = np.column_stack([ax.transData.transform(xy), (radii + 1.5) * px]) if len(xy) else np.empty((0, 3))
    taken: list[Bbox] = []
    labels: list[Text] = [None] * len(xy)  # type: ignore[list-item]
    numbered: list[tuple[int, str]] = []
    size = medium.type["text"]

    reach, apart = 1.25 * size * px, 0.4 * size * px  # apart: two nodes' labels never read as one line

    def beside(i: int):
        def fit(box: Bbox) -> bool:
            if not _free(box.padded(1.5 * px), frame, circles, taken):
                return False
            gaps = _gaps(box, circles)
            return bool(gaps[i] <= reach and (np.delete(gaps, i) > gaps[i]).all())

        return fit

    for i in sorted(range(len(xy)), key=lambda k: (-radii[k], texts[k])):
        fit = beside(i)
        text = ax.annotate(
            texts[i],
            xy=xy[i],
            xytext=(0, 0),
            textcoords="offset points",
            fontsize=size,
            zorder=5,
            gid=NODE_LABEL_GID,
            linespacing=1.1,
            path_effects=[Halo(2.5)],
        )
        if not _try_place(text, radii[i], 0.8 * size, fit):
            numbered.append((len(numbered) + 1, texts[i].replace("\n", " ")))
            text.set_text(str(len(numbered)))
            text.set_fontweight("bold")
            if not _try_place(text, radii[i], 0.5 * size, fit):
                text.xyann = (0, 0)  # on its own node: the last resort, never on another label
        taken.append(text.get_window_extent(renderer).padded(apart))
        labels[i] = text
    return labels, numbered


def label_edges(
    fig: Figure,
    ax: Axes,
    edges: pd.DataFrame,
    pos: dict,
    nodes: list,
    radii: np.ndarray,
    labels: list[Text],
    medium: Medium,
    *,
    limit: int | None,
) -> None:
    """``×lift`` on the strongest lines, at a point of the line where the label touches no node and no label."""
    shown = edges[~edges["shared_suppressed"].astype(bool) & edges["lift"].notna()]
    shown = shown.sort_values("lift", ascending=False, kind="stable")
    shown = shown if limit is None else shown.head(max(int(limit), 0))
    if not len(shown):
        return
    renderer = fig.canvas.get_renderer()
    frame, px = ax.get_window_extent(renderer), fig.dpi / 72
    centres = ax.transData.transform(np.array([pos[n] for n in nodes]))
    circles = np.column_stack([centres, (radii + 2.0) * px])
    taken = [t.get_window_extent(renderer).padded(1.5 * px) for t in labels]
    for a, b, lift in zip(shown["service_a"], shown["service_b"], shown["lift"], strict=True):
        text = ax.text(
            0,
            0,
            f"×{float(lift):.1f}",
            fontsize=medium.type["small"],
            ha="center",
            va="center",
            color="#222222",
            zorder=3,
            gid=EDGE_LABEL_GID,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
        )
        for t in (0.5, 0.4, 0.6, 0.3, 0.7):
            text.set_position(np.asarray(pos[a]) * (1 - t) + np.asarray(pos[b]) * t)
            box = text.get_window_extent(renderer).padded(2 * px)
            if _free(box, frame, circles, taken):
                taken.append(box)
                break
        else:
            text.remove()
