"""What must not appear in a report (:class:`Secrets`) and the scanner that finds it in text.

:mod:`circles.pipeline.audit` builds one scanner per audit and runs every piece of text it reads from a report
folder through it. A hit carries the normalised secret only to deduplicate findings; it is never shown.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Secrets", "MIN_SECRET_LENGTH", "update_digest"]

#: Secrets shorter than this (after normalising) are dropped: a 1-3 character value such as ``"M"``, ``"12"``
#: or ``"Lee"`` occurs by chance in any report, so searching for it would flag everything and protect nothing.
MIN_SECRET_LENGTH = 4

_TOKEN = re.compile(r"[^\W_]+")  # runs of letters and digits (any script); punctuation and _ split tokens
_WHITESPACE = re.compile(r"\s+")
_NON_SPACE = re.compile(r"\S+")
_TEN_DIGITS = re.compile(r"[0-9]{10}")
_NHS_VALUE = re.compile(r"[0-9]{3}[\s-]*[0-9]{3}[\s-]*[0-9]{4}")
# a 10-digit number, optionally with one space or dash after the 3rd and the 6th digit: 943 476 5919
_NHS_TEXT = re.compile(r"(?<![0-9])[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}(?![0-9])")
_POSTCODE_VALUE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_POSTCODE_TEXT = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s*([0-9][A-Za-z]{2})(?![A-Za-z0-9])")


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str) or not pd.api.types.is_scalar(value):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_text(value: Any) -> str | None:
    """A secret value as stripped text with whitespace runs collapsed, or ``None`` when missing."""
    if isinstance(value, str):  # most values: split() and \s agree on what whitespace is
        return " ".join(value.split()) or None
    if _is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an NHS number read as a float: 9434765919.0
    text = _WHITESPACE.sub(" ", str(value)).strip()
    return text or None


def _keep(values: Iterable[str | None]) -> frozenset[str]:
    return frozenset(v for v in values if v is not None and len(v) >= MIN_SECRET_LENGTH)


@dataclass(frozen=True)
class Secrets:
    """What must not appear in a report.

    Build it with :meth:`from_values`, which normalises the values; the audit compares case-insensitively.

    Attributes
    ----------
    identifiers : frozenset of str
        Clear identifiers from the inputs: client ids, family ids, NHS numbers (stored as 10 digits), names
        (may contain spaces), dates of birth, addresses.
    pseudonyms : frozenset of str
        Pseudonyms the run computed (hex strings).
    postcodes : frozenset of str
        Full postcodes from the inputs, compact and upper case (``"BB21AA"``).
    """

    identifiers: frozenset[str] = frozenset()
    pseudonyms: frozenset[str] = frozenset()
    postcodes: frozenset[str] = frozenset()

    @classmethod
    def from_values(
        cls,
        *,
        identifiers: Iterable[Any] = (),
        pseudonyms: Iterable[Any] = (),
        postcodes: Iterable[Any] = (),
    ) -> Secrets:
        """Normalise raw values (e.g. input columns) into a :class:`Secrets`.

        Every value is converted to text and stripped, and runs of whitespace become one space; missing
        values (``None``, NaN, ``<NA>``) and blanks are dropped. Values shorter than
        :data:`MIN_SECRET_LENGTH` (4) characters are dropped too: they are too short to search for
        meaningfully (``"M"`` or ``"Lee"`` occur by chance in any text). Whole floats become integers
        (``9434765919.0`` -> ``"9434765919"``).

        Identifiers shaped like an NHS number (10 digits, possibly written ``943 476 5919`` or
        ``943-476-5919``) are stored as the 10 digits. Postcodes are stored compact and upper case
        (``"bb2 1aa"`` -> ``"BB21AA"``); a value that is not shaped like a full postcode (a district such as
        ``"BB2"``, ``"NFA"``, ``"UNKNOWN"``) is dropped, as it is not a full postcode and could never be found.

        Parameters
        ----------
        identifiers, pseudonyms, postcodes : iterable
            Raw values; a pandas Series works.

        Examples
        --------
        >>> s = Secrets.from_values(identifiers=["C000123", " 943 476 5919 ", "Jane  Doe", "M", None],
        ...                         postcodes=["bb2 1aa", "BB2", "UNKNOWN"])
        >>> sorted(s.identifiers)
        ['9434765919', 'C000123', 'Jane Doe']
        >>> sorted(s.postcodes)
        ['BB21AA']
        """
        clear = []
        for value in identifiers:
            text = _as_text(value)
            if text is not None and _NHS_VALUE.fullmatch(text):
                text = re.sub(r"[\s-]", "", text)
            clear.append(text)
        compact = []
        for value in postcodes:
            text = _as_text(value)
            if text is not None:
                text = text.replace(" ", "").upper()
                compact.append(text if _POSTCODE_VALUE.fullmatch(text) else None)
        return cls(
            identifiers=_keep(clear),
            pseudonyms=_keep(_as_text(v) for v in pseudonyms),
            postcodes=_keep(compact),
        )


# --------------------------------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class _Hit:
    offset: int  # where in the scanned text (for line numbers)
    kind: str
    key: str  # the normalised secret: used to deduplicate, never shown
    detail: str


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex matching any of ``words`` (longest first), built as a trie so it runs in one pass."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(root)


def _key(value: str) -> str:
    """A secret as the scanner compares it: whitespace collapsed, casefolded."""
    return " ".join(value.split()).casefold()


#: What ``str.split()`` takes for whitespace among ASCII characters.
_ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]+"


#: pandas' SipHash key (:func:`pandas.util.hash_array`'s default).
_HASH_KEY = "0123456789123456"
try:  # the SipHash pandas.util.hash_array starts from: a microsecond for a few words, where its checks take ten
    from pandas._libs.hashing import hash_object_array as _siphash
except ImportError:  # pragma: no cover - a pandas that moved it: the public function, slower on short texts
    _siphash = None


def _hashes(values: Any) -> np.ndarray:
    """A 64-bit SipHash-2-4 of each string with pandas' fixed key: the same text always the same hash, in any
    process. (Only compared with hashes made here: the public :func:`pandas.util.hash_array`, used when pandas'
    internal function cannot be imported, mixes its bits further, so its hashes differ.)"""
    values = np.asarray(values, dtype=object)
    if _siphash is not None:
        return _siphash(values, _HASH_KEY, "utf8")
    return pd.util.hash_array(values, hash_key=_HASH_KEY, categorize=False)


class _HashSet:
    """Strings held as their sorted 64-bit hashes: 8 bytes a secret where a Python set of the strings took about
    a hundred and fifty (10,000,000 pseudonyms and identifiers: 160 MB instead of several GB).

    Two different strings share a hash with odds of about one in 2**64 a pair: a hundred million distinct words
    against thirty million secrets would be falsely flagged about once in six thousand such audits (a national
    report holds far fewer distinct words), and a false flag only holds the report back for a look; a secret is
    never missed.
    """

    def __init__(self, hashes: np.ndarray) -> None:
        ordered = np.sort(np.asarray(hashes, dtype=np.uint64))  # numpy 2.4's unique took 2 s for 2,000,000; this 0.02
        self.sorted = ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if len(ordered) else ordered

    def __len__(self) -> int:
        return len(self.sorted)

    def holds(self, hashes: np.ndarray) -> np.ndarray:
        """Whether each of ``hashes`` is in the set."""
        if not len(self.sorted):
            return np.zeros(len(hashes), dtype=bool)
        at = np.minimum(np.searchsorted(self.sorted, hashes), len(self.sorted) - 1)
        return self.sorted[at] == hashes

    def __contains__(self, text: str) -> bool:
        return bool(self.holds(_hashes([text]))[0])


#: Words of the scanned text the scanner remembers having looked up (a few tens of MB at most).
_MEMO_WORDS = 200_000
#: Secrets keyed at a time: the Python strings Arrow makes for one slice are dropped once hashed.
_SLICE = 1_000_000


def _keys(values: Collection[str]) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    """The hashes (:func:`_hashes`) of the secrets' keys (:func:`_key`) made only of letters and digits, the
    hashes of those that are 10 digits, and the other keys with their secrets (phrases). A million ASCII secrets
    (client ids, pseudonyms) are keyed by Arrow in a fraction of a second; anything else one by one, as
    :func:`_key` does."""
    values = list(values)
    text = pa.array(values, type=pa.large_string())
    if not pc.all(pc.string_is_ascii(text)).as_py():  # casefold is lower() for ASCII only
        keys = [_key(v) for v in values]
        token = [bool(_TOKEN.fullmatch(k)) for k in keys]
        tokens = [k for k, t in zip(keys, token, strict=True) if t]
        return (
            _hashes(tokens),
            _hashes([k for k in tokens if _TEN_DIGITS.fullmatch(k)]),
            [(k, v) for k, v, t in zip(keys, values, token, strict=True) if not t],
        )
    del values
    token_hashes, ten_hashes, phrases = [], [], []
    for start in range(0, len(text), _SLICE):
        part = text.slice(start, _SLICE)
        keys = pc.utf8_lower(pc.utf8_trim(pc.replace_substring_regex(part, _ASCII_SPACE, " "), " "))
        token = pc.match_substring_regex(keys, r"^[A-Za-z0-9]+$")
        ten = pc.and_(token, pc.match_substring_regex(keys, r"^[0-9]{10}$"))
        other = pc.invert(token)
        token_hashes.append(_hashes(pc.filter(keys, token).to_numpy(zero_copy_only=False)))
        ten_hashes.append(_hashes(pc.filter(keys, ten).to_numpy(zero_copy_only=False)))
        phrases += zip(pc.filter(keys, other).to_pylist(), pc.filter(part, other).to_pylist(), strict=True)
    empty = [np.array([], dtype=np.uint64)]
    return np.concatenate(token_hashes + empty), np.concatenate(ten_hashes + empty), phrases


def update_digest(digest: Any, values: Collection[str]) -> None:
    """Feed a set of strings to a ``hashlib`` digest, whatever their order: their number, then the sorted 64-bit
    hashes of :func:`_hashes` (SipHash). A million secrets take a third of a second where
    ``sorted`` and ``join`` took about a second; a different set collides with odds of about one in 2**64 a
    pair, so the audit's cache keys (which use it) stay sound.

    Examples
    --------
    >>> import hashlib
    >>> a, b = hashlib.sha256(), hashlib.sha256()
    >>> update_digest(a, {"C000123", "C000124"}); update_digest(b, ["C000124", "C000123"])
    >>> a.hexdigest() == b.hexdigest()
    True
    """
    digest.update(len(values).to_bytes(8, "little"))
    if values:
        hashes = _hashes(np.fromiter(values, dtype=object, count=len(values)))
        hashes.sort()
        digest.update(hashes.tobytes())


def _describe(kind: str, secret: str) -> str:
    if kind == "pseudonym":
        return f"a pseudonym computed by the run ({len(secret)} characters)"
    words = len(secret.split(" "))
    shape = f"{len(secret)} characters" + (f", {words} words" if words > 1 else "")
    return f"an identifier from the inputs ({shape})"


class _Scanner:
    """Finds secrets in text. Built once per audit; every lookup is a sorted-hash search or one-pass regex."""

    def __init__(self, secrets: Secrets) -> None:
        self.secrets = secrets
        phrases: dict[str, tuple[str, str]] = {}
        tokens: dict[str, _HashSet] = {}
        nhs: list[np.ndarray] = []
        # identifiers last: a value that is both is reported as an identifier
        for kind, values in (("pseudonym", secrets.pseudonyms), ("identifier", secrets.identifiers)):
            keys, ten_digits, kind_phrases = _keys(values)
            tokens[kind] = _HashSet(keys)
            nhs.append(ten_digits)
            phrases.update((key, (kind, value)) for key, value in kind_phrases)
        self.identifier_tokens, self.pseudonym_tokens = tokens["identifier"], tokens["pseudonym"]
        self.phrases = phrases
        # values with whitespace or punctuation: one trie regex over whitespace-collapsed, casefolded text,
        # matched as whole words (a letter or digit may not touch either end)
        self.phrase_re = re.compile(r"(?<![^\W_])" + _trie_pattern(phrases) + r"(?![^\W_])") if phrases else None
        self.nhs = _HashSet(np.concatenate(nhs))
        self.postcodes = secrets.postcodes
        self._memo: dict[str, bool] = {}  # a word looked up -> whether it is a secret's key

    def _found(self, text: str) -> set[str]:
        """The casefolded words of ``text`` that are a pseudonym's or an identifier's key.

        A word shorter than any secret is passed over, and a word already looked up is remembered (up to
        :data:`_MEMO_WORDS` of them): the audit reads many short cells that repeat their words, and hashing a
        handful of words costs ten times a set lookup."""
        distinct = {w for w in set(_TOKEN.findall(text.casefold())) if len(w) >= MIN_SECRET_LENGTH}
        memo = self._memo
        found = {w for w in distinct if memo.get(w)}
        new = [w for w in distinct if w not in memo]
        if new:
            hashes = _hashes(new)
            hit = (self.identifier_tokens.holds(hashes) | self.pseudonym_tokens.holds(hashes)).tolist()
            found.update(w for w, h in zip(new, hit, strict=True) if h)
            if len(memo) < _MEMO_WORDS:
                memo.update(zip(new, hit, strict=True))
        return found

    def scan(self, text: str) -> list[_Hit]:
        """Every secret in ``text``, with its offset."""
        hits: list[_Hit] = []
        if len(self.identifier_tokens) or len(self.pseudonym_tokens):
            found = self._found(text)
            if found:
                for match in _TOKEN.finditer(text):
                    key = match.group().casefold()
                    if key in found:
                        kind = "identifier" if key in self.identifier_tokens else "pseudonym"
                        hits.append(_Hit(match.start(), kind, key, _describe(kind, match.group())))
        if len(self.nhs):
            for match in _NHS_TEXT.finditer(text):
                written = match.group()
                digits = written.replace(" ", "").replace("-", "")
                if len(written) > 10 and digits in self.nhs:
                    detail = "an identifier from the inputs, written with spaces or dashes (10 digits)"
                    hits.append(_Hit(match.start(), "identifier", digits, detail))
        if self.postcodes:
            for match in _POSTCODE_TEXT.finditer(text):
                compact = (match.group(1) + match.group(2)).upper()
                if compact in self.postcodes:
                    detail = "a full postcode from the inputs (publish the district only, or mask the inward code)"
                    hits.append(_Hit(match.start(), "postcode", compact, detail))
        if self.phrase_re is not None:
            hits.extend(self._phrases(text))
        return hits

    def _phrases(self, text: str) -> Iterator[_Hit]:
        assert self.phrase_re is not None
        if not self.phrase_re.search(" ".join(text.split()).casefold()):
            return  # the common case, without the bookkeeping below
        pieces = list(_NON_SPACE.finditer(text))
        starts, folded, position = [], [], 0
        for piece in pieces:  # casefold piece by piece, so a match maps back to the piece (and line) it starts in
            starts.append(position)
            word = piece.group().casefold()
            folded.append(word)
            position += len(word) + 1
        for match in self.phrase_re.finditer(" ".join(folded)):
            key = match.group()
            kind, value = self.phrases[key]
            piece = pieces[bisect_right(starts, match.start()) - 1]
            yield _Hit(piece.start(), kind, key, _describe(kind, value))

    def clean(self, text: str) -> bool:
        return not self.scan(text)
