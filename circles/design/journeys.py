"""Customer journeys from contact records: the commonest journeys, routes in, and the way to planned support.

One take-up row is one *contact*: a family (``family_id``) seen by a service (``service``, run by ``provider``),
reached by a referral route (``referral_source``), starting on ``start_date`` and perhaps closed on ``end_date``.
A contact is a **crisis** contact when its route is one of the crisis routes (A&E, police, a 999 call, an
ambulance by default) and **planned** otherwise. Routes are matched exactly, after trimming spaces.
:func:`contacts_in_order` reads the records for every function here and in
:mod:`circles.design.failure_demand`.

Every count a result offers for publication has been through the disclosure policy
(:func:`circles.ingest.disclosure.protect_table`); exact per-family tables are kept apart and say so.

References
----------
Kaplan EL, Meier P (1958), Nonparametric estimation from incomplete observations. *JASA* 53: 457–481.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from circles.errors import SourceError
from circles.ingest.disclosure import POLICIES, DisclosurePolicy, protect_table, protect_total
from circles.validation import suggest

__all__ = [
    "CRISIS_ROUTES",
    "EXACT",
    "contacts_in_order",
    "OTHER_JOURNEYS",
    "JourneyResult",
    "customer_journeys",
    "SurvivalResult",
    "time_to_planned_support",
    "MILESTONES",
    "survival_at",
    "StoryResult",
    "telling_my_story_again",
]

#: Referral routes that mean a family arrived in crisis rather than by a planned referral.
CRISIS_ROUTES: tuple[str, ...] = ("A&E", "Police", "999 call", "Ambulance")

#: A policy that publishes every count as it is: for tests on crafted records and for checking by hand, never
#: for a report.
EXACT = DisclosurePolicy("exact (not for publication)", suppress_below=1, round_to=1)


def _require(records: pd.DataFrame, columns: dict[str, str]) -> None:
    if not isinstance(records, pd.DataFrame):
        raise SourceError(f"The contact records must be a pandas DataFrame; got {type(records).__name__}.")
    for role, column in columns.items():
        if column not in records.columns:
            hint = suggest(str(column), map(str, records.columns))
            raise SourceError(
                f"The contact records have no {role} column {column!r}.{hint} "
                f"Columns present: {', '.join(map(str, records.columns))}. Pass {role}=<column name>."
            )


def _dates(values: pd.Series, column: str, *, required: bool) -> pd.Series:
    """``values`` as ``datetime64`` (day precision); an unreadable or (if required) missing date is an error."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values)
    else:
        text = values.astype("string").str.strip().replace("", pd.NA)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        bad = parsed.isna() & text.notna()
        if bad.any():
            at = int(bad.to_numpy().argmax())
            raise SourceError(
                f"Column {column!r}, row {values.index[at]}: {values.iloc[at]!r} is not a date; "
                f"{int(bad.sum())} row(s) like it. "
                "Write dates as YYYY-MM-DD."
            )
    if required and parsed.isna().any():
        row = values.index[int(parsed.isna().to_numpy().argmax())]
        raise SourceError(
            f"Column {column!r}, row {row}: the date is missing ({int(parsed.isna().sum())} row(s) without one). "
            "Every contact needs a start date: fill it in or drop those rows."
        )
    return parsed.dt.normalize().astype("datetime64[ns]")


