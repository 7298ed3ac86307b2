"""Reference geography: postcode directories and area layers (I/O only).

The embedded extracts in ``geo/`` cover Blackburn with Darwen (E06000008): its 91 LSOAs (2011), the 18 MSOAs
dissolved from them, and its ~5,100 postcodes from the ONS Postcode Directory. Any other polygon file that
pyogrio reads (GeoJSON, GeoPackage, Shapefile) can be declared as an area layer with its code and name columns.

Everything here returns frames in British National Grid (EPSG:27700), the CRS of analysis; web output is
reprojected to EPSG:4326 at the figure stage.
"""

from __future__ import annotations

import warnings as python_warnings
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
    "PSEUDO_CODE_PATTERN",
    "PSEUDO_CODE_PLACES",
    "is_pseudo_code",
    "pseudo_code_note",
    "note_warning",
]

ANALYSIS_CRS = "EPSG:27700"
WEB_CRS = "EPSG:4326"

#: Printed on every map and report that uses ONS/OS geography (see geo/README.md).
ATTRIBUTION = (
    "Contains National Statistics data © Crown copyright and database right 2025. "
    "Contains OS data © Crown copyright and database right 2025. "
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0."
)

#: ONS pseudo-codes: GSS codes whose six-digit instance number is 999999, which the ONS Postcode Directory and
#: its lookups put where a postcode has no area of a kind: ``E99999999`` (England), ``W99999999`` (Wales),
#: ``S99999999`` (Scotland), ``N99999999`` (Northern Ireland), ``L99999999`` (Channel Islands), ``M99999999``
#: (Isle of Man), and entity-specific forms such as ``E34999999``. They stand for "no area", never for an area.
PSEUDO_CODE_PATTERN = r"[EWSNLM]\d{2}999999"
#: Where a postcode with a pseudo-code lies, by the code's first letter.
PSEUDO_CODE_PLACES = {
    "E": "England but in no area of this kind",
    "W": "Wales",
    "S": "Scotland",
    "N": "Northern Ireland",
    "L": "the Channel Islands",
    "M": "the Isle of Man",
}


def is_pseudo_code(codes: pd.Series) -> pd.Series:
    """Whether each code is an ONS pseudo-code (:data:`PSEUDO_CODE_PATTERN`); blanks are not.

    >>> is_pseudo_code(pd.Series(["E01012571", "L99999999", "S99999999", None, "E34999999"])).tolist()
    [False, True, True, False, True]
    """
    text = codes.astype("string").str.strip().str.upper()
    return text.str.fullmatch(PSEUDO_CODE_PATTERN).fillna(False).astype(bool)


def pseudo_code_note(code: str) -> str:
    """What a pseudo-code says about a postcode, for messages.

    >>> pseudo_code_note("M99999999")
    'ONS pseudo-code M99999999: postcode in the Isle of Man'
    """
    code = str(code).strip().upper()
    return f"ONS pseudo-code {code}: postcode in {PSEUDO_CODE_PLACES.get(code[:1], 'no area of this kind')}"


def note_warning(message: str, warnings: list[str] | None) -> None:
    """Add ``message`` to a run's ``warnings``; without one, issue it as a Python :class:`UserWarning`."""
    if warnings is None:
        python_warnings.warn(message, UserWarning, stacklevel=3)
    else:
        warnings.append(message)


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
    warnings: list[str] | None = None,
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
    warnings : list of str, optional
        Where to note areas left out (ONS pseudo-codes such as ``L99999999`` stand for no area and are
        dropped); without it they are issued as a :class:`UserWarning`.

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
    pseudo = is_pseudo_code(frame[code]).to_numpy()
    if pseudo.any():
        shown = ", ".join(sorted(frame.loc[pseudo, code].astype(str).unique())[:3])
        note_warning(
            f"Area layer {path}: {int(pseudo.sum())} row(s) in column {code!r} hold ONS pseudo-codes ({shown}), "
            "which stand for no area; left out of the layer.",
            warnings,
        )
        frame = frame.loc[~pseudo]
    if frame.empty:
        raise GeographyError(f"Area layer {path} has no areas (no rows with a code in column {code!r}).")
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
