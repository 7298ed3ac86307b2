"""Reading a report folder's published values for print: its CSVs as strings, numbers, counts and shares.

Shared by :mod:`circles.packs.context` and :mod:`circles.packs.design_context`. A suppressed count (``*``) is
kept as it is published; a blank becomes an en dash.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

__all__ = ["_csv", "_num", "_fmt", "_pct"]


def _csv(report: Path, rel: str) -> list[dict[str, str]] | None:
    """Rows of a published CSV as strings (``*`` kept), or ``None`` if the file is absent or unreadable."""
    path = report / rel
    if not path.is_file():
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _num(value: Any) -> float | None:
    """A float, or ``None`` for ``*``, blanks and anything that is not a finite number."""
    try:
        out = float(str(value).replace(",", "").replace("£", ""))
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _fmt(value: Any, digits: int = 0) -> str:
    """Format a number with thousands separators; ``*`` and text pass through; blanks become an en dash."""
    if value is None or str(value).strip() in ("", "nan", "None"):
        return "–"
    number = _num(value)
    if number is None:
        return str(value)
    return f"{number:,.{digits}f}"


def _pct(value: Any, digits: int = 0) -> str:
    """``34%`` from a proportion 0–1."""
    number = _num(value)
    return f"{100 * number:.{digits}f}%" if number is not None else _fmt(value)
