"""Hot spots: Getis–Ord Gi* and local Moran's I (LISA) on an area table, with the spatial weights they use.

The statistics and their permutation inference are esda's (:class:`esda.G_Local`, :class:`esda.Moran_Local`,
:class:`esda.Moran_Local_Rate`, :func:`esda.fdr`) and the weights are libpysal's; nothing here re-computes
them. This module adds what a commissioner's map needs on top: weights keyed by ``area_code`` with islands
reported, two-sided p-values, the ArcGIS confidence bins and the GeoDa cluster categories with control of
multiple testing, labels and colours, and alignment of every value by area code.

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
are ordinary neighbours of planted LSOAs (``tests/test_hotspots.py`` measures this).

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

import copy
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
from esda.significance import calculate_significance
from libpysal.weights import KNN, DistanceBand, Queen, Rook, W, min_threshold_distance

from circles.errors import CirclesError, GeographyError
from circles.geo.layers import ANALYSIS_CRS
from circles.validation import suggest

try:  # optional, so that an esda without it falls back to Bonferroni and says so
    from esda import fdr as _esda_fdr
except ImportError:  # pragma: no cover - depends on the installed esda
    _esda_fdr = None

__all__ = [
    "CONFIDENCE_LEVELS",
    "GI_BIN_COLOURS",
    "GI_BIN_LABELS",
    "GI_LABEL_COLOURS",
    "ISLAND_COLOUR",
    "ISLAND_LABEL",
    "LISA_COLOURS",
    "HotspotError",
    "SpatialWeights",
    "getis_ord",
    "gi_bins",
    "hotspot_table",
    "local_moran",
    "significance_thresholds",
    "spatial_weights",
]

Correction = Literal["fdr", "bonferroni", "none"]

#: Label of an area with no neighbours: no local statistic is computed for it.
ISLAND_LABEL = "No neighbours (island)"
#: Colour of islands on both maps (GeoDa's "Neighborless" grey, RGB 140, 140, 140).
ISLAND_COLOUR = "#8C8C8C"

#: Significance level of each Gi_Bin magnitude: 1 = 90%, 2 = 95%, 3 = 99% confidence.
CONFIDENCE_LEVELS: dict[int, float] = {1: 0.10, 2: 0.05, 3: 0.01}

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

_METHODS = ("queen", "rook", "knn", "distance")
_CORRECTIONS = ("fdr", "bonferroni", "none")


class HotspotError(CirclesError):
    """Hot spot analysis cannot run on these inputs (values misaligned or invalid, bad weights options)."""


@dataclass(frozen=True)
class SpatialWeights:
    """Binary spatial weights over a set of areas, with the areas that have no neighbour.

    Attributes
    ----------
    w : libpysal.weights.W
        Binary weights (``transform="B"``) whose ids are the ``area_code`` values, in the areas' order.
        Treat it as read-only: :func:`getis_ord` and :func:`local_moran` hand esda a copy.
    method : {"queen", "rook", "knn", "distance"}
        How neighbours were defined.
    islands : tuple of str
        Codes of the areas that had no neighbour under ``method``. Listed even when they were then joined
        to their nearest area (``islands_attached``).
    islands_attached : bool
        True when each island was given its nearest area (by centroid) as a neighbour, both ways.
    threshold : float or None
        Distance band used, in metres between centroids (``method="distance"`` only).
    k : int or None
        Number of nearest neighbours (``method="knn"`` only).
    """

    w: W
    method: str
    islands: tuple[str, ...]
    islands_attached: bool = False
    threshold: float | None = None
    k: int | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        """Area codes in the order of the weights (and of any value array given positionally)."""
        return tuple(self.w.id_order)

    def __len__(self) -> int:
        return self.w.n


# ----------------------------------------------------------------------------------------------------------
# Weights


def spatial_weights(
    areas: gpd.GeoDataFrame,
    *,
    method: Literal["queen", "rook", "knn", "distance"] = "queen",
    k: int = 5,
    threshold: float | None = None,
    islands: Literal["report", "nearest"] = "report",
) -> SpatialWeights:
    """Build binary spatial weights between areas, keyed by ``area_code``, and report islands.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        One row per area with a unique ``area_code`` and a polygon geometry, e.g. ``AreaLayer.areas``.
        Reprojected to EPSG:27700 when in another CRS, so distances are in metres.
    method : {"queen", "rook", "knn", "distance"}
        ``"queen"``: areas sharing a boundary point; ``"rook"``: sharing a boundary segment
        (:class:`libpysal.weights.Queen`, :class:`~libpysal.weights.Rook`); ``"knn"``: the ``k`` areas
        with the nearest centroids (:class:`~libpysal.weights.KNN`; not symmetric); ``"distance"``: areas
        whose centroids lie within ``threshold`` metres (:class:`~libpysal.weights.DistanceBand`, binary).
    k : int
        Neighbours per area for ``"knn"``.
    threshold : float, optional
        Distance band in metres for ``"distance"``. By default the smallest band that gives every area at
        least one neighbour (:func:`libpysal.weights.min_threshold_distance`), as Esri's tools do.
    islands : {"report", "nearest"}
        ``"report"`` keeps areas with no neighbour as islands (no local statistic is computed for them);
        ``"nearest"`` joins each to the area with the nearest centroid (a KNN ``k=1`` link, made both ways).
        Either way the islands are listed in :attr:`SpatialWeights.islands`.

    Returns
    -------
    SpatialWeights

    Raises
    ------
    GeographyError
        If ``areas`` lacks ``area_code``, has blank or repeated codes, missing geometries or no CRS.
    HotspotError
        For an unknown method, ``k`` not below the number of areas, or a threshold that is not positive.

    Examples
    --------
    A 2 × 2 block of squares and one detached square, 1 m each side:

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"area_code": ["A", "B", "C", "D", "Z"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2), box(5, 5, 6, 6)],
    ...     crs=27700)
    >>> queen = spatial_weights(areas)
    >>> queen.islands, sorted(queen.w.neighbors["A"])
    (('Z',), ['B', 'C', 'D'])
    >>> rook = spatial_weights(areas, method="rook", islands="nearest")
    >>> rook.islands, rook.w.neighbors["Z"], sorted(rook.w.neighbors["D"])
    (('Z',), ['D'], ['B', 'C', 'Z'])
    """
    frame = _check_areas(areas)
    codes = frame["area_code"].tolist()
    n = len(codes)
    if method not in _METHODS:
        raise HotspotError(f"Unknown weights method {method!r}.{suggest(str(method), _METHODS)} Use one of {_METHODS}.")
    if islands not in ("report", "nearest"):
        raise HotspotError(f"islands must be 'report' or 'nearest', not {islands!r}.")
    centroids = np.column_stack([frame.geometry.centroid.x, frame.geometry.centroid.y])
    used_k: int | None = None
    used_threshold: float | None = None
    with _quiet():
        if method == "queen":
            w = Queen.from_dataframe(frame, ids="area_code", silence_warnings=True)
        elif method == "rook":
            w = Rook.from_dataframe(frame, ids="area_code", silence_warnings=True)
        elif method == "knn":
            if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < n:
                raise HotspotError(f"k must be a whole number from 1 to {n - 1} (one less than the areas), not {k!r}.")
            used_k = int(k)
            w = KNN(centroids, k=used_k, ids=codes, silence_warnings=True)
        else:
            if threshold is None:
                # the largest nearest-neighbour distance, widened by a relative 1e-9 (micrometres) so that
                # rounding in libpysal's KD-tree does not leave the farthest area just outside the band
                threshold = float(min_threshold_distance(centroids)) * (1 + 1e-9)
            elif not np.isfinite(threshold) or threshold <= 0:
                raise HotspotError(f"The distance threshold must be a positive number of metres, not {threshold!r}.")
            used_threshold = float(threshold)
            w = DistanceBand(centroids, threshold=used_threshold, binary=True, ids=codes, silence_warnings=True)
    neighbours = {str(i): [str(j) for j in w.neighbors[i]] for i in w.id_order}
    w = _binary_w(neighbours, codes)
    found = tuple(code for code in codes if not neighbours[code])
    attached = False
    if islands == "nearest" and found:
        if n < 2:
            raise HotspotError("A single area has no other area to be joined to.")
        with _quiet():
            nearest = KNN(centroids, k=1, ids=codes, silence_warnings=True)
        for island in found:
            other = str(nearest.neighbors[island][0])
            for a, b in ((island, other), (other, island)):
                if b not in neighbours[a]:
                    neighbours[a].append(b)
        w = _binary_w(neighbours, codes)
        attached = True
    return SpatialWeights(
        w=w, method=method, islands=found, islands_attached=attached, threshold=used_threshold, k=used_k
    )


def _check_areas(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``areas`` as a GeoDataFrame in EPSG:27700 with string codes, or a :class:`GeographyError`."""
    if not isinstance(areas, gpd.GeoDataFrame):
        raise GeographyError(f"Spatial weights need a GeoDataFrame of areas, not {type(areas).__name__}.")
    if "area_code" not in areas.columns:
        raise GeographyError(
            f"The areas have no 'area_code' column.{suggest('area_code', map(str, areas.columns))} "
            f"Their columns are: {', '.join(map(str, areas.columns))}."
        )
    if len(areas) < 2:
        raise GeographyError("Spatial weights need at least two areas.")
    codes = areas["area_code"]
    if codes.isna().any() or codes.astype(str).duplicated().any() or (codes.astype(str).str.strip() == "").any():
        dupes = codes[codes.astype(str).duplicated()].astype(str).tolist()[:3]
        raise GeographyError(f"Column 'area_code' must hold one unique code per area (blank or repeated: {dupes}).")
    if areas.crs is None:
        raise GeographyError("The areas have no coordinate reference system; set one (EPSG:27700 for GB).")
    geometry = areas.geometry
    if geometry.isna().any() or geometry.is_empty.any():
        bad = codes[geometry.isna() | geometry.is_empty].astype(str).tolist()[:3]
        raise GeographyError(f"Areas without a geometry cannot have neighbours: {bad}.")
    frame = gpd.GeoDataFrame({"area_code": codes.astype(str).to_numpy()}, geometry=geometry.to_numpy(), crs=areas.crs)
    return frame.to_crs(ANALYSIS_CRS) if frame.crs != ANALYSIS_CRS else frame


