"""The Design stage: customer journeys, the way to planned support, failure demand, who is best placed, options.

Reads the take-up records (one row a contact), calls :mod:`circles.design` and publishes under ``design/``:

==================================  =================================================================================
``journeys_common.csv``             the commonest journeys (first n services), families per journey
``journeys_sankey.html``            the same journeys as a Sankey diagram (plotly, opens offline)
``routes_in.csv``                   families by the route of their first contact, crisis or planned
``time_to_planned_support.csv``     Kaplan–Meier table, first crisis contact to first planned contact
``telling_my_story.csv``            distinct services met within the window of a family's first contact
``repeat_presentations.csv``        crisis contacts back within each window of the last crisis contact
``failure_demand.csv``              per service and overall, Wilson intervals, costed with the unit costs
``best_placed.csv``                 per need, candidate services scored (with a ``services:`` section)
``options.csv``, ``options_*``      the options appraisal: NPV low/central/high and the tornado figure
==================================  =================================================================================

Every count is published through the run's disclosure policy; no family id or pseudonym leaves the library's
exact tables, which are never published.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from circles.errors import CirclesError
from circles.ingest.disclosure import SUPPRESSED, protect_total
from circles.io.writers import write_csv
from circles.pipeline.stages.base import (
    RunState,
    disclosure_policy,
    period_suffix,
    publish_svgs,
    records_of,
    stage,
    synthetic_mark,
)

if TYPE_CHECKING:
    from circles.pipeline.spec_design import DesignSpec

#: Method notes for the manifest (and the packs): what each published measure counts.
METHOD = {
    "journeys": "families by the sequence of services they met (start date order, a run of contacts at one "
    "service is one step), first {steps} steps; the {top} commonest the policy publishes are listed, the rest "
    "gathered in 'Other journeys'",
    "routes_in": "families by the referral route of their first contact; crisis routes: {crisis}",
    "time_to_planned_support": "Kaplan-Meier (scipy.stats.ecdf, right-censored): days from a family's first "
    "crisis contact to its first planned contact on or after it; censored at the last start date in the records "
    "({end}); 95% interval exponential Greenwood (log-log); published at days 0, 7, 14, 30, 60, 90, 180, 365, 730 "
    "and the longest follow-up, with the families reached and censored in each interval",
    "telling_my_story": "distinct services met within {window} days of the family's first contact (every "
    "contact taken as an assessment)",
    "repeat_presentations": "crisis contacts whose family's previous crisis contact started at most the window's "
    "days before; Wilson 95% intervals from the published counts",
    "failure_demand": "Seddon: repeats (same service within {repeat} days), re-referrals (within {rereferral} "
    "days of the service closing the last contact) and crisis contacts after planned support started; a contact "
    "counted once; Wilson 95% intervals; cost = published failure-demand contacts x unit cost",
}


def crisis_routes(run: RunState) -> list[str]:
    """The design section's crisis routes, else the services section's crisis referrals, else the library's."""
    from circles.design import CRISIS_ROUTES

    spec = run.spec.design
    if spec is not None and spec.crisis_routes is not None:
        return list(spec.crisis_routes)
    if run.spec.services is not None and run.spec.services.crisis_referrals:
        return list(run.spec.services.crisis_referrals)
    return list(CRISIS_ROUTES)


@stage("design", needs=("records",), uses=("challenge",), provides=("design",), section="design")
def _stage_design(run: RunState) -> None:
    """Customer journeys, time to planned support, telling my story again, repeats, failure demand, options."""
    spec = run.spec.design
    if spec is None:
        run.log("stage 'design' skipped: no 'design:' section in the spec")
        return
    contacts = _contacts(run, spec)
    if contacts is None:
        return
    crisis, policy = crisis_routes(run), disclosure_policy(run)
    summary: dict[str, Any] = {"crisis_routes": crisis, "method": {}}
    summary |= _journeys(run, spec, contacts, crisis, policy, summary["method"])
    costs = _unit_costs(run, spec)
    summary |= _failure_demand(run, spec, contacts, crisis, policy, summary["method"], costs)
    if run.spec.services is not None:
        summary |= _best_placed(run, spec, contacts, policy)
    else:
        summary["best_placed"] = "not scored: the spec has no 'services:' section (the service directory)"
    if spec.options is not None:
        summary |= _options(run, spec, costs)
    run.manifest["design"] = summary
    run.log(
        f"design: {summary.get('families') or SUPPRESSED} families' journeys; failure demand "
        f"{_percent(summary.get('failure_demand_share'))} of contacts"
    )


def _percent(share: float | None) -> str:
    return "unknown" if share is None or pd.isna(share) else f"{share:.0%}"


