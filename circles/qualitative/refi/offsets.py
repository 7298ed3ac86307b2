"""Offset conventions: positions counted as Python code points, UTF-16 code units (NVivo) or CRLF as one.

See the section *Offsets* of :mod:`circles.qualitative.refi` for which tool counts how, and how
:func:`~circles.qualitative.refi.import_project` chooses a convention.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from circles.errors import RefiError
from circles.validation import suggest

__all__ = ["CONVENTIONS", "to_python_offsets", "from_python_offsets"]

#: Offset conventions, see :mod:`circles.qualitative.refi`.
CONVENTIONS: tuple[str, ...] = ("python", "utf16", "crlf_as_one")
_PREFERENCE = ("python", "crlf_as_one", "utf16")


def _check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise RefiError(
            f"Unknown offset convention {convention!r}; use one of {', '.join(CONVENTIONS)}."
            + suggest(str(convention), CONVENTIONS)
        )
    return convention


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _units_at(text: str, convention: str) -> np.ndarray:
    """``units[i]`` is the position, in ``convention``, of Python index ``i`` (``0 <= i <= len(text)``)."""
    n = len(text)
    units = np.zeros(n + 1, dtype=np.int64)
    if convention == "python" or n == 0:
        units[:] = np.arange(n + 1)
        return units
    cps = _code_points(text)
    if convention == "utf16":
        weights = 1 + (cps > 0xFFFF).astype(np.int64)
    else:  # crlf_as_one: the LF of a CRLF adds nothing
        weights = np.ones(n, dtype=np.int64)
        weights[1:][(cps[1:] == 10) & (cps[:-1] == 13)] = 0
    np.cumsum(weights, out=units[1:])
    return units


def _to_python_lenient(units: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Python indices for ``positions`` and a mask of those that exist (not past the end, not mid-character)."""
    index = np.searchsorted(units, positions, side="right") - 1
    clipped = np.clip(index, 0, len(units) - 1)
    valid = (positions >= 0) & (index >= 0) & (units[clipped] == positions)
    return clipped, valid


def to_python_offsets(text: str, positions: ArrayLike, convention: str) -> np.ndarray:
    """Convert positions counted in ``convention`` into Python (code point) indices of ``text``.

    ``text`` is the source text without a BOM. Works on any array shape; raises :class:`RefiError` for a
    position past the end or, in ``"utf16"``, in the middle of a surrogate pair. In ``"crlf_as_one"`` the
    position of a CRLF maps to the index of its CR, the next one to the index after its LF.

    Examples
    --------
    >>> text = "a\\U0001F600b\\r\\nc"          # a, grinning face, b, CR, LF, c
    >>> to_python_offsets(text, [0, 3, 6, 7], "utf16").tolist()     # a, b, c, end
    [0, 2, 5, 6]
    >>> to_python_offsets(text, [2, 3, 4, 5], "crlf_as_one").tolist()  # b, CRLF, c, end
    [2, 3, 5, 6]
    """
    _check_convention(convention)
    array = np.asarray(positions, dtype=np.int64)
    units = _units_at(text, convention)
    python, valid = _to_python_lenient(units, array.ravel())
    if not valid.all():
        bad = array.ravel()[~valid]
        raise RefiError(
            f"{len(bad)} position(s) cannot be converted from {convention!r} (first: {int(bad[0])}): the text has "
            f"{int(units[-1])} {convention} units; a position past the end or inside a character cannot be used."
        )
    return python.reshape(array.shape)


def from_python_offsets(text: str, positions: ArrayLike, convention: str) -> np.ndarray:
    """Convert Python (code point) indices of ``text`` into positions counted in ``convention``.

    The inverse of :func:`to_python_offsets`, except that in ``"crlf_as_one"`` an index between a CR and its LF
    maps to the position after the pair. Raises :class:`RefiError` for an index outside ``0..len(text)``.

    Examples
    --------
    >>> text = "a\\U0001F600b\\r\\nc"
    >>> from_python_offsets(text, [5, 6], "python").tolist()
    [5, 6]
    >>> from_python_offsets(text, [5, 6], "utf16").tolist()          # the emoji is two UTF-16 units
    [6, 7]
    >>> from_python_offsets(text, [5, 6], "crlf_as_one").tolist()    # CRLF is one
    [4, 5]
    """
    _check_convention(convention)
    array = np.asarray(positions, dtype=np.int64)
    bad = array[(array < 0) | (array > len(text))]
    if bad.size:
        raise RefiError(
            f"{bad.size} offset(s) outside the text (first: {int(bad.ravel()[0])}; the text has {len(text)} "
            "characters)."
        )
    return _units_at(text, convention)[array]


def _clean_mask(text: str, python: np.ndarray) -> np.ndarray:
    """True where an index does not cut a word in two nor fall between CR and LF."""
    n = len(text)
    alnum = np.zeros(n + 2, dtype=bool)
    alnum[1:-1] = np.fromiter((c.isalnum() for c in text), dtype=bool, count=n)
    cps = np.zeros(n + 2, dtype=np.int64)
    cps[1:-1] = _code_points(text)
    cuts_word = alnum[python] & alnum[python + 1]
    mid_crlf = (cps[python] == 13) & (cps[python + 1] == 10)
    return ~(cuts_word | mid_crlf)


def _detect(selections: list[tuple[str, np.ndarray, np.ndarray]], first: str | None) -> tuple[str, str, list[str]]:
    """Choose the convention putting most selection ends on clean boundaries; ``first`` wins ties.

    Also returns the conventions that score the same but place some selection elsewhere (an ambiguity).
    """
    order = ([first] if first else []) + [c for c in _PREFERENCE if c != first]
    results: dict[str, tuple[int, int, list[np.ndarray]]] = {}
    for convention in order:
        clean = invalid = 0
        mapped = []
        for text, starts, ends in selections:
            units = _units_at(text, convention)
            s, s_ok = _to_python_lenient(units, starts)
            e, e_ok = _to_python_lenient(units, ends)
            ok = s_ok & e_ok & (s <= e)
            invalid += int((~ok).sum())
            clean += int(_clean_mask(text, s[ok]).sum() + _clean_mask(text, e[ok]).sum())
            mapped.append(np.where(ok, s, -1))
            mapped.append(np.where(ok, e, -1))
        results[convention] = (invalid, clean, mapped)
    best = min(order, key=lambda c: (results[c][0], -results[c][1]))
    total = 2 * sum(len(s) for _, s, _ in selections)
    scores = ", ".join(f"{c} {results[c][1]}" + (f" ({results[c][0]} invalid)" if results[c][0] else "") for c in order)
    reason = f"detected: {results[best][1]} of {total} selection ends on word boundaries ({scores})"
    tied = [
        c
        for c in order
        if c != best
        and results[c][:2] == results[best][:2]
        and not all(np.array_equal(a, b) for a, b in zip(results[c][2], results[best][2], strict=True))
    ]
    return best, reason, tied
