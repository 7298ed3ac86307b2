"""Statistics stages: counts by area (disclosure-controlled), rates, deprivation profiles, hot spots."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from circles.errors import CirclesError
from circles.geo.deprivation import IMD_ATTRIBUTION, deprivation_profile, read_imd
from circles.geo.layers import (
    WEB_CRS,
)
from circles.geo.populations import derive_population, read_population
from circles.ingest.disclosure import SUPPRESSED, UNRESOLVED_ATTR, protect_table
from circles.io.writers import write_csv, write_geopackage
from circles.pipeline.stages.base import RunState, disclosure_policy, records_of, stage
from circles.stats.aggregate import count_by_area, count_by_area_and
from circles.stats.hotspots import getis_ord, local_moran, spatial_weights
from circles.stats.rates import area_rates, crude_rate, empirical_bayes, proportion
from circles.validation import suggest

#: The two counts of every area table: service records, and distinct people.
COUNTS = ["records", "people"]


@stage("aggregate", needs=("record_areas",), provides=("area_counts",))
def _stage_aggregate(run: RunState) -> None:
    """Count records and distinct people by area and by service; publish them through disclosure control."""
    records = records_of(run, "aggregate")
    person = run.spec.person_field
    for name, layer in run.layers.items():
        exact = count_by_area(records, layer, person=person)
        by_service = count_by_area_and(records, layer, "service", person=person)
        publish_area_counts(run, name, exact, by_service)
    run.manifest.setdefault("tables", {})["area_counts"] = {n: len(t) for n, t in run.area_tables.items()}


def publish_area_counts(run: RunState, name: str, exact: gpd.GeoDataFrame, by_service: pd.DataFrame) -> None:
    """Keep a layer's exact counts (private, for the statistics) and queue its protected tables.

    Both engines count (:func:`circles.stats.aggregate.count_by_area` or its partitioned twin) and hand the exact
    tables here, so disclosure control is applied in one place.
    """
    policy = disclosure_policy(run)
    run.exact_counts[name] = exact
    run.exact_totals[name] = {c: int(exact[c].sum()) for c in COUNTS}
    # the areas add up to the borough total, and each area's services add up to the area's records
    counts = protect_table(exact, COUNTS, policy, groups=[[]])
    by_service = protect_table(by_service, COUNTS, policy, groups=[["area_code"], ["service"]])
    for table in (counts, by_service):
        for item in table.attrs.get(UNRESOLVED_ATTR, []):
            run.warnings.append(
                f"{name}: a suppressed {item['column']} cell in group {item['group']} {item['key']} "
                "has only zero cells beside it"
            )
    run.area_tables[name] = counts
    run.publish(f"tables/{name}_by_service.csv", lambda p, t=by_service: write_csv(t, p, na_rep=SUPPRESSED))


@stage("rates", needs=("area_counts",), provides=("rates",))
def _stage_rates(run: RunState) -> None:
    """Rates per ``per`` population from the published counts, with intervals, against the study area's rate."""
    spec = run.spec.rates
    populations = _populations(run)
    policy = disclosure_policy(run)
    summary = {}
    for name, population in populations.items():
        table = run.area_tables[name]
        total_count = run.exact_totals[name][spec.measure]
        benchmark = spec.per * total_count / float(population.sum()) if population.sum() else None
        rated = area_rates(
            table,
            count=spec.measure,
            population=population,
            per=spec.per,
            confidence=spec.confidence,
            benchmark=benchmark if benchmark is not None else "overall",
            policy=policy,
        )
        run.area_tables[name] = rated
        summary[name] = {
            "population": int(population.sum()),
            "study_area_rate": round(benchmark, 3) if benchmark is not None else None,
            "higher": int((rated["comparison"] == "higher").sum()),
            "lower": int((rated["comparison"] == "lower").sum()),
        }
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
    imd = read_imd(path, code=spec.code, decile=spec.decile)
    measure = run.spec.rates.measure
    exact = run.exact_counts[spec.layer]
    population = _populations(run).get(spec.layer)
    if population is not None:
        exact = exact.assign(population=exact["area_code"].map(population).to_numpy())
    policy = disclosure_policy(run)
    shares = {}
    for band in ("imd_decile", "imd_quintile"):
        profile = deprivation_profile(
            exact, imd, count=measure, by=band, population="population" if population is not None else None
        ).drop(columns="share")
        profile = protect_table(profile, [measure], policy, groups=[[]])
        # shares and rates from the published counts, with Wilson and Byar/exact intervals
        published = profile[measure].astype("Float64")
        share = proportion(published, pd.Series(published.sum(), index=profile.index), confidence=0.95)
        profile[["share", "share_lower", "share_upper"]] = share.round(4).to_numpy()
        if population is not None:
            rate = crude_rate(published, profile["population"], per=run.spec.rates.per)
            profile[["rate", "rate_lower", "rate_upper"]] = rate.round(2).to_numpy()
        run.publish(
            f"tables/deprivation_{band.removeprefix('imd_')}.csv",
            lambda p, t=profile: write_csv(t, p, na_rep=SUPPRESSED),
        )
        if band == "imd_decile":
            shares = {
                "most_deprived_10pct": _share(profile, measure, profile["imd_decile"] == 1),
                "most_deprived_20pct": _share(profile, measure, profile["imd_decile"] <= 2),
            }
    table = run.area_tables[spec.layer]
    run.area_tables[spec.layer] = table.merge(imd, on="area_code", how="left")
    run.manifest["deprivation"] = {
        "source": IMD_ATTRIBUTION,
        "layer": spec.layer,
        "measure": measure,
        "share_of_cases": shares,
    }
    run.log(
        f"deprivation: {shares.get('most_deprived_10pct', 0):.0%} of {measure} live in England's most "
        "deprived 10% of neighbourhoods"
    )


