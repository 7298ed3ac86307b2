"""Read agency extracts (CSV, Excel, Parquet) into text tables, every row tagged with where it came from.

Fields are read as text (``dtype=str``, blanks kept as ``""``) so that ``"NA"``, ``"None"`` and ``""`` keep their
meaning until :mod:`circles.ingest.validate` converts them by the spec. Every row gets ``source_file`` and
``source_row`` — ``"file.csv:LINE"`` (the physical line where the row starts; the header is line 1 unless title
lines stand above it), ``"book.xlsx!Sheet:ROW"`` (the sheet row) or ``"file.parquet#N"`` — which follow it
through every stage for row accounting.

Nothing is skipped silently. CSV lines with the wrong number of fields, broken quotes and empty rows come
back as quarantine entries with their line numbers; a whole-file problem (unreadable, empty, unknown
encoding, no header matching the spec, missing sheet) raises :class:`~circles.errors.SourceError` naming the
file and what to do.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from circles.errors import SourceError
from circles.ingest.accounting import QUARANTINE_COLUMNS, ROW_ID
from circles.validation import suggest

__all__ = [
    "SourceTable",
    "read_source",
    "read_csv_source",
    "read_excel_source",
    "read_parquet_source",
    "map_columns",
    "detect_encoding",
    "sha256_file",
]

_DELIMITERS = (",", ";", "\t", "|")
_HEADER_SEARCH_ROWS = 30
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)


@dataclass(frozen=True)
class SourceTable:
    """One file read as text.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``source_file``, ``source_row`` and the file's columns as text (blank = ``""``).
    quarantine : pandas.DataFrame
        Rows that could not be read as records (columns of :data:`~circles.ingest.accounting.QUARANTINE_COLUMNS`).
    info : dict
        Format, encoding, delimiter, header row, title rows skipped and counts, for the manifest.
    """

    frame: pd.DataFrame
    quarantine: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        """Records read: accepted here plus quarantined here."""
        return len(self.frame) + self.quarantine[ROW_ID].nunique()


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, for the run manifest."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_source(path: str | Path, *, expected: Collection[str] = (), sheet: str | None = None) -> SourceTable:
    """Read a CSV (``.csv``, ``.txt``, ``.tsv``), Excel (``.xlsx``, ``.xlsm``) or Parquet file as text.

    Parameters
    ----------
    path : path-like
    expected : collection of str
        Column names the spec maps; used to find the header row below any title rows.
    sheet : str, optional
        Excel sheet (default: the first).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise SourceError(f"{path}: no such file.")
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv_source(path, expected=expected)
    if suffix in (".xlsx", ".xlsm"):
        return read_excel_source(path, expected=expected, sheet=sheet)
    if suffix == ".parquet":
        return read_parquet_source(path)
    if suffix == ".xls":
        raise SourceError(f"{path}: old Excel .xls files are not read; save it as .xlsx (Excel: File > Save As).")
    raise SourceError(f"{path}: unknown file type {suffix!r}; circles reads .csv, .tsv, .txt, .xlsx and .parquet.")


# ----------------------------------------------------------------------------------------------- CSV


