"""The costs stage: prevalence, treatment penetration, the cost of the problem and scenarios."""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd

from circles.costs.period import RecordsPeriod, people_per_year, record_dates, records_period
from circles.costs.problem import CHART_TITLE
from circles.geo.populations import read_population
from circles.ingest.disclosure import SUPPRESSED
from circles.io.writers import write_csv
from circles.pipeline.stages.base import (
    RunState,
    disclosure_policy,
    publish_svgs,
    records_if_any,
    save_figure,
    stage,
    synthetic_mark,
)


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
    treatment = _treated_by_area(run, spec) if adults is not None else None
    run.costs = result = cost_of_problem(
        model,
        adults=adults,
        children=_age_band_population(run, spec.layer, spec.child_age_band) if adults is not None else None,
        treated=treatment.per_year if treatment else None,
        treatment_period=treatment.period if treatment else None,
        treated_in_period=treatment.in_period if treatment else None,
        prevalence_rates=spec.prevalence,
        need=spec.need,
        scenarios=spec.scenarios,
        years=spec.years,
        discount_rate=spec.discount_rate,
        policy=disclosure_policy(run),
        layer=spec.layer,
    )
    run.warnings.extend(f"costs: {warning}" for warning in result.warnings)
    if treatment is not None and treatment.period is None and result.penetration is not None:
        note = (
            "the records have no start or referral dates, so the period they cover is unknown: people in treatment "
            "over the whole extract are divided by a one-year prevalence, which overstates penetration when the "
            "records cover more than a year"
        )
        result.summary["penetration_note"] = note
        run.warnings.append(f"costs: treatment penetration: {note}")
    for stem, table in result.tables(spec.layer).items():
        run.publish(f"costs/{stem}.csv", lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))
    title = f"{CHART_TITLE}{synthetic_mark(run)}"
    chart = result.chart(title=title)
    run.publish("costs/cost_by_sector.pdf", lambda p, f=chart: save_figure(f, p))
    # the packs' chart, drawn at the size it is printed (every text at least the medium's smallest type)
    publish_svgs(run, "costs/cost_by_sector", lambda medium: result.chart(title=title, medium=medium))
    summary = {"model": spec.model.name} | result.summary
    run.manifest["costs"] = summary | {
        "prevalence_rates": spec.prevalence,
        "need": spec.need,
        "age_band": spec.adult_age_band,
    }
    per_case = f"; {summary['cost_per_case_rounded']} per case" if result.cost_per_case else ""
    run.log(f"costs: {summary['total_rounded']} a year{per_case} ({summary['price_year']} prices)")


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


class Treatment(NamedTuple):
    """People in treatment services by area (exact; protected by the caller), a year and over the records' period."""

    per_year: pd.Series
    in_period: pd.Series
    period: RecordsPeriod | None


def _treated_by_area(run: RunState, spec: Any) -> Treatment | None:
    """Distinct people in treatment services per area: a year (annualised over the records' period) and in all.

    The period is that of all the records (start date, else referral date). Over about a year the two counts
    are the same; otherwise people a year are :func:`~circles.costs.period.people_per_year` (unrounded: the costs
    round each area and the borough total half up, each on its own).
    """
    records = records_if_any(run, "costs")
    code = f"{spec.layer}_code"
    if records is None or code not in records or "service" not in records:
        return None
    areas = run.layers[spec.layer].areas["area_code"]
    person = run.spec.person_field
    dates = record_dates(records)
    period = records_period(dates)
    in_treatment = records["service"].isin(spec.in_treatment).to_numpy()
    treated = records[in_treatment]
    if dates is not None:  # by position: the records' index need not be unique
        treated = treated.assign(_date=dates.to_numpy()[in_treatment])
    in_period = treated.groupby(code, observed=True)[person].nunique()
    in_period = in_period.reindex(areas, fill_value=0).astype("int64").rename_axis("area_code")
    if period is None or period.is_a_year:
        return Treatment(in_period, in_period, period)
    per_year = people_per_year(treated, person=person, date="_date", period=period, by=code)
    return Treatment(per_year.reindex(areas, fill_value=0.0).rename_axis("area_code"), in_period, period)
