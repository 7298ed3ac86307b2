"""Evaluation corpus for the personal-data screen on free-text quotes.

The corpus is ``benchmarks/data/screening_corpus.txt``: one sentence or short quote per line, UTF-8. Lines that
start with ``#`` are comments and blank lines are ignored. Personal data is marked inline as ``[[kind:text]]``,
for example ``My daughter [[name:Chloe]] started at [[place:St Barnabas Primary]] last year.`` Lines after the
comment ``# --- clean ---`` hold no personal data but contain words a careless detector would flag.

The corpus is written independently of the detector, which is measured against it. Print its counts with

    .venv/bin/python benchmarks/screening_corpus.py
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

KINDS: tuple[str, ...] = (
    "name",
    "place",
    "phone",
    "email",
    "nhs_number",
    "postcode",
    "date_of_birth",
    "date",
    "url",
)

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "screening_corpus.txt"
CLEAN_MARKER = "# --- clean ---"

_OPEN = "[["
_CLOSE = "]]"
_KIND = re.compile(r"([a-z_]+):")


@dataclass(frozen=True)
class Planted:
    """One planted span of personal data.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    start, end : int
        Offsets of the span in the stripped sentence text (``text == sentence.text[start:end]``).
    text : str
        The planted text itself.
    """

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Sentence:
    """One corpus line with its markup stripped.

    Attributes
    ----------
    text : str
        The sentence as a detector would see it.
    planted : tuple of Planted
        The planted spans, in order of appearance.
    line : int
        1-based line number in the corpus file.
    clean_section : bool
        True for lines after the ``# --- clean ---`` marker.
    """

    text: str
    planted: tuple[Planted, ...]
    line: int
    clean_section: bool


def nhs_check_digit_ok(digits: str) -> bool:
    """Whether a 10-digit NHS number has a valid modulus-11 check digit.

    Parameters
    ----------
    digits : str
        The number; spaces and hyphens are ignored.

    Returns
    -------
    bool
        True when there are exactly ten digits and the last is the check digit of the first nine
        (weights 10 down to 2; ``11 - sum mod 11``, 11 becomes 0, 10 is never valid).

    Examples
    --------
    >>> nhs_check_digit_ok("943 476 5919")
    True
    >>> nhs_check_digit_ok("943 476 5918")
    False
    """
    cleaned = digits.replace(" ", "").replace("-", "")
    if len(cleaned) != 10 or not cleaned.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(cleaned[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(cleaned[9])


def parse_line(raw: str, line: int, clean_section: bool = False) -> Sentence:
    """Strip the ``[[kind:text]]`` markup from one corpus line.

    Parameters
    ----------
    raw : str
        The line as written in the corpus, without its newline.
    line : int
        1-based line number, used in error messages.
    clean_section : bool
        Whether the line is in the clean section, where no markup is allowed.

    Returns
    -------
    Sentence
        The stripped text and the offsets of its planted spans.

    Raises
    ------
    ValueError
        Naming the line, for an unknown kind, unbalanced or nested markup, an empty span, a planted span in the
        clean section, or an ``nhs_number`` span without a valid check digit.

    Examples
    --------
    >>> s = parse_line("Ring [[name:Jo]] on [[phone:07700 900123]].", 3)
    >>> s.text
    'Ring Jo on 07700 900123.'
    >>> [(p.kind, p.start, p.end) for p in s.planted]
    [('name', 5, 7), ('phone', 11, 23)]
    """
    out: list[str] = []
    planted: list[Planted] = []
    length = 0
    pos = 0
    while True:
        opened = raw.find(_OPEN, pos)
        closed = raw.find(_CLOSE, pos)
        if opened == -1:
            if closed != -1:
                raise ValueError(f"line {line}: unbalanced markup: ']]' without '[['")
            out.append(raw[pos:])
            break
        if closed != -1 and closed < opened:
            raise ValueError(f"line {line}: unbalanced markup: ']]' without '[['")
        if clean_section:
            raise ValueError(f"line {line}: planted span in the clean section")
        before = raw[pos:opened]
        out.append(before)
        length += len(before)
        body_start = opened + len(_OPEN)
        match = _KIND.match(raw, body_start)
        if match is None:
            raise ValueError(f"line {line}: markup without 'kind:' after '[['")
        kind = match.group(1)
        if kind not in KINDS:
            raise ValueError(f"line {line}: unknown kind {kind!r}")
        end = raw.find(_CLOSE, match.end())
        if end == -1:
            raise ValueError(f"line {line}: unbalanced markup: '[[' without ']]'")
        text = raw[match.end() : end]
        if _OPEN in text:
            raise ValueError(f"line {line}: nested markup")
        if not text or text != text.strip():
            raise ValueError(f"line {line}: empty span or span with surrounding spaces: {text!r}")
        if kind == "nhs_number" and not nhs_check_digit_ok(text):
            raise ValueError(f"line {line}: NHS number {text!r} has no valid modulus-11 check digit")
        planted.append(Planted(kind=kind, start=length, end=length + len(text), text=text))
        out.append(text)
        length += len(text)
        pos = end + len(_CLOSE)
    return Sentence(text="".join(out), planted=tuple(planted), line=line, clean_section=clean_section)


def load_corpus(path: Path | None = None) -> list[Sentence]:
    """Read the corpus and strip its markup.

    Parameters
    ----------
    path : Path, optional
        The corpus file; defaults to ``benchmarks/data/screening_corpus.txt``.

    Returns
    -------
    list of Sentence
        Every non-blank, non-comment line, in file order.

    Raises
    ------
    ValueError
        Naming the line, for unknown kinds, unbalanced markup, a planted span inside the clean section or an
        invalid NHS number.
    """
    path = DEFAULT_PATH if path is None else Path(path)
    sentences: list[Sentence] = []
    clean = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if stripped == CLEAN_MARKER:
            clean = True
            continue
        if not stripped or stripped.startswith("#"):
            continue
        sentences.append(parse_line(stripped, number, clean_section=clean))
    return sentences


def kind_counts(sentences: list[Sentence]) -> Counter[str]:
    """Count planted spans per kind (every kind present, zero if unused)."""
    counts: Counter[str] = Counter(dict.fromkeys(KINDS, 0))
    counts.update(p.kind for s in sentences for p in s.planted)
    return counts


def main() -> None:
    """Print the counts per kind, the number of planted lines and the number of clean lines."""
    sentences = load_corpus()
    for kind, count in kind_counts(sentences).items():
        print(f"{kind:<14} {count:>5}")
    planted_lines = sum(1 for s in sentences if s.planted)
    clean_lines = sum(1 for s in sentences if s.clean_section)
    print(f"{'planted lines':<14} {planted_lines:>5}")
    print(f"{'clean lines':<14} {clean_lines:>5}")


if __name__ == "__main__":
    main()