def detect_encoding(data: bytes, name: str = "file") -> tuple[str, str]:
    """Decode ``data`` as UTF-8 (with or without BOM) or Windows-1252, strictly; return ``(encoding, text)``.

    Characters are never replaced: bytes that are neither valid UTF-8 nor defined in Windows-1252 raise
    :class:`SourceError` with the line and byte offset of the first bad byte.

    Examples
    --------
    >>> detect_encoding("Café".encode("cp1252"))[0]
    'cp1252'
    >>> detect_encoding("\\ufeffCafé".encode("utf-8"))
    ('utf-8-sig', 'Café')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise SourceError(
            f"{name}: the file is UTF-16 (or holds NUL bytes); save it again as CSV UTF-8 (Excel: 'CSV UTF-8')."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return "utf-8-sig", data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _encoding_error(data, exc.start + 3, name) from None
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(f"{name}: the file is UTF-16; save it again as CSV UTF-8 (Excel: 'CSV UTF-8').")
    try:
        return "cp1252", data.decode("cp1252")
    except UnicodeDecodeError:
        bad = next(i for i, b in enumerate(data) if b in _CP1252_UNDEFINED)
        raise _encoding_error(data, bad, name) from None


def _encoding_error(data: bytes, offset: int, name: str) -> SourceError:
    line = data.count(b"\n", 0, offset) + 1
    return SourceError(
        f"{name}, line {line} (byte {offset}): the text is neither UTF-8 nor Windows-1252 "
        f"(byte 0x{data[offset]:02X}). Save the file again as CSV UTF-8."
    )


def _sniff_delimiter(lines: list[str]) -> str:
    """The candidate delimiter that splits the first lines most consistently (ties: comma)."""
    sample = "\n".join(lines[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) if lines else 0 for d in _DELIMITERS}
        best = max(counts, key=lambda d: (counts[d], d == ","))
        return best if counts[best] else ","


def _find_header(rows: list[list[str]], expected: Collection[str], name: str) -> int:
    """Index of the row that holds the most expected column names (the first non-empty row if none are expected).

    Raises :class:`SourceError` when no row in the first lines names any expected column: the file has no
    header, and its first row (data, perhaps personal) must not be taken for one or printed as one.
    """
    wanted = {e.strip().casefold() for e in expected}
    if wanted:
        scores = [len(wanted & {c.strip().casefold() for c in row}) for row in rows]
        if scores and max(scores) > 0:
            return int(np.argmax(scores))
        raise SourceError(
            f"{name}: no header row naming the spec's columns in the first {_HEADER_SEARCH_ROWS} lines "
            f"(expected names such as {', '.join(sorted(expected)[:5])}). Export the file with its header row, "
            "or fix the column mapping in the pipeline spec."
        )
    return next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), 0)


def _unique_names(names: list[str]) -> tuple[list[str], list[str]]:
    """Header names made unique (a repeat of ``x`` becomes ``x.1``), and the names that were repeated."""
    out, seen, repeated = [], {}, []
    for raw in names:
        name = raw.strip() or "unnamed"
        if name in seen:
            seen[name] += 1
            repeated.append(name)
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out, sorted(set(repeated))


def read_csv_source(path: str | Path, *, expected: Collection[str] = ()) -> SourceTable:
    """Read a delimited text file as text, quarantining malformed lines with their line numbers.

    The encoding (UTF-8, UTF-8 with BOM or Windows-1252) and the delimiter (``,`` ``;`` tab ``|``) are
    detected and recorded. Title lines above the header are skipped when ``expected`` names the columns.
    Parsing is Arrow's CSV reader (single-threaded, so record numbers are exact); rows with the wrong number
    of fields or a quote left open come back in the quarantine, never dropped by the parser.
    """
    path = Path(path)
    name = path.name
    data = _read_bytes(path)
    encoding, text = detect_encoding(data, str(path))
    head_lines = text[:65536].splitlines()
    delimiter = _sniff_delimiter([ln for ln in head_lines if ln.strip()] or [""])

    header_row, header_line = _csv_header(text, delimiter, expected, str(path))
    header, repeated = _unique_names(header_row)
    skip_lines = header_line - 1 + _record_span(header_row)
    raw = data[3:] if encoding == "utf-8-sig" else data
    body = _after_lines(raw, skip_lines) if encoding != "cp1252" else _after_lines(text.encode("utf-8"), skip_lines)
    first_body_line = skip_lines + 1
    try:
        table, bad = _parse_body(body, header, delimiter, threads=True)
        if bad:  # record numbers are exact only when parsing in one thread
            table, bad = _parse_body(body, header, delimiter, threads=False)
    except pa.ArrowInvalid as exc:
        raise SourceError(f"{path}: cannot parse it as delimited text ({exc}).") from None

    spans, is_bad = _record_spans(table, bad)
    starts = first_body_line + np.concatenate([[0], np.cumsum(spans)[:-1]])
    good_lines, bad_lines = starts[~is_bad], starts[is_bad]

    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype() if t == pa.string() else None)
    frame = frame.astype(object) if frame.empty else frame
    empty = _blank_rows(frame)
    # Arrow-backed text, not Python objects: millions of small str objects fragment the heap
    ids = (name + ":" + pd.Series(good_lines, index=frame.index).astype("string")).astype("str")
    frame.insert(0, "source_file", name)
    frame.insert(1, ROW_ID, ids)

    quarantine = _csv_quarantine(name, frame, bad, bad_lines, good_lines, spans[~is_bad], body, empty)
    frame = frame.loc[~empty].reset_index(drop=True)
    info = {
        "format": "csv",
        "encoding": encoding,
        "delimiter": {"\t": "tab"}.get(delimiter, delimiter),
        "header_line": header_line,
        "title_lines_skipped": header_line - 1,
        "columns": header,
        "repeated_columns": repeated,
    }
    return SourceTable(frame, pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS), info)


def _read_bytes(path: Path) -> bytes:
    """A delimited file's bytes, with classic Mac line ends made LF; an unreadable or empty file is an error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the file ({exc.strerror}).") from None
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise SourceError(f"{path}: the file is empty. Export it again with its header row.")
    if b"\r" in data and b"\n" not in data:  # classic Mac line ends (Excel's "CSV (Macintosh)")
        data = data.replace(b"\r", b"\n")
    return data


