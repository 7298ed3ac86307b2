"""The print figures' typeface: DejaVu Sans cut down to the characters reports use, so a PDF embeds it quickly.

matplotlib embeds a TrueType font in a PDF by subsetting it with fontTools, which first reads the whole font:
DejaVu Sans holds about 6,000 glyphs and large layout tables, and reading them took about two thirds of the time
of saving an A4 figure of 40 labels as PDF (0.34 s; 0.12 s with the cut-down font). circles therefore ships DejaVu
Sans (regular and bold) cut down to :data:`REPERTOIRE` -- Latin script with its accents (Welsh and Irish place
names included), punctuation, currency, arrows, mathematical operators and geometric shapes -- under the family
name :data:`FAMILY`, with every layout feature (kerning, ligatures) kept for those glyphs. The outlines and advance
widths are DejaVu Sans's own, so text is set exactly as before (``tests/figures/test_typeface.py`` checks it).

:func:`cut_down_fonts` is used while a figure is saved (:func:`circles.figures.print_maps.save_print_map`): only
text matplotlib would set in DejaVu Sans is moved to :data:`FAMILY`, with the full DejaVu Sans behind it, so a
character outside the repertoire (Greek, Cyrillic, Arabic...) is still drawn, from the full font, glyph by glyph.
A user's own font (``font.sans-serif`` set to Arial, say) is left alone.

The fonts are built by :func:`build_fonts` from matplotlib's copy of DejaVu Sans, which records the source, the
licence (Bitstream Vera Fonts licence, DejaVu changes in the public domain: ``fonts/LICENSE_DEJAVU``; a modified
font must not be called Bitstream or Vera) and each file's SHA-256 in ``fonts/fonts.json``::

    python -m circles.figures.typeface        # rebuild circles/figures/fonts/
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.text import Text

__all__ = ["FAMILY", "FONT_DIR", "REPERTOIRE", "build_fonts", "cut_down_fonts", "register_fonts"]

#: The family name of the cut-down fonts (the packs declare the same name for the DejaVu Sans they embed).
FAMILY = "Circles DejaVu Sans"
#: Where the cut-down fonts, their licence and ``fonts.json`` live.
FONT_DIR = Path(__file__).with_name("fonts")
#: Source file in matplotlib's ``fonts/ttf`` → the cut-down file.
FACES = {"DejaVuSans.ttf": "CirclesDejaVuSans.ttf", "DejaVuSans-Bold.ttf": "CirclesDejaVuSans-Bold.ttf"}
#: The Unicode blocks kept (first, last code point), each with what it holds.
REPERTOIRE: tuple[tuple[int, int, str], ...] = (
    (0x0020, 0x007E, "Basic Latin"),
    (0x00A0, 0x024F, "Latin-1 Supplement, Latin Extended-A and -B (Welsh ŵ ŷ, Irish, Polish...)"),
    (0x0300, 0x036F, "combining diacritical marks"),
    (0x1E00, 0x1EFF, "Latin Extended Additional (Welsh ẁ ẃ ẅ ỳ)"),
    (0x2000, 0x206F, "general punctuation (dashes, quotes, bullet, ellipsis)"),
    (0x20A0, 0x20CF, "currency (€)"),
    (0x2100, 0x218F, "letterlike symbols and number forms (№, ½)"),
    (0x2190, 0x21FF, "arrows (the north arrow)"),
    (0x2200, 0x22FF, "mathematical operators (≤ ≥ ± −)"),
    (0x25A0, 0x25FF, "geometric shapes (legend markers)"),
)


def _matplotlib_fonts() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def register_fonts() -> tuple[str, ...]:
    """Add the cut-down fonts to matplotlib's font manager (once per process); return their files."""
    files = tuple(str(FONT_DIR / name) for name in FACES.values())
    for file in files:
        font_manager.fontManager.addfont(file)
    return files


@cache
def _dejavu_files() -> frozenset[str]:
    return frozenset(str((_matplotlib_fonts() / name).resolve()) for name in FACES)


