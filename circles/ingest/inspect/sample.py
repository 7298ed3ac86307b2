"""Reading the extract as ``circles run`` will, and taking the sample: rows numbered as in the file, the header checked.

The file is read through the pipeline's own reader (:func:`circles.io.readers.read_source`, everything as text), so
title rows, encodings, row numbers and unreadable lines are what ``circles run`` will see.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from circles.errors import SourceError
from circles.ingest.accounting import ROW_ID
from circles.ingest.inspect.fields import _header_spellings
from circles.ingest.inspect.profile import Problem
from circles.ingest.inspect.text import _DATE_IN_TEXT, _POSTCODE_IN_TEXT
from circles.validation import suggest

if TYPE_CHECKING:
    from circles.io.readers import SourceTable

__all__: list[str] = []  # helpers of circles.ingest.inspect.extract


def _read(path: Path, sheet: str | None) -> SourceTable:
    """The file as text through the pipeline's reader; whole-file problems as :class:`SourceError`."""
    # imported here: circles.io.readers imports circles.ingest (the row ledger), which exports this package
    from circles.io.readers import read_source

    if not path.exists():
        hint = suggest(path.name, [p.name for p in path.parent.glob("*")]) if path.parent.is_dir() else ""
        raise SourceError(f"{path}: no such file.{hint} Check the path and the file name.")
    if path.is_dir():
        raise SourceError(f"{path} is a folder: give one file of the extract (.csv, .tsv, .txt or .xlsx).")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm") and not zipfile.is_zipfile(path):
        raise SourceError(
            f"{path}: not an Excel workbook (.xlsx files are zip archives; this may be an old .xls, a CSV or an "
            "export renamed .xlsx). Open it in Excel and save it as 'Excel Workbook (.xlsx)', or export 'CSV UTF-8'."
        )
    expected = _header_spellings()
    try:
        try:
            return read_source(path, expected=expected, sheet=sheet)
        except SourceError as exc:
            if "no header row naming" not in str(exc):
                raise
            return read_source(path, sheet=sheet)  # no known column name: the first non-empty row is the header
    except SourceError as exc:
        if "cannot open it as an Excel workbook" in str(exc):
            raise SourceError(
                f"{exc} Open it in Excel and save it again as 'Excel Workbook (.xlsx)', or export 'CSV UTF-8'."
            ) from None
        raise


def _row_numbers(ids: pd.Series) -> np.ndarray:
    """Row numbers as the user sees them, from the reader's row ids (``file.csv:17``, ``book.xlsx!Sheet:17``,
    ``file.parquet#17``)."""
    return ids.astype(str).str.extract(r"[:#](\d+)$")[0].astype(np.int64).to_numpy()


def _sample(table: SourceTable, sample_rows: int) -> tuple[pd.DataFrame, list[Problem], int]:
    """The first ``sample_rows`` records (readable or not), the reader's problems among them, and all records.

    The reader keeps records in file order, so only the first ``sample_rows`` readable ones can be in the sample.
    """
    head, quarantine = table.frame.head(sample_rows), table.quarantine
    good = _row_numbers(head[ROW_ID]) if len(head) else np.array([], dtype=np.int64)
    bad = _row_numbers(quarantine[ROW_ID]) if len(quarantine) else np.array([], dtype=np.int64)
    every = np.union1d(good, bad)
    last = every[min(sample_rows, len(every)) - 1] if len(every) else 0
    problems = [
        Problem(int(r), str(col), str(reason), str(message))
        for r, col, reason, message in zip(
            bad, quarantine["field"], quarantine["reason"], quarantine["message"], strict=True
        )
        if r <= last
    ]
    return head.loc[good <= last].reset_index(drop=True), problems, len(table.frame) + len(np.unique(bad))


def _looks_like_data(cell: str) -> bool:
    """Whether a header cell looks like a value (a number, a date, a postcode, a long digit run, an email)."""
    cell = cell.strip()
    return bool(
        cell
        and (
            re.fullmatch(r"[\d\s.,:/+\-]*\d[\d\s.,:/+\-]*", cell)
            or _DATE_IN_TEXT.search(cell)
            or re.search(r"\d{6,}|@", cell)
            or _POSTCODE_IN_TEXT.search(cell)
        )
    )


def _check_header(path: Path, columns: Sequence[str], text: Mapping[str, pd.Series], rows: np.ndarray) -> list[Problem]:
    """Refuse a file whose first row is data or a title, not column names (it would be printed as the header).

    Rows that repeat the whole header (files joined together) are not data below a missing header: they come
    back as problems, since ``circles run`` would read them as records.
    """
    named = [(c, re.sub(r"\.\d+$", "", c).strip().casefold()) for c in columns if not c.startswith("unnamed")]
    same = np.zeros(len(rows), dtype=bool)
    if named and len(rows):
        same = np.logical_and.reduce([text[c].str.casefold().eq(h).to_numpy(dtype=bool) for c, h in named])
    data_like = [i + 1 for i, c in enumerate(columns) if _looks_like_data(re.sub(r"\.\d+$", "", c))]
    echoed = [
        columns.index(c) + 1
        for c, h in named
        if h and (text[c].str.casefold().eq(h).to_numpy(dtype=bool) & ~same).any()
    ]
    if data_like or echoed:
        which = data_like or echoed
        verb = "holds" if len(which) == 1 else "hold"
        why = "a number, a date, a postcode or an email" if data_like else "a value that recurs in the rows below it"
        columns_named = f"column{'s' if len(which) > 1 else ''} {', '.join(map(str, which[:5]))}"
        raise SourceError(
            f"{path}: the first row does not look like column names ({columns_named} {verb} {why}), so the file "
            "seems to have no header row. Export it again with its header row (the column names) as the first "
            "row, or add one."
        )
    message = "the header row again (files joined together?): circles run would read it as a record; delete it"
    return [Problem(int(r), "(row)", "repeated_header", message) for r in rows[same]]
