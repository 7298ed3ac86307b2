"""Print maps (matplotlib): choropleths of published area tables, sized for A4 or A3 paper.

Classes come from :mod:`mapclassify` (Fisher–Jenks natural breaks by default) over the published values, or
from a fixed value → colour mapping for class maps (Gi* bins, LISA categories, comparisons with the average).
Suppressed areas are hatched grey with their own legend entry; every map carries a scale bar, a north arrow,
the number of areas in each legend class and the data attribution. Area labels, when asked for, have a white
halo and are dropped where they would overlap a label already placed (largest areas are labelled first).

:func:`save_print_map` writes the vector PDF (fonts embedded as TrueType) and a 300 dpi PNG.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path
from typing import Literal

import matplotlib

matplotlib.use("Agg")  # print output: never needs a display

import geopandas as gpd
import mapclassify
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from circles.figures.media import Halo, Medium
from circles.figures.media import medium as get_medium
from circles.figures.typeface import cut_down_fonts
from circles.geo.layers import ATTRIBUTION
from circles.io.writers import atomic_path, save_figure

__all__ = [
    "choropleth",
    "save_print_map",
    "paper_size",
    "PAPER_SIZES_MM",
    "SUPPRESSED_STYLE",
    "NO_VALUE_STYLE",
    "LABEL_GID",
    "SCALE_BAR_GID",
    "NORTH_ARROW_GID",
]

#: How suppressed areas are drawn on every map.
SUPPRESSED_STYLE = {"facecolor": "#d9d9d9", "edgecolor": "#7f7f7f", "hatch": "///", "linewidth": 0.4}
#: Areas with no published value that were not suppressed (e.g. no population to make a rate from).
NO_VALUE_STYLE = {"facecolor": "white", "edgecolor": "#7f7f7f", "linewidth": 0.4}
#: ISO 216 paper sizes (portrait width, height) in millimetres.
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
#: ``gid`` of the artists drawn for area labels, the scale bar and the north arrow (to find them in a figure).
LABEL_GID = "area-label"
SCALE_BAR_GID = "scale-bar"
NORTH_ARROW_GID = "north-arrow"

_MM_PER_INCH = 25.4
_LABEL_WRAP = 16  # characters per line of an area label


def paper_size(
    paper: Literal["A4", "A3"] = "A4", orientation: Literal["portrait", "landscape"] = "portrait"
) -> tuple[float, float]:
    """Figure size in inches (width, height) of a sheet of paper.

    Examples
    --------
    >>> tuple(round(x, 2) for x in paper_size("A4"))
    (8.27, 11.69)
    >>> tuple(round(x, 2) for x in paper_size("A3", "landscape"))
    (16.54, 11.69)
    """
    if paper not in PAPER_SIZES_MM:
        raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES_MM)}, not {paper!r}.")
    if orientation not in ("portrait", "landscape"):
        raise ValueError(f"orientation must be 'portrait' or 'landscape', not {orientation!r}.")
    width, height = (mm / _MM_PER_INCH for mm in PAPER_SIZES_MM[paper])
    return (width, height) if orientation == "portrait" else (height, width)


def suppressed_mask(table: pd.DataFrame, column: str, suppressed: str | None = None) -> np.ndarray:
    """Which rows to draw as suppressed when mapping ``column``.

    The flag column ``suppressed`` (default ``<column>_suppressed``) when there is one; otherwise a missing
    value in a row where any ``*_suppressed`` count flag is set (a rate made from a suppressed count).
    """
    flag = suppressed or (f"{column}_suppressed" if f"{column}_suppressed" in table else None)
    if flag:
        return table[flag].fillna(False).astype(bool).to_numpy()
    flags = [c for c in table.columns if str(c).endswith("_suppressed")]
    if not flags:
        return np.zeros(len(table), dtype=bool)
    any_flag = table[flags].fillna(False).astype(bool).any(axis=1).to_numpy()
    return pd.isna(table[column]).to_numpy() & any_flag


def _areas(n: int) -> str:
    return f"{n} area{'s' if n != 1 else ''}"


def _category_key(value: object) -> str:
    """``-2``, ``-2.0`` and ``"-2"`` all match the key ``"-2"``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


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
    figsize: tuple[float, float] | None = None,
    paper: Literal["A4", "A3"] = "A4",
    orientation: Literal["portrait", "landscape"] = "portrait",
    labels: str | None = None,
    categorical: dict[str, str] | None = None,
    legend_title: str | None = None,
    outlines: gpd.GeoDataFrame | None = None,
    outline_title: str | None = None,
    medium: Medium | str | None = None,
) -> Figure:
    """Draw a print choropleth of ``column``; rows flagged as suppressed are hatched grey.

    Parameters
    ----------
    table : geopandas.GeoDataFrame
        A published area table (counts already through disclosure control), in a projected CRS in metres
        (EPSG:27700) for the scale bar to be drawn.
    column : str
        Value to map.
    title, subtitle : str
    suppressed : str, optional
        Boolean column marking suppressed areas (defaults to ``<column>_suppressed`` when present; without
        one, a missing value in a row with any suppressed count is drawn as suppressed).
    k : int
        Number of Fisher–Jenks classes (fewer when there are fewer distinct values).
    cmap : str
        Matplotlib colour map for the classes.
    attribution : str
        Printed along the foot of the page.
    figsize : (float, float), optional
        Figure size in inches; overrides ``paper`` and ``orientation``.
    paper : {"A4", "A3"}
    orientation : {"portrait", "landscape"}
    labels : str, optional
        Column to label areas with (e.g. ``"area_name"`` on a ward map). Labels sit at each area's
        representative point with a white halo; a label that would overlap one already placed is left out,
        larger areas first. With labels the layout is fixed once they are placed.
    categorical : dict, optional
        Value → colour for a class map (Gi* bins, LISA categories, comparisons). The legend lists the classes
        in this order with the number of areas in each, instead of Fisher–Jenks classes. Values are matched
        as text (``-2`` matches ``"-2"``).
    legend_title : str, optional
        Title of the legend (default: the column name in sentence case).
    outlines : geopandas.GeoDataFrame, optional
        Larger areas drawn on top as bold outlines and labelled with their ``area_name`` (the wards over an
        LSOA map), so a reader can say where an area is.
    outline_title : str, optional
        What the outlines are, for the legend ("Wards (2025)").
    medium : Medium or str, optional
        Draw for a pack page (:mod:`circles.figures.media`): at the size it is printed, every text from the
        medium's type sizes (nothing under its ``min_pt``: 7 pt, or 16 pt in large print), the legend under the
        map. Overrides ``figsize``, ``paper`` and ``orientation``.

    Returns
    -------
    matplotlib.figure.Figure
        The legend lists each class with its number of areas.

    Raises
    ------
    ValueError
        For an unknown paper size or orientation, a missing column, or a value not in ``categorical``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> grid = gpd.GeoDataFrame(
    ...     {"area_name": ["North", "South"], "people": [40.0, None], "people_suppressed": [False, True]},
    ...     geometry=[box(0, 1000, 1000, 2000), box(0, 0, 1000, 1000)], crs="EPSG:27700")
    >>> figure = choropleth(grid, "people", title="People", labels="area_name")
    >>> [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    ['40  (1 area)', 'Suppressed: small number (1 area)']
    """
    _check_mappable(table, column, labels)
    medium = get_medium(medium) if medium is not None else None
    size, scale, font, wrap = _type_sizes(medium, figsize or paper_size(paper, orientation))
    landscape = size[0] > size[1]

    hidden = suppressed_mask(table, column, suppressed)
    missing = ~hidden & pd.isna(table[column]).to_numpy()
    shown = table.loc[~hidden & ~missing]

    # no Agg canvas yet: geopandas asks the canvas to redraw after every layer it plots, and an Agg canvas would
    # render the whole figure each time (four renders thrown away per map)
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    if categorical is not None:
        handles = _draw_categories(ax, shown, column, categorical, empty=medium is None or not medium.large_print)
    else:
        handles = _draw_classes(ax, shown, column, k=k, cmap=cmap)
    handles += _draw_unmapped(ax, table, missing, hidden)
    table.boundary.plot(ax=ax, color="#444444", linewidth=0.3)
    if outlines is not None:
        outlines = outlines.to_crs(table.crs)
        handles.append(_draw_outlines(ax, outlines, outline_title, scale))
    FigureCanvasAgg(fig)  # text is measured from here on (legend placement, labels)

    x0, y0, x1, y1 = table.total_bounds
    pad = 0.05 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_axis_off()
    ax.set_aspect("equal")
    if medium is not None:  # drawn for a page: the legend where it leaves the map the most room
        landscape = _legend_beside(size, (x1 - x0) / max(y1 - y0, 1e-9), handles, legend_title or column, font)
    ax.legend(
        handles=handles,
        title=legend_title or column.replace("_", " ").capitalize(),
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0) if landscape else (0.0, 0.0),
        ncols=1 if landscape or categorical is not None or (medium is not None and medium.large_print) else 2,
        frameon=False,
        fontsize=font["legend"],
        title_fontsize=font["legend_title"],
        alignment="left",
    )
    if title:
        fig.suptitle(textwrap.fill(title, wrap["title"]), fontsize=font["title"], fontweight="bold", x=0.02, ha="left")
    if subtitle:
        lines = [textwrap.fill(line, wrap["subtitle"]) for line in subtitle.splitlines()]
        ax.set_title("\n".join(lines), fontsize=font["subtitle"], loc="left", color="#333333")
    if attribution:
        text = textwrap.fill(attribution, wrap["attribution"])
        fig.supxlabel(text, fontsize=font["attribution"], color="#444444", x=0.02, ha="left")
    furniture: list = [_north_arrow(ax, font["small"] * 1.4, scale)]
    bar = _scale_bar(ax, table, font["small"])
    if bar is not None:
        furniture.append(bar)
    if labels is not None:
        _place_labels(fig, ax, table, labels, font["label"], avoid=furniture)
    elif outlines is not None:
        _place_labels(fig, ax, outlines, "area_name", font["label"], avoid=furniture)
    return fig


