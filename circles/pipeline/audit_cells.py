"""The cells of the tables an audit reads (:mod:`circles.pipeline.audit`): numbers, count columns, column letters."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["COUNT_COLUMNS", "column_letter", "as_number", "count_columns", "plain"]

#: Column names (compared case-insensitively) that always hold counts. Columns ending in ``_count`` and
#: columns with a ``<name>_suppressed`` companion are count columns too.
COUNT_COLUMNS = frozenset({"records", "people", "count", "n", "families", "clients", "cases"})


def as_number(value: Any) -> float | None:
    """A cell as a number, or ``None`` (blank, ``*``, text, booleans, NaN)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
    return number if math.isfinite(number) else None


def count_columns(names: list[str]) -> set[int]:
    """Positions of count columns among ``names``."""
    folded = [str(name).strip().casefold() for name in names]
    present = set(folded)
    return {
        i
        for i, name in enumerate(folded)
        if name and (name in COUNT_COLUMNS or name.endswith("_count") or f"{name}_suppressed" in present)
    }


def plain(number: float) -> str:
    """A number as a count is written: ``3`` for 3.0."""
    return str(int(number)) if number.is_integer() else str(number)


def column_letter(index: int) -> str:
    """A spreadsheet's column letters for a 0-based column: 0 -> ``A``, 27 -> ``AB``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
