"""Validate text records against the spec's column rules and convert them to typed values.

Validation runs through a :class:`pandera.pandas.DataFrameSchema` built from the spec, lazily, so every
failure in every row is collected in one pass; the quarantine is built from pandera's failure cases (no
row is dropped by pandera itself). Each check is named ``"<reason>:<field>"`` so a failure case maps to a
quarantine entry with a reason code:

==================  =====================================================================================
reason              meaning
==================  =====================================================================================
missing_value       a required field is blank (for identifiers, also a placeholder such as NULL or UNKNOWN); the
                    message names the source column and file, and says when the column is blank in every row
invalid_date        not a date in any accepted format (including impossible dates such as 31/02/2010)
future_date         a date after the run's reference date
date_order          dates out of order (birth after referral, start before referral, end before start)
invalid_integer     not a whole number (``"1e3"``, ``"12.5"``, ``"twelve"``)
negative_value      a negative number where only zero or more make sense (ages, counts)
not_allowed         not one of the values the spec allows
invalid_nhs_number  not ten digits, or the modulus 11 check digit fails
invalid_age         (``type: age_years``) not an age in whole years (``"abc"``, ``"45.5"``)
age_out_of_range    (``type: age_years``) below 0 or over 120
age_outside_bands   (``type: age_years``) an age in none of the field's ``allowed`` bands (bands that overlap are
                    a spec error, so no age is in two)
too_long            longer than the field's ``max_length``
duplicate           same person, service and dates as an earlier row (when the spec drops duplicates)
==================  =====================================================================================

The parsers (dates, whole numbers, NHS numbers, ages and bands) are in :mod:`circles.ingest.parse`, and
importable from here too.

Values shown in messages are masked for fields that identify people, and for ages (only the band is kept).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa

from circles.ingest.accounting import QUARANTINE_COLUMNS, ROW_ID
from circles.ingest.parse import (
    DEFAULT_DATE_FORMATS,
    MAX_AGE,
    age_bands,
    band_ages,
    normalise_nhs_numbers,
    parse_ages,
    parse_dates,
    parse_integers,
)

if TYPE_CHECKING:  # the spec's models; the pipeline imports ingest, not the other way round
    from circles.pipeline.sources import ColumnSpec

__all__ = [
    "DEFAULT_DATE_FORMATS",
    "PLACEHOLDERS",
    "DATE_ORDER",
    "Validated",
    "parse_dates",
    "parse_integers",
    "parse_ages",
    "age_bands",
    "band_ages",
    "normalise_nhs_numbers",
    "build_schema",
    "validate_records",
    "flag_duplicates",
]

#: Standard date fields that must not run backwards, earliest first.
DATE_ORDER = ("date_of_birth", "referral_date", "start_date", "end_date")

#: Values that mean "no identifier" in agency extracts. For a field to be pseudonymised they count as blank:
#: hashing them would link unrelated people under one pseudonym.
PLACEHOLDERS = frozenset({"NULL", "NONE", "N/A", "NA", "UNKNOWN", "NOT KNOWN", "NK", "-", "0", "?"})


@dataclass(frozen=True)
class Validated:
    """Result of :func:`validate_records`.

    Attributes
    ----------
    records : pandas.DataFrame
        Rows that passed, with typed values: dates as ``datetime64``, integers as ``Int64``, NHS numbers as
        ten-digit text, categories in the spec's spelling; blanks as missing values.
    quarantine : pandas.DataFrame
        One entry per failed check (a row may have several).
    failures : dict
        Number of failed checks per reason.
    """

    records: pd.DataFrame
    quarantine: pd.DataFrame
    failures: dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ schema


@dataclass(frozen=True)
class _Parsed:
    """Each field parsed once: stripped text, blank mask, and typed values, aligned with the frame's rows."""

    text: dict[str, pd.Series]
    blank: dict[str, np.ndarray]
    dates: dict[str, pd.Series]
    integers: dict[str, pd.Series]
    nhs: dict[str, tuple[pd.Series, pd.Series]]
    ages: dict[str, tuple[pd.Series, pd.Series]] = field(default_factory=dict)


