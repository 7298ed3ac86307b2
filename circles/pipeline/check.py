"""``circles check SPEC``: the spec, and a sample of every source file read and checked as a run would, writing nothing.

:func:`check_spec` loads the spec (every spec error with its line, as :func:`~circles.pipeline.spec.load_spec`
reports them), then reads each source file with the pipeline's own reader and column mapping
(:func:`circles.pipeline.stages.ingest.read_file`) and validates its first rows with the pipeline's own rules
(:func:`circles.ingest.validate.validate_records`, :func:`~circles.ingest.validate.flag_duplicates`), so a check
and a run agree. It reports, per file, the header line, the rows sampled, and the rows that would be quarantined
by field and reason, with counts and the first few row numbers: never a value, since the files hold personal data.

A *problem* is what stops a run or makes it meaningless: a file that cannot be read, a header without a mapped
required column, or a check that every sampled row fails (a wrong column, a column mapped twice, a date format
that does not fit). Rows failing here and there are reported but are not problems: a run quarantines them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from circles.errors import SourceError
from circles.ingest.accounting import QUARANTINE_COLUMNS, ROW_ID
from circles.ingest.validate import flag_duplicates, validate_records
from circles.pipeline.spec import PipelineSpec, load_spec
from circles.pipeline.stages.ingest import read_file
from circles.validation import suggest

__all__ = ["SAMPLE_ROWS", "Failure", "FileCheck", "SpecCheck", "check_spec"]

#: Rows of each file validated by :func:`check_spec` (the whole file is read, to find its header and count it).
SAMPLE_ROWS = 1000
_FIRST_ROWS = 5


@dataclass(frozen=True)
class Failure:
    """Sampled rows failing one check: the field, where its value comes from, the reason, how many rows, which.

    ``first_rows`` are row numbers in the file (CSV lines, Excel rows, Parquet row positions), never values.
    """

    field: str
    origin: str
    reason: str
    rows: int
    first_rows: tuple[str, ...]


@dataclass(frozen=True)
class FileCheck:
    """One source file: read, mapped and its first rows validated."""

    source: str
    path: Path
    header_line: int | None = None
    rows_read: int = 0
    rows_sampled: int = 0
    rows_quarantined: int = 0
    failures: tuple[Failure, ...] = ()
    unreadable: tuple[Failure, ...] = ()
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpecCheck:
    """What :func:`check_spec` found: the spec is valid (else it raised); each file's sample, notes and problems."""

    spec_path: Path
    files: tuple[FileCheck, ...]
    sample: int = SAMPLE_ROWS
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def problems(self) -> list[str]:
        """Every problem, each naming its file: what would stop a run or make its counts meaningless."""
        return [f"{f.source}, {f.path.name}: {p}" for f in self.files for p in f.problems]

    @property
    def ok(self) -> bool:
        """``True`` when no file has a problem (rows that would be quarantined here and there are not problems)."""
        return not self.problems

    def format(self) -> str:
        """The report ``circles check`` prints: per file, its sample and failures; then the problems."""
        out = [
            f"{self.spec_path}: the spec is valid. {len(self.files)} file(s) checked, "
            f"the first {self.sample:,} rows of each validated as a run would (nothing written)."
        ]
        out += [f"  note: {n}" for n in self.notes]
        for checked in self.files:
            out += ["", *_format_file(checked)]
        problems = self.problems
        out.append("")
        if problems:
            out.append(f"{len(problems)} problem(s):")
            out += [f"  {p}" for p in problems]
        elif any(f.failures for f in self.files):
            out.append("OK: every file can be read and mapped; a run would quarantine the rows listed above.")
        else:
            out.append("OK: every file can be read and mapped, and every sampled row passes.")
        return "\n".join(out)


def check_spec(path: str | Path, *, sample: int = SAMPLE_ROWS, today: dt.date | None = None) -> SpecCheck:
    """Check a pipeline spec and a sample of every source file, as a run would read them, without running it.

    Parameters
    ----------
    path : path-like
        The YAML spec.
    sample : int, default 1000
        Rows of each file validated (the whole file is read, so its header and row count are its own).
    today : datetime.date, optional
        Reference date for future dates (default: the spec's ``ingest.reference_date``, else today).

    Returns
    -------
    SpecCheck
        ``ok``, ``problems`` and ``format()`` (the text ``circles check`` prints).

    Raises
    ------
    SpecError
        If the spec itself is invalid: every problem with its key and line, as ``circles run`` reports them.
    """
    spec = load_spec(path)
    today = today or spec.ingest.reference_date or dt.date.today()
    files, notes = [], []
    generated = spec.resolve(spec.synthetic.folder) if spec.synthetic else None
    for name, source in spec.sources.items():
        paths = [p for p in spec.source_files(source) if p.exists()]
        if not paths and generated is not None and generated in spec.resolve(source.files).parents:
            notes.append(f"source {name!r}: its files are generated by the 'synthetic:' section when the run starts")
        files += [_check_file(spec, name, p, sample, today) for p in paths]
    return SpecCheck(spec_path=Path(path), files=tuple(files), sample=sample, notes=tuple(notes))


