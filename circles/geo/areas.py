"""Assign geocoded records to areas: point in polygon with a counted nearest-area fallback.

Generalised boundaries (super generalised LSOAs, clipped wards) leave some real addresses a few metres
outside every polygon, typically along rivers and the borough edge. Those points take the nearest area when
it lies within a tolerance (200 m by default); the method used is recorded per record and counted, and
points beyond the tolerance are returned as unplaced for the quarantine — never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from circles.geo.layers import ANALYSIS_CRS, AreaLayer

__all__ = ["Placement", "assign_areas", "assign_by_code", "layer_from_lookup", "points_from_grid"]


@dataclass(frozen=True)
class Placement:
    """Result of :func:`assign_areas`.

    Attributes
    ----------
    placed : geopandas.GeoDataFrame
        Input rows that fell in an area, with ``<layer>_code`` and ``<layer>_method`` (``"within"`` or
        ``"nearest"``) added; input order kept.
    unplaced : geopandas.GeoDataFrame
        Input rows with no area within the tolerance, with ``distance_m`` to the nearest area.
    counts : dict
        ``{"within": n, "nearest": n, "by_code": n, "unplaced": n}``: how each record was placed (``by_code``:
        from a code it already carried, see :func:`assign_by_code`).
    """

    placed: gpd.GeoDataFrame
    unplaced: gpd.GeoDataFrame
    counts: dict[str, int]


def points_from_grid(frame: pd.DataFrame, x: str = "oseast1m", y: str = "osnrth1m") -> gpd.GeoDataFrame:
    """Points in EPSG:27700 from British National Grid eastings and northings (metres)."""
    geometry = gpd.points_from_xy(frame[x].to_numpy(dtype=float), frame[y].to_numpy(dtype=float))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=ANALYSIS_CRS)


def assign_areas(points: gpd.GeoDataFrame, layer: AreaLayer, *, tolerance_m: float = 200.0) -> Placement:
    """Give each point the code of the area containing it, else of the nearest area within a tolerance.

    Uses :func:`geopandas.sjoin` (``how="left"``, ``predicate="within"``) then
    :func:`geopandas.sjoin_nearest` with ``max_distance`` for the points left over. A point on a shared
    boundary, or nearest to two areas at the same distance, takes the lowest area code, so results do not
    depend on row order.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Point geometries in any projected CRS (reprojected to EPSG:27700); the index must be unique.
    layer : AreaLayer
        The areas.
    tolerance_m : float
        Largest distance in metres at which a point outside every area is given the nearest one.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> from circles.geo.layers import AreaLayer
    >>> areas = gpd.GeoDataFrame({"area_code": ["A", "B"], "area_name": ["A", "B"]},
    ...                          geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    >>> layer = AreaLayer("zone", "Zone", areas, "example")
    >>> pts = gpd.GeoDataFrame(geometry=[Point(5, 5), Point(25, 5), Point(900, 5)], crs=27700)
    >>> result = assign_areas(pts, layer, tolerance_m=10)
    >>> result.placed["zone_code"].tolist(), result.counts
    (['A', 'B'], {'within': 1, 'nearest': 1, 'by_code': 0, 'unplaced': 1})
    """
    if not points.index.is_unique:
        raise ValueError("assign_areas needs a unique index on the points")
    code_col, method_col = f"{layer.name}_code", f"{layer.name}_method"
    pts = points.to_crs(ANALYSIS_CRS) if points.crs != ANALYSIS_CRS else points
    areas = layer.areas[["area_code", "geometry"]]

    joined = gpd.sjoin(pts[["geometry"]], areas, how="left", predicate="within")
    within = _lowest_code_per_point(joined)

    missing = pts.index.difference(within.dropna().index, sort=False)
    nearest = pd.Series(pd.NA, index=missing, dtype="string")
    distance = pd.Series(np.nan, index=missing, dtype="float64")
    if len(missing):
        near = gpd.sjoin_nearest(
            pts.loc[missing, ["geometry"]], areas, how="left", max_distance=tolerance_m, distance_col="distance_m"
        )
        nearest = _lowest_code_per_point(near).reindex(missing)
        # distance to the nearest area whatever the tolerance, to explain the quarantine
        far = nearest[nearest.isna()].index
        if len(far):
            nearest_any = gpd.sjoin_nearest(pts.loc[far, ["geometry"]], areas, how="left", distance_col="distance_m")
            distance.loc[far] = nearest_any.groupby(level=0)["distance_m"].min()

    codes = within.dropna().astype("string")
    codes = pd.concat([codes, nearest.dropna().astype("string")])
    method = pd.Series("within", index=within.dropna().index, dtype="string")
    method = pd.concat([method, pd.Series("nearest", index=nearest.dropna().index, dtype="string")])

    placed_index = pts.index[pts.index.isin(codes.index)]
    placed = points.loc[placed_index].copy()
    placed[code_col] = codes.reindex(placed_index)
    placed[method_col] = method.reindex(placed_index)
    unplaced_index = pts.index[~pts.index.isin(codes.index)]
    unplaced = points.loc[unplaced_index].copy()
    unplaced["distance_m"] = distance.reindex(unplaced_index).round(1)
    counts = {
        "within": int((placed[method_col] == "within").sum()),
        "nearest": int((placed[method_col] == "nearest").sum()),
        "by_code": 0,
        "unplaced": len(unplaced),
    }
    return Placement(placed=placed, unplaced=unplaced, counts=counts)


def _lowest_code_per_point(joined: pd.DataFrame) -> pd.Series:
    """Collapse a join with possible ties to one area code per point (the lowest code, deterministic)."""
    codes = joined["area_code"].astype("string")
    return codes.groupby(level=0, sort=False).min()


def assign_by_code(records: pd.DataFrame, layer: AreaLayer, codes: pd.Series) -> Placement:
    """Give each record an area code it already has (``codes``, aligned with ``records``): a postcode directory's
    own ``lsoa11``, or a code mapped through a lookup. Codes that are blank or not in the layer are unplaced.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> layer = AreaLayer("lsoa", "LSOA", gpd.GeoDataFrame({"area_code": ["A"], "area_name": ["A"]},
    ...                   geometry=[box(0, 0, 1, 1)], crs=27700), "example")
    >>> recs = pd.DataFrame({"directory_lsoa11": ["A", "Z", None]})
    >>> assign_by_code(recs, layer, recs["directory_lsoa11"]).counts
    {'within': 0, 'nearest': 0, 'by_code': 1, 'unplaced': 2}
    """
    codes = codes.astype("string")
    known = codes.isin(layer.areas["area_code"]).fillna(False).to_numpy(dtype=bool)
    placed = records.loc[known].copy()
    placed[f"{layer.name}_code"] = codes[known]
    placed[f"{layer.name}_method"] = "by_code"
    unplaced = records.loc[~known].copy()
    unplaced["distance_m"] = np.nan
    counts = {"within": 0, "nearest": 0, "by_code": int(known.sum()), "unplaced": int((~known).sum())}
    return Placement(placed=placed, unplaced=unplaced, counts=counts)


def layer_from_lookup(
    via: AreaLayer,
    lookup: pd.DataFrame,
    *,
    from_code: str,
    to_code: str,
    to_name: str | None,
    layer_name: str,
    title: str,
    source: str,
) -> AreaLayer:
    """A coarser layer built from a best-fit lookup (e.g. LSOA -> ward): the ``via`` areas dissolved by target.

    The boundaries are the union of the smaller areas each maps to, so they follow the smaller areas' edges,
    not the official boundaries of the coarser areas: say so on any map made from them.
    """
    name = to_name or to_code
    pairs = lookup[[from_code, to_code, name]].drop_duplicates(from_code)
    merged = via.areas.merge(pairs, left_on="area_code", right_on=from_code, how="inner")
    dissolved = merged[[to_code, name, "geometry"]].dissolve(by=to_code, as_index=False, aggfunc="first", sort=True)
    areas = gpd.GeoDataFrame(
        {"area_code": dissolved[to_code].astype(str).to_numpy(), "area_name": dissolved[name].astype(str).to_numpy()},
        geometry=dissolved.geometry.to_numpy(),
        crs=via.areas.crs,
    )
    return AreaLayer(name=layer_name, title=title, areas=areas, source=source)
