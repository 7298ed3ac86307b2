"""What a column's values say: matches by values, counts and categories, and the checks the pipeline will make.

No value of an identifying column is kept: a :class:`ColumnProfile` counts, and a :class:`Problem` shows a value's
shape at most. Postcodes are checked with :func:`circles.geo.postcodes.normalise_postcodes`, NHS numbers with
:func:`circles.ingest.validate.normalise_nhs_numbers` (modulus 11).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from circles.ingest.inspect.dates import DateSniff, sniff_date_formats
from circles.ingest.inspect.fields import STANDARD_FIELDS, FieldMatch, normalise_header
from circles.ingest.inspect.text import _DATE_IN_TEXT, _POSTCODE_IN_TEXT, _fmt, _shape
from circles.ingest.validate import PLACEHOLDERS, normalise_nhs_numbers

__all__ = ["ColumnProfile", "PostcodeCheck", "Problem"]

_VALUES_CUTOFF = 0.8

# Header words that say an unmatched column identifies people or holds free text (its values are never shown) ...
_IDENTIFYING_WORDS = frozenset(
    "name names forename forenames surname firstname lastname middlename initials address addr street road flat "
    "dob birth born email mail phone telephone tel mobile nhs nino uprn mrn postcode id ref reference number no num "
    "keyworker worker caseworker officer practitioner staff clinician allocated author notes note comments comment "
    "narrative details".split()
)
# ... unless the name is of a service, team or place rather than a person.
_NAMED_THINGS = frozenset(
    "service team provider organisation organization agency project programme practice school ward area site "
    "venue location group scheme".split()
)
_RISKY_VALUE = r"\d{6,}|@|[\r\n]|" + _POSTCODE_IN_TEXT.pattern + "|" + _DATE_IN_TEXT.pattern


@dataclass(frozen=True)
class ColumnProfile:
    """Counts for one column of the sample.

    ``identifying`` columns (a standard field that identifies people, or a header or values that look like it)
    are described by these counts only; ``hidden`` says why a column's values are not listed (``None`` when
    they are).
    """

    column: str
    field: str | None
    non_blank: int
    blank: int
    distinct: int
    placeholders: int = 0
    identifying: bool = False
    hidden: str | None = None

    def describe(self) -> str:
        """Counts in words: ``"998 distinct, 2 blank"``."""
        text = f"{self.distinct:,} distinct, {self.blank:,} blank"
        if self.placeholders:
            text += f", {self.placeholders:,} placeholder{'s' if self.placeholders > 1 else ''} (NULL, UNKNOWN ...)"
        return text


@dataclass(frozen=True)
class PostcodeCheck:
    """How many postcodes in the sample are valid UK postcodes (BS 7666 pattern), blank or not postcodes."""

    column: str
    checked: int
    invalid_rows: tuple[int, ...]
    blank_rows: tuple[int, ...]

    @property
    def invalid(self) -> int:
        return len(self.invalid_rows)

    @property
    def blank(self) -> int:
        return len(self.blank_rows)


@dataclass(frozen=True)
class Problem:
    """A row of the sample that could not be read or parsed: row as in the file, column, reason code, message.

    Messages never hold an identifying value: at most the value's shape (letters as ``A``, digits as ``9``).
    """

    row: int
    column: str
    reason: str
    message: str


def _values_fit(name: str, values: pd.Series) -> bool:
    """Whether a column's values bear out a fuzzy header match: dates for date fields, postcodes for postcode."""
    kind = STANDARD_FIELDS[name].type
    filled = values[values.ne("")]
    if kind not in ("date", "postcode", "nhs_number") or filled.empty:
        return True
    if kind == "date":
        return sniff_date_formats(filled).share_parsed >= 0.5
    if kind == "postcode":
        return float(_valid_postcodes(filled).mean()) >= 0.5
    return float(normalise_nhs_numbers(filled)[1].mean()) >= 0.5


def _valid_postcodes(values: pd.Series) -> pd.Series:
    # imported here: circles.geo imports the readers, which import circles.ingest
    from circles.geo.postcodes import normalise_postcodes

    return normalise_postcodes(values)["valid"]


def _match_by_values(
    mapping: dict[str, FieldMatch], columns: Sequence[str], text: Mapping[str, pd.Series]
) -> dict[str, FieldMatch]:
    """Find a postcode or NHS number column no header matched by its values (most of them valid)."""
    taken = {m.column for m in mapping.values()}
    found = dict(mapping)
    checks = {
        "postcode": ("UK postcodes", lambda v: _valid_postcodes(v)),
        "nhs_number": ("NHS numbers", lambda v: normalise_nhs_numbers(v)[1]),
    }
    for name, (what, valid) in checks.items():
        if name in found:
            continue
        shares = {}
        for column in columns:
            filled = text[column][text[column].ne("")]
            if column not in taken and len(filled):
                shares[column] = float(valid(filled).mean())
        best = max(shares, key=lambda c: shares[c], default=None)
        if best is not None and shares[best] >= _VALUES_CUTOFF:
            found[name] = FieldMatch(name, best, "values", round(shares[best], 3), what)
            taken.add(best)
    return {name: found[name] for name in STANDARD_FIELDS if name in found}


def _hint_identifying(column: str) -> bool:
    """Whether an unmatched column's header suggests it identifies people (a name, an id, contact details)."""
    words = set(normalise_header(column).split())
    if words & {"name", "names"} and words & _NAMED_THINGS:
        return False  # the name of a service, team or place
    return bool(words & _IDENTIFYING_WORDS)


