"""Writing outputs atomically: a failed run never leaves a half-written file.

Each writer writes to a temporary file in the destination folder and renames it over the target with
:func:`os.replace`, which is atomic on POSIX and Windows filesystems.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = [
    "atomic_path",
    "write_csv",
    "write_xlsx",
    "write_geopackage",
    "write_json",
    "save_figure",
    "neutralise_formulas",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@contextmanager
def atomic_path(target: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success move it over ``target``, on error delete it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with atomic_path(pathlib.Path(folder) / "out.txt") as tmp:
    ...         _ = tmp.write_text("hello")
    ...     print((pathlib.Path(folder) / "out.txt").read_text())
    hello
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # let the writer create it (some drivers refuse an existing file)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) with ``'``.

    Numbers are left alone: only object/string columns are touched, and a cell is changed only when it
    starts with one of the trigger characters (OWASP CSV injection guidance).
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
            continue
        text = series.astype("string")
        risky = text.str.startswith(_FORMULA_START).fillna(False).astype(bool)
        if risky.any():
            out[column] = series.where(~risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, *, na_rep: str = "") -> Path:
    """Write a CSV (UTF-8, LF line ends, no index) atomically, with formula injection neutralised."""
    path = Path(path)
    with atomic_path(path) as tmp:
        neutralise_formulas(frame).to_csv(tmp, index=False, na_rep=na_rep, lineterminator="\n")
    return path


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path, *, title: str = "") -> Path:
    """Write an ``.xlsx`` workbook (openpyxl) atomically: one sheet a frame, a bold frozen header, widths to fit.

    Text that a spreadsheet would run as a formula is neutralised (:func:`neutralise_formulas`) and every text cell
    is stored as text, so no cell of the workbook is a formula; missing values are empty cells. The document's
    creator is "circles" and its title ``title``: nothing else about who ran it.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    book.properties.creator, book.properties.title = "circles", title
    for name, frame in sheets.items():
        sheet = book.create_sheet(name[:31])
        safe = neutralise_formulas(frame)
        sheet.append([str(c) for c in safe.columns])
        for row in safe.itertuples(index=False):
            sheet.append([None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        for i, column in enumerate(safe.columns, start=1):
            width = max([len(str(column)), *(len(str(v)) for v in safe[column].head(200))])
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(60, width + 2)
        sheet.freeze_panes = "A2"
    with atomic_path(path) as tmp:
        book.save(tmp)
    return path


def write_geopackage(layers: dict[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """Write several named layers into one GeoPackage atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return path


def write_json(data: Any, path: str | Path) -> Path:
    """Write JSON (UTF-8, indented, keys in insertion order) atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


def save_figure(figure: Any, path: str | Path, **kwargs: Any) -> Path:
    """Save a matplotlib figure atomically (format from the suffix)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=path.suffix.lstrip("."), **kwargs)
    return path
