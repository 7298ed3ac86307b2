"""What the audit reads in a markup file (HTML, SVG, XML): its text twice, with its tags and without them.

Line numbers stay those of the file (whatever is left out is blanked to its line breaks), so a finding names the
line to look at. Left out before reading, as they can hold no one's details: plotly.js embedded in an interactive
page (code, as a ``.js`` file beside it is), geometry attributes (an SVG's path data) and GeoJSON coordinates in
an interactive map's data: numbers by the thousand that would only look like phone numbers.
"""

from __future__ import annotations

import functools
import html
import re
from bisect import bisect_right
from collections.abc import Callable

__all__ = ["MARKUP", "line_locator", "markup_texts"]

#: Suffixes read as markup.
MARKUP = frozenset({".html", ".htm", ".xhtml", ".svg", ".xml", ".qdc", ".qde"})

_TAG = re.compile(r"<[^>]*>")
#: Geometry attributes of SVG and HTML: numbers only.
_GEOMETRY = re.compile(r'\s(?:d|points|transform|viewBox|x|y|x1|x2|y1|y2|cx|cy|r|rx|ry|width|height)="[^"<>]*"')
#: GeoJSON geometry in an interactive map's data (``"coordinates": [[[-2.48, 53.74], ...]]``): numbers only.
_COORDINATES = re.compile(r'"coordinates":\s*\[[-0-9.eE+,\[\]\s]*')


_NEWLINE = re.compile(r"\n")


def line_locator(text: str, suffix: str = "") -> Callable[[int], str]:
    r"""Where an offset of ``text`` is: ``"line 3"`` (and ``suffix``, e.g. the member of an archive).

    Examples
    --------
    >>> line_locator("a\nb\nc")(4)
    'line 3'
    """
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    return lambda offset: f"line {bisect_right(starts, offset)}{suffix}"


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


@functools.cache
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _without_plotlyjs(text: str) -> str:
    if "Plotly" not in text:
        return text
    bundle = _plotlyjs()
    return text.replace(bundle, "\n" * bundle.count("\n")) if bundle in text else text


def _unescape(text: str) -> str:
    """Decode entities line by line, so line numbers stay those of the file."""
    return "\n".join(html.unescape(line).replace("\n", " ") for line in text.split("\n"))


def markup_texts(raw: str) -> tuple[str, str]:
    r"""The text of a markup file with its tags (attributes can hold text) and without them (text split by tags).

    Examples
    --------
    >>> with_tags, without = markup_texts('<p title="Ann">Hi &amp; bye</p>\n<path d="M 01234 567890 L 1 2"/>')
    >>> with_tags.splitlines()
    ['<p title="Ann">Hi & bye</p>', '<path                         />']
    >>> without.split()
    ['Hi', '&', 'bye']
    """
    raw = _COORDINATES.sub(_blank, _GEOMETRY.sub(_blank, _without_plotlyjs(raw)))
    return _unescape(raw), _unescape(_TAG.sub(_blank, raw))
