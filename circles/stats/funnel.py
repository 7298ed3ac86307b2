"""Funnel plots of area rates: exact Poisson control limits around a target rate (Spiegelhalter 2005).

A funnel plot shows each area's rate (per ``per`` residents) against its population, with control limits
around a target rate (by default the study-area rate, sum of counts over sum of populations) that narrow as
the population grows. An area outside the 95% limits is "alarming" at about the 2-sigma level, outside the
99.8% limits at about the 3-sigma level; an area inside is consistent with the target given chance alone.
Plotting against population, rather than ranking areas, stops small areas with noisy rates being read as the
best or worst (Spiegelhalter 2005).

Limits are the *exact* Poisson limits of Spiegelhalter (2005, appendix A.1.1) with the interpolation that
makes them smooth: for probability ``p`` and expected count ``theta``, ``y`` is the ``p`` quantile of
Poisson(``theta``), ``alpha = (P(Y <= y) - p) / (P(Y <= y) - P(Y <= y - 1))`` and the limit count is
``y - alpha``, turned into a rate by dividing by the population (and multiplying by ``per``).

Relation to PHEindicatormethods
-------------------------------
``PHEindicatormethods::calculate_funnel_limits(statistic = "rate")`` (OHID/PHE; used for Fingertips
funnels) draws the same limits the other way round: for each whole number of events it finds the population
at which that count sits exactly on a limit (an exact Poisson test). Its *lower* limits are the same as these
(the test file ``tests/testthat/testdata_funnel_rate_outputs_2.csv`` is reproduced to 1e-6 relative in
``tests/stats/test_funnel.py``); its *upper* limits are one event higher at the same population, because the
exact test is conservative in the upper tail while the interpolation is close to the nominal 2.5% / 0.1%.
The upper interpolated limit also wobbles very slightly (under 0.1% of the rate) where the expected count is
below about 150: it narrows with population overall but is not strictly monotone there.

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. *Statistics in Medicine*
24(8): 1185-1202. doi:10.1002/sim.1970.

Public Health England (2018). *Technical Guide: Funnel plots* (Fingertips methods documentation), and the
``PHEindicatormethods`` R package, ``phe_funnels`` / ``calculate_funnel_limits`` (OHID).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from circles.errors import RateError

__all__ = [
    "BANDS",
    "BAND_COLOURS",
    "FunnelResult",
    "band_labels",
    "funnel_limits",
    "funnel_table",
]

#: Default confidence levels: about 2 and 3 standard deviations (Spiegelhalter 2005; Fingertips).
DEFAULT_LEVELS: tuple[float, float] = (0.95, 0.998)

#: Number of populations in :attr:`FunnelResult.curve`.
CURVE_POINTS = 200

ArrayLike = pd.Series | np.ndarray | Sequence[float]


def _level_name(level: float) -> str:
    """``0.95`` -> ``"95"``, ``0.998`` -> ``"99.8"``."""
    return f"{level * 100:.10g}"


def _level_column(level: float) -> str:
    return _level_name(level).replace(".", "_")


def _check_levels(levels: Sequence[float]) -> tuple[float, float]:
    values = tuple(float(x) for x in levels)
    if len(values) != 2 or not all(0 < x < 1 for x in values) or values[0] >= values[1]:
        raise RateError(
            f"levels must be two confidence levels between 0 and 1, inner first (e.g. (0.95, 0.998)), "
            f"not {tuple(levels)!r}."
        )
    return values


def band_labels(levels: Sequence[float] = DEFAULT_LEVELS) -> tuple[str, ...]:
    """The six band labels for an (inner, outer) pair of levels, from highest to lowest, then no population.

    Examples
    --------
    >>> band_labels((0.95, 0.998))
    ('above 99.8%', 'above 95%', 'within 95%', 'below 95%', 'below 99.8%', 'no population')
    """
    inner, outer = _check_levels(levels)
    i, o = _level_name(inner), _level_name(outer)
    return (f"above {o}%", f"above {i}%", f"within {i}%", f"below {i}%", f"below {o}%", "no population")


#: Band of an area on the funnel (default levels), from highest to lowest; ``"no population"`` for an area with
#: a zero or missing population, or a missing count (no rate to place).
BANDS: tuple[str, ...] = band_labels(DEFAULT_LEVELS)

#: Colour of each band. Fingertips "compared with benchmark" colours, from the ``Colour`` class of the Fingertips
#: front end (``IndicatorsUI/MainUI/angular-app/src/app/shared/shared.ts`` in ``ukhsa-collaboration/
#: fingertips-open``): above the limits the RAG "worse" colours (``ragWorst = '#821733'`` for the 99.8% level,
#: ``ragWorse = '#c00000'`` for 95%), within ``ragSame``/``bobSame = '#ffc000'`` (amber), below the limits the
#: blue-orange-blue "lower" colours (``bobLower = '#5555E6'`` for 95%, ``bobLowest = '#252563'`` for 99.8%),
#: no population ``noComparison = '#c9c9c9'``. (Fingertips pairs the reds with greens and the blues with light
#: blues; a higher take-up rate is flagged strongly, a lower one in blue, as the brief for circles asks.)
BAND_COLOURS: dict[str, str] = dict(
    zip(BANDS, ("#821733", "#C00000", "#FFC000", "#5555E6", "#252563", "#C9C9C9"), strict=True)
)


def _check_target(target_rate: float, per: float) -> tuple[float, float]:
    try:
        target, scale = float(target_rate), float(per)
    except (TypeError, ValueError) as error:
        raise RateError(f"The target rate and per must be numbers, not {target_rate!r} and {per!r}.") from error
    if not np.isfinite(target) or target < 0:
        raise RateError(f"The target rate must be a number of 0 or more, not {target_rate!r}.")
    if not np.isfinite(scale) or scale <= 0:
        raise RateError(f"per must be a positive number (e.g. 1000 for a rate per 1,000), not {per!r}.")
    return target, scale


def _interpolated_quantile(p: float, theta: np.ndarray) -> np.ndarray:
    """Spiegelhalter's interpolated Poisson ``p`` quantile (appendix A.1.1): ``y - alpha``, clamped at 0.

    ``theta`` must be finite and > 0; where ``theta`` is 0 every count is 0 and so is the limit.
    """
    out = np.zeros_like(theta, dtype=float)
    positive = theta > 0
    mu = theta[positive]
    y = stats.poisson.ppf(p, mu)
    at_y = stats.poisson.cdf(y, mu)
    below_y = stats.poisson.cdf(y - 1, mu)  # 0 when y == 0
    alpha = (at_y - p) / (at_y - below_y)
    out[positive] = np.maximum(y - alpha, 0.0)
    return out


def _as_float_array(values: Any, what: str) -> np.ndarray:
    try:
        array = pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()), errors="raise")
    except (TypeError, ValueError) as error:
        raise RateError(f"{what} must be numbers; check the column for text or symbols ({error}).") from error
    return array.astype(float).to_numpy()


def funnel_limits(
    target_rate: float,
    populations: ArrayLike | float,
    *,
    per: float = 1000,
    levels: Sequence[float] = DEFAULT_LEVELS,
) -> pd.DataFrame:
    """Exact Poisson control limits of a rate around ``target_rate``, at each population (Spiegelhalter 2005).

    The expected count at population ``n`` is ``theta = target_rate / per * n``. For each level the lower and
    upper limits are Spiegelhalter's interpolated Poisson quantiles of ``theta`` at ``(1 - level) / 2`` and
    ``1 - (1 - level) / 2``: with ``y`` the quantile, ``alpha = (P(Y <= y) - p) / (P(Y <= y) - P(Y <= y - 1))``
    and limit count ``y - alpha``, clamped at 0, as a rate ``limit count / n * per``.

    Parameters
    ----------
    target_rate : float
        The rate to compare with, per ``per`` residents (e.g. the study-area rate).
    populations : array-like or float
        Populations at which to compute limits. A zero or missing population gives missing limits.
    per : float
        Rates are per this many residents (1000: per 1,000).
    levels : (float, float)
        Inner and outer confidence levels; the defaults are those of Fingertips funnel plots.

    Returns
    -------
    pandas.DataFrame
        Columns ``population``, ``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8`` (names from the
        levels), on the index of ``populations`` when it is a Series.

    Raises
    ------
    RateError
        For a negative or non-numeric population, a negative target, or unusable levels.

    References
    ----------
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. *Statistics in Medicine*
    24: 1185-1202 (appendix A.1.1). PHE Fingertips funnel-plot guidance; PHEindicatormethods ``phe_funnels``.

    Examples
    --------
    At a target of 10 per 1,000, 1,000 residents are expected to have 10 events; the 95% limits are about
    3.8 and 16.2 per 1,000 and they narrow as the population grows:

    >>> funnel_limits(10, [1000, 10000]).round(2)
       population  lower_95  upper_95  lower_99_8  upper_99_8
    0      1000.0      3.78     16.16        1.22       20.66
    1     10000.0      8.04     11.96        7.01       13.18
    """
    target, scale = _check_target(target_rate, per)
    inner, outer = _check_levels(levels)
    index = populations.index if isinstance(populations, pd.Series) else None
    n = _as_float_array(np.atleast_1d(populations) if np.ndim(populations) == 0 else populations, "Populations")
    if (n < 0).any():
        raise RateError(
            f"Populations must be 0 or more; {int((n < 0).sum())} are negative. Check the population column "
            "(a negative value is usually a data-entry or join error)."
        )
    usable = np.isfinite(n) & (n > 0)
    theta = np.where(usable, target / scale * np.where(usable, n, 0.0), 0.0)
    frame = pd.DataFrame({"population": n}, index=index)
    for level in (inner, outer):
        tail = (1 - level) / 2
        name = _level_column(level)
        for side, p in (("lower", tail), ("upper", 1 - tail)):
            counts = _interpolated_quantile(p, theta)
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(usable, counts / np.where(usable, n, 1.0) * scale, np.nan)
            frame[f"{side}_{name}"] = rate
    return frame


@dataclass(frozen=True, eq=False)
class FunnelResult:
    """Areas placed on a funnel plot, from :func:`funnel_table`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per area (index: area code): ``name``, ``count``, ``population``, ``rate`` (per ``per``), the
        limits at the area's population (``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8``) and
        ``band`` (one of :attr:`bands`).
    target : float
        The rate the limits are drawn around, per ``per``.
    per : float
        Rates are per this many residents.
    levels : (float, float)
        Inner and outer confidence levels.
    curve : pandas.DataFrame
        :func:`funnel_limits` on a smooth grid of populations (for drawing the funnel).
    """

    table: pd.DataFrame
    target: float
    per: float
    levels: tuple[float, float]
    curve: pd.DataFrame

    @property
    def bands(self) -> tuple[str, ...]:
        """Band labels for :attr:`levels`, highest first (:data:`BANDS` for the default levels)."""
        return band_labels(self.levels)

    @property
    def limit_columns(self) -> dict[str, tuple[str, str]]:
        """``{"95": ("lower_95", "upper_95"), "99.8": (...)}``: the limit columns of each level."""
        return {
            _level_name(level): (f"lower_{_level_column(level)}", f"upper_{_level_column(level)}")
            for level in self.levels
        }

    def counts_by_band(self) -> dict[str, int]:
        """Number of areas in each band, in :attr:`bands` order (bands with none included).

        Examples
        --------
        >>> result = funnel_table([40, 10, 10], [1000, 1000, 1000])
        >>> result.counts_by_band()["above 99.8%"]
        1
        """
        counts = self.table["band"].value_counts()
        return {band: int(counts.get(band, 0)) for band in self.bands}


def _series(values: Any, what: str, index: pd.Index | None) -> pd.Series:
    if isinstance(values, pd.Series):
        return pd.Series(_as_float_array(values.to_numpy(), what), index=values.index)
    if isinstance(values, Mapping):
        series = pd.Series(values, dtype=object)
        return pd.Series(_as_float_array(series.to_numpy(), what), index=series.index)
    array = _as_float_array(values, what)
    return pd.Series(array, index=index if index is not None else pd.RangeIndex(len(array)))


def funnel_table(
    counts: ArrayLike | Mapping[Any, float],
    populations: ArrayLike | Mapping[Any, float],
    *,
    per: float = 1000,
    target: float | None = None,
    names: pd.Series | Mapping[Any, str] | Sequence[str] | None = None,
    codes: Sequence[Any] | pd.Index | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS,
    curve_points: int = CURVE_POINTS,
) -> FunnelResult:
    """Place each area on a funnel plot: its rate, the limits at its population and its band.

    Parameters
    ----------
    counts, populations : pandas.Series, mapping or array-like
        Events (e.g. people using a service) and residents per area. Series (or mappings) must share one index
        of area codes, in any order; arrays must have one length and take ``codes`` (default 0, 1, 2, ...).
        Use *published* counts (after disclosure control): a missing (suppressed) count or a zero or missing
        population gives band ``"no population"`` and missing rate and limits.
    per : float
        Rates are per this many residents.
    target : float, optional
        Rate to compare with, per ``per`` (e.g. the England rate). Defaults to the study-area rate,
        ``sum(counts) / sum(populations) * per`` over the areas with both a count and a population.
    names : pandas.Series, mapping or sequence, optional
        Display name of each area (by area code, or in order); defaults to the area code.
    codes : sequence, optional
        Area codes for array inputs.
    levels : (float, float)
        Inner and outer confidence levels.
    curve_points : int
        Number of populations in the drawing grid :attr:`FunnelResult.curve`, spaced geometrically from about
        half the smallest to 1.1 times the largest area population.

    Returns
    -------
    FunnelResult
        ``table`` (index area code), ``target``, ``per``, ``levels`` and ``curve``. An area exactly on a limit
        is within it.

    Raises
    ------
    RateError
        For a negative or non-numeric count or population (naming the areas), inputs that do not line up, or
        no area with a population when no target is given.

    References
    ----------
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. *Statistics in Medicine*
    24: 1185-1202. PHE Fingertips funnel-plot guidance; PHEindicatormethods ``phe_funnels``.

    Examples
    --------
    >>> counts = pd.Series({"E05001": 30, "E05002": 10, "E05003": 11, "E05004": 5})
    >>> people = pd.Series({"E05001": 1000, "E05002": 1000, "E05003": 1200, "E05004": 0})
    >>> result = funnel_table(counts, people, names={"E05001": "Audley", "E05002": "Bastwell"})
    >>> round(result.target, 3)
    15.938
    >>> result.table[["name", "rate", "band"]]
                name       rate           band
    E05001    Audley  30.000000    above 99.8%
    E05002  Bastwell  10.000000     within 95%
    E05003    E05003   9.166667     within 95%
    E05004    E05004        NaN  no population
    """
    inner, outer = _check_levels(levels)
    index = pd.Index(codes) if codes is not None else None
    count = _series(counts, "Counts", index)
    population = _series(populations, "Populations", index)
    if len(count) != len(population):
        raise RateError(
            f"Counts ({len(count)} areas) and populations ({len(population)} areas) must have one value per area."
        )
    if not count.index.equals(population.index):
        if set(count.index) != set(population.index) or count.index.has_duplicates:
            missing = sorted(map(str, set(count.index) ^ set(population.index)))[:5]
            raise RateError(
                "Counts and populations must cover the same areas (one index of area codes); these are in one "
                f"and not the other: {', '.join(missing) or 'duplicated codes'}. Join them on area code first."
            )
        population = population.reindex(count.index)
    if count.index.has_duplicates:
        raise RateError("Each area code must appear once; aggregate the counts by area first.")
    for values, what in ((count, "Counts"), (population, "Populations")):
        negative = values.index[(values < 0).to_numpy()]
        if len(negative):
            shown = ", ".join(map(str, negative[:5])) + (" ..." if len(negative) > 5 else "")
            raise RateError(
                f"{what} must be 0 or more; negative for {len(negative)} area(s): {shown}. Check the source table "
                "for data-entry or join errors and correct them before drawing a funnel plot."
            )
    placed = count.notna() & population.notna() & (population > 0)
    if target is None:
        total = float(population[placed].sum())
        if total <= 0:
            raise RateError(
                "No area has both a count and a population above 0, so there is no study-area rate to compare "
                "with. Check the population column, or give a target rate."
            )
        target_rate = float(count[placed].sum()) / total * float(per)
    else:
        target_rate = float(target)
    target_rate, scale = _check_target(target_rate, per)

    limits = funnel_limits(target_rate, population.where(placed), per=scale, levels=(inner, outer))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (count / population * scale).where(placed)
    table = pd.DataFrame(
        {"name": _names(names, count.index), "count": count, "population": population, "rate": rate},
        index=count.index,
    )
    for column in limits.columns.drop("population"):
        table[column] = limits[column]
    table["band"] = _bands(table, (inner, outer), placed.to_numpy())
    return FunnelResult(
        table=table,
        target=target_rate,
        per=scale,
        levels=(inner, outer),
        curve=_curve(target_rate, population[placed], scale, (inner, outer), curve_points),
    )


def _names(names: Any, index: pd.Index) -> pd.Series:
    codes = pd.Series(index.map(str), index=index)
    if names is None:
        return codes
    if isinstance(names, pd.Series | Mapping):
        given = pd.Series(names, dtype=object).reindex(index)
    else:
        given = pd.Series(list(names), dtype=object)
        if len(given) != len(index):
            raise RateError(f"names must have one name per area ({len(index)}), not {len(given)}.")
        given.index = index
    return given.where(given.notna(), codes).astype(str)


def _bands(table: pd.DataFrame, levels: tuple[float, float], placed: np.ndarray) -> pd.Series:
    """Band of each area; a rate exactly on a limit is within it."""
    labels = band_labels(levels)
    inner, outer = (_level_column(level) for level in levels)
    rate = table["rate"].to_numpy()
    with np.errstate(invalid="ignore"):
        choices = [
            rate > table[f"upper_{outer}"].to_numpy(),
            rate > table[f"upper_{inner}"].to_numpy(),
            rate < table[f"lower_{outer}"].to_numpy(),
            rate < table[f"lower_{inner}"].to_numpy(),
        ]
    band = np.select(choices, [labels[0], labels[1], labels[4], labels[3]], default=labels[2])
    band = np.where(placed, band, labels[5])
    return pd.Series(band, index=table.index, dtype=object)


def _curve(target: float, populations: pd.Series, per: float, levels: tuple[float, float], points: int) -> pd.DataFrame:
    if not len(populations):
        return funnel_limits(target, np.array([], dtype=float), per=per, levels=levels)
    low, high = 0.5 * float(populations.min()), 1.1 * float(populations.max())
    grid = np.geomspace(low, high, max(int(points), 2))
    return funnel_limits(target, grid, per=per, levels=levels)
