"""Statistics stages: counts by area (disclosure-controlled), rates, deprivation profiles, hot spots."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from circles.costs.period import record_dates, records_period
from circles.errors import CirclesError
from circles.geo.deprivation import read_imd
from circles.geo.layers import (
    WEB_CRS,
)
from circles.geo.populations import derive_population, read_population
from circles.ingest.disclosure import SUPPRESSED, UNRESOLVED_ATTR, protect_table
from circles.io.writers import write_csv, write_geopackage
from circles.pipeline.stages.base import RunState, disclosure_policy, records_of, stage
from circles.stats.aggregate import count_by_area, count_by_area_and
from circles.stats.area_statistics import area_hotspots, deprivation_profiles, study_area_rates
from circles.stats.hotspot_classes import HOT_SPOT, HOTSPOT_CLASSES, hotspot_classes
from circles.stats.weights import NoVariationError
from circles.validation import suggest

#: The two counts of every area table: service records, and distinct people.
COUNTS = ["records", "people"]


@stage("aggregate", needs=("record_areas",), provides=("area_counts",))
def _stage_aggregate(run: RunState) -> None:
    """Count records and distinct people by area and by service; publish them through disclosure control."""
    records = records_of(run, "aggregate")
    person = run.spec.person_field
    by_services = "service" in records and records["service"].notna().any()
    if not by_services:
        run.warnings.append(
            "aggregate: the records have no 'service' values, so no tables by service: map the service column "
            "under sources, or, for a file from one service, set it: service: {value: Police}"
        )
    period = records_period(record_dates(records))
    if period is not None:  # every map and table title says when: "April 2009 to March 2011"
        run.manifest["records_period"] = period.as_dict()
    for name, layer in run.layers.items():
        exact = count_by_area(records, layer, person=person)
        by_service = count_by_area_and(records, layer, "service", person=person) if by_services else None
        publish_area_counts(run, name, exact, by_service)
    run.manifest.setdefault("tables", {})["area_counts"] = {n: len(t) for n, t in run.area_tables.items()}


def publish_area_counts(run: RunState, name: str, exact: gpd.GeoDataFrame, by_service: pd.DataFrame | None) -> None:
    """Keep a layer's exact counts (private, for the statistics) and queue its protected tables.

    Both engines count (:func:`circles.stats.aggregate.count_by_area` or its partitioned twin) and hand the exact
    tables here, so disclosure control is applied in one place.
    """
    policy = disclosure_policy(run)
    run.exact_counts[name] = exact
    run.exact_totals[name] = {c: int(exact[c].sum()) for c in COUNTS}
    # the areas add up to the borough total, and each area's services add up to the area's records
    counts = protect_table(exact, COUNTS, policy, groups=[[]])
    tables = [counts]
    if by_service is not None:
        by_service = protect_table(by_service, COUNTS, policy, groups=[["area_code"], ["service"]])
        tables.append(by_service)
    for table in tables:
        for item in table.attrs.get(UNRESOLVED_ATTR, []):
            run.warnings.append(
                f"{name}: a suppressed {item['column']} cell in group {item['group']} {item['key']} "
                "has only zero cells beside it"
            )
    run.area_tables[name] = counts
    if by_service is not None:
        run.publish(f"tables/{name}_by_service.csv", lambda p, t=by_service: write_csv(t, p, na_rep=SUPPRESSED))


@stage("rates", needs=("area_counts",), provides=("rates",))
def _stage_rates(run: RunState) -> None:
    """Rates per ``per`` population from the published counts, with intervals, against the study area's rate."""
    spec = run.spec.rates
    summary = {}
    for name, population in _populations(run).items():
        result = study_area_rates(
            run.area_tables[name],
            population,
            count=spec.measure,
            total=run.exact_totals[name][spec.measure],
            per=spec.per,
            confidence=spec.confidence,
            policy=disclosure_policy(run),
        )
        run.area_tables[name] = result.table
        summary[name] = result.summary()
    run.manifest["rates"] = {
        "measure": spec.measure,
        "age_band": spec.age_band,
        "per": spec.per,
        "confidence": spec.confidence,
        "method": "exact Poisson under 10, Byar from 10 (PHE); benchmark: the study area's own rate",
        "layers": summary,
    }
    run.log(f"rates per {spec.per:,} ({spec.age_band}) for {', '.join(summary) or 'no layer (no populations found)'}")


def _populations(run: RunState) -> dict[str, pd.Series]:
    """Each layer's population (age band of the spec), read or derived by best fit from another layer.

    Read once per run: the rates, deprivation and hotspots stages share it.
    """
    if run.populations is None:
        run.populations = _read_populations(run)
    return run.populations


def _read_populations(run: RunState) -> dict[str, pd.Series]:
    spec = run.spec.rates
    found: dict[str, pd.Series] = {}
    for name, pop in sorted(spec.populations.items(), key=lambda item: item[1].derive_from is not None):
        if name not in run.layers:
            continue
        if pop.path is not None:
            path = run.spec.resolve(pop.path)
            if not path.exists():
                run.warnings.append(f"population for {name!r} not found at {path}; no rates for it")
                continue
            found[name] = read_population(
                path,
                code=pop.code,
                age_band=spec.age_band,
                layout=pop.layout,
                group_column=pop.group_column,
                value_column=pop.value_column,
            )
        elif pop.derive_from in found and pop.derive_from in run.layers:
            found[name] = derive_population(found[pop.derive_from], run.layers[pop.derive_from], run.layers[name])
    for name, population in found.items():
        missing = run.layers[name].areas["area_code"][~run.layers[name].areas["area_code"].isin(population.index)]
        if len(missing):
            raise CirclesError(
                f"rates.populations.{name}: {len(missing)} area(s) of layer {name!r} have no population "
                f"(e.g. {missing.iloc[0]}); the population table must use the layer's codes and vintage."
            )
    return {n: found[n].reindex(run.layers[n].areas["area_code"]) for n in spec.populations if n in found}


