"""Print maps (matplotlib): choropleths of published area tables.

Classes come from :mod:`mapclassify` (Fisher–Jenks natural breaks by default) over the published values;
suppressed areas are hatched grey with their own legend entry; every map carries the data attribution.
"""

from __future__ import annotations

import textwrap
import warnings

import matplotlib

matplotlib.use("Agg")  # print output: never needs a display

import geopandas as gpd
import mapclassify
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from circles.geography import ATTRIBUTION

__all__ = ["choropleth", "SUPPRESSED_STYLE"]

#: How suppressed areas are drawn on every map.
SUPPRESSED_STYLE = {"facecolor": "#d9d9d9", "edgecolor": "#7f7f7f", "hatch": "///", "linewidth": 0.4}


def choropleth(
    table: gpd.GeoDataFrame,
    column: str,
    *,
    title: str,
    subtitle: str = "",
    suppressed: str | None = None,
    k: int = 5,
    cmap: str = "YlOrRd",
    attribution: str = ATTRIBUTION,
    figsize: tuple[float, float] = (8.27, 8.8),
) -> Figure:
    """Draw a classed choropleth of ``column``; rows flagged in ``suppressed`` are hatched grey.

    Parameters
    ----------
    table : geopandas.GeoDataFrame
        A published area table (counts already through disclosure control).
    column : str
        Value to map.
    title, subtitle : str
    suppressed : str, optional
        Boolean column marking suppressed areas (defaults to ``<column>_suppressed`` when present).
    k : int
        Number of classes (fewer when there are fewer distinct values).

    Returns
    -------
    matplotlib.figure.Figure
        The legend lists each class with its number of areas.
    """
    suppressed = suppressed or (f"{column}_suppressed" if f"{column}_suppressed" in table else None)
    hidden = table[suppressed].astype(bool).to_numpy() if suppressed else np.zeros(len(table), dtype=bool)
    shown = table.loc[~hidden]
    values = shown[column].astype(float).to_numpy()

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    handles: list[Patch] = []
    if len(values):
        n_unique = len(np.unique(values))
        with warnings.catch_warnings():  # mapclassify suggests numba for speed; a few hundred areas do not need it
            warnings.filterwarnings("ignore", message="Numba not installed")
            classifier = (
                mapclassify.FisherJenks(values, k=min(k, n_unique))
                if n_unique > 1
                else mapclassify.UserDefined(values, [values.max()])
            )
        colours = plt.get_cmap(cmap)(np.linspace(0.15, 0.95, classifier.k))
        shown.plot(ax=ax, color=colours[classifier.yb], edgecolor="white", linewidth=0.5)
        for i in range(classifier.k):
            members = values[classifier.yb == i]
            if not len(members):
                continue
            low, high = members.min(), members.max()
            span = f"{low:,.0f}" if low == high else f"{low:,.0f} – {high:,.0f}"
            label = f"{span}  ({len(members)} area{'s' if len(members) != 1 else ''})"
            handles.append(Patch(facecolor=colours[i], edgecolor="#555555", label=label))
    if hidden.any():
        table.loc[hidden].plot(ax=ax, **SUPPRESSED_STYLE)
        n = int(hidden.sum())
        handles.append(Patch(**SUPPRESSED_STYLE, label=f"Suppressed: small number ({n} area{'s' if n != 1 else ''})"))
    table.boundary.plot(ax=ax, color="#444444", linewidth=0.3)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.legend(
        handles=handles,
        title=column.replace("_", " ").capitalize(),
        loc="upper left",
        bbox_to_anchor=(0.0, 0.0),
        ncols=2,
        frameon=False,
        fontsize=8,
        title_fontsize=9,
        alignment="left",
    )
    fig.suptitle(textwrap.fill(title, 70), fontsize=13, fontweight="bold", x=0.02, ha="left")
    if subtitle:
        ax.set_title(subtitle, fontsize=8.5, loc="left", color="#333333")
    fig.supxlabel(textwrap.fill(attribution, 150), fontsize=5.5, color="#444444", x=0.02, ha="left")
    return fig
