"""The circle of need for the browser: :func:`circle_html` draws a
:class:`~circles.challenge.circle_placement.CircleLayout` with plotly (save it with
:func:`circles.figures.interactive_maps.write_html`).

The figure sizes itself to the window (``autosize``, no fixed width or height; the pages' plotly config is
``responsive``), keeps the legend in its own column to the right of the diagram, and writes every name in full,
wrapped over lines, never cut short: the full name, how often it was raised, its status, services and providers
are also on hover.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from circles.challenge.circle_placement import RING_RADII, CircleLayout
from circles.challenge.circle_style import (
    DIMENSION_COLOURS,
    LABEL_WRAP,
    OTHER_COLOUR,
    PROVIDER_COLOUR,
    SERVICE_COLOUR,
    UNMET_COLOUR,
    alignment,
    marker_area,
    plural,
    status_text,
    wrap_label,
)

__all__ = ["circle_html"]

_FONT = {"label": 12, "legend": 14, "centre": 15, "title": 18}


def _label(name: str) -> str:
    """A diagram label: the whole name, escaped, wrapped over lines."""
    return wrap_label(html.escape(str(name)), LABEL_WRAP, "<br>")


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
        Sized by the browser window (``autosize``); no label is shortened.

    Examples
    --------
    >>> from circles.challenge.circle_placement import circle_layout
    >>> items = pd.DataFrame({"code_id": ["N1", "B1"], "name": ["Someone to talk to", "Support only 9 to 5"],
    ...                       "dimension": ["need", "barrier"], "segments": [9, 3]})
    >>> links = pd.DataFrame({"code_id": ["N1"], "service_id": ["S1"], "service_name": ["Helpline"],
    ...                       "organisation": ["Council"]})
    >>> figure = circle_html(circle_layout(items, links), title="Circle of need", segment="Parents")
    >>> len(figure.data), figure.data[2].name, figure.layout.autosize
    (9, 'Needs', True)
    >>> for line in figure.data[2].hovertext[0].split("<br>"):
    ...     print(line)
    <b>Someone to talk to</b>
    Need, raised 9 times
    Status: met by 1 service
    Services: Helpline
    Providers: Council
    """
    figure = go.Figure()
    _add_edge_traces(figure, layout.edges)
    _add_item_traces(figure, layout.items, layout.duplication_at)
    _add_ring_traces(figure, layout.services, layout.providers)
    _add_centre_and_key_traces(figure, segment, layout.duplication_at)
    reach = RING_RADII["provider"] * 1.35
    axis = {"visible": False, "range": [-reach, reach], "fixedrange": False}
    figure.update_layout(
        title={"text": html.escape(title), "font": {"size": _FONT["title"]}, "x": 0.01, "xanchor": "left"},
        autosize=True,
        xaxis={**axis, "domain": [0.0, 0.74]},
        yaxis={**axis, "scaleanchor": "x", "scaleratio": 1},
        plot_bgcolor="white",
        hoverlabel={"align": "left"},
        legend={
            "itemsizing": "constant",
            "x": 0.76,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "top",
            "font": {"size": _FONT["legend"]},
            "tracegroupgap": 8,
        },
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
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


def _add_item_traces(figure: go.Figure, items: pd.DataFrame, duplication_at: int) -> None:
    """One marker trace per dimension (its legend entry), with name, count, status, services and providers on hover."""
    top = float(items["segments"].max()) if items["segments"].notna().any() else 0.0
    sizes = np.sqrt(marker_area(items["segments"], top)) * 1.3
    symbols = {"unmet": "circle-x", "possible duplication": "diamond"}
    for dimension in dict.fromkeys(items["dimension"]):
        rows = items[items["dimension"] == dimension]
        hover = [
            f"<b>{html.escape(r.name)}</b><br>{html.escape(r.dimension.capitalize())}, {html.escape(r.raised)}<br>"
            f"Status: {html.escape(status_text(r.status, r.n_services, duplication_at))}<br>"
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
                name=plural(dimension),
                text=[_label(n) for n in rows["name"]],
                textposition=[_text_position(a) for a in rows["angle"]],
                textfont={"size": _FONT["label"]},
                hovertext=hover,
                hoverinfo="text",
                marker={
                    "size": sizes[(items["dimension"] == dimension).to_numpy()],
                    "color": DIMENSION_COLOURS.get(dimension, OTHER_COLOUR),
                    "symbol": [symbols.get(s, "circle") for s in rows["status"]],
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
                f"<b>{html.escape(r.name)}</b><br>Service meeting {r.n_items} item(s) of the inner ring<br>"
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
                text=[_label(n) for n in frame["name"]],
                textposition=[_text_position(a) for a in frame["angle"]],
                textfont={"size": _FONT["label"]},
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
            text=[wrap_label(html.escape(segment), 20, "<br>")],
            textfont={"size": _FONT["centre"]},
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
            name="Unmet: no service<br>meets this need",
            marker={"symbol": "circle-x", "size": 14, "color": "#bbbbbb", "line": {"color": UNMET_COLOUR, "width": 3}},
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=f"Possible duplication: a need<br>met by {duplication_at} or more services",
            marker={"symbol": "diamond", "size": 14, "color": "#bbbbbb"},
        )
    )


def _text_position(angle: float) -> str:
    ha, va = alignment(angle)
    vertical = {"bottom": "top", "top": "bottom", "center": "middle"}[va]
    horizontal = {"left": "right", "right": "left", "center": "center"}[ha]
    return f"{vertical} {horizontal}" if f"{vertical} {horizontal}" != "middle center" else "middle right"