def contacts_in_order(
    records: pd.DataFrame,
    *,
    family: str,
    start: str,
    service: str | None = None,
    organisation: str | None = None,
    route: str | None = None,
    end: str | None = None,
    crisis_routes: Iterable[str] = CRISIS_ROUTES,
) -> pd.DataFrame:
    """The contacts with standard column names, sorted by family, start date, then service.

    Returns columns ``family``, ``start`` and those asked for (``service``, ``organisation``, ``route``,
    ``end``); with ``route``, a boolean ``crisis``. Text columns are categoricals (fast to group); an empty
    service, organisation or route reads ``"Not recorded"``. An empty ``end`` means the contact is still open.
    The index is reset; ``row`` keeps the caller's row label. Rows in messages are the caller's row labels.

    Raises
    ------
    SourceError
        A column is missing, a family id or start date is missing, or a date cannot be read.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"family_id": ["B", "A", "A"], "start_date": ["2010-01-02", "2010-03-01", "2010-01-05"],
    ...                   "referral_source": ["GP", "Police", "Self"]})
    >>> c = contacts_in_order(r, family="family_id", start="start_date", route="referral_source")
    >>> c[["family", "route", "crisis"]].values.tolist()
    [['A', 'Self', False], ['A', 'Police', True], ['B', 'GP', False]]
    """
    wanted = {"family": family, "start": start, "service": service, "organisation": organisation}
    wanted |= {"route": route, "end": end}
    columns = {role: column for role, column in wanted.items() if column is not None}
    _require(records, columns)
    if records.empty:
        raise SourceError("The contact records have no rows: there are no journeys to follow. Check the filter.")
    out = pd.DataFrame({"row": records.index.to_numpy()})
    ids = records[family].astype("string").str.strip().replace("", pd.NA)
    if ids.isna().any():
        row = records.index[int(ids.isna().to_numpy().argmax())]
        raise SourceError(
            f"Column {family!r}, row {row}: the family id is missing ({int(ids.isna().sum())} row(s) without one). "
            "Journeys follow families: fill the id in or drop those rows."
        )
    out["family"] = pd.Categorical(ids.to_numpy(dtype=object))
    out["start"] = _dates(records[start], start, required=True).to_numpy()
    for role in ("service", "organisation", "route"):
        if role in columns:
            text = records[columns[role]].astype("string").str.strip().replace("", pd.NA).fillna("Not recorded")
            out[role] = pd.Categorical(text.to_numpy(dtype=object))
    if "end" in columns:
        out["end"] = _dates(records[end], end, required=False).to_numpy()
    if "route" in columns:
        routes = (crisis_routes,) if isinstance(crisis_routes, str) else tuple(crisis_routes)
        crisis = {str(r).strip() for r in routes}
        out["crisis"] = np.asarray(out["route"].astype(object).isin(crisis), dtype=bool)
    keys = ["family", "start"] + (["service"] if "service" in columns else [])
    order = np.lexsort([out[k].cat.codes if k != "start" else out[k] for k in reversed(keys)])
    # lexsort on category codes follows the categories' (sorted) order, which is the text order
    return out.iloc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------- journeys

#: Label of the row that gathers the journeys not shown one by one.
OTHER_JOURNEYS = "Other journeys"
_ARROW = " → "


@dataclass(frozen=True)
class JourneyResult:
    """Journeys through services, as :func:`customer_journeys` returns them.

    Attributes
    ----------
    contacts : pandas.DataFrame
        Exact, per family — **not for publication**: ``family``, ``step`` (1, 2, …), ``service``,
        ``organisation``, ``route``, ``crisis``, ``start``, one row per contact in date order.
    journeys : pandas.DataFrame
        Published: ``journey`` (services joined by " → "), ``step_1`` … ``step_<steps>`` (``""`` after a
        journey ends), ``families`` with ``families_suppressed`` and ``families_suppression``. The last row,
        :data:`OTHER_JOURNEYS`, gathers journeys beyond ``top`` or with fewer families than the policy publishes.
    routes : pandas.DataFrame
        Published: families by the route of their first contact, ``route_type`` (``"crisis"`` or
        ``"planned"``), ``route``, ``families`` (+ flags).
    families : int or None
        All families, published (``None`` when suppressed). The unrounded journey counts add up to the
        unrounded total exactly; the published ones add up to it except for rounding (each cell within half
        ``policy.round_to``) and for suppressed cells (``<NA>``, primary or secondary).
    steps, top : int
    policy : DisclosurePolicy
    """

    contacts: pd.DataFrame
    journeys: pd.DataFrame
    routes: pd.DataFrame
    families: int | None
    steps: int
    top: int
    policy: DisclosurePolicy

    @property
    def published_sum(self) -> int:
        """The published journey counts added up, suppressed cells left out."""
        return int(self.journeys["families"].fillna(0).sum())