def _check_file(spec: PipelineSpec, source_name: str, path: Path, sample: int, today: dt.date) -> FileCheck:
    """Read one file as the read stage does and validate its first ``sample`` rows as the validate stage does."""
    columns = spec.sources[source_name].column_specs()
    try:
        mapped, unreadable, entry = read_file(spec, source_name, path)
    except SourceError as error:
        return FileCheck(source_name, path, problems=(_without_path(str(error), path),))
    part = mapped.head(sample)
    result = validate_records(part.drop(columns="source"), columns, today=today)
    kept, duplicates, _ = flag_duplicates(result.records, spec.ingest.duplicate_key, drop=True)
    quarantine = pd.concat([result.quarantine, duplicates], ignore_index=True)
    failures = _failures(quarantine, columns, path)
    problems = [
        f"every sampled row fails {f.reason} on {f.field!r} ({f.origin}): check the column mapping and its rules"
        for f in failures
        if f.rows == len(part) and f.reason != "duplicate"
    ]
    return FileCheck(
        source=source_name,
        path=path,
        header_line=entry.get("header_line", entry.get("header_row")),
        rows_read=int(entry["rows"]),
        rows_sampled=len(part),
        rows_quarantined=int(quarantine[ROW_ID].nunique()),
        failures=tuple(failures),
        unreadable=tuple(_failures(unreadable.reindex(columns=QUARANTINE_COLUMNS), columns, path)),
        notes=tuple(_absent_optional(columns, entry.get("columns", [])))
        + (("a header and no rows",) if part.empty else ()),
        problems=tuple(problems),
    )


def _failures(quarantine: pd.DataFrame, columns: dict, path: Path) -> list[Failure]:
    """Quarantine entries counted by field and reason, with the first row numbers (messages, with values, dropped)."""
    out = []
    for (name, reason), group in quarantine.groupby(["field", "reason"], sort=True, dropna=False):
        rows = group[ROW_ID].drop_duplicates()
        col = columns.get(name)
        origin = col.origin() if col is not None else "several fields" if "," in str(name) else "the row"
        if col is not None and col.copy_of in columns:
            origin += f", {columns[col.copy_of].origin()}"
        first = tuple(_row_number(str(r), path) for r in rows.head(_FIRST_ROWS))
        out.append(Failure(str(name), origin, str(reason), len(rows), first))
    return out


def _row_number(row_id: str, path: Path) -> str:
    """``police.csv:14`` -> ``14``; ``book.xlsx!Sheet1:7`` -> ``7``; ``file.parquet#3`` -> ``3``."""
    return row_id.removeprefix(path.name).rsplit(":", 1)[-1].lstrip("#!")


def _absent_optional(columns: dict, found: list[str]) -> list[str]:
    """Notes on optional fields whose column is not in the file (a run leaves them blank), with the nearest name."""
    folded = {c.strip().casefold() for c in found}
    return [
        f"optional field {name!r}: column {col.column!r} is not in the file, so the field is blank."
        f"{suggest(col.column, found)}"
        for name, col in columns.items()
        if col.column is not None and not col.required and col.column.strip().casefold() not in folded
    ]


def _without_path(message: str, path: Path) -> str:
    """A reader's message without the file's full path, which the report already names."""
    return message.removeprefix(f"{path}: ").removeprefix(f"{path.name}: ")


def _rows(failure: Failure, unit: str) -> str:
    """``3 rows (lines 5, 6, 9)``, ``1 row (line 5)``, ``40 rows (lines 2, 3, 4, 5, 6, ...)``."""
    more = ", ..." if failure.rows > len(failure.first_rows) else ""
    unit = unit if len(failure.first_rows) > 1 else unit[:-1]
    plural = "s" if failure.rows != 1 else ""
    return f"{failure.rows:,} row{plural} ({unit} {', '.join(failure.first_rows)}{more})"


def _format_file(checked: FileCheck) -> list[str]:
    """The lines of one file in :meth:`SpecCheck.format`."""
    lines_or_rows = "lines" if checked.path.suffix.lower() in (".csv", ".txt", ".tsv") else "rows"
    out = [f"{checked.source}: {checked.path.name}"]
    if checked.problems and not checked.rows_read:
        return [*out, "  cannot be read and mapped: see the problems below"]
    header = f"header on {lines_or_rows[:-1]} {checked.header_line}; " if checked.header_line is not None else ""
    out.append(
        f"  {header}{checked.rows_read:,} rows, {checked.rows_sampled:,} sampled; "
        f"{checked.rows_quarantined:,} of the sampled rows would be quarantined"
    )
    for f in checked.failures:
        out.append(f"    {f.field} ({f.origin}): {f.reason}, {_rows(f, lines_or_rows)}")
    for f in checked.unreadable:
        out.append(f"  unreadable (whole file): {f.reason}, {_rows(f, lines_or_rows)}")
    out += [f"  note: {n}" for n in checked.notes]
    return out
