"""Hot spots: Getis–Ord Gi* and local Moran's I (LISA) on an area table, with the spatial weights they use.

The statistics and their permutation inference are esda's (:class:`esda.G_Local`, :class:`esda.Moran_Local`,
:class:`esda.Moran_Local_Rate`, :func:`esda.fdr`) and the weights are libpysal's; nothing here re-computes
them. This module adds what a commissioner's map needs on top: weights keyed by ``area_code`` with islands
reported, two-sided p-values, the ArcGIS confidence bins and the GeoDa cluster categories with control of
multiple testing, labels and colours, and alignment of every value by area code.

The weights are built in :mod:`circles.stats.weights` and the p-values, cut-offs and bins computed in
:mod:`circles.stats.significance`; their public names are re-exported here.

How a p-value is obtained
-------------------------
esda's conditional permutation holds area *i*'s own value fixed and deals the other areas' values at
random to *i*'s neighbours, ``permutations`` (``P``) times, keeping the ``P`` permuted statistics. From them
esda gives each one-sided pseudo p-value, :func:`esda.significance.calculate_significance` with
``alternative="greater"``, ``(#{sim >= obs} + 1) / (P + 1)``, and ``"lesser"``, ``(#{sim <= obs} + 1) / (P + 1)``.
The two-sided pseudo p-value reported here is twice the smaller, ``p = min(1, 2 * min(greater, lesser))``,
and the side it came from gives the direction (hot or cold). This is the equal-tailed test, with a tie
counted as at least as extreme in either tail.

It is esda's ``p_sim`` doubled (``p_sim`` is esda's ``"directed"`` value, the one-sided p-value on the side
where the observation lies; esda warns its default will move to a two-sided one that "will generally
double the p-value") except where permuted statistics tie with the observed one on the low side: ``p_sim``
leaves those ties out of the low tail (``min(#{sim >= obs}, #{sim < obs})``), which makes cold spots of
counts, where ties are common, slightly too easy to call (in 200 shuffles of the demo LSOA counts with 999
permutations, 2.7% of areas were called cold at 95% by ``2 * p_sim``, 2.2% here; nominal 2.5%). The
*folded* alternative (distance from the mean of the permuted statistics) is not used: counts give skewed
reference distributions, and folding about the mean then treats the two tails unequally. The smallest p-value
possible is ``2 / (P + 1)`` (0.0002 with 9,999 permutations). One-sided values are snapped to their exact
``(M + 1) / (P + 1)`` (esda may compute them in single precision) so a p-value equal to a cut-off is not
lost to rounding. Mind that floor under FDR or Bonferroni: among 91 areas the 99% cut-off can fall to
0.01 / 91 = 0.00011, below what 9,999 permutations can reach, so a lone area cannot be in a 99% bin unless
more permutations are run.

What the maps can and cannot say
--------------------------------
Both statistics find *clusters*: an area whose neighbourhood is unusual. Because the permutation holds the
area's own value fixed, the Gi* p-value depends only on its neighbours' values (it equals the p-value of
Gi without the star). A single very high area among ordinary neighbours is therefore *not* a significant
hot spot, while its ordinary neighbours may be (their neighbourhood contains the high one). Local Moran
likewise calls such an area "Not significant" and may call its neighbours "Low-High". To find single areas
with high counts or rates, compare each area with its expected value (rates, funnel plots) instead.

The synthetic demo shows this: its six planted LSOAs have the six highest counts, but four touch only one
other planted LSOA and two touch none. With the defaults (queen weights, 9,999 permutations, FDR) no LSOA
is a hot spot at 95% and every LISA category is "Not significant"; without correction the areas called hot
are ordinary neighbours of planted LSOAs (``tests/stats/test_hotspots.py`` measures this).

References
----------
Getis, A. and Ord, J. K. (1992) The analysis of spatial association by use of distance statistics.
*Geographical Analysis* 24(3), 189-206. Ord, J. K. and Getis, A. (1995) Local spatial autocorrelation
statistics: distributional issues and an application. *Geographical Analysis* 27(4), 286-306.
Anselin, L. (1995) Local indicators of spatial association — LISA. *Geographical Analysis* 27(2), 93-115.
Assunção, R. M. and Reis, E. A. (1999) A new proposal to adjust Moran's I for population density.
*Statistics in Medicine* 18(16), 2147-2162. Benjamini, Y. and Hochberg, Y. (1995) Controlling the false
discovery rate. *JRSS B* 57(1), 289-300. Esri, *How Hot Spot Analysis (Getis-Ord Gi\\*) works* (Gi_Bin).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import esda
import geopandas as gpd
import numpy as np
import pandas as pd

from circles.stats.significance import (
    CONFIDENCE_LEVELS,
    Correction,
    _at_or_below,
    _check_options,
    _two_sided,
    gi_bins,
    significance_thresholds,
)
from circles.stats.significance import _esda_fdr as _esda_fdr  # looked up here: tests stand in an esda without it
from circles.stats.weights import (
    HotspotError,
    NoVariationError,
    SpatialWeights,
    _check_weights,
    _copy,
    _has_neighbours,
    _quiet,
    spatial_weights,
)
from circles.validation import suggest

__all__ = [
    "CONFIDENCE_LEVELS",
    "GI_BIN_COLOURS",
    "GI_BIN_LABELS",
    "GI_LABEL_COLOURS",
    "ISLAND_COLOUR",
    "ISLAND_LABEL",
    "LISA_COLOURS",
    "HotspotError",
    "NoVariationError",
    "SpatialWeights",
    "getis_ord",
    "gi_bins",
    "hotspot_table",
    "local_moran",
    "significance_thresholds",
    "spatial_weights",
]

#: Label of an area with no neighbours: no local statistic is computed for it.
ISLAND_LABEL = "No neighbours (island)"
#: Colour of islands on both maps (GeoDa's "Neighborless" grey, RGB 140, 140, 140).
ISLAND_COLOUR = "#8C8C8C"

#: Gi_Bin → label, hottest first (Esri's Hot Spot Analysis convention).
GI_BIN_LABELS: dict[int, str] = {
    3: "Hot spot 99% confidence",
    2: "Hot spot 95% confidence",
    1: "Hot spot 90% confidence",
    0: "Not significant",
    -1: "Cold spot 90% confidence",
    -2: "Cold spot 95% confidence",
    -3: "Cold spot 99% confidence",
}

#: Gi_Bin → colour: Esri's hot/cold spot palette, dark red (99% hot) to dark blue (99% cold), pale yellow
#: for not significant (the colours of Esri's Spatial Statistics toolbox).
GI_BIN_COLOURS: dict[int, str] = {
    3: "#D62F27",
    2: "#ED7551",
    1: "#FAB984",
    0: "#FFFFBF",
    -1: "#C0CCBE",
    -2: "#849EBA",
    -3: "#4575B5",
}

#: ``gi_label`` → colour, in legend order with islands last; pass as ``categorical`` to
#: :func:`circles.figures.print_maps.choropleth` on the ``gi_label`` column.
GI_LABEL_COLOURS: dict[str, str] = {GI_BIN_LABELS[b]: GI_BIN_COLOURS[b] for b in GI_BIN_LABELS} | {
    ISLAND_LABEL: ISLAND_COLOUR
}

#: ``lisa_category`` → colour: GeoDa's LISA cluster map palette, islands in GeoDa's "Neighborless" grey.
LISA_COLOURS: dict[str, str] = {
    "High-High": "#FF0000",
    "Low-Low": "#0000FF",
    "Low-High": "#A7ADF9",
    "High-Low": "#F4ADA8",
    "Not significant": "#EEEEEE",
    ISLAND_LABEL: ISLAND_COLOUR,
}

#: esda's quadrant numbers (PySAL scheme, ``geoda_quads=False``) → GeoDa category names.
_QUADRANTS: dict[int, str] = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}


# ----------------------------------------------------------------------------------------------------------
# Statistics


def getis_ord(
    values: pd.Series | Sequence[float] | np.ndarray,
    weights: SpatialWeights,
    *,
    permutations: int = 9999,
    seed: int = 12345,
    alpha: float = 0.05,
    correction: Correction = "fdr",
) -> pd.DataFrame:
    """Getis–Ord Gi* hot and cold spots with Esri's confidence bins, tested by conditional permutation.

    Runs ``esda.G_Local(values, w, star=True, transform="B", permutations=permutations, seed=seed)``: the
    sum of the values in each area and its neighbours (binary weights, the area itself included) over the
    total. See the module notes: the permutation holds the area's own value fixed, so its p-value reflects
    its neighbours only, and a lone high area among ordinary ones is not called hot.

    Parameters
    ----------
    values : pandas.Series or array-like
        Non-negative values (counts, rates), not all equal. A Series must be indexed by ``area_code`` (every
        area of ``weights``, no other); an array is taken in the order of ``weights.ids``.
    weights : SpatialWeights
        From :func:`spatial_weights`.
    permutations : int
        Conditional permutations (at least 99). With ``P`` permutations the smallest p-value is
        ``2 / (P + 1)``.
    seed : int
        Seed of esda's permutations; the same inputs and seed give the same p-values.
    alpha : float
        Level for ``gi_significant`` (after correction). The bins always use 0.10, 0.05 and 0.01.
    correction : {"fdr", "bonferroni", "none"}
        Multiple-testing control for the bins and ``gi_significant`` (see :func:`significance_thresholds`).
        When esda has no FDR, Bonferroni is used and ``attrs["correction"]`` says so.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_code`` in the order of ``weights.ids``:

        ``gi_z``
            Gi* standardised by the mean and standard deviation of its own permutation distribution
            (esda ``z_sim``), so that it describes the same test as ``gi_p``.
        ``gi_z_analytic``
            The Ord–Getis z-score under total randomisation (esda ``Zs``; what Esri reports as GiZScore).
            For comparison only: it counts the area's own value, the permutation test does not.
        ``gi_p``
            Two-sided pseudo p-value from esda's conditional permutation, twice the smaller one-sided value
            (see the module notes); uncorrected.
        ``gi_bin``
            Esri Gi_Bin (see :func:`gi_bins`): -3 … 3, level after ``correction``; the sign is the side of the
            permutation distribution ``gi_p`` came from (hot: high side), which is the sign of ``gi_z``
            except if an extreme outlier skews the permutation distribution past its median.
        ``gi_label``
            :data:`GI_BIN_LABELS` text, or :data:`ISLAND_LABEL`.
        ``gi_significant``
            ``gi_p`` at or below the corrected cut-off for ``alpha``.

        Islands keep their value in everyone else's permutations but get no statistic (missing values).
        ``attrs`` records the statistic, weights, permutations, seed, p-value rule, the correction used,
        the number of tests and the cut-off at each level.

    Raises
    ------
    HotspotError
        For misaligned, missing, negative or constant values, fewer than 99 permutations, an unknown
        correction, or weights in which every area is an island.

    Examples
    --------
    A 5 × 5 grid of 1 km squares with high values in the 2 × 2 block at the bottom-left corner:

    >>> import geopandas as gpd, numpy as np
    >>> from shapely.geometry import box
    >>> cells = [(x, y) for y in range(5) for x in range(5)]
    >>> grid = gpd.GeoDataFrame({"area_code": [f"C{x}{y}" for x, y in cells]},
    ...     geometry=[box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for x, y in cells], crs=27700)
    >>> values = np.array([30.0 if x < 2 and y < 2 else 10.0 + (x * 7 + y * 3) % 5 for x, y in cells])
    >>> result = getis_ord(values, spatial_weights(grid), permutations=999, correction="none")
    >>> result.loc[["C00", "C11", "C20", "C34"], "gi_label"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'C00': 'Hot spot 99% confidence', 'C11': 'Hot spot 95% confidence', 'C20': 'Not significant',
     'C34': 'Cold spot 95% confidence'}
    >>> result.loc["C00", ["gi_z", "gi_p"]].round(3).tolist(), int(result.loc["C00", "gi_bin"])
    ([4.779, 0.006], 3)

    With the default FDR correction over the 25 areas, the cut-off for 95% confidence falls to 0.002:

    >>> fdr = getis_ord(values, spatial_weights(grid), permutations=999)
    >>> fdr.attrs["correction"], fdr.attrs["thresholds"]["95%"], fdr.index[fdr["gi_bin"] >= 2].tolist()
    ('fdr', 0.002, ['C10'])
    """
    _check_options(permutations, alpha, correction)
    _check_weights(weights)
    ids = weights.ids
    y = _as_values(values, ids, "values")
    if (y < 0).any():
        raise HotspotError("Gi* needs non-negative values (counts or rates); some are negative.")
    if y.sum() <= 0 or np.ptp(y) == 0:
        raise NoVariationError("Gi* needs values that are not all equal (and not all zero).")
    with _quiet():
        lg = esda.G_Local(y, _copy(weights.w), star=True, transform="B", permutations=permutations, seed=seed, n_jobs=1)
    island = ~_has_neighbours(weights)  # islands left unattached: no statistic
    z = np.where(island, np.nan, np.asarray(lg.z_sim, dtype=float))
    p, side = _two_sided(lg.Gs, lg.rGs, permutations)
    p = np.where(island, np.nan, p)
    used, note = _correction_used(correction)
    bins = gi_bins(side, p, correction=used)
    thresholds = significance_thresholds(p[~island], correction=used, levels=(*CONFIDENCE_LEVELS.values(), alpha))
    result = pd.DataFrame(
        {
            "gi_z": z,
            "gi_z_analytic": np.where(island, np.nan, np.asarray(lg.Zs, dtype=float)),
            "gi_p": p,
            "gi_bin": pd.array(np.where(island, pd.NA, bins), dtype="Int64"),
            "gi_label": np.where(island, ISLAND_LABEL, [GI_BIN_LABELS[int(b)] for b in bins]),
            "gi_significant": pd.array(
                np.where(island, pd.NA, _at_or_below(p, thresholds[float(alpha)])), dtype="boolean"
            ),
        },
        index=pd.Index(ids, name="area_code"),
    )
    result.attrs = _attrs(
        "Getis-Ord Gi* (esda.G_Local, star=True, binary weights)",
        weights,
        permutations,
        seed,
        alpha,
        used,
        note,
        thresholds,
        int((~island).sum()),
    )
    return result


def local_moran(
    values: pd.Series | Sequence[float] | np.ndarray,
    weights: SpatialWeights,
    *,
    permutations: int = 9999,
    seed: int = 12345,
    alpha: float = 0.05,
    correction: Correction = "fdr",
    base: pd.Series | Sequence[float] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Local Moran's I (LISA) clusters and outliers in GeoDa's categories, tested by conditional permutation.

    Runs ``esda.Moran_Local(values, w, transformation="r", ...)`` on row-standardised weights, or, when
    ``base`` is given, ``esda.Moran_Local_Rate(values, base, w, ...)``: the local Moran of the empirical
    Bayes standardised rate ``values / base`` (Assunção & Reis 1999), which stops small populations' unstable
    rates from dominating. The weights given stay binary; esda works on a row-standardised copy.

    Parameters
    ----------
    values : pandas.Series or array-like
        The variable (or the event counts when ``base`` is given); aligned as in :func:`getis_ord`.
    weights : SpatialWeights
        From :func:`spatial_weights`.
    permutations, seed : int
        As in :func:`getis_ord`.
    alpha : float
        Significance level of the categories, after ``correction`` (GeoDa's default cut-off is 0.05).
    correction : {"fdr", "bonferroni", "none"}
        Multiple-testing control (see :func:`significance_thresholds`).
    base : pandas.Series or array-like, optional
        Population at risk, positive, aligned like ``values``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_code`` in the order of ``weights.ids``:

        ``lisa_value``
            The variable analysed: ``values``, or the EB-standardised rate when ``base`` is given.
        ``lisa_i``
            Local Moran's I (esda ``Is``).
        ``lisa_z``
            I standardised by its permutation distribution (esda ``z_sim``).
        ``lisa_p``
            Two-sided pseudo p-value, twice the smaller one-sided value (uncorrected; see the module notes).
            GeoDa maps the one-sided ``p_sim`` against 0.05, about this ``lisa_p`` against 0.10.
        ``lisa_q``
            Quadrant of the Moran scatter plot, esda's numbering: 1 High-High, 2 Low-High, 3 Low-Low,
            4 High-Low (the value, then its neighbours' average, above or below the mean).
        ``lisa_category``
            The quadrant's name when ``lisa_p`` is at or below the corrected cut-off for ``alpha``, else
            "Not significant"; islands get :data:`ISLAND_LABEL`. Colours: :data:`LISA_COLOURS`.
        ``lisa_significant``
            Whether the category is a significant one.

    Raises
    ------
    HotspotError
        For misaligned, missing or constant values, a base that is not positive, fewer than 99
        permutations, an unknown correction, or weights in which every area is an island.

    Examples
    --------
    The grid of :func:`getis_ord`'s example: the high corner block is a High-High cluster.

    >>> import geopandas as gpd, numpy as np
    >>> from shapely.geometry import box
    >>> cells = [(x, y) for y in range(5) for x in range(5)]
    >>> grid = gpd.GeoDataFrame({"area_code": [f"C{x}{y}" for x, y in cells]},
    ...     geometry=[box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for x, y in cells], crs=27700)
    >>> values = np.array([30.0 if x < 2 and y < 2 else 10.0 + (x * 7 + y * 3) % 5 for x, y in cells])
    >>> result = local_moran(values, spatial_weights(grid), permutations=999, correction="none")
    >>> result.loc[["C00", "C11", "C20", "C34"], "lisa_category"].to_dict()
    {'C00': 'High-High', 'C11': 'High-High', 'C20': 'Not significant', 'C34': 'Low-Low'}
    """
    _check_options(permutations, alpha, correction)
    _check_weights(weights)
    ids = weights.ids
    y = _as_values(values, ids, "values")
    with _quiet():
        if base is None:
            if np.ptp(y) == 0:
                raise NoVariationError("Local Moran needs values that are not all equal.")
            lm = esda.Moran_Local(
                y, _copy(weights.w), transformation="r", permutations=permutations, seed=seed, n_jobs=1
            )
            statistic = "Local Moran's I (esda.Moran_Local, row-standardised weights)"
        else:
            b = _as_values(base, ids, "base")
            if (y < 0).any() or (b <= 0).any():
                raise HotspotError("A rate needs non-negative event counts and a positive base in every area.")
            lm = esda.Moran_Local_Rate(
                y,
                b,
                _copy(weights.w),
                adjusted=True,
                transformation="r",
                permutations=permutations,
                seed=seed,
                n_jobs=1,
            )
            if not np.isfinite(lm.y).all() or np.ptp(lm.y) == 0:
                raise HotspotError("The EB-standardised rates are constant or undefined; check values and base.")
            statistic = (
                "Local Moran's I of the EB-standardised rate (esda.Moran_Local_Rate, Assuncao-Reis; "
                "row-standardised weights)"
            )
    island = ~_has_neighbours(weights)  # islands left unattached: no statistic
    p = np.where(island, np.nan, _two_sided(lm.Is, lm.rlisas, permutations)[0])
    used, note = _correction_used(correction)
    thresholds = significance_thresholds(p[~island], correction=used, levels=(*CONFIDENCE_LEVELS.values(), alpha))
    significant = _at_or_below(p, thresholds[float(alpha)])
    quadrant = np.asarray(lm.q, dtype="int64")
    category = np.where(
        island, ISLAND_LABEL, np.where(significant, [_QUADRANTS[int(q)] for q in quadrant], "Not significant")
    )
    result = pd.DataFrame(
        {
            "lisa_value": np.asarray(lm.y, dtype=float),
            "lisa_i": np.where(island, np.nan, np.asarray(lm.Is, dtype=float)),
            "lisa_z": np.where(island, np.nan, np.asarray(lm.z_sim, dtype=float)),
            "lisa_p": p,
            "lisa_q": pd.array(np.where(island, pd.NA, quadrant), dtype="Int64"),
            "lisa_category": category,
            "lisa_significant": pd.array(np.where(island, pd.NA, significant), dtype="boolean"),
        },
        index=pd.Index(ids, name="area_code"),
    )
    result.attrs = _attrs(statistic, weights, permutations, seed, alpha, used, note, thresholds, int((~island).sum()))
    return result