def _positive(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise SourceError(f"{name} must be a whole number of at least 1; got {value!r}.")
    return int(value)


def _journey_table(contacts: pd.DataFrame, steps: int) -> pd.DataFrame:
    """Exact families per journey (first ``steps`` services, consecutive repeats merged), commonest first."""
    first = contacts[contacts["step"] <= steps].drop_duplicates(["family", "step"])
    wide = first.pivot(index="family", columns="step", values="service")
    wide = wide.reindex(columns=range(1, steps + 1)).astype(object).fillna("")
    wide.columns = [f"step_{i}" for i in range(1, steps + 1)]
    table = wide.value_counts(sort=False).rename("families").reset_index()
    table = table.sort_values(["families", *wide.columns], ascending=[False] + [True] * steps, kind="stable")
    return table.reset_index(drop=True)


def _labels(table: pd.DataFrame, steps: int) -> np.ndarray:
    """ "A → B → C" for each row of step columns (empty steps left out), column by column."""
    label = table["step_1"].to_numpy(dtype=object)
    for i in range(2, steps + 1):
        step = table[f"step_{i}"].to_numpy(dtype=object)
        label = np.where(step != "", label + _ARROW + step, label)
    return label


def _with_other(table: pd.DataFrame, steps: int, top: int, policy: DisclosurePolicy) -> pd.DataFrame:
    """Keep the ``top`` commonest journeys that the policy would publish; gather the rest in one row."""
    shown = table.head(top)
    shown = shown[shown["families"] >= policy.suppress_below].reset_index(drop=True)
    shown.insert(0, "journey", _labels(shown, steps))
    rest = int(table["families"].sum() - shown["families"].sum())
    if rest == 0:
        return shown
    other = {c: "" for c in shown.columns} | {"journey": OTHER_JOURNEYS, "families": rest}
    return pd.concat([shown, pd.DataFrame([other])], ignore_index=True)


def _routes(first: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """Published families by the route of their first contact (``first``: one contact per family)."""
    routes = first.groupby(["crisis", "route"], observed=True).size().rename("families").reset_index()
    routes.insert(0, "route_type", np.where(routes.pop("crisis"), "crisis", "planned"))
    routes = routes.sort_values(["route_type", "families", "route"], ascending=[True, False, True], kind="stable")
    routes["route"] = routes["route"].astype(object)
    return protect_table(routes.reset_index(drop=True), ["families"], policy, groups=[["route_type"], []])


def customer_journeys(
    records: pd.DataFrame,
    *,
    family: str = "family_id",
    service: str = "service",
    organisation: str = "provider",
    route: str = "referral_source",
    start: str = "start_date",
    crisis_routes: Iterable[str] = CRISIS_ROUTES,
    steps: int = 3,
    top: int = 20,
    policy: DisclosurePolicy = POLICIES["nhs"],
) -> JourneyResult:
    """Each family's contacts in order, the commonest journeys and the routes into support.

    A journey is the sequence of services a family met, in order of start date (ties by service name), with a
    run of contacts at the same service counted as one step (repeats are failure demand, see
    :func:`circles.design.failure_demand.failure_demand`), cut at ``steps`` steps. Journeys are counted in
    families; each family has exactly one, so the counts add up to the families. The ``top`` commonest
    journeys that the policy publishes are listed; the rest are gathered in one :data:`OTHER_JOURNEYS` row, so
    no small journey is named. Counts then go through the policy with secondary suppression against the total
    (:func:`circles.ingest.disclosure.protect_table` with ``groups=[[]]``).

    Parameters
    ----------
    records : pandas.DataFrame
        Contact records, one row per contact (the take-up extracts).
    family, service, organisation, route, start : str
        Column names.
    crisis_routes : iterable of str
        Referral routes counted as crisis; any other route is planned.
    steps : int, default 3
        Steps of a journey shown.
    top : int, default 20
        Journeys listed one by one.
    policy : DisclosurePolicy, default NHS

    Returns
    -------
    JourneyResult

    Raises
    ------
    SourceError
        A column is missing, a family id or start date is missing or unreadable, or ``steps``/``top`` < 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.design.journeys import EXACT
    >>> r = pd.DataFrame({"family_id": ["A", "A", "A", "B", "B"], "service": ["A&E", "A&E", "GP", "A&E", "GP"],
    ...                   "provider": ["NHS"] * 5, "referral_source": ["999 call", "Police", "Self", "A&E", "GP"],
    ...                   "start_date": ["2010-01-01", "2010-01-09", "2010-02-01", "2010-03-01", "2010-04-01"]})
    >>> result = customer_journeys(r, steps=2, policy=EXACT)
    >>> result.journeys[["journey", "families"]].values.tolist()
    [['A&E → GP', 2]]
    >>> result.routes[["route_type", "route", "families"]].values.tolist()
    [['crisis', '999 call', 1], ['crisis', 'A&E', 1]]
    """
    steps, top = _positive(steps, "steps"), _positive(top, "top")
    c = contacts_in_order(
        records,
        family=family,
        start=start,
        service=service,
        organisation=organisation,
        route=route,
        crisis_routes=crisis_routes,
    )
    same_family = c["family"].eq(c["family"].shift())
    new_step = ~(same_family & c["service"].eq(c["service"].shift()))
    c.insert(1, "step", new_step.astype(np.int64).groupby(c["family"], observed=True).cumsum())
    n_families = int(c["family"].nunique())
    journeys = _with_other(_journey_table(c, steps), steps, top, policy)
    journeys = protect_table(journeys, ["families"], policy, groups=[[]])
    total, _ = protect_total(pd.Series([n_families]), policy)

    routes = _routes(c[~same_family], policy)
    contacts = c[["family", "step", "service", "organisation", "route", "crisis", "start"]]
    return JourneyResult(contacts, journeys, routes, total, steps, top, policy)


# ---------------------------------------------------------------------------------------- time to planned support


@dataclass(frozen=True)
class SurvivalResult:
    """Days from a family's first crisis contact to its first planned contact (Kaplan–Meier).

    Attributes
    ----------
    median, lower_quartile, upper_quartile : float or None
        Days by which half, a quarter and three quarters of families had reached planned support (the first day
        survival falls *below* 0.5, 0.75, 0.25, as lifelines reads them). ``None`` when never reached.
    table : pandas.DataFrame
        ``day``, ``survival`` (share still waiting), ``survival_lower``, ``survival_upper`` (95%, exponential
        Greenwood), and published ``at_risk``, ``reached``, ``censored`` with
        ``*_suppressed`` flags.
    families, reached : int or None
        Published: families with a crisis contact, and those that reached planned support.
    end_of_data : pandas.Timestamp
        The censoring date.
    policy : DisclosurePolicy
    durations : pandas.DataFrame
        Exact, per family — **not for publication**: ``family``, ``crisis``, ``planned``, ``days``, ``reached``.
    """

    median: float | None
    lower_quartile: float | None
    upper_quartile: float | None
    table: pd.DataFrame
    families: int | None
    reached: int | None
    end_of_data: pd.Timestamp
    policy: DisclosurePolicy
    durations: pd.DataFrame


def _durations(c: pd.DataFrame, end_of_data: pd.Timestamp) -> pd.DataFrame:
    crisis = c[c["crisis"]].groupby("family", observed=True)["start"].min().rename("crisis")
    planned = c.loc[~c["crisis"], ["family", "start"]].join(crisis, on="family", how="inner")
    planned = planned[planned["start"] >= planned["crisis"]].groupby("family", observed=True)["start"].min()
    out = crisis.to_frame().join(planned.rename("planned"))
    out["reached"] = out["planned"].notna()
    out["days"] = (out["planned"].fillna(end_of_data) - out["crisis"]).dt.days.astype(float)
    return out.reset_index()


def _day(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def _kaplan_meier(d: pd.DataFrame) -> tuple[pd.DataFrame, list[float | None]]:
    """The Kaplan–Meier survival of ``d`` (``days``, ``reached``) by day, with its 95% interval (exponential
    Greenwood: scipy's ``log-log``) and the event table; and the days survival first falls below 0.5, 0.75, 0.25."""
    from scipy.stats import CensoredData, ecdf

    days, reached = d["days"].to_numpy(dtype=float), d["reached"].to_numpy(dtype=bool)
    survival = ecdf(CensoredData(uncensored=days[reached], right=days[~reached])).sf
    with warnings.catch_warnings():  # where survival is 0 or 1 the interval is undefined: left blank (NaN)
        warnings.filterwarnings("ignore", "The confidence interval is undefined", RuntimeWarning)
        interval = survival.confidence_interval(0.95, method="log-log")
    grouped = d.groupby("days")["reached"]
    table = pd.DataFrame({"reached": grouped.sum(), "censored": grouped.size() - grouped.sum()}).astype("int64")
    table = table.reindex(sorted({0.0, *table.index}), fill_value=0)
    table.insert(0, "at_risk", [int((days >= t).sum()) for t in table.index])
    at = table.index.to_numpy(dtype=float)
    table["survival"] = survival.evaluate(at)
    defined = (at > 0) | (table["survival"].to_numpy() < 1)  # day 0 has an interval when families reached it then
    table["survival_lower"] = np.where(defined, interval.low.evaluate(at), 1.0)
    table["survival_upper"] = np.where(defined, interval.high.evaluate(at), 1.0)
    steps = pd.Series(survival.probabilities, index=survival.quantiles)
    quartiles = [_day(steps.index[steps < p].min()) if (steps < p).any() else None for p in (0.5, 0.75, 0.25)]
    return table.rename_axis("day").reset_index(), quartiles


def time_to_planned_support(
    records: pd.DataFrame,
    *,
    family: str = "family_id",
    route: str = "referral_source",
    start: str = "start_date",
    crisis_routes: Iterable[str] = CRISIS_ROUTES,
    end_of_data: str | pd.Timestamp | None = None,
    policy: DisclosurePolicy = POLICIES["nhs"],
) -> SurvivalResult:
    """Kaplan–Meier time from each family's first crisis contact to its first planned contact after it.

    Families never in crisis are left out. A family whose first planned contact on or after its first crisis
    contact never comes is censored at ``end_of_data`` (default: the last start date in the records); planned
    contacts before the first crisis do not count. Estimated with scipy's Kaplan–Meier (``scipy.stats.ecdf`` of
    right-censored data).

    Parameters
    ----------
    records : pandas.DataFrame
    family, route, start : str
        Column names.
    crisis_routes : iterable of str
    end_of_data : date, optional
        When the records end.
    policy : DisclosurePolicy, default NHS

    Returns
    -------
    SurvivalResult

    Raises
    ------
    SourceError
        A column or value is missing, no family had a crisis contact, or ``end_of_data`` is before a crisis.

    Examples
    --------
    Five families in crisis: A, C and D reach planned support after 2, 5 and 7 days; B and E are censored
    at 3 and 9 days; F, never in crisis, is left out. Survival is 4/5 after day 2, 4/5 × 2/3 = 0.533 after day 5
    and 0.267 after day 7, so the median is 7 days and the lower quartile 5.

    >>> import pandas as pd
    >>> from circles.design.journeys import EXACT
    >>> rows = [("A", "A&E", "2010-01-01"), ("A", "GP", "2010-01-03"), ("B", "Police", "2010-01-07"),
    ...         ("C", "A&E", "2010-01-01"), ("C", "GP", "2010-01-06"), ("D", "A&E", "2010-01-01"),
    ...         ("D", "GP", "2010-01-08"), ("E", "A&E", "2010-01-01"), ("F", "GP", "2010-01-01")]
    >>> r = pd.DataFrame(rows, columns=["family_id", "referral_source", "start_date"])
    >>> km = time_to_planned_support(r, end_of_data="2010-01-10", policy=EXACT)
    >>> km.median, km.lower_quartile, km.upper_quartile, km.families, km.reached
    (7.0, 5.0, None, 5, 3)
    >>> km.table["survival"].round(3).tolist()
    [1.0, 0.8, 0.8, 0.533, 0.267, 0.267]
    """
    c = contacts_in_order(records, family=family, start=start, route=route, crisis_routes=crisis_routes)
    end = c["start"].max() if end_of_data is None else pd.Timestamp(end_of_data).normalize()
    d = _durations(c, end)
    if d.empty:
        raise SourceError(
            f"No family has a crisis contact (a {route!r} of {', '.join(map(repr, crisis_routes))}), "
            "so there is no time to planned support. Check the crisis_routes against the routes in the records."
        )
    if (d["days"] < 0).any():
        raise SourceError(
            f"end_of_data {end.date()} is before a family's first crisis contact ({d['crisis'].max().date()}): "
            "give a date on or after the last contact."
        )
    table, quartiles = _kaplan_meier(d)
    table = protect_table(table, ["at_risk", "reached", "censored"], policy)
    families, _ = protect_total(pd.Series([len(d)]), policy)
    reached, _ = protect_total(d["reached"].astype(int), policy)
    return SurvivalResult(*quartiles, table, families, reached, end, policy, d)


#: Days at which :func:`survival_at` publishes the survival curve by default.
MILESTONES: tuple[int, ...] = (0, 7, 14, 30, 60, 90, 180, 365, 730)


def survival_at(result: SurvivalResult, days: Iterable[int] = MILESTONES) -> pd.DataFrame:
    """The Kaplan–Meier curve at a few days only, with the counts between them, for publication.

    The full table (:attr:`SurvivalResult.table`) has a row per event day: its exact survival steps give away each
    day's events (a step is ``reached / at_risk``), however the counts beside it are protected. Here the curve is
    read at ``days`` (those up to the longest follow-up, and that day too), and ``reached`` and ``censored`` count
    the families in each interval after the previous day shown (the first row: on day 0), through the policy.

    Returns
    -------
    pandas.DataFrame
        ``day``, ``survival``, ``survival_lower``, ``survival_upper``, ``at_risk`` (families still waiting and
        followed on that day), ``reached`` and ``censored`` (in the interval ending that day), each count with
        ``*_suppressed``.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.design.journeys import EXACT
    >>> r = pd.DataFrame({"family_id": list("AABCC"), "referral_source": ["A&E", "GP", "Police", "A&E", "GP"],
    ...                   "start_date": ["2010-01-01", "2010-01-03", "2010-01-01", "2010-01-01", "2010-01-21"]})
    >>> km = time_to_planned_support(r, end_of_data="2010-02-01", policy=EXACT)
    >>> table = survival_at(km, days=[0, 7, 30]).round(3)
    >>> table[["day", "survival", "at_risk", "reached", "censored"]].values.tolist()
    [[0, 1.0, 3, 0, 0], [7, 0.667, 2, 1, 0], [30, 0.333, 1, 1, 0], [31, 0.333, 1, 0, 1]]
    """
    d = result.durations
    last = float(d["days"].max()) if len(d) else 0.0
    shown = sorted({int(t) for t in days if 0 <= t <= last} | {0, int(last)})
    curve = result.table.set_index("day")
    at = curve.index.to_numpy(dtype=float)
    rows, previous = [], -1.0
    for t in shown:
        step = curve.iloc[int(np.searchsorted(at, t, side="right")) - 1]
        inside = (d["days"] > previous) & (d["days"] <= t)
        counts = [int((d["days"] >= t).sum()), int((inside & d["reached"]).sum()), int((inside & ~d["reached"]).sum())]
        rows.append([t, step["survival"], step["survival_lower"], step["survival_upper"], *counts])
        previous = float(t)
    columns = ["day", "survival", "survival_lower", "survival_upper", "at_risk", "reached", "censored"]
    return protect_table(pd.DataFrame(rows, columns=columns), ["at_risk", "reached", "censored"], result.policy)


# ------------------------------------------------------------------------------------------ telling my story again


@dataclass(frozen=True)
class StoryResult:
    """How many services assessed each family within a window of its first contact.

    Attributes
    ----------
    distribution : pandas.DataFrame
        Published: ``services`` (``"1"``, ``"2"``, …, the last band ``"<cap> or more"``), ``families`` with
        ``families_suppressed`` and ``families_suppression`` (secondary suppression against the total).
    families : int or None
        All families, published.
    window_days, cap : int
    policy : DisclosurePolicy
    per_family : pandas.DataFrame
        Exact — **not for publication**: ``family``, ``services``.
    """

    distribution: pd.DataFrame
    families: int | None
    window_days: int
    cap: int
    policy: DisclosurePolicy
    per_family: pd.DataFrame


def telling_my_story_again(
    records: pd.DataFrame,
    *,
    family: str = "family_id",
    service: str = "service",
    start: str = "start_date",
    window_days: int = 365,
    cap: int = 5,
    policy: DisclosurePolicy = POLICIES["nhs"],
) -> StoryResult:
    """Distinct services that assessed each family within ``window_days`` of its first contact, and how many.

    Families told the case study they had to tell their story every time a new service was accessed; each
    distinct service met within the window is one more telling. Every contact is taken as an assessment: pass
    only assessment contacts to narrow it.

    Parameters
    ----------
    records : pandas.DataFrame
    family, service, start : str
        Column names.
    window_days : int, default 365
        Contacts starting fewer than this many days after the family's first contact count.
    cap : int, default 5
        Families with ``cap`` or more services share the last band.
    policy : DisclosurePolicy, default NHS

    Returns
    -------
    StoryResult

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.design.journeys import EXACT
    >>> r = pd.DataFrame({"family_id": list("AAAB"), "service": ["GP", "A&E", "Housing", "GP"],
    ...                   "start_date": ["2010-01-01", "2010-06-01", "2011-06-01", "2010-01-01"]})
    >>> telling_my_story_again(r, policy=EXACT).distribution[["services", "families"]].values.tolist()
    [['1', 1], ['2', 1], ['3', 0], ['4', 0], ['5 or more', 0]]
    """
    window_days, cap = _positive(window_days, "window_days"), _positive(cap, "cap")
    c = contacts_in_order(records, family=family, start=start, service=service)
    first = c.groupby("family", observed=True)["start"].transform("min")
    inside = c[(c["start"] - first).dt.days < window_days]
    per_family = inside.groupby("family", observed=True)["service"].nunique().rename("services").reset_index()
    bands = np.minimum(per_family["services"].to_numpy(), cap)
    counts = np.bincount(bands, minlength=cap + 1)[1:]
    labels = [str(k) for k in range(1, cap)] + [f"{cap} or more"]
    table = pd.DataFrame({"services": labels, "families": counts.astype(np.int64)})
    table = protect_table(table, ["families"], policy, groups=[[]])
    total, _ = protect_total(pd.Series([len(per_family)]), policy)
    return StoryResult(table, total, window_days, cap, policy, per_family)
