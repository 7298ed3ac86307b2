"""Figure stages: print maps and interactive maps of the area tables."""

from __future__ import annotations

import textwrap
from typing import Any

import geopandas as gpd
import pandas as pd

from circles.figures.funnel import funnel_figure, funnel_html
from circles.figures.interactive_maps import interactive_map, write_html
from circles.figures.print_maps import choropleth
from circles.pipeline.stages.base import (
    RunState,
    disclosure_policy,
    period_suffix,
    publish_svgs,
    save_figure,
    stage,
    synthetic_mark,
)
from circles.stats.captions import hotspot_wording, residents
from circles.stats.funnel import FunnelResult, funnel_table
from circles.stats.hotspot_classes import HOTSPOT_COLOURS, HOTSPOT_NOTE
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
    if "hotspot" in table:  # own rate compared and clustering: what a commissioner can act on
        plan.append(
            item(
                "hotspots",
                "hotspot",
                "Hot spots",
                "Hot spot class",
                categorical=HOTSPOT_COLOURS,
                paper=run.spec.maps.paper,
                note=HOTSPOT_NOTE,
            )
        )
    elif "gi_label" in table:  # no rates: Gi* and LISA of the counts, said to be of counts
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


#: The maps the packs print (one a page, drawn for the page): counts, rates and hot spots.
PACK_MAPS = ("people", "records", "rate", "hotspots")


def _publish_pack_map(run: RunState, name: str, table: gpd.GeoDataFrame, item: dict[str, Any], **style: Any) -> None:
    """``maps/<layer>_<what>_{print,large}.svg``: the map drawn at the size a pack prints it, for standard and large
    print. The pack's heading and caption carry the title, what the classes mean and the attribution as real
    text, so the map keeps its legend, scale bar, north arrow and, for synthetic data, SYNTHETIC."""
    synthetic = "SYNTHETIC DATA — not real people" if run.manifest.get("synthetic") is not None else ""

    def draw(medium: Any) -> Any:
        return choropleth(
            table,
            item["column"],
            title=synthetic,
            attribution="",
            categorical=item.get("categorical"),
            legend_title=item["legend"],
            medium=medium,
            **style,
        )

    publish_svgs(run, f"maps/{name}_{item['what']}", draw)


def _residents(run: RunState) -> str:
    """Whom a rate is per: "residents (all ages)" or "residents aged 18+" (the spec's ``rates.age_band``)."""
    return residents({"age_band": run.spec.rates.age_band})


@stage("maps", needs=("area_counts",), uses=("rates", "hotspots"))
def _stage_maps(run: RunState) -> None:
    """Print maps (A4, A3) of counts, rates, comparisons and hot spots for every area layer."""
    tables = run.area_tables
    policy = disclosure_policy(run)
    subtitle = _wrap(f"{_first_sentence(run.spec.description)}\nDisclosure control: {policy.describe()}")
    when = period_suffix(run)
    if run.manifest.get("synthetic") is not None:
        subtitle = f"SYNTHETIC DATA — not real people\n{subtitle}"
    for name, table in tables.items():
        layer = run.layers[name]
        labels = "area_name" if name in run.spec.maps.labels else None
        parent = run.spec.geography.name_by.get(name)  # LSOAs named by ward: the ward outlines and names on top
        outlines = run.layers[parent].areas if parent in run.layers else None
        style = {
            "labels": labels,
            "outlines": outlines,
            "outline_title": run.layers[parent].title if parent in run.layers else None,
        }
        for item in _map_plan(run, name, table):
            for paper in item.get("paper", run.spec.maps.paper[:1]):
                drawn = {
                    "title": f"{item['title']} by {layer.title}{when}",
                    "subtitle": subtitle + (f"\n{_wrap(item['note'])}" if item.get("note") else ""),
                    "paper": paper,
                    "orientation": "portrait" if paper == "A4" else "landscape",
                    "labels": labels,
                    "categorical": item.get("categorical"),
                    "legend_title": item["legend"],
                    "outlines": outlines,
                    "outline_title": run.layers[parent].title if outlines is not None else None,
                }
                stem = f"maps/{name}_{item['what']}_{paper.lower()}"
                # drawn when published, in the writing processes: no figure waits in memory for its turn
                run.publish(
                    stem + ".pdf",
                    lambda p, t=table, c=item["column"], kw=drawn: save_figure(choropleth(t, c, **kw), p),
                )
            if item["what"] in PACK_MAPS and _in_packs(name):
                _publish_pack_map(run, name, table, item, **style)
        funnel = _funnel(run, name)
        if funnel is not None and _in_packs(name):
            publish_svgs(
                run,
                f"maps/{name}_funnel",
                lambda m, f=funnel: funnel_figure(f, title="", medium=m, **(_funnel_words(run) | {"subtitle": ""})),
            )
        if funnel is not None:
            figure = funnel_figure(
                funnel, title=f"{_funnel_title(run)} by {layer.title}: funnel plot", **_funnel_words(run)
            )
            run.publish(f"maps/{name}_funnel_a4.pdf", lambda p, f=figure: save_figure(f, p))


