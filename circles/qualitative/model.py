"""The shared records of the qualitative side.

Offsets are **code points** into :attr:`Source.text` (Python string indices), ``start`` inclusive and ``end``
exclusive. The text is kept exactly as read after decoding (a BOM removed, line ends as in the file), so that
offsets can be converted to the conventions of other tools (NVivo: UTF-16 code units with CRLF as two; ATLAS.ti:
CRLF as one) in :mod:`circles.qualitative.refi`.

A *segment table* is a :class:`pandas.DataFrame` with the columns of :data:`SEGMENT_COLUMNS`:

================  ==========================================================================================
column            meaning
================  ==========================================================================================
``source_id``     :attr:`Source.id`
``start``         first code point (int)
``end``           one past the last code point (int)
``code_id``       :attr:`Code.id`
``coder``         who coded it: a person's initials, ``"rules"`` or ``"machine"``
``memo``          free text ("" when none)
``quote``         ``text[start:end]`` at coding time (used to re-anchor when a source changes)
``before``        up to 30 characters of context before the quote
``after``         up to 30 characters of context after it
``probability``   the machine's probability for suggestions, NaN otherwise
``status``        ``"accepted"`` (manual, or a suggestion accepted), ``"suggested"``, ``"rejected"``
================  ==========================================================================================
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "DIMENSIONS",
    "SEGMENT_COLUMNS",
    "CONTEXT",
    "NOTE_SUFFIXES",
    "TABLE_SUFFIXES",
    "Code",
    "Codebook",
    "Source",
    "make_segments",
    "empty_segments",
]

#: The default dimensions of the Circles of Need method (a codebook may declare others).
DIMENSIONS: tuple[str, ...] = ("need", "barrier", "aspiration", "fear", "provider view")
SEGMENT_COLUMNS = [
    "source_id",
    "start",
    "end",
    "code_id",
    "coder",
    "memo",
    "quote",
    "before",
    "after",
    "probability",
    "status",
]
#: Characters of context kept either side of a quote.
CONTEXT = 30
#: File types read as notes (one source per file, text as read).
NOTE_SUFFIXES: tuple[str, ...] = (".txt", ".md")
#: File types read as survey responses (one source per row).
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class Code:
    """One code of a codebook."""

    id: str
    name: str
    dimension: str
    theme: str | None = None
    parent: str | None = None
    definition: str = ""
    include: str = ""
    exclude: str = ""
    example: str = ""
    colour: str = "#808080"


@dataclass(frozen=True)
class Codebook:
    """An ordered set of codes and the dimensions they belong to."""

    codes: tuple[Code, ...]
    dimensions: tuple[str, ...] = DIMENSIONS
    name: str = "codebook"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.codes})

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._by_id  # type: ignore[attr-defined]

    def code(self, code_id: str) -> Code:
        return self._by_id[code_id]  # type: ignore[attr-defined]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.codes)

    def children(self, code_id: str) -> tuple[Code, ...]:
        return tuple(c for c in self.codes if c.parent == code_id)

    def to_frame(self) -> pd.DataFrame:
        """One row per code, columns as the :class:`Code` fields."""
        return pd.DataFrame([c.__dict__ for c in self.codes], columns=list(Code.__dataclass_fields__))

    def _repr_html_(self) -> str:
        """The codes grouped by dimension, each with its colour swatch (for notebooks)."""
        from html import escape

        parts = [f"<div class='circles-codebook'><strong>{escape(self.name)}</strong> ({len(self.codes)} codes)"]
        dimensions = list(self.dimensions) + sorted({c.dimension for c in self.codes} - set(self.dimensions))
        for dimension in dimensions:
            codes = [c for c in self.codes if c.dimension == dimension]
            if not codes:
                continue
            parts.append(f"<h4>{escape(dimension)}</h4><table>")
            for c in codes:
                swatch = (
                    f"<span style='display:inline-block;width:1em;height:1em;background:{escape(c.colour)};"
                    f"border:1px solid #444' title='{escape(c.colour)}'></span>"
                )
                parts.append(
                    f"<tr><td>{swatch}</td><td><code>{escape(c.id)}</code></td><td>{escape(c.name)}</td>"
                    f"<td>{escape(c.definition)}</td></tr>"
                )
            parts.append("</table>")
        parts.append("</div>")
        return "".join(parts)


@dataclass(frozen=True)
class Source:
    """A document to code: workshop notes, an interview transcript, one survey response."""

    id: str
    name: str
    text: str
    attributes: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    encoding: str | None = None

    @property
    def content_hash(self) -> str:
        """SHA-256 of the text (UTF-8): tells whether a source changed since it was coded."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def empty_segments() -> pd.DataFrame:
    """A segment table with no rows and the right columns and types."""
    return make_segments([], {})


def make_segments(rows: list[dict], sources: dict[str, Source]) -> pd.DataFrame:
    """Build a segment table from dicts with at least ``source_id``, ``start``, ``end``, ``code_id``, ``coder``.

    ``quote``, ``before`` and ``after`` are filled from the source text; ``memo`` defaults to ``""``,
    ``probability`` to NaN and ``status`` to ``"accepted"``.

    Examples
    --------
    >>> src = Source("s1", "Notes", "I want to stop drinking for my kids.")
    >>> seg = make_segments([{"source_id": "s1", "start": 10, "end": 23, "code_id": "A1", "coder": "jb"}],
    ...                     {"s1": src})
    >>> seg.loc[0, ["quote", "before", "after", "status"]].tolist()
    ['stop drinking', 'I want to ', ' for my kids.', 'accepted']
    """
    given = {key for row in rows for key in row}
    frame = pd.DataFrame(rows, columns=[c for c in SEGMENT_COLUMNS if c in given] or None)
    for column in SEGMENT_COLUMNS:
        if column not in frame:
            frame[column] = {"memo": "", "probability": np.nan, "status": "accepted"}.get(column, "")
    frame = frame[SEGMENT_COLUMNS].copy()
    frame["start"] = frame["start"].astype("int64")
    frame["end"] = frame["end"].astype("int64")
    frame["probability"] = frame["probability"].astype("float64")
    for i, row in frame.iterrows():
        text = sources[row["source_id"]].text if row["source_id"] in sources else None
        if text is not None and not row["quote"]:
            frame.at[i, "quote"] = text[row["start"] : row["end"]]
            frame.at[i, "before"] = text[max(0, row["start"] - CONTEXT) : row["start"]]
            frame.at[i, "after"] = text[row["end"] : row["end"] + CONTEXT]
    for column in ("memo", "quote", "before", "after", "coder", "status", "code_id", "source_id"):
        frame[column] = frame[column].fillna("").astype(str)
    return frame.reset_index(drop=True)
