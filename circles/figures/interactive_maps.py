"""Interactive HTML maps (plotly) that open offline: no tile server, no CDN, no topojson download.

:func:`interactive_map` draws one ``go.Choropleth`` per area layer on a blank ``geo`` subplot (no base map),
with a dropdown to switch layer; suppressed areas are a separate grey trace per layer, shown with their layer.
Hover text is built here from the published columns only: counts print ``*`` where suppressed, so a raw
value held elsewhere in the table never reaches the page (the GeoJSON carries ``area_code`` and nothing else).

:func:`write_html` writes the page atomically, with plotly.js inline or in a shared ``plotly.min.js`` beside it.

Offline note
------------
plotly.js (checked in the bundled v4.1) fetches the world topojson for a ``geo`` subplot whenever a trace
has a ``locationmode`` — and a choropleth with a ``geojson`` has ``locationmode="geojson-id"`` — even with
every base layer off and ``geo.visible=False``. The request goes to ``config.topojsonURL`` (default
``https://cdn.plot.ly/un/``) and, offline, its failure stops the map being drawn. plotly.js skips the request
when ``window.PlotlyGeoAssets.topojson[<scope>_<resolution>m]`` already exists, so :func:`write_html` defines
an empty topology under that name before plotly.js loads (nothing from it is drawn, as every base layer is off).
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from circles.geo.layers import ATTRIBUTION, WEB_CRS
from circles.ingest.disclosure import SUPPRESSED
from circles.io.writers import atomic_path

__all__ = ["interactive_map", "write_html", "hover_text", "SUPPRESSED_COLOUR", "PLOTLY_CONFIG"]

#: Fill of suppressed (and value-less) areas.
SUPPRESSED_COLOUR = "#bdbdbd"
#: plotly.js config used for every page: no plotly logo in the mode bar.
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

_COLOURSCALE = "YlOrRd"
_EMPTY_TOPOLOGY = {"type": "Topology", "objects": {}, "arcs": []}
_NO_BASE_LAYERS = {
    "visible": False,
    "showland": False,
    "showocean": False,
    "showcountries": False,
    "showcoastlines": False,
    "showframe": False,
    "showlakes": False,
    "showrivers": False,
    "showsubunits": False,
}
#: Class columns shown in the hover when present: column -> label.
_CLASS_COLUMNS = {
    "comparison": "Compared with the average",
    "gi_label": "Hot/cold spot (Gi*)",
    "gi_bin": "Gi* bin",
    "lisa_category": "Cluster (LISA)",
}


def _escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` for plotly's HTML-like text (quotes are fine as they are)."""
    return html.escape(text, quote=False)


def _label(column: str) -> str:
    return column.replace("_", " ").capitalize()


def _count_columns(table: pd.DataFrame, first: str) -> list[str]:
    """Published counts (columns with a ``<name>_suppressed`` flag), the mapped column first."""
    counts = [c for c in table.columns if f"{c}_suppressed" in table.columns]
    return sorted(counts, key=lambda c: c != first)


def _suppressed_mask(table: pd.DataFrame, column: str) -> np.ndarray:
    """``<column>_suppressed``; else a missing value in a row where any count is suppressed."""
    if f"{column}_suppressed" in table:
        return table[f"{column}_suppressed"].fillna(False).astype(bool).to_numpy()
    flags = [c for c in table.columns if str(c).endswith("_suppressed")]
    if not flags:
        return np.zeros(len(table), dtype=bool)
    any_flag = table[flags].fillna(False).astype(bool).any(axis=1).to_numpy()
    return pd.isna(table[column]).to_numpy() & any_flag


def _number(value: object, decimals: int = 0) -> str:
    return f"{float(value):,.{decimals}f}"