@stage("interactive_maps", needs=("area_counts",), uses=("rates", "hotspots"))
def _stage_interactive_maps(run: RunState) -> None:
    """Offline interactive maps (plotly) of counts, rates and hot spots, every layer in one page."""
    tables = run.area_tables
    titles = {n: run.layers[n].title for n in tables}
    measure = run.spec.maps.measure
    views = [(measure, None, _TITLES[measure])]
    if any("rate" in t for t in tables.values()):
        views.append(("rate", None, f"{_TITLES[measure]} per {run.spec.rates.per:,} {_residents(run)}"))
    if any("hotspot" in t for t in tables.values()):
        views.append(("hotspot", HOTSPOT_COLOURS, "Hot spots: own rate significantly high, among high neighbours"))
    if any("gi_label" in t and "hotspot" not in t for t in tables.values()):
        views.append(("gi_label", GI_LABEL_COLOURS, "Hot and cold spots of counts (Getis-Ord Gi*)"))
    for column, categorical, title in views:
        chosen = {n: t for n, t in tables.items() if column in t and not (column == "gi_label" and "hotspot" in t)}
        notes = {}
        if column == "gi_label":  # on counts, layer by layer
            notes = {n: w["caption"] for n in chosen if (w := hotspot_wording(run.manifest, n))}
        elif column == "hotspot":
            notes = dict.fromkeys(chosen, HOTSPOT_NOTE)
        figure = interactive_map(
            chosen,
            column=column,
            title=f"{title}{period_suffix(run)}{synthetic_mark(run)}",
            titles=titles,
            categorical=categorical,
            notes=notes,
        )
        run.publish(
            f"maps/interactive_{column.removeprefix('gi_')}.html",
            lambda p, f=figure: write_html(f, p, plotlyjs=run.spec.maps.plotlyjs),
        )
    for name in tables:
        funnel = _funnel(run, name)
        if funnel is not None:
            html = funnel_html(
                funnel,
                title=f"{_funnel_title(run)} by {titles[name]}{period_suffix(run)}: funnel plot",
                **_funnel_words(run),
            )
            run.publish(f"maps/funnel_{name}.html", lambda p, f=html: write_html(f, p, plotlyjs=run.spec.maps.plotlyjs))


def _in_packs(layer: str) -> bool:
    """Whether the packs print this layer's maps (LSOAs and wards; MSOAs are in the A4 maps and the web page only)."""
    return layer == "lsoa" or layer.startswith("ward")


def _funnel(run: RunState, name: str) -> FunnelResult | None:
    """The funnel plot's data for a layer with rates: published counts against the population, around the
    study-area rate the comparisons use; ``None`` for a layer without rates."""
    table = run.area_tables[name]
    population = (run.populations or {}).get(name)
    study = ((run.manifest.get("rates") or {}).get("layers") or {}).get(name) or {}
    if "rate" not in table or population is None or study.get("study_area_rate") is None:
        return None
    by_code = table.set_index("area_code")
    return funnel_table(
        pd.to_numeric(by_code[run.spec.rates.measure], errors="coerce"),
        population.reindex(by_code.index).astype(float),
        per=run.spec.rates.per,
        target=float(study["study_area_rate"]),
        names=by_code["area_name"],
    )


def _funnel_title(run: RunState) -> str:
    return f"{_TITLES[run.spec.rates.measure]} per {run.spec.rates.per:,} {_residents(run)}"


def _funnel_words(run: RunState) -> dict[str, Any]:
    """The funnel plot's labels: the rate, whom it is per, and whether the records are synthetic."""
    return {
        "rate_label": f"{run.spec.rates.measure} per {run.spec.rates.per:,} {_residents(run)}",
        "population_label": _residents(run),
        "synthetic": run.manifest.get("synthetic") is not None,
        "subtitle": _first_sentence(run.spec.description),
    }


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".")


def _wrap(text: str, width: int = 95) -> str:
    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())
