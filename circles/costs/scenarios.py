"""Savings scenarios, discounting and apportionment: what sustained change would save, and where the cost falls.

:func:`savings_scenarios` multiplies a cost per case by the number of people sustaining change, with low, central
and high shares of the cost avoided, and their present value over several years discounted at the HM Treasury
Green Book rate of 3.5% a year (:func:`discount_factors`, :func:`present_value`). :func:`apportion` shares a
borough total between areas by a driver to the penny. :func:`scenario_table` presents the scenarios in packs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from circles.costs.estimates import round_to
from circles.costs.money import CostError, format_gbp, format_gbp_rounded

__all__ = [
    "GREEN_BOOK_RATE",
    "discount_factors",
    "present_value",
    "savings_scenarios",
    "scenario_unit",
    "UNITS",
    "apportion",
    "scenario_table",
]

#: HM Treasury Green Book social time preference rate for years 0–30.
GREEN_BOOK_RATE = 0.035


# ---------------------------------------------------------------------------------------------------- scenarios


def discount_factors(years: int, rate: float = GREEN_BOOK_RATE, *, first_year_discounted: bool = False) -> np.ndarray:
    """Discount factors for ``years`` annual amounts.

    Green Book convention (default): the first year is year 0 with factor 1, year *t* has :math:`1/(1+r)^t`.
    With ``first_year_discounted=True`` the years run 1…N (the first amount is discounted once).

    Parameters
    ----------
    years : int
        Number of annual amounts, 1 or more.
    rate : float, default 0.035
        Discount rate a year, from 0 to 1 (HM Treasury Green Book rate).
    first_year_discounted : bool, default False
        Discount the first year's amount once (years 1…N) rather than not at all (years 0…N-1).

    Returns
    -------
    numpy.ndarray
        One factor a year.

    Examples
    --------
    >>> discount_factors(3).round(6).tolist()
    [1.0, 0.966184, 0.933511]
    >>> discount_factors(2, first_year_discounted=True).round(6).tolist()
    [0.966184, 0.933511]
    """
    if isinstance(years, bool) or not isinstance(years, int | np.integer) or years < 1:
        raise CostError(f"years must be a whole number of years, 1 or more; got {years!r}.")
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 <= rate < 1:
        raise CostError(f"discount rate must be a fraction from 0 to 1 (the Green Book's 3.5% is 0.035); got {rate!r}.")
    start = 1 if first_year_discounted else 0
    return 1 / (1 + float(rate)) ** np.arange(start, start + int(years))


def present_value(
    annual: float, years: int, rate: float = GREEN_BOOK_RATE, *, first_year_discounted: bool = False
) -> float:
    """Present value of the same amount each year for ``years`` years (see :func:`discount_factors`).

    Parameters
    ----------
    annual : float
        The amount each year, in pounds.
    years : int
        Number of years, 1 or more.
    rate : float, default 0.035
        Discount rate a year (HM Treasury Green Book rate).
    first_year_discounted : bool, default False
        Discount the first year's amount once.

    Returns
    -------
    float
        The sum of the discounted amounts, in pounds.

    Examples
    --------
    >>> print(round(present_value(18000, 3), 2))  # 18,000 + 18,000/1.035 + 18,000/1.035**2
    52194.5
    """
    return float(annual * discount_factors(years, rate, first_year_discounted=first_year_discounted).sum())


#: The units a scenario can count, and the words in a scenario's name that say which it counts.
UNITS: dict[str, tuple[str, ...]] = {
    "person": ("person", "people", "adult", "adults", "drinker", "drinkers", "parent", "parents", "case", "cases"),
    "family": ("family", "families", "household", "households"),
}


def scenario_unit(name: str, unit: str | None = None) -> str:
    """The unit a scenario counts: ``unit`` if given, else the one its name says (``"30 families"`` → family).

    A name that says one unit while ``unit`` says another is an error (``"30 families"`` priced per person is
    how a family came to be priced as one harmful drinker); a name that says neither counts cases (persons).

    Examples
    --------
    >>> scenario_unit("30 families"), scenario_unit("3 people sustaining change"), scenario_unit("3")
    ('family', 'person', 'person')
    >>> scenario_unit("30 families", "person")
    Traceback (most recent call last):
    ...
    circles.costs.money.CostError: scenario '30 families' says it counts families but is given unit 'person'; ...
    """
    words = set(re.findall(r"[a-z]+", str(name).lower()))
    named = [u for u, said in UNITS.items() if words & set(said)]
    if unit is not None and unit not in UNITS:
        raise CostError(f"scenario {name!r}: unknown unit {unit!r}; use one of {', '.join(UNITS)}.")
    if unit is not None and named and unit not in named:
        said = "families" if "family" in named else "people"
        raise CostError(
            f"scenario {name!r} says it counts {said} but is given unit {unit!r}; rename it or give the unit it "
            "counts, so that it is priced per person or per family as it says."
        )
    if unit is not None:
        return unit
    if len(named) > 1:
        raise CostError(f"scenario {name!r} names both people and families; give its unit (person or family).")
    return named[0] if named else "person"


def _count_and_unit(name: str, value: Any) -> tuple[float, str]:
    """``(count, unit)`` of a scenario given as a number, a mapping ``{count, unit}`` or an object with them."""
    if isinstance(value, Mapping):
        count, unit = value.get("count"), value.get("unit")
    elif hasattr(value, "count") and hasattr(value, "unit"):
        count, unit = value.count, value.unit
    else:
        count, unit = value, None
    if isinstance(count, bool) or not isinstance(count, Real) or count < 0:
        raise CostError(f"scenario {name!r}: the number sustaining change must be 0 or more; got {count!r}.")
    return count, scenario_unit(name, unit)


def _check_shares(shares: Mapping[str, float]) -> None:
    for name, share in shares.items():
        if isinstance(share, bool) or not isinstance(share, Real) or share < 0:
            raise CostError(f"{name} must be a share of the cost avoided, 0 or more (1.0 = all of it); got {share!r}.")
        if share > 1:
            raise CostError(
                f"{name} share {share:g} avoids {share:.0%} of the cost per case: a saving cannot exceed the cost it "
                "avoids. Give a share from 0 to 1 (1 = all of a case's annual cost)."
            )
    if not shares["low"] <= shares["central"] <= shares["high"]:
        values = ", ".join(f"{k}={v}" for k, v in shares.items())
        raise CostError(f"need low <= central <= high; got {values}.")


def savings_scenarios(
    cost_per_case: float,
    scenarios: Mapping[str, Any],
    *,
    low: float = 0.5,
    central: float = 0.75,
    high: float = 1.0,
    years: int = 1,
    discount_rate: float = GREEN_BOOK_RATE,
    first_year_discounted: bool = False,
    unit_costs: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Annual cost avoided when people (or families) sustain change, with a low, central and high range.

    Each scenario's saving is ``count × cost per unit × share``. The unit is a person (a case, priced at
    ``cost_per_case``) or a family (priced at ``unit_costs["family"]``, e.g.
    :meth:`~circles.costs.model.Family.cost`); see :func:`scenario_unit`. The share of a unit's annual cost
    avoided is ``low``, ``central`` or ``high``, each at most 1: sustained change can avoid at most the whole of
    the cost it avoids. The defaults (50%, 75%, 100%) are a judgement, not evidence: 50% allows for costs that
    continue (e.g. long-term conditions, benefits paid for other reasons); 100% is the whole average cost of a
    case. State the range used in any pack.

    Parameters
    ----------
    cost_per_case : float
        Annual cost per case (per person) in pounds (:func:`~circles.costs.model.cost_per_case`).
    scenarios : mapping
        Scenario name → the number sustaining change (``{"3 people": 3}``), or → ``{"count": 30, "unit":
        "family"}``.
    low, central, high : float
        Shares of a unit's annual cost avoided, ``0 <= low <= central <= high <= 1``.
    years : int, default 1
        With more than one year, also give the present value of ``years`` annual savings.
    discount_rate : float, default 0.035
        HM Treasury Green Book rate.
    first_year_discounted : bool, default False
        Green Book convention (False): the first year's saving is year 0, undiscounted.
    unit_costs : mapping, optional
        Annual cost per unit other than a person, e.g. ``{"family": 8700}``: required when a scenario counts
        families (a family is not priced as one person).

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario``, ``unit``, ``count``, ``cost_per_unit``, ``low``, ``central``, ``high`` (pounds a
        year), and when ``years > 1`` ``low_pv``, ``central_pv``, ``high_pv``. ``attrs`` records the settings.

    Raises
    ------
    CostError
        A share above 1 (more than the cost avoided) or out of order; a scenario of families without a cost per
        family; a name saying one unit and ``unit`` another.

    Examples
    --------
    >>> table = savings_scenarios(6000, {"3 people": 3, "30 families": 30}, years=3, unit_costs={"family": 8700})
    >>> table[["scenario", "unit", "cost_per_unit", "low", "high"]].values.tolist()
    [['3 people', 'person', 6000.0, 9000.0, 18000.0], ['30 families', 'family', 8700.0, 130500.0, 261000.0]]
    >>> print(round(table.loc[0, "high_pv"], 2))
    52194.5
    >>> savings_scenarios(6000, {"3 people": 3}, high=1.2)
    Traceback (most recent call last):
    ...
    circles.costs.money.CostError: high share 1.2 avoids 120% of the cost per case: a saving cannot exceed the cost ...
    """
    if isinstance(cost_per_case, bool) or not isinstance(cost_per_case, Real) or not cost_per_case >= 0:
        raise CostError(f"cost_per_case must be a number of pounds, 0 or more; got {cost_per_case!r}.")
    shares = {"low": low, "central": central, "high": high}
    _check_shares(shares)
    if not scenarios:
        raise CostError("give at least one scenario, e.g. {'3 people': 3}.")
    costs = {"person": float(cost_per_case)} | {k: float(v) for k, v in (unit_costs or {}).items()}
    factors = discount_factors(years, discount_rate, first_year_discounted=first_year_discounted)
    rows = []
    for name, value in scenarios.items():
        count, unit = _count_and_unit(str(name), value)
        if unit not in costs:
            raise CostError(
                f"scenario {name!r} counts {unit} units but there is no cost per {unit}: a {unit} is not priced as "
                f"one person. Give the cost model a '{unit}' section (see pipelines/demo_costs.yaml)."
            )
        row: dict[str, Any] = {"scenario": str(name), "unit": unit, "count": count, "cost_per_unit": costs[unit]}
        for key, share in shares.items():
            row[key] = float(count) * costs[unit] * float(share)
        rows.append(row)
    out = pd.DataFrame(rows)
    if years > 1:
        for key in shares:
            out[f"{key}_pv"] = out[key] * factors.sum()
    out.attrs.update(
        cost_per_case=float(cost_per_case),
        unit_costs=costs,
        shares=shares,
        years=years,
        discount_rate=discount_rate,
        first_year_discounted=first_year_discounted,
    )
    return out


