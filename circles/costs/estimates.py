"""Estimated prevalence by area, children affected and treatment penetration, as Circles of Need case studies use them.

A prevalence estimate applies a published rate (e.g. 17.6% of adults drink at hazardous levels, 5.5% at harmful
levels) to a population denominator by area (:func:`circles.geo.populations.read_population` with ``age_band="18+"``):

* :func:`prevalence` gives one column per category, an optional sum of the categories (``misusing`` = hazardous
  + harmful) and, where a rate comes with a confidence interval, the counts at its lower and upper limits.
* :func:`children_affected` scales the number of misusing adults by children per adult (e.g. 34,683 children
  aged 0–15 ÷ 102,787 adults × 23,744 misusing adults ≈ 8,000 children living with a hazardous or harmful
  drinker). It assumes children are spread across households in proportion to adults.
* :func:`treatment_penetration` is people in treatment ÷ estimated need (628 ÷ 5,653 harmful drinkers = 11.1%),
  with a Wilson score interval (:func:`circles.stats.rates.wilson_interval`).

Counts are rounded half up (:func:`round_half_up`), the way a spreadsheet's ``ROUND`` does and the way the case
study figures were produced; Python's :func:`round` rounds halves to the even number (``round(2.5) == 2``).
:func:`round_to` gives the "about 8,000" figures used in presentations.

Estimates of need are not counts of people and are not subject to small-number suppression, but the treatment
counts they are compared with are: use published (protected) counts from
:func:`circles.ingest.disclosure.protect_table` for areas smaller than the whole borough.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

import numpy as np
import pandas as pd

from circles.errors import RateError
from circles.stats.rates import wilson_interval

__all__ = [
    "round_half_up",
    "round_to",
    "prevalence",
    "children_affected",
    "treatment_penetration",
]

#: Name of the row holding the whole-borough figures in :func:`treatment_penetration` for areas.
ALL_AREAS = "all areas"

Rate = float | Mapping[str, float]


# ---------------------------------------------------------------------------------------------------- rounding


def round_half_up(x: float, ndigits: int = 0) -> float:
    """Round to ``ndigits`` decimal places with halves away from zero (spreadsheet ``ROUND``), not to even.

    The number is rounded as it is written (its shortest ``repr``), so ``2.675`` rounds to ``2.68`` as a person
    would expect, although the nearest double is 2.67499999…. Negative numbers round symmetrically
    (``-2.5`` → ``-3``). ``NaN`` and infinities are returned unchanged.

    Parameters
    ----------
    x : float
        The number to round.
    ndigits : int, default 0
        Decimal places; negative values round to tens, hundreds…

    Returns
    -------
    float
        The rounded number (a whole number when ``ndigits <= 0``; wrap in :func:`int` for an integer).

    Examples
    --------
    >>> round_half_up(18090.5), round(18090.5)
    (18091.0, 18090)
    >>> round_half_up(2.5), round_half_up(-2.5), round_half_up(2.675, 2)
    (3.0, -3.0, 2.68)
    >>> int(round_half_up(102787 * 0.176)), int(round_half_up(102787 * 0.055))
    (18091, 5653)
    """
    if not isinstance(x, Real) or isinstance(x, bool):
        raise RateError(f"round_half_up needs a number; got {x!r}.")
    value = float(x)
    if not math.isfinite(value):
        return value
    quantum = Decimal(1).scaleb(-ndigits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def round_to(value: float, step: float) -> float:
    """Round ``value`` half up to the nearest multiple of ``step`` ("about 8,000", "about £6,000").

    Parameters
    ----------
    value : float
    step : float
        A positive step such as 1000, 100 or 0.5.

    Returns
    -------
    float

    Examples
    --------
    >>> round_to(8011.84, 1000), round_to(5935.04, 1000), round_to(2500, 1000), round_to(178050, 10000)
    (8000.0, 6000.0, 3000.0, 180000.0)
    """
    if not isinstance(step, Real) or isinstance(step, bool) or not step > 0:
        raise RateError(f"round_to needs a positive step such as 1000; got {step!r}.")
    if not isinstance(value, Real) or isinstance(value, bool):
        raise RateError(f"round_to needs a number; got {value!r}.")
    if not math.isfinite(float(value)):
        return float(value)
    step_d = Decimal(repr(float(step)))
    multiple = (Decimal(repr(float(value))) / step_d).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(multiple * step_d)


def _round_series(values: pd.Series) -> pd.Series:
    return values.map(lambda v: round_half_up(float(v)) if pd.notna(v) else np.nan)


# -------------------------------------------------------------------------------------------------- prevalence


def _parse_rate(name: str, rate: Rate) -> tuple[float, float | None, float | None]:
    """``(estimate, lower, upper)`` from a number or ``{estimate, lower, upper}``; fractions 0–1."""

    def fraction(value: object, what: str) -> float:
        if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= float(value) <= 1:
            raise RateError(
                f"rate {name!r}: {what} must be a fraction between 0 and 1 (17.6% is 0.176); got {value!r}."
            )
        return float(value)

    if isinstance(rate, Mapping):
        unknown = set(rate) - {"estimate", "lower", "upper"}
        if unknown or "estimate" not in rate:
            raise RateError(
                f"rate {name!r} must be a number or a mapping with 'estimate' and optionally 'lower' and 'upper'; "
                f"got keys {sorted(map(str, rate))}."
            )
        estimate = fraction(rate["estimate"], "estimate")
        if ("lower" in rate) != ("upper" in rate):
            raise RateError(f"rate {name!r}: give both 'lower' and 'upper' for an interval, or neither.")
        if "lower" not in rate:
            return estimate, None, None
        lower, upper = fraction(rate["lower"], "lower"), fraction(rate["upper"], "upper")
        if not lower <= estimate <= upper:
            raise RateError(f"rate {name!r}: need lower <= estimate <= upper; got {lower}, {estimate}, {upper}.")
        return estimate, lower, upper
    return fraction(rate, "the rate"), None, None


def _population(population: pd.Series | float, name: str = "population") -> pd.Series:
    if isinstance(population, pd.Series):
        series = population
    elif isinstance(population, Real) and not isinstance(population, bool):
        series = pd.Series([population], index=pd.Index(["total"], name="area_code"))
    else:
        raise RateError(f"{name} must be a number or a Series by area code; got {type(population).__name__}.")
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() & series.notna()
    if bad.any():
        label = series.index[bad.to_numpy()][0]
        raise RateError(f"{name} for area {label!r} is {series[label]!r}, not a number.")
    if (numeric < 0).any():
        label = numeric.index[(numeric < 0).to_numpy()][0]
        raise RateError(f"{name} for area {label!r} is negative ({numeric[label]:g}); populations are 0 or more.")
    return numeric.astype(float)


def prevalence(
    population: pd.Series | float,
    rates: Mapping[str, Rate],
    *,
    total: str | None = "misusing",
    rounded: bool = True,
) -> pd.DataFrame:
    """Estimated number of people in each category per area: population × rate.

    Parameters
    ----------
    population : pandas.Series or number
        Denominator by area code (e.g. adults 18+ from :func:`circles.geo.populations.read_population`), or one
        number for the whole area (index ``"total"``).
    rates : mapping
        Category name → rate as a fraction (``{"hazardous": 0.176, "harmful": 0.055}``), or →
        ``{"estimate": ..., "lower": ..., "upper": ...}`` for a rate with a confidence interval.
    total : str or None, default "misusing"
        Name of a column adding up all categories (they must not overlap), or ``None`` for no such column.
    rounded : bool, default True
        Round every count half up to a whole number (:func:`round_half_up`). The total is then the sum of the
        rounded categories, so the table adds up as printed (18,091 + 5,653 = 23,744).

    Returns
    -------
    pandas.DataFrame
        Indexed by area code: ``population``, one column per category, the ``total`` column, and for each
        category with an interval ``<category>_lower`` and ``<category>_upper`` (population × the rate's
        limits). The total gets limits only when every category has them: the sum of the lower and of the
        upper limits, a conservative interval (it assumes the categories' errors move together).

    Raises
    ------
    RateError
        A rate outside 0–1, an interval not containing its estimate, a negative or non-numeric population, no
        rates, or a ``total`` named like a category.

    Examples
    --------
    >>> table = prevalence(102787, {"hazardous": 0.176, "harmful": 0.055})
    >>> table.loc["total", ["hazardous", "harmful", "misusing"]].astype(int).tolist()
    [18091, 5653, 23744]
    >>> ci = prevalence(1000, {"harmful": {"estimate": 0.055, "lower": 0.05, "upper": 0.06}})
    >>> ci.loc["total", ["harmful", "harmful_lower", "harmful_upper"]].tolist()
    [55.0, 50.0, 60.0]
    """
    if not rates:
        raise RateError("prevalence needs at least one rate, e.g. {'harmful': 0.055}.")
    if total is not None and total in rates:
        raise RateError(f"total column {total!r} has the same name as a category; choose another name.")
    people = _population(population)
    parsed = {str(name): _parse_rate(str(name), rate) for name, rate in rates.items()}
    out = pd.DataFrame({"population": people})
    out.index.name = people.index.name or "area_code"

    def count(rate: float) -> pd.Series:
        values = people * rate
        return _round_series(values) if rounded else values

    for name, (estimate, _, _) in parsed.items():
        out[name] = count(estimate)
    if total is not None:
        out[total] = out[list(parsed)].sum(axis=1, min_count=len(parsed))
    for name, (_, lower, upper) in parsed.items():
        if lower is not None and upper is not None:
            out[f"{name}_lower"] = count(lower)
            out[f"{name}_upper"] = count(upper)
    if total is not None and all(lower is not None for _, lower, _ in parsed.values()):
        out[f"{total}_lower"] = out[[f"{n}_lower" for n in parsed]].sum(axis=1)
        out[f"{total}_upper"] = out[[f"{n}_upper" for n in parsed]].sum(axis=1)
    out.attrs["rates"] = {name: {"estimate": e, "lower": lo, "upper": up} for name, (e, lo, up) in parsed.items()}
    out.attrs["rounding"] = "half up to whole people" if rounded else "none"
    return out


def children_affected(
    adults: pd.Series | float, children: pd.Series | float, misusing: pd.Series | float
) -> pd.Series | float:
    """Children living with a misusing adult, estimated as children per adult × misusing adults.

    ``children / adults * misusing``: it assumes children live with misusing adults at the same rate as with
    other adults. Not rounded; use :func:`round_to` for a presentation figure ("about 8,000").

    Parameters
    ----------
    adults, children, misusing : number or pandas.Series
        Adult population, child population (e.g. 0–15) and estimated misusing adults, as numbers or as Series
        by area code (aligned on the index). An area with no adults gives ``NaN``.

    Returns
    -------
    float or pandas.Series
        A number when all three are numbers; otherwise a Series by area named ``"children_affected"``.

    Examples
    --------
    >>> value = children_affected(102787, 34683, 23744)
    >>> f"{value:.2f}", round_to(value, 1000)
    ('8011.84', 8000.0)
    """
    inputs = {"adults": adults, "children": children, "misusing": misusing}
    series = {name: _population(value, name) for name, value in inputs.items()}
    if not any(isinstance(value, pd.Series) for value in inputs.values()):
        a, c, m = (float(series[name].iloc[0]) for name in inputs)
        return c / a * m if a > 0 else float("nan")
    index = next(series[name].index for name, value in inputs.items() if isinstance(value, pd.Series))
    aligned = {}
    for name, value in inputs.items():
        if not isinstance(value, pd.Series):
            aligned[name] = pd.Series(float(series[name].iloc[0]), index=index)
        elif set(value.index) != set(index) or value.index.has_duplicates:
            raise RateError(
                f"{name} has different area codes from the other inputs; give all three the same index, each code once."
            )
        else:
            aligned[name] = series[name].reindex(index)
    a = aligned["adults"]
    result = (aligned["children"] / a.where(a > 0) * aligned["misusing"]).astype(float)
    result.name = "children_affected"
    return result


def treatment_penetration(
    in_treatment: pd.Series | float, need: pd.Series | float, *, confidence: float = 0.95
) -> pd.DataFrame:
    """Share of the estimated need in treatment (penetration), with a Wilson score interval.

    The estimate of need (e.g. harmful drinkers from :func:`prevalence`) is treated as the number of trials; its
    own uncertainty is not included, so the interval reflects only the binomial variation of the treatment
    count. For Series by area a row ``"all areas"`` adds up numerators and denominators.

    Parameters
    ----------
    in_treatment : number or pandas.Series
        People in treatment (published counts for small areas).
    need : number or pandas.Series
        Estimated people in need, same index as ``in_treatment``.
    confidence : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        Columns ``in_treatment``, ``need``, ``penetration`` (0–1), ``lower``, ``upper``; index ``"total"`` for
        numbers, else the area codes then ``"all areas"``.

    Raises
    ------
    RateError
        Negative or non-numeric counts, more in treatment than the estimated need, mismatched areas.

    Examples
    --------
    >>> row = treatment_penetration(628, 5653).loc["total"]
    >>> f"{row.penetration:.1%}", f"{row.lower:.1%}", f"{row.upper:.1%}"
    ('11.1%', '10.3%', '12.0%')
    """
    treated = _population(in_treatment, "in_treatment")
    needed = _population(need, "need")
    if isinstance(in_treatment, pd.Series) != isinstance(need, pd.Series):
        raise RateError("give in_treatment and need both as numbers or both as Series by area code.")
    if isinstance(in_treatment, pd.Series):
        if set(treated.index) != set(needed.index) or treated.index.has_duplicates:
            raise RateError(
                "in_treatment and need must have the same area codes, each once; "
                "reindex one on the other (missing areas as 0 treated)."
            )
        needed = needed.reindex(treated.index)
        treated = pd.concat([treated, pd.Series([treated.sum()], index=[ALL_AREAS])])
        needed = pd.concat([needed, pd.Series([needed.sum()], index=[ALL_AREAS])])
    lower, upper = wilson_interval(treated.to_numpy(), needed.to_numpy(), confidence=confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(needed.to_numpy() > 0, treated.to_numpy() / needed.to_numpy(), np.nan)
    out = pd.DataFrame(
        {
            "in_treatment": treated.to_numpy(),
            "need": needed.to_numpy(),
            "penetration": share,
            "lower": lower,
            "upper": upper,
        },
        index=pd.Index(treated.index, name="area_code"),
    )
    out.attrs["confidence"] = confidence
    out.attrs["method"] = "Wilson score interval; the estimate of need is taken as exact"
    return out