def _share(profile: pd.DataFrame, column: str, mask: pd.Series) -> float | None:
    """A share from published (rounded) counts; ``None`` when any count it needs is suppressed."""
    values = profile[column]
    if values.isna().any():
        return None
    total = values.sum()
    return round(float(values[mask].sum() / total), 4) if total else 0.0


def publish_area_tables(run: RunState) -> None:
    """Queue the area tables, with every statistic the stages added, as CSV and GeoPackage."""
    tables = run.area_tables
    for name, table in tables.items():
        run.publish(
            f"tables/{name}_areas.csv",
            lambda p, t=table: write_csv(pd.DataFrame(t.drop(columns="geometry")), p, na_rep=SUPPRESSED),
        )
    if tables:
        run.publish("areas.gpkg", lambda p: write_geopackage(tables, p))
        run.publish(
            "areas_wgs84.gpkg", lambda p: write_geopackage({n: t.to_crs(WEB_CRS) for n, t in tables.items()}, p)
        )


@stage("hotspots", needs=("area_counts",), uses=("rates",), provides=("hotspots",))
def _stage_hotspots(run: RunState) -> None:
    """Gi* and local Moran's I on the exact values; only the classes are published.

    The statistics use exact counts (or Empirical Bayes rates from them): published counts are rounded or
    suppressed. z-scores and p-values are not published, since with every area's z-score the exact values could
    be solved for; the classes (Gi_Bin, LISA category) are.
    """
    spec = run.spec.hotspots
    measure = run.spec.rates.measure
    populations = _populations(run) if spec.value == "rate" else {}
    summary = {}
    options = {"permutations": spec.permutations, "seed": spec.seed, "alpha": spec.alpha, "correction": spec.correction}
    for name in spec.layers:
        if name not in run.area_tables:
            run.warnings.append(f"hotspots: layer {name!r} not available; skipped")
            continue
        layer = run.layers[name]
        exact = run.exact_counts[name].set_index("area_code")[measure]
        weights = spatial_weights(
            layer.areas, method=spec.weights, k=spec.k, threshold=spec.threshold_m, islands=spec.islands
        )
        population = populations.get(name)
        if population is not None:
            gi = getis_ord(empirical_bayes(exact, population), weights, **options)
            lisa = local_moran(exact, weights, base=population, **options)
            tested = f"Empirical Bayes rate of {measure} per resident"
        else:
            gi = getis_ord(exact, weights, **options)
            lisa = local_moran(exact, weights, **options)
            tested = f"count of {measure}"
        table = run.area_tables[name]
        classes = gi[["gi_bin", "gi_label"]].join(lisa[["lisa_category"]])
        run.area_tables[name] = table.merge(classes, left_on="area_code", right_index=True, how="left")
        summary[name] = {
            "tested": tested,
            "weights": spec.weights,
            "islands": list(weights.islands),
            "correction": gi.attrs.get("correction"),
            "permutations": spec.permutations,
            "seed": spec.seed,
            "hot_spots": {str(b): int((gi["gi_bin"] == b).sum()) for b in (3, 2, 1)},
            "cold_spots": {str(b): int((gi["gi_bin"] == b).sum()) for b in (-3, -2, -1)},
            "lisa": {k: int(v) for k, v in lisa["lisa_category"].value_counts().sort_index().items()},
        }
        if weights.islands:
            run.warnings.append(f"hotspots: {name} has {len(weights.islands)} area(s) with no neighbours (islands)")
        run.log(
            f"hotspots ({layer.title}): {sum(summary[name]['hot_spots'].values())} hot, "
            f"{sum(summary[name]['cold_spots'].values())} cold (Gi*, {gi.attrs.get('correction')})"
        )
    run.manifest["hotspots"] = {
        "published": "classes only (Gi_Bin, LISA category); no z-scores or p-values",
        "layers": summary,
    }
