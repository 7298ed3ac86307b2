"""Postcode directories: the ONS Postcode Directory (ONSPD), the National Statistics Postcode Lookup (NSPL)
and the embedded borough extract, read into one standard frame.

A council downloads the directories as a zip holding a large CSV (about 2.7 million rows) whose column names vary
by edition: ``pcd``/``pcd7``, ``pcd2``/``pcd8``, ``pcds``; ``oseast1m``/``east1m``;
``oslaua``/``laua``/``lad25cd``; ``osward``/``ward``/``wd25cd``; ``lsoa11``/``lsoa21``/``lsoa11cd``;
``msoa11``/``msoa21``. :func:`read_postcode_directory` accepts any of these, quoted or not, CRLF or LF,
zipped or not, and reads only the columns it needs with Arrow's multi-threaded CSV reader.

The standard frame has ``pcds`` (single-space postcode), ``oseast1m``, ``osnrth1m`` (British National Grid metres,
missing where the directory has no grid reference), ``oslaua``, ``doterm`` (``YYYYMM`` of termination, missing
for live postcodes) and, when the directory has them, area codes ``osward``, ``lsoa11``, ``lsoa21``, ``msoa11``,
``msoa21``.

:func:`embedded_directory_path` is the embedded extract, found through :mod:`circles.geo.embedded`.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from circles.errors import GeographyError
from circles.geo.embedded import embedded_geo_dir
from circles.validation import suggest

__all__ = [
    "DIRECTORY_COLUMNS",
    "AREA_COLUMNS",
    "read_postcode_directory",
    "embedded_directory_path",
    "embedded_geo_dir",
]

#: Standard column -> names it goes by in ONSPD/NSPL editions (matched ignoring case).
DIRECTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "pcds": ("pcds",),
    "pcd7": ("pcd", "pcd7"),
    "pcd8": ("pcd2", "pcd8"),
    "oseast1m": ("oseast1m", "east1m", "x"),
    "osnrth1m": ("osnrth1m", "north1m", "y"),
    "lat": ("lat",),
    "doterm": ("doterm",),
    "oslaua": ("oslaua", "laua", r"re:lad\d\dcd"),
    "osward": ("osward", "ward", r"re:wd\d\dcd"),
    "lsoa11": ("lsoa11", "lsoa11cd"),
    "lsoa21": ("lsoa21", "lsoa21cd"),
    "msoa11": ("msoa11", "msoa11cd"),
    "msoa21": ("msoa21", "msoa21cd"),
}
#: Area code columns a directory may carry, usable in place of point-in-polygon.
AREA_COLUMNS = ("osward", "lsoa11", "lsoa21", "msoa11", "msoa21")
_NO_GRID_LAT = 99.999999


def embedded_directory_path() -> Path:
    return embedded_geo_dir() / "postcodes_bwd.csv"


def _match_columns(header: list[str]) -> dict[str, str]:
    """Standard name -> the header's own name, for every standard column the header has."""
    lowered = {h.strip().lower(): h for h in header}
    found = {}
    for standard, names in DIRECTORY_COLUMNS.items():
        for name in names:
            if name.startswith("re:"):
                pattern = re.compile(name[3:] + "$")
                hits = sorted((h for h in lowered if pattern.match(h)), reverse=True)  # newest edition first
                if hits:
                    found[standard] = lowered[hits[0]]
                    break
            elif name in lowered:
                found[standard] = lowered[name]
                break
    return found


def _open_csv(path: Path) -> tuple[bytes, str]:
    """The directory CSV's bytes and a label, from a ``.csv`` or from the data CSV inside a ``.zip``."""
    if path.suffix.lower() != ".zip":
        return path.read_bytes(), str(path)
    with zipfile.ZipFile(path) as archive:
        csvs = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        preferred = [n for n in csvs if re.search(r"(onspd|nspl|nspd)[^/]*_uk\.csv$", n, re.IGNORECASE)]
        if not preferred:  # any CSV under Data/, else the largest CSV
            preferred = [n for n in csvs if "/data/" in f"/{n.lower()}"] or csvs
        if not preferred:
            raise GeographyError(f"Postcode directory {path}: the zip holds no CSV file.")
        name = max(preferred, key=lambda n: archive.getinfo(n).file_size)
        return archive.read(name), f"{path}!{name}"


