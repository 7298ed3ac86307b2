"""The costs stage: prevalence, treatment penetration, the cost of the problem and scenarios."""

from __future__ import annotations

from typing import Any

import pandas as pd

from circles.geo.populations import read_population
from circles.ingest.disclosure import SUPPRESSED
from circles.io.writers import write_csv
from circles.pipeline.stages.base import RunState, disclosure_policy, records_if_any, save_figure, stage


@stage("costs", uses=("record_areas",), provides=("costs",), section="costs")
def _stage_costs(run: RunState) -> None:
    """Prevalence by area, treatment penetration, the cost of the problem, and what sustained change saves."""
    from circles.costs import cost_of_problem, read_cost_model

    spec = run.spec.costs
    if spec is None:
        run.log("stage 'costs' skipped: no 'costs:' section in the spec")
        return
    model = read_cost_model(run.spec.resolve(spec.model))
    adults = _age_band_population(run, spec.layer, spec.adult_age_band)
    run.costs = result = cost_of_problem(
        model,
        adults=adults,
        children=_age_band_population(run, spec.layer, spec.child_age_band) if adults is not None else None,
        treated=_treated_by_area(run, spec) if adults is not None else None,
        prevalence_rates=spec.prevalence,
        need=spec.need,
        scenarios=spec.scenarios,
        years=spec.years,
        discount_rate=spec.discount_rate,
        policy=disclosure_policy(run),
        layer=spec.layer,
    )
    run.warnings.extend(f"costs: {warning}" for warning in result.warnings)
    for stem, table in result.tables(spec.layer).items():
        run.publish(f"costs/{stem}.csv", lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))
    chart = result.chart()
    run.publish("costs/cost_by_sector.pdf", lambda p, f=chart: save_figure(f, p))
    summary = {"model": spec.model.name} | result.summary
    run.manifest["costs"] = summary | {"prevalence_rates": spec.prevalence, "age_band": spec.adult_age_band}
    per_case = f"; {summary['cost_per_case']} per case" if result.cost_per_case else ""
    run.log(f"costs: {summary['total']} a year{per_case}")


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