def _draw_unmapped(ax, table: gpd.GeoDataFrame, missing: np.ndarray, hidden: np.ndarray) -> list[Patch]:
    """Areas with no value (white) and suppressed areas (hatched grey), with their legend entries."""
    handles = []
    if missing.any():
        table.loc[missing].plot(ax=ax, **NO_VALUE_STYLE)
        handles.append(Patch(**NO_VALUE_STYLE, label=f"No value ({_areas(int(missing.sum()))})"))
    if hidden.any():
        table.loc[hidden].plot(ax=ax, **SUPPRESSED_STYLE)
        handles.append(Patch(**SUPPRESSED_STYLE, label=f"Suppressed: small number ({_areas(int(hidden.sum()))})"))
    return handles


def _type_sizes(
    medium: Medium | None, size: tuple[float, float]
) -> tuple[tuple[float, float], float, dict[str, float], dict[str, int]]:
    """Figure size, line-width scale, type sizes by role and wrap widths (characters): drawn for ``medium``
    (every size from its type ramp), else for a sheet of ``size`` inches (type grows with the sheet)."""
    if medium is not None:
        t = medium.type
        font = {"legend": t["text"], "legend_title": t["heading"], "label": t["small"], "small": t["small"]}
        font |= {"title": t["title"], "subtitle": t["text"], "attribution": t["small"]}
        roles = {"title": "title", "subtitle": "text", "attribution": "small"}
        return medium.figsize(), 1.0, font, {k: medium.chars_per_line(role) for k, role in roles.items()}
    scale = min(size) / paper_size("A4")[0]  # 1 on A4, about 1.41 on A3
    font = {"legend": 8 * scale, "legend_title": 9 * scale, "label": max(7.0, 6.5 * scale), "small": 7 * scale}
    font |= {"title": 13 * scale, "subtitle": 8.5 * scale, "attribution": 7 * scale}
    return size, scale, font, {"title": int(size[0] * 8.5), "subtitle": 200, "attribution": int(size[0] * 14 / scale)}