def _binary_w(neighbours: dict[str, list[str]], codes: Sequence[str]) -> W:
    """A binary libpysal ``W`` over ``codes`` (in that order) from a neighbour dict."""
    with _quiet():
        w = W({c: list(neighbours[c]) for c in codes}, id_order=list(codes), silence_warnings=True)
        w.transform = "B"
    return w


# ----------------------------------------------------------------------------------------------------------
# Significance: thresholds and bins


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
    (positive: hot, negative: cold), a z-score or, as :func:`getis_ord` passes, the side of the permutation
    distribution the p-value came from. Entries whose ``z`` or ``p`` is missing (islands) are left out of the
    correction and get bin 0 here; :func:`getis_ord` reports them as missing.

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
        raise HotspotError("Gi* needs values that are not all equal (and not all zero).")
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
                raise HotspotError("Local Moran needs values that are not all equal.")
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


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence esda/libpysal's known notices and keep numpy's global random state as it was.

    esda seeds numpy's global generator (``np.random.seed``) for its permutations; the caller's stream is
    restored afterwards. The notices silenced are esda's announcement that its default ``alternative`` will
    change (the p-values here do not use that default, see the module notes), libpysal's
    islands and disconnected-components warnings (islands are reported in :class:`SpatialWeights`), and
    division warnings for islands, whose statistics are discarded.
    """
    state = np.random.get_state()  # noqa: NPY002 - esda seeds the legacy global generator; restore it
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.filterwarnings("ignore", message="The alternative hypothesis", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message="The weights matrix is not fully connected", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*island", category=UserWarning)
        try:
            yield
        finally:
            np.random.set_state(state)  # noqa: NPY002


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


def _copy(w: W) -> W:
    """A private copy: esda sets ``w.transform`` and edits the sparse matrix of the weights it is given."""
    return copy.deepcopy(w)


def _has_neighbours(weights: SpatialWeights) -> np.ndarray:
    """Whether each area (in weights order) has at least one neighbour in the weights used."""
    return np.array([len(weights.w.neighbors[i]) > 0 for i in weights.w.id_order])


def _check_weights(weights: object) -> None:
    if not isinstance(weights, SpatialWeights):
        raise HotspotError(f"weights must come from spatial_weights(), not {type(weights).__name__}.")
    if not _has_neighbours(weights).any():
        raise HotspotError("Every area is an island (no neighbours): choose other weights or a larger threshold.")


def _check_options(permutations: int, alpha: float, correction: str) -> None:
    if isinstance(permutations, bool) or not isinstance(permutations, int | np.integer) or permutations < 99:
        raise HotspotError(f"permutations must be a whole number of at least 99, not {permutations!r}.")
    if not (isinstance(alpha, float | int) and 0 < alpha < 1):
        raise HotspotError(f"alpha must lie between 0 and 1, not {alpha!r}.")
    if correction not in _CORRECTIONS:
        raise HotspotError(f"Unknown correction {correction!r}.{suggest(str(correction), _CORRECTIONS)}")


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
