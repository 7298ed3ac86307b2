"""Re-anchoring segments when a source changes.

:func:`reanchor` finds each coded segment again after its source has been edited, by its quote and the context
around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from circles.errors import CodingError
from circles.qualitative.model import CONTEXT, SEGMENT_COLUMNS, Source

__all__ = ["reanchor"]


def _context_score(text: str, start: int, end: int, before: str, after: str) -> int:
    """Characters of the recorded context that still stand beside ``text[start:end]`` (max ``len(before + after)``)."""
    score = 0
    for a, b in zip(reversed(before), reversed(text[max(0, start - len(before)) : start]), strict=False):
        if a != b:
            break
        score += 1
    for a, b in zip(after, text[end : end + len(after)], strict=False):
        if a != b:
            break
        score += 1
    return score


def _occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    """Exact occurrences of ``quote`` (overlapping ones too); failing those, matches ignoring white space changes."""
    found, i = [], text.find(quote)
    while i != -1:
        found.append((i, i + len(quote)))
        i = text.find(quote, i + 1)
    if found or not quote.split():
        return found
    pattern = re.compile(r"\s+".join(re.escape(word) for word in quote.split()))
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def reanchor(
    segments: pd.DataFrame, sources: Iterable[Source] | Mapping[str, Source]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Find coded segments again in sources that changed since they were coded.

    A segment whose ``quote`` still stands at ``start:end`` with its recorded ``before``/``after`` context is kept
    as it is. Otherwise every occurrence of the quote in the source is a candidate (failing exact ones, matches
    that differ only in white space, e.g. line ends changed from CRLF to LF); the candidate with the most of its
    recorded context still beside it wins, and among equals the one nearest the old ``start``. Its offsets,
    ``quote``, ``before`` and ``after`` are updated.

    Parameters
    ----------
    segments : pandas.DataFrame
        A segment table (:data:`~circles.qualitative.model.SEGMENT_COLUMNS`; other columns are kept).
    sources : iterable of Source, or mapping of id to Source
        The sources as they are now.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The re-anchored segments (those found, in their order), and the lost ones with a ``reason`` column:
        the source is missing, no quote was recorded, or the quote is no longer in the source.

    Raises
    ------
    CodingError
        If the segment table lacks a column it needs.

    Examples
    --------
    >>> from circles.qualitative.model import make_segments
    >>> old = Source("n", "n", "Relapse. I've been here before.")
    >>> seg = make_segments([{"source_id": "n", "start": 0, "end": 7, "code_id": "FEA01", "coder": "jb"}], {"n": old})
    >>> new = Source("n", "n", "Parent D: Relapse. I've been here before.")
    >>> found, lost = reanchor(seg, [new])
    >>> found.loc[0, ["quote", "before"]].tolist(), int(found.loc[0, "start"]), len(lost)
    (['Relapse', 'Parent D: '], 10, 0)
    """
    needed = ["source_id", "start", "end", "quote", "before", "after"]
    missing = [c for c in needed if c not in segments.columns]
    if missing:
        raise CodingError(
            f"segment table: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"a segment table has the columns {', '.join(SEGMENT_COLUMNS)}."
        )
    by_id = dict(sources) if isinstance(sources, Mapping) else {s.id: s for s in sources}
    segments = segments.reset_index(drop=True)
    kept: list[Any] = []
    updates: dict[Any, tuple[int, int, str, str, str]] = {}
    reasons: dict[Any, str] = {}
    for index, row in zip(segments.index, segments[needed].itertuples(index=False), strict=True):
        source = by_id.get(row.source_id)
        if source is None:
            reasons[index] = f"the source {row.source_id!r} is not among the sources given"
            continue
        quote = "" if pd.isna(row.quote) else str(row.quote)
        before = "" if pd.isna(row.before) else str(row.before)
        after = "" if pd.isna(row.after) else str(row.after)
        if not quote:
            reasons[index] = "no quote was recorded, so the segment cannot be found again"
            continue
        text, start, end = source.text, int(row.start), int(row.end)
        if text[start:end] == quote and _context_score(text, start, end, before, after) == len(before) + len(after):
            kept.append(index)
            continue
        candidates = _occurrences(text, quote)
        if not candidates:
            reasons[index] = f"the quote is no longer in source {row.source_id!r}"
            continue
        a, b = max(candidates, key=lambda c: (_context_score(text, c[0], c[1], before, after), -abs(c[0] - start)))
        kept.append(index)
        updates[index] = (a, b, text[a:b], text[max(0, a - CONTEXT) : a], text[b : b + CONTEXT])

    found = segments.loc[kept].copy()
    for index, (a, b, quote, before, after) in updates.items():
        found.loc[index, ["quote", "before", "after"]] = [quote, before, after]
        found.loc[index, "start"] = a
        found.loc[index, "end"] = b
    lost = segments.loc[list(reasons)].copy()
    lost["reason"] = pd.Series(reasons, dtype=object)
    for frame in (found, lost):
        for column in ("start", "end"):
            frame[column] = frame[column].astype(np.int64)
    return found.reset_index(drop=True), lost.reset_index(drop=True)
