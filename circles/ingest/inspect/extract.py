"""Inspecting an extract: :func:`inspect_extract` reads the sample, matches the header, sniffs, profiles and checks.

The steps live in the other modules of :mod:`circles.ingest.inspect`; this one puts them together in order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from circles.errors import CirclesError
from circles.ingest.accounting import ROW_ID
from circles.ingest.inspect.dates import _sniff_columns
from circles.ingest.inspect.fields import FieldMatch, match_headers, normalise_header
from circles.ingest.inspect.profile import Problem, _check_values, _match_by_values, _profile_columns, _values_fit
from circles.ingest.inspect.report import ExtractInspection
from circles.ingest.inspect.sample import _check_header, _read, _row_numbers, _sample
from circles.ingest.inspect.text import _shape
from circles.ingest.parse import MAX_AGE, parse_ages

__all__ = ["inspect_extract"]

#: Headers of a column of ages in whole years (normalised: lower case words).
_AGE_HEADERS = frozenset(
    {"age", "age years", "age in years", "age at referral", "age at start", "age on referral", "age at contact",
     "client age", "current age", "person age", "service user age", "age now"}
)  # fmt: skip
#: Share of an age column's filled values that must be whole years from 0 to 120.
_AGES_CUTOFF = 0.8


def inspect_extract(path: str | Path, *, sheet: str | None = None, sample_rows: int = 1000) -> ExtractInspection:
    """Read a sample of an agency's extract and propose the pipeline spec's column mapping for it.

    Parameters
    ----------
    path : path-like
        A ``.csv`` (``.tsv``, ``.txt``) or ``.xlsx`` file.
    sheet : str, optional
        Excel sheet (default: the first).
    sample_rows : int
        How many records, from the top of the file, to inspect.

    Returns
    -------
    ExtractInspection
        The proposed mapping, date formats, categories, postcode check and problem rows;
        :meth:`ExtractInspection.to_yaml` prints it as a ``sources:`` block for a spec.

    Raises
    ------
    SourceError
        The file is missing, empty, unreadable, or has no header row; the message names the file and says
        what to do.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     extract = pathlib.Path(folder) / "extract.csv"
    ...     _ = extract.write_text("Client ID,Post Code,Referral Date,Service Name\\n"
    ...                            "C1,BB1 1AA,03/04/2024,Family Support\\nC2,bb2 2bb,25/12/2023,Family Support\\n")
    ...     found = inspect_extract(extract)
    >>> {name: match.column for name, match in found.mapping.items()}
    {'client_id': 'Client ID', 'postcode': 'Post Code', 'service': 'Service Name', 'referral_date': 'Referral Date'}
    >>> found.date_formats["Referral Date"].suggested, found.postcodes.invalid
    (('%d/%m/%Y',), 0)
    >>> "C1" in found.to_yaml(), found.categories["Service Name"]
    (False, (('Family Support', 2),))
    """
    if sample_rows < 1:
        raise CirclesError(f"The sample needs at least one row (asked for {sample_rows}).")
    given = Path(path).expanduser()
    table = _read(given, sheet)
    path = given.resolve()  # the spec resolves relative paths against its own folder: give it an absolute one
    info = {k: v for k, v in table.info.items() if k not in ("columns",)}
    columns = tuple(str(c) for c in table.info.get("columns", [c for c in table.frame.columns[2:]]))
    notes: list[str] = []
    if sheet is not None and table.info.get("format") != "xlsx":
        notes.append(f"the sheet {sheet!r} was ignored: only Excel workbooks have sheets")

    frame, read_problems, rows_read = _sample(table, sample_rows)
    rows = _row_numbers(frame[ROW_ID]) if len(frame) else np.array([], dtype=np.int64)
    text = {c: frame[c].astype("string").fillna("").str.strip() for c in columns}
    header_problems = _check_header(given, columns, text, rows)

    mapping, mapping_notes = _propose_mapping(columns, set(table.info.get("repeated_columns", ())), text)
    notes += mapping_notes
    ages, age_problems = _find_ages(mapping, _usable_columns(columns, table.info), text, rows)
    if not len(frame):
        notes.append("the file has a header and no readable rows: only the header was matched")
    field_of = {m.column: f for f, m in mapping.items()}
    dates = _sniff_columns(columns, field_of, text, rows)
    profiles, categories = _profile_columns(columns, field_of, text, dates)
    postcodes, found = _check_values(mapping, dates, text, rows)
    problems = [*read_problems, *header_problems, *found, *age_problems]
    problems.sort(key=lambda p: (p.row, columns.index(p.column) if p.column in columns else -1, p.reason))

    return ExtractInspection(
        path=path,
        format=str(table.info.get("format", path.suffix.lstrip(".").lower())),
        sheet=table.info.get("sheet"),
        columns=columns,
        rows_read=rows_read,
        rows_inspected=len(frame) + len({p.row for p in read_problems}),
        mapping=MappingProxyType(mapping),
        unmatched_columns=tuple(c for c in columns if c not in field_of),
        profiles=MappingProxyType(profiles),
        date_formats=MappingProxyType(dates),
        categories=MappingProxyType(categories),
        age_columns=ages,
        postcodes=postcodes,
        problems=tuple(problems),
        notes=tuple(notes),
        info=MappingProxyType(info),
    )


def _usable_columns(columns: Sequence[str], info: Mapping) -> list[str]:
    """The columns a mapping may use: not those whose name the header repeats."""
    repeated = set(info.get("repeated_columns", ()))
    return [c for c in columns if c not in repeated and re.sub(r"\.\d+$", "", c) not in repeated]


def _find_ages(
    mapping: dict[str, FieldMatch], columns: Sequence[str], text: Mapping[str, pd.Series], rows: np.ndarray
) -> tuple[frozenset[str], list[Problem]]:
    """A column of ages in whole years for ``age_band`` (``type: age_years``), and its rows that are not ages.

    The column the header matched to ``age_band``, or else an unmatched column headed like an age ("Age", "Age at
    referral"); either way most of its filled values must be whole years from 0 to 120. ``mapping`` gains the
    match. Problems show a value's shape only: an exact age identifies.
    """
    taken = {m.column for m in mapping.values()}
    if "age_band" in mapping:
        candidates = [mapping["age_band"].column]
    else:
        candidates = [c for c in columns if c not in taken and normalise_header(c) in _AGE_HEADERS]
    for column in candidates:
        values = text[column]
        filled = values.ne("").to_numpy(dtype=bool)
        ages = parse_ages(values)
        valid = ages.between(0, MAX_AGE).fillna(False).to_numpy(dtype=bool)
        if not filled.any() or valid[filled].mean() < _AGES_CUTOFF:
            continue
        if "age_band" not in mapping:
            mapping["age_band"] = FieldMatch(
                "age_band", column, "values", round(float(valid[filled].mean()), 3), "ages"
            )
        bad = np.flatnonzero(filled & ~valid)
        problems = [
            Problem(int(rows[i]), column, "invalid_age", f"not an age in whole years from 0 to {MAX_AGE} "
                    f"(shape {_shape(values.iloc[i])})")
            for i in bad
        ]  # fmt: skip
        return frozenset({column}), problems
    return frozenset(), []


def _propose_mapping(
    columns: Sequence[str], repeated: set[str], text: Mapping[str, pd.Series]
) -> tuple[dict[str, FieldMatch], list[str]]:
    """Standard field -> column, by header and then by values, and notes on the header.

    A column whose name the header repeats is not mapped (which copy holds the data is unknown).
    """
    usable = _usable_columns(columns, {"repeated_columns": repeated})
    notes = [
        f"the header names {name!r} more than once: rename the copies so a mapping can say which holds the data"
        for name in sorted(repeated)
    ]
    mapping = match_headers(usable, accept=lambda f, c: _values_fit(f, text[c]))
    mapping = _match_by_values(mapping, usable, text)
    if not mapping:
        notes.append("no column name matched a standard field: map the columns by hand")
    return mapping, notes