def _parse(frame: pd.DataFrame, columns: Mapping[str, ColumnSpec]) -> _Parsed:
    text, blank, dates, integers, nhs, ages = {}, {}, {}, {}, {}, {}
    for name, col in columns.items():
        text[name] = frame[name].astype("string").fillna("").str.strip()
        if col.privacy == "pseudonymise":
            text[name] = text[name].where(~text[name].str.upper().isin(PLACEHOLDERS), "")
        blank[name] = text[name].eq("").to_numpy(dtype=bool)
        if col.type == "date":
            dates[name] = parse_dates(text[name], col.date_formats or DEFAULT_DATE_FORMATS)
        elif col.type == "integer":
            integers[name] = parse_integers(text[name])
        elif col.type == "nhs_number":
            nhs[name] = normalise_nhs_numbers(frame[name])
        elif col.type == "age_years":
            years = parse_ages(text[name])
            ages[name] = (years, band_ages(years.where(years.between(0, MAX_AGE)), age_bands(col.allowed or [])))
    return _Parsed(text, blank, dates, integers, nhs, ages)


def build_schema(columns: Mapping[str, ColumnSpec], parsed: _Parsed, *, today: dt.date) -> pa.DataFrameSchema:
    """The pandera schema for one source: one named check per rule, each giving a boolean per row.

    The checks read the values :func:`_parse` computed once for the frame being validated.
    """
    checks: list[pa.Check] = []

    def add(reason: str, name: str, ok: np.ndarray) -> None:
        checks.append(pa.Check(lambda d, ok=ok: pd.Series(ok, index=d.index), name=f"{reason}:{name}"))

    limit = np.datetime64(today, "ns")
    for name, col in columns.items():
        blank = parsed.blank[name]
        if col.required:
            add("missing_value", name, ~blank)
        add("too_long", name, (parsed.text[name].str.len() <= col.max_length).to_numpy(dtype=bool))
        if col.type == "date":
            values = parsed.dates[name].to_numpy()
            known = ~np.isnat(values)
            add("invalid_date", name, blank | known)
            add("future_date", name, ~(known & (values > limit)))
        elif col.type == "integer":
            values = parsed.integers[name]
            add("invalid_integer", name, blank | values.notna().to_numpy(dtype=bool))
            if col.minimum is not None:
                below = (values < col.minimum).fillna(False).to_numpy(dtype=bool)
                add("negative_value" if col.minimum == 0 else "below_minimum", name, ~below)
        elif col.type == "nhs_number":
            add("invalid_nhs_number", name, blank | parsed.nhs[name][1].to_numpy(dtype=bool))
        elif col.type == "age_years":
            years, bands = parsed.ages[name]
            known = years.notna().to_numpy(dtype=bool)
            inside = years.between(0, MAX_AGE).fillna(False).to_numpy(dtype=bool)
            add("invalid_age", name, blank | known)
            add("age_out_of_range", name, ~known | inside)
            add("age_outside_bands", name, ~inside | bands.notna().to_numpy(dtype=bool))
        if col.allowed and col.type != "age_years":
            allowed = {a.lower() for a in col.allowed}
            add("not_allowed", name, blank | parsed.text[name].str.lower().isin(allowed).to_numpy(dtype=bool))
    present = [f for f in DATE_ORDER if f in parsed.dates]
    for earlier, later in zip(present, present[1:], strict=False):
        before = (parsed.dates[later] < parsed.dates[earlier]).to_numpy(dtype=bool)  # NaT compares False
        add("date_order", f"{later}<{earlier}", ~before)
    return pa.DataFrameSchema(checks=checks, strict=False, coerce=False, name="circles records")


# ------------------------------------------------------------------------------------------ messages


