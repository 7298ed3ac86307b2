"""The cost of the problem in one call: prevalence, treatment penetration, cost per case, apportionment, scenarios.

:func:`cost_of_problem` is what the pipeline's ``costs`` stage does, from plain values: a :class:`CostModel`, the
adult (and child) population by area, people in treatment by area, the prevalence rates and the savings scenarios.
It returns a :class:`CostOfProblem` holding every table the stage publishes, so a notebook gets the same figures
as the report::

    result = cost_of_problem(model, adults=adults, treated=treated, prevalence_rates={"harmful": 0.055},
                             need="harmful", scenarios={"3 people": 3})
    result.cost_per_case, result.penetration, result.tables("lsoa")

Treatment counts are people, so they are protected by the disclosure policy (:mod:`circles.ingest.disclosure`)
before they are compared with the estimated need: each area's published count, and the borough total computed
from the exact counts and then protected. Estimates of need are not counts of anyone and are not suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from circles.costs.estimates import Rate, children_affected, prevalence, round_half_up, treatment_penetration
from circles.costs.model import CostModel, cost_chart, cost_per_case, price_year_label, sector_totals
from circles.costs.money import format_gbp, format_gbp_rounded
from circles.costs.period import RecordsPeriod
from circles.costs.scenarios import GREEN_BOOK_RATE, apportion, savings_scenarios, scenario_table
from circles.figures.media import Medium
from circles.ingest.disclosure import DisclosurePolicy, get_policy, protect_table, protect_total

__all__ = ["CostOfProblem", "cost_of_problem"]

#: The title of :meth:`CostOfProblem.chart` (and of the report's chart).
CHART_TITLE = "The annual cost of the problem, by sector"


@dataclass(frozen=True, eq=False)
class CostOfProblem:
    """The scale and cost of the problem, as :func:`cost_of_problem` computes it.

    Attributes
    ----------
    model : CostModel
        The cost model the figures come from.
    total : float
        The annual cost of the problem: the sum of the cost lines, in pounds.
    lines : pandas.DataFrame
        The cost lines as published: ``sector``, ``line``, ``sub_line``, ``annual_cost``, ``cost_type``,
        ``source`` (no YAML line numbers).
    sector_totals : pandas.DataFrame
        :func:`~circles.costs.model.sector_totals` with a ``"Total"`` row, indexed by ``sector``.
    prevalence : pandas.DataFrame or None
        Estimated people in each category by area (whole people, ``int64``), indexed by ``area_code``, with the
        ``population``; ``None`` without a population.
    children_affected : float or None
        Children living with a misusing adult, unrounded; ``None`` without a child population or a ``misusing``
        column.
    penetration : pandas.DataFrame or None
        ``in_treatment`` (published counts, ``NaN`` when suppressed), ``penetration``, ``lower``, ``upper`` and
        ``need`` by area, then the ``"all areas"`` row from the protected borough total; ``None`` without a
        population or treatment counts.
    apportioned : pandas.Series or None
        The annual cost shared between areas by estimated need, to the penny (name ``annual_cost``).
    cost_per_case : float or None
        The annual cost ÷ the borough's estimated need; ``None`` without a population.
    scenarios : pandas.DataFrame or None
        :func:`~circles.costs.scenarios.savings_scenarios` (numbers of pounds); ``None`` without a cost per case.
    summary : dict
        What the run's manifest records: ``total`` (formatted to the pound), ``total_rounded`` (3 significant
        figures, as packs quote it), ``price_year`` and ``sources`` (beside every £ figure), and when computed
        ``prevalence`` (borough counts by category), ``children_affected``, ``treatment_penetration`` (4 decimal
        places), ``cost_per_case`` and ``cost_per_family`` (each also ``_rounded``), ``family`` (how a family's
        cost is made up) and ``savings_shares`` (each share and what it avoids).
    warnings : tuple of str
        Why figures are missing (e.g. no population), to show the user.
    """

    model: CostModel
    total: float
    lines: pd.DataFrame
    sector_totals: pd.DataFrame
    prevalence: pd.DataFrame | None
    children_affected: float | None
    penetration: pd.DataFrame | None
    apportioned: pd.Series | None
    cost_per_case: float | None
    scenarios: pd.DataFrame | None
    summary: dict[str, Any]
    warnings: tuple[str, ...] = ()

    def scenario_table(self, *, figures: int | None = None) -> pd.DataFrame | None:
        """The scenarios in pounds as strings (to ``figures`` significant figures if given), the number sustaining
        change labelled as the assumption it is."""
        if self.scenarios is None:
            return None
        # a scenario's number is an assumption, not a count of anyone in the data
        return scenario_table(self.scenarios, figures=figures).rename(
            columns={"Number": "Assumed number sustaining change"}
        )

    def scenario_data(self) -> pd.DataFrame | None:
        """The scenarios as published for analysts: pounds to the penny, what each share avoids, price year and
        sources beside them."""
        if self.scenarios is None:
            return None
        out = self.scenarios.copy()
        money = [c for c in out.columns if c == "cost_per_unit" or c.startswith(("low", "central", "high"))]
        out[money] = out[money].round(2)
        out = out.rename(columns={"count": "assumed_number_sustaining_change"})
        for key, (share, avoids) in self.model.savings.items():
            out[f"{key}_share"] = share
            out[f"{key}_avoids"] = avoids
        facts = self.model.provenance(with_family=bool((out["unit"] == "family").any()))
        return out.assign(price_year=facts["price_year"], sources="; ".join(map(str, facts["sources"])))

    def tables(self, layer: str | None = None) -> dict[str, pd.DataFrame]:
        """The tables to publish, by file stem; the stems of tables by area end in ``_<layer>`` when given.

        Every table of pounds has the price year beside its amounts (and the sources, where they differ by row).
        """
        by_area = f"_{layer}" if layer else ""
        facts = self.model.provenance()
        tables = {
            "cost_lines": self.lines.assign(
                sub_line=self.lines["sub_line"].fillna(""),  # blank, not the '*' of a suppressed count
                price_year=self.model.line_price_years(self.lines),
            ),
            "sector_totals": _with_sources(self.sector_totals, self.model),
        }
        if self.model.family is not None:
            tables["family_cost"] = _family_table(self.model, self.cost_per_case)
        if self.prevalence is not None:
            tables[f"prevalence{by_area}"] = self.prevalence.reset_index()
        if self.penetration is not None:
            tables[f"treatment_penetration{by_area}"] = self.penetration.reset_index(names="area_code")
        if self.apportioned is not None:
            tables[f"apportioned{by_area}"] = self.apportioned.reset_index().assign(price_year=facts["price_year"])
        if self.scenarios is not None:
            tables["scenarios"] = self.scenario_data()
        return tables

    def chart(self, title: str = CHART_TITLE, *, medium: Medium | str = "print") -> Figure:
        """The annual cost by sector, stacked by cost type, drawn for ``medium``
        (:func:`~circles.costs.model.cost_chart`)."""
        return cost_chart(self.model, title=title, medium=medium)


def _with_sources(totals: pd.DataFrame, model: CostModel) -> pd.DataFrame:
    """Sector totals with each sector's price year and sources (the total row: all of them)."""
    lines = model.lines.assign(price_year=model.line_price_years())
    out = totals.reset_index()
    years, sources = [], []
    for sector in out["sector"]:
        rows = lines if sector == "Total" and sector not in set(lines["sector"]) else lines[lines["sector"] == sector]
        years.append(price_year_label(list(rows["price_year"])))
        sources.append("; ".join(dict.fromkeys(map(str, rows["source"]))))
    return out.assign(price_year=years, sources=sources)


