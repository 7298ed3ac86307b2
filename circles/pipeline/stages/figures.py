"""Figure stages: print maps and interactive maps of the area tables."""

from __future__ import annotations

import textwrap
from typing import Any

import geopandas as gpd

from circles.figures.interactive_maps import interactive_map, write_html
from circles.figures.print_maps import choropleth
from circles.pipeline.stages.base import RunState, disclosure_policy, save_figure, stage
from circles.stats.captions import hotspot_wording, residents
from circles.stats.hotspots import GI_LABEL_COLOURS, LISA_COLOURS
from circles.stats.rates import COMPARISON_COLOURS

_TITLES = {"people": "People in contact with services", "records": "Service records"}


def _map_plan(run: RunState, name: str, table: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The print maps one area table supports: counts always; rates, comparisons and hotspots when present.

    Hot-spot and cluster maps say what was tested (:func:`circles.stats.captions.hotspot_wording`): on a layer with
    no population, counts, not rates, in the title and a line under it.
    """
    measure, per, hot = run.spec.maps.measure, run.spec.rates.per, run.spec.hotspots
    wording = hotspot_wording(run.manifest, name) or {"on": "", "counts": False}
    on = f" {wording['on']}" if wording["on"] else ""
    note = f"{wording['caption']}." if wording["counts"] else ""

    def item(what: str, column: str, title: str, legend: str, **extra: Any) -> dict[str, Any]:
        return {"what": what, "column": column, "title": title, "legend": legend, **extra}

    plan = [item(measure, measure, _TITLES[measure], measure.capitalize())]
    if "rate" in table:
        residents = _residents(run)
        plan.append(item("rate", "rate", f"{_TITLES[measure]} per {per:,} {residents}", f"Per {per:,} {residents}"))
        plan.append(
            item(
                "comparison",
                "comparison",
                "Rate compared with the whole study area (95% intervals)",
                "Compared with the study area",
                categorical=COMPARISON_COLOURS,
            )
        )
    if "gi_label" in table:
        gi_legend = f"Gi* class ({hot.correction.upper()}, {hot.permutations:,} permutations)"
        plan.append(
            item(
                "hotspots",
                "gi_label",
                f"Hot and cold spots{on} (Getis-Ord Gi*)",
                gi_legend,
                categorical=GI_LABEL_COLOURS,
                paper=run.spec.maps.paper,
                note=note,
            )
        )
        plan.append(
            item(
                "lisa",
                "lisa_category",
                f"Clusters and outliers{on} (local Moran's I)",
                "LISA cluster",
                categorical=LISA_COLOURS,
                note=note,
            )
        )
    return plan


def _residents(run: RunState) -> str:
    """Whom a rate is per: "residents (all ages)" or "residents aged 18+" (the spec's ``rates.age_band``)."""
    return residents({"age_band": run.spec.rates.age_band})


@stage("maps", needs=("area_counts",), uses=("rates", "hotspots"))
def _stage_maps(run: RunState) -> None:
    """Print maps (A4, A3) of counts, rates, comparisons and hot spots for every area layer."""
    tables = run.area_tables
    policy = disclosure_policy(run)
    subtitle = _wrap(f"{_first_sentence(run.spec.description)}\nDisclosure control: {policy.describe()}")
    for name, table in tables.items():
        layer = run.layers[name]
        labels = "area_name" if name in run.spec.maps.labels else None
        for item in _map_plan(run, name, table):
            for paper in item.get("paper", run.spec.maps.paper[:1]):
                orientation = "portrait" if paper == "A4" else "landscape"
                figure = choropleth(
                    table,
                    item["column"],
                    title=f"{item['title']} by {layer.title}",
                    subtitle=subtitle + (f"\n{_wrap(item['note'])}" if item.get("note") else ""),
                    paper=paper,
                    orientation=orientation,
                    labels=labels,
                    categorical=item.get("categorical"),
                    legend_title=item["legend"],
                )
                stem = f"maps/{name}_{item['what']}_{paper.lower()}"
                run.publish(stem + ".pdf", lambda p, f=figure: save_figure(f, p))


@stage("interactive_maps", needs=("area_counts",), uses=("rates", "hotspots"))
def _stage_interactive_maps(run: RunState) -> None:
    """Offline interactive maps (plotly) of counts, rates and hot spots, every layer in one page."""
    tables = run.area_tables
    titles = {n: run.layers[n].title for n in tables}
    measure = run.spec.maps.measure
    views = [(measure, None, _TITLES[measure])]
    if any("rate" in t for t in tables.values()):
        views.append(("rate", None, f"{_TITLES[measure]} per {run.spec.rates.per:,} {_residents(run)}"))
    if any("gi_label" in t for t in tables.values()):
        views.append(("gi_label", GI_LABEL_COLOURS, "Hot and cold spots (Getis-Ord Gi*)"))
    for column, categorical, title in views:
        chosen = {n: t for n, t in tables.items() if column in t}
        notes = {}
        if column == "gi_label":  # on counts or on rates, layer by layer
            notes = {n: w["caption"] for n in chosen if (w := hotspot_wording(run.manifest, n))}
        figure = interactive_map(
            chosen, column=column, title=title, titles=titles, categorical=categorical, notes=notes
        )
        run.publish(
            f"maps/interactive_{column.removeprefix('gi_')}.html",
            lambda p, f=figure: write_html(f, p, plotlyjs="alongside"),
        )


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".")


def _wrap(text: str, width: int = 95) -> str:
    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())