# ------------------------------------------------------------------------------------------------- apportionment


def apportion(total: float, drivers: pd.Series, *, step: float = 0.01) -> pd.Series:
    """Share ``total`` between areas in proportion to ``drivers``, rounded so the parts add up exactly.

    Largest-remainder (Hamilton) method in units of ``step`` (pence by default): each area gets the whole units
    of its exact share, and the units left over go one each to the areas with the largest remainders (ties to
    the larger driver, then to the earlier area).

    Parameters
    ----------
    total : float
        Amount to share (pounds), a whole number of ``step``.
    drivers : pandas.Series
        Driver by area (e.g. estimated harmful drinkers), zero or more, not all zero.
    step : float, default 0.01
        Rounding unit in pounds: 0.01 for pence, 1 for whole pounds.

    Returns
    -------
    pandas.Series
        Pounds by area (same index, name ``"apportioned"``); in units of ``step`` the parts sum exactly to the
        total.

    Examples
    --------
    >>> apportion(100, pd.Series({"A": 1, "B": 1, "C": 1})).tolist()
    [33.34, 33.33, 33.33]
    >>> apportion(10, pd.Series({"A": 1, "B": 2}), step=1).tolist()
    [3.0, 7.0]
    """
    if not isinstance(drivers, pd.Series) or drivers.empty:
        raise CostError("drivers must be a non-empty Series of driver values by area code.")
    values = pd.to_numeric(drivers, errors="coerce")
    if values.isna().any():
        label = values.index[values.isna().to_numpy()][0]
        raise CostError(f"driver for area {label!r} is {drivers[label]!r}; every driver must be a number, 0 or more.")
    if (values < 0).any():
        label = values.index[(values < 0).to_numpy()][0]
        raise CostError(f"driver for area {label!r} is negative ({values[label]:g}); drivers must be 0 or more.")
    if values.sum() <= 0:
        raise CostError("drivers are all zero, so there is nothing to share the total by.")
    step_d = Decimal(repr(float(step)))
    total_d = Decimal(repr(float(total)))
    if step_d <= 0 or total_d < 0 or (total_d / step_d) != (total_d / step_d).to_integral_value():
        raise CostError(f"total ({total}) must be 0 or more and a whole number of steps of {step}.")
    units = int(total_d / step_d)
    weights = values.to_numpy(dtype=float)
    quotas = units * weights / weights.sum()
    floors = np.floor(quotas).astype(np.int64)
    left = units - int(floors.sum())
    remainders = quotas - floors
    order = np.lexsort((np.arange(len(weights)), -weights, -remainders))
    floors[order[: max(left, 0)]] += 1
    out = pd.Series([float(Decimal(int(u)) * step_d) for u in floors], index=drivers.index, name="apportioned")
    out.attrs["method"] = f"largest remainder in steps of {step}"
    return out