def _legend_beside(size: tuple[float, float], aspect: float, handles: list, title: str, font: dict[str, float]) -> bool:
    """Whether a legend beside the map (rather than under it) leaves the map more room.

    The legend's size is estimated from its longest entry (about 0.55 em a character, plus the key) and its
    number of lines; the map, of width/height ``aspect``, is then fitted in what is left either way.
    """
    em = font["legend"] / 72  # inches
    longest = max([len(str(h.get_label())) for h in handles] + [len(title) * font["legend_title"] / font["legend"]])
    legend_w, legend_h = (longest * 0.55 + 3) * em, (len(handles) + 1.5) * 1.45 * em
    width, height = size[0] * 0.96, size[1] * 0.9  # inside the margins and under a title

    def area(w: float, h: float) -> float:
        w, h = max(w, 0.0), max(h, 0.0)
        return min(w, h * aspect) * min(h, w / aspect)

    return area(width - legend_w, height) > area(width, height - legend_h)


def _check_mappable(table: gpd.GeoDataFrame, column: str, labels: str | None) -> None:
    if column not in table:
        raise ValueError(f"Cannot map {column!r}: the table has no such column.")
    if labels is not None and labels not in table:
        raise ValueError(f"Cannot label areas with {labels!r}: the table has no such column.")
    if not len(table):
        raise ValueError("Cannot map an empty table.")


