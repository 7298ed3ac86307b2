"""The commonest customer journeys as a Sankey diagram (plotly, offline), drawn from the published table only.

A link from step *k*'s service to step *k + 1*'s carries the families of the published journeys that make that
move; a journey that ends before the last step flows into the next step's "no further service". Suppressed
journeys and the
"Other journeys" row are left out (and the title says how many families that leaves unshown), so every
number on the diagram is a sum of published counts and reveals nothing the table does not.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from circles.design.journeys import OTHER_JOURNEYS

__all__ = ["sankey_links", "journeys_sankey"]

#: The node a journey shorter than the steps shown flows into, one per step: "2. no further service".
JOURNEY_ENDS = "no further service"


def sankey_links(journeys: pd.DataFrame) -> pd.DataFrame:
    """The links of the Sankey: ``source``, ``target`` (``"<step>. <service>"``) and ``families``.

    Parameters
    ----------
    journeys : DataFrame
        The published commonest journeys (:func:`~circles.design.journeys.customer_journeys`): columns
        ``step_1``, ``step_2``..., ``families`` and ``families_suppressed``; an ``Other journeys`` row.

    Examples
    --------
    >>> j = pd.DataFrame({"journey": ["a", "b", "c", "Other journeys"],
    ...                   "step_1": ["GP", "GP", "A&E", None], "step_2": ["Alcohol", None, "GP", None],
    ...                   "families": [40, 15, 10, 30], "families_suppressed": [False, False, False, False]})
    >>> sankey_links(j).to_dict("records")
    [{'source': '1. A&E', 'target': '2. GP', 'families': 10}, {'source': '1. GP', 'target': '2. Alcohol', \
'families': 40}, {'source': '1. GP', 'target': '2. no further service', 'families': 15}]
    """
    steps = sorted((c for c in journeys if c.startswith("step_")), key=lambda c: int(c.split("_")[1]))
    shown = journeys[(journeys["journey"] != OTHER_JOURNEYS) & ~journeys["families_suppressed"].astype(bool)]
    shown = shown[pd.to_numeric(shown["families"], errors="coerce").fillna(0) > 0]
    rows = []
    for _, journey in shown.iterrows():
        services = [journey[s] for s in steps if isinstance(journey[s], str) and journey[s]]
        names = [f"{k}. {service}" for k, service in enumerate(services, start=1)]
        ends = [f"{len(services) + 1}. {JOURNEY_ENDS}"] if 0 < len(services) < len(steps) else []
        for source, target in zip(names, names[1:] + ends, strict=False):
            rows.append((source, target, int(journey["families"])))
    links = pd.DataFrame(rows, columns=["source", "target", "families"])
    return links.groupby(["source", "target"], as_index=False, sort=True)["families"].sum()


def journeys_sankey(journeys: pd.DataFrame, *, title: str = "", unshown: int | None = None) -> go.Figure:
    """A plotly Sankey of :func:`sankey_links`, for a page that opens offline
    (:func:`circles.figures.interactive_maps.write_html`).

    Parameters
    ----------
    journeys : DataFrame
        The published commonest journeys.
    title : str
        The figure's title.
    unshown : int, optional
        Families in suppressed journeys and "Other journeys" (published counts), said under the title.

    Examples
    --------
    >>> j = pd.DataFrame({"journey": ["a"], "step_1": ["GP"], "step_2": ["Alcohol"], "families": [40],
    ...                   "families_suppressed": [False]})
    >>> figure = journeys_sankey(j, title="Journeys")
    >>> list(figure.data[0].node.label), list(figure.data[0].link.value)
    (['1. GP', '2. Alcohol'], [40])
    """
    links = sankey_links(journeys)
    nodes = sorted(set(links["source"]) | set(links["target"]), key=lambda n: (n.endswith(JOURNEY_ENDS), n))
    index = {name: i for i, name in enumerate(nodes)}
    x, y = _positions(nodes, links)
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": nodes, "x": x, "y": y, "pad": 14, "thickness": 16, "color": "#5b7fa6"},
            link={
                "source": [index[s] for s in links["source"]],
                "target": [index[t] for t in links["target"]],
                "value": links["families"].tolist(),
                "color": "rgba(91, 127, 166, 0.35)",
                "hovertemplate": "%{source.label} → %{target.label}: %{value:,} families<extra></extra>",
            },
        )
    )
    note = f"<br><sup>{unshown:,} families in smaller or suppressed journeys are not shown</sup>" if unshown else ""
    figure.update_layout(title={"text": f"{title}{note}"}, font={"size": 13}, height=620, margin={"t": 90})
    return figure


def _positions(nodes: list[str], links: pd.DataFrame) -> tuple[list[float], list[float]]:
    """Each node's column (its step: a journey's end stays beside the step it ended after) and its place in the
    column (the largest first), as the fractions of the plot plotly takes for a node's centre."""
    size = {
        n: max(links.loc[links["source"] == n, "families"].sum(), links.loc[links["target"] == n, "families"].sum())
        for n in nodes
    }
    step = {n: int(n.split(".", 1)[0]) for n in nodes}
    last = max(step.values(), default=1)
    x, y = {}, {}
    for k in sorted(set(step.values())):
        column = sorted((n for n in nodes if step[n] == k), key=lambda n: (n.endswith(JOURNEY_ENDS), -size[n], n))
        total = sum(size[n] for n in column) or 1
        gap = 0.04 / max(len(column), 1)  # room for plotly's padding between nodes
        top = 0.0
        for n in column:
            share = size[n] / total * (1 - 0.04)
            x[n] = 0.001 + 0.998 * (k - 1) / max(last - 1, 1)
            y[n] = min(max(top + share / 2, 0.001), 0.999)
            top += share + gap
    return [x[n] for n in nodes], [y[n] for n in nodes]
