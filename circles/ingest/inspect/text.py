"""Text for the inspection's comments and messages: value shapes, quoting, date formats and rows in words, YAML.

Nothing here prints a value of a column that identifies people: :func:`_shape` gives a value's shape instead, and
:data:`_POSTCODE_IN_TEXT` and :data:`_DATE_IN_TEXT` find the values that look identifying.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

__all__: list[str] = []  # helpers of the other modules of circles.ingest.inspect

_MAX_LISTED_ROWS = 10
_POSTCODE_IN_TEXT = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_DATE_IN_TEXT = re.compile(r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}")


def _shape(value: object) -> str:
    """A value's shape, never the value: letters as ``A``, digits as ``9`` (at most 16 characters)."""
    text = re.sub(r"\d", "9", re.sub(r"[^\W\d_]", "A", str(value)[:16]))
    return _q(re.sub(r"\s", " ", text) + ("…" if len(str(value)) > 16 else ""))


def _fmt(fmt: str) -> str:
    """A date format in words people read: ``%d/%m/%Y`` -> ``dd/mm/yyyy``."""
    if fmt == "excel":
        return "excel"
    for code, shown in (("%d", "dd"), ("%m", "mm"), ("%Y", "yyyy"), ("%y", "yy"), ("%b", "mon")):
        fmt = fmt.replace(code, shown)
    return fmt


def _rows(rows: Sequence[int]) -> str:
    """``rows 17, 40, 88`` (the first ten, then how many more)."""
    shown = ", ".join(f"{r:,}" for r in rows[:_MAX_LISTED_ROWS])
    more = f" and {len(rows) - _MAX_LISTED_ROWS:,} more" if len(rows) > _MAX_LISTED_ROWS else ""
    return f"row{'s' if len(rows) != 1 else ''} {shown}{more}"


def _listing(counts: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{_q(v if len(v) <= 40 else v[:39] + '…')} ({n:,})" for v, n in counts)


def _natural(value: str) -> tuple[float, str]:
    """Sort key: a leading number first (age bands 0-4 before 10-15), then the text."""
    lead = re.match(r"\s*(\d+)", value)
    return (float(lead.group(1)) if lead else float("inf"), value.casefold())


def _q(text: str | None) -> str:
    """Text quoted for a comment or message, with line breaks and control characters escaped."""
    return "'" + _comment(str(text)).replace("'", "\\'") + "'"


def _comment(text: str) -> str:
    """Text safe inside a YAML comment: nothing that YAML reads as a line break, no control characters."""
    return "".join(
        json.dumps(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") else ch
        for ch in text
    )


def _flow(value: Any) -> str:
    """A value as one line of YAML (flow style), quoted where YAML needs it."""
    dumped = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=float("inf"), allow_unicode=True)
    dumped = dumped.removesuffix("\n").removesuffix("\n...").strip()
    if "\n" in dumped:  # a line break inside a value: double quotes escape it
        dumped = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=float("inf"), default_style='"')
        dumped = dumped.removesuffix("\n").removesuffix("\n...").strip()
    return dumped


def _pattern(path: Path) -> str:
    """A glob over files named like this one (digits, as in a date or month, replaced by ``*``)."""
    stem = re.sub(r"\d+([-_.]\d+)*", "*", path.stem)
    return str(path.with_name(stem + path.suffix)) if stem != path.stem else str(path.parent / ("*" + path.suffix))