def _shown(values: pd.Series, col: ColumnSpec) -> pd.Series:
    """Values safe to show in a quarantine message.

    Identifying fields (and NHS numbers and postcodes) are shown by shape only. Other fields are shown as typed
    when short and plain; a value that spans lines, runs long, or holds a long digit run or something
    postcode-shaped may be a misplaced identifier (a wrong column mapping, a broken quote) and is shown by shape.
    """
    text = values.astype("string").fillna("")
    shape = (
        "masked, shape '"
        + text.str.slice(0, 16)
        .str.replace(r"[A-Za-z]", "A", regex=True)
        .str.replace(r"\d", "9", regex=True)
        .str.replace(r"\s", " ", regex=True)
        + "'"
    )
    if col.privacy != "keep" or col.type in ("nhs_number", "postcode", "age_years"):
        return shape
    risky = (
        text.str.len().gt(40)
        | text.str.contains(r"[\r\n]", regex=True)
        | text.str.contains(r"\d{6,}", regex=True)
        | text.str.contains(r"[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}", regex=True)
    ).fillna(True)
    return ("'" + text + "'").where(~risky, shape)


def _formats(col: ColumnSpec) -> str:
    return ", ".join(
        f.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy")
        for f in (col.date_formats or DEFAULT_DATE_FORMATS)
    )


def _allowed(col: ColumnSpec) -> str:
    text = ", ".join(col.allowed or [])
    return text if len(text) <= 120 else text[:117] + "…"


def _origin(name: str, columns: Mapping[str, ColumnSpec]) -> str:
    """Where a field's value came from: ``column 'Incident date'``, ``copy of 'referral_date', column '...'``."""
    col = columns[name]
    if col.copy_of is not None and col.copy_of in columns:
        return f"{col.origin()}, {columns[col.copy_of].origin()}"
    return col.origin()


def _blank_message(name: str, columns: Mapping[str, ColumnSpec], rows: pd.DataFrame, empty: set[str]) -> pd.Series:
    """``Required field 'f' (column 'C' in file.csv) is blank.``, saying so when it is blank in every row of a file.

    A column blank in every row of a file is almost always the wrong column (or a column mapped twice): the
    message sends the analyst to the source column, not to the standard field.
    """
    files = rows["source_file"].astype("string")
    tail = pd.Series(
        np.where(files.isin(empty), " in every row of the file: check the column mapping.", "."),
        index=rows.index,
        dtype="string",
    )
    return f"Required field {name!r} ({_origin(name, columns)} in " + files + ") is blank" + tail


def _describe(
    reason: str,
    name: str,
    rows: pd.DataFrame,
    columns: Mapping[str, ColumnSpec],
    today: dt.date,
    empty: set[str] | None = None,
) -> pd.Series:
    """Readable messages for the rows failing one check (vectorised; values masked where personal).

    ``empty`` names the files in which the field is blank in every row (for ``missing_value``).
    """
    if reason == "date_order":
        later, earlier = name.split("<")
        return pd.Series(f"Field {later!r} is before {earlier!r}.", index=rows.index, dtype="string")
    col = columns[name]
    shown = _shown(rows[name], col)
    length = rows[name].astype("string").fillna("").str.len().astype(str)
    f = repr(name)
    builders = {
        "missing_value": lambda: _blank_message(name, columns, rows, empty or set()),
        "too_long": lambda: f"Field {f} is longer than {col.max_length} characters (" + length + " characters).",
        "invalid_date": lambda: f"Field {f} is not a date in the accepted formats ({_formats(col)}): " + shown + ".",
        "future_date": lambda: f"Field {f} is after the reference date {today.isoformat()}: " + shown + ".",
        "invalid_integer": lambda: f"Field {f} is not a whole number: " + shown + ".",
        "negative_value": lambda: f"Field {f} is negative: " + shown + ".",
        "below_minimum": lambda: f"Field {f} is below the minimum {col.minimum}: " + shown + ".",
        "invalid_nhs_number": lambda: (
            f"Field {f} is not a valid NHS number (ten digits with a modulus 11 check digit): " + shown + "."
        ),
        "not_allowed": lambda: f"Field {f} holds " + shown + f", which is not one of: {_allowed(col)}.",
        "invalid_age": lambda: f"Field {f} ({col.origin()}) is not an age in whole years: " + shown + ".",
        "age_out_of_range": lambda: f"Field {f} ({col.origin()}) is not an age from 0 to {MAX_AGE}: " + shown + ".",
        "age_outside_bands": lambda: f"Field {f} ({col.origin()}): the age is in none of the bands {_allowed(col)}.",
    }
    message = builders[reason]()
    return message if isinstance(message, pd.Series) else pd.Series(message, index=rows.index, dtype="string")