def _contacts(run: RunState, spec: DesignSpec) -> pd.DataFrame | None:
    """The records' contact columns; rows without a family or start date left out (counted in a warning)."""
    records = records_of(run, "design")
    fields = [spec.family_field, spec.service_field, spec.route_field, spec.start_field]
    lacking = [f for f in fields if f not in records or records[f].isna().all()]
    if lacking:
        run.warnings.append(
            f"design: the records have no '{lacking[0]}' values, so no customer journeys (they follow families "
            f"from service to service by date): map it under sources, or set design.{_key(spec, lacking[0])}"
        )
        return None
    optional = [f for f in (spec.organisation_field, spec.end_field) if f in records]
    contacts = records[fields + optional].copy()
    for date in [spec.start_field, *([spec.end_field] if spec.end_field in contacts else [])]:
        if not pd.api.types.is_datetime64_any_dtype(contacts[date]):  # not validated: a date not ISO is unread
            contacts[date] = pd.to_datetime(contacts[date], format="ISO8601", errors="coerce")
    usable = contacts[spec.family_field].notna() & contacts[spec.start_field].notna()
    if not usable.all():
        left_out, _ = protect_total(pd.Series([int((~usable).sum())]), disclosure_policy(run))
        run.warnings.append(
            f"design: {left_out if left_out is not None else SUPPRESSED} contact(s) without a family id or a "
            "readable start date left out of the journeys (list 'validate' to read each source's date formats)"
        )
        contacts = contacts[usable]
    if contacts.empty:
        run.warnings.append("design: no contact has both a family id and a start date, so no customer journeys")
        return None
    if spec.organisation_field not in contacts:
        contacts = contacts.assign(**{spec.organisation_field: ""})
    if spec.end_field not in contacts:
        contacts = contacts.assign(**{spec.end_field: pd.NaT})
    return contacts


def _key(spec: DesignSpec, field: str) -> str:
    names = {v: k for k, v in spec.model_dump().items() if k.endswith("_field") and isinstance(v, str)}
    return names.get(field, "family_field")


def _publish(run: RunState, relative: str, table: pd.DataFrame) -> None:
    run.publish(f"design/{relative}", lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))


def _publish_sankey(run: RunState, journeys: pd.DataFrame) -> None:
    """``design/journeys_sankey.html``: the published journeys as a Sankey diagram that opens offline."""
    from circles.design import OTHER_JOURNEYS
    from circles.design.sankey import journeys_sankey
    from circles.figures.interactive_maps import write_html

    other = pd.to_numeric(journeys.loc[journeys["journey"] == OTHER_JOURNEYS, "families"], errors="coerce").dropna()
    title = f"The commonest journeys through services{period_suffix(run)}{synthetic_mark(run)}"
    figure = journeys_sankey(journeys, title=title, unshown=int(other.sum()) if len(other) else None)
    run.publish("design/journeys_sankey.html", lambda p: write_html(figure, p, plotlyjs=run.spec.maps.plotlyjs))


def _journeys(
    run: RunState, spec: DesignSpec, contacts: pd.DataFrame, crisis: list[str], policy: Any, notes: dict[str, str]
) -> dict[str, Any]:
    """Journeys, routes in, time to planned support and telling my story again: published, and their summary."""
    from circles.design import customer_journeys, survival_at, telling_my_story_again, time_to_planned_support

    family, start = spec.family_field, spec.start_field
    journeys = customer_journeys(
        contacts,
        family=family,
        service=spec.service_field,
        organisation=spec.organisation_field,
        route=spec.route_field,
        start=start,
        crisis_routes=crisis,
        steps=spec.journey_steps,
        top=spec.top_journeys,
        policy=policy,
    )
    _publish(run, "journeys_common.csv", journeys.journeys)
    _publish_sankey(run, journeys.journeys)
    _publish(run, "routes_in.csv", journeys.routes)
    story = telling_my_story_again(
        contacts, family=family, service=spec.service_field, start=start, window_days=spec.story_window_days,
        policy=policy,
    )  # fmt: skip
    _publish(run, "telling_my_story.csv", story.distribution)
    out: dict[str, Any] = {"families": journeys.families, "journeys_published_sum": journeys.published_sum}
    try:
        km = time_to_planned_support(
            contacts, family=family, route=spec.route_field, start=start, crisis_routes=crisis, policy=policy
        )
    except CirclesError as exc:
        run.warnings.append(f"design: no time to planned support: {exc}")
        end = "no crisis contacts"
    else:
        curve = survival_at(km)  # at a few days: the exact steps would give away each day's events
        _publish(run, "time_to_planned_support.csv", curve)
        publish_svgs(run, "design/time_to_planned_support", lambda m: _km_figure(curve, km.median, run, m))
        end = str(km.end_of_data.date())
        out["time_to_planned_support"] = {
            "families_in_crisis": km.families,
            "reached_planned_support": km.reached,
            "median_days": km.median,
            "lower_quartile_days": km.lower_quartile,
            "upper_quartile_days": km.upper_quartile,
            "censored_at": end,
        }
    out["story_families"] = story.families
    notes |= {
        "journeys": METHOD["journeys"].format(steps=spec.journey_steps, top=spec.top_journeys),
        "routes_in": METHOD["routes_in"].format(crisis=", ".join(crisis)),
        "time_to_planned_support": METHOD["time_to_planned_support"].format(end=end),
        "telling_my_story": METHOD["telling_my_story"].format(window=spec.story_window_days),
    }
    return out