def read_postcode_directory(path: str | Path | None = None, *, areas: bool = True) -> pd.DataFrame:
    """Read a postcode directory (ONSPD, NSPL or the embedded extract) into the standard columns.

    Parameters
    ----------
    path : path-like, optional
        A ``.csv`` or the ``.zip`` as downloaded; default: the embedded Blackburn with Darwen extract.
    areas : bool
        Also read the area code columns (ward, LSOA, MSOA) when the directory has them.

    Raises
    ------
    GeographyError
        If the file cannot be read or has no postcode or grid reference columns; the message lists the
        columns found and the nearest names.

    Examples
    --------
    >>> directory = read_postcode_directory()
    >>> list(directory.columns), directory["pcds"].iloc[0]
    (['pcds', 'oseast1m', 'osnrth1m', 'oslaua', 'doterm'], 'BB0 1GR')
    """
    path = Path(path) if path is not None else embedded_directory_path()
    try:
        data, label = _open_csv(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise GeographyError(f"Cannot read postcode directory {path}: {exc}") from None
    first_line = data[: data.find(b"\n") if b"\n" in data else len(data)].decode("utf-8-sig", "replace")
    header = [h.strip().strip('"') for h in first_line.rstrip("\r").split(",")]
    found = _match_columns(header)
    postcode = next((c for c in ("pcds", "pcd7", "pcd8") if c in found), None)
    missing = [
        n
        for n, ok in (
            ("a postcode column (pcds, pcd, pcd2)", postcode),
            ("oseast1m", "oseast1m" in found),
            ("osnrth1m", "osnrth1m" in found),
        )
        if not ok
    ]
    if missing:
        hint = suggest("pcds" if not postcode else "oseast1m", header)
        raise GeographyError(
            f"Postcode directory {label} lacks {', '.join(missing)}.{hint} Columns found: {', '.join(header[:40])}"
        )
    wanted = [postcode, "oseast1m", "osnrth1m", "oslaua", "lat", "doterm"]
    if areas:
        wanted += [a for a in AREA_COLUMNS if a in found]
    wanted = [w for w in dict.fromkeys(wanted) if w in found]
    source_names = [found[w] for w in wanted]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                include_columns=source_names,
                column_types={n: pa.string() for n in source_names},
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise GeographyError(f"Cannot parse postcode directory {label}: {exc}") from None
    table = table.rename_columns(wanted)
    return _standardise(table, postcode)


def _standardise(table: pa.Table, postcode: str) -> pd.DataFrame:
    codes = table[postcode]
    if postcode == "pcds":
        pcds = pc.utf8_upper(pc.utf8_trim_whitespace(codes))
    else:  # pcd / pcd2: fixed-width forms; squeeze spaces then insert one before the inward code
        compact = pc.replace_substring(pc.utf8_upper(codes), " ", "")
        outward = pc.utf8_slice_codeunits(compact, 0, -3)
        pcds = pc.binary_join_element_wise(outward, pc.utf8_slice_codeunits(compact, -3), " ")
    # the directory is the authority on what is a postcode: keep every row that has one, the first of each
    # (index_in gives each distinct postcode's first row, in the directory's order)
    first = pc.index_in(pc.unique(pcds).drop_null(), value_set=pcds)
    if len(first) < len(pcds):
        table, pcds = table.take(first), pcds.take(first)
    frame = pd.DataFrame({"pcds": pd.Series(pcds.to_pandas(types_mapper=pd.ArrowDtype), dtype="string")})

    def number(name: str) -> pd.Series:
        if name not in table.column_names:
            return pd.Series(float("nan"), index=frame.index)
        column = pc.utf8_trim_whitespace(table[name])
        try:
            values = pc.cast(pc.if_else(pc.equal(column, ""), None, column), pa.float64())
        except pa.ArrowInvalid:  # text in a numeric column: read what parses, blank the rest
            return pd.to_numeric(pd.Series(column.to_pandas()), errors="coerce")
        return pd.Series(values.to_numpy(zero_copy_only=False), index=frame.index)

    east, north = number("oseast1m"), number("osnrth1m")
    no_grid = number("lat").sub(_NO_GRID_LAT).abs().lt(1e-6) | east.isna() | north.isna()
    frame["oseast1m"] = east.mask(no_grid)
    frame["osnrth1m"] = north.mask(no_grid)
    for name in ("oslaua", "doterm", *AREA_COLUMNS):
        if name in table.column_names or name in ("oslaua", "doterm"):
            values = (
                pd.Series(table[name].to_pandas(), dtype="string")
                if name in table.column_names
                else pd.Series(pd.NA, index=frame.index, dtype="string")
            )
            frame[name] = values.str.strip().replace("", pd.NA)
    return frame