def _profile(
    column: str, name: str | None, values: pd.Series, *, dated: bool, max_categories: int = 20
) -> tuple[ColumnProfile, tuple[tuple[str, int], ...] | None]:
    """Counts for a column, and its values with counts when it is a low-cardinality column safe to list."""
    std = STANDARD_FIELDS[name] if name else None
    blank = values.eq("")
    placeholders = 0
    if std is not None and std.privacy == "pseudonymise":
        is_placeholder = values.str.upper().isin(PLACEHOLDERS) & ~blank
        placeholders = int(is_placeholder.sum())
        blank_or_placeholder = blank | is_placeholder
    else:
        blank_or_placeholder = blank
    filled = values[~blank_or_placeholder]
    counts = filled.value_counts(sort=False)
    hidden: str | None = None
    if std is not None and std.identifying:
        hidden = f"{std.name} identifies people"
    elif std is None and column.startswith("unnamed"):
        hidden = "the column has no name: what it holds is unknown"
    elif std is None and _hint_identifying(column):
        hidden = "the header suggests it identifies people or holds free text"
    elif not dated and filled.str.contains(_RISKY_VALUE, regex=True).any():
        hidden = "some values look like ids, dates, postcodes or contact details"
    identifying = hidden is not None
    if not identifying:
        hidden = (
            "dates"
            if dated
            else "no values"
            if filled.empty
            else f"more than {max_categories} distinct values"
            if len(counts) > max_categories
            else "most values occur once (free text or identifiers?)"
            if len(filled) < 2 * len(counts)
            else None
        )
    profile = ColumnProfile(
        column=column,
        field=name,
        non_blank=int(len(filled)),
        blank=int(blank.sum()),
        distinct=int(len(counts)),
        placeholders=placeholders,
        identifying=identifying,
        hidden=hidden,
    )
    if hidden is not None:
        return profile, None
    ordered = sorted(((str(v), int(n)) for v, n in counts.items()), key=lambda vn: (-vn[1], vn[0]))
    return profile, tuple(ordered)


def _profile_columns(
    columns: Sequence[str], field_of: Mapping[str, str], text: Mapping[str, pd.Series], dates: Mapping[str, DateSniff]
) -> tuple[dict[str, ColumnProfile], dict[str, tuple[tuple[str, int], ...]]]:
    """Counts for every column, and the values with counts of the columns safe to list, by column."""
    profiles: dict[str, ColumnProfile] = {}
    categories: dict[str, tuple[tuple[str, int], ...]] = {}
    for column in columns:
        profile, listed = _profile(column, field_of.get(column), text[column], dated=column in dates)
        profiles[column] = profile
        if listed:
            categories[column] = listed
    return profiles, categories


def _check_values(
    mapping: Mapping[str, FieldMatch], dates: Mapping[str, DateSniff], text: Mapping[str, pd.Series], rows: np.ndarray
) -> tuple[PostcodeCheck | None, list[Problem]]:
    """The postcode check, and the rows the pipeline would quarantine for a mapped field's value, by check.

    Dates of mapped date fields that no suggested format parses, invalid or blank postcodes, invalid NHS numbers,
    and blank or placeholder client ids.
    """
    mapped = {m.column for m in mapping.values()}
    problems: list[Problem] = []
    for column, sniff in dates.items():
        if column in mapped:
            where = pd.Series(text[column].to_numpy(), index=rows)
            formats = " or ".join(_fmt(f) for f in sniff.suggested) or "any known format"
            problems += [
                Problem(r, column, "invalid_date", f"not a date in {formats} (shape {_shape(where[r])})")
                for r in sniff.unparsed_rows
            ]
    postcodes = None
    if "postcode" in mapping:
        postcodes, found = _check_postcodes(mapping["postcode"].column, text[mapping["postcode"].column], rows)
        problems += found
    if "nhs_number" in mapping:
        problems += _check_nhs_numbers(mapping["nhs_number"].column, text[mapping["nhs_number"].column], rows)
    if "client_id" in mapping:
        problems += _check_blank_ids(mapping["client_id"].column, text[mapping["client_id"].column], rows)
    return postcodes, problems


def _check_postcodes(column: str, values: pd.Series, rows: np.ndarray) -> tuple[PostcodeCheck, list[Problem]]:
    # imported here: circles.geo imports the readers, which import circles.ingest
    from circles.geo.postcodes import normalise_postcodes

    result = normalise_postcodes(values)
    blank = result["blank"].to_numpy(dtype=bool)
    invalid = ~blank & ~result["valid"].to_numpy(dtype=bool)
    problems = [
        Problem(int(r), column, "invalid_postcode", f"not a valid UK postcode (shape {_shape(v)})")
        for r, v in zip(rows[invalid], values[invalid], strict=True)
    ] + [Problem(int(r), column, "missing_value", "blank postcode: the row will be quarantined") for r in rows[blank]]
    check = PostcodeCheck(
        column=column,
        checked=int((~blank).sum()),
        invalid_rows=tuple(int(r) for r in rows[invalid]),
        blank_rows=tuple(int(r) for r in rows[blank]),
    )
    return check, problems


def _check_nhs_numbers(column: str, values: pd.Series, rows: np.ndarray) -> list[Problem]:
    _, valid = normalise_nhs_numbers(values)
    bad = values.ne("").to_numpy(dtype=bool) & ~valid.to_numpy(dtype=bool)
    return [
        Problem(int(r), column, "invalid_nhs_number", f"not ten digits with a valid check digit (shape {_shape(v)})")
        for r, v in zip(rows[bad], values[bad], strict=True)
    ]


def _check_blank_ids(column: str, values: pd.Series, rows: np.ndarray) -> list[Problem]:
    blank = (values.eq("") | values.str.upper().isin(PLACEHOLDERS)).to_numpy(dtype=bool)
    message = "blank or a placeholder (NULL, UNKNOWN ...): the row will be quarantined"
    return [Problem(int(r), column, "missing_value", message) for r in rows[blank]]
