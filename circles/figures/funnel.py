"""Funnel plots of area rates, for print (matplotlib, A4 landscape) and the web (plotly).

Both draw a :class:`circles.stats.funnel.FunnelResult`: each area's rate against its population, coloured by
its band (:data:`circles.stats.funnel.BAND_COLOURS`, Fingertips colours), the target rate as a solid black
line, the 95% limits dashed and the 99.8% limits solid (exact Poisson limits, Spiegelhalter 2005). The print
figure names every area outside the 95% limits and gives the method in a caption; the legend gives the number
of areas in each band. Areas with no population (or no count) cannot be placed: the legend says how many.

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. *Statistics in Medicine*
24(8): 1185-1202.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from circles.figures.media import Medium
from circles.figures.media import medium as get_medium
from circles.stats.funnel import BAND_COLOURS, BANDS, FunnelResult

__all__ = [
    "funnel_figure",
    "funnel_html",
    "band_legend_label",
    "METHOD_CAPTION",
    "SYNTHETIC_MARK",
    "FUNNEL_LABEL_GID",
    "SYNTHETIC_GID",
    "LIMIT_STYLES",
]

#: Caption naming the method, printed at the foot of every funnel plot.
METHOD_CAPTION = "Exact Poisson control limits around the {target_label} (Spiegelhalter 2005)"
#: Mark printed on figures drawn from synthetic data.
SYNTHETIC_MARK = "SYNTHETIC DATA \u2014 not real people"
#: ``gid`` of area labels and of the synthetic-data marks (to find them in a figure).
FUNNEL_LABEL_GID = "funnel-label"
SYNTHETIC_GID = "synthetic-mark"

#: Line styles of the limits. Colours from the Fingertips front end (``Colour.limit95 = '#444444'``,
#: ``Colour.limit99 = '#a8a8cc'`` in ``shared.ts`` of ``ukhsa-collaboration/fingertips-open``); the 99.8% colour is
#: darkened a little (``#8C8CBF``) so the solid line prints clearly. The target line is ``Colour.comparator``.
LIMIT_STYLES: dict[str, dict[str, Any]] = {
    "inner": {"color": "#444444", "linestyle": (0, (5, 3)), "linewidth": 1.1},
    "outer": {"color": "#8C8CBF", "linestyle": "-", "linewidth": 1.4},
    "target": {"color": "#000000", "linestyle": "-", "linewidth": 1.2},
}

_A4_LANDSCAPE = (11.69, 8.27)
_EDGE = "#333333"
_LABEL_SIZE = 7.5
_MARKER_RADIUS = 3.5  # points: half the width of an area's marker (s=34)
# Label offsets (points) tried in turn, nearest first; a leader line is drawn for the far ones.
_OFFSETS = [
    (6, 4),
    (6, -10),
    (-6, 4),
    (-6, -10),
    (10, 14),
    (10, -20),
    (-10, 14),
    (-10, -20),
    (0, 22),
    (0, -28),
    (18, 28),
    (18, -34),
    (-18, 28),
    (-18, -34),
    (28, 0),
    (-28, 0),
    (30, 30),
    (30, -36),
    (-30, 30),
    (-30, -36),
    (0, 40),
    (0, -46),
]


def band_legend_label(band: str, count: int) -> str:
    """Legend text of a band: ``"Above 99.8% limit (3)"``, ``"Within 95% limits (12)"``.

    Examples
    --------
    >>> band_legend_label("above 99.8%", 3)
    'Above 99.8% limit (3)'
    >>> band_legend_label("within 95%", 1)
    'Within 95% limits (1)'
    >>> band_legend_label("no population", 2)
    'No population: not shown (2)'
    """
    if band == "no population":
        return f"No population: not shown ({count})"
    side, level = band.split(" ", 1)
    noun = "limits" if side == "within" else "limit"
    return f"{side.capitalize()} {level} {noun} ({count})"


def _colours(result: FunnelResult) -> dict[str, str]:
    """Band -> colour; bands for other levels take the colour of the default band in the same position."""
    return {band: BAND_COLOURS[default] for band, default in zip(result.bands, BANDS, strict=True)}


def _labels(result: FunnelResult, label: Callable[[Any], str] | pd.Series | Mapping | None) -> pd.Series:
    names = result.table["name"].astype(str)
    if label is None:
        return names
    if callable(label) and not isinstance(label, pd.Series | Mapping):
        return pd.Series([str(label(code)) for code in names.index], index=names.index)
    given = pd.Series(label, dtype=object).reindex(names.index)
    return given.where(given.notna(), names).astype(str)


def _per_text(per: float) -> str:
    return f"{per:,.0f}" if float(per).is_integer() else f"{per:,g}"


def _target_text(result: FunnelResult, target_label: str) -> str:
    return f"{target_label[:1].upper()}{target_label[1:]}: {result.target:,.1f} per {_per_text(result.per)}"


def funnel_figure(
    result: FunnelResult,
    *,
    title: str,
    subtitle: str = "",
    rate_label: str = "rate per 1,000 residents",
    population_label: str = "residents",
    synthetic: bool = False,
    label: Callable[[Any], str] | pd.Series | Mapping | None = None,
    target_label: str = "study-area rate",
    medium: Medium | str | None = None,
) -> Figure:
    """Print funnel plot (A4 landscape, vector): areas by band, the target, and 95% and 99.8% limits.

    Parameters
    ----------
    result : FunnelResult
        From :func:`circles.stats.funnel.funnel_table`.
    title, subtitle : str
    rate_label : str
        Y axis label.
    population_label : str
        X axis label (the population the rate is per).
    synthetic : bool
        Print "SYNTHETIC DATA — not real people" above the plot and faintly across it.
    label : callable, pandas.Series or mapping, optional
        Name to print for each area: a function of the area code, or names by area code. Defaults to the
        ``name`` column of the table.
    target_label : str
        What the target is, for the caption and legend (e.g. ``"England rate"`` for a given target).
    medium : Medium or str, optional
        Draw for a pack page (:mod:`circles.figures.media`): at the size it is printed, every text from the
        medium's type sizes, the legend under the plot. Default: A4 landscape, legend on the right.

    Returns
    -------
    matplotlib.figure.Figure
        11.69 x 8.27 in. The legend lists each band present with its number of areas; every area outside the
        95% limits is labelled (labels have ``gid`` :data:`FUNNEL_LABEL_GID`). Nothing is rasterised.

    Examples
    --------
    >>> from circles.stats.funnel import funnel_table
    >>> result = funnel_table([40, 10, 12, 11], [1000, 1000, 1100, 900], names=["Audley", "B", "C", "D"])
    >>> figure = funnel_figure(result, title="Harmful drinking", synthetic=True)
    >>> [t.get_text() for t in figure.axes[0].texts if t.get_gid() == FUNNEL_LABEL_GID]
    ['Audley']
    """
    import matplotlib

    matplotlib.use("Agg")  # print output: never needs a display
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.lines import Line2D

    table = result.table
    colours = _colours(result)
    names = _labels(result, label)
    (inner_name, inner_cols), (outer_name, outer_cols) = result.limit_columns.items()
    bands = result.bands
    placed = table["band"] != bands[5]

    size, font, wrap = _type(medium)
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    curve = result.curve
    x = curve["population"].to_numpy()
    ax.axhline(result.target, **LIMIT_STYLES["target"], zorder=2)
    for style, columns in (("inner", inner_cols), ("outer", outer_cols)):
        for column in columns:
            ax.plot(x, curve[column].to_numpy(), **LIMIT_STYLES[style], zorder=2)

    counts = result.counts_by_band()
    handles = _draw_bands(ax, result, colours, counts)
    handles += [
        Line2D([], [], **LIMIT_STYLES["target"], label=_target_text(result, target_label)),
        Line2D([], [], **LIMIT_STYLES["inner"], label=f"{inner_name}% limits"),
        Line2D([], [], **LIMIT_STYLES["outer"], label=f"{outer_name}% limits"),
    ]
    if medium is not None and get_medium(medium).large_print:  # two columns of 16 pt fit across the page wrapped
        for handle in handles:
            handle.set_label(textwrap.fill(handle.get_label(), _LARGE_LEGEND_CHARS))
    fig.legend(
        handles=handles,
        loc="outside right upper" if medium is None else "outside lower left",
        ncols=1 if medium is None else 2,
        frameon=False,
        fontsize=font["legend"],
        title="Areas compared with the target",
        title_fontsize=font["heading"],
        alignment="left",
    )
    _set_limits(ax, result, placed, outer_cols)
    _style_axes(ax, population_label, textwrap.fill(rate_label, wrap["axis"]), font)

    # wrapped short of the legend, which sits outside the axes at the upper right
    if title:
        fig.suptitle(textwrap.fill(title, wrap["title"]), fontsize=font["title"], fontweight="bold", x=0.02, ha="left")
    if subtitle:
        ax.set_title(textwrap.fill(subtitle, wrap["subtitle"]), fontsize=font["subtitle"], loc="left", color="#333333")
    if medium is None:  # on a pack page the caption is the pack's own text, and the legend counts the areas not shown
        caption = METHOD_CAPTION.format(target_label=target_label) + f". {_target_text(result, target_label)}."
        if counts[bands[5]]:
            caption += f" {counts[bands[5]]} area(s) with no population or no count are not shown."
        text = textwrap.fill(caption, wrap["caption"])
        fig.supxlabel(text, fontsize=font["caption"], color="#444444", x=0.02, ha="left")
    if synthetic:
        _mark_synthetic(ax, font["synthetic"], loc="right" if subtitle else "left")

    _name_outliers(fig, ax, result, names, placed, medium, font["label"], font["small"])
    return fig


def _name_outliers(
    fig: Figure,
    ax: Any,
    result: FunnelResult,
    names: pd.Series,
    placed: pd.Series,
    medium: Medium | str | None,
    size: float,
    small: float,
) -> None:
    """Name the areas outside the inner limits. Large print names none (16 pt names would bury the points: its
    pack names the areas in a table); a figure drawn for a pack leaves off a name that would overlap another and
    says how many it left off (the area table, a page on, names every area)."""
    table, bands = result.table, result.bands
    outside = table.loc[placed & ~table["band"].isin([bands[2]])]
    points = table.loc[placed, ["population", "rate"]].to_numpy()
    if medium is not None and get_medium(medium).large_print:
        outside = outside.iloc[0:0]
    named = _place_labels(
        fig,
        ax,
        outside,
        names,
        points=points,
        fontsize=size,
        drop_overlapping=medium is not None,
        outer_bands=(bands[0], bands[4]),
    )
    left_off = len(outside) - len(named)
    if left_off:
        they = "they" if left_off != 1 else "it"
        note = f"{left_off} name{'s' * (left_off != 1)} left off where {they} would overlap: the area table names "
        note += "every area"
        fig.text(0.995, 0.005, note, fontsize=small, ha="right", va="bottom", color="#444444")


#: Where a large-print legend's labels wrap ("Study-area rate: 10.7 per 1,000" runs off a 178 mm page unwrapped).
_LARGE_LEGEND_CHARS = 22


def _type(medium: Medium | str | None) -> tuple[tuple[float, float], dict[str, float], dict[str, int]]:
    """Figure size, type sizes by role and wrap widths (characters): A4 landscape, or drawn for ``medium``."""
    if medium is None:
        font = {"legend": 8, "heading": 9, "small": 8, "title": 13, "subtitle": 8.5, "caption": 7.5}
        font |= {"label": _LABEL_SIZE, "synthetic": 11}
        return _A4_LANDSCAPE, font, {"title": 80, "subtitle": 130, "caption": 160, "axis": 60}
    m = get_medium(medium)
    t = m.type
    font = {"legend": t["text"], "heading": t["heading"], "small": t["small"], "title": t["title"]}
    font |= {"subtitle": t["text"], "caption": t["small"], "label": t["small"], "synthetic": t["heading"]}
    wrap = {
        role: m.chars_per_line(key, bold=role == "title")
        for role, key in (("title", "title"), ("subtitle", "text"), ("caption", "small"))
    }
    wrap["axis"] = m.chars_per_line("heading", width_mm=0.6 * m.height_mm)
    return m.figsize(), font, wrap


def _style_axes(ax: Any, x_label: str, y_label: str, font: dict[str, float]) -> None:
    """Axis titles, thousands on the population axis, a light grid along the rates, no box."""
    from matplotlib.ticker import StrMethodFormatter

    ax.set_xlabel(x_label, fontsize=font["heading"])
    ax.set_ylabel(y_label, fontsize=font["heading"])
    ax.tick_params(labelsize=font["small"])
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e6e6e6", linewidth=0.6, zorder=0)


def _set_limits(ax, result: FunnelResult, placed: pd.Series, outer_cols: tuple[str, str]) -> None:
    """Population axis from 0; rate axis from 0 to above every area and the 99.8% limit at the smallest area."""
    table = result.table.loc[placed]
    curve = result.curve
    x_max = float(curve["population"].max()) if len(curve) else 1.0
    tops = [result.target * 1.5]
    if len(table):
        tops += [float(table["rate"].max()), float(table[outer_cols[1]].max())]
    top = max(t for t in tops if np.isfinite(t)) if any(np.isfinite(t) for t in tops) else 1.0
    ax.set_xlim(0, x_max if np.isfinite(x_max) and x_max > 0 else 1.0)
    ax.set_ylim(0, top * 1.08 if top > 0 else 1.0)


def _place_labels(
    fig: Figure,
    ax,
    rows: pd.DataFrame,
    names: pd.Series,
    points: np.ndarray,
    *,
    fontsize: float = _LABEL_SIZE,
    drop_overlapping: bool = False,
    outer_bands: Sequence[str] = (),
) -> list:
    """Label each area in ``rows``, trying offsets until the label overlaps no point and no label already placed.

    When no offset is free the least-overlapping one is used, or, with ``drop_overlapping`` (a figure printed
    beside a table that names every area), the label is left off: text printed over text cannot be read. Areas
    in ``outer_bands`` (beyond the outer limits) are placed first, so a name left off is a less extreme area's.
    The layout is fixed first so that the checks use the final positions.
    """
    if not len(rows):
        return []
    fig.draw_without_rendering()
    fig.set_layout_engine("none")  # labels are checked against this layout: keep it
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    radius = _MARKER_RADIUS * fig.dpi / 72
    taken: list = [
        Bbox.from_extents(x - radius, y - radius, x + radius, y + radius) for x, y in ax.transData.transform(points)
    ]
    placed = []
    # beyond the outer limits first (the first and last bands), then top to bottom: when a name must be left
    # off, it is one of the less extreme areas
    inner = ~rows["band"].isin(outer_bands)
    order = rows.assign(_inner=inner).sort_values(["_inner", "rate"], ascending=[True, False]).index
    for code in order:
        xy = (float(rows.at[code, "population"]), float(rows.at[code, "rate"]))
        best = None
        for dx, dy in _OFFSETS:
            far = abs(dx) > 8 or abs(dy) > 12
            text = ax.annotate(
                names.loc[code],
                xy=xy,
                xytext=(dx, dy),
                textcoords="offset points",
                ha="left" if dx > 0 else ("right" if dx < 0 else "center"),
                va="bottom" if dy >= 0 else "top",
                fontsize=fontsize,
                color="#111111",
                zorder=5,
                gid=FUNNEL_LABEL_GID,
                arrowprops={"arrowstyle": "-", "color": "#777777", "linewidth": 0.5, "shrinkB": 3} if far else None,
                annotation_clip=False,
            )
            text.set_in_layout(False)
            box = text.get_window_extent(renderer).padded(1.5)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            overlap = sum(_overlap_area(box, other) for other in taken) + (0 if inside else 1e6)
            if best is None or overlap < best[0]:
                if best is not None:
                    best[1].remove()
                best = (overlap, text, box)
            else:
                text.remove()
            if overlap == 0:
                break
        if drop_overlapping and best[0] > 0:
            best[1].remove()
            continue
        taken.append(best[2])
        placed.append(best[1])
    return placed


def _overlap_area(a, b) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width * height if width > 0 and height > 0 else 0.0


def _hover(name: str, row: pd.Series, per: float, population_label: str, band_text: str) -> str:
    count = row["count"]
    count_text = f"{count:,.0f}" if pd.notna(count) and float(count).is_integer() else f"{count:,}"
    rate = f"{row['rate']:,.2f} per {_per_text(per)}" if pd.notna(row["rate"]) else "no rate"
    return (
        f"<b>{html.escape(name, quote=False)}</b> ({html.escape(str(row.name), quote=False)})<br>"
        f"Count: {count_text}<br>{html.escape(population_label.capitalize(), quote=False)}: "
        f"{row['population']:,.0f}<br>Rate: {rate}<br>{band_text}"
    )


def _draw_bands(ax: Any, result: FunnelResult, colours: dict[str, str], counts: dict[str, int]) -> list:
    """One scatter per band present (legend: the band and its number of areas), and a legend line for the areas
    not shown."""
    from matplotlib.lines import Line2D

    bands, table, handles = result.bands, result.table, []
    for band in bands[:5]:
        rows = table.loc[table["band"] == band]
        if not len(rows):
            continue
        handles.append(
            ax.scatter(
                rows["population"],
                rows["rate"],
                s=34,
                color=colours[band],
                edgecolors=_EDGE,
                linewidths=0.6,
                zorder=4,
                label=band_legend_label(band, counts[band]),
            )
        )
    if counts[bands[5]]:
        handles.append(Line2D([], [], linestyle="none", label=band_legend_label(bands[5], counts[bands[5]])))
    return handles


def _mark_synthetic(ax: Any, fontsize: float = 11, loc: str = "right") -> None:
    """ "SYNTHETIC DATA — not real people" above the plot, and faintly across it."""
    ax.set_title(SYNTHETIC_MARK, loc=loc, fontsize=fontsize, fontweight="bold", color="#C00000", gid=SYNTHETIC_GID)
    ax.text(
        0.5,
        0.5,
        "SYNTHETIC DATA",
        transform=ax.transAxes,
        ha="center",
        va="center",
        rotation=25,
        fontsize=60,
        fontweight="bold",
        color="#C00000",
        alpha=0.08,
        zorder=1,
        gid=SYNTHETIC_GID,
    )


def funnel_html(
    result: FunnelResult,
    *,
    title: str,
    subtitle: str = "",
    rate_label: str = "rate per 1,000 residents",
    population_label: str = "residents",
    synthetic: bool = False,
    label: Callable[[Any], str] | pd.Series | Mapping | None = None,
    target_label: str = "study-area rate",
) -> go.Figure:
    """Interactive funnel plot (plotly): the print figure's content, with hover text for each area.

    Hover shows the area's name and code, count, population, rate and band; the legend has one entry per band
    (with its number of areas) and one for each kind of line. Arguments are as for :func:`funnel_figure`.

    Examples
    --------
    >>> from circles.stats.funnel import funnel_table
    >>> names = ["Audley", "Bastwell", "Corporation", "Darwen"]
    >>> result = funnel_table([40, 15, 12, 18], [1000, 1000, 1100, 1200], names=names)
    >>> figure = funnel_html(result, title="Harmful drinking")
    >>> [t.name for t in figure.data if t.mode == "markers"]
    ['Above 99.8% limit (1)', 'Within 95% limits (2)', 'Below 95% limit (1)']
    """
    table = result.table
    colours = _colours(result)
    names = _labels(result, label)
    bands = result.bands
    counts = result.counts_by_band()
    figure = go.Figure()
    x = result.curve["population"].to_numpy()
    x_range = [0.0, float(x.max()) if len(x) else 1.0]
    for trace in _html_lines(result, target_label, x_range):
        figure.add_trace(trace)
    for band in bands[:5]:
        rows = table.loc[table["band"] == band]
        if len(rows):
            figure.add_trace(
                _html_band(result, rows, band_legend_label(band, counts[band]), colours[band], names, population_label)
            )
    caption = METHOD_CAPTION.format(target_label=target_label) + "."
    if counts[bands[5]]:
        caption += f" {counts[bands[5]]} area(s) with no population or no count are not shown."
    heading = f"<b>{html.escape(title, quote=False)}</b>"
    if subtitle:
        heading += f"<br><sup>{html.escape(subtitle, quote=False)}</sup>"
    annotations = _html_annotations(caption, synthetic)
    figure.update_layout(
        title={"text": heading, "x": 0.01, "xanchor": "left"},
        template="simple_white",
        xaxis={"title": {"text": population_label}, "range": x_range, "tickformat": ",d"},
        yaxis={"title": {"text": rate_label}, "rangemode": "tozero"},
        legend={"title": {"text": "Areas compared with the target"}},
        annotations=annotations,
        margin={"b": 130},
        height=650,
        hovermode="closest",
    )
    return figure


def _html_lines(result: FunnelResult, target_label: str, x_range: list[float]) -> list[go.Scatter]:
    """The limit curves (95% dashed, 99.8% solid; one legend entry per level) and the target line."""
    curve = result.curve
    x = curve["population"].to_numpy()
    dash = {"inner": "dash", "outer": "solid"}
    traces = []
    for (level, columns), style in zip(result.limit_columns.items(), ("inner", "outer"), strict=True):
        for i, column in enumerate(columns):
            traces.append(
                go.Scatter(
                    x=x,
                    y=curve[column].to_numpy(),
                    mode="lines",
                    name=f"{level}% limits",
                    legendgroup=f"limits-{level}",
                    showlegend=i == 0,
                    line={"color": LIMIT_STYLES[style]["color"], "dash": dash[style], "width": 1.5},
                    hovertemplate=f"{level}% {column.split('_')[0]} limit: %{{y:,.2f}}<extra></extra>",
                )
            )
    traces.append(
        go.Scatter(
            x=x_range,
            y=[result.target, result.target],
            mode="lines",
            name=_target_text(result, target_label),
            line={"color": LIMIT_STYLES["target"]["color"], "width": 1.5},
            hoverinfo="skip",
        )
    )
    return traces


def _html_band(
    result: FunnelResult, rows: pd.DataFrame, legend: str, colour: str, names: pd.Series, population_label: str
) -> go.Scatter:
    """One band's areas as markers, each with its hover text (name, count, population, rate, band)."""
    band = legend.rsplit(" (", 1)[0]
    return go.Scatter(
        x=rows["population"],
        y=rows["rate"],
        mode="markers",
        name=legend,
        marker={"color": colour, "size": 9, "line": {"color": _EDGE, "width": 0.8}},
        hovertext=[_hover(names.loc[code], row, result.per, population_label, band) for code, row in rows.iterrows()],
        hovertemplate="%{hovertext}<extra></extra>",
        customdata=np.array([[str(code), names.loc[code]] for code in rows.index], dtype=object),
    )


def _html_annotations(caption: str, synthetic: bool) -> list[dict[str, Any]]:
    """The method caption under the plot, and the synthetic mark above it."""
    annotations = [
        {
            "text": html.escape(caption, quote=False),
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": -0.2,
            "xanchor": "left",
            "showarrow": False,
            "font": {"size": 11, "color": "#444444"},
        }
    ]
    if synthetic:
        annotations.append(
            {
                "text": f"<b>{SYNTHETIC_MARK}</b>",
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1.06,
                "xanchor": "right",
                "showarrow": False,
                "font": {"size": 14, "color": "#C00000"},
                "name": SYNTHETIC_GID,
            }
        )
    return annotations
