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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import patheffects
from matplotlib.text import Text

from circles.io.writers import atomic_path

__all__ = ["Halo", "Medium", "MEDIA", "PACK_FONT", "medium", "svg_name", "save_svg"]

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


class Halo(patheffects.withStroke):
    """A label's halo: a stroke of ``width`` points in ``colour`` under the text, so it reads over any fill.

    On a PNG or a PDF it is matplotlib's ``withStroke`` path effect (the text drawn as outlines). In an SVG
    written by :func:`save_svg` the text stays text: the halo is a copy of it stroked in ``colour`` underneath,
    so a pack's labels are real characters in the pack's font (WeasyPrint lays out a few hundred bytes instead
    of parsing glyph outlines, and a reader can search them).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> label = Figure().text(0.5, 0.5, "Sudell", path_effects=[Halo(2.8)])
    >>> [(h.width, h.colour) for h in label.get_path_effects()]
    [(2.8, 'white')]
    """

    def __init__(self, width: float, colour: str = "white") -> None:
        super().__init__(linewidth=width, foreground=colour)
        self.width, self.colour = width, colour


def _halo_of(text: Text) -> Halo | None:
    effects = text.get_path_effects()
    return effects[0] if len(effects) == 1 and isinstance(effects[0], Halo) else None


@contextmanager
def _halos_as_text(figure: Any) -> Iterator[dict[str, tuple[Halo, str | None]]]:
    """While an SVG is written: each haloed text drawn as plain text in a group of its own (``circles-halo-N``);
    the returned marks say which halo and which gid each group had. Put back afterwards."""
    haloed = [t for t in figure.findobj(Text) if _halo_of(t) is not None]
    marks = {f"circles-halo-{i}": (_halo_of(t), t.get_gid()) for i, t in enumerate(haloed)}
    for (mark, _), text in zip(marks.items(), haloed, strict=True):
        text.set_path_effects([])
        text.set_gid(mark)
    try:
        yield marks
    finally:
        for (halo, gid), text in zip(marks.values(), haloed, strict=True):
            text.set_path_effects([halo])
            text.set_gid(gid)


_GROUP = re.compile(r'<g id="(circles-halo-\d+)">')
_TAGS = re.compile(r"<g[ >]|</g>")
_TEXT = re.compile(r'<text ([^>]*?)style="([^"]*)"([^>]*)>(.*?)</text>', re.S)


def _draw_halos(svg: str, marks: dict[str, tuple[Halo, str | None]]) -> str:
    """Each text in a marked group twice: first stroked and filled in its halo's colour, then as it was; the
    group takes its own gid back (or none)."""
    out, at = [], 0
    for match in _GROUP.finditer(svg):
        depth, end = 1, match.end()
        while depth:  # the group's own </g>: a clipped text is drawn in a group of its own inside it
            tag = _TAGS.search(svg, end)
            if tag is None:  # pragma: no cover - matplotlib closes every group it opens
                raise ValueError(f"unclosed SVG group {match.group(1)}")
            depth += 1 if tag.group(0) != "</g>" else -1
            end = tag.end()
        halo, gid = marks[match.group(1)]
        under = f"fill: {halo.colour}; stroke: {halo.colour}; stroke-width: {halo.width:g}; stroke-linejoin: round"

        def twice(text: re.Match[str], under: str = under) -> str:
            style = "; ".join(p for p in text.group(2).split("; ") if p and not p.startswith("fill:"))
            return (
                f'<text {text.group(1)}style="{style}; {under}"{text.group(3)}>{text.group(4)}</text>\n' + text.group(0)
            )

        opening = f'<g id="{gid}">' if gid else "<g>"
        out += [svg[at : match.start()], opening, _TEXT.sub(twice, svg[match.end() : end])]
        at = end
    return "".join([*out, svg[at:]])


def save_svg(figure: Any, path: str | Path) -> Path:
    """Write a matplotlib figure as SVG with real text, atomically.

    Text stays text (``svg.fonttype: none``) and asks for :data:`PACK_FONT` first, then DejaVu Sans, so a pack
    lays it out with the font it embeds; a :class:`Halo` is drawn as the text stroked underneath, not as glyph
    outlines. The file carries no date and stable ids, so a re-run writes the same bytes.

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
        with (
            matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "circles"}),
            _halos_as_text(figure) as marks,
        ):
            figure.savefig(tmp, format="svg", metadata={"Date": None, "Creator": "circles"})
        text = _draw_halos(tmp.read_text(encoding="utf-8"), marks)
        text = _FAMILY.sub(lambda m: f"font-family: '{PACK_FONT}', {m.group(1).strip()}", text)
        tmp.write_text(text, encoding="utf-8")
    return path
