"""Read agency extracts into standard tables, every row tagged with where it came from.

Fields are read as text first (``dtype=str``, ``keep_default_na=False``) so that ``"NA"``, ``"None"`` and
``""`` keep their meaning until the validation stage converts them by the spec. Each row gets
``source_file`` (the file name) and ``source_row`` (``"file.csv:LINE"``, the physical line of the row, the
header being line 1), which follow it through every stage for row accounting.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from circles.accounting import ROW_ID
from circles.errors import SourceError, suggest

__all__ = ["read_csv_source", "map_columns", "sha256_file"]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, for the run manifest."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_csv_source(path: str | Path) -> pd.DataFrame:
    """Read a CSV extract as text with ``source_file`` and ``source_row`` columns added.

    Raises
    ------
    SourceError
        If the file cannot be read or holds no header.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise SourceError(
            f"{path}: the file is empty (no header row). Export it again with its column names."
        ) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SourceError(f"{path}: cannot read it as CSV: {exc}") from None
    frame.insert(0, "source_file", path.name)
    frame.insert(1, ROW_ID, [f"{path.name}:{line}" for line in range(2, len(frame) + 2)])
    return frame


def map_columns(frame: pd.DataFrame, columns: Mapping[str, str], *, required: set[str], file: str) -> pd.DataFrame:
    """Rename source columns to standard fields and keep only those (plus the row ids).

    Parameters
    ----------
    frame : pandas.DataFrame
        As returned by a reader.
    columns : mapping
        Standard field -> source column name.
    required : set of str
        Standard fields whose source column must exist.
    file : str
        File name for messages.

    Raises
    ------
    SourceError
        Naming the file and the missing column, with the nearest existing column names.
    """
    present = [c for c in frame.columns if c not in ("source_file", ROW_ID)]
    missing = [(field, col) for field, col in columns.items() if col not in frame.columns and field in required]
    if missing:
        details = ", ".join(
            f"{col!r}"
            + (f" for field {field!r}" if field != col else "")
            + (f" ({hint.strip()})" if (hint := suggest(col, present)) else "")
            for field, col in missing
        )
        raise SourceError(
            f"{file}: missing required column{'s' if len(missing) > 1 else ''} {details}. "
            f"Columns found: {', '.join(present)}. Fix the column mapping in the pipeline spec or the file's header."
        )
    keep = {col: field for field, col in columns.items() if col in frame.columns}
    out = frame[["source_file", ROW_ID, *keep]].rename(columns=keep)
    for field in columns:
        if field not in out.columns:
            out[field] = ""
    return out
