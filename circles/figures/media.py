"""Where a figure is printed: its size on the pack page and its smallest type, and its vector (SVG) copy.

A figure drawn at A4 and shrunk into a pack's text column shrinks its text with it (a 7 pt legend placed at
40% is under 3 pt). So every figure a pack shows is drawn **at the size it is printed**, for one :class:`Medium`,
and written as SVG with its text kept as text (``svg.fonttype: none``): WeasyPrint lays that text out with the
pack's own embedded font, so the PDF holds real characters of a known size that a reader — and
``tests/packs/test_reading.py`` — can check.

Media (text width × the most height a figure may take, in millimetres; page margins from ``print.css`` and
``large.css``):

=============  ==============  ===========  ==============================================
key            size (mm)       smallest     used by
=============  ==============  ===========  ==============================================
``print``      174 × 200       7 pt         A4 packs, and maps in the A3 challenge pack
``large``      178 × 160       16 pt        large-print packs (RNIB clear print)
``wall``       384 × 215       7 pt         A3 landscape challenge pack: circle, network
``wall_large`` 388 × 190       16 pt        large-print challenge pack
=============  ==============  ===========  ==============================================

A figure function that draws for packs takes ``medium: Medium`` and sizes every piece of text from
:attr:`Medium.type` (never a literal point size), and :func:`save_svg` writes ``<stem>_<medium.key>.svg``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

from circles.io.writers import atomic_path

__all__ = ["Medium", "MEDIA", "PACK_FONT", "medium", "svg_name", "save_svg"]

#: The font family the packs declare with ``@font-face`` (DejaVu Sans, embedded): SVG text asks for it first.
PACK_FONT = "Circles DejaVu Sans"

_MM_PER_INCH = 25.4


@dataclass(frozen=True)
class Medium:
    """A place a figure is printed.

    Attributes
    ----------
    key : str
        ``print``, ``large``, ``wall`` or ``wall_large``: the suffix of the figure's SVG file.
    width_mm, height_mm : float
        The pack's text width, and the most height a figure may take on its page (leaving room for the
        heading and the caption).
    min_pt : float
        The smallest type allowed anywhere in the figure (attribution and tick labels included).
    type : dict
        Point sizes by role: ``small`` (attribution, ticks, area labels), ``text`` (legend entries, notes),
        ``heading`` (legend titles, axis titles) and ``title``. ``small`` is ``min_pt``.

    Examples
    --------
    >>> m = MEDIA["print"]
    >>> m.type["small"], m.large_print
    (7.0, False)
    >>> [round(x, 2) for x in m.figsize()]
    [6.85, 7.87]
    >>> [round(x, 2) for x in m.figsize(height_mm=100)]
    [6.85, 3.94]
    """

    key: str
    width_mm: float
    height_mm: float
    min_pt: float
    type: dict[str, float] = field(default_factory=dict)

    @property
    def large_print(self) -> bool:
        """Whether this is a large-print medium (nothing under 16 pt)."""
        return self.min_pt >= 16

    def figsize(self, *, height_mm: float | None = None) -> tuple[float, float]:
        """Figure size in inches: the full text width, and ``height_mm`` (default the most allowed)."""
        height = min(height_mm or self.height_mm, self.height_mm)
        return self.width_mm / _MM_PER_INCH, height / _MM_PER_INCH

    def chars_per_line(self, role: str = "text", width_mm: float | None = None, *, bold: bool = False) -> int:
        """About how many characters of ``role`` type fit across ``width_mm`` (default the full width): for
        :func:`textwrap.fill`. DejaVu Sans averages about 0.55 em per character, DejaVu Sans Bold about 0.63."""
        width_pt = (width_mm or self.width_mm) / _MM_PER_INCH * 72
        return max(8, int(width_pt / ((0.63 if bold else 0.55) * self.type[role])))


def _ramp(small: float, text: float, heading: float, title: float) -> dict[str, float]:
    return {"small": small, "text": text, "heading": heading, "title": title}


#: The media packs print figures on.
MEDIA: dict[str, Medium] = {
    "print": Medium("print", 174.0, 200.0, 7.0, _ramp(7.0, 8.0, 9.0, 12.0)),
    "large": Medium("large", 178.0, 160.0, 16.0, _ramp(16.0, 16.0, 18.0, 20.0)),
    "wall": Medium("wall", 384.0, 215.0, 7.0, _ramp(7.0, 9.0, 10.0, 14.0)),
    "wall_large": Medium("wall_large", 388.0, 190.0, 16.0, _ramp(16.0, 16.0, 18.0, 22.0)),
}


def medium(key: str | Medium) -> Medium:
    """The :class:`Medium` called ``key`` (a :class:`Medium` is returned as it is).

    Examples
    --------
    >>> medium("large").min_pt
    16.0
    >>> medium("A5")
    Traceback (most recent call last):
    ...
    ValueError: Unknown figure medium 'A5': use one of print, large, wall, wall_large.
    """
    if isinstance(key, Medium):
        return key
    if key not in MEDIA:
        raise ValueError(f"Unknown figure medium {key!r}: use one of {', '.join(MEDIA)}.")
    return MEDIA[key]


def svg_name(stem: str, medium_key: str) -> str:
    """The file a figure for ``medium_key`` is written to: ``maps/lsoa_hotspots`` → ``maps/lsoa_hotspots_print.svg``.

    Examples
    --------
    >>> svg_name("circle/circle_of_need", "wall_large")
    'circle/circle_of_need_wall_large.svg'
    """
    return f"{stem}_{medium_key}.svg"


_FAMILY = re.compile(r"font-family:\s*([^;\"]+)")


def save_svg(figure: Any, path: str | Path) -> Path:
    """Write a matplotlib figure as SVG with real text, atomically.

    Text stays text (``svg.fonttype: none``) and asks for :data:`PACK_FONT` first, then DejaVu Sans, so a pack
    lays it out with the font it embeds; the file carries no date and stable ids, so a re-run writes the same
    bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=MEDIA["print"].figsize(height_mm=40))
    >>> _ = fig.text(0.1, 0.5, "Hot spots", fontsize=MEDIA["print"].type["text"])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     text = save_svg(fig, pathlib.Path(folder) / "x.svg").read_text()
    >>> ">Hot spots</text>" in text, "font-family: 'Circles DejaVu Sans', 'DejaVu Sans'" in text
    (True, True)
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "circles"}):
            figure.savefig(tmp, format="svg", metadata={"Date": None, "Creator": "circles"})
        text = tmp.read_text(encoding="utf-8")
        text = _FAMILY.sub(lambda m: f"font-family: '{PACK_FONT}', {m.group(1).strip()}", text)
        tmp.write_text(text, encoding="utf-8")
    return path
