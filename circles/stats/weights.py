"""Spatial weights for hot spot analysis: libpysal's weights keyed by ``area_code``, with islands reported.

:func:`spatial_weights` builds binary queen, rook, k-nearest or distance-band weights between areas (libpysal),
lists the areas with no neighbour and can join each to its nearest area. :func:`circles.stats.hotspots.getis_ord`
and :func:`~circles.stats.hotspots.local_moran` run on the :class:`SpatialWeights` it returns.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
from libpysal.weights import KNN, DistanceBand, Queen, Rook, W, min_threshold_distance

from circles.errors import CirclesError, GeographyError
from circles.geo.layers import ANALYSIS_CRS
from circles.validation import suggest

__all__ = ["HotspotError", "NoVariationError", "SpatialWeights", "spatial_weights"]

_METHODS = ("queen", "rook", "knn", "distance")


class HotspotError(CirclesError):
    """Hot spot analysis cannot run on these inputs (values misaligned or invalid, bad weights options)."""


class NoVariationError(HotspotError):
    """Every area has the same value: there is no spatial pattern to test (too few records, or all smoothed away)."""


@dataclass(frozen=True)
class SpatialWeights:
    """Binary spatial weights over a set of areas, with the areas that have no neighbour.

    Attributes
    ----------
    w : libpysal.weights.W
        Binary weights (``transform="B"``) whose ids are the ``area_code`` values, in the areas' order.
        Treat it as read-only: :func:`~circles.stats.hotspots.getis_ord` and
        :func:`~circles.stats.hotspots.local_moran` hand esda a copy.
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


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence esda/libpysal's known notices and keep numpy's global random state as it was.

    esda seeds numpy's global generator (``np.random.seed``) for its permutations; the caller's stream is
    restored afterwards. The notices silenced are esda's announcement that its default ``alternative`` will
    change (the p-values do not use that default, see :mod:`circles.stats.hotspots`), libpysal's
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