def _km_figure(curve: pd.DataFrame, median: float | None, run: RunState, medium: Any) -> Any:
    """The share of families still waiting for planned support, by days since their first crisis contact."""
    from circles.design.figures import survival_figure

    title = f"Time from first crisis contact to planned support{synthetic_mark(run)}"
    return survival_figure(curve, median=median, title=title, medium=medium)


def _unit_costs(run: RunState, spec: DesignSpec) -> pd.DataFrame | None:
    """The spec's unit costs (file or inline), checked, or ``None``."""
    from circles.design.unit_costs import read_unit_costs

    if spec.unit_costs is None:
        return None
    return read_unit_costs(spec.unit_costs if isinstance(spec.unit_costs, list) else run.spec.resolve(spec.unit_costs))


def _failure_demand(
    run: RunState,
    spec: DesignSpec,
    contacts: pd.DataFrame,
    crisis: list[str],
    policy: Any,
    notes: dict[str, str],
    costs: pd.DataFrame | None,
) -> dict[str, Any]:
    """Repeat presentations and failure demand (costed when the spec gives unit costs): published, and summary."""
    from circles.design import failure_demand, repeat_presentations
    from circles.design.unit_costs import unit_costs_by_service

    family, start, route = spec.family_field, spec.start_field, spec.route_field
    repeats = repeat_presentations(
        contacts, family=family, route=route, start=start, crisis_routes=crisis, windows=spec.repeat_windows,
        policy=policy,
    )  # fmt: skip
    _publish(run, "repeat_presentations.csv", repeats.table)
    result = failure_demand(
        contacts,
        family=family,
        service=spec.service_field,
        route=route,
        start=start,
        end=spec.end_field,
        crisis_routes=crisis,
        repeat_days=spec.repeat_days,
        rereferral_days=spec.rereferral_days,
        unit_costs=unit_costs_by_service(costs) if costs is not None else None,
        policy=policy,
    )
    _publish(run, "failure_demand.csv", _failure_table(result))
    overall = result.overall.iloc[0]
    out: dict[str, Any] = {
        "failure_demand_share": None
        if pd.isna(overall["failure_demand_share"])
        else float(overall["failure_demand_share"]),
        "repeat_windows": spec.repeat_windows,
    }
    if costs is not None:
        out["failure_demand_cost"] = float(overall["failure_cost"])
        out["unit_costs"] = {
            "price_year": str(costs["price_year"].iloc[0]),
            "items": len(costs),
            "illustrative": bool(costs.attrs.get("illustrative")),
            "uncosted_services": list(result.uncosted),
        }
        if result.uncosted:
            run.warnings.append(
                f"design: failure demand at {len(result.uncosted)} service(s) not costed (no unit cost, or a "
                f"suppressed count): {', '.join(result.uncosted)}"
            )
    notes |= {
        "repeat_presentations": METHOD["repeat_presentations"],
        "failure_demand": METHOD["failure_demand"].format(repeat=spec.repeat_days, rereferral=spec.rereferral_days),
    }
    return out


def _failure_table(result: Any) -> pd.DataFrame:
    """Per service then overall, as published: ``*`` only where a count (or what is drawn from it) is suppressed;
    blank for a suppression reason that does not apply and for a service without a unit cost."""
    table = pd.concat([result.by_service, result.overall], ignore_index=True).astype(object)
    for column in [c for c in table.columns if c.endswith("_suppression")]:
        table[column] = table[column].fillna("")
    for column in [c for c in ("unit_cost", "cost_source", "price_year") if c in table]:
        table[column] = table[column].fillna("")
    if "failure_cost" in table:
        uncosted = table["failure_cost"].isna() & ~table["failure_demand_suppressed"].astype(bool)
        table.loc[uncosted, "failure_cost"] = ""
    return table