def hover_text(row: pd.Series, column: str, *, suppressed: bool = False) -> str:
    """The hover text of one area: name, counts (``*`` where suppressed), rate with interval, classes.

    Only known published columns are read, so nothing else in the row can reach the page.

    Examples
    --------
    >>> import pandas as pd
    >>> row = pd.Series({"area_code": "E1", "area_name": "Ewood", "people": 15.0, "people_suppressed": False,
    ...                  "rate": 12.34, "rate_lower": 10.1, "rate_upper": 14.87, "comparison": "higher"})
    >>> print(hover_text(row, "rate").replace("<br>", "\\n"))
    <b>Ewood</b> (E1)
    People: 15
    Rate: 12.3 (10.1–14.9) per 1,000
    Compared with the average: higher
    >>> row = pd.Series({"area_code": "E2", "area_name": "Sudell", "people": None, "people_suppressed": True})
    >>> print(hover_text(row, "people", suppressed=True).replace("<br>", "\\n"))
    <b>Sudell</b> (E2)
    People: *
    Suppressed: small number
    """
    name = _escape(str(row.get("area_name", row.get("area_code", ""))))
    lines = [f"<b>{name}</b> ({_escape(str(row.get('area_code', '')))})"]
    table_columns = set(row.index)
    counts = [c for c in row.index if f"{c}_suppressed" in table_columns]
    counts.sort(key=lambda c: c != column)
    for count in counts:
        flagged = bool(row.get(f"{count}_suppressed")) or pd.isna(row.get(count))
        lines.append(f"{_label(count)}: {SUPPRESSED if flagged else _number(row[count])}")
    if "rate" in table_columns:
        rate = row.get("rate")
        if pd.isna(rate):
            shown = SUPPRESSED if suppressed else "no value"
        else:
            shown = _number(rate, 1)
            low, high = row.get("rate_lower"), row.get("rate_upper")
            if not (pd.isna(low) or pd.isna(high)):
                shown += f" ({_number(low, 1)}–{_number(high, 1)})"
            shown += " per 1,000"
        lines.append(f"Rate: {shown}")
    for class_column, label in _CLASS_COLUMNS.items():
        if class_column == "gi_bin" and "gi_label" in table_columns:
            continue
        if class_column in table_columns and not pd.isna(row.get(class_column)):
            lines.append(f"{label}: {_escape(str(row[class_column]))}")
    described = set(counts) | {"rate", "rate_lower", "rate_upper", *_CLASS_COLUMNS}
    if column not in described and column in table_columns:
        value = row.get(column)
        if pd.isna(value):
            lines.append(f"{_label(column)}: {SUPPRESSED if suppressed else 'no value'}")
        elif isinstance(value, int | float | np.number):
            lines.append(f"{_label(column)}: {_number(value, 0 if float(value).is_integer() else 1)}")
        else:
            lines.append(f"{_label(column)}: {_escape(str(value))}")
    if suppressed:
        lines.append("Suppressed: small number")
    return "<br>".join(lines)


