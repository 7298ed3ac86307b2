"""Failure demand and repeat presentations: contacts that a service caused by not getting it right the first time.

Failure demand is John Seddon's term for "demand caused by a failure to do something or do something right for
the customer" (Seddon 2003). From contact records, three kinds can be seen:

``repeat``                the same family back at the same service within ``repeat_days`` of its last contact there;
``re_referral``           the same family back at a service within ``rereferral_days`` after that service closed
                          its last contact (``end_date`` on or before the new start);
``crisis_after_planned``  a crisis contact (see :mod:`circles.design.journeys`) after the family's first planned
                          contact had started.

A contact may be more than one kind; ``failure_demand`` counts it once. Shares come from the *published* counts
with Wilson 95% intervals (:func:`circles.stats.rates.proportion`).

References
----------
Seddon J (2003), *Freedom from Command and Control*. Buckingham: Vanguard Education.
Wilson EB (1927), Probable inference, the law of succession, and statistical inference. *JASA* 22: 209–212.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from circles.costs.money import CostError
from circles.design.journeys import CRISIS_ROUTES, contacts_in_order
from circles.errors import SourceError
from circles.ingest.disclosure import POLICIES, DisclosurePolicy, protect_table, protect_total
from circles.stats.rates import proportion

__all__ = [
    "ALL_SERVICES",
    "MEASURES",
    "FailureDemandResult",
    "failure_demand",
    "RepeatResult",
    "repeat_presentations",
]

#: The kinds of failure demand, then any of them.
MEASURES: tuple[str, ...] = ("repeat", "re_referral", "crisis_after_planned", "failure_demand")
#: ``service`` of the overall row.
ALL_SERVICES = "All services"
_UNIT_COST_COLUMNS = ("service", "cost", "source", "price_year")


def _days(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise SourceError(f"{name} must be a whole number of days, 0 or more; got {value!r}.")
    return int(value)


def _with_shares(table: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Add ``<m>_share``, ``<m>_lower``, ``<m>_upper`` from the published counts (Wilson 95%)."""
    out = table.copy()
    for m in measures:
        shares = proportion(out[m], out["contacts"])
        out[f"{m}_share"] = shares["proportion"].array
        out[f"{m}_lower"] = shares["proportion_lower"].array
        out[f"{m}_upper"] = shares["proportion_upper"].array
    return out


def _unit_costs(unit_costs: pd.DataFrame) -> pd.DataFrame:
    """Checked unit costs indexed by service: ``cost``, ``source``, ``price_year``."""
    if not isinstance(unit_costs, pd.DataFrame):
        raise CostError(f"unit_costs must be a table (DataFrame); got {type(unit_costs).__name__}.")
    missing = [c for c in _UNIT_COST_COLUMNS if c not in unit_costs.columns]
    if missing:
        raise CostError(
            f"The unit costs table lacks column(s) {missing}. It needs {', '.join(_UNIT_COST_COLUMNS)}: "
            "one row per service (or contact type), its cost in pounds, where the figure comes from and its price year."
        )
    table = unit_costs[list(_UNIT_COST_COLUMNS)].copy()
    table["service"] = table["service"].astype("string").str.strip()
    cost = pd.to_numeric(table["cost"], errors="coerce")
    for row in table.index:
        if pd.isna(cost[row]) or cost[row] < 0:
            raise CostError(f"Unit costs, row {row}, column 'cost': {table.at[row, 'cost']!r} is not a cost in pounds.")
        if pd.isna(table.at[row, "source"]) or not str(table.at[row, "source"]).strip():
            raise CostError(f"Unit costs, row {row}, column 'source': say where the cost comes from.")
    duplicated = table["service"].duplicated()
    if duplicated.any():
        row = duplicated.idxmax()
        raise CostError(f"Unit costs, row {row}: service {table.at[row, 'service']!r} is costed twice; keep one row.")
    years = table["price_year"].astype(str).unique()
    if len(years) > 1:
        raise CostError(
            f"Unit costs are in more than one price year ({', '.join(sorted(years))}): convert them to one year "
            "(GDP deflators) so they can be added up."
        )
    table["cost"] = cost.astype(float)
    return table.set_index("service")


@dataclass(frozen=True)
class FailureDemandResult:
    """Failure demand per service and overall, as :func:`failure_demand` returns it.

    Attributes
    ----------
    by_service : pandas.DataFrame
        Published, one row per service: ``contacts`` and each of :data:`MEASURES` (counts with ``*_suppressed``
        and ``*_suppression`` flags; secondary suppression against the overall row), then ``<m>_share``,
        ``<m>_lower``, ``<m>_upper`` (0–1). With unit costs: ``unit_cost``, ``cost_source``, ``price_year`` and
        ``failure_cost`` (published ``failure_demand`` × unit cost; ``<NA>`` when suppressed or uncosted).
    overall : pandas.DataFrame
        One row, ``service`` = :data:`ALL_SERVICES`, the same count and share columns (totals protected from the
        exact counts); with unit costs, ``failure_cost`` is the sum of the services' published costs.
    contacts : pandas.DataFrame
        Exact, per contact — **not for publication**: ``family``, ``service``, ``start`` and a boolean per
        measure.
    repeat_days, rereferral_days : int
    policy : DisclosurePolicy
    uncosted : tuple of str
        Services with failure demand but no published cost (no unit cost, or a suppressed count).
    """

    by_service: pd.DataFrame
    overall: pd.DataFrame
    contacts: pd.DataFrame
    repeat_days: int
    rereferral_days: int
    policy: DisclosurePolicy
    uncosted: tuple[str, ...] = ()