def _family_table(model: CostModel, per_case: float | None) -> pd.DataFrame:
    """How a family's annual cost is made up: its adults at the cost per case, then each cost per family."""
    family = model.family
    assert family is not None
    facts = model.provenance()
    rows = [
        {
            "item": f"{family.adults:g} adult(s) in need x cost per case",
            "annual_cost": round(family.adults * per_case, 2) if per_case is not None else None,
            "source": f"{family.adults_source}; cost per case: {'; '.join(map(str, facts['sources']))}",
            "price_year": facts["price_year"],
        }
    ]
    years = model.line_price_years(family.lines)
    for (_, line), year in zip(family.lines.iterrows(), years, strict=True):
        rows.append(
            {"item": line["line"], "annual_cost": line["annual_cost"], "source": line["source"], "price_year": year}
        )
    total = family.cost(per_case) if per_case is not None else None
    rows.append(
        {
            "item": "Family",
            "annual_cost": round(total, 2) if total is not None else None,
            "source": "the rows above",
            "price_year": model.provenance(with_family=True)["price_year"],
        }
    )
    return pd.DataFrame(rows)


def cost_of_problem(
    model: CostModel,
    *,
    adults: pd.Series | None,
    children: pd.Series | None = None,
    treated: pd.Series | None = None,
    prevalence_rates: Mapping[str, Rate],
    need: str,
    scenarios: Mapping[str, Any],
    years: int = 1,
    discount_rate: float = GREEN_BOOK_RATE,
    policy: DisclosurePolicy | None = None,
    layer: str | None = None,
    treatment_period: RecordsPeriod | None = None,
    treated_in_period: pd.Series | None = None,
) -> CostOfProblem:
    """Prevalence by area, treatment penetration, the cost per case, its apportionment and the savings scenarios.

    Parameters
    ----------
    model : CostModel
        From :func:`~circles.costs.model.read_cost_model`.
    adults : pandas.Series or None
        Adult population by area code (the denominator of the prevalence rates); ``None`` when there is none:
        then only the cost model's tables are computed, with a warning.
    children : pandas.Series, optional
        Child population by area code, for the children living with a misusing adult.
    treated : pandas.Series, optional
        Exact numbers of distinct people in treatment *a year* by area code, every area of ``adults`` once (0 for
        none); protected with ``policy`` before use. The prevalence is for one year, so records covering more (or
        less) than a year are annualised first (:func:`~circles.costs.period.people_per_year`).
    prevalence_rates : mapping
        Category → rate (see :func:`~circles.costs.estimates.prevalence`), e.g. ``{"hazardous": 0.176,
        "harmful": 0.055}``; two or more categories add up to ``misusing``.
    need : str
        The category treatment should reach and costs are per case of (e.g. ``"harmful"``).
    scenarios : mapping
        Scenario name → the number assumed to sustain change, or → ``{"count": 30, "unit": "family"}``; a
        scenario of families is priced at the model's family cost (see
        :func:`~circles.costs.scenarios.savings_scenarios`), with the model's savings shares.
    years : int, default 1
        Years of savings; more than one adds present values.
    discount_rate : float, default 0.035
        HM Treasury Green Book rate.
    policy : DisclosurePolicy, optional
        The small-number rule for the treatment counts (default: the ``"nhs"`` policy).
    layer : str, optional
        The name of the areas, used in messages.
    treatment_period : RecordsPeriod, optional
        The period of the records ``treated`` was counted from (and annualised over when it is not a year): the
        summary records it, and when it is not a year a warning and ``penetration_note`` say so, with
        ``treated_in_period`` (exact people in treatment over the whole period, by area) for comparison.

    Returns
    -------
    CostOfProblem

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.costs import read_cost_model
    >>> model = read_cost_model("pipelines/demo_costs.yaml")
    >>> adults = pd.Series({"E01000001": 60000, "E01000002": 42787}).rename_axis("area_code")
    >>> treated = pd.Series({"E01000001": 400, "E01000002": 228})
    >>> result = cost_of_problem(model, adults=adults, treated=treated,
    ...     prevalence_rates={"hazardous": 0.176, "harmful": 0.055}, need="harmful", scenarios={"3 people": 3})
    >>> result.prevalence["harmful"].tolist(), result.summary["cost_per_case"]
    ([3300, 2353], '£5,935')
    >>> result.penetration["in_treatment"].tolist()  # published counts: the nhs policy rounds to 5
    [400.0, 230.0, 630.0]
    >>> result.summary["total_rounded"], result.summary["price_year"]
    ('£33.6 million', 'not stated')
    >>> result.scenario_table()[["Scenario", "Unit", "Central", "High"]].values.tolist()
    [['3 people', 'person', '£13,354', '£17,805']]
    >>> cost_of_problem(model, adults=None, prevalence_rates={"harmful": 0.055}, need="harmful",
    ...     scenarios={"3 people": 3}).warnings
    ('no population; no prevalence, penetration or per-case cost',)
    """
    total = float(model.lines["annual_cost"].sum())
    lines = model.lines.drop(columns=[c for c in ("line_number",) if c in model.lines])
    summary: dict[str, Any] = {"total": format_gbp(total), **_provenance(model, total)}
    estimates = penetration = apportioned = per_case = children_count = table = None
    warnings: list[str] = []
    if adults is not None:
        estimates = prevalence(adults, prevalence_rates)
        need_by_area = estimates[need]
        borough_need = float(need_by_area.sum())
        summary["prevalence"] = {
            c: int(estimates[c].sum())
            for c in estimates.columns
            if c != "population" and not c.endswith(("_lower", "_upper"))
        }
        if children is not None and "misusing" in estimates:
            children_count = children_affected(
                float(adults.sum()), float(children.sum()), float(estimates["misusing"].sum())
            )
            summary["children_affected"] = int(round(children_count))
        if treated is not None:
            penetration = _penetration(treated, need_by_area, borough_need, policy or get_policy())
            overall = penetration.iloc[-1]
            shown = pd.notna(overall["penetration"])
            summary["treatment_penetration"] = round(float(overall["penetration"]), 4) if shown else None
            summary["in_treatment_per_year"] = int(overall["in_treatment"]) if shown else None
            if treatment_period is not None:
                period = treatment_period
                note = _period_note(period, treated_in_period, overall, borough_need, policy or get_policy())
                summary["treatment_period"] = period.as_dict() | {"annualised": not period.is_a_year}
                if note:
                    summary["penetration_note"] = note
                    warnings.append(f"treatment penetration: {note}")
        per_case = cost_per_case(total, borough_need)
        apportioned = apportion(total, need_by_area).rename("annual_cost")
        table = estimates.round().astype("int64")
    else:
        where = f" for layer {layer!r}" if layer else ""
        warnings.append(f"no population{where}; no prevalence, penetration or per-case cost")
    if per_case is not None:
        table_of_savings = _savings(model, per_case, scenarios, years, discount_rate)
        summary |= _unit_cost_summary(model, per_case, table_of_savings)
    else:
        table_of_savings = None
    if summary["price_years_mixed"]:
        warnings.append(f"the cost model's amounts are in {summary['price_year']}: say so beside every £ figure")
    return CostOfProblem(
        model=model,
        total=total,
        lines=lines,
        sector_totals=sector_totals(model, total_row=True),
        prevalence=table,
        children_affected=children_count,
        penetration=penetration,
        apportioned=apportioned,
        cost_per_case=per_case,
        scenarios=table_of_savings,
        summary=summary,
        warnings=tuple(warnings),
    )