def _geojson(frame: gpd.GeoDataFrame) -> dict:
    """A FeatureCollection of ``area_code`` and geometry only, in EPSG:4326, wound for d3-geo.

    d3-geo (which plotly.js geo uses) takes a ring's winding to say which side is inside: an exterior ring
    must run clockwise, the opposite of RFC 7946. Coordinates are rounded to 1e-5 degrees (about a metre).
    """
    geometry = frame.geometry.to_crs(WEB_CRS) if frame.crs is not None else frame.geometry
    shapes = shapely.transform(geometry.to_numpy(), lambda xy: np.round(xy, 5))
    shapes = shapely.orient_polygons(shapes, exterior_cw=True)
    features = [
        {"type": "Feature", "id": code, "properties": {"area_code": code}, "geometry": shapely.geometry.mapping(shape)}
        for code, shape in zip(frame["area_code"].astype(str), shapes, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def interactive_map(
    tables: dict[str, gpd.GeoDataFrame],
    *,
    column: str,
    title: str,
    titles: dict[str, str] | None = None,
    categorical: dict[str, str] | None = None,
    notes: dict[str, str] | None = None,
) -> go.Figure:
    """An interactive choropleth of ``column`` with one trace per area layer and a dropdown to switch layer.

    Parameters
    ----------
    tables : dict of str to geopandas.GeoDataFrame
        Published area tables by layer name, each with ``area_code`` (and ideally ``area_name``); any CRS
        (reprojected to EPSG:4326). The first layer is shown first.
    column : str
        Value to map (a count, ``rate``, or a class column with ``categorical``).
    title : str
        Figure title; the layer's title is appended.
    titles : dict, optional
        Human titles of the layers (default: their names).
    categorical : dict, optional
        Value → colour for a class map; the colour bar lists the classes in this order with their counts.
    notes : dict, optional
        A line under the title for a layer, shown while that layer is (e.g. what its hot spots were tested on:
        ``"Hot spots on counts of people (no population for this layer ...)"``).

    Returns
    -------
    plotly.graph_objects.Figure
        Per layer a choropleth of the published areas, then (when there are any) a grey trace of the
        suppressed or value-less areas; ``layout.meta["layers"]`` names the layer of each trace.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> grid = gpd.GeoDataFrame(
    ...     {"area_code": ["A", "B"], "area_name": ["North", "South"], "people": [40.0, None],
    ...      "people_suppressed": [False, True]},
    ...     geometry=[box(370000, 429000, 371000, 430000), box(370000, 428000, 371000, 429000)], crs="EPSG:27700")
    >>> figure = interactive_map({"lsoa": grid}, column="people", title="People")
    >>> [(t.name, list(t.locations)) for t in figure.data]
    [('lsoa', ['A']), ('Suppressed: small number (1 area)', ['B'])]
    >>> figure.data[1].hovertext[0].split("<br>")[1]
    'People: *'
    """
    if not tables:
        raise ValueError("interactive_map needs at least one area table.")
    titles = titles or {}
    figure = go.Figure()
    owners: list[str] = []
    for position, (name, table) in enumerate(tables.items()):
        for needed in ("area_code", column):
            if needed not in table:
                raise ValueError(f"Layer {name!r} has no column {needed!r}.")
        first = position == 0
        hidden = _suppressed_mask(table, column)
        missing = ~hidden & pd.isna(table[column]).to_numpy()
        grey = hidden | missing
        shown = table.loc[~grey]
        layer_title = titles.get(name, name)
        trace = _values_trace(shown, column, layer_title, categorical)
        trace.update(visible=first, hovertext=[hover_text(row, column) for _, row in shown.iterrows()])
        figure.add_trace(trace)
        owners.append(name)
        if grey.any():
            figure.add_trace(_suppressed_trace(table, column, name, hidden, missing, visible=first))
            owners.append(name)
    names = list(tables)
    notes = notes or {}
    figure.update_layout(
        title={"text": _title_text(title, names[0], titles, notes), "x": 0.01, "xanchor": "left"},
        geo={"fitbounds": "locations", "projection": {"type": "mercator"}, **_NO_BASE_LAYERS},
        height=720,
        margin={"l": 10, "r": 10, "t": 90, "b": 80},
        legend={"orientation": "h", "x": 0, "y": 0, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.7)"},
        hoverlabel={"bgcolor": "white", "font": {"size": 13}},
        meta={"layers": owners},
        annotations=[_attribution_note()],
    )
    if notes:  # room for the note under the title, above the layer dropdown
        figure.update_layout(title={"y": 0.965, "yanchor": "top"}, margin={"t": 125})
    if len(names) > 1:
        figure.update_layout(updatemenus=[_layer_menu(names, titles, title, owners, notes)])
    return figure


def _title_text(title: str, name: str, titles: dict[str, str], notes: dict[str, str]) -> str:
    """The map title for layer ``name``: the title, the layer's title, and the layer's note on a line below."""
    text = f"{_escape(title)} — {_escape(titles.get(name, name))}"
    note = notes.get(name)
    if note:
        text += "<br><sup>" + "<br>".join(_escape(line) for line in textwrap.wrap(note, 140)) + "</sup>"
    return text


def _suppressed_trace(
    table: gpd.GeoDataFrame, column: str, name: str, hidden: np.ndarray, missing: np.ndarray, *, visible: bool
) -> go.Choropleth:
    """The grey trace of one layer's suppressed (``hidden``) and value-less (``missing``) areas."""
    grey = hidden | missing
    n = int(grey.sum())
    what = "Suppressed: small number" if not missing.any() else "Suppressed or no value"
    greyed = table.loc[grey]
    flags = hidden[grey]
    return go.Choropleth(
        geojson=_geojson(greyed),
        locations=greyed["area_code"].astype(str).tolist(),
        featureidkey="properties.area_code",
        z=[0] * n,
        colorscale=[[0, SUPPRESSED_COLOUR], [1, SUPPRESSED_COLOUR]],
        showscale=False,
        showlegend=True,
        name=f"{what} ({n} area{'s' if n != 1 else ''})",
        legendgroup=name,
        marker_line={"color": "#7f7f7f", "width": 0.5},
        hovertext=[
            hover_text(row, column, suppressed=bool(flag))
            for (_, row), flag in zip(greyed.iterrows(), flags, strict=True)
        ],
        hovertemplate="%{hovertext}<extra></extra>",
        visible=visible,
    )


def _attribution_note() -> dict:
    """The ONS/OS attribution, wrapped, below the map."""
    return {
        "text": "<br>".join(textwrap.wrap(ATTRIBUTION, 130)),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 0,
        "yshift": -12,
        "xanchor": "left",
        "yanchor": "top",
        "showarrow": False,
        "align": "left",
        "font": {"size": 9, "color": "#555555"},
    }


def _layer_menu(names: list[str], titles: dict[str, str], title: str, owners: list[str], notes: dict[str, str]) -> dict:
    """The dropdown that shows one layer's traces (``owners`` names each trace's layer) and retitles the map."""
    buttons = [
        {
            "label": titles.get(name, name),
            "method": "update",
            "args": [
                {"visible": [owner == name for owner in owners]},
                {"title.text": _title_text(title, name, titles, notes)},
            ],
        }
        for name in names
    ]
    return {
        "type": "dropdown",
        "buttons": buttons,
        "active": 0,
        "x": 0.01,
        "xanchor": "left",
        "y": 1.0,
        "yanchor": "bottom",
        "showactive": True,
    }


def _values_trace(
    shown: gpd.GeoDataFrame, column: str, layer_title: str, categorical: dict[str, str] | None
) -> go.Choropleth:
    """The choropleth of the published (unsuppressed, non-missing) areas of one layer."""
    common = {
        "geojson": _geojson(shown),
        "locations": shown["area_code"].astype(str).tolist(),
        "featureidkey": "properties.area_code",
        "name": layer_title,
        "marker_line": {"color": "white", "width": 0.6},
        "hovertemplate": "%{hovertext}<extra></extra>",
        "showlegend": False,
    }
    if categorical is None:
        values = shown[column].astype(float).to_numpy()
        return go.Choropleth(
            z=values,
            colorscale=_COLOURSCALE,
            colorbar={"title": {"text": _label(column)}, "thickness": 14},
            **common,
        )
    keys = [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in shown[column]]
    unknown = sorted(set(keys) - set(categorical))
    if unknown:
        raise ValueError(f"Column {column!r} has values with no colour: {', '.join(unknown)}.")
    classes = list(categorical)
    n = len(classes)
    scale = []
    for i, colour in enumerate(categorical.values()):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    counts = pd.Series(keys, dtype=object).value_counts()
    return go.Choropleth(
        z=[classes.index(key) for key in keys],
        zmin=-0.5,
        zmax=n - 0.5,
        colorscale=scale,
        colorbar={
            "title": {"text": _label(column)},
            "tickvals": list(range(n)),
            "ticktext": [f"{_escape(c)} ({int(counts.get(c, 0))})" for c in classes],
            "thickness": 14,
        },
        **common,
    )


def _topojson_names(figure: go.Figure) -> list[str]:
    """The topojson file plotly.js would fetch for each geo subplot (``<scope>_<resolution>m``)."""
    names = set()
    for key in [k for k in figure.layout if k.startswith("geo")] or ["geo"]:
        geo = figure.layout[key]
        scope = (geo.scope or "world").replace(" ", "-")
        names.add(f"{scope}_{int(geo.resolution or 110)}m")
    return sorted(names)


def write_html(figure: go.Figure, path: str | Path, *, plotlyjs: Literal["inline", "alongside"] = "alongside") -> Path:
    """Write ``figure`` as a self-sufficient HTML page, atomically.

    Parameters
    ----------
    figure : plotly.graph_objects.Figure
    path : path-like
    plotlyjs : {"alongside", "inline"}
        ``"alongside"`` loads ``plotly.min.js`` from the same folder, writing it there when it is missing or
        from another plotly version, so several maps share one copy; ``"inline"`` embeds it (about 5 MB).

    Returns
    -------
    pathlib.Path
        The page. It loads nothing over the network: no CDN script, no tiles, no topojson (an empty
        topology is registered before plotly.js starts, see the module notes).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import plotly.graph_objects as go
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = write_html(go.Figure(), pathlib.Path(folder) / "map.html")
    ...     print(sorted(p.name for p in page.parent.iterdir()))
    ['map.html', 'plotly.min.js']
    """
    if plotlyjs not in ("inline", "alongside"):
        raise ValueError(f"plotlyjs must be 'inline' or 'alongside', not {plotlyjs!r}.")
    from plotly.offline import get_plotlyjs

    path = Path(path)
    bundle = get_plotlyjs()
    if plotlyjs == "alongside":
        script = '<script charset="utf-8" src="plotly.min.js"></script>'
        shared = path.parent / "plotly.min.js"
        if not shared.exists() or shared.read_text(encoding="utf-8") != bundle:
            with atomic_path(shared) as tmp:
                tmp.write_text(bundle, encoding="utf-8")
    else:
        script = f'<script type="text/javascript">{bundle}</script>'
    assets = {"topojson": {name: _EMPTY_TOPOLOGY for name in _topojson_names(figure)}}
    div_id = "map-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem) or "plot")  # fixed, so reruns give the same bytes
    body = figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        config=PLOTLY_CONFIG,
        div_id=div_id,
        default_width="100%",
        default_height="100vh",  # a figure without a fixed size fills the window
    )
    title = figure.layout.title.text or path.stem
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(_strip_tags(title))}</title>\n"
        '<script type="text/javascript">'
        "window.PlotlyConfig = {MathJaxConfig: 'local'};\n"
        f"window.PlotlyGeoAssets = {json.dumps(assets)};"
        "</script>\n"
        "<style>html, body { margin: 0; height: 100%; }</style>\n"
        f"{script}\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def _strip_tags(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))
