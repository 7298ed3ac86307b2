"""The costs stage: prevalence, treatment penetration, the cost of the problem and scenarios."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from circles.geo.populations import read_population
from circles.ingest.disclosure import SUPPRESSED, protect_table, protect_total
from circles.io.writers import write_csv
from circles.pipeline.stages.base import RunState, disclosure_policy, records_if_any, save_figure, stage


@stage("costs", uses=("record_areas",), provides=("costs",), section="costs")
def _stage_costs(run: RunState) -> None:
    """Prevalence by area, treatment penetration, the cost of the problem, and what sustained change saves."""
    from circles.costs import estimates as prevalence
    from circles.costs import model as costs

    spec = run.spec.costs
    if spec is None:
        run.log("stage 'costs' skipped: no 'costs:' section in the spec")
        return
    model = costs.read_cost_model(run.spec.resolve(spec.model))
    policy = disclosure_policy(run)
    totals = costs.sector_totals(model, total_row=True)
    total = float(model.lines["annual_cost"].sum())
    published: dict[str, pd.DataFrame] = {
        "costs/cost_lines.csv": model.lines.drop(columns=[c for c in ("line_number",) if c in model.lines]),
        "costs/sector_totals.csv": totals.reset_index(),
    }
    summary: dict[str, Any] = {"model": spec.model.name, "total": costs.format_gbp(total)}
    population = _age_band_population(run, spec.layer, spec.adult_age_band)
    if population is not None:
        estimates = prevalence.prevalence(population, spec.prevalence)
        published[f"costs/prevalence_{spec.layer}.csv"] = estimates.round().astype("int64").reset_index()
        need = estimates[spec.need]
        children = _age_band_population(run, spec.layer, spec.child_age_band)
        borough_need = float(need.sum())
        summary["prevalence"] = {
            c: int(estimates[c].sum())
            for c in estimates.columns
            if c != "population" and not c.endswith(("_lower", "_upper"))
        }
        if children is not None and "misusing" in estimates:
            summary["children_affected"] = int(
                round(
                    prevalence.children_affected(
                        float(population.sum()), float(children.sum()), float(estimates["misusing"].sum())
                    )
                )
            )
        treated = _treated_by_area(run, spec)
        if treated is not None:
            # by area from the published counts; the whole borough from the exact total, then protected
            protected = protect_table(treated.rename("in_treatment").reset_index(), ["in_treatment"], policy)
            counts = protected.set_index("area_code")["in_treatment"].astype("Float64")
            shown = counts.notna().to_numpy()
            by_area = prevalence.treatment_penetration(counts[shown].astype(float), need[counts.index[shown]])
            by_area = by_area.drop(index="all areas").reindex(counts.index)
            by_area["in_treatment"] = counts
            by_area["need"] = need.reindex(counts.index)
            overall_count, suppressed = protect_total(treated, policy)
            overall = prevalence.treatment_penetration(float(overall_count or 0), borough_need)
            overall.index = ["all areas"]
            if suppressed:
                overall[["in_treatment", "penetration", "lower", "upper"]] = np.nan
            penetration = pd.concat([by_area, overall])
            published[f"costs/treatment_penetration_{spec.layer}.csv"] = penetration.reset_index(names="area_code")
            summary["treatment_penetration"] = round(float(overall["penetration"].iloc[0]), 4)
        per_case = costs.cost_per_case(total, borough_need)
        published[f"costs/apportioned_{spec.layer}.csv"] = (
            costs.apportion(total, need).rename("annual_cost").reset_index()
        )
    else:
        per_case = None
        run.warnings.append(
            f"costs: no population for layer {spec.layer!r}; no prevalence, penetration or per-case cost"
        )
    if per_case is not None:
        scenarios = costs.savings_scenarios(
            per_case, spec.scenarios, years=spec.years, discount_rate=spec.discount_rate
        )
        # a scenario's number of people is an assumption, not a count of anyone in the data
        published["costs/scenarios.csv"] = costs.scenario_table(scenarios).rename(
            columns={"People": "Assumed number sustaining change"}
        )
        summary["cost_per_case"] = costs.format_gbp(per_case)
    for relative, table in published.items():
        run.publish(relative, lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))
    chart = costs.cost_chart(model, title="The annual cost of the problem, by sector")
    run.publish("costs/cost_by_sector.pdf", lambda p, f=chart: save_figure(f, p))
    run.manifest["costs"] = summary | {"prevalence_rates": spec.prevalence, "age_band": spec.adult_age_band}
    run.log(f"costs: {summary['total']} a year" + (f"; {summary['cost_per_case']} per case" if per_case else ""))


def _age_band_population(run: RunState, layer: str, age_band: str) -> pd.Series | None:
    """A layer's population for one age band, from the population file the spec declares for it."""
    pop = run.spec.rates.populations.get(layer)
    if pop is None or pop.path is None or layer not in run.layers:
        return None
    path = run.spec.resolve(pop.path)
    if not path.exists():
        return None
    series = read_population(
        path,
        code=pop.code,
        age_band=age_band,
        layout=pop.layout,
        group_column=pop.group_column,
        value_column=pop.value_column,
    )
    return series.reindex(run.layers[layer].areas["area_code"]).fillna(0).astype("int64")


def _treated_by_area(run: RunState, spec: Any) -> pd.Series | None:
    """Distinct people in treatment services per area (exact; protected by the caller)."""
    records = records_if_any(run, "costs")
    code = f"{spec.layer}_code"
    if records is None or code not in records or "service" not in records:
        return None
    treated = records[records["service"].isin(spec.in_treatment)]
    counts = treated.groupby(code, observed=True)[run.spec.person_field].nunique()
    counts = counts.reindex(run.layers[spec.layer].areas["area_code"], fill_value=0).astype("int64")
    counts.index.name = "area_code"
    return counts