def hotspot_table(
    table: gpd.GeoDataFrame,
    value: str,
    weights: SpatialWeights,
    *,
    base: str | None = None,
    permutations: int = 9999,
    seed: int = 12345,
    alpha: float = 0.05,
    correction: Correction = "fdr",
) -> gpd.GeoDataFrame:
    """An area table with Gi* and local Moran results joined on ``area_code``, ready to map or write.

    Parameters
    ----------
    table : geopandas.GeoDataFrame
        One row per area of ``weights`` (e.g. from :func:`circles.stats.aggregate.count_by_area`), in any order.
    value : str
        Column to analyse (e.g. ``"people"``). Gi* always runs on this column.
    weights : SpatialWeights
        From :func:`spatial_weights` on the same areas.
    base : str, optional
        Population column; when given, local Moran runs on the EB-standardised rate ``value / base``
        (:func:`local_moran`). To run Gi* on a rate, pass a rate column as ``value``.
    permutations, seed, alpha, correction
        As in :func:`getis_ord` and :func:`local_moran` (both use the same).

    Returns
    -------
    geopandas.GeoDataFrame
        ``table`` with its rows and columns unchanged, followed by the ``gi_*`` and ``lisa_*`` columns.
        ``attrs["getis_ord"]`` and ``attrs["local_moran"]`` describe each analysis.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> from shapely.geometry import box
    >>> cells = [(x, y) for y in range(5) for x in range(5)]
    >>> grid = gpd.GeoDataFrame({"area_code": [f"C{x}{y}" for x, y in cells],
    ...     "people": [30 if x < 2 and y < 2 else 10 + (x * 7 + y * 3) % 5 for x, y in cells]},
    ...     geometry=[box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for x, y in cells], crs=27700)
    >>> table = hotspot_table(grid, "people", spatial_weights(grid), permutations=999, correction="none")
    >>> table.loc[table["area_code"] == "C00", ["people", "gi_bin", "lisa_category"]].values.tolist()
    [[30, 3, 'High-High']]
    """
    if not isinstance(table, gpd.GeoDataFrame):
        raise HotspotError(f"hotspot_table needs a GeoDataFrame of areas, not {type(table).__name__}.")
    for column in ("area_code", value, *([base] if base is not None else [])):
        if column not in table.columns:
            columns = [str(c) for c in table.columns]
            raise HotspotError(f"The table has no column {column!r}.{suggest(column, columns)}")
    _check_weights(weights)
    codes = table["area_code"].astype(str)
    if codes.duplicated().any():
        raise HotspotError(f"The table repeats area codes: {codes[codes.duplicated()].tolist()[:3]}.")
    missing = sorted(set(weights.ids) - set(codes))
    extra = sorted(set(codes) - set(weights.ids))
    if missing or extra:
        raise HotspotError(
            f"The table and the weights cover different areas (missing from the table: {missing[:3]}, "
            f"not in the weights: {extra[:3]}). Build the weights from the same areas."
        )
    options: dict[str, Any] = {"permutations": permutations, "seed": seed, "alpha": alpha, "correction": correction}
    values = pd.Series(table[value].to_numpy(), index=codes.to_numpy())
    gi = getis_ord(values, weights, **options)
    rates = None if base is None else pd.Series(table[base].to_numpy(), index=codes.to_numpy())
    lisa = local_moran(values, weights, base=rates, **options)
    out = table.copy()
    joined = gi.join(lisa).reindex(codes.to_numpy())
    for column in joined.columns:
        out[column] = pd.Series(joined[column].array, index=out.index)
    out.attrs = {"getis_ord": dict(gi.attrs), "local_moran": dict(lisa.attrs)}
    return out