def _csv_header(text: str, delimiter: str, expected: Collection[str], name: str) -> tuple[list[str], int]:
    """The header row, found below any title lines, and the physical line where it starts.

    The first lines are parsed with the csv module (a quoted cell may run over lines).
    """
    first_rows, row_lines = [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line_before = 0
    for row in reader:
        first_rows.append(row)
        row_lines.append(line_before + 1)
        line_before = reader.line_num
        if len(first_rows) >= _HEADER_SEARCH_ROWS:
            break
    header_index = _find_header(first_rows, expected, name)
    return first_rows[header_index], row_lines[header_index]


def _record_spans(table: pa.Table, bad: list[tuple[int, str, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Physical lines of every record, good and bad interleaved by record number, and which records are bad."""
    n_good, n_bad = table.num_rows, len(bad)
    spans = np.ones(n_good + n_bad, dtype=np.int64)
    bad_numbers = np.array([b[0] - 1 for b in bad], dtype=np.int64)  # 0-based record index in the body
    is_bad = np.zeros(n_good + n_bad, dtype=bool)
    is_bad[bad_numbers] = True
    spans[bad_numbers] = [b[1].count("\n") + 1 for b in bad]
    if n_good:
        newlines = np.zeros(n_good, dtype=np.int64)
        for column in table.columns:
            newlines += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False).astype(np.int64)
        spans[~is_bad] += newlines
    return spans, is_bad


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Whether each row of the parsed text is blank in every column."""
    empty = np.zeros(len(frame), dtype=bool)
    if len(frame):
        maybe = frame.iloc[:, 0].str.strip().eq("").to_numpy()  # only rows blank in the first column can be empty
        if maybe.any():
            empty[maybe] = frame.loc[maybe].apply(lambda s: s.str.strip().eq("")).all(axis=1).to_numpy()
    return empty


def _csv_quarantine(
    name: str,
    frame: pd.DataFrame,
    bad: list[tuple[int, str, int, int]],
    bad_lines: np.ndarray,
    good_lines: np.ndarray,
    good_spans: np.ndarray,
    body: bytes,
    empty: np.ndarray,
) -> list[tuple[str, ...]]:
    """Quarantine entries: lines Arrow could not split, a quote never closed, and empty rows.

    ``empty`` is updated in place: a last record swallowed by an unclosed quote is dropped from the rows too.
    """
    quarantine = []
    for (_number, raw, expected_n, actual_n), line in zip(bad, bad_lines, strict=True):
        if not raw.strip():
            quarantine.append(
                ("read", name, f"{name}:{line}", "(line)", "empty_row", f"Line {line}: the row has no values.")
            )
        elif raw.count('"') % 2 == 1:
            quarantine.append(
                ("read", name, f"{name}:{line}", "(line)", "broken_quotes", _open_quote_message(line, raw))
            )
        else:
            message = f"Line {line}: {actual_n} fields where the header has {expected_n}."
            quarantine.append(("read", name, f"{name}:{line}", "(line)", "wrong_field_count", message))
    # A quote opened in the last record and never closed runs to the end of the file, and Arrow accepts that
    # as a complete field. An odd number of quote characters outside the rows already rejected gives it away.
    if len(frame) and (body.count(b'"') - sum(b[1].count('"') for b in bad)) % 2 == 1:
        last = len(frame) - 1
        row_id, line = frame.loc[last, ROW_ID], int(good_lines[last])
        swallowed = "\n" * int(good_spans[last] - 1)
        quarantine.append(("read", name, row_id, "(line)", "broken_quotes", _open_quote_message(line, swallowed)))
        empty[last] = True  # drop it from the accepted rows
    for row_id in frame.loc[empty & ~frame[ROW_ID].isin([q[2] for q in quarantine]).to_numpy(), ROW_ID]:
        line = row_id.rsplit(":", 1)[1]
        quarantine.append(("read", name, row_id, "(line)", "empty_row", f"Line {line}: the row has no values."))
    return quarantine


def _open_quote_message(line: int, raw: str) -> str:
    after = raw.count("\n")
    return (
        f"Line {line}: a quote is opened and never closed, so the rest of the line"
        + (f" and {after} line(s) after it" if after else "")
        + " could not be split into fields."
    )


def _after_lines(data: bytes, lines: int) -> bytes:
    """``data`` after its first ``lines`` newline-terminated lines."""
    offset = 0
    for _ in range(lines):
        offset = data.find(b"\n", offset) + 1
        if offset == 0:
            return b""
    return data[offset:]


def _parse_body(
    body: bytes, header: list[str], delimiter: str, *, threads: bool
) -> tuple[pa.Table, list[tuple[int, str, int, int]]]:
    """Parse the rows under the header with Arrow; rows Arrow cannot split are returned, not dropped."""
    bad: list[tuple[int, str, int, int]] = []

    def on_invalid(row: Any) -> str:
        bad.append((row.number, row.text, row.expected_columns, row.actual_columns))
        return "skip"

    if not body.strip():  # a header and no rows
        return pa.table({c: pa.array([], pa.string()) for c in header}), bad
    table = pacsv.read_csv(
        io.BytesIO(body),
        read_options=pacsv.ReadOptions(column_names=header, use_threads=threads, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header}, strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    )
    return table, bad


def _record_span(row: list[str]) -> int:
    """Physical lines a parsed record occupied (1 + newlines inside its fields)."""
    return 1 + sum(cell.count("\n") for cell in row)


# ----------------------------------------------------------------------------------------------- Excel


def _cell_text(value: Any) -> str:
    """Text of an Excel cell value: dates as ISO, whole floats without ``.0``, blanks as ``""``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def read_excel_source(path: str | Path, *, expected: Collection[str] = (), sheet: str | None = None) -> SourceTable:
    """Read one sheet of an ``.xlsx`` workbook as text (openpyxl).

    Title rows above the header are found by matching ``expected``; merged cells take their top-left value
    in every cell they cover; dates become ISO text; formulas whose result Excel never saved (no cached
    value) are quarantined with the cell reference, since their value is unknown.
    """
    path = Path(path)
    name = path.name
    values_book, formula_book = _open_workbooks(path)
    sheets = values_book.sheetnames
    if sheet is None:
        sheet = sheets[0]
    elif sheet not in sheets:
        raise SourceError(f"{path}: no sheet {sheet!r}.{suggest(sheet, sheets)} Sheets: {', '.join(sheets)}.")
    ws = values_book[sheet]
    grid = _sheet_grid(ws)
    if not any(any(cell.strip() for cell in row) for row in grid):
        raise SourceError(f"{path}, sheet {sheet!r}: the sheet is empty.")
    uncached = _uncached_formulas(formula_book[sheet], grid)
    formula_book.close()

    header_index = _find_header(grid[:_HEADER_SEARCH_ROWS], expected, f"{path}, sheet {sheet!r}")
    header, repeated = _unique_names(grid[header_index])
    width = len(header)
    body = grid[header_index + 1 :]
    row_numbers = np.arange(header_index + 2, header_index + 2 + len(body))
    records = [(row + [""] * width)[:width] for row in body]
    frame = (
        pd.DataFrame(records, columns=header, dtype=object) if records else pd.DataFrame(columns=header, dtype=object)
    )
    frame.insert(0, "source_file", name)
    frame.insert(1, ROW_ID, pd.array([f"{name}!{sheet}:{n}" for n in row_numbers], dtype="str"))

    empty = frame[header].apply(lambda s: s.astype(str).str.strip().eq("")).all(axis=1).to_numpy() if width else []
    # trailing empty rows are padding Excel keeps, not records: drop them without quarantine
    last_data = np.flatnonzero(~np.asarray(empty, dtype=bool))
    end = int(last_data[-1]) + 1 if len(last_data) else 0
    frame, empty = frame.iloc[:end], np.asarray(empty[:end], dtype=bool)
    quarantine = _uncached_entries(uncached, header, header_index, end, expected, name, sheet)
    for row_id in frame.loc[empty, ROW_ID]:
        quarantine.append(
            ("read", name, row_id, "(row)", "empty_row", f"Row {row_id.rsplit(':', 1)[1]} has no values.")
        )
    bad_ids = {q[2] for q in quarantine}
    frame = frame[~frame[ROW_ID].isin(bad_ids)].reset_index(drop=True)
    info = {
        "format": "xlsx",
        "sheet": sheet,
        "sheets": sheets,
        "header_row": header_index + 1,
        "title_rows_skipped": header_index,
        "merged_ranges": len(ws.merged_cells.ranges),
        "uncached_formulas": len(uncached),
        "columns": header,
        "repeated_columns": repeated,
    }
    return SourceTable(frame, pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS), info)


def _open_workbooks(path: Path) -> tuple[Any, Any]:
    """The workbook twice: with the values Excel last computed, and (read-only) with its formulas."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        values_book = openpyxl.load_workbook(path, data_only=True)
        formula_book = openpyxl.load_workbook(path, data_only=False, read_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise SourceError(f"{path}: cannot open it as an Excel workbook ({exc}).") from None
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise SourceError(f"{path}: cannot open it as an Excel workbook ({type(exc).__name__}: {exc}).") from None
    return values_book, formula_book


def _sheet_grid(ws: Any) -> list[list[str]]:
    """A sheet's cells as text, row by row; a merged range takes its top-left value in every cell."""
    grid = [[_cell_text(c) for c in row] for row in ws.iter_rows(values_only=True)]
    for merged in ws.merged_cells.ranges:
        top_left = grid[merged.min_row - 1][merged.min_col - 1] if merged.min_row - 1 < len(grid) else ""
        for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
            for c in range(merged.min_col - 1, merged.max_col):
                if c < len(grid[r]):
                    grid[r][c] = top_left
    return grid


def _uncached_formulas(formula_sheet: Any, grid: list[list[str]]) -> set[tuple[int, int]]:
    """0-based (row, column) of the formulas whose result was never saved (blank in ``grid``)."""
    uncached: set[tuple[int, int]] = set()
    for r, row in enumerate(formula_sheet.iter_rows()):
        for c, cell in enumerate(row):
            if getattr(cell, "data_type", None) == "f" and r < len(grid) and c < len(grid[r]) and grid[r][c] == "":
                uncached.add((r, c))
    return uncached


def _uncached_entries(
    uncached: set[tuple[int, int]],
    header: list[str],
    header_index: int,
    end: int,
    expected: Collection[str],
    name: str,
    sheet: str,
) -> list[tuple[str, ...]]:
    """Quarantine entries for the uncached formulas in records (the first ``end`` rows under the header).

    A formula in a column the spec does not read changes nothing and is left out.
    """
    from openpyxl.utils import get_column_letter

    quarantine = []
    width = len(header)
    mapped = {e.strip().casefold() for e in expected}
    for r, c in sorted(uncached):
        if r <= header_index or r - header_index - 1 >= end:
            continue
        if mapped and (c >= width or header[c].strip().casefold() not in mapped):
            continue  # a formula in a column the spec does not read changes nothing
        cell = f"{get_column_letter(c + 1)}{r + 1}"
        row_id = f"{name}!{sheet}:{r + 1}"
        column = header[c] if c < width else cell
        quarantine.append(
            (
                "read",
                name,
                row_id,
                column,
                "uncached_formula",
                f"Cell {cell} holds a formula whose result was never saved; open the workbook in Excel, "
                "recalculate and save it, or paste values.",
            )
        )
    return quarantine


# ----------------------------------------------------------------------------------------------- Parquet


def read_parquet_source(path: str | Path) -> SourceTable:
    """Read a Parquet file; every column becomes text (missing values as ``""``)."""
    path = Path(path)
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise SourceError(f"{path}: cannot read it as Parquet ({type(exc).__name__}: {exc}).") from None
    frame = pd.DataFrame(index=table.index)
    for column in table.columns:
        series = table[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            text = series.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(series):
            whole = series.notna() & (series % 1 == 0)
            text = series.astype(str).astype(object)
            text[whole] = series[whole].astype("int64").astype(str)
        else:
            text = series.astype(str)
        frame[str(column)] = text.where(series.notna(), "").astype(object)
    frame = frame.reset_index(drop=True)
    frame.insert(0, "source_file", path.name)
    frame.insert(1, ROW_ID, pd.array([f"{path.name}#{i}" for i in range(1, len(frame) + 1)], dtype="str"))
    info = {"format": "parquet", "columns": [str(c) for c in table.columns]}
    return SourceTable(frame, pd.DataFrame(columns=QUARANTINE_COLUMNS), info)


# ----------------------------------------------------------------------------------------------- mapping


def map_columns(
    frame: pd.DataFrame,
    columns: dict[str, str],
    *,
    required: Collection[str],
    file: str,
    repeated: Collection[str] = (),
    values: Mapping[str, str] | None = None,
    copies: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Rename source columns to standard fields and keep only those (plus the row ids).

    Column names match exactly, or else ignoring case and surrounding spaces. Optional fields whose column
    is absent become blank. Each field gets its own copy of its column, so two fields reading one column (which
    the spec refuses) could not leave one of them blank. Then the fields with a constant (``values``) are set,
    and the copies (``copies``) take their field's text as read: validation checks them by their own rules.

    Parameters
    ----------
    frame : pandas.DataFrame
        As returned by a reader.
    columns : mapping
        Standard field -> source column name.
    required : collection of str
        Standard fields whose source column must exist.
    file : str
        File name for messages.
    repeated : collection of str
        Header names that occur more than once in the file (see ``SourceTable.info["repeated_columns"]``): a
        mapped column among them is ambiguous.
    values : mapping, optional
        Standard field -> the constant it holds in every row (``value:`` in the spec).
    copies : mapping, optional
        Standard field -> the field (of ``columns`` or ``values``) whose text it takes (``copy_of:``).

    Raises
    ------
    SourceError
        Naming the file and each missing column, with the nearest existing column names.
    """
    present = [c for c in frame.columns if c not in ("source_file", ROW_ID)]
    folded = {c.strip().casefold(): c for c in present}
    resolved = {f: (col if col in present else folded.get(col.strip().casefold())) for f, col in columns.items()}
    missing = [(f, columns[f]) for f, actual in resolved.items() if actual is None and f in required]
    if missing:
        details = ", ".join(
            f"{col!r}"
            + (f" for field {f!r}" if f != col else "")
            + (f" ({hint.strip()})" if (hint := suggest(col, present)) else "")
            for f, col in missing
        )
        raise SourceError(
            f"{file}: missing required column{'s' if len(missing) > 1 else ''} {details}. "
            f"Columns found: {', '.join(present)}. Fix the column mapping in the pipeline spec or the file's header."
        )
    ambiguous = sorted({actual for actual in resolved.values() if actual in set(repeated)})
    if ambiguous:
        raise SourceError(
            f"{file}: column{'s' if len(ambiguous) > 1 else ''} {', '.join(repr(a) for a in ambiguous)} "
            "is repeated in the header and the spec maps it; rename one copy so it is clear which holds the data."
        )
    out = frame[["source_file", ROW_ID]].copy()
    for f, actual in resolved.items():
        out[f] = frame[actual] if actual is not None else ""
    for f, constant in (values or {}).items():
        out[f] = constant
    for f, other in (copies or {}).items():
        out[f] = out[other]
    return out