def _best_placed(run: RunState, spec: DesignSpec, contacts: pd.DataFrame, policy: Any) -> dict[str, Any]:
    """Candidate services per need scored on the spec's weights: ``design/best_placed.csv`` and its weights."""
    from circles.challenge.coverage import hours_table, needs_met
    from circles.design.best_placed import best_placed
    from circles.pipeline.stages.challenge import service_directory

    services = service_directory(run)
    if services.codebook is None:
        note = "not scored: no codebook (coding.codebook), so the directory's needs cannot be read"
        run.warnings.append(f"design: who is best placed {note}")
        return {"best_placed": note}
    directory, period = services.directory, services.period
    reach, reach_note = _reach(run, spec, directory)
    result = best_placed(
        needs_met(directory, services.codebook, period=period),
        hours_table(directory, period=period),
        weights=spec.best_placed.weights,
        caseload=_caseload(run, spec, contacts, directory, policy),
        reach=reach,
        reach_note=reach_note,
        duplication_at=run.spec.services.duplication_at,
        codes=pd.DataFrame(
            [(c.id, c.name, c.dimension) for c in services.codebook.codes],
            columns=["code_id", "code_name", "dimension"],
        ),
    )
    table = _best_placed_table(result)
    run.publish("design/best_placed.csv", lambda p: write_csv(table, p, na_rep=""))
    _publish(run, "best_placed_weights.csv", result.weights.round(3))
    if result.reach_note:
        run.warnings.append(f"design: reach {result.reach_note}")
    first = result.table[result.table["rank"].eq(1).fillna(False)]
    return {
        "best_placed": {
            "needs": int(result.table["code_id"].nunique()),
            "needs_no_service_meets": sorted(result.table.loc[result.table["rank"].isna(), "code_id"]),
            "weights": dict(zip(result.weights["criterion"], result.weights["normalised"].round(4), strict=True)),
            "reach": result.reach_note or "scored",
            "first": dict(zip(first["code_id"], first["service_name"], strict=True)),
        }
    }


def _best_placed_table(result: Any) -> pd.DataFrame:
    """The table as published: blank where a need has no candidate, ``*`` for a suppressed caseload, and "not
    scored" for reach when it was not (never a blank a reader could take for suppressed, or a guess)."""
    table = result.table.round(3)
    candidate = table["service_id"].notna()
    table["needs_met"] = table["needs_met"].round().astype("Int64")
    if "families" in table:
        families = table["families"].round().astype("Int64").astype(object)
        table["families"] = families.where(families.notna() | ~candidate, SUPPRESSED)
    if result.reach_note:
        table["reach_score"] = table["reach_score"].astype(object).where(~candidate, "not scored")
    return table


def _caseload(run: RunState, spec: DesignSpec, contacts: pd.DataFrame, directory: Any, policy: Any) -> pd.DataFrame:
    """The segment's families each directory organisation works with (records mapped as the network maps them)."""
    from circles.challenge.study import agency_map
    from circles.ingest.disclosure import protect_table

    service, provider, family = spec.service_field, spec.organisation_field, spec.family_field
    mapped = agency_map(contacts, directory, service=service, provider=provider, agencies=run.spec.network.agencies)
    keys = [service, provider] if mapped["provider"].notna().any() else [service]
    agencies = contacts.merge(mapped.rename(columns={"service": service, "provider": provider})[[*keys, "agency"]],
                              on=keys, how="left")  # fmt: skip
    counts = agencies.groupby("agency")[family].nunique().rename("families").reset_index()
    counts = counts.rename(columns={"agency": "organisation"}).astype({"families": "int64"})
    return protect_table(counts, ["families"], policy)[["organisation", "families"]]


def _reach(run: RunState, spec: DesignSpec, directory: Any) -> tuple[pd.DataFrame | None, str | None]:
    """Reach from the directory's service locations and the spec's population-weighted centroids, or why not."""
    from circles.design.best_placed import reach_shares
    from circles.pipeline.stages.geo import postcode_directory

    located = directory.service_locations.merge(directory.locations, left_on="location_id", right_on="id")
    located = located[located["postcode"].astype(str).str.strip() != ""]
    if located.empty:
        return None, "not scored: the service directory gives no service location with a postcode"
    bp = spec.best_placed
    if bp.centroids is None:
        return None, (
            "not scored: no population-weighted centroids given (design.best_placed.centroids: the ONS "
            "population-weighted centroids of the areas); reach is never estimated from area shapes"
        )
    code = f"{bp.centroids_layer}_code"
    records = records_of(run, "design")
    if code not in records:
        return None, f"not scored: the records have no '{code}' (run assign_areas with a '{bp.centroids_layer}' layer)"
    residents = records.groupby(code, observed=True)[spec.family_field].nunique()
    grid = postcode_directory(run.spec).set_index("pcds")[["oseast1m", "osnrth1m"]]
    places = located.join(grid, on="postcode").rename(columns={"oseast1m": "x", "osnrth1m": "y"})
    places = places.dropna(subset=["x", "y"])
    if places.empty:
        return None, "not scored: no service location's postcode is in the postcode directory"
    centroids = _centroids(run.spec.resolve(bp.centroids))
    return reach_shares(residents, centroids, places, bands_km=bp.reach_km), None