# ----------------------------------------------------------------------------------------------------------
# Helpers


def _correction_used(correction: Correction) -> tuple[Correction, str]:
    """The correction that will be applied, and a note when it differs from the one asked for."""
    if correction == "fdr" and _esda_fdr is None:
        note = "FDR was asked for but esda.fdr is unavailable in this esda; Bonferroni was used instead."
        warnings.warn(note, UserWarning, stacklevel=3)
        return "bonferroni", note
    return correction, ""


def _as_values(values: object, ids: Sequence[str], name: str) -> np.ndarray:
    """``values`` as floats in the order of ``ids``: a Series by its area-code index, else by position."""
    if isinstance(values, pd.DataFrame):
        raise HotspotError(f"{name} must be one column (a Series or an array), not a DataFrame.")
    if isinstance(values, pd.Series):
        index = values.index.astype(str)
        if not index.is_unique or set(index) != set(ids):
            raise HotspotError(
                f"{name} is a Series whose index is not the area codes of the weights. Index it by area_code "
                "(e.g. table.set_index('area_code')['people']), or pass .to_numpy() if it is already in the "
                "order of weights.ids."
            )
        try:
            values = pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=index).reindex(list(ids))
        except (TypeError, ValueError):
            raise HotspotError(f"{name} must be numbers.") from None
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise HotspotError(f"{name} must be numbers.") from None
    if array.ndim != 1 or len(array) != len(ids):
        raise HotspotError(f"{name} must hold one number per area ({len(ids)}), not shape {array.shape}.")
    if not np.isfinite(array).all():
        bad = [ids[i] for i in np.flatnonzero(~np.isfinite(array))[:3]]
        raise HotspotError(f"{name} is missing or not finite in area(s) {bad}; every area needs a value.")
    return array


def _attrs(
    statistic: str,
    weights: SpatialWeights,
    permutations: int,
    seed: int,
    alpha: float,
    correction: str,
    note: str,
    thresholds: dict[float, float],
    n_tests: int,
) -> dict[str, Any]:
    """The description stored in a result's ``attrs``."""
    return {
        "statistic": statistic,
        "weights": weights.method,
        "islands": list(weights.islands),
        "islands_attached": weights.islands_attached,
        "permutations": int(permutations),
        "seed": int(seed),
        "p_value": (
            "two-sided pseudo p-value from conditional permutation: min(1, 2 * min(greater, lesser)) with esda's "
            "one-sided (M + 1) / (P + 1) values, ties counted in both tails; uncorrected"
        ),
        "min_p": 2.0 / (permutations + 1),
        "correction": correction,
        "correction_note": note,
        "n_tests": n_tests,
        "thresholds": {f"{round(100 * (1 - a))}%": thresholds[a] for a in CONFIDENCE_LEVELS.values()},
        "alpha": float(alpha),
        "alpha_threshold": thresholds[float(alpha)],
    }