@stage("deprivation", needs=("area_counts",), provides=("deprivation",), section="deprivation")
def _stage_deprivation(run: RunState) -> None:
    """The cases by deprivation decile and quintile (IMD 2019), with rates and intervals."""
    spec = run.spec.deprivation
    if spec is None:
        run.log("stage 'deprivation' skipped: no 'deprivation:' section in the spec")
        return
    path = run.spec.resolve(spec.path)
    if not path.exists():
        run.warnings.append(f"IMD table not found at {path}; no deprivation profile")
        return
    if spec.layer not in run.area_tables:
        raise CirclesError(f"deprivation.layer: no area table {spec.layer!r}.{suggest(spec.layer, run.area_tables)}")
    result = deprivation_profiles(
        run.exact_counts[spec.layer],
        read_imd(path, code=spec.code, decile=spec.decile),
        count=run.spec.rates.measure,
        policy=disclosure_policy(run),
        population=_populations(run).get(spec.layer),
        per=run.spec.rates.per,
    )
    for band, profile in result.profiles.items():
        run.publish(f"tables/deprivation_{band}.csv", lambda p, t=profile: write_csv(t, p, na_rep=SUPPRESSED))
    run.area_tables[spec.layer] = run.area_tables[spec.layer].merge(result.imd, on="area_code", how="left")
    run.manifest["deprivation"] = result.summary(spec.layer)
    share = result.shares.get("most_deprived_10pct")
    run.log(
        f"deprivation: {'a suppressed share' if share is None else format(share, '.0%')} of {result.measure} live "
        "in England's most deprived 10% of neighbourhoods"
    )


def publish_area_tables(run: RunState) -> None:
    """Queue the area tables, with every statistic the stages added, as CSV and GeoPackage."""
    tables = run.area_tables
    for name, table in tables.items():
        # the raw Gi* and LISA classes stay in the GeoPackage for the analyst; the CSV carries the hot-spot label
        raw = ["gi_bin", "gi_label", "lisa_category"] if "hotspot" in table else []
        run.publish(
            f"tables/{name}_areas.csv",
            lambda p, t=table, r=raw: write_csv(pd.DataFrame(t.drop(columns=["geometry", *r])), p, na_rep=SUPPRESSED),
        )
    if tables:
        run.publish("areas.gpkg", lambda p: write_geopackage(tables, p))
        run.publish(
            "areas_wgs84.gpkg", lambda p: write_geopackage({n: t.to_crs(WEB_CRS) for n, t in tables.items()}, p)
        )


@stage("hotspots", needs=("area_counts",), uses=("rates",), provides=("hotspots",))
def _stage_hotspots(run: RunState) -> None:
    """Gi* and local Moran's I on the exact counts (or their EB rates); only the classes are published.

    With every area's z-score the exact values could be solved for (see :func:`~circles.stats.area_hotspots`).
    """
    spec = run.spec.hotspots
    populations = _populations(run) if spec.value == "rate" else {}
    summary = {}
    skipped: list[str] = []  # not in this run
    flat: list[str] = []  # every area had the same value: no pattern to test
    for name in spec.layers:
        if name not in run.area_tables:
            run.warnings.append(f"hotspots: layer {name!r} not available; skipped")
            skipped.append(name)
            continue
        layer = run.layers[name]
        try:
            result = area_hotspots(
                layer.areas,
                run.exact_counts[name].set_index("area_code")[run.spec.rates.measure],
                population=populations.get(name),
                method=spec.weights,
                k=spec.k,
                threshold=spec.threshold_m,
                islands=spec.islands,
                permutations=spec.permutations,
                seed=spec.seed,
                alpha=spec.alpha,
                correction=spec.correction,
            )
        except NoVariationError:
            run.warnings.append(
                f"hotspots: layer {name!r} skipped: every area has the same value (too few records to show a pattern)"
            )
            flat.append(name)
            continue
        table = run.area_tables[name].merge(result.classes, left_on="area_code", right_index=True, how="left")
        summary[name] = result.summary() | {"value_requested": spec.value}  # "count" with no population: say so
        if "comparison" in table:  # what commissioners see: hot only where the area's own rate is high
            table["hotspot"] = hotspot_classes(table["comparison"], table["gi_bin"], table["lisa_category"]).to_numpy()
            summary[name]["classes"] = {c: int((table["hotspot"] == c).sum()) for c in HOTSPOT_CLASSES}
            summary[name]["hot_spot_areas"] = sorted(table.loc[table["hotspot"] == HOT_SPOT, "area_name"].astype(str))
        run.area_tables[name] = table
        if result.islands:
            run.warnings.append(f"hotspots: {name} has {len(result.islands)} area(s) with no neighbours (islands)")
        classes = summary[name].get("classes")
        found = (
            f"{classes[HOT_SPOT]} hot spot(s), {classes['Next to a hot spot']} next to one, "
            f"{classes['Cold spot']} cold spot(s)"
            if classes
            else f"{sum(result.hot_spots.values())} Gi* hot, {sum(result.cold_spots.values())} cold (no rates)"
        )
        run.log(f"hotspots ({layer.title}): {found} (Gi* and LISA, {result.correction}, on the {result.value})")
    run.manifest["hotspots"] = {
        "published": "hot-spot labels in the tables, maps and packs; Gi_Bin and LISA category in the GeoPackage; "
        "no z-scores or p-values",
        "layers": summary,
        "layers_missing": skipped,
        "layers_without_variation": flat,
    }
