"""The analyst's files the screen reads: decisions on held quotes, and names of people to redact.

Both live beside the notes, in the analyst's folders: they hold personal data and never go in a spec or a report.
"""

from __future__ import annotations

import csv
from pathlib import Path

from circles.errors import ScreeningError
from circles.ingest.screening.screen import DECISIONS

__all__ = ["read_decisions", "read_known_people"]


def read_decisions(path: str | Path) -> dict[str, str]:
    """Read an analyst's decisions on held quotes: ``text_id`` → ``publish``, ``redact`` or ``withhold``.

    The file is ``coding/quotes_held_for_review.csv`` from a run, with its ``decision`` column filled in (other
    columns are ignored; rows with a blank decision are still held).

    Raises
    ------
    ScreeningError
        Naming the file, row and column: no ``text_id`` or ``decision`` column, or a decision that is not one of
        :data:`~circles.ingest.screening.DECISIONS`.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "decisions.csv"
    ...     _ = path.write_text("text_id,quote,decision\\nab12cd34ef56,my son [x],Redact\\n0123456789ab,...,\\n")
    ...     read_decisions(path)
    {'ab12cd34ef56': 'redact'}
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
            columns = [c.strip() for c in (rows[0].keys() if rows else [])]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ScreeningError(f"{path}: cannot read the quote decisions ({error}); save it as UTF-8 CSV") from None
    if rows and not {"text_id", "decision"} <= set(columns):
        raise ScreeningError(
            f"{path}: needs the columns 'text_id' and 'decision' (found {', '.join(columns)}); start from "
            "coding/quotes_held_for_review.csv and fill in its 'decision' column"
        )
    decisions = {}
    for number, row in enumerate(rows, start=2):
        decision = (row.get("decision") or "").strip().lower()
        text = (row.get("text_id") or "").strip()
        if not decision:
            continue
        if decision not in DECISIONS:
            raise ScreeningError(
                f"{path}, row {number}, column 'decision': {decision!r} is not a decision; write one of "
                f"{', '.join(DECISIONS)} (or leave it blank to keep the quote held)"
            )
        if not text:
            raise ScreeningError(f"{path}, row {number}, column 'text_id': empty; copy it from the review list")
        decisions[text] = decision
    return decisions


def read_known_people(path: str | Path) -> list[str]:
    """Names of people to redact wherever they appear (staff, participants): one a line, ``#`` comments.

    Raises
    ------
    ScreeningError
        When the file cannot be read as UTF-8 text.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ScreeningError(f"{path}: cannot read the known names ({error}); save it as UTF-8 text") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