# ------------------------------------------------------------------------------------------ validate


def validate_records(
    frame: pd.DataFrame,
    columns: Mapping[str, ColumnSpec],
    *,
    today: dt.date | None = None,
    stage: str = "validate",
) -> Validated:
    """Check every row against the column rules; return typed accepted rows and the quarantine.

    Parameters
    ----------
    frame : pandas.DataFrame
        Text records with ``source_file``, ``source_row`` and one column per standard field.
    columns : mapping of str to ColumnSpec
        The rules, from the pipeline spec.
    today : datetime.date, optional
        Reference date for ``future_date`` (default: today).
    """
    today = today or dt.date.today()
    parsed = _parse(frame, columns)
    schema = build_schema(columns, parsed, today=today)
    quarantine = pd.DataFrame(columns=QUARANTINE_COLUMNS)
    failures: dict[str, int] = {}
    try:
        # The checks read values parsed once by _parse; pandera sees only row numbers, so its failure cases
        # name rows without copying any personal value.
        schema.validate(pd.DataFrame({"row": np.arange(len(frame))}, index=frame.index), lazy=True)
        bad_index = pd.Index([])
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["index"].notna()].drop_duplicates(["index", "check"])
        entries = []
        for check, group in cases.groupby("check", sort=True):
            reason, name = str(check).split(":", 1)
            rows = frame.loc[group["index"].astype(frame.index.dtype).to_numpy()]
            field = name.split("<")[0]
            empty = _empty_files(frame, rows) if reason == "missing_value" else None
            message = _describe(reason, name, rows, columns, today, empty)
            entries.append(
                pd.DataFrame(
                    {
                        "stage": stage,
                        "file": rows["source_file"].to_numpy(),
                        ROW_ID: rows[ROW_ID].to_numpy(),
                        "field": field,
                        "reason": reason,
                        "message": message.to_numpy(),
                    }
                )
            )
            failures[reason] = failures.get(reason, 0) + len(rows)
        quarantine = pd.concat(entries, ignore_index=True)[QUARANTINE_COLUMNS]
        quarantine = quarantine.sort_values([ROW_ID, "field", "reason"], kind="stable", ignore_index=True)
        bad_index = frame.index[frame[ROW_ID].isin(quarantine[ROW_ID])]

    keep = ~frame.index.isin(bad_index)
    # every field is replaced by its typed values below: only the other columns (file, row id) are taken from the
    # frame, each field once, from its typed values
    order = list(frame.columns)
    others = [c for c in order if c not in columns]
    records = frame.loc[keep, others] if not keep.all() else frame[others]

    def kept(values: pd.Series) -> pd.Series:
        return values if keep.all() else values.loc[keep]

    for name, col in columns.items():
        if col.type == "date":
            records[name] = kept(parsed.dates[name])
        elif col.type == "integer":
            records[name] = kept(parsed.integers[name])
        elif col.type == "nhs_number":
            records[name] = kept(parsed.nhs[name][0])
        elif col.type == "age_years":  # the band only: the exact age identifies, and goes no further
            records[name] = kept(parsed.ages[name][1])
        else:
            text = kept(parsed.text[name])
            if col.allowed:
                canonical = {a.lower(): a for a in col.allowed}
                text = _on_distinct(text, lambda t, c=canonical: t.str.lower().map(c).astype("string"))
            records[name] = text.where(text.ne(""), pd.NA)
    return Validated(records=records[order].reset_index(drop=True), quarantine=quarantine, failures=failures)


