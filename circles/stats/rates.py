"""Rates, proportions and their confidence intervals, the way Fingertips (OHID, formerly PHE) computes them.

* Crude rates per ``per`` people with confidence intervals for the count: Byar's approximation to the exact
  Poisson interval (Breslow & Day 1987), and the exact interval itself for small counts, as in Fingertips and
  the ``PHEindicatormethods`` R package (:func:`byar_interval`, :func:`exact_poisson_interval`,
  :func:`crude_rate`).
* Proportions with Wilson score intervals (Wilson 1927; Newcombe 1998) (:func:`wilson_interval`,
  :func:`proportion`).
* Comparison with a benchmark by whether the confidence interval lies wholly above, across or wholly below it,
  with the Fingertips colours for a comparison that makes no judgement (:func:`compare_to_benchmark`,
  :data:`COMPARISON_COLOURS`).
* Global empirical Bayes smoothing (Marshall 1991) through :class:`esda.smoothing.Empirical_Bayes`
  (:func:`empirical_bayes`).
* :func:`area_rates` does all of this for an area table.

Rates shown to people must come from *published* counts (:func:`circles.ingest.disclosure.protect_table`: rounded,
``<NA>`` where suppressed). A suppressed count gives ``<NA>`` everywhere, and so does a missing or zero
population. Intervals from rounded counts are slightly wider or narrower than from exact counts; that is the
price of publishing them.

References
----------
Breslow NE, Day NE (1987). *Statistical Methods in Cancer Research, Volume II: The Design and Analysis of Cohort
Studies*. IARC Scientific Publications No. 82. Lyon: IARC.

Public Health England (2018). *Technical Guide: Confidence Intervals*. London: PHE (Fingertips methods
documentation).

Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of seven methods.
*Statistics in Medicine* 17(8): 857–872.

Marshall RJ (1991). Mapping disease and mortality rates using empirical Bayes estimators. *Journal of the Royal
Statistical Society, Series C (Applied Statistics)* 40(2): 283–294.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from esda.smoothing import Empirical_Bayes
from scipy import stats

from circles.errors import DisclosureError, RateError
from circles.ingest.disclosure import DisclosurePolicy
from circles.validation import suggest

__all__ = [
    "COMPARISON_COLOURS",
    "COMPARISONS",
    "byar_interval",
    "exact_poisson_interval",
    "poisson_interval",
    "crude_rate",
    "wilson_interval",
    "proportion",
    "compare_to_benchmark",
    "empirical_bayes",
    "area_rates",
]

#: Comparison labels, lowest first.
COMPARISONS: tuple[str, ...] = ("lower", "similar", "higher", "not compared")

#: Fingertips colours for a comparison that makes no judgement ("blue-orange-blue": higher is neither better nor
#: worse), from the Fingertips web front end, ``Colour`` class in
#: ``IndicatorsUI/MainUI/angular-app/src/app/shared/shared.ts`` of ``ukhsa-collaboration/fingertips-open``:
#: ``bobLower = '#5555E6'`` (dark blue), ``bobSame = '#ffc000'`` (amber), ``bobHigher = '#C2CCFF'`` (light
#: blue), ``noComparison = '#c9c9c9'`` (grey). circles gives the *strong* blue to "higher": its maps are read for
#: where take-up is high, and a commissioner's eye must go there first (issue 15); Fingertips itself gives the
#: dark blue to "lower". The three colours are Fingertips' own.
COMPARISON_COLOURS: dict[str, str] = {
    "lower": "#C2CCFF",
    "similar": "#FFC000",
    "higher": "#5555E6",
    "not compared": "#C9C9C9",
}

#: Below this count, ``method="phe"`` uses the exact Poisson interval instead of Byar's (as PHEindicatormethods).
EXACT_BELOW = 10

Method = Literal["phe", "byar", "exact"]
ArrayLike = pd.Series | np.ndarray | Sequence[float] | float | int


# ------------------------------------------------------------------------------------------------------ helpers


def _z(confidence: float) -> float:
    """Two-sided standard normal quantile for ``confidence`` (0.95 → 1.959964)."""
    if not isinstance(confidence, int | float | np.floating) or not 0 < confidence < 1:
        raise RateError(
            f"confidence must be a fraction between 0 and 1, such as 0.95 or 0.998 (Fingertips' two levels); "
            f"got {confidence!r}."
        )
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def _series(values: ArrayLike, name: str) -> pd.Series:
    """``values`` as a ``Float64`` Series (``<NA>`` for missing); a non-number raises naming its position."""
    if isinstance(values, pd.Series):
        series = values
    elif np.ndim(values) == 0:
        series = pd.Series([values])
    else:
        series = pd.Series(list(values) if not isinstance(values, np.ndarray) else values)
    try:
        numeric = pd.to_numeric(series, errors="raise")
    except (TypeError, ValueError):
        coerced = pd.to_numeric(series, errors="coerce")
        bad = coerced.isna() & series.notna()
        label = series.index[np.flatnonzero(bad.to_numpy(dtype=bool))[0]]
        raise RateError(
            f"{name} must be numbers; the value {series[label]!r} at {label!r} is not. "
            "Convert the column to numbers (blank for missing) first."
        ) from None
    return numeric.astype("Float64")


def _array(values: ArrayLike, name: str) -> np.ndarray:
    return _series(values, name).to_numpy(dtype=float, na_value=np.nan)


def _non_negative(values: np.ndarray, name: str) -> None:
    if np.any(values < 0):
        raise RateError(f"{name} must be zero or more; found {values[values < 0][0]:g}.")


def _pair(first: ArrayLike, second: ArrayLike, names: tuple[str, str]) -> tuple[pd.Series, pd.Series, pd.Index]:
    """Two inputs as aligned ``Float64`` Series on one index (the first Series' index if any)."""
    a, b = _series(first, names[0]), _series(second, names[1])
    if np.ndim(second) == 0 and len(a) != 1:
        b = pd.Series(np.repeat(b.iloc[0], len(a)), index=a.index, dtype="Float64")
    elif np.ndim(first) == 0 and len(b) != 1:
        a = pd.Series(np.repeat(a.iloc[0], len(b)), index=b.index, dtype="Float64")
    if len(a) != len(b):
        raise RateError(f"{names[0]} ({len(a)} values) and {names[1]} ({len(b)} values) must have the same length.")
    if isinstance(first, pd.Series) and isinstance(second, pd.Series):
        if not a.index.equals(b.index):
            if a.index.has_duplicates or b.index.has_duplicates or set(a.index) != set(b.index):
                raise RateError(
                    f"{names[0]} and {names[1]} are Series with different indexes, so their values cannot be matched. "
                    f"Give {names[1]} the same index (e.g. map populations onto the area codes of the table)."
                )
            b = b.reindex(a.index)
        index = a.index
    elif isinstance(second, pd.Series) and not isinstance(first, pd.Series):
        index = b.index
    else:
        index = a.index
    return a.set_axis(index), b.set_axis(index), index


# ------------------------------------------------------------------------------------------- Poisson intervals


def byar_interval(counts: ArrayLike, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval for a Poisson count by Byar's approximation (as Fingertips and PHE use it).

    .. math::

        L = O\\left(1 - \\frac{1}{9O} - \\frac{z}{3\\sqrt{O}}\\right)^3, \\qquad
        U = (O+1)\\left(1 - \\frac{1}{9(O+1)} + \\frac{z}{3\\sqrt{O+1}}\\right)^3

    with :math:`z` the two-sided normal quantile (1.96 for 95%, 3.09 for 99.8%) and :math:`L = 0` for
    :math:`O = 0`. It approximates the exact interval (:func:`exact_poisson_interval`) closely for
    :math:`O \\ge 10`: within 0.2% at 95% (at 99.8% the lower limit is 1.5% off at :math:`O = 10` and within
    1% from :math:`O = 13`). Below 10 PHE uses the exact interval (see :func:`poisson_interval`).

    For very small counts the bracket goes negative and the formula gives a lower limit below zero: at 99.8%
    for :math:`O` under about 1.27 (so :math:`O = 1` gives -0.0028), at 95% for :math:`O` under about 0.63
    (fractional counts only). A count cannot have a negative limit, so the lower limit is 0 there (as for
    :math:`O = 0`); the exact lower limit is small but positive (0.0010 for :math:`O = 1` at 99.8%), so use
    ``method="phe"`` or :func:`exact_poisson_interval` for such counts. ``byars_lower`` in PHEindicatormethods
    returns ``NA`` in these cases (and ``NaN`` for :math:`O = 0`) rather than 0; elsewhere the two agree.

    Parameters
    ----------
    counts : array-like or number
        Observed counts :math:`O \\ge 0` (need not be whole, e.g. for standardised counts). Missing values
        (``NaN``, ``None``, ``<NA>``) give ``NaN``.
    confidence : float, default 0.95

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits for the count, as 1-d float arrays (a single number gives length 1). Divide by
        the population for a rate's limits.

    Raises
    ------
    RateError
        A negative or non-numeric count, or ``confidence`` outside (0, 1).

    References
    ----------
    Breslow NE, Day NE (1987), *Statistical Methods in Cancer Research* vol. II, IARC, p. 69. Public Health
    England (2018), *Technical Guide: Confidence Intervals*. ``byars_lower``/``byars_upper`` in the
    PHEindicatormethods R package.

    Examples
    --------
    >>> lower, upper = byar_interval([0, 10, 100])
    >>> lower.round(3).tolist(), upper.round(3).tolist()
    ([0.0, 4.787, 81.362], [3.668, 18.391, 121.628])
    >>> byar_interval([1], confidence=0.998)[0].tolist()  # the formula would give -0.0028
    [0.0]
    """
    z = _z(confidence)
    o = _array(counts, "counts")
    _non_negative(o, "counts")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
        upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    # O = 0 gives 0 * -inf = nan; very small O (or confidence near 1) gives a negative cube. Both mean 0.
    # np.maximum keeps NaN for missing counts.
    lower = np.maximum(np.where(o == 0, 0.0, lower), 0.0)
    return lower, upper


def exact_poisson_interval(counts: ArrayLike, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence interval for a Poisson count, from its relationship with chi-squared.

    :math:`L = \\chi^2_{\\alpha/2,\\,2O} / 2` and :math:`U = \\chi^2_{1-\\alpha/2,\\,2O+2} / 2`, with :math:`L = 0`
    for :math:`O = 0` (Armitage, Berry & Matthews 2002, *Statistical Methods in Medical Research*, 4th edn;
    PHE *Technical Guide: Confidence Intervals*). Uses :func:`scipy.stats.chi2.ppf`.

    Parameters
    ----------
    counts : array-like or number
        Observed counts (zero or more); missing values give ``NaN``.
    confidence : float, default 0.95

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits for the count.

    Examples
    --------
    >>> lower, upper = exact_poisson_interval([0, 10])
    >>> lower.round(3).tolist(), upper.round(3).tolist()
    ([0.0, 4.795], [3.689, 18.39])
    """
    _z(confidence)  # validates
    alpha = 1 - confidence
    o = _array(counts, "counts")
    _non_negative(o, "counts")
    lower = np.where(o == 0, 0.0, stats.chi2.ppf(alpha / 2, 2 * np.where(o == 0, 1, o)) / 2)
    lower = np.where(np.isnan(o), np.nan, lower)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2
    return lower, upper


def poisson_interval(
    counts: ArrayLike, *, confidence: float = 0.95, method: Method = "phe"
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson interval by ``method``: ``"phe"`` (exact below 10, Byar from 10), ``"byar"`` or ``"exact"``.

    ``"phe"`` is the rule of ``phe_rate`` in PHEindicatormethods, which Fingertips crude rates follow: Byar's
    approximation is poor for very small counts (its lower limit for 1 is half the exact one).

    Examples
    --------
    >>> lower, upper = poisson_interval([5, 10])
    >>> lower.round(3).tolist(), upper.round(3).tolist()
    ([1.623, 4.787], [11.668, 18.391])
    """
    if method == "byar":
        return byar_interval(counts, confidence=confidence)
    if method == "exact":
        return exact_poisson_interval(counts, confidence=confidence)
    if method != "phe":
        raise RateError(f"Unknown interval method {method!r}.{suggest(str(method), ['phe', 'byar', 'exact'])}")
    b_lower, b_upper = byar_interval(counts, confidence=confidence)
    e_lower, e_upper = exact_poisson_interval(counts, confidence=confidence)
    small = _array(counts, "counts") < EXACT_BELOW
    return np.where(small, e_lower, b_lower), np.where(small, e_upper, b_upper)


def crude_rate(
    counts: ArrayLike,
    population: ArrayLike,
    *,
    per: float = 1000,
    confidence: float = 0.95,
    method: Method = "phe",
) -> pd.DataFrame:
    """Crude rate per ``per`` people with a Poisson confidence interval for the count.

    ``rate = O / N × per``; the limits are the count's limits (:func:`poisson_interval`) divided the same
    way. Give the *published* counts.

    Parameters
    ----------
    counts : array-like
        Counts of events or people (``<NA>`` where suppressed).
    population : array-like or number
        Denominators. Two Series are matched by index (the same labels, in any order); otherwise by position.
    per : float, default 1000
        Rate per this many people (100,000 for most Fingertips mortality rates).
    confidence : float, default 0.95
    method : {"phe", "byar", "exact"}, default "phe"
        ``"phe"``: exact interval for counts under 10, Byar's from 10 (PHEindicatormethods ``phe_rate``).

    Returns
    -------
    pandas.DataFrame
        ``rate``, ``rate_lower``, ``rate_upper`` (``Float64``) on the counts' index; ``<NA>`` where the count is
        missing or the population is missing or 0.

    Raises
    ------
    RateError
        Negative or non-numeric counts or populations, mismatched lengths or indexes, ``per`` not positive.

    Examples
    --------
    >>> crude_rate([20, None, 5], [4000, 1000, 0], per=1000).round(3)
       rate  rate_lower  rate_upper
    0   5.0       3.053       7.722
    1  <NA>        <NA>        <NA>
    2  <NA>        <NA>        <NA>
    """
    if not isinstance(per, int | float | np.number) or per <= 0:
        raise RateError(f"per must be a positive number such as 1000 or 100000; got {per!r}.")
    count, base, index = _pair(counts, population, ("counts", "population"))
    o = count.to_numpy(dtype=float, na_value=np.nan)
    n = base.to_numpy(dtype=float, na_value=np.nan)
    _non_negative(o, "counts")
    _non_negative(n, "population")
    lower, upper = poisson_interval(o, confidence=confidence, method=method)
    usable = ~np.isnan(o) & ~np.isnan(n) & (n > 0)
    safe = np.where(usable, n, 1.0)
    out = pd.DataFrame(
        {
            "rate": np.where(usable, o / safe * per, np.nan),
            "rate_lower": np.where(usable, lower / safe * per, np.nan),
            "rate_upper": np.where(usable, upper / safe * per, np.nan),
        },
        index=index,
    )
    return out.astype("Float64")


# ----------------------------------------------------------------------------------------------- proportions


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion :math:`p = x/n`, as Fingertips uses for proportions.

    .. math::

        \\frac{2x + z^2 \\mp z\\sqrt{z^2 + 4x(1 - x/n)}}{2(n + z^2)}

    It stays inside [0, 1] (exactly 0 at :math:`x = 0` and 1 at :math:`x = n`) and behaves well for proportions
    near 0 or 1 and small :math:`n` (method 3 of Newcombe 1998; PHE *Technical Guide: Confidence Intervals*;
    ``wilson_lower``/``wilson_upper`` in PHEindicatormethods).

    Parameters
    ----------
    successes : array-like or number
        Numerators :math:`x`, with :math:`0 \\le x \\le n`.
    trials : array-like or number
        Denominators :math:`n`. ``NaN`` where either is missing or :math:`n = 0`.
    confidence : float, default 0.95

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits as proportions (0 to 1).

    References
    ----------
    Wilson EB (1927), Probable inference, the law of succession, and statistical inference. *JASA* 22: 209–212.
    Newcombe RG (1998), *Statistics in Medicine* 17: 857–872.

    Examples
    --------
    >>> lower, upper = wilson_interval([0, 5, 10], 10)
    >>> lower.round(4).tolist(), upper.round(4).tolist()
    ([0.0, 0.2366, 0.7225], [0.2775, 0.7634, 1.0])
    """
    z = _z(confidence)
    x_s, n_s, _ = _pair(successes, trials, ("successes", "trials"))
    x = x_s.to_numpy(dtype=float, na_value=np.nan)
    n = n_s.to_numpy(dtype=float, na_value=np.nan)
    _non_negative(x, "successes")
    _non_negative(n, "trials")
    if np.any(x > n):
        i = int(np.flatnonzero(x > n)[0])
        raise RateError(f"successes cannot exceed trials; found {x[i]:g} out of {n[i]:g} (position {i}).")
    usable = ~np.isnan(x) & ~np.isnan(n) & (n > 0)
    safe_n = np.where(usable, n, 1.0)
    safe_x = np.where(usable, x, 0.0)
    root = z * np.sqrt(np.maximum(z * z + 4 * safe_x * (1 - safe_x / safe_n), 0.0))
    lower = (2 * safe_x + z * z - root) / (2 * (safe_n + z * z))
    upper = (2 * safe_x + z * z + root) / (2 * (safe_n + z * z))
    # At x = 0 and x = n the limits are exactly 0 and 1; rounding can leave them a hair inside (0.9999999999999999
    # for 1 out of 1), which would put the interval short of the proportion itself.
    lower = np.where(safe_x == 0, 0.0, np.clip(lower, 0.0, 1.0))
    upper = np.where(safe_x == safe_n, 1.0, np.clip(upper, 0.0, 1.0))
    return np.where(usable, lower, np.nan), np.where(usable, upper, np.nan)


def proportion(successes: ArrayLike, trials: ArrayLike, *, confidence: float = 0.95, per: float = 1) -> pd.DataFrame:
    """Proportion ``x/n`` (times ``per``; ``per=100`` gives a percentage) with its Wilson score interval.

    Parameters
    ----------
    successes, trials : array-like or number
        Published numerators and denominators (``<NA>`` where suppressed).
    confidence : float, default 0.95
    per : float, default 1

    Returns
    -------
    pandas.DataFrame
        ``proportion``, ``proportion_lower``, ``proportion_upper`` (``Float64``; ``<NA>`` where either input is
        missing or ``trials`` is 0).

    Examples
    --------
    >>> proportion([5, None], [10, 10], per=100).round(2)
       proportion  proportion_lower  proportion_upper
    0        50.0             23.66             76.34
    1        <NA>              <NA>              <NA>
    """
    if not isinstance(per, int | float | np.number) or per <= 0:
        raise RateError(f"per must be a positive number such as 1 or 100; got {per!r}.")
    x_s, n_s, index = _pair(successes, trials, ("successes", "trials"))
    lower, upper = wilson_interval(x_s, n_s, confidence=confidence)
    x = x_s.to_numpy(dtype=float, na_value=np.nan)
    n = n_s.to_numpy(dtype=float, na_value=np.nan)
    usable = ~np.isnan(lower)
    value = np.where(usable, x / np.where(usable, n, 1.0), np.nan)
    out = pd.DataFrame(
        {"proportion": value * per, "proportion_lower": lower * per, "proportion_upper": upper * per}, index=index
    )
    return out.astype("Float64")


# ------------------------------------------------------------------------------------------------- comparison


def compare_to_benchmark(lower: ArrayLike, upper: ArrayLike, benchmark: ArrayLike) -> pd.Series:
    """Compare each value with a benchmark by its confidence interval, as Fingertips does.

    ``"higher"`` when the whole interval is above the benchmark (``lower > benchmark``), ``"lower"`` when it is
    wholly below (``upper < benchmark``), ``"similar"`` when it includes the benchmark (a limit equal to it
    counts as including it), and ``"not compared"`` when a limit or the benchmark is missing. This is the
    Fingertips "compared with benchmark" test for a benchmark without an interval of its own (e.g. England),
    using the area's 95% (or 99.8%) interval. Colours: :data:`COMPARISON_COLOURS`.

    Parameters
    ----------
    lower, upper : array-like
        The interval limits, on one scale with ``benchmark``.
    benchmark : number or array-like
        One value for all, or one per row.

    Returns
    -------
    pandas.Series
        Labels from :data:`COMPARISONS`, named ``"comparison"``, on ``lower``'s index.

    Examples
    --------
    >>> compare_to_benchmark([6.0, 3.0, 1.0, None], [9.0, 7.0, 4.0, 2.0], 5.0).tolist()
    ['higher', 'similar', 'lower', 'not compared']
    """
    lo_s, up_s, index = _pair(lower, upper, ("lower", "upper"))
    lo = lo_s.to_numpy(dtype=float, na_value=np.nan)
    up = up_s.to_numpy(dtype=float, na_value=np.nan)
    if np.ndim(benchmark) == 0:
        mark = np.full(len(lo), np.nan if pd.isna(benchmark) else float(_array(benchmark, "benchmark")[0]))
    else:
        mark = _array(benchmark, "benchmark")
        if len(mark) != len(lo):
            raise RateError(f"benchmark has {len(mark)} values for {len(lo)} intervals; give one value or one per row.")
    if np.any(lo > up):
        raise RateError("Each interval's lower limit must not exceed its upper limit; are lower and upper swapped?")
    with np.errstate(invalid="ignore"):
        labels = np.select([lo > mark, up < mark], ["higher", "lower"], default="similar").astype(object)
    labels[np.isnan(lo) | np.isnan(up) | np.isnan(mark)] = "not compared"
    return pd.Series(labels, index=index, name="comparison", dtype=object)


# ----------------------------------------------------------------------------------------- empirical Bayes


def empirical_bayes(counts: ArrayLike, population: ArrayLike) -> pd.Series:
    """Global empirical Bayes smoothed rate, shrinking unstable small-area rates towards the overall rate.

    Each area's rate :math:`r_i = O_i / N_i` is replaced by :math:`w_i r_i + (1 - w_i) m` with
    :math:`m = \\sum O / \\sum N`, :math:`w_i = s^2 / (s^2 + m / N_i)` and the between-area variance
    :math:`s^2 = \\sum N_i (r_i - m)^2 / \\sum N - m / \\bar N` (Marshall 1991, method of moments). Small
    populations get small weights, so their rates move most towards :math:`m`. Computed by
    :class:`esda.smoothing.Empirical_Bayes`, with Marshall's rule that a negative :math:`s^2` (less variation
    than chance alone would give) is set to 0, so every area takes the overall rate; ``esda`` itself leaves
    it negative, which can give rates below zero.

    Areas with a missing count (suppressed) or a missing or zero population are left out of :math:`m` and
    :math:`s^2` and get ``<NA>``. Leaving out suppressed (small) counts raises :math:`m` a little.

    Parameters
    ----------
    counts : array-like
        Published counts.
    population : array-like
        Populations at risk, matched as in :func:`crude_rate`.

    Returns
    -------
    pandas.Series
        ``Float64`` smoothed rates in the units of ``counts / population`` (multiply by ``per`` for a rate per
        ``per`` people), named ``"eb_rate"``.

    References
    ----------
    Marshall RJ (1991), *Applied Statistics* 40(2): 283–294. Rey SJ, Anselin L (2010), PySAL: a Python library
    of spatial analytical methods (``esda.smoothing``).

    Examples
    --------
    Crude rates 80, 60, 20 and 40 per 1,000 (overall 36.4); the area of 100 people moves furthest:

    >>> eb = empirical_bayes([8, 60, 60, 240], [100, 1000, 3000, 6000])
    >>> (eb * 1000).round(1).tolist()
    [49.0, 55.3, 21.3, 39.9]
    """
    count, base, index = _pair(counts, population, ("counts", "population"))
    o = count.to_numpy(dtype=float, na_value=np.nan)
    n = base.to_numpy(dtype=float, na_value=np.nan)
    _non_negative(o, "counts")
    _non_negative(n, "population")
    usable = ~np.isnan(o) & ~np.isnan(n) & (n > 0)
    out = np.full(len(o), np.nan)
    if usable.any():
        e, b = o[usable], n[usable]
        m = e.sum() / b.sum()
        s2 = (b * (e / b - m) ** 2).sum() / b.sum() - m / b.mean()
        if s2 > 0:
            out[usable] = Empirical_Bayes(e, b).r.ravel()
        else:
            out[usable] = m
    return pd.Series(out, index=index, name="eb_rate").astype("Float64")


# ---------------------------------------------------------------------------------------------- area tables


def area_rates(
    table: pd.DataFrame,
    *,
    count: str,
    population: str | pd.Series,
    per: float = 1000,
    confidence: float = 0.95,
    benchmark: Literal["overall"] | float = "overall",
    method: Method = "phe",
    policy: DisclosurePolicy | None = None,
) -> pd.DataFrame:
    """Rates, intervals, comparison with a benchmark and smoothed rates for every area of an area table.

    Parameters
    ----------
    table : pandas.DataFrame or geopandas.GeoDataFrame
        One row per area (:func:`circles.stats.aggregate.count_by_area`), with its counts *published*
        (:func:`circles.ingest.disclosure.protect_table`).
    count : str
        The count column, e.g. ``"people"``.
    population : str or pandas.Series
        A column of ``table``, or a Series indexed by area code (:func:`circles.geo.populations.read_population`)
        matched on ``table["area_code"]``; every area must have one.
    per : float, default 1000
    confidence : float, default 0.95
    benchmark : "overall" or float, default "overall"
        ``"overall"``: total count / total population over the areas with a published count and a population,
        per ``per`` (computed from the values given). A number: a rate per ``per`` from elsewhere (England's,
        say).
    method : {"phe", "byar", "exact"}, default "phe"
        Interval for the count (:func:`poisson_interval`).
    policy : DisclosurePolicy, optional
        When given, counts that are not multiples of ``policy.round_to`` are refused (exact counts passed by
        mistake), as in :func:`circles.ingest.disclosure.rate_from_published`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with ``rate``, ``rate_lower``, ``rate_upper`` (:func:`crude_rate`), ``comparison``
        (:func:`compare_to_benchmark`) and ``eb_rate`` (:func:`empirical_bayes`, per ``per``).
        ``attrs["benchmark_rate"]`` holds the benchmark rate (float, per ``per``; ``nan`` if nothing could be
        counted) and ``attrs["rate_per"]`` the ``per``.

    Raises
    ------
    RateError
        ``count`` or ``population`` is not a column (nearest names suggested), an area has no population, or
        the values are not usable numbers.
    DisclosureError
        With ``policy``: a count that could not have been published under it.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"area_code": ["A", "B", "C"], "people": [40, 10, pd.NA], "pop": [2000, 2000, 500]})
    >>> out = area_rates(t, count="people", population="pop")
    >>> out[["rate", "comparison"]].values.tolist()
    [[20.0, 'higher'], [5.0, 'lower'], [<NA>, 'not compared']]
    >>> out.attrs["benchmark_rate"]
    12.5
    """
    columns = [str(c) for c in table.columns]
    if count not in table.columns:
        raise RateError(
            f"The area table has no count column {count!r}.{suggest(count, columns)} Columns: {', '.join(columns)}."
        )
    counts = table[count]
    if isinstance(population, str):
        if population not in table.columns:
            raise RateError(
                f"The area table has no population column {population!r}.{suggest(population, columns)} "
                f"Columns: {', '.join(columns)}. Or pass a Series of populations indexed by area code."
            )
        base = table[population]
    elif isinstance(population, pd.Series):
        if "area_code" not in table.columns:
            raise RateError("To match a population Series by area code, the table needs an 'area_code' column.")
        if population.index.has_duplicates:
            raise RateError("The population Series has repeated area codes; give one population per area.")
        codes = table["area_code"]
        missing = codes[~codes.isin(population.index)]
        if len(missing):
            shown = ", ".join(map(str, missing.iloc[:5]))
            raise RateError(
                f"No population for {len(missing)} area(s) of the table, e.g. {shown}. Check that the population "
                "file uses the same geography and vintage as the areas (e.g. LSOA 2011 vs 2021 codes)."
            )
        base = pd.Series(population.reindex(codes.to_numpy()).to_numpy(), index=table.index)
    else:
        raise RateError("population must be a column name or a Series indexed by area code.")

    if policy is not None and policy.round_to > 1:
        published = _series(counts, count)
        if (published.dropna() % policy.round_to != 0).any():
            raise DisclosureError(
                f"Rates must use published counts: some values of {count!r} are not multiples of {policy.round_to} "
                f"(policy {policy.name!r}). Pass the protected table from protect_table, not the exact counts."
            )

    rates = crude_rate(counts, base, per=per, confidence=confidence, method=method)
    o = _array(counts, count)
    n = _array(base, "population")
    usable = ~np.isnan(o) & ~np.isnan(n) & (n > 0)
    if benchmark == "overall":
        benchmark_rate = float(o[usable].sum() / n[usable].sum() * per) if usable.any() else float("nan")
    elif isinstance(benchmark, int | float | np.number) and not isinstance(benchmark, bool):
        benchmark_rate = float(benchmark)
    else:
        raise RateError(f"benchmark must be 'overall' or a rate per {per:g}; got {benchmark!r}.")

    out = table.copy()
    for column in ("rate", "rate_lower", "rate_upper"):
        out[column] = rates[column].array
    out["comparison"] = compare_to_benchmark(rates["rate_lower"], rates["rate_upper"], benchmark_rate).to_numpy()
    out["eb_rate"] = (empirical_bayes(counts, base) * per).array
    out.attrs = {**table.attrs, "benchmark_rate": benchmark_rate, "rate_per": per}
    return out