def _in_dejavu(properties: font_manager.FontProperties) -> bool:
    """Whether matplotlib would set text of these properties in its own DejaVu Sans (regular or bold)."""
    try:
        found = font_manager.findfont(properties, fallback_to_default=False)
    except ValueError:  # no font of that family: matplotlib's default, which is not ours to change
        return False
    return str(Path(found).resolve()) in _dejavu_files()


@contextmanager
def cut_down_fonts(figure: Any) -> Iterator[None]:
    """While saving ``figure``: its text set in DejaVu Sans uses the cut-down :data:`FAMILY`, then full DejaVu Sans.

    The glyphs are the same, so nothing moves; a PDF then embeds the small font, not the large one. Text created
    while saving (tick labels) takes the same families from ``font.family``. Every text's family is put back.

    Examples
    --------
    >>> import io
    >>> import matplotlib.pyplot as plt
    >>> figure = plt.figure(figsize=(2, 1))
    >>> label = figure.text(0.1, 0.5, "Shadsworth with Whitebirk")
    >>> with cut_down_fonts(figure):
    ...     label.get_fontfamily()
    ...     figure.savefig(io.BytesIO(), format="pdf")
    ['Circles DejaVu Sans', 'DejaVu Sans']
    >>> label.get_fontfamily(), plt.close(figure)
    (['sans-serif'], None)
    """
    register_fonts()
    families = [FAMILY, "DejaVu Sans"]
    moved = [(text, text.get_fontfamily()) for text in figure.findobj(Text) if _in_dejavu(text.get_fontproperties())]
    for text, _ in moved:
        text.set_fontfamily(families)
    default = font_manager.FontProperties()
    rc = {"font.family": families} if _in_dejavu(default) else {}
    try:
        with matplotlib.rc_context(rc):
            yield
    finally:
        for text, family in moved:
            text.set_fontfamily(family)


def build_fonts(out_dir: Path = FONT_DIR) -> dict[str, Any]:
    """Cut matplotlib's DejaVu Sans down to :data:`REPERTOIRE` as :data:`FAMILY`; write the fonts and ``fonts.json``.

    Every OpenType layout feature is kept (the glyphs a ligature or a kerning pair reaches are kept with it), and
    so are the hinting and the glyph names. The family, full and PostScript names are changed (the licence asks
    that a modified font not be called Bitstream or Vera; circles names it after itself).

    Returns
    -------
    dict
        What ``fonts.json`` records: the source, the licence, the repertoire and each file's SHA-256.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    out_dir.mkdir(parents=True, exist_ok=True)
    source = _matplotlib_fonts()
    unicodes = [c for first, last, _ in REPERTOIRE for c in range(first, last + 1)]
    files = []
    for name, cut_name in FACES.items():
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.glyph_names = True
        options.notdef_outline = True
        options.drop_tables = [*options.drop_tables, "FFTM"]  # FontForge's timestamps: nothing to draw with
        font = TTFont(source / name, recalcTimestamp=False)  # the same source gives the same bytes
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        for record in font["name"].names:
            text = record.toUnicode()
            renamed = text.replace("DejaVu Sans", FAMILY).replace("DejaVuSans", FAMILY.replace(" ", ""))
            if renamed != text:
                record.string = renamed
        font.save(out_dir / cut_name)
        files.append(
            {
                "file": cut_name,
                "sha256": _sha256(out_dir / cut_name),
                "glyphs": len(font.getGlyphOrder()),
                "source": f"matplotlib {matplotlib.__version__}: mpl-data/fonts/ttf/{name}",
                "source_sha256": _sha256(source / name),
            }
        )
    shutil.copyfile(source / "LICENSE_DEJAVU", out_dir / "LICENSE_DEJAVU")
    record = {
        "family": FAMILY,
        "licence": "Bitstream Vera Fonts licence; DejaVu changes in the public domain (LICENSE_DEJAVU)",
        "repertoire": [{"first": f"U+{a:04X}", "last": f"U+{b:04X}", "holds": what} for a, b, what in REPERTOIRE],
        "files": files,
    }
    (out_dir / "fonts.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":  # pragma: no cover - a developer's rebuild
    for entry in build_fonts()["files"]:
        print(f"{entry['file']}: {entry['glyphs']} glyphs, sha256 {entry['sha256']}")