def _on_distinct(values: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``func`` (text to text, value by value) applied to each distinct value once and taken to every row.

    For fields of few values over many rows (categories, sexes): the same result as ``func(values)`` for a fraction
    of the work. (Not for identifiers: with a distinct value every few rows, the extra factorising costs more than
    it saves.) Missing values stay missing.
    """
    codes, uniques = pd.factorize(values)
    done = func(pd.Series(uniques, dtype=values.dtype)).array.take(codes, allow_fill=True)
    return pd.Series(done, index=values.index, name=values.name)


def _empty_files(frame: pd.DataFrame, failing: pd.DataFrame) -> set[str]:
    """The files all of whose rows in ``frame`` are among the ``failing`` rows of one check."""
    counts = failing["source_file"].value_counts()
    totals = frame["source_file"].value_counts()
    return {str(f) for f, n in counts.items() if totals.get(f) == n}


def flag_duplicates(
    records: pd.DataFrame, key: Sequence[str], *, drop: bool, stage: str = "validate"
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Flag records repeating an earlier one on ``key`` (compared ignoring case and surrounding spaces).

    Returns ``(records, quarantine, n_duplicates)``. Every record gets a boolean ``duplicate`` column; with
    ``drop=True`` the repeats are moved to the quarantine (reason ``duplicate``, naming the first row), so the
    count of people and contacts is not inflated and nothing is lost.

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"source_file": "a", "source_row": ["a:2", "a:3", "a:4"],
    ...                      "client_id": ["C1", "c1 ", "C2"], "service": ["GP", "GP", "GP"]})
    >>> kept, quarantined, n = flag_duplicates(recs, ["client_id", "service"], drop=True)
    >>> kept["source_row"].tolist(), quarantined["message"].tolist(), n
    (['a:2', 'a:4'], ['Same person, service and dates as a:2.'], 1)
    """
    present = [k for k in key if k in records.columns]
    if not present or records.empty:
        out = records.assign(duplicate=False)
        return out, pd.DataFrame(columns=QUARANTINE_COLUMNS), 0
    # each key as integer codes: text compared ignoring case and surrounding spaces, dates as dates
    normal = pd.DataFrame(
        {
            k: pd.factorize(
                records[k]
                if pd.api.types.is_datetime64_any_dtype(records[k])
                else records[k].astype("string").str.strip().str.lower()
            )[0]
            for k in present
        },
        index=records.index,
    )
    repeat = normal.duplicated(keep="first").to_numpy()
    out = records.assign(duplicate=repeat)
    n = int(repeat.sum())
    if not drop or n == 0:
        return out, pd.DataFrame(columns=QUARANTINE_COLUMNS), n
    involved = normal.duplicated(keep=False).to_numpy()  # only rows in a repeated group need their first row
    first_row = (
        records.loc[involved, ROW_ID]
        .groupby([normal.loc[involved, k] for k in present], sort=False, dropna=False)
        .transform("first")
    )[repeat[involved]]
    dup = out[repeat]
    quarantine = pd.DataFrame(
        {
            "stage": stage,
            "file": dup["source_file"].to_numpy(),
            ROW_ID: dup[ROW_ID].to_numpy(),
            "field": ",".join(present),
            "reason": "duplicate",
            "message": ("Same person, service and dates as " + first_row.astype(str) + ".").to_numpy(),
        },
        columns=QUARANTINE_COLUMNS,
    )
    return out[~repeat].reset_index(drop=True), quarantine, n
