"""Places people can name: small areas named after the larger area they fall in ("Bastwell & Daisyfield 004A").

ONS names an LSOA after its local authority ("Blackburn with Darwen 004A"), which tells a commissioner nothing
about *where* it is. :func:`parent_areas` finds, for each area of a fine layer, the area of a coarser layer it
lies in (by a point guaranteed inside it, so a ward boundary that cuts an LSOA's corner does not move it), and
:func:`named_after` renames the fine areas after it, keeping the ONS suffix that tells them apart.
"""

from __future__ import annotations

import dataclasses
import re

import geopandas as gpd
import pandas as pd

from circles.geo.layers import AreaLayer

__all__ = ["parent_areas", "named_after", "name_layer", "parent_column"]

_SUFFIX = re.compile(r"\s(\S+)$")


def parent_areas(
    areas: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, *, max_distance: float | None = None
) -> pd.DataFrame:
    """For each area, the parent area that holds a point inside it (its representative point), else the nearest.

    The same best fit as the ONS lookups, which use population-weighted centroids instead: exact where the areas
    nest (LSOAs in MSOAs), an approximation where boundaries cut across (LSOAs and wards).

    Parameters
    ----------
    areas, parents : geopandas.GeoDataFrame
        Polygons with ``area_code`` and ``area_name`` (``AreaLayer.areas``), in any CRS (parents are moved
        to ``areas``' CRS).
    max_distance : float, optional
        How far (in the CRS's units) a point outside every parent may be from the nearest one; beyond, it has
        no parent. No limit by default.

    Returns
    -------
    pandas.DataFrame
        Indexed by the areas' ``area_code``: ``parent_code`` and ``parent_name`` (missing for an area outside
        every parent).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> lsoas = gpd.GeoDataFrame({"area_code": ["L1", "L2"], "area_name": ["Town 001A", "Town 001B"]},
    ...     geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1)], crs=27700)
    >>> wards = gpd.GeoDataFrame({"area_code": ["W1"], "area_name": ["Bastwell"]},
    ...     geometry=[box(-1, -1, 1.5, 2)], crs=27700)
    >>> parent_areas(lsoas, wards, max_distance=0.1).to_dict("index")
    {'L1': {'parent_code': 'W1', 'parent_name': 'Bastwell'}, 'L2': {'parent_code': nan, 'parent_name': nan}}
    """
    points = gpd.GeoDataFrame(
        {"area_code": areas["area_code"].to_numpy()},
        geometry=areas.geometry.representative_point().to_numpy(),
        crs=areas.crs,
    )
    holders = parents[["area_code", "area_name", "geometry"]].to_crs(areas.crs)
    holders = holders.rename(columns={"area_code": "parent_code", "area_name": "parent_name"})
    joined = gpd.sjoin_nearest(points, holders, how="left", max_distance=max_distance)
    joined = joined.drop_duplicates("area_code").set_index("area_code")
    return joined[["parent_code", "parent_name"]].reindex(areas["area_code"].to_numpy()).rename_axis("area_code")


def named_after(names: pd.Series, parent_names: pd.Series) -> pd.Series:
    """``names`` with the part before their last word replaced by the parent's name: "Bastwell 004A".

    An area without a parent keeps its name.

    Examples
    --------
    >>> named_after(pd.Series(["Blackburn with Darwen 004A", "Blackburn with Darwen 001D"]),
    ...             pd.Series(["Bastwell", None])).tolist()
    ['Bastwell 004A', 'Blackburn with Darwen 001D']
    """
    suffix = names.astype(str).str.extract(_SUFFIX, expand=False)
    renamed = parent_names.astype("string") + " " + suffix.astype("string")
    return renamed.where(parent_names.notna() & suffix.notna(), names).astype(object)


def parent_column(parent: AreaLayer) -> str:
    """The column a named layer's table gets for its parent: ``"ward"`` for a ward layer, else the layer's key."""
    return "ward" if parent.name.startswith("ward") else parent.name


def name_layer(layer: AreaLayer, parent: AreaLayer) -> AreaLayer:
    """``layer`` with each area named after the ``parent`` area it lies in, and that area's name in a column.

    The column is :func:`parent_column` (``"ward"``); it travels into the layer's area table and its maps.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> lsoas = AreaLayer("lsoa", "LSOA", gpd.GeoDataFrame({"area_code": ["L1"], "area_name": ["Town 004A"]},
    ...     geometry=[box(0, 0, 1, 1)], crs=27700), "example")
    >>> wards = AreaLayer("ward2025", "Wards", gpd.GeoDataFrame({"area_code": ["W1"], "area_name": ["Bastwell"]},
    ...     geometry=[box(-1, -1, 2, 2)], crs=27700), "example")
    >>> name_layer(lsoas, wards).areas[["area_code", "area_name", "ward"]].values.tolist()
    [['L1', 'Bastwell 004A', 'Bastwell']]
    """
    parents = parent_areas(layer.areas, parent.areas)["parent_name"]
    areas = layer.areas.copy()
    by_code = areas["area_code"].map(parents)
    areas["area_name"] = named_after(areas["area_name"], by_code).to_numpy()
    areas.insert(2, parent_column(parent), by_code.to_numpy())
    return dataclasses.replace(layer, areas=areas)