def _centroids(path: Any) -> pd.DataFrame:
    """An ONS population-weighted centroids CSV as ``code``, ``x``, ``y`` (British National Grid metres)."""
    from circles.errors import SourceError

    table = pd.read_csv(path, dtype=str)
    lower = {c.lower(): c for c in table.columns}
    code = next((lower[c] for c in lower if c.endswith("cd") or c == "code"), None)
    x, y = lower.get("x") or lower.get("easting"), lower.get("y") or lower.get("northing")
    if not (code and x and y):
        raise SourceError(
            f"{path}: the centroids need an area code column (e.g. LSOA11CD) and x, y (or easting, northing) in "
            f"metres; columns found: {', '.join(table.columns)}"
        )
    return pd.DataFrame({"code": table[code], "x": pd.to_numeric(table[x]), "y": pd.to_numeric(table[y])})


def _options(run: RunState, spec: DesignSpec, costs: pd.DataFrame | None) -> dict[str, Any]:
    """The options appraisal: NPV low/central/high over the spec's years, the tornado table and figure."""
    from circles.costs.scenarios import GREEN_BOOK_RATE
    from circles.design.options import appraise, read_options
    from circles.errors import SpecError

    path = run.spec.resolve(spec.options)
    if costs is None:
        raise SpecError(f"design.options ({path.name}) prices the contacts avoided with design.unit_costs: add them.")
    codebook = _codebook(run)
    needs = {c.id: c.name for c in codebook.codes} if codebook is not None else None
    if needs is None:
        run.warnings.append(f"design: {path.name}: the needs the options meet are not checked (no codebook)")
    items = dict(zip(costs["item"], costs["cost"], strict=True))
    options = read_options(path, needs=needs, items=items)
    rate = spec.discount_rate
    if rate is None:
        rate = run.spec.costs.discount_rate if run.spec.costs is not None else GREEN_BOOK_RATE
    result = appraise(options, costs, years=spec.appraisal_years, rate=rate)
    money = ["pv_cost", "pv_avoided", "npv_low", "npv_central", "npv_high", "npv_low", "npv_high", "central", "swing"]
    _publish(run, "options.csv", result.table.round({c: 2 for c in money} | {"benefit_cost_ratio": 3}))
    _publish(run, "options_tornado.csv", result.tornado.round({c: 2 for c in money}))
    for option in options.options:
        rows = result.tornado[result.tornado["option_id"] == option.id]
        if len(rows):
            title = f"{option.name}: what moves the net present value{synthetic_mark(run)}"
            publish_svgs(run, f"design/options_tornado_{option.id}", lambda m, t=rows, h=title: _tornado(t, h, m))
    central = dict(zip(result.table["option_id"], result.table["npv_central"].round(0), strict=True))
    return {
        "options": {
            "file": path.name,
            "illustrative": options.illustrative,
            "years": spec.appraisal_years,
            "discount_rate": rate,
            "npv_central": central,
            "method": "NPV = families x (contacts avoided x unit cost - cost per family) a year, discounted "
            "(Green Book: year 0 undiscounted), less the setup cost; low/high: contacts avoided at their low/high "
            "values, the rest central; tornado: each assumption from low to high, the rest central",
        }
    }


def _tornado(rows: pd.DataFrame, title: str, medium: Any) -> Any:
    from circles.design.figures import tornado_figure

    return tornado_figure(rows, title=title, medium=medium)


def _codebook(run: RunState) -> Any:
    """The run's codebook (from the coding stage or the spec's coding section), or ``None``."""
    if run.qualitative is not None and run.qualitative.codebook is not None:
        return run.qualitative.codebook
    if run.spec.services is not None:
        from circles.pipeline.stages.challenge import service_directory

        return service_directory(run).codebook
    if run.spec.coding is not None:
        from circles.qualitative.codebook import read_codebook

        return read_codebook(run.spec.resolve(run.spec.coding.codebook))
    return None
