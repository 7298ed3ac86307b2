"""Area tables: records and people counted per area (and per service), every area present.

Counts here are exact and private: they go through :mod:`circles.ingest.disclosure` before anything is published.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from circles.geo.layers import AreaLayer

__all__ = ["count_by_area", "count_by_area_and", "area_table", "area_by_table"]


def count_by_area(records: pd.DataFrame, layer: AreaLayer, *, person: str = "client_id") -> gpd.GeoDataFrame:
    """Count records and distinct people in each area of ``layer``; areas with none get 0.

    Parameters
    ----------
    records : pandas.DataFrame
        Records carrying ``<layer.name>_code`` (from :func:`circles.geo.areas.assign_areas`).
    layer : AreaLayer
    person : str
        Column identifying a person (a pseudonym after ingest); blank values are not counted as people.

    Returns
    -------
    geopandas.GeoDataFrame
        ``area_code``, ``area_name``, ``records``, ``people`` and the area geometry, one row per area.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> layer = AreaLayer("z", "Zone", gpd.GeoDataFrame({"area_code": ["A", "B"], "area_name": ["A", "B"]},
    ...                   geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700), "example")
    >>> recs = pd.DataFrame({"z_code": ["A", "A", "A"], "client_id": ["p1", "p1", "p2"]})
    >>> count_by_area(recs, layer)[["area_code", "records", "people"]].values.tolist()
    [['A', 3, 2], ['B', 0, 0]]
    """
    code = f"{layer.name}_code"
    grouped = records.groupby(code, observed=True)
    people = records[records[person].astype("string").str.len() > 0].groupby(code, observed=True)[person].nunique()
    return area_table(layer, grouped.size(), people)


def area_table(layer: AreaLayer, records: pd.Series, people: pd.Series) -> gpd.GeoDataFrame:
    """The area table of :func:`count_by_area` from counts already made (indexed by area code).

    An engine that counts elsewhere (the Dask engine counts per partition and combines) builds the same table
    with this; areas with no records get 0, and a code not in the layer is an error.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> layer = AreaLayer("z", "Zone", gpd.GeoDataFrame({"area_code": ["A", "B"], "area_name": ["A", "B"]},
    ...                   geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700), "example")
    >>> table = area_table(layer, pd.Series({"B": 4}), pd.Series({"B": 3}))
    >>> table[["area_code", "records", "people"]].values.tolist()
    [['A', 0, 0], ['B', 4, 3]]
    """
    counts = pd.DataFrame({"records": records, "people": people}).fillna(0).astype("int64")
    unknown = counts.index.difference(layer.areas["area_code"])
    if len(unknown):
        raise ValueError(f"records carry codes not in layer {layer.name!r}: {list(unknown[:5])}")
    table = layer.areas.merge(counts, left_on="area_code", right_index=True, how="left")
    table[["records", "people"]] = table[["records", "people"]].fillna(0).astype("int64")
    extra = [c for c in layer.areas.columns if c not in ("area_code", "area_name", "geometry")]  # e.g. "ward"
    return table[["area_code", "area_name", *extra, "records", "people", "geometry"]]


def count_by_area_and(records: pd.DataFrame, layer: AreaLayer, by: str, *, person: str = "client_id") -> pd.DataFrame:
    """Long table of records and people per area and per value of ``by`` (e.g. ``"service"``).

    Every area × category combination is present (zeros included), so the table can be published whole.
    """
    code = f"{layer.name}_code"
    groups = records.groupby([code, by], observed=True)
    named = records[records[person].astype("string").str.len() > 0]
    people = named.groupby([code, by], observed=True)[person].nunique()
    return area_by_table(layer, by, groups.size(), people, categories=records[by].dropna().unique())


def area_by_table(
    layer: AreaLayer, by: str, records: pd.Series, people: pd.Series, *, categories: Iterable[object]
) -> pd.DataFrame:
    """The long table of :func:`count_by_area_and` from counts already made (indexed by area code and ``by``).

    ``categories`` are every value of ``by`` seen in the records; each area gets a row for each, zeros included.
    """
    counts = pd.DataFrame({"records": records, "people": people})
    full = pd.MultiIndex.from_product([layer.areas["area_code"], sorted(categories)], names=["area_code", by])
    counts = counts.rename_axis(["area_code", by]).reindex(full, fill_value=0).fillna(0).astype("int64")
    names = layer.areas.set_index("area_code")["area_name"]
    out = counts.reset_index()
    out.insert(1, "area_name", out["area_code"].map(names))
    return out
