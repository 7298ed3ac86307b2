"""Sniffing the date formats of a column: which layouts parse its values, and the formats to put in a spec.

UK extracts write dates day first; :func:`sniff_date_formats` prefers day-first and ISO layouts, notes values that
read both ways and tells a month-first (US) extract from a day-first one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from circles.ingest.inspect.fields import STANDARD_FIELDS, normalise_header
from circles.ingest.inspect.text import _fmt, _rows
from circles.ingest.validate import parse_dates

__all__ = ["SNIFFED_DATE_FORMATS", "DateSniff", "sniff_date_formats"]

#: Date layouts tried on date columns, in order of preference when two parse the same values: UK day first and
#: ISO first; ``"%m/%d/%Y"`` (US month first) only to detect a month-first extract; ``excel`` serial day numbers.
SNIFFED_DATE_FORMATS: tuple[str, ...] = (
    "%d/%m/%Y",
    "%Y-%m-%d",
    "excel",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y%m%d",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%m/%d/%Y",
)
_DAY_FIRST, _MONTH_FIRST = "%d/%m/%Y", "%m/%d/%Y"
_DATE_WORDS = frozenset({"date", "dob", "dt", "when", "day"})


@dataclass(frozen=True)
class DateSniff:
    """The date formats that parse a column's sample.

    Attributes
    ----------
    column : str
    values : int
        Non-blank values in the sample.
    parsed : tuple of (format, count)
        Every format that parses at least one value, most values first.
    suggested : tuple of str
        The fewest formats, in order, that together parse the most values (for the spec's ``date_formats``).
    unparsed_rows : tuple of int
        Rows (as in the file) whose value no suggested format parses.
    ambiguous : int
        Values that parse both day first and month first to different dates (``03/04/2024``).
    order : {"day_first", "month_first", "mixed"} or None
        What the ``dd/mm`` vs ``mm/dd`` values say: only day-first readings fit, only month-first ones, both
        kinds occur, or no value has that layout.
    """

    column: str
    values: int
    parsed: tuple[tuple[str, int], ...]
    suggested: tuple[str, ...]
    unparsed_rows: tuple[int, ...]
    ambiguous: int
    order: Literal["day_first", "month_first", "mixed"] | None

    @property
    def unparsed(self) -> int:
        return len(self.unparsed_rows)

    @property
    def share_parsed(self) -> float:
        return 1.0 - self.unparsed / self.values if self.values else 0.0

    def notes(self) -> list[str]:
        """What a spec writer should know, in words (no value is quoted)."""
        out = []
        if self.parsed:
            out.append("formats in the sample: " + ", ".join(f"{_fmt(f)} {n:,}" for f, n in self.parsed))
        if self.order == "month_first":
            out.append("values such as 04/25/2024 read only month first: the system writes US dates (mm/dd/yyyy)")
        elif self.order == "mixed":
            out.append("both day-first and month-first values occur: ask the agency which the system writes")
        if self.ambiguous and self.order != "month_first":
            out.append(
                f"{self.ambiguous:,} value(s) with day and month both 12 or less (03/04/2024 could be 3 April or "
                "4 March) are read day first, as UK extracts are"
            )
        if self.unparsed:
            out.append(
                f"{self.unparsed:,} of {self.values:,} dates did not parse: {_rows(self.unparsed_rows)}"
                if self.suggested
                else f"none of the {self.values:,} values is a date in a known format"
            )
        return out


def sniff_date_formats(
    values: Iterable[str], rows: Sequence[int] | None = None, *, excel: bool = True, column: str = ""
) -> DateSniff:
    """Which of :data:`SNIFFED_DATE_FORMATS` parse the values, how many each, and the formats to suggest.

    Each format is tried on its own with :func:`circles.ingest.validate.parse_dates` (so a format parses here
    exactly what the pipeline will parse with it). The suggestion is the fewest formats that parse the most
    values, preferring day-first and ISO layouts on a tie: a value like ``03/04/2024`` parses both day first and
    month first, and UK extracts are day first.

    Parameters
    ----------
    values : iterable of str
        The column's text; blanks are skipped.
    rows : sequence of int, optional
        The row number of each value, as in the file (default: 1, 2, ...).
    excel : bool
        Try Excel serial day numbers (whole numbers from 1 to 2958465: any integer column would parse).
    column : str
        The column's name, kept in the result.

    Examples
    --------
    >>> sniff = sniff_date_formats(["03/04/2024", "25/12/2023", "45383", "2024-13-01", ""])
    >>> sniff.parsed
    (('%d/%m/%Y', 2), ('excel', 1), ('%m/%d/%Y', 1))
    >>> sniff.suggested, sniff.ambiguous, sniff.order, sniff.unparsed_rows
    (('%d/%m/%Y', 'excel'), 1, 'day_first', (4,))
    """
    text = pd.Series(list(values), dtype="string").fillna("").str.strip()
    row_numbers = np.asarray(rows if rows is not None else np.arange(1, len(text) + 1), dtype=np.int64)
    filled = text.ne("").to_numpy(dtype=bool)
    formats = [f for f in SNIFFED_DATE_FORMATS if excel or f != "excel"]
    parsed = {f: parse_dates(text, [f]) for f in formats}
    ok = {f: parsed[f].notna().to_numpy(dtype=bool) for f in formats}
    counts = sorted(
        ((f, int(ok[f].sum())) for f in formats if ok[f].any()), key=lambda fc: (-fc[1], formats.index(fc[0]))
    )
    remaining, suggested = filled.copy(), []
    while remaining.any():
        gain = {f: int((ok[f] & remaining).sum()) for f in formats if f not in suggested}
        best = max(gain, key=lambda f: (gain[f], -formats.index(f)), default=None)
        if best is None or gain[best] == 0:
            break
        suggested.append(best)
        remaining &= ~ok[best]
    day, month = ok[_DAY_FIRST], ok[_MONTH_FIRST]
    ambiguous = int((day & month & (parsed[_DAY_FIRST] != parsed[_MONTH_FIRST]).to_numpy(dtype=bool)).sum())
    only_day, only_month = bool((day & ~month).any()), bool((month & ~day).any())
    order: Literal["day_first", "month_first", "mixed"] | None = (
        "mixed" if only_day and only_month else "month_first" if only_month else "day_first" if day.any() else None
    )
    return DateSniff(
        column=column,
        values=int(filled.sum()),
        parsed=tuple(counts),
        suggested=tuple(suggested),
        unparsed_rows=tuple(int(r) for r in row_numbers[remaining]),
        ambiguous=ambiguous,
        order=order,
    )


def _date_column(column: str, values: pd.Series, rows: np.ndarray) -> DateSniff | None:
    """The date formats of an unmatched column when it holds dates (Excel serials only when its header says so)."""
    if not values.str.contains(r"\d", regex=True).any():
        return None  # no digit, no date (month names come with a day and a year)
    words = set(normalise_header(column).split())
    sniff = sniff_date_formats(values, rows, excel=bool(words & _DATE_WORDS), column=column)
    return sniff if sniff.values and sniff.share_parsed >= 0.8 else None


def _sniff_columns(
    columns: Sequence[str], field_of: Mapping[str, str], text: Mapping[str, pd.Series], rows: np.ndarray
) -> dict[str, DateSniff]:
    """Date formats of the columns mapped to date fields and of the unmatched columns that hold dates, by column."""
    dates: dict[str, DateSniff] = {}
    for column in columns:
        name = field_of.get(column)
        if name is not None and STANDARD_FIELDS[name].type == "date":
            dates[column] = sniff_date_formats(text[column], rows, column=column)
        elif name is None:
            dated = _date_column(column, text[column], rows)
            if dated is not None:
                dates[column] = dated
    return dates