def _draw_outlines(ax, outlines: gpd.GeoDataFrame, title: str | None, scale: float) -> Line2D:
    """Larger areas' boundaries, bold, over the map; returns their legend entry."""
    outlines.boundary.plot(ax=ax, color="#1A1A1A", linewidth=1.1 * scale)
    return Line2D([], [], color="#1A1A1A", linewidth=1.1 * scale, label=title or "Outlines")


def _draw_classes(ax, shown: gpd.GeoDataFrame, column: str, *, k: int, cmap: str) -> list[Patch]:
    """Fisher–Jenks classes of the published values; one legend entry per non-empty class."""
    values = shown[column].astype(float).to_numpy()
    if not len(values):
        return []
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
    decimals = 0 if np.allclose(values, np.round(values)) else 1
    handles = []
    for i in range(classifier.k):
        members = values[classifier.yb == i]
        if not len(members):
            continue
        low, high = members.min(), members.max()
        span = f"{low:,.{decimals}f}" if low == high else f"{low:,.{decimals}f} – {high:,.{decimals}f}"
        handles.append(Patch(facecolor=colours[i], edgecolor="#555555", label=f"{span}  ({_areas(len(members))})"))
    return handles


def _draw_categories(
    ax, shown: gpd.GeoDataFrame, column: str, colours: dict[str, str], *, empty: bool = True
) -> list[Patch]:
    """Fixed classes in the given order, each with its number of areas (classes with none too, unless ``empty``
    is false: large print, where every line of legend costs the map room)."""
    keys = shown[column].map(_category_key)
    unknown = sorted(set(keys) - set(colours))
    if unknown:
        raise ValueError(
            f"Column {column!r} has values with no colour: {', '.join(unknown)}. Known classes: {', '.join(colours)}."
        )
    if len(shown):
        shown.plot(ax=ax, color=[colours[key] for key in keys], edgecolor="white", linewidth=0.5)
    counts = keys.value_counts()
    return [
        Patch(facecolor=colour, edgecolor="#555555", label=f"{value}  ({_areas(int(counts.get(value, 0)))})")
        for value, colour in colours.items()
        if empty or counts.get(value, 0)
    ]


def _nice_length(span: float) -> float:
    """The largest 1-2-5 length (in metres) no more than a fifth of ``span``."""
    target = span / 5
    candidates = [d * 10.0**e for e in range(0, 7) for d in (1, 2, 5)]
    return max([c for c in candidates if c <= target], default=1.0)


def _scale_bar(ax, table: gpd.GeoDataFrame, fontsize: float) -> AnchoredSizeBar | None:
    """A round-length scale bar in the lower right, when the CRS is projected in metres (else none)."""
    crs = table.crs
    if crs is None or not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        return None
    x0, x1 = ax.get_xlim()
    length = _nice_length(x1 - x0)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    bar = AnchoredSizeBar(
        ax.transData,
        length,
        label,
        loc="lower right",
        pad=0.4,
        sep=3,
        frameon=False,
        size_vertical=(x1 - x0) / 250,
        color="black",
        fontproperties=FontProperties(size=fontsize),
    )
    bar.set_gid(SCALE_BAR_GID)
    ax.add_artist(bar)
    return bar


def _north_arrow(ax, fontsize: float, scale: float) -> Annotation:
    """An arrow pointing up the page (grid north, within a degree of true north across Great Britain)."""
    arrow = ax.annotate(
        "N",
        xy=(0.96, 0.99),
        xytext=(0.96, 0.90),
        xycoords="axes fraction",
        textcoords="axes fraction",
        ha="center",
        va="center",
        fontsize=fontsize,
        fontweight="bold",
        arrowprops={"facecolor": "black", "edgecolor": "black", "width": 2 * scale, "headwidth": 8 * scale},
    )
    arrow.set_gid(NORTH_ARROW_GID)
    return arrow


