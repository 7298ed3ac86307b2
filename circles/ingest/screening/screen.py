"""Screen free text for personal data before it is published: redact what is certain, hold what is not.

A :class:`Screener` runs the recognisers of :mod:`circles.ingest.screening.recognisers` (Microsoft Presidio's
analyzer) over a piece of text and returns a :class:`ScreenResult`:

``clean``
    nothing found; the text is published as it is.
``redacted``
    personal data found and replaced by what it was: ``"my daughter [name] rang [phone]"``. The original stays
    in the analyst's files only.
``held``
    something the screen is unsure of (a capitalised word it does not know, a name that is also a word at the
    start of a sentence): the text is not published until an analyst decides (:data:`DECISIONS`).

Structured kinds (phone, e-mail, web address, NHS and National Insurance numbers, postcodes, full dates) are
redacted whenever a recogniser finds them: they are validated patterns, and a false alarm costs only a bracket.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Literal

import pandas as pd

__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "STRUCTURED",
    "DECISIONS",
    "Detection",
    "ScreenResult",
    "Screener",
    "text_id",
    "find_structured",
    "AUDITED",
]

#: What the screen finds; where two findings of the same length overlap, the earlier kind here wins.
KINDS = (
    "email",
    "url",
    "nhs_number",
    "ni_number",
    "date_of_birth",
    "date",
    "postcode",
    "phone",
    "place",
    "name",
)
#: What each kind is replaced by in published text.
PLACEHOLDERS = {
    "name": "[name]",
    "place": "[place]",
    "phone": "[phone]",
    "email": "[email]",
    "url": "[web address]",
    "nhs_number": "[NHS number]",
    "ni_number": "[NI number]",
    "postcode": "[postcode]",
    "date_of_birth": "[date of birth]",
    "date": "[date]",
}
#: Kinds redacted whatever their score: validated patterns.
STRUCTURED = frozenset({"email", "url", "nhs_number", "ni_number", "date_of_birth", "date", "postcode", "phone"})
#: An analyst's decision on a held text: print it with only the certain findings redacted (``publish``), redact
#: the uncertain findings too (``redact``), or never print it (``withhold``).
DECISIONS = ("publish", "redact", "withhold")

_ENTITY_KIND = {
    "PERSON": "name",
    "LOCATION": "place",
    "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "email",
    "URL": "url",
    "UK_NHS": "nhs_number",
    "UK_NINO": "ni_number",
    "UK_POSTCODE": "postcode",
    "DATE_TIME": "date",
}
_DOB_WORDS = r"\b(?:born|birth|birthday|b'?day|b-day|dob|d\.o\.b)\b"
_DOB_CUE = re.compile(_DOB_WORDS + r"\.?[^.!?\n]{0,30}$", re.IGNORECASE)
#: The cue words of :data:`_DOB_CUE`, anywhere in a text.
_DOB_WORD = re.compile(_DOB_WORDS, re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"[0-9]{1,4}\s*[-/.]\s*[0-9]{1,2}\s*[-/.]\s*[0-9]{2,4}")
_HAS_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
_PHONE_BODY = re.compile(r"[+(0-9][0-9()\s\-]*[0-9]")
#: A run of digits with the separators a phone number is written with (any :data:`_PHONE_BODY` lies in one).
_PHONE_RUN = re.compile(r"[+(0-9][0-9+()\s\-]*[0-9]")
_ASCII_DIGITS = re.compile(r"[0-9]")
_HAS_DAY = re.compile(r"(?<![0-9])(?:[0-2]?[0-9]|3[01])(?:st|nd|rd|th)?(?![0-9])")


@dataclass(frozen=True)
class Detection:
    """One finding in a text.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    start, end : int
        Character offsets in the original text.
    text : str
        What was found (the analyst's files only: never published).
    score : float
        The recogniser's confidence, 0 to 1.
    rule : str
        Which recogniser or rule found it ("a given name", "UK_NHS", ...).
    certain : bool
        Redacted without asking (``True``) or the reason the text is held (``False``).
    """

    kind: str
    start: int
    end: int
    text: str
    score: float
    rule: str
    certain: bool


@dataclass(frozen=True)
class ScreenResult:
    """The screen's verdict on one text.

    Attributes
    ----------
    original : str
        The text as it came (the analyst's files only).
    text : str
        The text to publish: certain findings replaced by :data:`PLACEHOLDERS`.
    status : {"clean", "redacted", "held"}
    detections : tuple of Detection
        Every finding, in text order.
    """

    original: str
    text: str
    status: Literal["clean", "redacted", "held"]
    detections: tuple[Detection, ...] = field(default=())

    @property
    def uncertain(self) -> tuple[Detection, ...]:
        """The findings the screen is unsure of: why the text is held."""
        return tuple(d for d in self.detections if not d.certain)

    def reasons(self) -> str:
        """A line for the review list: each finding's kind, rule and text ("name (a given name: 'Chloe')")."""
        return "; ".join(
            f"{'unsure: ' if not d.certain else ''}{d.kind} ({d.rule}: {d.text!r})" for d in self.detections
        )

    def decided(self, decision: str) -> str | None:
        """The text to publish after an analyst's ``decision`` (:data:`DECISIONS`), ``None`` when withheld."""
        if decision == "withhold":
            return None
        if decision == "publish":
            return self.text
        return _replace(self.original, self.detections)


def text_id(text: str) -> str:
    """A short, stable id for a text, for an analyst's decisions file: 12 hex digits of its sha256.

    Examples
    --------
    >>> text_id("my daughter Chloe")
    '5ffa114ba281'
    """
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


def _replace(text: str, detections: Iterable[Detection]) -> str:
    """``text`` with each detection replaced by its placeholder (Presidio's anonymizer)."""
    from presidio_anonymizer import RecognizerResult
    from presidio_anonymizer.entities import OperatorConfig

    found = list(detections)
    if not found:
        return text
    results = [RecognizerResult(d.kind, d.start, d.end, d.score) for d in found]
    operators = {kind: OperatorConfig("replace", {"new_value": PLACEHOLDERS[kind]}) for kind in {d.kind for d in found}}
    return _anonymizer().anonymize(text=text, analyzer_results=results, operators=operators).text


@cache
def _anonymizer() -> Any:
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()


class Screener:
    """Finds personal data in free text and redacts it: Presidio's analyzer with circles' recognisers.

    Parameters
    ----------
    people : iterable of str
        Names the run knows: speakers, participants, staff. Always redacted.
    public : iterable of str
        Names known to be public: services, organisations, wards, the codebook's codes. Never redacted.

    Examples
    --------
    >>> screen = Screener(people=["Dean Walsh"], public=["Early Help"])
    >>> result = screen.screen("My daughter Chloe saw Dean Walsh at Early Help, ring 07700 900123.")
    >>> result.status, result.text
    ('redacted', 'My daughter [name] saw [name] at Early Help, ring [phone].')
    >>> screen.screen("Nobody from Frobisham came.").status
    'held'
    """

    def __init__(self, people: Iterable[str] = (), public: Iterable[str] = ()) -> None:
        self.people = tuple(p for p in people if isinstance(p, str) and p.strip())
        self.public = tuple(p for p in public if isinstance(p, str) and p.strip())
        self._seen: dict[str, ScreenResult] = {}

    @cached_property
    def analyzer(self) -> Any:
        """The Presidio analyzer (built on first use: importing spaCy takes a second)."""
        from circles.ingest.screening.recognisers import build_analyzer

        return build_analyzer(self.people, self.public)

    def detect(self, text: str) -> list[Detection]:
        """Every finding in ``text``, overlaps resolved (:data:`KINDS` order, then the longer span), in order."""
        if not isinstance(text, str) or not text.strip():
            return []
        return _resolve(_detections(text, self.analyzer.analyze(text=text, language="en")))

    def screen(self, text: str) -> ScreenResult:
        """Screen one text: ``clean``, ``redacted`` (certain findings replaced) or ``held`` (an uncertain one)."""
        if text in self._seen:
            return self._seen[text]
        found = self.detect(text)
        if not found:
            result = ScreenResult(text, text, "clean", ())
        else:
            redacted = _replace(text, [d for d in found if d.certain])
            status = "held" if any(not d.certain for d in found) else "redacted"
            result = ScreenResult(text, redacted, status, tuple(found))
        self._seen[text] = result
        return result

    def screen_column(
        self, frame: pd.DataFrame, column: str, *, decisions: Mapping[str, str] | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Screen a text column: the rows to publish (text redacted) and the rows held for review.

        Parameters
        ----------
        frame : pandas.DataFrame
        column : str
            The free-text column.
        decisions : mapping of str to str, optional
            An analyst's decisions on held texts, by :func:`text_id` of the original: ``publish``, ``redact``
            or ``withhold`` (:data:`DECISIONS`).

        Returns
        -------
        published : pandas.DataFrame
            ``frame`` without the held and withheld rows, ``column`` redacted, and a ``screening`` column
            (``clean``, ``redacted``, or ``reviewed: publish|redact``).
        held : pandas.DataFrame
            The held rows as they came, with ``text_id``, ``found`` (what and why) and ``decision`` (blank
            until an analyst decides; ``withhold`` kept so the list shows it).
        """
        decisions = dict(decisions or {})
        texts, statuses, keep, held_rows = [], [], [], []
        for index, value in frame[column].items():
            result = self.screen(value if isinstance(value, str) else "")
            decision = decisions.get(text_id(result.original), "") if result.status == "held" else ""
            if result.status == "held" and decision in ("publish", "redact"):
                texts.append(result.decided(decision))
                statuses.append(f"reviewed: {decision}")
                keep.append(index)
            elif result.status == "held":
                held_rows.append((index, text_id(result.original), result.reasons(), decision))
            else:
                texts.append(result.text if isinstance(value, str) else value)
                statuses.append(result.status)
                keep.append(index)
        published = frame.loc[keep].copy()
        published[column] = texts
        published["screening"] = statuses
        held = frame.loc[[i for i, *_ in held_rows]].copy()
        held.insert(0, "text_id", [t for _, t, _, _ in held_rows])
        held["found"] = [f for _, _, f, _ in held_rows]
        held["decision"] = [d for *_, d in held_rows]
        return published, held


def _detections(text: str, results: Iterable[Any], kinds: Iterable[str] = KINDS) -> list[Detection]:
    """Presidio's results as :class:`Detection` s: phone numbers as people write them, full dates only (of
    birth after "born", "DOB"...), uncertain names and places below the hold score dropped."""
    from circles.ingest.screening.recognisers import HOLD, REDACT

    wanted = set(kinds)
    found = []
    for result in results:
        kind = _ENTITY_KIND.get(result.entity_type)
        if kind is None or (kind not in STRUCTURED and result.score < HOLD):
            continue
        start, end = result.start, result.end
        if kind == "phone":  # the matcher takes ", extension 2" in: keep the number itself
            body = _PHONE_BODY.match(text, start, end)  # none: a digit, then a dot or a slash ("0/7.5/074204")
            end = start + len(body.group()) if body else start
            if not body or not _phone_shaped(text[start:end], text[start - 1 : start], text[end : end + 1]):
                continue
        span = text[start:end]
        if kind == "email" and "/" in span:  # "tiktok.com/@name": a profile address, not an e-mail address
            kind = "url"
        if kind == "date":
            if not _full_date(span):
                continue
            if _DOB_CUE.search(text[max(0, start - 40) : start]):
                kind = "date_of_birth"
        if kind not in wanted:
            continue
        meta = result.recognition_metadata or {}
        rule = meta.get("reason") or result.entity_type
        certain = kind in STRUCTURED or result.score >= REDACT
        found.append(Detection(kind, start, end, span, round(float(result.score), 2), rule, certain))
    return found


#: What :func:`find_structured` looks for by default: what ``circles audit`` flags in any published file.
AUDITED = ("phone", "email", "nhs_number", "date_of_birth")


def find_structured(text: str, kinds: Iterable[str] = AUDITED) -> list[Detection]:
    """Phone numbers, e-mail addresses, NHS numbers and dates of birth in ``text`` (or the ``kinds`` asked for,
    of :data:`STRUCTURED`), fast enough for whole files: Presidio's pattern recognisers without its NLP engine.

    Examples
    --------
    >>> [(d.kind, d.text) for d in find_structured("DOB 14/02/2012, NHS 943 476 5919, ring 07700 900123")]
    [('date_of_birth', '14/02/2012'), ('nhs_number', '943 476 5919'), ('phone', '07700 900123')]
    """
    from circles.ingest.screening.recognisers import structured_recognisers

    kinds = tuple(kinds)
    unknown = set(kinds) - STRUCTURED
    if unknown:
        raise ValueError(f"find_structured finds only {sorted(STRUCTURED)}, not {sorted(unknown)}")
    if not text:
        return []
    # a date is kept only as a date of birth, after a cue word: a text without one anywhere holds none to find
    dated = "date" in kinds or _DOB_WORD.search(text) is not None
    results = []
    for recogniser in structured_recognisers(kinds):
        if "DATE_TIME" in recogniser.supported_entities and not dated:
            continue
        # the phone matcher parses every digit run it meets: it reads only the lines that may hold a phone number
        read = _phone_lines(text) if "PHONE_NUMBER" in recogniser.supported_entities else text
        if read.strip():
            results += recogniser.analyze(read, entities=recogniser.supported_entities, nlp_artifacts=None)
    return _resolve(_detections(text, results, kinds))


def _phone_lines(text: str) -> str:
    """``text`` with every line blanked (same length, so the same offsets) but those holding a span that
    :func:`_phone_shaped` accepts: what the phone matcher finds elsewhere would be dropped anyway, and a table
    of rates or coordinates is thousands of digit runs for it to parse."""
    keep: list[tuple[int, int]] = []
    for run in _PHONE_RUN.finditer(text):
        if run.end() - run.start() < 10 or _decimals(text, run):
            continue
        if len(_ASCII_DIGITS.findall(run.group())) >= 10 and _holds_phone(text, run.start(), run.end()):
            start = text.rfind("\n", 0, run.start()) + 1
            end = text.find("\n", run.end())
            keep.append((start, len(text) if end < 0 else end))
    if not keep:
        return ""
    parts, at = [], 0
    for start, end in keep:
        if start > at:
            parts.append(_BLANK.sub(" ", text[at:start]))
        parts.append(text[max(start, at) : end])
        at = max(at, end)
    parts.append(_BLANK.sub(" ", text[at:]))
    return "".join(parts)


_BLANK = re.compile(r"[^\n]")


def _decimals(text: str, run: re.Match[str]) -> bool:
    """Whether a :data:`_PHONE_RUN` is digits only, straight after a letter, a digit or one of ``._/`` (the
    decimals of ``12.345678901234567``, the rest of a code): no span of it is :func:`_phone_shaped`, since every
    span starts after such a character, so :func:`_holds_phone` need not try each one (a table of rates is a
    quarter of a million of them)."""
    before = text[run.start() - 1 : run.start()]
    return bool(before) and (before.isalnum() or before in "._/") and run.group().isdigit()


def _holds_phone(text: str, start: int, end: int) -> bool:
    """Whether some span of ``text[start:end]`` (a :data:`_PHONE_RUN`) is :func:`_phone_shaped` in place."""
    for first in range(start, end):
        if text[first] not in "+(0":
            continue
        digits = 0
        for last in range(first, end):
            if text[last].isascii() and text[last].isdigit():
                digits += 1
                if digits > 13:  # "0044" and 10 more is the longest
                    break
                if digits >= 10 and _phone_shaped(
                    text[first : last + 1], text[first - 1 : first], text[last + 1 : last + 2]
                ):
                    return True
    return False


def _phone_shaped(span: str, before: str = "", after: str = "") -> bool:
    """A UK phone number as people write it: 0 and 9 or 10 more digits (+44 for the 0), standing alone (not
    inside a longer number, a decimal or a code)."""
    if (before and (before.isalnum() or before in "._/")) or (after and (after.isalnum() or after == "_")):
        return False
    stripped = span.lstrip("( ").replace("(0)", "")
    digits = re.sub(r"[^0-9]", "", stripped)
    if stripped.startswith(("+44", "0044")):
        digits = "0" + digits[4 if stripped.startswith("0044") else 2 :]
    elif not stripped.startswith("0"):
        return False
    return len(digits) in (10, 11) and not digits.startswith("00")


def _full_date(span: str) -> bool:
    """A date with a day, a month and a year: not "March", "2019" or "last March"."""
    if _NUMERIC_DATE.search(span):
        return True
    return bool(_HAS_YEAR.search(span) and _HAS_DAY.search(_HAS_YEAR.sub("", span)))


def _resolve(found: list[Detection]) -> list[Detection]:
    """Drop findings overlapping a stronger one: certain before unsure, then the longer span (a phone number
    holding digits that pass as an NHS number), then earlier in :data:`KINDS`."""
    rank = {kind: i for i, kind in enumerate(KINDS)}
    order = sorted(found, key=lambda d: (not d.certain, -(d.end - d.start), rank[d.kind], d.start))
    kept: list[Detection] = []
    for d in order:
        if not any(d.start < k.end and k.start < d.end for k in kept):
            kept.append(d)
    return sorted(kept, key=lambda d: d.start)
