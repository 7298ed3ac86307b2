"""Significance for hot spot maps: two-sided permutation p-values, multiple-testing cut-offs and Esri's bins.

The p-value rule and the corrections are explained in :mod:`circles.stats.hotspots`; the cut-offs are
esda's (:func:`esda.fdr`) or Bonferroni's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from esda.significance import calculate_significance

from circles.stats.weights import HotspotError
from circles.validation import suggest

try:  # optional, so that an esda without it falls back to Bonferroni and says so
    from esda import fdr as _esda_fdr
except ImportError:  # pragma: no cover - depends on the installed esda
    _esda_fdr = None

__all__ = ["CONFIDENCE_LEVELS", "gi_bins", "significance_thresholds"]

Correction = Literal["fdr", "bonferroni", "none"]

#: Significance level of each Gi_Bin magnitude: 1 = 90%, 2 = 95%, 3 = 99% confidence.
CONFIDENCE_LEVELS: dict[int, float] = {1: 0.10, 2: 0.05, 3: 0.01}

_CORRECTIONS = ("fdr", "bonferroni", "none")


def significance_thresholds(
    p: Sequence[float] | np.ndarray,
    *,
    correction: Correction = "fdr",
    levels: Sequence[float] = (0.10, 0.05, 0.01),
) -> dict[float, float]:
    """The p-value cut-off at each significance level, after correcting for multiple testing.

    An area is significant at level ``a`` when its p-value is at most ``thresholds[a]``.

    Parameters
    ----------
    p : array-like
        The p-values of every area tested (islands excluded); ``m`` is their number.
    correction : {"fdr", "bonferroni", "none"}
        ``"none"``: the cut-off is ``a``. ``"bonferroni"``: ``a / m``. ``"fdr"``: the Benjamini–Hochberg
        cut-off from :func:`esda.fdr` computed separately at each level, as Esri applies FDR at each
        confidence level: with the p-values sorted ``p(1) <= ... <= p(m)`` it is ``k * a / m`` for the
        largest ``k`` with ``p(k) < k * a / m``, or ``a / m`` (Bonferroni) when there is no such ``k``. The
        areas at or below it are those the BH step-up procedure rejects at false discovery rate ``a`` (apart
        from a p-value lying exactly on the line ``k * a / m``, which esda does not count). In the example,
        at 10% the largest such ``k`` is 5 (0.042 < 0.05); at 1% there is none, so the cut-off is 0.01 / 10.
    levels : sequence of float
        Significance levels, by default 0.10, 0.05 and 0.01 (90, 95 and 99% confidence).

    Returns
    -------
    dict
        Level → cut-off.

    Examples
    --------
    >>> p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.065, 0.074, 0.205, 0.212, 0.216]
    >>> {a: round(t, 4) for a, t in significance_thresholds(p, correction="fdr").items()}
    {0.1: 0.05, 0.05: 0.01, 0.01: 0.001}
    >>> {a: round(t, 4) for a, t in significance_thresholds(p, correction="bonferroni").items()}
    {0.1: 0.01, 0.05: 0.005, 0.01: 0.001}
    """
    values = np.asarray(p, dtype=float)
    if values.ndim != 1 or not len(values) or not np.isfinite(values).all():
        raise HotspotError("Significance thresholds need a non-empty list of finite p-values.")
    if correction not in _CORRECTIONS:
        raise HotspotError(f"Unknown correction {correction!r}. Use one of {_CORRECTIONS}.")
    m = len(values)
    if correction == "fdr":
        if _esda_fdr is None:
            raise HotspotError("esda.fdr is not available in this esda; use correction='bonferroni'.")
        return {float(a): float(_esda_fdr(values, a)) for a in levels}
    if correction == "bonferroni":
        return {float(a): float(a) / m for a in levels}
    return {float(a): float(a) for a in levels}


def gi_bins(
    z: Sequence[float] | np.ndarray,
    p: Sequence[float] | np.ndarray,
    *,
    correction: Correction = "fdr",
) -> np.ndarray:
    """Esri's Gi_Bin for each area: ±3, ±2, ±1 at 99, 95, 90% confidence, 0 when not significant.

    The magnitude is the highest confidence level whose cut-off (:func:`significance_thresholds`, with the
    given correction) the two-sided p-value meets (``p <= cut-off``); the sign is the sign of ``z``
    (positive: hot, negative: cold), a z-score or, as :func:`~circles.stats.hotspots.getis_ord` passes, the
    side of the permutation distribution the p-value came from. Entries whose ``z`` or ``p`` is missing
    (islands) are left out of the correction and get bin 0 here; :func:`~circles.stats.hotspots.getis_ord`
    reports them as missing.

    Examples
    --------
    >>> z = [3.1, 2.2, 1.7, 0.3, -3.1, -2.2, -1.7]
    >>> p = [0.005, 0.03, 0.08, 0.6, 0.005, 0.03, 0.08]
    >>> gi_bins(z, p, correction="none").tolist()
    [3, 2, 1, 0, -3, -2, -1]
    >>> gi_bins(z, p, correction="bonferroni").tolist()   # cut-offs 0.1/7, 0.05/7, 0.01/7
    [2, 0, 0, 0, -2, 0, 0]
    """
    zs = np.asarray(z, dtype=float)
    ps = np.asarray(p, dtype=float)
    if zs.shape != ps.shape or zs.ndim != 1:
        raise HotspotError("z and p must be one-dimensional and of the same length.")
    tested = np.isfinite(zs) & np.isfinite(ps)
    bins = np.zeros(len(zs), dtype="int64")
    if not tested.any():
        return bins
    thresholds = significance_thresholds(ps[tested], correction=correction, levels=tuple(CONFIDENCE_LEVELS.values()))
    magnitude = np.zeros(int(tested.sum()), dtype="int64")
    for size, level in CONFIDENCE_LEVELS.items():  # 1, 2, 3: each level overwrites the less confident one
        magnitude[_at_or_below(ps[tested], thresholds[level])] = size
    bins[tested] = magnitude * np.sign(zs[tested]).astype("int64")
    return bins


def _two_sided(observed: np.ndarray, simulated: np.ndarray, permutations: int) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided pseudo p-values and their side (+1 high, -1 low, 0 neither) from esda's one-sided ones.

    ``simulated`` is esda's (areas × permutations) array of permuted statistics; each one-sided p-value is
    snapped to its exact ``(M + 1) / (P + 1)``.
    """
    exact = []
    for alternative in ("greater", "lesser"):
        one_sided = calculate_significance(observed, simulated, alternative=alternative)
        exact.append(np.rint(np.asarray(one_sided, dtype=float) * (permutations + 1)) / (permutations + 1))
    greater, lesser = exact
    return np.minimum(1.0, 2.0 * np.minimum(greater, lesser)), np.sign(lesser - greater)


def _at_or_below(p: np.ndarray, threshold: float) -> np.ndarray:
    """``p <= threshold``, counting a p-value equal to the cut-off but for rounding in the last digit."""
    with np.errstate(invalid="ignore"):
        return np.asarray(p, dtype=float) <= threshold * (1 + 1e-9)


def _check_options(permutations: int, alpha: float, correction: str) -> None:
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer) or permutations < 99:
        raise HotspotError(f"permutations must be a whole number of at least 99, not {permutations!r}.")
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise HotspotError(f"alpha must lie between 0 and 1, not {alpha!r}.")
    if correction not in _CORRECTIONS:
        raise HotspotError(f"Unknown correction {correction!r}.{suggest(str(correction), _CORRECTIONS)}")
