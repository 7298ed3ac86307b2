"""Validate text records against the spec's column rules and convert them to typed values.

Validation runs through a :class:`pandera.pandas.DataFrameSchema` built from the spec, lazily, so every
failure in every row is collected in one pass; the quarantine is built from pandera's failure cases (no
row is dropped by pandera itself). Each check is named ``"<reason>:<field>"`` so a failure case maps to a
quarantine entry with a reason code:

==================  =====================================================================================
reason              meaning
==================  =====================================================================================
missing_value       a required field is blank (for identifiers, also a placeholder such as NULL or UNKNOWN)
invalid_date        not a date in any accepted format (including impossible dates such as 31/02/2010)
future_date         a date after the run's reference date
date_order          dates out of order (birth after referral, start before referral, end before start)
invalid_integer     not a whole number (``"1e3"``, ``"12.5"``, ``"twelve"``)
negative_value      a negative number where only zero or more make sense (ages, counts)
not_allowed         not one of the values the spec allows
invalid_nhs_number  not ten digits, or the modulus 11 check digit fails
too_long            longer than the field's ``max_length``
duplicate           same person, service and dates as an earlier row (when the spec drops duplicates)
==================  =====================================================================================

Values shown in messages are masked for fields that identify people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa

from circles.ingest.accounting import QUARANTINE_COLUMNS, ROW_ID

if TYPE_CHECKING:  # the spec's models; the pipeline imports ingest, not the other way round
    from circles.pipeline.spec import ColumnSpec

__all__ = [
    "DEFAULT_DATE_FORMATS",
    "PLACEHOLDERS",
    "DATE_ORDER",
    "Validated",
    "parse_dates",
    "parse_integers",
    "normalise_nhs_numbers",
    "build_schema",
    "validate_records",
    "flag_duplicates",
]

#: Accepted date layouts when a column gives none: UK day first, ISO, and Excel serial day numbers.
DEFAULT_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "excel")
#: Standard date fields that must not run backwards, earliest first.
DATE_ORDER = ("date_of_birth", "referral_date", "start_date", "end_date")

#: Values that mean "no identifier" in agency extracts. For a field to be pseudonymised they count as blank:
#: hashing them would link unrelated people under one pseudonym.
PLACEHOLDERS = frozenset({"NULL", "NONE", "N/A", "NA", "UNKNOWN", "NOT KNOWN", "NK", "-", "0", "?"})
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EARLIEST = pd.Timestamp("1900-01-01")


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


# ------------------------------------------------------------------------------------------ parsers


def parse_dates(values: pd.Series, formats: Sequence[str] = DEFAULT_DATE_FORMATS) -> pd.Series:
    """Parse text dates, trying each format in turn per value (vectorised); blanks and failures are ``NaT``.

    ``"excel"`` accepts Excel serial day numbers (1900 date system, 1 to 2958465) as whole numbers. Values may
    carry a time of day after the date (``"2010-04-01 10:30:00"``), which is dropped: circles works in days.
    Impossible dates (31/02/2010) fail rather than roll over. Each distinct text is parsed once: extracts repeat
    dates a lot.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_dates(pd.Series(["01/04/2010", "2010-04-02", "40271", "31/02/2010", ""])).dt.strftime("%Y-%m-%d").tolist()
    ['2010-04-01', '2010-04-02', '2010-04-03', nan, nan]
    """
    codes, uniques = pd.factorize(values.astype("string").fillna("").str.strip())
    text = pd.Series(uniques, dtype="string")
    if text.str.contains(":", regex=False).any():  # a date with a time of day (Excel date-times): keep the date
        text = text.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", regex=True)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & text.ne("")
        if not todo.any():
            break
        if fmt == "excel":
            serial = pd.to_numeric(text[todo].where(text[todo].str.fullmatch(r"\d{1,7}")), errors="coerce")
            serial = serial.where(serial.between(1, 2958465))
            found = _EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
        else:
            found = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        parsed[todo] = found.astype("datetime64[ns]")
    parsed = parsed.where(parsed >= _EARLIEST)
    out = parsed.to_numpy()[codes]
    out[codes < 0] = np.datetime64("NaT")
    return pd.Series(out, index=values.index, dtype="datetime64[ns]")


def parse_integers(values: pd.Series) -> pd.Series:
    """Parse whole numbers written as digits (optional sign); anything else is ``<NA>``.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_integers(pd.Series(["42", " -3 ", "1e3", "12.5", ""])).tolist()
    [42, -3, <NA>, <NA>, <NA>]
    """
    text = values.astype("string").fillna("").str.strip()
    ok = text.str.fullmatch(r"[+-]?\d{1,15}").fillna(False).astype(bool)
    return pd.to_numeric(text.where(ok), errors="coerce").astype("Int64")


def normalise_nhs_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalise NHS numbers to ten digits and validate the modulus 11 check digit (vectorised).

    Spaces and dashes are removed (``"943 476 5919"`` -> ``"9434765919"``). The check digit is
    ``11 - (sum of the first nine digits weighted 10..2) mod 11``; 11 means 0 and 10 means the number is invalid
    (NHS Data Dictionary, NHS Number).

    Returns
    -------
    (normalised, valid)
        ``normalised`` holds the ten digits where valid and ``<NA>`` elsewhere; ``valid`` is ``False`` for
        blanks too (test blanks separately).

    Examples
    --------
    >>> import pandas as pd
    >>> digits, ok = normalise_nhs_numbers(pd.Series(["943 476 5919", "943-476-5918", "9.43E+09", ""]))
    >>> digits.tolist(), ok.tolist()
    (['9434765919', <NA>, <NA>, <NA>], [True, False, False, False])
    """
    codes, uniques = pd.factorize(values.astype("string").fillna(""))
    text = pd.Series(uniques, dtype="string").str.replace(r"[\s\-]", "", regex=True)
    shaped = text.str.fullmatch(r"\d{10}").fillna(False).astype(bool).to_numpy()
    valid = np.zeros(len(text), dtype=bool)
    if shaped.any():
        digits = np.frombuffer("".join(text[shaped].tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - 48
        total = digits[:, :9].astype(np.int64) @ np.arange(10, 1, -1)
        check = 11 - total % 11
        check[check == 11] = 0
        valid[shaped] = (check != 10) & (check == digits[:, 9])
    normal = text.where(valid, pd.NA).to_numpy()
    valid_rows = np.where(codes >= 0, valid[codes], False)
    normal_rows = np.where(codes >= 0, normal[codes], pd.NA)
    return (pd.Series(normal_rows, index=values.index, dtype="string"), pd.Series(valid_rows, index=values.index))


# ------------------------------------------------------------------------------------------ schema


@dataclass(frozen=True)
class _Parsed:
    """Each field parsed once: stripped text, blank mask, and typed values, aligned with the frame's rows."""

    text: dict[str, pd.Series]
    blank: dict[str, np.ndarray]
    dates: dict[str, pd.Series]
    integers: dict[str, pd.Series]
    nhs: dict[str, tuple[pd.Series, pd.Series]]


def _parse(frame: pd.DataFrame, columns: Mapping[str, ColumnSpec]) -> _Parsed:
    text, blank, dates, integers, nhs = {}, {}, {}, {}, {}
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
    return _Parsed(text, blank, dates, integers, nhs)


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
        if col.allowed:
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
    if col.privacy != "keep" or col.type in ("nhs_number", "postcode"):
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


def _describe(reason: str, name: str, rows: pd.DataFrame, col: ColumnSpec | None, today: dt.date) -> pd.Series:
    """Readable messages for the rows failing one check (vectorised; values masked where personal)."""
    if reason == "date_order":
        later, earlier = name.split("<")
        return pd.Series(f"Field {later!r} is before {earlier!r}.", index=rows.index, dtype="string")
    assert col is not None
    shown = _shown(rows[name], col)
    length = rows[name].astype("string").fillna("").str.len().astype(str)
    f = repr(name)
    builders = {
        "missing_value": lambda: f"Required field {f} is blank.",
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
            message = _describe(reason, name, rows, columns.get(name), today)
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
    records = frame.loc[keep].copy() if not keep.all() else frame.copy()

    def kept(values: pd.Series) -> pd.Series:
        return values if keep.all() else values.loc[keep]

    for name, col in columns.items():
        if col.type == "date":
            records[name] = kept(parsed.dates[name])
        elif col.type == "integer":
            records[name] = kept(parsed.integers[name])
        elif col.type == "nhs_number":
            records[name] = kept(parsed.nhs[name][0])
        else:
            text = kept(parsed.text[name])
            if col.allowed:
                canonical = {a.lower(): a for a in col.allowed}
                text = text.str.lower().map(canonical).astype("string")
            records[name] = text.where(text.ne(""), pd.NA)
    return Validated(records=records.reset_index(drop=True), quarantine=quarantine, failures=failures)


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
