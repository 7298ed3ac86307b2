"""The Change stage: the pilot's outcomes against a matched comparison group, benefits realised, the register.

Reads the ``change:`` section's cohort, outcomes and (optionally) family needs files, calls :mod:`circles.change`
and publishes under ``change/``:

==================================  =================================================================================
``effect.csv``                      crisis contacts and their cost a family-month, before and after, pilot and
                                    matched comparison; the difference-in-differences and its bootstrap interval;
                                    the smallest effect the evaluation could detect
``balance.csv``                     each covariate's standardised mean difference before and after matching
``crisis_by_month.csv``             crisis contacts a family-month by month from the start, pilot and comparison
``sustained_change.csv``            families whose crisis contacts stayed below their own before-start level at
                                    6, 12 and 18 months, pilot and comparison
``benefits_by_quarter.csv``         expected and realised benefits (pounds, discounted) by financial quarter
``family_outcomes.csv``             Supporting Families: families by status (successful, too early, ...)
``holding_back.csv``                the headline outcomes holding back the families not yet successful
``benefits_register.csv``/``.xlsx``  each benefit, measure, baseline, target, owner, latest value, status
``rows.csv``                        each input file's rows read, accepted and quarantined, by reason
==================================  =================================================================================

Every count of families is published through the run's disclosure policy; no family id or pseudonym leaves the
library's tables, which are never published. Rates and money are means over the groups, published only with
the group sizes as the policy shows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from circles.change.case import CaseForChange, crisis_contacts_named, describe_measures
from circles.change.outcomes import ChangeTable
from circles.errors import ChangeError
from circles.ingest.disclosure import SUPPRESSED, protect_table, protect_total
from circles.io.writers import write_csv, write_json, write_xlsx
from circles.pipeline.stages.base import RunState, disclosure_policy, publish_svgs, stage, synthetic_mark

if TYPE_CHECKING:
    from circles.change.effect import DiDResult
    from circles.pipeline.spec_change import ChangeSpec


def _secrets(run: RunState) -> None:
    """The cohort's family ids and their pseudonyms, for the audit (when the stage is reused from the cache)."""
    from circles.change.outcomes import combine_tables, frame_of, read_cohort

    spec = run.spec.change
    if spec is None:
        return
    cohort = [read_cohort(run.spec.resolve(p)) for p in spec.files("cohort")]
    _pseudonymised(run, frame_of(combine_tables(cohort, ["family_id"])))


@stage("change", uses=("design",), provides=("change",), section="change", secrets=_secrets)
def _stage_change(run: RunState) -> None:
    """The pilot against a matched comparison group: effect, benefits realised, family outcomes, the register."""
    from circles.change.effect import family_rates
    from circles.change.matching import propensity_match

    spec = run.spec.change
    if spec is None:
        run.log("stage 'change' skipped: no 'change:' section in the spec")
        return
    tables, cohort, outcomes, needs = _inputs(run, spec)
    as_of, after = _window(run, spec, cohort, outcomes)
    crisis = list(spec.crisis_measures)
    contacts = family_rates(outcomes, cohort, measures=crisis, before_months=spec.before_months, after_months=after)
    families, match_on = _covariates(run, spec, cohort, contacts)
    match = propensity_match(families, covariates=match_on, ratio=spec.ratio, caliper=spec.caliper, seed=spec.seed)
    weights = match.matched.set_index("family_id")["weight"]
    shown = _counts_text(run, match)
    summary: dict[str, Any] = {
        "as_of": as_of.date().isoformat(),
        "before_months": spec.before_months,
        "after_months": after,
        "ratio": spec.ratio,
        "match_on": match_on,
    }
    effects = {"crisis contacts": _did(spec, contacts, weights, "crisis contacts", shown)}
    costs = _unit_costs(run)
    if costs is not None:
        priced = family_rates(
            outcomes,
            cohort,
            measures=crisis,
            before_months=spec.before_months,
            after_months=after,
            weights=_prices(spec, costs),
        )
        effects["crisis cost (£)"] = _did(spec, priced, weights, "crisis cost (£)", shown)
    case = _case(run, spec)
    summary |= _publish_effect(run, spec, match, effects, contacts, weights, shown)
    _publish_trend(run, spec, outcomes, cohort, match, after)
    if costs is not None:
        summary |= _benefits(run, spec, case, cohort, effects["crisis cost (£)"], costs, as_of, after)
    else:
        run.warnings.append("change: benefits are not priced: add design.unit_costs (and list 'design')")
    if needs is not None:
        summary |= _family_outcomes(run, spec, cohort, needs, as_of)
    summary |= _register(run, spec, case, outcomes, cohort, effects, summary)
    summary |= _publish_case(run, spec, case)
    summary["rows"] = _publish_rows(run, tables)
    run.manifest["change"] = summary
    effect = effects["crisis contacts"]
    run.log(
        f"change: {effect.estimate:+.2f} crisis contacts a family-month ({effect.lower:+.2f} to "
        f"{effect.upper:+.2f}); {shown[0]} pilot families matched to {shown[1]} comparison families"
    )