def _extent(artist, renderer) -> Bbox:
    boxes = [artist.get_window_extent(renderer)]
    if isinstance(artist, Annotation) and artist.arrow_patch is not None:
        boxes.append(artist.arrow_patch.get_window_extent(renderer))
    return Bbox.union(boxes)


def _place_labels(fig: Figure, ax, table: gpd.GeoDataFrame, column: str, fontsize: float, avoid: list) -> list[Text]:
    """Label areas, largest first, leaving out any label that would overlap one already placed.

    The figure is laid out first so that the checks use the final positions, then the layout is fixed.
    """
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    gap = 0.25 * fontsize * fig.dpi / 72  # keep a quarter of an em between labels
    taken = [_extent(artist, renderer) for artist in avoid]
    named = table.loc[table[column].notna()]
    placed = []
    for index in named.geometry.area.sort_values(ascending=False, kind="stable").index:
        text = ax.text(
            0,
            0,
            textwrap.fill(str(named.at[index, column]), _LABEL_WRAP),
            ha="center",
            va="center",
            multialignment="center",
            fontsize=fontsize,
            color="#111111",
            zorder=5,
            gid=LABEL_GID,
            path_effects=[Halo(fontsize * 0.4)],
        )
        text.set_in_layout(False)
        for point in _label_points(named.geometry.loc[index]):
            text.set_position((point.x, point.y))
            box = text.get_window_extent(renderer).padded(gap)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                placed.append(text)
                break
        else:
            text.remove()
    fig.set_layout_engine("none")  # the labels were checked against this layout: keep it
    return placed


def _label_points(geometry, tries: int = 12) -> list:
    """Where a label may go: the representative point, then other points inside the area, nearest first."""
    first = geometry.representative_point()
    x0, y0, x1, y1 = geometry.bounds
    grid = [shapely.Point(x, y) for x in np.linspace(x0, x1, 7)[1:-1] for y in np.linspace(y0, y1, 7)[1:-1]]
    inside = [p for p in grid if geometry.contains(p)]
    inside.sort(key=first.distance)
    return [first, *inside[:tries]]


def save_print_map(figure: Figure, path_stem: str | Path) -> list[Path]:
    """Write ``<stem>.pdf`` (vector, TrueType fonts embedded) and ``<stem>.png`` (300 dpi), each atomically.

    Text set in DejaVu Sans is embedded from circles' cut-down copy of it (:mod:`circles.figures.typeface`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> grid = gpd.GeoDataFrame({"people": [10.0, 25.0]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
    ...                         crs="EPSG:27700")
    >>> figure = choropleth(grid, "people", title="People")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = save_print_map(figure, pathlib.Path(folder) / "people")
    ...     print([p.name for p in paths], all(p.stat().st_size > 0 for p in paths))
    ['people.pdf', 'people.png'] True
    """
    stem = Path(path_stem)
    pdf, png = stem.with_name(stem.name + ".pdf"), stem.with_name(stem.name + ".png")
    # the cut-down DejaVu Sans (circles.figures.typeface): the same glyphs, embedded in a third of the time
    with matplotlib.rc_context({"pdf.fonttype": 42, "ps.fonttype": 42}), cut_down_fonts(figure):
        save_figure(figure, pdf, metadata={"Creator": "circles", "CreationDate": None})
        _save_png(figure, png, dpi=300)
    return [pdf, png]


def _save_png(figure: Figure, path: Path, *, dpi: int) -> Path:
    """The figure drawn by Agg at ``dpi``, written atomically as PNG: RGB when every pixel is opaque (a print map
    on its white page: a quarter fewer bytes to compress, and a file a tenth smaller), else RGBA. zlib level 1:
    a third faster to encode than the default 6 for about a fifth more bytes (still lossless)."""
    from PIL import Image

    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    before = figure.dpi
    figure.set_dpi(dpi)
    try:
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())  # the canvas's own buffer: written before anything redraws
        image = Image.fromarray(pixels)  # RGB by Pillow's own conversion: three times quicker than a numpy slice
        image = image.convert("RGB") if pixels[..., 3].min() == 255 else image
        with atomic_path(path) as tmp:
            image.save(tmp, format="png", compress_level=1, dpi=(dpi, dpi))
    finally:
        figure.set_dpi(before)
    return path
