"""Cutting sources into units: paragraphs, speaker turns and sentences.

:func:`units` cuts a source into paragraphs, speaker turns or sentences, each with code-point offsets such that
``source.text[start:end] == text``. Units never start or end with whitespace, never overlap and come in text
order.

*Paragraphs* are runs of lines between blank lines. In notes and Word documents a speaker line (below) always
starts a new paragraph, Markdown heading lines (``# ...`` to ``###### ...``) and the attribute block are not
units, and in a Word document every line (Word paragraph) is a paragraph. A survey response has no headings,
attribute block or speaker labels (``GP: never heard back`` is what the respondent wrote).

*Turns* are what one speaker says. A speaker line is a line that starts with a short label and a colon,
``Parent A: ...``, ``Facilitator: ...``, ``Mr Khan: ...``, ``Young people's worker: ...``: up to
:data:`MAX_SPEAKER_WORDS` words and :data:`MAX_SPEAKER_CHARS` characters, starting with a capital letter, with text
after the colon on the same line, no verb or pronoun among the words (``The problem is: ...`` is not a label,
see :data:`NOT_IN_SPEAKER_LABEL`) and not a note label such as ``Note:``, ``NB:``, ``Action:`` or ``Date:`` (see
:data:`NON_SPEAKER_LABELS`). The label and colon are not part of the unit: the turn's text starts after them and
the label is in the ``speaker`` column. Paragraphs without a label continue the turn of the speaker before them
(a long answer in several paragraphs); a heading ends a turn. Text outside any turn (a notice, a list of actions
after a heading) gives one unit per paragraph with speaker ``""``. A survey response is one turn.

*Sentences* are split within paragraphs by a simple rule: a sentence ends at ``.``, ``!``, ``?``, ``...`` or
``…`` (and any closing quotes or brackets) followed by white space and a character that is not a lower-case
letter, except after a common abbreviation (``Mr.``, ``Dr.``, ``e.g.``, ``etc.``: :data:`ABBREVIATIONS`), a single
capital initial (``J. Smith``) or a list number at the start of a line (``1. Offer ...``). A line starting with a
list marker (``-``, ``*``, ``•``, ``1.``, ``2)``) starts a new sentence. Numbers such as ``3.5`` are never split.
Sentences carry the speaker of their turn.

*Whole sentences for quotes* (:func:`sentence_spans`, :func:`whole_sentences`) come from spaCy's rule-based
``sentencizer`` on a blank English pipeline (its tokenizer knows ``Mr.``, ``e.g.`` and ``3.5``; nothing is
downloaded), line by line, so a quote is never cut inside a sentence.

The attribute block of a note (``- Key: value`` lines, read by :mod:`circles.qualitative.sources`) is found here
too, since it is not a unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from circles.errors import CodingError
from circles.qualitative.model import TABLE_SUFFIXES, Source
from circles.validation import suggest

__all__ = [
    "UNITS",
    "UNIT_COLUMNS",
    "ABBREVIATIONS",
    "NON_SPEAKER_LABELS",
    "NOT_IN_SPEAKER_LABEL",
    "MAX_SPEAKER_WORDS",
    "MAX_SPEAKER_CHARS",
    "ATTRIBUTE_SEARCH_LINES",
    "units",
    "all_units",
    "sentence_spans",
    "whole_sentences",
]

UnitKind = Literal["sentence", "turn", "paragraph"]
#: The kinds of unit :func:`units` cuts.
UNITS: tuple[str, ...] = ("sentence", "turn", "paragraph")
#: Columns of a unit table.
UNIT_COLUMNS = ["source_id", "unit_id", "start", "end", "text", "speaker"]
#: Words after which a full stop does not end a sentence (compared ignoring case, without the final stop).
ABBREVIATIONS: frozenset[str] = frozenset(
    "mr mrs ms mx dr prof rev revd st sr jr cllr capt sgt insp supt col gen hon rt no nos vs etc e.g eg i.e ie cf "
    "approx appt dept govt inc ltd co nb n.b p.s ps pp vol fig ref tel ext mins hrs yrs wk wks "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun".split()
)
#: Labels before a colon that mark a note, not a speaker (compared ignoring case and a final stop).
NON_SPEAKER_LABELS: frozenset[str] = frozenset(
    (
        "note notes nb n.b ps p.s action actions agreed decision decisions summary example examples e.g eg i.e ie "
        "update re subject date time venue location present attendees apologies purpose theme themes outcome "
        "outcomes issue issues risk risks quote comment comments feedback todo tip warning important source sources"
    ).split()
    + ["key point", "key points", "next steps", "to do", "follow up"]
)
#: Words that never occur in a speaker label: verbs, pronouns and question words make ``X is: ...`` a sentence.
NOT_IN_SPEAKER_LABEL: frozenset[str] = frozenset(
    "is are was were be been being am has have had do does did will would can could should must may might shall "
    "i we you they he she it its this that these those there here what why how when where which who whom "
    "said says say asked asks told tells want wanted need needed but if so because "
    "not no yes my our your their his her".split()
)
#: Most words in a speaker label.
MAX_SPEAKER_WORDS = 4
#: Most characters in a speaker label.
MAX_SPEAKER_CHARS = 40
#: The attribute block (``- Key: value`` lines) must start within this many lines of the top of a note.
ATTRIBUTE_SEARCH_LINES = 20

_EOL = re.compile(r"\r\n|\r|\n")
_HEADING = re.compile(r" {0,3}#{1,6}(?=[ \t]|$)")
_ATTRIBUTE = re.compile(r"[ \t]*[-*][ \t]+(?P<key>[^\W\d_][^:]{0,39}?)[ \t]*:(?!//)[ \t]*(?P<value>.*?)[ \t]*$")
_SPEAKER = re.compile(r"[ \t]*(?P<label>[^\W\d_][\w'’.&/-]*(?:[ \t]+[\w'’.&/-]+){0,5}?)[ \t]*:[ \t]+(?=\S)")
_SENTENCE_END = re.compile(r"(?:\.{2,}|…+|[.!?]+)[\"'”’»)\]]*")
_CLOSERS = "\"'”’»)]"
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*•]|\d{1,3}[.)])[ \t]+\S")
_TOKEN_BEFORE = re.compile(r"[^\W_][\w.]*$")


# ----------------------------------------------------------------------------------------------- lines


def _lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every line, line end excluded; ``\\r\\n``, ``\\r`` and ``\\n`` end lines."""
    out, pos = [], 0
    for m in _EOL.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out


