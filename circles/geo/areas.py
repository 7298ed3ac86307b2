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

from circles.errors import GeographyError
from circles.geo.layers import ANALYSIS_CRS, AreaLayer, is_pseudo_code, note_warning

__all__ = [
    "MIN_LOOKUP_MATCH",
    "Placement",
    "assign_areas",
    "assign_by_code",
    "check_lookup_match",
    "layer_from_lookup",
    "points_from_grid",
]

#: Least share of a layer's areas a lookup built over it must hold (:func:`check_lookup_match`). Below it the
#: lookup is for another edition of the areas (LSOA 2021 codes over an LSOA 2011 layer, 2019 ward codes over
#: 2017 wards) and is refused; between it and all, the areas it leaves out are named in a warning.
MIN_LOOKUP_MATCH = 0.9


@dataclass(frozen=True)
class Placement:
    """Result of :func:`assign_areas`.

    Attributes
    ----------
    placed : geopandas.GeoDataFrame
        Input rows that fell in an area, with ``<layer>_code`` and ``<layer>_method`` (``"within"`` or
        ``"nearest"``) added; input order kept.
    unplaced : geopandas.GeoDataFrame
        Input rows with no area within the tolerance, with ``distance_m`` to the nearest area (and, from
        :func:`assign_by_code`, ``given_code``: the code that is not in the layer).
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
    own ``lsoa11``, or a code mapped through a lookup. Codes that are blank or not in the layer are unplaced, with
    the code they had as ``given_code`` (an ONS pseudo-code such as ``L99999999`` says the postcode lies outside
    the areas altogether).

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
    unplaced["given_code"] = codes[~known].to_numpy()
    counts = {"within": 0, "nearest": 0, "by_code": int(known.sum()), "unplaced": int((~known).sum())}
    return Placement(placed=placed, unplaced=unplaced, counts=counts)


def check_lookup_match(
    via: AreaLayer, codes: pd.Series, *, from_code: str, source: str, warnings: list[str] | None = None
) -> int:
    """Check that a lookup's ``codes`` (its ``from_code`` column) hold the areas of the layer it is built over.

    Returns the number of the layer's areas the lookup holds. Under :data:`MIN_LOOKUP_MATCH` of them is an error
    naming example codes of both sides; fewer than all is a warning naming the areas left out.

    Raises
    ------
    GeographyError
        If the lookup holds under :data:`MIN_LOOKUP_MATCH` of the layer's areas.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> layer = AreaLayer("lsoa", "LSOA", gpd.GeoDataFrame({"area_code": ["E01000001", "E01000002"],
    ...     "area_name": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700), "example")
    >>> check_lookup_match(layer, pd.Series(["E01000001", "E01000002", "E01999998"]), from_code="LSOA11CD",
    ...                    source="lookup.csv")
    2
    """
    layer_codes = pd.Index(via.areas["area_code"].astype(str).unique())
    lookup_codes = pd.Index(codes.dropna().astype(str).unique())
    held = layer_codes.isin(lookup_codes)
    matched, total = int(held.sum()), len(layer_codes)
    if total == 0:
        raise GeographyError(f"Lookup {source}: layer {via.name!r} has no areas to build a layer over.")
    left_out = sorted(layer_codes[~held])
    if matched < MIN_LOOKUP_MATCH * total:
        foreign = sorted(lookup_codes[~lookup_codes.isin(layer_codes)]) or sorted(lookup_codes)
        raise GeographyError(
            f"Lookup {source} holds {matched} of the {total} areas of layer {via.name!r} ({matched / total:.0%}; "
            f"at least {MIN_LOOKUP_MATCH:.0%} are needed): the lookup's {from_code} values look like "
            f"{_examples(foreign)}; the layer {via.name} has {_examples(left_out)}. The lookup is for another "
            f"edition of these areas, or for other areas: use the lookup for the edition of layer {via.name!r} "
            f"(whose {from_code} column holds codes like {left_out[0]}), or build the layer over the layer whose "
            "codes the lookup holds."
        )
    if left_out:
        note_warning(
            f"Lookup {source} lacks {len(left_out)} of the {total} areas of layer {via.name!r} "
            f"({_examples(left_out)}): they are left out of the layer built from it, and records in them are "
            "quarantined. Check that the lookup is for the edition of the layer's areas.",
            warnings,
        )
    return matched


def _examples(codes: list[str], n: int = 3) -> str:
    """``"A, B, C and 5 more"``: the first ``n`` codes, and how many others there are.

    >>> _examples(["A", "B", "C", "D"]), _examples(["A"]), _examples([])
    ('A, B, C and 1 more', 'A', 'no codes')
    """
    if not codes:
        return "no codes"
    return ", ".join(codes[:n]) + (f" and {len(codes) - n:,} more" if len(codes) > n else "")


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
    warnings: list[str] | None = None,
) -> AreaLayer:
    """A coarser layer built from a best-fit lookup (e.g. LSOA -> ward): the ``via`` areas dissolved by target.

    The boundaries are the union of the smaller areas each maps to, so they follow the smaller areas' edges,
    not the official boundaries of the coarser areas: say so on any map made from them.

    Rows holding an ONS pseudo-code (``E99999999``, ``L99999999``...: no area) are left out, and so are the
    ``via`` areas the lookup lacks, with a note in ``warnings`` (a :class:`UserWarning` without it).

    Raises
    ------
    GeographyError
        If the lookup holds under :data:`MIN_LOOKUP_MATCH` of the ``via`` areas (see :func:`check_lookup_match`),
        or maps all of them to pseudo-codes.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> lsoa = AreaLayer("lsoa", "LSOA", gpd.GeoDataFrame({"area_code": ["E01000001", "E01000002"],
    ...     "area_name": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700), "example")
    >>> table = pd.DataFrame({"LSOA11CD": ["E01000001", "E01000002"], "WD17CD": ["E05000001"] * 2,
    ...                       "WD17NM": ["Ward"] * 2})
    >>> ward = layer_from_lookup(lsoa, table, from_code="LSOA11CD", to_code="WD17CD", to_name="WD17NM",
    ...                          layer_name="ward", title="Ward", source="lookup.csv")
    >>> ward.areas["area_code"].tolist(), ward.areas.geometry.area.tolist()
    (['E05000001'], [2.0])
    """
    name = to_name or to_code
    pairs = lookup[list(dict.fromkeys([from_code, to_code, name]))].drop_duplicates(from_code)
    pairs = _without_pseudo_codes(pairs, from_code, f"Lookup {source}", warnings)
    check_lookup_match(via, pairs[from_code], from_code=from_code, source=source, warnings=warnings)
    in_layer = pairs[pairs[from_code].isin(via.areas["area_code"])]
    to_pseudo = is_pseudo_code(in_layer[to_code]).to_numpy()
    if to_pseudo.all():
        raise GeographyError(
            f"Lookup {source} maps every area of layer {via.name!r} to an ONS pseudo-code "
            f"({_examples(sorted(in_layer[to_code].unique()))}) in column {to_code!r}, which stands for no area: "
            "it has no areas to build a layer of. Use a lookup to the areas of the study area."
        )
    if to_pseudo.any():
        note_warning(
            f"Lookup {source}: {int(to_pseudo.sum())} area(s) of layer {via.name!r} "
            f"({_examples(sorted(in_layer.loc[to_pseudo, from_code]))}) map to an ONS pseudo-code in column "
            f"{to_code!r} ({_examples(sorted(in_layer.loc[to_pseudo, to_code].unique()))}): no area of layer "
            f"{layer_name!r}; records in them are quarantined as outside the study area.",
            warnings,
        )
    merged = via.areas.merge(in_layer.loc[~to_pseudo], left_on="area_code", right_on=from_code, how="inner")
    columns = list(dict.fromkeys([to_code, name, "geometry"]))
    dissolved = merged[columns].dissolve(by=to_code, as_index=False, aggfunc="first", sort=True)
    areas = gpd.GeoDataFrame(
        {"area_code": dissolved[to_code].astype(str).to_numpy(), "area_name": dissolved[name].astype(str).to_numpy()},
        geometry=dissolved.geometry.to_numpy(),
        crs=via.areas.crs,
    )
    return AreaLayer(name=layer_name, title=title, areas=areas, source=source)


def _without_pseudo_codes(table: pd.DataFrame, column: str, what: str, warnings: list[str] | None) -> pd.DataFrame:
    """``table`` without the rows whose ``column`` holds an ONS pseudo-code, noting how many were dropped."""
    pseudo = is_pseudo_code(table[column]).to_numpy()
    if pseudo.any():
        note_warning(
            f"{what}: {int(pseudo.sum())} row(s) hold ONS pseudo-codes in column {column!r} "
            f"({_examples(sorted(table.loc[pseudo, column].astype(str).unique()))}), which stand for no area; "
            "left out.",
            warnings,
        )
    return table.loc[~pseudo]
