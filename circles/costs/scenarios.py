"""Savings scenarios, discounting and apportionment: what sustained change would save, and where the cost falls.

:func:`savings_scenarios` multiplies a cost per case by the number of people sustaining change, with low, central
and high shares of the cost avoided, and their present value over several years discounted at the HM Treasury
Green Book rate of 3.5% a year (:func:`discount_factors`, :func:`present_value`). :func:`apportion` shares a
borough total between areas by a driver to the penny. :func:`scenario_table` presents the scenarios in packs.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from circles.costs.estimates import round_to
from circles.costs.money import CostError, format_gbp

__all__ = [
    "GREEN_BOOK_RATE",
    "discount_factors",
    "present_value",
    "savings_scenarios",
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


def savings_scenarios(
    cost_per_case: float,
    scenarios: Mapping[str, float],
    *,
    low: float = 0.5,
    central: float = 1.0,
    high: float = 1.2,
    years: int = 1,
    discount_rate: float = GREEN_BOOK_RATE,
    first_year_discounted: bool = False,
) -> pd.DataFrame:
    """Annual cost avoided when people sustain change, with a low, central and high range.

    Each scenario's saving is ``people × cost_per_case × share``, where the share of a case's annual cost avoided
    by one person sustaining change is ``low``, ``central`` or ``high``. The defaults (50%, 100%, 120%) are a
    judgement, not evidence: 50% allows for costs that continue (e.g. long-term conditions, benefits paid for
    other reasons); 120% allows for the case's cost being above average (those who engage with services are
    often the costliest). State the range used in any pack.

    Parameters
    ----------
    cost_per_case : float
        Annual cost per case in pounds (:func:`cost_per_case`).
    scenarios : mapping
        Scenario name → people sustaining change, e.g. ``{"3 people": 3, "30 families": 30}``.
    low, central, high : float
        Shares of the cost per case avoided per person, ``0 <= low <= central <= high``.
    years : int, default 1
        With more than one year, also give the present value of ``years`` annual savings.
    discount_rate : float, default 0.035
        HM Treasury Green Book rate.
    first_year_discounted : bool, default False
        Green Book convention (False): the first year's saving is year 0, undiscounted.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario``, ``people``, ``low``, ``central``, ``high`` (pounds a year), and when ``years > 1``
        ``low_pv``, ``central_pv``, ``high_pv`` (present value over ``years``). ``attrs`` records the settings.

    Examples
    --------
    >>> table = savings_scenarios(6000, {"3 people": 3, "30 families": 30}, years=3)
    >>> table[["scenario", "low", "central", "high"]].values.tolist()
    [['3 people', 9000.0, 18000.0, 21600.0], ['30 families', 90000.0, 180000.0, 216000.0]]
    >>> print(round(table.loc[0, "central_pv"], 2))
    52194.5
    """
    if isinstance(cost_per_case, bool) or not isinstance(cost_per_case, Real) or not cost_per_case >= 0:
        raise CostError(f"cost_per_case must be a number of pounds, 0 or more; got {cost_per_case!r}.")
    shares = {"low": low, "central": central, "high": high}
    for name, share in shares.items():
        if isinstance(share, bool) or not isinstance(share, Real) or share < 0:
            raise CostError(f"{name} must be a share of the cost avoided, 0 or more (1.0 = all of it); got {share!r}.")
    if not low <= central <= high:
        raise CostError(f"need low <= central <= high; got low={low}, central={central}, high={high}.")
    if not scenarios:
        raise CostError("give at least one scenario, e.g. {'3 people': 3}.")
    factors = discount_factors(years, discount_rate, first_year_discounted=first_year_discounted)
    rows = []
    for name, people in scenarios.items():
        if isinstance(people, bool) or not isinstance(people, Real) or people < 0:
            raise CostError(f"scenario {name!r}: the number of people must be 0 or more; got {people!r}.")
        row: dict[str, Any] = {"scenario": str(name), "people": people}
        for key, share in shares.items():
            row[key] = float(people) * float(cost_per_case) * float(share)
        rows.append(row)
    out = pd.DataFrame(rows)
    if years > 1:
        for key in shares:
            out[f"{key}_pv"] = out[key] * factors.sum()
    out.attrs.update(
        cost_per_case=float(cost_per_case),
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


def scenario_table(scenarios: pd.DataFrame, *, nearest: float | None = None) -> pd.DataFrame:
    """Savings scenarios as strings for a pack: ``£18,000``, optionally rounded to the ``nearest`` pounds.

    Parameters
    ----------
    scenarios : pandas.DataFrame
        From :func:`savings_scenarios`.
    nearest : float, optional
        Round money half up to this (e.g. 1000 for "about £18,000").

    Returns
    -------
    pandas.DataFrame
        Columns ``Scenario``, ``People``, ``Low``, ``Central``, ``High`` and, if present, ``Low (PV)``,
        ``Central (PV)``, ``High (PV)``.

    Examples
    --------
    >>> table = scenario_table(savings_scenarios(5935.04, {"3 people": 3}), nearest=1000)
    >>> table.values.tolist()
    [['3 people', '3', '£9,000', '£18,000', '£21,000']]
    """
    required = ["scenario", "people", "low", "central", "high"]
    missing = [c for c in required if c not in scenarios.columns]
    if missing:
        raise CostError(f"scenario table is missing columns {missing}; pass the result of savings_scenarios.")

    def money(value: float) -> str:
        return format_gbp(round_to(value, nearest) if nearest else value)

    out = pd.DataFrame({"Scenario": scenarios["scenario"].astype(str)})
    out["People"] = [f"{p:,.0f}" if float(p).is_integer() else f"{p:,}" for p in scenarios["people"]]
    for key in ("low", "central", "high"):
        out[key.capitalize()] = scenarios[key].map(money)
    for key in ("low", "central", "high"):
        if f"{key}_pv" in scenarios.columns:
            out[f"{key.capitalize()} (PV)"] = scenarios[f"{key}_pv"].map(money)
    return out