def _kind(source: Source) -> str:
    """``"response"`` (a survey row), ``"docx"`` or ``"notes"`` (text files, and sources built in code)."""
    suffix = Path(source.path).suffix.lower() if source.path else ""
    if suffix in TABLE_SUFFIXES:
        return "response"
    return "docx" if suffix == ".docx" else "notes"


def _speaker(text: str, start: int, end: int) -> re.Match[str] | None:
    """The speaker label at the start of a line, if the line is a speaker turn."""
    m = _SPEAKER.match(text, start, end)
    if m is None:
        return None
    label = m.group("label")
    words = label.split()
    if (
        not label[0].isupper()
        or len(label) > MAX_SPEAKER_CHARS
        or len(words) > MAX_SPEAKER_WORDS
        or label.casefold().rstrip(".") in NON_SPEAKER_LABELS
        or any(w.casefold().strip("'’.") in NOT_IN_SPEAKER_LABEL for w in words)
    ):
        return None
    return m


def _attribute_block(text: str, lines: list[tuple[int, int]], kind: str) -> list[tuple[int, str, str]]:
    """``(line index, key, value)`` of each line of the leading ``- Key: value`` block.

    The block is the first run of consecutive ``- Key: value`` lines that starts within
    :data:`ATTRIBUTE_SEARCH_LINES` lines of the top and before any speaker turn. Survey responses have none.
    """
    if kind == "response":
        return []
    first = None
    for i, (s, e) in enumerate(lines[:ATTRIBUTE_SEARCH_LINES]):
        if _ATTRIBUTE.match(text, s, e):
            first = i
            break
        if _speaker(text, s, e):
            return []
    if first is None:
        return []
    block = []
    for i in range(first, len(lines)):
        m = _ATTRIBUTE.match(text, *lines[i])
        if m is None:
            break
        block.append((i, m.group("key").strip(), m.group("value")))
    return block


# ----------------------------------------------------------------------------------------------- units


@dataclass
class _Span:
    start: int
    end: int
    speaker: str = ""
    labelled: bool = False  # starts with a speaker label
    after_break: bool = False  # a heading or the attribute block stands between it and the paragraph before


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraphs(source: Source) -> list[_Span]:
    text, kind = source.text, _kind(source)
    lines = _lines(text)
    block = {i for i, _key, _value in _attribute_block(text, lines, kind)}
    paragraphs: list[_Span] = []
    current: _Span | None = None
    pending_break = False

    def close() -> None:
        nonlocal current
        if current is not None:
            current.start, current.end = _trim(text, current.start, current.end)
            if current.start < current.end:
                paragraphs.append(current)
        current = None

    for i, (s, e) in enumerate(lines):
        if kind != "response" and (i in block or _HEADING.match(text, s, e)):
            close()
            pending_break = True
            continue
        if not text[s:e].strip():
            close()
            continue
        label = _speaker(text, s, e) if kind != "response" else None
        if label is not None or kind == "docx" or current is None:
            close()
            current = _Span(
                label.end() if label else s,
                e,
                label.group("label") if label else "",
                label is not None,
                pending_break,
            )
            pending_break = False
        else:
            current.end = e
    close()
    return paragraphs