# --------------------------------------------------------------------------------------------------- presentation


def scenario_table(
    scenarios: pd.DataFrame, *, nearest: float | None = None, figures: int | None = None
) -> pd.DataFrame:
    """Savings scenarios as strings for a pack: ``£18,000``, rounded to the ``nearest`` pounds or to ``figures``
    significant figures.

    Parameters
    ----------
    scenarios : pandas.DataFrame
        From :func:`savings_scenarios`.
    nearest : float, optional
        Round money half up to this (e.g. 1000 for "about £18,000").
    figures : int, optional
        Round money to this many significant figures (3 gives ``£17,800``, ``£5.47 million``).

    Returns
    -------
    pandas.DataFrame
        Columns ``Scenario``, ``Unit``, ``Number``, ``Cost per unit a year``, ``Low``, ``Central``, ``High`` and,
        if present, ``Low (PV)``, ``Central (PV)``, ``High (PV)``.

    Examples
    --------
    >>> table = scenario_table(savings_scenarios(5935.04, {"3 people": 3}), nearest=1000)
    >>> table.values.tolist()
    [['3 people', 'person', '3', '£6,000', '£9,000', '£13,000', '£18,000']]
    >>> scenario_table(savings_scenarios(5935.04, {"3 people": 3}), figures=3)["High"].tolist()
    ['£17,800']
    """
    required = ["scenario", "unit", "count", "cost_per_unit", "low", "central", "high"]
    missing = [c for c in required if c not in scenarios.columns]
    if missing:
        raise CostError(f"scenario table is missing columns {missing}; pass the result of savings_scenarios.")

    def money(value: float) -> str:
        if figures:
            return format_gbp_rounded(value, figures)
        return format_gbp(round_to(value, nearest) if nearest else value)

    out = pd.DataFrame({"Scenario": scenarios["scenario"].astype(str), "Unit": scenarios["unit"].astype(str)})
    out["Number"] = [f"{p:,.0f}" if float(p).is_integer() else f"{p:,}" for p in scenarios["count"]]
    out["Cost per unit a year"] = scenarios["cost_per_unit"].map(money)
    for key in ("low", "central", "high"):
        out[key.capitalize()] = scenarios[key].map(money)
    for key in ("low", "central", "high"):
        if f"{key}_pv" in scenarios.columns:
            out[f"{key.capitalize()} (PV)"] = scenarios[f"{key}_pv"].map(money)
    return out