def _provenance(model: CostModel, total: float) -> dict[str, Any]:
    """The total rounded for packs, with the sources and price year of the amounts behind it."""
    facts = model.provenance()
    return {
        "total_rounded": format_gbp_rounded(total),
        "price_year": facts["price_year"],
        "price_years_mixed": facts["mixed"],
        "sources": facts["sources"],
    }


def _savings(
    model: CostModel, per_case: float, scenarios: Mapping[str, Any], years: int, discount_rate: float
) -> pd.DataFrame:
    """The scenarios priced per person (the cost per case) or per family (the model's family cost)."""
    unit_costs = {"family": model.family.cost(per_case)} if model.family is not None else None
    shares = {key: share for key, (share, _) in model.savings.items()}
    return savings_scenarios(
        per_case, scenarios, years=years, discount_rate=discount_rate, unit_costs=unit_costs, **shares
    )


def _unit_cost_summary(model: CostModel, per_case: float, scenarios: pd.DataFrame) -> dict[str, Any]:
    """The manifest's cost per case and per family (exact and rounded), what a family is, and the savings shares."""
    out: dict[str, Any] = {"cost_per_case": format_gbp(per_case), "cost_per_case_rounded": format_gbp_rounded(per_case)}
    if model.family is not None:
        family = model.family
        out["cost_per_family"] = format_gbp(family.cost(per_case))
        out["cost_per_family_rounded"] = format_gbp_rounded(family.cost(per_case))
        out["family"] = {
            "description": family.description,
            "adults_per_family": family.adults,
            "adults_source": family.adults_source,
            "costs_per_family": [
                {"line": r["line"], "annual_cost": float(r["annual_cost"]), "source": r["source"]}
                for _, r in family.lines.iterrows()
            ],
            "price_year": model.provenance(with_family=True)["price_year"],
        }
    out["savings_shares"] = {key: {"share": share, "avoids": avoids} for key, (share, avoids) in model.savings.items()}
    out["scenario_units"] = dict(zip(scenarios["scenario"], scenarios["unit"], strict=True))
    return out