# ------------------------------------------------------------------------------------------------ inputs
def _inputs(
    run: RunState, spec: ChangeSpec
) -> tuple[list[ChangeTable], pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Every file read (a later file repeating an earlier one's family, or month and measure, quarantined), rows of
    families the cohort lacks quarantined, family ids pseudonymised with the run's key (and audited); the tables
    for the row accounting, and the cohort, outcomes and family needs (``None`` without a needs file)."""
    from circles.change.outcomes import (
        combine_tables,
        frame_of,
        keep_cohort_families,
        read_cohort,
        read_family_needs,
        read_outcomes,
    )

    def read(kind: str, reader: Any, key: list[str]) -> list[ChangeTable]:
        return combine_tables([reader(run.spec.resolve(p)) for p in spec.files(kind)], key)

    cohorts = read("cohort", read_cohort, ["family_id"])
    known = ChangeTable(frame_of(cohorts), cohorts[0].quarantine, ", ".join(t.file for t in cohorts), 0)
    outcomes = [
        keep_cohort_families(t, known) for t in read("outcomes", read_outcomes, ["family_id", "period", "measure"])
    ]
    given = read("family_needs", read_family_needs, ["family_id", "headline_outcome"])
    needs = [keep_cohort_families(t, known) for t in given]
    tables = [*cohorts, *outcomes, *needs]
    for table in tables:
        if len(table.quarantine):
            run.warnings.append(f"change: {table.file}: {len(table.quarantine)} row(s) quarantined (change/rows.csv)")
    frames = [_pseudonymised(run, frame_of(group)) for group in (cohorts, outcomes, needs) if group]
    return tables, frames[0], frames[1], frames[2] if needs else None


def _pseudonymised(run: RunState, frame: pd.DataFrame) -> pd.DataFrame:
    from circles.ingest.pseudonyms import pseudonymise
    from circles.pipeline.stages.ingest import pseudonym_key

    ids = frame["family_id"]
    run.secrets_identifiers.update(ids.unique())
    key, scope = pseudonym_key(run.spec)
    if key is None:
        return frame
    pseudonyms = pseudonymise(ids, key, scope=scope, field="family_id")
    run.secrets_pseudonyms.update(pseudonyms.unique())
    return frame.assign(family_id=pseudonyms)


def _window(run: RunState, spec: ChangeSpec, cohort: pd.DataFrame, outcomes: pd.DataFrame) -> tuple[pd.Timestamp, int]:
    """The date the outcomes run to, and the months after the start every pilot family has been followed."""
    last = outcomes["period"].max() if len(outcomes) else None
    if last is None:
        raise ChangeError(f"{spec.outcomes.name}: no outcome row was accepted, so nothing can be measured")
    as_of = pd.Timestamp(spec.as_of) if spec.as_of is not None else last.to_timestamp(how="end").normalize()
    latest_start = cohort.loc[cohort["group"] == "pilot", "start_date"].max()
    if pd.isna(latest_start):
        raise ChangeError(f"{spec.cohort.name}: no pilot family was accepted: check the 'group' column")
    followed = (as_of.to_period("M") - latest_start.to_period("M")).n + 1
    after = min(spec.after_months, followed)
    if after < 1:
        raise ChangeError(f"change.as_of {as_of.date()} is before the last pilot family started: nothing to measure")
    if after < spec.after_months:
        run.warnings.append(
            f"change: every pilot family has been followed {after} month(s) by {as_of.date()}, not "
            f"change.after_months {spec.after_months}: the effect is measured over {after}"
        )
    return as_of, after


def _covariates(
    run: RunState, spec: ChangeSpec, cohort: pd.DataFrame, contacts: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """The cohort with the derived covariates (deprivation, prior crisis contacts), and those it can be matched on.

    No 'deprivation:' section, or an optional IMD table that is absent, drops deprivation from the matching, with
    a warning saying so.
    """
    families = cohort.merge(contacts[["family_id", "before"]], on="family_id", how="left")
    families["prior_crisis"] = families["before"].fillna(0.0)
    match_on = list(spec.match_on)
    if "deprivation" in match_on:
        from circles.geo.deprivation import read_imd

        d = run.spec.deprivation
        path = run.spec.resolve(d.path) if d is not None else None
        if path is None or (d.optional and not path.exists()):
            why = "the spec has no 'deprivation:' section" if path is None else f"the IMD table {path} is absent"
            run.warnings.append(f"change: {why}, so the families are matched without deprivation (change.match_on)")
            return families.drop(columns="before"), [c for c in match_on if c != "deprivation"]
        imd = read_imd(path, code=d.code, decile=d.decile).set_index("area_code")["imd_decile"]
        families["deprivation"] = families["lsoa_code"].map(imd).astype(float)
        unknown = int(families["deprivation"].isna().sum())
        if unknown:
            run.warnings.append(
                f"change: {unknown} family(ies) with no IMD decile (LSOA code blank or unknown) "
                "are matched at the borough's median decile"
            )
            families["deprivation"] = families["deprivation"].fillna(families["deprivation"].median())
    return families.drop(columns="before"), match_on


def _unit_costs(run: RunState) -> pd.DataFrame | None:
    """The design section's unit costs (file or inline), which price the crisis contacts avoided, or ``None``."""
    from circles.design.unit_costs import read_unit_costs

    declared = run.spec.design.unit_costs if run.spec.design is not None else None
    if declared is None:
        return None
    return read_unit_costs(declared if isinstance(declared, list) else run.spec.resolve(declared))


def _prices(spec: ChangeSpec, costs: pd.DataFrame) -> dict[str, float]:
    items = dict(zip(costs["item"], costs["cost"].astype(float), strict=True))
    unknown = [item for item in spec.crisis_measures.values() if item not in items]
    if unknown:
        from circles.validation import suggest

        raise ChangeError(
            f"change.crisis_measures prices with {unknown[0]!r}, which is not a design.unit_costs item."
            f"{suggest(unknown[0], items)}"
        )
    return {measure: items[item] for measure, item in spec.crisis_measures.items()}


def _did(spec: ChangeSpec, rates: pd.DataFrame, weights: pd.Series, measure: str, shown: tuple[str, str]) -> DiDResult:
    from circles.change.effect import difference_in_differences

    kept = rates[rates["family_id"].isin(weights.index)]
    return difference_in_differences(
        kept,
        weights=weights,
        n_resamples=spec.bootstrap,
        level=spec.level,
        seed=spec.seed,
        measure=measure,
        counts_shown=shown,
    )


def _counts_text(run: RunState, match: Any) -> tuple[str, str]:
    """The matched pilot and comparison families as text the disclosure policy allows ("about 30")."""
    policy = disclosure_policy(run)
    groups = match.matched["group"].value_counts()
    out = []
    for group in ("pilot", "comparison"):
        n = _published(int(groups.get(group, 0)), run)
        out.append(
            f"fewer than {policy.suppress_below}" if n is None else f"about {n}" if policy.round_to > 1 else str(n)
        )
    return out[0], out[1]


# ------------------------------------------------------------------------------------------------ publishing
def _publish(run: RunState, relative: str, table: pd.DataFrame) -> None:
    run.publish(f"change/{relative}", lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))


def _published(value: int, run: RunState) -> int | None:
    shown, _ = protect_total(pd.Series([value]), disclosure_policy(run))
    return shown


def _publish_effect(
    run: RunState,
    spec: ChangeSpec,
    match: Any,
    effects: dict[str, DiDResult],
    contacts: pd.DataFrame,
    weights: pd.Series,
    shown: tuple[str, str],
) -> dict[str, Any]:
    """``effect.csv`` and ``balance.csv`` (with its figure); the minimum detectable effect."""
    from circles.change.effect import minimum_detectable_effect

    kept = contacts[contacts["family_id"].isin(weights.index)]
    alpha = round(1 - spec.level, 6)
    mde = minimum_detectable_effect(kept, alpha=alpha, power=spec.power, weights=weights, counts_shown=shown)
    rows = []
    for name, e in effects.items():
        rows.append(
            {
                "measure": f"{name} a family-month",
                "pilot_before": e.pilot_before,
                "pilot_after": e.pilot_after,
                "comparison_before": e.comparison_before,
                "comparison_after": e.comparison_after,
                "difference_in_differences": e.estimate,
                "lower": e.lower,
                "upper": e.upper,
                "level": e.level,
                "pilot_families": _published(e.n_pilot, run),
                "comparison_families": _published(e.n_comparison, run),
            }
        )
    table = pd.DataFrame(rows).round(4)
    _publish(run, "effect.csv", table)
    balance = match.balance.round(4)
    _publish(run, "balance.csv", balance)
    title = f"How alike the pilot and comparison families are, before and after matching{synthetic_mark(run)}"
    publish_svgs(run, "change/balance", lambda m: _figure("balance_figure", balance, title, m))
    e = effects["crisis contacts"]
    return {
        "effect": {
            name: {
                "estimate": r.estimate,
                "lower": r.lower,
                "upper": r.upper,
                "level": r.level,
                "pilot_before": r.pilot_before,
                "pilot_after": r.pilot_after,
                "comparison_before": r.comparison_before,
                "comparison_after": r.comparison_after,
            }
            for name, r in effects.items()
        },
        "families": {
            "pilot": _published(e.n_pilot, run),
            "comparison": _published(e.n_comparison, run),
            "pilot_unmatched": _published(len(match.unmatched), run),
        },
        "balance_max_smd_after": float(match.balance["smd_after"].abs().max()),
        "detectable": {
            "mde": mde.mde,
            "share_of_baseline": mde.share_of_baseline,
            "power": mde.power,
            "alpha": mde.alpha,
            "statement": mde.statement,
        },
        "method": {
            "matching": f"propensity scores (logistic regression on {', '.join(match.covariates)}), nearest "
            f"neighbour on the logit without replacement, {spec.ratio} comparison families a pilot family, "
            f"caliper {spec.caliper} SD of the logit (Austin 2011)",
            "effect": e.method,
        },
    }


def _figure(name: str, table: pd.DataFrame, title: str, medium: Any) -> Any:
    from circles.change import figures

    return getattr(figures, name)(table, title=title, medium=medium)


def _publish_trend(
    run: RunState, spec: ChangeSpec, outcomes: pd.DataFrame, cohort: pd.DataFrame, match: Any, after: int
) -> None:
    """``crisis_by_month.csv`` and its figure: matched families' weighted mean contacts by month from the start."""
    from circles.change.tracking import monthly_rates, sustained_change

    matched = match.matched[["family_id", "group", "weight", "start_date"]]
    trend = monthly_rates(
        outcomes, matched, measures=list(spec.crisis_measures), before_months=spec.before_months, after_months=after
    )
    trend["families"] = [_published(int(n), run) for n in trend["families"]]
    trend = trend.round({"rate": 4})
    _publish(run, "crisis_by_month.csv", trend)
    named = _crisis_named(spec)
    title = f"{named[:1].upper()}{named[1:]} a family a month, pilot and matched comparison{synthetic_mark(run)}"
    publish_svgs(run, "change/crisis_trend", lambda m: _figure("crisis_trend_figure", trend, title, m))
    sustained = sustained_change(
        outcomes, matched, measures=list(spec.crisis_measures), before_months=spec.before_months, followed=after
    )
    policy = disclosure_policy(run)
    shown = protect_table(sustained, ["families", "sustained"], policy)
    families = pd.to_numeric(shown["families"], errors="coerce")  # from the published counts, never the exact
    shown["share"] = (pd.to_numeric(shown["sustained"], errors="coerce") / families.where(families > 0)).round(2)
    _publish(run, "sustained_change.csv", shown)


def _benefits(
    run: RunState,
    spec: ChangeSpec,
    case: CaseForChange,
    cohort: pd.DataFrame,
    effect: DiDResult,
    costs: pd.DataFrame,
    as_of: pd.Timestamp,
    after: int,
) -> dict[str, Any]:
    """``benefits_by_quarter.csv`` and its figure: realised against what the appraisal expected."""
    from circles.change.benefits import benefits_by_quarter, expected_per_family_month, pilot_family_months

    expected, option, unmeasured = _expected(run, spec, case, costs)
    months = pilot_family_months(cohort, after_months=after, as_of=as_of)
    start = cohort.loc[cohort["group"] == "pilot", "start_date"].min()
    rate = _rate(run)
    result = benefits_by_quarter(
        effect, months, expected_per_family_month(expected, _item_costs(costs)), start=start, rate=rate
    )
    _publish(run, "benefits_by_quarter.csv", result.table)
    title = f"Benefits expected and realised so far, cumulative by quarter{synthetic_mark(run)}"
    publish_svgs(run, "change/benefits_by_quarter", lambda m: _figure("benefits_figure", result.table, title, m))
    return {
        "benefits": {
            "realised": result.realised,
            "realised_low": result.realised_low,
            "realised_high": result.realised_high,
            "expected": result.expected,
            "expected_low": result.expected_low,
            "expected_high": result.expected_high,
            "level": result.level,
            "discount_rate": rate,
            "option": option,
            "expected_not_measured": unmeasured,
            "price_year": str(costs["price_year"].iloc[0]),
            "method": result.method,
        }
    }


def _item_costs(costs: pd.DataFrame) -> dict[str, float]:
    return dict(zip(costs["item"], costs["cost"].astype(float), strict=True))


def _rate(run: RunState) -> float:
    from circles.costs.scenarios import GREEN_BOOK_RATE

    if run.spec.design is not None and run.spec.design.discount_rate is not None:
        return run.spec.design.discount_rate
    return run.spec.costs.discount_rate if run.spec.costs is not None else GREEN_BOOK_RATE


def _case(run: RunState, spec: ChangeSpec) -> CaseForChange:
    """The case for change file, its option checked against the appraisal's options when there are any."""
    from circles.change.case import read_case

    if spec.case is None:
        return CaseForChange()
    return read_case(run.spec.resolve(spec.case), options=_options(run))


def _options(run: RunState) -> list[str] | None:
    from circles.design.options import read_options

    if run.spec.design is None or run.spec.design.options is None:
        return None
    return [o.id for o in read_options(run.spec.resolve(run.spec.design.options)).options]


def _expected(
    run: RunState, spec: ChangeSpec, case: CaseForChange, costs: pd.DataFrame
) -> tuple[dict[str, tuple], str | None, list]:
    """The contacts a family a year the appraisal expected the pilot's option to avoid (none without one)."""
    from circles.design.options import read_options

    if case.option is None or run.spec.design is None or run.spec.design.options is None:
        run.warnings.append(
            "change: no expected benefits to compare with: name the option the pilot tests "
            "(change.case's option) and give design.options"
        )
        return {}, None, []
    option = next(o for o in read_options(run.spec.resolve(run.spec.design.options)).options if o.id == case.option)
    measured = set(spec.crisis_measures.values())
    unmeasured = [a.item for a in option.avoided if a.item not in measured]
    if unmeasured:
        run.warnings.append(
            f"change: the appraisal expects {option.name!r} to avoid {', '.join(unmeasured)} too, which the "
            "outcomes do not measure: expected benefits count only the contacts the pilot measures"
        )
    return {a.item: (a.low, a.central, a.high) for a in option.avoided if a.item in measured}, option.name, unmeasured


def _family_outcomes(
    run: RunState, spec: ChangeSpec, cohort: pd.DataFrame, needs: pd.DataFrame, as_of: pd.Timestamp
) -> dict[str, Any]:
    """Supporting Families: families by status and the needs holding the rest back, disclosure-controlled."""
    from circles.change.sfof import successful_family_outcomes
    from circles.planner.issues import default_family_issues

    headline = default_family_issues().outcomes  # the ten headline outcomes: code -> what councils call it
    result = successful_family_outcomes(
        cohort, needs, as_of=as_of, sustain_months=spec.sustain_months, known_outcomes=set(headline)
    )
    policy = disclosure_policy(run)
    summary = protect_table(result.summary, ["families"], policy)
    holding = protect_table(result.holding_back, ["families"], policy)
    holding.insert(1, "outcome", holding["headline_outcome"].map(headline))
    _publish(run, "family_outcomes.csv", summary)
    _publish(run, "holding_back.csv", holding)
    shown = dict(zip(summary["status"], summary["families"].astype(object), strict=True))
    first = holding.dropna(subset=["families"]).sort_values("families", ascending=False, kind="stable")
    return {
        "family_outcomes": {
            "assessed": _published(len(result.families), run),
            "by_status": {k: (None if pd.isna(v) else int(v)) for k, v in shown.items()},
            "holding_back_most": first["headline_outcome"].iloc[0] if len(first) else None,
            "rule": result.rule,
            "as_of": result.as_of.date().isoformat(),
        }
    }


def _register(
    run: RunState,
    spec: ChangeSpec,
    case: CaseForChange,
    outcomes: pd.DataFrame,
    cohort: pd.DataFrame,
    effects: dict[str, DiDResult],
    summary: dict[str, Any],
) -> dict[str, Any]:
    """``benefits_register.csv`` and ``.xlsx``: the case file's benefits with their latest values."""
    from circles.change.register import benefits_register

    if not case.benefits:
        return {"register": "no benefits listed (change.case's benefits)"}
    contacts, cost = effects["crisis contacts"], effects.get("crisis cost (£)")
    pilot = cohort.loc[cohort["group"] == "pilot", "family_id"]
    wellbeing = outcomes[(outcomes["measure"] == spec.wellbeing_measure) & outcomes["family_id"].isin(pilot)]
    # each pilot family's latest score, averaged: the last month alone holds only the families still open
    last = wellbeing.sort_values("period").groupby("family_id")["value"].last()
    shown = (summary.get("family_outcomes") or {}).get("by_status") or {}
    successful = None  # not measured without a family needs file; "*" when the policy suppresses the count
    if "family_outcomes" in summary:
        successful = SUPPRESSED if shown.get("successful") is None else shown["successful"]
    benefits = summary.get("benefits") or {}
    latest = {
        "crisis_contacts_per_family_month": contacts.pilot_after,
        "crisis_cost_per_family_month": cost.pilot_after if cost else None,
        "wellbeing": float(last.mean()) if len(last) else None,
        "successful_families": successful,
        "realised_benefit_gbp": benefits.get("realised"),
    }
    baselines = {
        "crisis_contacts_per_family_month": _counterfactual(contacts),
        "crisis_cost_per_family_month": _counterfactual(cost) if cost else None,
    }
    intervals = {"realised_benefit_gbp": (benefits["realised_low"], benefits["realised_high"])} if benefits else {}
    table = benefits_register(case.benefits, latest, baselines, intervals, describe_measures(_crisis_items(spec)))
    run.publish("change/benefits_register.csv", lambda p: write_csv(table, p))  # blank: no interval; "*": suppressed
    title = "Benefits register" + synthetic_mark(run)
    run.publish("change/benefits_register.xlsx", lambda p: write_xlsx({"Benefits register": table}, p, title=title))
    return {"register": dict(zip(table["id"], table["status"], strict=True))}


def _crisis_items(spec: ChangeSpec) -> list[str]:
    """The unit-cost items the crisis measures are priced as (``A&E attendance``...): what the contacts are."""
    return list(dict.fromkeys(spec.crisis_measures.values()))


def _crisis_named(spec: ChangeSpec) -> str:
    """``crisis contacts (A&E attendance, Police incident attended)``: the words figures and the pack use."""
    return crisis_contacts_named(_crisis_items(spec))


def _publish_case(run: RunState, spec: ChangeSpec, case: CaseForChange) -> dict[str, Any]:
    """``case_for_change.json``: the case file's words for the pack (reason, champions, owners, risks, measures,
    next steps), and what the crisis contacts are. Champions and owners are roles: nothing describes a person."""
    described = describe_measures(_crisis_items(spec))
    text = case.model_dump(exclude={"benefits"})
    text["measures"] = [m | {"what": described.get(m["measure"], "")} for m in text["measures"]]
    text["crisis_contacts"] = _crisis_named(spec)
    run.publish("change/case_for_change.json", lambda p: write_json(text, p))
    return {"case": {"name": case.name, "option": case.option, "illustrative": case.illustrative}}


def _counterfactual(e: DiDResult) -> float:
    """What the pilot would have had after the start without it: its before value moved as the comparison's."""
    return e.pilot_before + (e.comparison_after - e.comparison_before)


def _publish_rows(run: RunState, tables: list[ChangeTable]) -> dict[str, dict[str, int]]:
    """``rows.csv``: each file's rows read, accepted and quarantined by reason (line numbers, never values)."""
    rows, out = [], {}
    for t in tables:
        reasons = t.quarantine.drop_duplicates("source_row").groupby("reason").size()
        out[t.file] = {"read": t.read, "accepted": t.accepted, "quarantined": t.read - t.accepted}
        rows.append({"file": t.file, "reason": "accepted", "rows": t.accepted})
        rows += [{"file": t.file, "reason": r, "rows": int(n)} for r, n in reasons.items()]
        if t.read != t.accepted + int(t.quarantine["source_row"].nunique()):
            raise ChangeError(f"{t.file}: rows read ({t.read}) are not accepted + quarantined: a circles bug")
    _publish(run, "rows.csv", pd.DataFrame(rows))
    if any(len(t.quarantine) for t in tables):
        lines = pd.concat([t.quarantine for t in tables], ignore_index=True)
        _publish(run, "quarantine.csv", lines.drop(columns="message"))
    return out