def _turns(source: Source, paragraphs: list[_Span]) -> list[_Span]:
    """Merge paragraphs into turns; set each paragraph's speaker to its turn's."""
    if _kind(source) == "response":
        return [_Span(paragraphs[0].start, paragraphs[-1].end)] if paragraphs else []
    turns: list[_Span] = []
    for p in paragraphs:
        if not p.labelled and turns and turns[-1].speaker and not p.after_break:
            turns[-1].end = p.end
            p.speaker = turns[-1].speaker
        else:
            turns.append(_Span(p.start, p.end, p.speaker))
    return turns


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` (no surrounding white space) into sentences; see the module description."""
    cuts: set[int] = set()
    line_starts = [start] + [m.end() for m in _EOL.finditer(text, start, end)]
    for ls in line_starts[1:]:
        if _LIST_ITEM.match(text, ls, end):
            cuts.add(_trim(text, ls, end)[0])
    for m in _SENTENCE_END.finditer(text, start, end):
        nxt = m.end()
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if nxt == m.end() or nxt >= end or text[nxt].islower():
            continue
        if m.group(0).rstrip(_CLOSERS) == ".":
            token_match = _TOKEN_BEFORE.search(text, max(start, m.start() - 20), m.start())
            token = token_match.group(0).lstrip(".") if token_match else ""
            if token.casefold() in ABBREVIATIONS or (len(token) == 1 and token.isupper()):
                continue
            if token.isdigit() and token_match is not None:
                line_start = max(ls for ls in line_starts if ls <= token_match.start())
                if not text[line_start : token_match.start()].strip(" \t-*•"):
                    continue  # "1." opening a list item
        cuts.add(nxt)
    out = []
    bounds = [start, *sorted(c for c in cuts if start < c < end), end]
    for a, b in zip(bounds, bounds[1:], strict=False):
        a, b = _trim(text, a, b)
        if a < b:
            out.append((a, b))
    return out


def _frame(rows: list[tuple[str, int, int, int, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    for column in ("unit_id", "start", "end"):
        frame[column] = frame[column].astype("int64")
    for column in ("source_id", "text", "speaker"):
        frame[column] = frame[column].astype(object)
    return frame


def units(source: Source, unit: UnitKind = "sentence") -> pd.DataFrame:
    """Cut a source into sentences, speaker turns or paragraphs (see the module description).

    Parameters
    ----------
    source : Source
    unit : {"sentence", "turn", "paragraph"}

    Returns
    -------
    pandas.DataFrame
        Columns ``source_id, unit_id`` (1, 2, ... within the source), ``start, end`` (code points into
        ``source.text``, with ``source.text[start:end] == text``), ``text`` and ``speaker`` (``""`` when unknown).

    Raises
    ------
    CodingError
        If ``unit`` is not one of :data:`UNITS`.

    Examples
    --------
    >>> src = Source("w1", "w1.md", "# Workshop\\n\\nParent A: Support is 9 to 5. Mr. Khan agreed.\\n"
    ...              "It gets worse at night...\\n\\n## Next\\nFacilitator: Thanks 😊.")
    >>> units(src, "turn")[["unit_id", "speaker", "text"]].values.tolist()
    [[1, 'Parent A', 'Support is 9 to 5. Mr. Khan agreed.\\nIt gets worse at night...'], \
[2, 'Facilitator', 'Thanks 😊.']]
    >>> units(src, "sentence")["text"].tolist()
    ['Support is 9 to 5.', 'Mr. Khan agreed.', 'It gets worse at night...', 'Thanks 😊.']
    >>> row = units(src, "sentence").iloc[-1]
    >>> src.text[row.start : row.end] == row.text
    True
    """
    _check_unit(unit)
    return _frame(_unit_rows(source, unit))


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise CodingError(f"unit {unit!r}: units are {', '.join(UNITS)}.{suggest(str(unit), UNITS)}")


def _unit_rows(source: Source, unit: str) -> list[tuple[str, int, int, int, str, str]]:
    text = source.text
    paragraphs = _paragraphs(source)
    turns = _turns(source, paragraphs)
    if unit == "paragraph":
        spans = [(p.start, p.end, p.speaker) for p in paragraphs]
    elif unit == "turn":
        spans = [(t.start, t.end, t.speaker) for t in turns]
    else:
        spans = [(a, b, p.speaker) for p in paragraphs for a, b in _sentences(text, p.start, p.end)]
    return [(source.id, i, a, b, text[a:b], who) for i, (a, b, who) in enumerate(spans, 1)]


def all_units(sources: Iterable[Source], unit: UnitKind = "sentence") -> pd.DataFrame:
    """The units of several sources, one table in source order.

    Examples
    --------
    >>> table = all_units([Source("a", "a", "One. Two."), Source("b", "b", "Three?")], "sentence")
    >>> table[["source_id", "unit_id", "text"]].values.tolist()
    [['a', 1, 'One.'], ['a', 2, 'Two.'], ['b', 1, 'Three?']]
    """
    _check_unit(unit)
    return _frame([row for source in sources for row in _unit_rows(source, unit)])


# ----------------------------------------------------------------------------------------------- whole sentences


@lru_cache(maxsize=1)
def _sentencizer() -> Any:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs (runs of lines between blank lines) of ``text``; a list item's line starts a new one."""
    out: list[tuple[int, int]] = []
    current: list[int] | None = None
    for s, e in _lines(text):
        if not text[s:e].strip() or _LIST_ITEM.match(text, s, e):
            if current is not None:
                out.append((current[0], current[1]))
            current = [s, e] if text[s:e].strip() else None
        elif current is None:
            current = [s, e]
        else:
            current[1] = e
    if current is not None:
        out.append((current[0], current[1]))
    return [_trim(text, a, b) for a, b in out]


def sentence_spans(text: str) -> list[list[tuple[int, int]]]:
    """The sentences of ``text`` by spaCy's sentencizer, paragraph by paragraph: one list of ``(start, end)``
    offsets into ``text`` per paragraph (lines between blank lines; a list item is a paragraph of its own).

    Examples
    --------
    >>> text = "Support is 9 to 5. Mr. Khan agreed that\\nit gets worse at night... \\n\\n- Open later."
    >>> [[text[a:b] for a, b in paragraph] for paragraph in sentence_spans(text)]
    [['Support is 9 to 5.', 'Mr. Khan agreed that\\nit gets worse at night...'], ['- Open later.']]
    """
    out = []
    for a, b in _blocks(text):
        spans = []
        for sentence in _sentencizer()(text[a:b]).sents:
            s, e = _trim(text, a + sentence.start_char, a + sentence.end_char)
            if s < e:
                spans.append((s, e))
        out.append(spans)
    return out


def whole_sentences(text: str, start: int, end: int, *, max_length: int = 300, min_length: int = 0) -> str | None:
    """The whole sentence(s) of ``text`` holding ``text[start:end]``, never a fragment.

    The quote stays within the paragraph where the span starts (:func:`sentence_spans`). When the sentences
    are shorter than ``min_length``, the sentences around them are added (the one before first) while the quote
    stays within ``max_length``. When they are longer than ``max_length``, the quote
    ends at the last sentence boundary that fits, keeping the sentence where the span starts; ``None`` when
    even that sentence is too long. Line breaks inside the quote become spaces.

    Examples
    --------
    >>> text = "Telling my story again to every new service. Every form, every worker, right from the start."
    >>> whole_sentences(text, text.index("Every form"), text.index("Every form") + 10)
    'Every form, every worker, right from the start.'
    >>> whole_sentences(text, text.index("Every form"), text.index("Every form") + 10, min_length=60)
    'Telling my story again to every new service. Every form, every worker, right from the start.'
    >>> whole_sentences(text, 0, len(text), max_length=50)
    'Telling my story again to every new service.'
    >>> whole_sentences(text, 0, 7, max_length=20) is None
    True
    """
    paragraph = [p for p in sentence_spans(text) if p[0][0] <= start < p[-1][1]]
    if not paragraph:
        return None
    spans = paragraph[0]
    hit = [i for i, (a, b) in enumerate(spans) if a < max(end, start + 1) and b > start]
    if not hit:
        return None
    first, last = hit[0], hit[-1]
    if spans[first][1] - spans[first][0] > max_length:
        return None
    while spans[last][1] - spans[first][0] > max_length:
        last -= 1

    def length(i: int, j: int) -> int:
        return spans[j][1] - spans[i][0]

    while length(first, last) < min_length:
        if first > 0 and length(first - 1, last) <= max_length:
            first -= 1
        elif last + 1 < len(spans) and length(first, last + 1) <= max_length:
            last += 1
        else:
            break
    return " ".join(text[spans[first][0] : spans[last][1]].split())