def _period_note(
    period: RecordsPeriod,
    in_period: pd.Series | None,
    overall: pd.Series,
    need: float,
    policy: DisclosurePolicy,
) -> str:
    """Why people in treatment were annualised, with the figure the whole period would have given; ``""`` for a year."""
    if period.is_a_year:
        return ""
    text = (
        f"the records cover {period.describe()} but the prevalence is for one year, so people in treatment were "
        "annualised (distinct people in each 12 months, added up, divided by the years)"
    )
    if pd.notna(overall["in_treatment"]):
        text += f": about {int(overall['in_treatment']):,} a year"
    whole, suppressed = protect_total(in_period, policy) if in_period is not None else (None, True)
    if whole is not None and not suppressed and need > 0:
        verb = "overstate" if period.years > 1 else "understate"
        text += (
            f". Dividing the {int(whole):,} people in treatment over the whole period by the one-year estimate "
            f"would {verb} penetration ({whole / need:.1%})"
        )
    return text + "."


def _penetration(treated: pd.Series, need: pd.Series, borough_need: float, policy: DisclosurePolicy) -> pd.DataFrame:
    """Penetration by area from the published counts, and for all areas from the exact total, then protected.

    ``treated`` may be unrounded (people a year, annualised): each area's count and the borough total are rounded
    half up to whole people on their own, so the total is not the sum of rounded areas (which would drift up).
    """
    exact_total = round_half_up(float(treated.sum()))
    treated = treated.map(lambda v: round_half_up(float(v))).astype("int64")
    table = treated.rename("in_treatment").rename_axis("area_code").reset_index()
    protected = protect_table(table, ["in_treatment"], policy)
    counts = protected.set_index("area_code")["in_treatment"].astype("Float64")
    shown = counts.notna().to_numpy()
    by_area = treatment_penetration(counts[shown].astype(float), need[counts.index[shown]])
    by_area = by_area.drop(index="all areas").reindex(counts.index)
    by_area["in_treatment"] = counts
    by_area["need"] = need.reindex(counts.index)
    overall_count, suppressed = protect_total(pd.Series([exact_total]), policy)
    overall = treatment_penetration(float(overall_count or 0), borough_need)
    overall.index = ["all areas"]
    if suppressed:
        overall[["in_treatment", "penetration", "lower", "upper"]] = np.nan
    return pd.concat([by_area, overall])