def _flags(c: pd.DataFrame, repeat_days: int, rereferral_days: int) -> pd.DataFrame:
    """Per contact, which kinds of failure demand it is (vectorised: one group-by shift, no loop over families)."""
    by_pair = c.groupby(["family", "service"], observed=True, sort=False)
    previous_start, previous_end = by_pair["start"].shift(), by_pair["end"].shift()
    gap = (c["start"] - previous_start).dt.days
    since_closure = (c["start"] - previous_end).dt.days
    out = c[["family", "service", "start"]].copy()
    out["repeat"] = (gap <= repeat_days).to_numpy(dtype=bool)
    out["re_referral"] = ((since_closure >= 0) & (since_closure <= rereferral_days)).to_numpy(dtype=bool)
    first_planned = c.loc[~c["crisis"]].groupby("family", observed=True)["start"].min()
    after = c["start"] > c["family"].map(first_planned).astype("datetime64[ns]")
    out["crisis_after_planned"] = (c["crisis"] & after).to_numpy(dtype=bool)
    out["failure_demand"] = out["repeat"] | out["re_referral"] | out["crisis_after_planned"]
    return out


def _overall(counts: pd.DataFrame, columns: list[str], policy: DisclosurePolicy) -> pd.DataFrame:
    """One :data:`ALL_SERVICES` row: each column's total from the exact counts, then protected."""
    overall: dict[str, object] = {"service": ALL_SERVICES}
    for column in columns:
        value, suppressed = protect_total(counts[column], policy)
        overall |= {column: value, f"{column}_suppressed": suppressed}
    return pd.DataFrame([overall]).astype({c: "Int64" for c in columns})


