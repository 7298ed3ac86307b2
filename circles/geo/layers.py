"""Reference geography: postcode directories and area layers (I/O only).

The embedded extracts in ``geo/`` cover Blackburn with Darwen (E06000008): its 91 LSOAs (2011), the 18 MSOAs
dissolved from them, and its ~5,100 postcodes from the ONS Postcode Directory. Any other polygon file that
pyogrio reads (GeoJSON, GeoPackage, Shapefile) can be declared as an area layer with its code and name columns.

Everything here returns frames in British National Grid (EPSG:27700), the CRS of analysis; web output is
reprojected to EPSG:4326 at the figure stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from circles.errors import GeographyError
from circles.geo.embedded import (
    EMBEDDED_LAYERS,
    EMBEDDED_LOOKUPS,
    EmbeddedLayer,
    EmbeddedLookup,
    embedded_entry,
    embedded_file,
    embedded_geo_dir,
)
from circles.geo.postcode_directory import read_postcode_directory
from circles.validation import suggest

__all__ = [
    "ANALYSIS_CRS",
    "WEB_CRS",
    "ATTRIBUTION",
    "AreaLayer",
    "embedded_geo_dir",
    "embedded_layer",
    "read_area_layer",
    "read_postcode_directory",
    "read_lookup",
    "embedded_lookup",
    "EMBEDDED_LAYERS",
    "EMBEDDED_LOOKUPS",
]

ANALYSIS_CRS = "EPSG:27700"
WEB_CRS = "EPSG:4326"

#: Printed on every map and report that uses ONS/OS geography (see geo/README.md).
ATTRIBUTION = (
    "Contains National Statistics data © Crown copyright and database right 2025. "
    "Contains OS data © Crown copyright and database right 2025. "
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0."
)


@dataclass(frozen=True)
class AreaLayer:
    """A set of areas (wards, LSOAs, MSOAs...) to count records in.

    Attributes
    ----------
    name : str
        Short key used in column names and file names, e.g. ``"lsoa"``.
    title : str
        Human title for maps and tables, e.g. ``"LSOA (2011)"``.
    areas : geopandas.GeoDataFrame
        One row per area with columns ``area_code``, ``area_name`` and ``geometry`` (EPSG:27700),
        sorted by ``area_code``; a layer named after another (:func:`circles.geo.naming.name_layer`) also has
        its parent's name (``ward``).
    source : str
        Where the boundaries came from, for the manifest.
    """

    name: str
    title: str
    areas: gpd.GeoDataFrame
    source: str

    def __len__(self) -> int:
        return len(self.areas)


def read_area_layer(
    path: str | Path,
    *,
    code: str,
    name: str | None = None,
    layer_name: str | None = None,
    title: str | None = None,
    layer: str | None = None,
) -> AreaLayer:
    """Read polygons from any file pyogrio reads and standardise them into an :class:`AreaLayer`.

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage, Shapefile...
    code, name : str
        Columns holding the area code and name (``name`` defaults to ``code``).
    layer_name : str, optional
        Key of the layer in outputs; defaults to the file stem.
    title : str, optional
        Title for maps; defaults to ``layer_name``.
    layer : str, optional
        Layer inside a multi-layer file such as a GeoPackage.

    Raises
    ------
    GeographyError
        If the file cannot be read, has no CRS, or lacks the named columns.
    """
    path = Path(path)
    layer_name = layer_name or path.stem
    name = name or code
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError...
        raise GeographyError(f"Cannot read area layer {path}: {exc}") from None
    fields = list(info["fields"])
    for role, column in (("code", code), ("name", name)):
        if column not in fields:
            raise GeographyError(
                f"Area layer {path} has no {role} column {column!r}.{suggest(column, fields)} "
                f"Its columns are: {', '.join(fields)}."
            )
    frame = pyogrio.read_dataframe(path, layer=layer, columns=sorted({code, name}))
    if frame.crs is None:
        raise GeographyError(f"Area layer {path} has no coordinate reference system; set one in the file.")
    if frame[code].isna().any() or frame[code].duplicated().any():
        dupes = frame.loc[frame[code].duplicated(), code].astype(str).tolist()[:3]
        raise GeographyError(
            f"Area layer {path}: column {code!r} must hold one unique code per area (blank or repeated: {dupes})."
        )
    areas = gpd.GeoDataFrame(
        {
            "area_code": frame[code].astype(str).to_numpy(),
            "area_name": frame[name].astype(str).to_numpy(),
        },
        geometry=frame.geometry.to_crs(ANALYSIS_CRS).make_valid().to_numpy(),
        crs=ANALYSIS_CRS,
    )
    areas = areas.sort_values("area_code", kind="stable").reset_index(drop=True)
    return AreaLayer(name=layer_name, title=title or layer_name, areas=areas, source=str(path))


def embedded_layer(key: str, *, layer_name: str | None = None, title: str | None = None) -> AreaLayer:
    """One of the embedded boundary layers (see :mod:`circles.geo.embedded`).

    >>> layer = embedded_layer("ward2004")
    >>> len(layer), layer.title
    (23, 'Wards (2004-2018)')
    """
    entry = embedded_entry(key, EMBEDDED_LAYERS, "layer")
    assert isinstance(entry, EmbeddedLayer)
    layer = read_area_layer(
        embedded_file(entry.file),
        code=entry.code,
        name=entry.name,
        layer_name=layer_name or key,
        title=title or entry.title,
    )
    return AreaLayer(layer.name, layer.title, layer.areas, source=f"embedded:{key} ({entry.file})")


def embedded_lookup(key: str) -> tuple[EmbeddedLookup, pd.DataFrame]:
    """One of the embedded best-fit lookups and its table (see :func:`read_lookup`).

    >>> entry, table = embedded_lookup("ward2017")
    >>> entry.via, len(table), table[entry.to_code].nunique()
    ('lsoa11', 91, 23)
    """
    entry = embedded_entry(key, EMBEDDED_LOOKUPS, "lookup")
    assert isinstance(entry, EmbeddedLookup)
    return entry, read_lookup(embedded_file(entry.file), entry.from_code, entry.to_code, entry.to_name)


def read_lookup(path: str | Path, from_code: str, to_code: str, to_name: str | None = None) -> pd.DataFrame:
    """Read a code lookup table (e.g. the ONS LSOA (2011) to Ward (2017) lookup) as text, checking its columns.

    Each ``from_code`` must map to one ``to_code`` (a best-fit lookup); a code mapped twice is an error.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise GeographyError(f"Cannot read lookup {path}: {exc}") from None
    for column in (from_code, to_code, to_name):
        if column and column not in table.columns:
            raise GeographyError(
                f"Lookup {path} has no column {column!r}.{suggest(column, table.columns)} "
                f"Columns: {', '.join(table.columns)}."
            )
    repeated = table[from_code][table[from_code].duplicated()].unique()
    if len(repeated):
        raise GeographyError(
            f"Lookup {path}: {len(repeated)} code(s) in {from_code!r} map to more than one area "
            f"(first: {repeated[0]}); a best-fit lookup maps each code once."
        )
    return table