def _costed(
    by_service: pd.DataFrame, overall: pd.DataFrame, costs: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
    """Add unit costs and the cost of each service's published failure demand; the services left uncosted."""
    by_service = by_service.join(costs.rename(columns={"cost": "unit_cost", "source": "cost_source"}), on="service")
    by_service["failure_cost"] = (by_service["failure_demand"].astype("Float64") * by_service["unit_cost"]).astype(
        "Float64"
    )
    uncosted = by_service.loc[by_service["failure_cost"].isna() & (by_service["failure_demand"] != 0), "service"]
    overall = overall.assign(failure_cost=float(by_service["failure_cost"].sum()))
    return by_service, overall, tuple(map(str, uncosted))


def failure_demand(
    records: pd.DataFrame,
    *,
    family: str = "family_id",
    service: str = "service",
    route: str = "referral_source",
    start: str = "start_date",
    end: str = "end_date",
    crisis_routes: Iterable[str] = CRISIS_ROUTES,
    repeat_days: int = 30,
    rereferral_days: int = 365,
    unit_costs: pd.DataFrame | None = None,
    policy: DisclosurePolicy = POLICIES["nhs"],
) -> FailureDemandResult:
    """The share of contacts that are failure demand, per service and overall, with Wilson intervals.

    Parameters
    ----------
    records : pandas.DataFrame
        Contact records, one row per contact.
    family, service, route, start, end : str
        Column names (``end`` may be empty for an open contact).
    crisis_routes : iterable of str
    repeat_days : int, default 30
        A contact within this many days of the family's previous contact at the same service is a repeat.
    rereferral_days : int, default 365
        A contact within this many days after the same service closed the family's previous contact is a
        re-referral.
    unit_costs : pandas.DataFrame, optional
        ``service`` (or contact type, as in the ``service`` column), ``cost`` (pounds), ``source``,
        ``price_year`` (one year for all).
    policy : DisclosurePolicy, default NHS

    Returns
    -------
    FailureDemandResult

    Raises
    ------
    SourceError
        A column or value is missing or unreadable, or a number of days is negative.
    CostError
        The unit costs table is incomplete, duplicated or in more than one price year.

    Examples
    --------
    Family A is back at A&E after 10 days (a repeat) and then, with planned GP care started, in crisis again.

    >>> import pandas as pd
    >>> from circles.design.journeys import EXACT
    >>> r = pd.DataFrame({"family_id": list("AAAA"), "service": ["A&E", "A&E", "GP", "A&E"],
    ...                   "referral_source": ["999 call", "999 call", "Self", "Police"],
    ...                   "start_date": ["2010-01-01", "2010-01-11", "2010-02-01", "2010-06-01"],
    ...                   "end_date": ["2010-01-01", "2010-01-11", "", "2010-06-01"]})
    >>> fd = failure_demand(r, policy=EXACT)
    >>> fd.overall[["contacts", "repeat", "re_referral", "crisis_after_planned", "failure_demand"]].values.tolist()
    [[4, 1, 2, 1, 2]]
    >>> float(fd.overall["failure_demand_share"].iloc[0])
    0.5
    """
    repeat_days, rereferral_days = _days(repeat_days, "repeat_days"), _days(rereferral_days, "rereferral_days")
    costs = None if unit_costs is None else _unit_costs(unit_costs)
    c = contacts_in_order(
        records, family=family, start=start, service=service, route=route, end=end, crisis_routes=crisis_routes
    )
    flags = _flags(c, repeat_days, rereferral_days)
    counts = flags.groupby("service", observed=True)[list(MEASURES)].sum()
    counts.insert(0, "contacts", flags.groupby("service", observed=True).size())
    counts = counts.astype(np.int64).reset_index()
    counts["service"] = counts["service"].astype(object)
    columns = ["contacts", *MEASURES]
    by_service = _with_shares(protect_table(counts, columns, policy, groups=[[]]), MEASURES)
    overall = _with_shares(_overall(counts, columns, policy), MEASURES)
    uncosted: tuple[str, ...] = ()
    if costs is not None:
        by_service, overall, uncosted = _costed(by_service, overall, costs)
    return FailureDemandResult(by_service, overall, flags, repeat_days, rereferral_days, policy, uncosted)


# ------------------------------------------------------------------------------------------- repeat presentations


@dataclass(frozen=True)
class RepeatResult:
    """Crisis contacts that came back within each window, as :func:`repeat_presentations` returns them.

    Attributes
    ----------
    table : pandas.DataFrame
        Published, one row per window: ``window_days``, ``crisis_contacts``, ``repeats`` (each with
        ``*_suppressed``), ``share``, ``share_lower``, ``share_upper`` (Wilson 95%, from the published counts),
        ``families`` (with a crisis contact) and ``families_back`` (back within the window at least once).
    gaps : pandas.DataFrame
        Exact, per crisis contact — **not for publication**: ``family``, ``start``, ``days_since_last_crisis``.
    policy : DisclosurePolicy
    """

    table: pd.DataFrame
    gaps: pd.DataFrame
    policy: DisclosurePolicy


def repeat_presentations(
    records: pd.DataFrame,
    *,
    family: str = "family_id",
    route: str = "referral_source",
    start: str = "start_date",
    crisis_routes: Iterable[str] = CRISIS_ROUTES,
    windows: Sequence[int] = (30, 90),
    policy: DisclosurePolicy = POLICIES["nhs"],
) -> RepeatResult:
    """The same family back in crisis within 30 and 90 days (or other ``windows``) of its last crisis contact.

    A crisis contact is a repeat presentation within ``w`` days when the family's previous crisis contact
    (at any crisis service) started at most ``w`` days before it.

    Parameters
    ----------
    records : pandas.DataFrame
        Contact records, one row per contact.
    family, route, start : str
        Column names.
    crisis_routes : iterable of str
    windows : sequence of int, default (30, 90)
        Days.
    policy : DisclosurePolicy, default NHS

    Returns
    -------
    RepeatResult

    Raises
    ------
    SourceError
        A column or value is missing or unreadable, or a window is negative.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.design.journeys import EXACT
    >>> r = pd.DataFrame({"family_id": list("AAAB"), "referral_source": ["A&E", "Police", "A&E", "A&E"],
    ...                   "start_date": ["2010-01-01", "2010-01-21", "2010-04-01", "2010-01-01"]})
    >>> repeat_presentations(r, policy=EXACT).table[["window_days", "crisis_contacts", "repeats"]].values.tolist()
    [[30, 4, 1], [90, 4, 2]]
    """
    windows = [_days(w, "each window") for w in windows]
    c = contacts_in_order(records, family=family, start=start, route=route, crisis_routes=crisis_routes)
    crisis = c.loc[c["crisis"], ["family", "start"]].reset_index(drop=True)
    gap = (crisis["start"] - crisis.groupby("family", observed=True)["start"].shift()).dt.days
    crisis["days_since_last_crisis"] = gap.astype("Float64")
    rows = []
    for w in windows:
        back = (gap <= w).to_numpy(dtype=bool)
        families_back = int(crisis.loc[back, "family"].nunique())
        rows.append([w, len(crisis), int(back.sum()), int(crisis["family"].nunique()), families_back])
    columns = ["window_days", "crisis_contacts", "repeats", "families", "families_back"]
    table = protect_table(pd.DataFrame(rows, columns=columns), columns[1:], policy)
    shares = proportion(table["repeats"], table["crisis_contacts"])
    table["share"], table["share_lower"], table["share_upper"] = (shares[c].array for c in shares.columns)
    return RepeatResult(table, crisis, policy)
